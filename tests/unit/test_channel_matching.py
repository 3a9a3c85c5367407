"""Matching a Slack Connect channel to an account by its external members' email domains (pure)."""

from __future__ import annotations

from bot.workflows.channels.matching import Member, match_members, member_from_user
from storage.enums import AuthorKind

ACME = {"acme.com": ["ACC-1"]}


def _customers(*emails: str | None) -> list[Member]:
    return [Member(f"U{n}", "T9", email, AuthorKind.CUSTOMER) for n, email in enumerate(emails)]


def test_the_majority_domain_matches_and_says_how_many() -> None:
    match = match_members(_customers("a@acme.com", "b@eu.acme.com", "c@gmail.com"), ACME)
    assert (match.account_id, match.reason) == (
        "ACC-1",
        "2 of 3 external members with an email have @acme.com",
    )


def test_no_majority_several_accounts_or_no_email_is_unmatched() -> None:
    assert match_members(_customers("a@acme.com", "b@gmail.com"), ACME).reason == (
        "no majority: only 1 of 2 external members with an email have @acme.com"
    )
    shared = match_members(_customers("a@acme.com"), {"acme.com": ["ACC-1", "ACC-2"]})
    assert shared.account_id is None and "several accounts (ACC-1, ACC-2)" in shared.reason
    hidden = match_members(_customers(None, None), ACME)
    assert (hidden.account_id, hidden.reason) == (
        None,
        "none of the 2 external members shows an email address",
    )
    internal_only = [Member("U1", "T1", "x@acme.com", AuthorKind.INTERNAL)]
    assert match_members(internal_only, ACME).account_id is None  # our own people never match


def test_members_are_classified_by_team_org_and_bot() -> None:
    def kind(user: dict[str, object]) -> AuthorKind:
        return member_from_user(user, own_team="T1", own_enterprise="E1").kind

    assert kind({"id": "U1", "team_id": "T1", "profile": {"email": "A@Vendor.com"}}) is AuthorKind.INTERNAL
    assert (
        kind({"id": "U2", "team_id": "T7", "enterprise_user": {"enterprise_id": "E1"}}) is AuthorKind.INTERNAL
    )
    assert kind({"id": "U3", "team_id": "T9", "profile": {"email": "b@acme.com"}}) is AuthorKind.CUSTOMER
    assert kind({"id": "U4", "team_id": "T9", "is_bot": True}) is AuthorKind.BOT
    assert member_from_user({"id": "U1", "profile": {"email": " A@Acme.COM "}}, own_team="T1",
                            own_enterprise=None).email == "a@acme.com"  # fmt: skip
