"""Accounts and users on both backends: lookup with closest matches, the human-handling
switches, owners' lists, managers, and who may decide on an account's cards."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy.orm import Session

from storage.enums import Role
from storage.models import Account, User
from storage.repositories.accounts import (
    find_accounts,
    get_account,
    list_accounts_for_owner,
    set_always_human,
    set_human_handled,
)
from storage.repositories.users import can_decide_for, get_user, list_users, manager_of
from tests.conftest import Database

OWNER, OTHER_CSM, MANAGER, OTHER_MANAGER, OPS, ADMIN = "UCSM1", "UCSM2", "UMGR1", "UMGR2", "UOPS1", "UADM1"


def user(slack_id: str, role: str, manager: str | None = None) -> User:
    return User(
        slack_id=slack_id,
        name=f"Person {slack_id}",
        role=role,
        manager_slack_id=manager,
        timezone="UTC",
        digest_time="08:30",
    )


def account(account_id: str, name: str, owner: str = OWNER, **extra: Any) -> Account:
    return Account(
        account_id=account_id,
        name=name,
        segment="smb",
        arr=1000.0,
        owner_slack_id=owner,
        renewal_date=date(2026, 6, 30),
        **extra,
    )


def add_people(session: Session) -> None:
    session.add_all(
        [user(MANAGER, "manager"), user(OTHER_MANAGER, "manager"), user(OPS, "ops"), user(ADMIN, "admin")]
    )
    session.flush()
    session.add_all([user(OWNER, "csm", MANAGER), user(OTHER_CSM, "csm", OTHER_MANAGER)])
    session.flush()


@pytest.fixture
def book(db: Database) -> Database:
    with db.session_factory() as session, session.begin():
        add_people(session)
        session.add_all(
            [
                account("ACC-1", "Acme Corp"),
                account("ACC-2", "Acme Labs"),
                account("ACC-3", "Globex"),
                account("ACC-4", "Initech Holdings", owner=OTHER_CSM),
                account("ACC-5", "Umbrella"),
                account("ACC-6", "Umbrella"),  # two accounts, one name
            ]
        )
    return db


def test_get_account_round_trips(book: Database) -> None:
    with book.session_factory() as session:
        found = get_account(session, account_id="ACC-1")
        missing = get_account(session, account_id="ACC-404")

    assert found is not None and (found.name, found.owner_slack_id) == ("Acme Corp", OWNER)
    assert missing is None


@pytest.mark.parametrize("query", ["ACC-3", "acc-3", "Globex", "  gLoBeX "])
def test_find_accounts_exact_by_id_or_case_insensitive_name(book: Database, query: str) -> None:
    with book.session_factory() as session:
        match = find_accounts(session, query=query)

    assert match.exact is not None and match.exact.account_id == "ACC-3"
    assert match.candidates == []


def test_find_accounts_ambiguous_prefix_gives_candidates_and_no_exact(book: Database) -> None:
    with book.session_factory() as session:
        match = find_accounts(session, query="acme")

    assert match.exact is None
    assert {a.name for a in match.candidates} == {"Acme Corp", "Acme Labs"}


def test_find_accounts_a_unique_name_prefix_is_the_account(book: Database) -> None:
    with book.session_factory() as session:
        initech = find_accounts(session, query="initech")
        glob = find_accounts(session, query="glob")
        inside = find_accounts(session, query="holdings")  # contained, but not how the name starts
        wildcard = find_accounts(session, query="%")  # LIKE wildcards are literal text here

    assert initech.exact is not None and initech.exact.account_id == "ACC-4"
    assert glob.exact is not None and glob.exact.account_id == "ACC-3"
    assert inside.exact is None and inside.candidates[0].account_id == "ACC-4"
    assert wildcard.exact is None


def test_find_accounts_typo_ranks_the_intended_account_first(book: Database) -> None:
    with book.session_factory() as session:
        crop = find_accounts(session, query="acme crop")
        initch = find_accounts(session, query="initch holdings")

    assert crop.exact is None
    assert crop.candidates[0].name == "Acme Corp"
    assert initch.candidates[0].account_id == "ACC-4"


def test_find_accounts_shared_name_is_never_an_exact_match(book: Database) -> None:
    with book.session_factory() as session:
        match = find_accounts(session, query="umbrella")

    assert match.exact is None
    assert sorted(a.account_id for a in match.candidates) == ["ACC-5", "ACC-6"]


def test_find_accounts_nothing_close_limit_and_blank(book: Database) -> None:
    with book.session_factory() as session:
        nothing = find_accounts(session, query="zzqx")
        blank = find_accounts(session, query="   ")
        one = find_accounts(session, query="acme", limit=1)

    assert (nothing.exact, nothing.candidates) == (None, [])
    assert (blank.exact, blank.candidates) == (None, [])
    assert len(one.candidates) == 1


def test_set_human_handled_stores_who_and_when_in_utc(book: Database) -> None:
    local = datetime(2026, 3, 2, 14, 30, tzinfo=timezone(timedelta(hours=5)))
    with book.session_factory() as session, session.begin():
        set_human_handled(session, account_id="ACC-1", by=OWNER, now=local)

    with book.session_factory() as session:
        row = get_account(session, account_id="ACC-1")
        untouched = get_account(session, account_id="ACC-2")

    assert row is not None and row.human_handled_by == OWNER
    assert row.human_handled_since == datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    assert row.human_handled_since is not None and row.human_handled_since.utcoffset() == timedelta(0)
    assert untouched is not None and untouched.human_handled_by is None


def test_set_always_human_on_and_off(book: Database) -> None:
    with book.session_factory() as session, session.begin():
        set_always_human(session, account_id="ACC-2", on=True, by=OWNER)
    with book.session_factory() as session:
        on = get_account(session, account_id="ACC-2")
        assert on is not None and (on.always_human, on.always_human_by) == (True, OWNER)

    with book.session_factory() as session, session.begin():
        set_always_human(session, account_id="ACC-2", on=False, by=OWNER)
    with book.session_factory() as session:
        off = get_account(session, account_id="ACC-2")
        assert off is not None and (off.always_human, off.always_human_by) == (False, None)


def test_switches_on_an_unknown_account_raise(book: Database) -> None:
    now = datetime(2026, 3, 2, tzinfo=UTC)
    with book.session_factory() as session:
        with pytest.raises(LookupError, match="ACC-404"):
            set_human_handled(session, account_id="ACC-404", by=OWNER, now=now)
        with pytest.raises(LookupError, match="ACC-404"):
            set_always_human(session, account_id="ACC-404", on=True, by=OWNER)


def test_list_accounts_for_owner(book: Database) -> None:
    with book.session_factory() as session:
        mine = list_accounts_for_owner(session, owner_slack_id=OWNER)
        theirs = list_accounts_for_owner(session, owner_slack_id=OTHER_CSM)
        nobody = list_accounts_for_owner(session, owner_slack_id="UNOBODY")

    assert [a.account_id for a in mine] == ["ACC-1", "ACC-2", "ACC-3", "ACC-5", "ACC-6"]
    assert [a.account_id for a in theirs] == ["ACC-4"]
    assert nobody == []


def test_users_lookup_roles_and_managers(book: Database) -> None:
    with book.session_factory() as session:
        owner = get_user(session, slack_id=OWNER)
        csms = list_users(session, role=Role.CSM)
        everyone = list_users(session)
        boss = manager_of(session, slack_id=OWNER)
        no_boss = manager_of(session, slack_id=OPS)
        unknown = manager_of(session, slack_id="UNOBODY")

    assert owner is not None and owner.manager_slack_id == MANAGER
    assert [u.slack_id for u in csms] == [OWNER, OTHER_CSM]
    assert len(everyone) == 6
    assert boss is not None and boss.slack_id == MANAGER
    assert no_boss is None and unknown is None


@pytest.mark.parametrize(
    ("actor", "role", "allowed"),
    [
        (OWNER, "csm", True),
        (MANAGER, "manager", True),
        (OPS, "ops", True),
        (ADMIN, "admin", True),
        (OTHER_CSM, "csm", False),
        (OTHER_MANAGER, "manager", False),
    ],
)
def test_can_decide_for_matrix(actor: str, role: str, allowed: bool) -> None:
    person = user(actor, role)

    assert can_decide_for(person, owner_slack_id=OWNER, owner_manager_slack_id=MANAGER) is allowed


def test_can_decide_for_refuses_unknown_users_and_managerless_owners() -> None:
    assert not can_decide_for(None, owner_slack_id=OWNER, owner_manager_slack_id=MANAGER)
    assert not can_decide_for(user(MANAGER, "manager"), owner_slack_id=OWNER, owner_manager_slack_id=None)
    # A team lead named as the owner's manager decides even with the csm role.
    assert can_decide_for(user("ULEAD", "csm"), owner_slack_id=OWNER, owner_manager_slack_id="ULEAD")
