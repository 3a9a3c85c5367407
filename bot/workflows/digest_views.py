"""What each person's digest shows, read from storage in a handful of bulk queries (no posting).

Shared by the digest (posted once a day) and App Home (always current). Times are shown in the
reader's own zone; an automated touch shows when it would go out if this digest shows it now.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.blocks.digest import DigestAccount, DigestItem, DigestMover, DigestView
from bot.blocks.mrkdwn import escape
from bot.blocks.slack_dates import slack_time
from bot.delivery.digests import TouchTiming
from bot.settings import Settings
from bot.working_hours import zone_of
from scoring.card_budget import CardCandidate, urgency
from scoring.guardrails import SUPPRESSING_CODES
from scoring.routing import CRISIS_CODE
from scoring.types import Route, TriggerKey
from storage.enums import Rung
from storage.models import Account, EscalationCard, OutboxMessage, User
from storage.repositories import account_exceptions, attention, digest_data, outbox, snapshots

MOVER_DAYS = 7
MIN_MOVE = 5  # points; smaller changes are noise, not news
LAPSES_SHOWN = timedelta(days=1)  # account exceptions that lapsed this recently are a note, with why


def local_now(user: User, now: datetime) -> datetime:
    return now.astimezone(zone_of(user.timezone))


def build_digest_views(
    session: Session, *, users: list[User], now: datetime, timing: TouchTiming | None = None
) -> dict[str, DigestView]:
    """Every requested user's digest, from a handful of bulk queries."""
    timing = timing or TouchTiming.from_settings(Settings())
    as_of = digest_data.latest_snapshot_day(session) or now.date()
    owner_ids = [user.slack_id for user in users]
    accounts = {
        account.account_id: account for account in digest_data.accounts_of(session, owner_ids=owner_ids)
    }
    by_owner: dict[str, list[Account]] = defaultdict(list)
    for account in accounts.values():
        by_owner[account.owner_slack_id].append(account)
    today = snapshots.snapshots_on(session, as_of=as_of)
    changes = snapshots.score_changes(session, as_of=as_of, days=MOVER_DAYS)
    pending = _pending_cards(session, owner_ids, in_dm=True, now=now)
    overflow = _pending_cards(session, owner_ids, in_dm=False, now=now)
    automated = _queued_automated(session, list(accounts))
    failed_sends = outbox.failed_on(session, account_ids=list(accounts))
    held, quiet, tripped = _held_signals(session, list(accounts), as_of)
    lapsed = account_exceptions.lapsed_since(session, account_ids=list(accounts), since=now - LAPSES_SHOWN)

    views: dict[str, DigestView] = {}
    for user in users:
        owned = by_owner.get(user.slack_id, [])
        band_counts: dict[str, int] = defaultdict(int)
        reds: list[DigestAccount] = []
        movers: list[DigestMover] = []
        for account in owned:
            snap = today.get(account.account_id)
            if snap is None:
                continue
            band_counts[snap.band] += 1
            if snap.band == "red":
                reds.append(
                    DigestAccount(account.account_id, account.name, snap.score, snap.band, snap.explanation)
                )
            before_after = changes.get(account.account_id)
            if before_after and abs(before_after[1] - before_after[0]) >= MIN_MOVE:
                movers.append(DigestMover(account.account_id, account.name, *before_after))
        reds.sort(key=lambda item: item.score)
        movers.sort(key=lambda m: -abs(m.after - m.before))
        owned_ids = {account.account_id for account in owned}
        zone = zone_of(user.timezone)
        views[user.slack_id] = DigestView(
            user_slack_id=user.slack_id,
            user_name=user.name,
            local_day=local_now(user, now).date(),
            band_counts=dict(band_counts),
            red_accounts=tuple(reds),
            movers=tuple(movers),
            pending_cards=tuple(_in_zone(item, zone) for item in pending.get(user.slack_id, [])),
            automated=tuple(
                _touch_item(message, name, timing.sendable(now, user), zone)
                for message, name in automated
                if message.account_id in owned_ids
            ),
            held=(
                *(item for acc_id, item in held if acc_id in owned_ids),
                *_breaker_lines(tripped, owned_ids),
            ),
            overflow=tuple(_in_zone(item, zone) for item in overflow.get(user.slack_id, [])),
            quiet=sum(1 for acc_id in quiet if acc_id in owned_ids),
            notes=tuple(
                escape(f"{accounts[row.account_id].name}: {row.lapse_detail}")
                for row in lapsed
                if row.account_id in owned_ids
            ),
            failed_sends=tuple(
                _failed_item(message, accounts[message.account_id].name)
                for message in failed_sends
                if message.account_id in owned_ids
            ),
        )
    return views


