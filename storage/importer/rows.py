"""One pydantic model per import file: the design's columns, types and allowed values.

Field names are the CSV column names. Dates and timestamps must be ISO 8601 (a timestamp
without a zone is UTC); numbers are finite and never negative; enum columns take exactly the
values of the StrEnums in `scoring.types` and `storage.enums`.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    computed_field,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from scoring.sentiment import ticket_tone
from scoring.types import AutomationMode, BillingKind, ContextKind, EngagementKind, Segment, Severity
from storage.enums import RenewalOutcomeKind, Role

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ISO_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|z|[+-]\d{2}:?\d{2})?)?$")
HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _iso_date(value: Any) -> Any:
    if isinstance(value, str) and not ISO_DATE.match(value):
        raise ValueError(f"must be an ISO date (YYYY-MM-DD), got {value!r}")
    return value


def _iso_timestamp(value: Any) -> Any:
    if isinstance(value, str) and not ISO_TIMESTAMP.match(value):
        raise ValueError(f"must be an ISO timestamp (YYYY-MM-DDTHH:MM:SS, optional zone), got {value!r}")
    return value


def _as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _known_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"unknown time zone {value!r} (use an IANA name such as Europe/Berlin)") from error
    return value


def _email(value: str) -> str:
    if not EMAIL.match(value):
        raise ValueError(f"must be an email address, got {value!r}")
    return value


_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def _email_domain(value: str) -> str:
    """A bare domain, lower-cased; "@acme.com" and "https://acme.com" are named as mistakes."""
    domain = value.strip().lower()
    if not _DOMAIN.match(domain):
        raise ValueError(f"must be an email domain such as acme.com (no @, no https://), got {value!r}")
    return domain


IsoDate = Annotated[date, BeforeValidator(_iso_date)]
IsoTimestamp = Annotated[datetime, BeforeValidator(_iso_timestamp), AfterValidator(_as_utc)]
TimeZoneName = Annotated[str, AfterValidator(_known_zone)]
Email = Annotated[str, Field(max_length=320), AfterValidator(_email)]
EmailDomain = Annotated[str, Field(max_length=253), AfterValidator(_email_domain)]
Identifier = Annotated[str, Field(min_length=1, max_length=64)]
SlackId = Annotated[str, Field(min_length=1, max_length=32)]
Name = Annotated[str, Field(min_length=1, max_length=200)]
Count = Annotated[int, Field(ge=0)]
Money = Annotated[float, Field(ge=0, allow_inf_nan=False)]


class Row(BaseModel):
    """Extra columns are ignored; a blank cell in an optional column means 'not given'."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True, frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _blank_is_missing(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {key: value for key, value in data.items() if value not in ("", None)}
        return data


class CsmRow(Row):
    """`slack_id` may be blank when `email` is given: the import looks the address up in Slack
    first (storage.importer.people), as it does a manager's email in `manager_slack_id`."""

    slack_id: SlackId | None = None  # never None once validated (see _someone)
    name: Name
    role: Role
    email: Email | None = None
    manager_slack_id: SlackId | None = None
    timezone: TimeZoneName = "UTC"
    digest_time: str = "08:30"

    @model_validator(mode="after")
    def _someone(self) -> CsmRow:
        if self.slack_id is None:
            raise _field_error(
                "slack_id",
                "required value is missing: give the person's Slack member id, or their email "
                "for Tandem to look up in Slack",
            )
        return self

    @field_validator("digest_time")
    @classmethod
    def _hhmm(cls, value: str) -> str:
        if not HHMM.match(value):
            raise ValueError(f"must be HH:MM (24-hour), got {value!r}")
        return value


class AccountRow(Row):
    account_id: Identifier
    name: Name
    segment: Segment
    arr: Money
    owner_slack_id: SlackId
    renewal_date: IsoDate | None = None  # blank for monthly and self-serve customers (no renewal)
    industry: Annotated[str, Field(max_length=100)] | None = None
    contract_start: IsoDate | None = None
    timezone: TimeZoneName | None = None
    automation_mode: AutomationMode | None = None
    contact_email: Email | None = None
    shared_channel_id: SlackId | None = None
    # The customer's email domain ("acme.com"): links a Slack Connect channel by its members.
    domain: EmailDomain | None = None
    champion_email: Email | None = None  # their champion: silence from them is a signal
    account_executive_slack_id: SlackId | None = None  # named on sales hand-off cards


