"""One pydantic model per import file: the design's columns, types and allowed values."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from scoring.types import AutomationMode, BillingKind, ContextKind, EngagementKind, Segment, Severity
from storage.enums import Role

NonEmpty = Field(min_length=1, max_length=500)
HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class Row(BaseModel):
    """Extra columns are ignored; blank optional cells mean 'not given'; timestamps without
    a zone are UTC."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True, frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _blank_is_missing(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {key: value for key, value in data.items() if value not in ("", None)}
        return data

    @field_validator("*", mode="after")
    @classmethod
    def _utc(cls, value: Any) -> Any:
        if isinstance(value, datetime):
            return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value


class CsmRow(Row):
    slack_id: str = NonEmpty
    name: str = NonEmpty
    role: Role
    email: str | None = None
    manager_slack_id: str | None = None
    timezone: str = "UTC"
    digest_time: str = "08:30"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(
                f"unknown time zone {value!r} (use an IANA name such as Europe/Berlin)"
            ) from error
        return value

    @field_validator("digest_time")
    @classmethod
    def _hhmm(cls, value: str) -> str:
        if not HHMM.match(value):
            raise ValueError(f"must be HH:MM (24-hour), got {value!r}")
        return value


class AccountRow(Row):
    account_id: str = NonEmpty
    name: str = NonEmpty
    segment: Segment
    arr: float = Field(ge=0)
    owner_slack_id: str = NonEmpty
    renewal_date: date
    industry: str | None = None
    contract_start: date | None = None
    timezone: str | None = None
    automation_mode: AutomationMode | None = None
    contact_email: str | None = None
    shared_channel_id: str | None = None


class UsageRow(Row):
    account_id: str = NonEmpty
    date: date
    active_users: int = Field(ge=0)
    licensed_seats: int = Field(ge=0)
    events: int = Field(default=0, ge=0)


class FeatureUsageRow(Row):
    account_id: str = NonEmpty
    date: date
    feature: str = NonEmpty
    count: int = Field(ge=0)


class TicketRow(Row):
    ticket_id: str = NonEmpty
    account_id: str = NonEmpty
    opened_at: datetime
    severity: Severity
    subject: str = Field(min_length=1, max_length=500)
    body: str = Field(default="", max_length=100_000)
    closed_at: datetime | None = None
    is_escalation_request: bool = False


class BillingRow(Row):
    account_id: str = NonEmpty
    date: date
    kind: BillingKind
    amount: float


class EngagementRow(Row):
    account_id: str = NonEmpty
    at: datetime
    kind: EngagementKind
    value: float | None = None


class ContextRow(Row):
    account_id: str = NonEmpty
    kind: ContextKind
    starts_at: datetime
    ends_at: datetime | None = None
    note: str = ""


class MilestoneRow(Row):
    account_id: str = NonEmpty
    step: str = NonEmpty
    due_date: date
    completed_at: datetime | None = None


class OutcomeRow(Row):
    account_id: str = NonEmpty
    renewal_date: date
    outcome: Literal["renewed", "churned"]
