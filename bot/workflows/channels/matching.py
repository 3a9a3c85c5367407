"""Which account a Slack Connect channel belongs to, from its members (pure: no Slack, no DB).

Members are classified by their team: a bot is a bot; someone of the workspace's own team (or
its Enterprise Grid org) is internal; anyone else is the customer. The channel matches the
account whose `domain` most external members' email addresses share (a subdomain counts:
eu.acme.com is acme.com), when that is a majority of the external members whose email Slack
shows, and exactly one account has it. Anything else is unmatched, with the reason."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from storage.enums import AuthorKind


@dataclass(frozen=True)
class Member:
    user_id: str
    team_id: str | None
    email: str | None
    kind: AuthorKind


@dataclass(frozen=True)
class Match:
    account_id: str | None  # None: unmatched
    reason: str


def member_from_user(user: Mapping[str, Any], *, own_team: str | None, own_enterprise: str | None) -> Member:
    """A users.info `user` classified: bot, internal (own team or org) or customer."""
    profile = user.get("profile") if isinstance(user.get("profile"), dict) else {}
    email = profile.get("email") if isinstance(profile, dict) else None
    team = user.get("team_id") if isinstance(user.get("team_id"), str) else None
    enterprise = user.get("enterprise_user", {}) if isinstance(user.get("enterprise_user"), dict) else {}
    if user.get("is_bot") or user.get("is_app_user") or user.get("id") == "USLACKBOT":
        kind = AuthorKind.BOT
    elif (own_team and team == own_team) or (
        own_enterprise and enterprise.get("enterprise_id") == own_enterprise
    ):
        kind = AuthorKind.INTERNAL
    else:
        kind = AuthorKind.CUSTOMER
    clean = email.strip().lower() if isinstance(email, str) and "@" in email else None
    return Member(str(user.get("id", "")), team, clean, kind)


def email_domain(email: str | None) -> str | None:
    if not email or "@" not in email:
        return None
    return email.rsplit("@", 1)[1].strip().lower() or None


def candidate_domains(domain: str) -> list[str]:
    """acme.com for eu.acme.com (and eu.acme.com itself), never a bare top-level domain."""
    parts = domain.split(".")
    return [".".join(parts[i:]) for i in range(len(parts) - 1)]


def domains_to_look_up(members: Sequence[Member]) -> set[str]:
    return {
        candidate
        for member in members
        if member.kind is AuthorKind.CUSTOMER and (domain := email_domain(member.email))
        for candidate in candidate_domains(domain)
    }


def match_members(members: Sequence[Member], accounts_by_domain: Mapping[str, Collection[str]]) -> Match:
    """The account the external members belong to, or None with the reason."""
    external = [m for m in members if m.kind is AuthorKind.CUSTOMER]
    if not external:
        return Match(None, "no external member (only this workspace's people and bots)")
    with_email = [m for m in external if email_domain(m.email)]
    if not with_email:
        return Match(None, f"none of the {len(external)} external members shows an email address")
    by_domain: Counter[str] = Counter()
    unknown: Counter[str] = Counter()
    for member in with_email:
        domain = email_domain(member.email) or ""
        known = next((d for d in candidate_domains(domain) if accounts_by_domain.get(d)), None)
        if known:
            by_domain[known] += 1
        else:
            unknown[domain] += 1
    total = len(with_email)
    if not by_domain:
        seen = ", ".join(f"@{d}" for d, _ in unknown.most_common(3))
        return Match(None, f"no account has the domain of its {total} external members ({seen})")
    domain, count = sorted(by_domain.items(), key=lambda pair: (-pair[1], pair[0]))[0]
    share = f"{count} of {total} external member{'s' if total != 1 else ''} with an email have @{domain}"
    if count * 2 <= total:
        return Match(None, f"no majority: only {share}")
    accounts = sorted(accounts_by_domain[domain])
    if len(accounts) > 1:
        return Match(None, f"{share}, the domain of several accounts ({', '.join(accounts[:5])})")
    return Match(accounts[0], share)
