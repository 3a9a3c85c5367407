"""`/health [@csm]`: whose health the requester asked for, whether they may see it, and the
picture (bands, movers, cards waiting and decided, load) read from storage.

- No argument: a manager (anyone whom others name as their manager) gets their team, a CSM
  their own book, ops and admin the whole book.
- `@csm` (Slack sends `<@U123|name>`; a plain member id or a user's exact name works too): that
  person's book (or team, for a manager), for that person, their manager, ops and admin only;
  anyone else is refused and shown nothing of it.
- A Slack user Tandem does not know is told how to get set up (`NotSetUp`), whatever they typed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.orm import Session

from bot.blocks.mrkdwn import USER_ID, escape
from bot.blocks.team_health import BandLine, CardLine, HealthView, Load, Mover, plural
from bot.deps import Deps
from bot.workflows.cycle import active_trigger_config
from bot.workflows.refused import Refused
from storage.enums import Role
from storage.models import User
from storage.repositories import cards, snapshots, team_health, users
from storage.repositories.team_health import WaitingCard

MENTION = re.compile(r"<@([UW][A-Z0-9]{2,20})(?:\|[^>]*)?>")
MOVER_DAYS = 7
DECIDED_DAYS = 7


@dataclass(frozen=True)
class NotSetUp:
    """The requester is no one Tandem knows: how to get set up, and whom to ask."""

    ops: tuple[str, ...]  # the ops (or admin) users to ask


@dataclass(frozen=True)
class Scope:
    title: str
    owners: frozenset[str] | None  # None: the whole book
    people: tuple[User, ...]  # the CSMs whose load is shown (the whole book: every owner)


def scope_of(session: Session, user: User, *, yours: bool) -> Scope:
    """What `user`'s health covers: the whole book (ops, admin), their team (anyone others name
    as manager, with their own accounts if they have any), or their own book."""
    if user.role in users.ANY_ACCOUNT_ROLES:
        return Scope("The whole book", None, tuple(team_health.account_owners(session)))
    reports = team_health.reports_of(session, manager_slack_id=user.slack_id)
    if reports or user.role == Role.MANAGER:
        mine = [user] if team_health.owns_accounts(session, slack_id=user.slack_id) else []
        people = (*mine, *reports)
        title = "Your team" if yours else f"{user.name}'s team"
        return Scope(title, frozenset(p.slack_id for p in people), people)
    return Scope("Your book" if yours else f"{user.name}'s book", frozenset({user.slack_id}), (user,))


def resolve_target(session: Session, text: str) -> User | Refused | None:
    """The person `/health` names: None when it names no one (the requester's own scope)."""
    said = " ".join(text.split())
    if not said:
        return None
    mention = MENTION.fullmatch(said)
    slack_id = mention.group(1) if mention else said if USER_ID.fullmatch(said) else None
    if slack_id is not None:
        found = users.get_user(session, slack_id=slack_id)
        if found is None:
            return Refused(
                f"Tandem does not know <@{slack_id}>: they are not in `csms.csv`. "
                "Ask ops to add them. Nothing was shown."
            )
        return found
    named = team_health.users_named(session, name=said.removeprefix("@"))
    if len(named) == 1:
        return named[0]
    return Refused(
        f"Tandem knows no one called '{escape(said[:80])}'. Mention them: `/health @name`. Nothing was shown."
    )


def may_see(actor: User, target: User) -> bool:
    """The person themself, their manager, ops and admin."""
    return (
        actor.role in users.ANY_ACCOUNT_ROLES
        or actor.slack_id == target.slack_id
        or target.manager_slack_id == actor.slack_id
    )


def team_health_for(deps: Deps, *, actor: str, text: str) -> HealthView | Refused | NotSetUp:
    now = deps.clock.now()
    _, config = active_trigger_config(deps)
    with deps.session_factory() as session:
        requester = users.get_user(session, slack_id=actor)
        if requester is None:
            return NotSetUp(tuple(users.ops_recipients(session)))
        target = resolve_target(session, text)
        if isinstance(target, Refused):
            return target
        if target is not None and not may_see(requester, target):
            name = escape(target.name)
            return Refused(
                f"Only {name}, their manager, or ops can see {name}'s health, and you are none of them. "
                "Nothing was shown."
            )
        scope = scope_of(session, target or requester, yours=target is None or target.slack_id == actor)
        budget = config.guardrails.card_budget.per_csm_per_day
        return health_view(session, scope, now=now, currency=deps.settings.currency_symbol, budget=budget)


def health_view(session: Session, scope: Scope, *, now: datetime, currency: str, budget: int) -> HealthView:
    """The scope's picture, read in one session."""
    as_of, bands, unscored, moves = book_bands(session, owners=scope.owners)
    one_person = scope.owners is not None and len(scope.owners) == 1
    names = {} if one_person else {user.slack_id: user.name for user in users.list_users(session)}
    waiting = team_health.waiting_cards(session, owners=scope.owners)
    awake = [card for card in waiting if card.card.snooze_mode is None]
    asleep = sorted(
        (c for c in waiting if c.card.snooze_mode is not None),
        key=lambda c: (c.card.snoozed_until is None, c.card.snoozed_until or now),  # "until worse" last
    )
    day_start = datetime.combine(now.astimezone(UTC).date(), datetime.min.time(), tzinfo=UTC)
    posted = cards.dm_cards_created_on(session, start=day_start, end=day_start + timedelta(days=1))
    load = [
        Load(
            person.name,
            posted.get(person.slack_id, 0),
            sum(1 for c in awake if c.card.recipient_slack_id == person.slack_id),
            sum(1 for c in asleep if c.card.recipient_slack_id == person.slack_id),
        )
        for person in scope.people
    ]
    load.sort(key=lambda row: (-row.posted_today, -row.pending, row.name))
    ups = sorted((m for m in moves if m.after > m.before), key=lambda m: m.before - m.after)
    downs = sorted((m for m in moves if m.after < m.before), key=lambda m: m.after - m.before)
    return HealthView(
        title=scope.title,
        people=_people(scope),
        now=now,
        as_of=as_of,
        currency=currency,
        bands=bands,
        unscored=unscored,
        movers_up=tuple(ups[:5]),
        movers_down=tuple(downs[:5]),
        waiting=tuple(card_line_of(card, names) for card in awake),
        snoozed=tuple(card_line_of(card, names) for card in asleep),
        decided=dict(team_health.decided_since(session, owners=scope.owners, since=now - timedelta(days=DECIDED_DAYS))),
        budget=budget,
        load=tuple(load),
    )  # fmt: skip


def book_bands(
    session: Session, *, owners: frozenset[str] | None
) -> tuple[date | None, tuple[BandLine, ...], int, list[Mover]]:
    """(the scoring day, accounts and ARR per band, accounts not scored yet, 7-day score changes)."""
    accounts = team_health.accounts_in(session, owners=owners)
    as_of = team_health.latest_snapshot_day(session)
    today = snapshots.snapshots_on(session, as_of=as_of) if as_of else {}
    changes = snapshots.score_changes(session, as_of=as_of, days=MOVER_DAYS) if as_of else {}
    bands: dict[str, tuple[int, float]] = {}
    unscored = 0
    moves: list[Mover] = []
    for account in accounts:
        snap = today.get(account.account_id)
        if snap is None:
            unscored += 1
            continue
        count, arr = bands.get(snap.band, (0, 0.0))
        bands[snap.band] = (count + 1, arr + account.arr)
        before_after = changes.get(account.account_id)
        if before_after and before_after[0] != before_after[1]:
            moves.append(Mover(account.name, *before_after))
    lines = tuple(BandLine(band, count, arr) for band, (count, arr) in bands.items())
    return as_of, lines, unscored, moves


def card_line_of(waiting: WaitingCard, names: dict[str, str], *, where: str = "") -> CardLine:
    card = waiting.card
    return CardLine(
        account_name=waiting.account_name,
        what=f"{waiting.trigger} · {waiting.route}" if waiting.trigger else "audit: worth a look?",
        rung=card.rung,
        since=card.posted_at or card.created_at,
        owner_name=names.get(waiting.owner_slack_id, ""),
        snoozed_until=card.snoozed_until,
        snooze_mode=card.snooze_mode,
        where=where,
    )


def _people(scope: Scope) -> str:
    if scope.owners is None:
        return f"Every account · {plural(len(scope.people), 'CSM')}"
    if not scope.people:
        return "No one is on this team in `csms.csv` yet: ask ops to set each CSM's `manager_slack_id`."
    names = ", ".join(escape(person.name) for person in scope.people[:10])
    more = f" and {len(scope.people) - 10} more" if len(scope.people) > 10 else ""
    return f"{plural(len(scope.people), 'CSM')}: {names}{more}"
