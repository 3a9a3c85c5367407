"""What each import file is: its row model, its table, its natural key, what it refers to.

`SPECS` is in dependency order (people, then accounts, then what hangs off accounts), which is
the order files are imported in, so an export's own csms.csv and accounts.csv satisfy the
references of the files after them. A file writes to one table, except where `routes` sends
some of its rows to another (outcomes.csv: renewals, and churns without a renewal date).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from sqlalchemy import Table

from storage import models
from storage.importer import rows

USERS, ACCOUNTS = "users", "accounts"
PROVIDER_FILE = {USERS: "csms.csv", ACCOUNTS: "accounts.csv"}


@dataclass(frozen=True)
class Target:
    """A table a file's rows are written to, and the database columns that identify a row there."""

    table: type[models.Base]
    key: tuple[str, ...]

    @property
    def sa_table(self) -> Table:
        return models.Base.metadata.tables[self.table.__tablename__]

    @cached_property  # asked for every column of every row an import checks
    def column_names(self) -> frozenset[str]:
        return frozenset(self.sa_table.columns.keys())


@dataclass(frozen=True)
class FileSpec:
    file: str
    model: type[rows.Row]
    table: type[models.Base]
    key: tuple[str, ...]  # database columns that identify a row (a re-import updates it)
    renames: dict[str, str] = field(default_factory=dict)  # CSV column -> database column
    refers_to: dict[str, str] = field(default_factory=dict)  # CSV column -> USERS / ACCOUNTS
    provides: str | None = None  # the ids this file adds (USERS / ACCOUNTS)
    id_column: str = ""  # the CSV column holding those ids
    blank_allowed: tuple[str, ...] = ()  # required columns whose cells may be empty
    derived: tuple[str, ...] = ()  # columns computed from the row (always rewritten on re-import)
    # columns saying when something happened -> what happened (a date after the import warns)
    happened: dict[str, str] = field(default_factory=dict)
    one_of: tuple[str, ...] = ()  # the header needs at least one of these columns
    # CSV column -> another table: a row that gives that column goes there (with the columns
    # that table has), not to `table`; e.g. outcomes.csv's churned_at rows
    routes: dict[str, Target] = field(default_factory=dict)

    @property
    def targets(self) -> tuple[Target, ...]:
        return (Target(self.table, self.key), *self.routes.values())

    def target_for(self, values: dict[str, Any]) -> Target:
        """Where one validated row (CSV column -> value) is written."""
        for column, target in self.routes.items():
            if values.get(column) is not None:
                return target
        return Target(self.table, self.key)

    @property
    def columns(self) -> list[str]:
        return list(self.model.model_fields)

    @property
    def required_columns(self) -> list[str]:
        return [
            name
            for name, info in self.model.model_fields.items()
            if info.is_required() or name in self.blank_allowed
        ]

    def db_column(self, csv_column: str) -> str:
        return self.renames.get(csv_column, csv_column)


SPECS: tuple[FileSpec, ...] = (
    FileSpec("csms.csv", rows.CsmRow, models.User, ("slack_id",), refers_to={"manager_slack_id": USERS}, provides=USERS, id_column="slack_id", one_of=("slack_id", "email")),
    FileSpec("accounts.csv", rows.AccountRow, models.Account, ("account_id",), refers_to={"owner_slack_id": USERS}, provides=ACCOUNTS, id_column="account_id", blank_allowed=("renewal_date",)),
    FileSpec("usage.csv", rows.UsageRow, models.UsageDaily, ("account_id", "day"), {"date": "day"}, {"account_id": ACCOUNTS}, happened={"date": "usage"}),
    FileSpec("feature_usage.csv", rows.FeatureUsageRow, models.FeatureUsage, ("account_id", "day", "feature"), {"date": "day"}, {"account_id": ACCOUNTS}, happened={"date": "feature usage"}),
    FileSpec("tickets.csv", rows.TicketRow, models.Ticket, ("ticket_id",), refers_to={"account_id": ACCOUNTS}, blank_allowed=("body",), derived=("sentiment",), happened={"opened_at": "a ticket's opening"}),
    FileSpec("billing.csv", rows.BillingRow, models.BillingEvent, ("account_id", "day", "kind", "amount"), {"date": "day"}, {"account_id": ACCOUNTS}),
    FileSpec("engagement.csv", rows.EngagementRow, models.EngagementEvent, ("account_id", "at", "kind"), refers_to={"account_id": ACCOUNTS}, happened={"at": "engagement"}),
    FileSpec("context.csv", rows.ContextRow, models.ContextEvent, ("account_id", "kind", "starts_at"), refers_to={"account_id": ACCOUNTS}),
    FileSpec("milestones.csv", rows.MilestoneRow, models.Milestone, ("account_id", "step"), refers_to={"account_id": ACCOUNTS}),
    FileSpec("outcomes.csv", rows.OutcomeRow, models.RenewalOutcome, ("account_id", "renewal_date"), refers_to={"account_id": ACCOUNTS}, happened={"churned_at": "a churn"}, one_of=("renewal_date", "churned_at"), routes={"churned_at": Target(models.AccountChurn, ("account_id",))}),
)  # fmt: skip
IMPORT_FILES: tuple[str, ...] = tuple(spec.file for spec in SPECS)