def _pending_cards(
    session: Session, owner_ids: list[str], *, in_dm: bool, now: datetime
) -> dict[str, list[DigestItem]]:
    """Pending cards per recipient: those meant for their DM (`in_dm`), or those over a day's
    card budget that wait here to be opened (most important first, each with its card id).
    A human or assist card still with its owner alone since before now is a reminder (the
    escalation ladder's first rung, bot.workflows.ladder); a snoozed card says it sleeps."""
    rows = digest_data.pending_cards_with_context(session, owner_ids=owner_ids, in_dm=in_dm)
    ranked: dict[str, list[tuple[tuple[int, int, float], DigestItem]]] = defaultdict(list)
    for card, name, arr, trigger, route in rows:
        label = f"{trigger} · {route}, waiting since {{at}}"  # the time goes in in the reader's zone
        if card.snooze_mode is not None:
            label = f"💤 snoozed · {label}"
        elif _reminder(card, route, now):
            label = f"⏰ reminder · {label}"
        item = DigestItem(card.account_id, name, label, card.created_at, card_id=None if in_dm else card.id)
        rank = urgency(
            CardCandidate(card.account_id, card.recipient_slack_id, Route(route), TriggerKey(trigger), arr)
        )
        ranked[card.recipient_slack_id].append(((0, 0, 0.0) if in_dm else rank, item))
    return {
        owner: [item for _, item in sorted(items, key=lambda pair: pair[0])]
        for owner, items in ranked.items()
    }


def _reminder(card: EscalationCard, route: str, now: datetime) -> bool:
    """Whether the digest reminds the owner of this card (storage.repositories.attention.remind)."""
    return (
        route in attention.REMINDED_ROUTES
        and card.rung in (Rung.OWNER, Rung.REMINDED)
        and card.ladder_since is not None
        and card.ladder_since < now
    )


def _queued_automated(session: Session, account_ids: list[str]) -> list[tuple[OutboxMessage, str]]:
    """Automated touches still queued on these accounts, with the account's name, oldest first."""
    return digest_data.queued_automated_with_names(session, account_ids=account_ids)


def _touch_item(
    message: OutboxMessage, name: str, sendable_if_shown_now: datetime, zone: ZoneInfo
) -> DigestItem:
    """A queued touch as its CSM reads it: when it goes out, in their time zone. One not shown
    yet goes out after the hold from this digest (a touch shown before keeps its time)."""
    sends = (
        message.send_after
        if message.visible_since is not None
        else max(message.send_after, sendable_if_shown_now)
    )
    return DigestItem(
        message.account_id,
        name,
        f"“{message.subject}” sends {slack_time(sends, fallback_zone=zone)} unless you cancel",
        sends,
        outbox_id=message.id,
    )


def _failed_item(message: OutboxMessage, name: str) -> DigestItem:
    error = (message.last_error or "unknown error")[:120]
    label = f"“{message.subject}” to {message.recipient}: failed after {message.attempts} attempts ({error})"
    return DigestItem(message.account_id, name, label, outbox_id=message.id)


def _in_zone(item: DigestItem, zone: ZoneInfo) -> DigestItem:
    """Fill a label's {at} with the item's time as the reader reads it."""
    if item.at is None or "{at}" not in item.label:
        return item
    return replace(item, label=item.label.replace("{at}", slack_time(item.at, fallback_zone=zone)))


def _held_signals(
    session: Session, account_ids: list[str], as_of: date
) -> tuple[list[tuple[str, DigestItem]], list[str], dict[str, list[str]]]:
    """(what is on hold and why, the accounts whose repeat signals were only kept quiet, the
    circuit-breaker holds by trigger).

    One line per account, however many of its signals are held: an account in crisis (its
    automation paused, its card with a person) says which crisis, every day it lasts. A
    circuit-breaker hold is one line per trigger, not one per account: the cause is the data."""
    rows = digest_data.held_or_crisis_signals(session, as_of=as_of)
    wanted = set(account_ids)
    items: dict[str, DigestItem] = {}
    quiet: list[str] = []
    tripped: dict[str, list[str]] = defaultdict(list)
    for signal, name in rows:
        if signal.account_id not in wanted:
            continue
        codes = signal.reasons.get("codes", []) if isinstance(signal.reasons, dict) else []
        sentences = signal.reasons.get("sentences", []) if isinstance(signal.reasons, dict) else []
        if codes and codes[0] == "circuit_breaker":
            tripped[signal.trigger].append(signal.account_id)
        elif CRISIS_CODE in codes:
            line = sentences[codes.index(CRISIS_CODE)] if len(sentences) == len(codes) else signal.summary
            items.setdefault(signal.account_id, DigestItem(signal.account_id, name, line))
        elif codes and codes[0] in SUPPRESSING_CODES:
            quiet.append(signal.account_id)
        elif signal.route == "hold":
            line = " ".join(sentences) or signal.summary
            items.setdefault(signal.account_id, DigestItem(signal.account_id, name, line))
    return list(items.items()), quiet, dict(tripped)


def _breaker_lines(tripped: dict[str, list[str]], owned_ids: set[str]) -> list[DigestItem]:
    """One line per tripped trigger with how many of this CSM's accounts it held."""
    lines = []
    for trigger, held_ids in sorted(tripped.items()):
        mine = [account_id for account_id in held_ids if account_id in owned_ids]
        if mine:
            label = (
                f"{trigger} held on {len(mine)} of your account{'s' if len(mine) != 1 else ''}: it fired on an "
                "implausible share of the book, likely a data problem; ops has been alerted."
            )
            lines.append(DigestItem(mine[0], "Circuit breaker", label))
    return lines
