"""csms.csv people named by email: resolved to Slack member ids (and time zones) before validation.

A row may leave `slack_id` blank and give `email`; `manager_slack_id` may hold the manager's
email. Each address is looked up in Slack through a `PeopleDirectory` (bot.people_lookup asks
Slack's Web API; tests pass a stand-in), and a row that gives no `timezone` takes the person's
from Slack. This runs on the file's raw records, before validation and before any database
transaction: an address Slack does not know is a rejected row naming it, and a lookup Slack
cannot answer (after its retries) rejects the file, so nothing is ever half-written.

Without a directory (no Slack token), the rows that need one are rejected with what to do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from storage.importer.csv_reader import CsvFile, CsvRecord
from storage.importer.report import RowError
from storage.importer.rows import EMAIL

ID_COLUMN, EMAIL_COLUMN, MANAGER_COLUMN, ZONE_COLUMN = "slack_id", "email", "manager_slack_id", "timezone"
NEEDS_TOKEN = "needs a Slack token to be looked up: set SLACK_BOT_TOKEN, or give the Slack member id"


@dataclass(frozen=True)
class SlackPerson:
    member_id: str
    timezone: str | None  # an IANA name, as Slack gives it (user.tz); None when Slack has none


class PeopleDirectory(Protocol):
    """Slack's users, looked up one at a time (an implementation caches: one call per person)."""

    def by_email(self, email: str) -> SlackPerson | None:
        """The Slack user with this email; None when Slack knows no such address."""

    def by_member_id(self, member_id: str) -> SlackPerson | None:
        """The Slack user with this member id; None when Slack knows no such member."""


class PeopleLookupFailed(Exception):
    """Slack could not be asked (still rate-limited or unreachable after retries) or refused
    (a bad token, a missing scope). The message says which."""


@dataclass
class ResolvedPeople:
    file: CsvFile  # the records with member ids and time zones filled in
    problems: dict[int, list[RowError]] = field(default_factory=dict)  # line -> why it is rejected


def resolve_people(csv_file: CsvFile, directory: PeopleDirectory | None, *, file: str) -> ResolvedPeople:
    """Fill in `slack_id` from `email`, a manager's email with their member id, and a blank
    `timezone` with Slack's (when a directory is given). Raises PeopleLookupFailed."""
    problems: dict[int, list[RowError]] = {}
    records = []
    for record in csv_file.records:
        values, errors = _resolve_record(record, directory)
        if errors:
            problems[record.line] = [
                RowError(file, record.line, column, message) for column, message in errors
            ]
        records.append(CsvRecord(record.line, values))
    header = list(csv_file.header)  # a column filled in is given (a re-import updates it)
    filled = {column for record in records for column, value in record.values.items() if value}
    header.extend(column for column in (ID_COLUMN, ZONE_COLUMN) if column in filled and column not in header)
    return ResolvedPeople(CsvFile(header, records), problems)


def _resolve_record(
    record: CsvRecord, directory: PeopleDirectory | None
) -> tuple[dict[str, str], list[tuple[str, str]]]:
    values = dict(record.values)
    errors: list[tuple[str, str]] = []
    member_id = values.get(ID_COLUMN, "").strip()
    email = values.get(EMAIL_COLUMN, "").strip()
    person: SlackPerson | None = None
    if not member_id and EMAIL.match(email):  # a malformed address is the row model's to report
        if directory is None:
            errors.append((ID_COLUMN, f"is blank, and the email {email!r} {NEEDS_TOKEN}"))
        else:
            person = directory.by_email(email)
            if person is None:
                errors.append(
                    (EMAIL_COLUMN, f"Slack knows no user with the email {email!r} (users_not_found)")
                )
            else:
                member_id = values[ID_COLUMN] = person.member_id
    manager = values.get(MANAGER_COLUMN, "").strip()
    if "@" in manager:
        if directory is None:
            errors.append((MANAGER_COLUMN, f"the email {manager!r} {NEEDS_TOKEN}"))
        else:
            found = directory.by_email(manager)
            if found is None:
                errors.append(
                    (MANAGER_COLUMN, f"Slack knows no user with the email {manager!r} (users_not_found)")
                )
            else:
                values[MANAGER_COLUMN] = found.member_id
    if directory is not None and member_id and not errors and not values.get(ZONE_COLUMN, "").strip():
        if person is None or person.timezone is None:
            person = directory.by_member_id(member_id)
        if person is None:
            errors.append((ID_COLUMN, f"Slack knows no member {member_id!r} (user_not_found)"))
        elif _known_zone(person.timezone):
            values[ZONE_COLUMN] = str(person.timezone)
    return values, errors


def _known_zone(name: str | None) -> bool:
    if not name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True
