"""storage.importer.people without Slack: a directory passed in, records filled or rejected."""

from __future__ import annotations

from storage.importer.csv_reader import CsvFile, CsvRecord
from storage.importer.people import SlackPerson, resolve_people


class Directory:
    def __init__(self) -> None:
        self.asked: list[str] = []
        self.people = {
            "ana@example.com": SlackPerson("U0ANA", "Europe/Berlin"),
            "bo@example.com": SlackPerson("U0BO", None),
        }
        self.members = {"U0BO": SlackPerson("U0BO", "Asia/Tokyo"), "U0ID": SlackPerson("U0ID", "Not/AZone")}

    def by_email(self, email: str) -> SlackPerson | None:
        self.asked.append(email)
        return self.people.get(email.lower())

    def by_member_id(self, member_id: str) -> SlackPerson | None:
        self.asked.append(member_id)
        return self.members.get(member_id)


def _file(*rows: dict[str, str]) -> CsvFile:
    header = ["slack_id", "name", "role", "email", "manager_slack_id"]
    return CsvFile(
        header, [CsvRecord(line, {c: row.get(c, "") for c in header}) for line, row in enumerate(rows, 2)]
    )


def test_emails_become_member_ids_and_zones_come_from_slack_only_when_missing() -> None:
    directory = Directory()
    resolved = resolve_people(
        _file(
            {"email": "ana@example.com", "name": "Ana"},
            {"email": "bo@example.com", "manager_slack_id": "ana@example.com"},  # no zone in the answer
            {"slack_id": "U0ID"},  # Slack's zone is not an IANA name: left blank (UTC)
            {"email": "nobody@example.com"},
        ),
        directory,
        file="csms.csv",
    )
    values = [record.values for record in resolved.file.records]
    assert (values[0]["slack_id"], values[0]["timezone"]) == ("U0ANA", "Europe/Berlin")
    assert (values[1]["slack_id"], values[1]["manager_slack_id"], values[1]["timezone"]) == (
        "U0BO",
        "U0ANA",
        "Asia/Tokyo",
    )
    assert values[2].get("timezone", "") == ""
    assert [(e.line, e.field) for errors in resolved.problems.values() for e in errors] == [(5, "email")]
    assert "timezone" in resolved.file.header
    assert directory.asked == [
        "ana@example.com",
        "bo@example.com",
        "ana@example.com",
        "U0BO",
        "U0ID",
        "nobody@example.com",
    ]


def test_without_a_directory_only_the_rows_needing_one_are_rejected() -> None:
    resolved = resolve_people(
        _file(
            {"slack_id": "U0A", "email": "a@example.com"},
            {"email": "b@example.com"},
            {"slack_id": "U0C", "manager_slack_id": "m@example.com"},
        ),
        None,
        file="csms.csv",
    )
    assert {line: [e.field for e in errors] for line, errors in resolved.problems.items()} == {
        3: ["slack_id"],
        4: ["manager_slack_id"],
    }
    assert "timezone" not in resolved.file.header
