"""csms.csv people by email, looked up in Slack (the Web API stand-in) during `import DIR`:
member ids and time zones from Slack, an unknown address rejected by name, one call per
address, and a 500-person import riding out Slack's rate limits (429 + Retry-After)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.clock import FrozenClock
from bot.commands import import_dir
from bot.deps import Deps
from bot.people_lookup import SlackPeople, slack_people
from bot.posting import TerminalPoster
from bot.settings import Settings
from bot.slack_client import make_web_client
from prompts.drafting import TemplateDrafter
from storage import models
from storage.importer import import_directory
from tests.conftest import Database
from tests.support import factories
from tests.support.slack_stand_in import StandIn, running_stand_in

HEADER = "slack_id,name,role,email,manager_slack_id,timezone\n"


@pytest.fixture
def api() -> Iterator[StandIn]:
    with running_stand_in() as stand_in:
        yield stand_in


def _people(api: StandIn) -> SlackPeople:
    return SlackPeople(make_web_client(token="xoxb-test", api_url=api.api_url, rate_limit_retries=8))


def _export(tmp_path: Path, csms: str) -> Path:
    export = tmp_path / "export"
    export.mkdir()
    (export / "csms.csv").write_text(csms)
    return export


def _users(db: Database) -> dict[str, models.User]:
    with db.session_factory() as session:
        return {user.slack_id: user for user in session.scalars(select(models.User))}


def _looked_up(api: StandIn, method: str = "users.lookupByEmail") -> list[str]:
    key = "email" if method == "users.lookupByEmail" else "user"
    return [str(call.body.get(key)) for call in api.calls_to(method)]


def test_the_cli_import_resolves_emails_to_member_ids_and_slack_time_zones(
    db: Database, api: StandIn, tmp_path: Path
) -> None:
    api.add_user("U0MAYA", "maya@example.com", tz="Europe/London")
    api.add_user("U0ANA", "ana@example.com", tz="Asia/Tokyo")
    api.add_user("U0BEN", "ben@example.com", tz="America/Chicago")
    api.add_user("U0QUINN", "quinn@example.com", tz="Australia/Sydney")
    export = _export(
        tmp_path,
        HEADER
        + ",Maya Patel,manager,maya@example.com,,\n"  # email only: member id and zone from Slack
        + ",Ana Lima,csm,Ana@Example.com,maya@example.com,Europe/Berlin\n"  # the row's zone is kept
        + "U0BEN,Ben Okafor,csm,ben@example.com,U0MAYA,\n"  # a member id without a zone: users.info
        + "U0QUINN,Quinn Larsen,ops,,,UTC\n",  # nothing to ask
    )
    settings = Settings(SLACK_BOT_TOKEN="xoxb-test", SLACK_API_URL=api.api_url)  # type: ignore[call-arg]
    deps = Deps(
        settings,
        db.session_factory,
        FrozenClock(factories.NOW),
        TemplateDrafter(),
        TerminalPoster(out=io.StringIO()),
    )
    out = io.StringIO()

    assert import_dir(deps, export, out=out) == 0, out.getvalue()

    users = _users(db)
    assert {slack_id: (u.name, u.timezone, u.manager_slack_id) for slack_id, u in users.items()} == {
        "U0MAYA": ("Maya Patel", "Europe/London", None),
        "U0ANA": ("Ana Lima", "Europe/Berlin", "U0MAYA"),
        "U0BEN": ("Ben Okafor", "America/Chicago", "U0MAYA"),
        "U0QUINN": ("Quinn Larsen", "UTC", None),
    }
    assert users["U0ANA"].email == "Ana@Example.com"
    # maya@ is named twice (her row, Ana's manager) and asked once; users.info only for Ben
    assert sorted(_looked_up(api)) == ["Ana@Example.com", "maya@example.com"]
    assert _looked_up(api, "users.info") == ["U0BEN"]


def test_an_address_slack_does_not_know_is_a_rejected_row_naming_it(
    db: Database, api: StandIn, tmp_path: Path
) -> None:
    api.add_user("U0MAYA", "maya@example.com")
    export = _export(
        tmp_path,
        HEADER
        + ",Maya Patel,manager,maya@example.com,,UTC\n"
        + ",Ghost,csm,ghost@example.com,maya@example.com,UTC\n"  # line 3
        + "U0X,Other,csm,,nobody@example.com,UTC\n",  # line 4: a manager Slack does not know
    )
    (export / "accounts.csv").write_text(
        "account_id,name,segment,arr,owner_slack_id,renewal_date\nA-1,Acme,smb,1000,U0MISSING,\n"
    )

    report = import_directory(db.session_factory, export, people=_people(api))

    csms = report.file("csms.csv")
    assert csms is not None and not csms.ok and csms.rows_written == 0
    assert [(e.line, e.field, e.message) for e in csms.errors] == [
        (3, "email", "Slack knows no user with the email 'ghost@example.com' (users_not_found)"),
        (4, "manager_slack_id", "Slack knows no user with the email 'nobody@example.com' (users_not_found)"),
    ]
    assert "ghost@example.com" in report.render()
    assert _users(db) == {}  # the file wrote nothing; the import went on to accounts.csv
    accounts = report.file("accounts.csv")
    assert accounts is not None and "csms.csv was rejected" in accounts.errors[0].message


def test_without_a_slack_token_an_email_only_row_says_a_token_is_needed(db: Database, tmp_path: Path) -> None:
    export = _export(
        tmp_path,
        HEADER
        + "U0MAYA,Maya Patel,manager,maya@example.com,,UTC\n"
        + ",Ana Lima,csm,ana@example.com,U0MAYA,\n",
    )
    settings = Settings(SLACK_BOT_TOKEN=None)  # type: ignore[call-arg]
    assert slack_people(settings) is None

    report = import_directory(db.session_factory, export, people=slack_people(settings))

    csms = report.file("csms.csv")
    assert csms is not None and [(e.line, e.field) for e in csms.errors] == [(3, "slack_id")]
    assert (
        "'ana@example.com' needs a Slack token to be looked up: set SLACK_BOT_TOKEN" in csms.errors[0].message
    )
    assert _users(db) == {}


def test_slack_failing_after_its_retries_rejects_the_file_and_writes_nothing(
    db: Database, api: StandIn, tmp_path: Path
) -> None:
    api.add_user("U0MAYA", "maya@example.com")
    api.fail_calls_to("users.lookupByEmail", 500, times=3)  # the first try and both retries
    export = _export(tmp_path, HEADER + ",Maya Patel,manager,maya@example.com,,UTC\n")

    report = import_directory(db.session_factory, export, people=_people(api))

    csms = report.file("csms.csv")
    assert csms is not None and csms.file_error is not None
    assert csms.file_error.startswith("could not look people up in Slack, nothing written")
    assert _users(db) == {}


def test_a_500_person_import_rides_out_rate_limits_and_loses_no_one(
    db: Database, api: StandIn, tmp_path: Path
) -> None:
    people = 500
    for n in range(people):
        api.add_user(f"U{n:05d}", f"csm{n}@example.com", tz="Europe/Paris" if n % 2 else "America/Denver")
    api.rate_limit_every("users.lookupByEmail", 150)  # the 150th, 300th and 450th calls: 429, Retry-After 1
    rows = [",Manager,manager,csm0@example.com,,"]
    rows += [f",CSM {n},csm,csm{n}@example.com,csm0@example.com," for n in range(1, people)]
    export = _export(tmp_path, HEADER + "\n".join(rows) + "\n")

    report = import_directory(db.session_factory, export, people=_people(api))

    csms = report.file("csms.csv")
    assert csms is not None and csms.ok, report.render()
    assert csms.rows_written == people
    users = _users(db)
    assert len(users) == people
    assert all(
        users[f"U{n:05d}"].timezone == ("Europe/Paris" if n % 2 else "America/Denver") for n in range(people)
    )
    assert all(users[f"U{n:05d}"].manager_slack_id == "U00000" for n in range(1, people))
    calls = _looked_up(api)
    assert len(calls) == people + 3  # each address once, and the three rate-limited calls again
    assert len(set(calls)) == people
    assert _looked_up(api, "users.info") == []  # Slack's answer to the email carried the zone


def test_a_header_with_neither_slack_id_nor_email_is_refused(
    db: Database, api: StandIn, tmp_path: Path
) -> None:
    export = _export(tmp_path, "name,role\nMaya Patel,manager\n")
    report = import_directory(db.session_factory, export, people=_people(api))
    csms = report.file("csms.csv")
    assert csms is not None and csms.file_error is not None
    assert "missing required column(s): slack_id or email" in csms.file_error