class UsageRow(Row):
    account_id: Identifier
    date: IsoDate
    active_users: Count
    licensed_seats: Count
    events: Count = 0


class FeatureUsageRow(Row):
    account_id: Identifier
    date: IsoDate
    feature: Annotated[str, Field(min_length=1, max_length=100)]
    count: Count


class TicketRow(Row):
    ticket_id: Identifier
    account_id: Identifier
    opened_at: IsoTimestamp
    severity: Severity
    subject: Annotated[str, Field(min_length=1, max_length=500)]
    body: Annotated[str, Field(max_length=100_000)] = ""
    closed_at: IsoTimestamp | None = None
    is_escalation_request: bool = False

    @computed_field  # type: ignore[prop-decorator]
    @property
    def sentiment(self) -> float:
        """The ticket's tone, stored with its text so scoring never re-reads the text."""
        return ticket_tone(self.subject, self.body)

    @field_validator("closed_at")
    @classmethod
    def _closed_after_opened(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        opened = info.data.get("opened_at")
        if value is not None and opened is not None and value < opened:
            raise ValueError(f"is before opened_at ({opened.isoformat()})")
        return value


class BillingRow(Row):
    account_id: Identifier
    date: IsoDate
    kind: BillingKind
    amount: Money


class EngagementRow(Row):
    account_id: Identifier
    at: IsoTimestamp
    kind: EngagementKind
    value: Annotated[float, Field(allow_inf_nan=False)] | None = None

    @field_validator("value")
    @classmethod
    def _nps_scale(cls, value: float | None, info: ValidationInfo) -> float | None:
        if info.data.get("kind") is EngagementKind.NPS and value is not None and not 0 <= value <= 10:
            raise ValueError(f"an NPS score must be between 0 and 10, got {value:g}")
        return value


class ContextRow(Row):
    account_id: Identifier
    kind: ContextKind
    starts_at: IsoTimestamp
    ends_at: IsoTimestamp | None = None
    note: str = ""

    @field_validator("ends_at")
    @classmethod
    def _ends_after_start(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        starts = info.data.get("starts_at")
        if value is not None and starts is not None and value < starts:
            raise ValueError(f"is before starts_at ({starts.isoformat()})")
        return value


class MilestoneRow(Row):
    account_id: Identifier
    step: Annotated[str, Field(min_length=1, max_length=200)]
    due_date: IsoDate
    completed_at: IsoTimestamp | None = None


class OutcomeRow(Row):
    """A renewal's outcome (`renewal_date` and `outcome`), or the day an account left outside a
    renewal (`churned_at`, `outcome` empty or churned): monthly and self-serve customers have
    no renewal date to hang their churn on."""

    account_id: Identifier
    renewal_date: IsoDate | None = None
    churned_at: IsoDate | None = None
    outcome: RenewalOutcomeKind | None = None

    @model_validator(mode="after")
    def _renewal_or_churn(self) -> OutcomeRow:
        if self.renewal_date is None and self.churned_at is None:
            raise _field_error(
                "renewal_date",
                "required value is missing: give renewal_date (with outcome) for a renewal, "
                "or churned_at for an account that left",
            )
        if self.renewal_date is not None and self.churned_at is not None:
            raise _field_error(
                "churned_at",
                "give renewal_date or churned_at, not both (a churn at a renewal is "
                "renewal_date with outcome churned)",
            )
        if self.renewal_date is not None and self.outcome is None:
            raise _field_error(
                "outcome", "required value is missing (a renewal's outcome: renewed or churned)"
            )
        if self.churned_at is not None and self.outcome is RenewalOutcomeKind.RENEWED:
            raise _field_error(
                "outcome",
                f"must be churned or empty on a row with churned_at (the account left on "
                f"{self.churned_at.isoformat()}), got 'renewed'",
            )
        return self


def _field_error(column: str, message: str) -> ValidationError:
    """A check across columns, reported against the column to fix (a plain ValueError from a
    model validator would name no column, and the report would say "row")."""
    detail = InitErrorDetails(type=PydanticCustomError("value_error", message), loc=(column,), input=None)
    return ValidationError.from_exception_data("row", [detail])
