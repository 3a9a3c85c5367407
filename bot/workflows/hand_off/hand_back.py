"""How a take-over's hold on an account ends: **Hand back to Tandem**, or by itself.

A person may hand an account back when they hold it, are the holder's manager, or are in ops
or admin; anyone else is refused and nothing changes. The hold is cleared by a guarded update
(only the click that ended it acts: a second click is told who handed it back, and when), the
override log gets a `handed_back` row with the actor, and every hand-off packet on the account
shows who handed it back in place of its button.

By itself: an account held for `attention.hand_back_days - attention.hand_back_reminder_days`
days gets its holder a reminder (once per hold; **Keep it** restarts the period, **Hand back
now** hands it back), and once held `hand_back_days` days, and at least `hand_back_reminder_days`
after the reminder, it goes back to Tandem (actor `tandem`) and the holder is told. The
reminder and each hand-back are override-log rows too.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session

from bot.blocks.hand_off import build_handed_back_notice, build_reminder, handed_back_line, mark_handed_back
from bot.blocks.mrkdwn import escape
from bot.blocks.slack_dates import slack_time
from bot.delivery.notices import deliver_notices, owe_notice
from bot.deps import Deps
from bot.workflows.cycle import active_trigger_config
from bot.workflows.refused import Refused
from scoring.config import Attention
from storage.db import transaction
from storage.enums import DeliveryKind
from storage.models import Account
from storage.repositories import accounts, deliveries, overrides, users
from storage.repositories.overrides import SYSTEM_ACTOR

logger = logging.getLogger(__name__)
HANDED_BACK = "handed_back"
KEPT = "hold_kept"
REMINDED = "hand_back_reminded"


@dataclass(frozen=True)
class PacketUpdate:
    channel_id: str
    ts: str
    text: str
    blocks: list[dict[str, object]]


@dataclass(frozen=True)
class HandedBack:
    account_id: str
    account_name: str
    by: str
    at: datetime
    line: str  # what the packets (and a reminder) now say
    packets: tuple[PacketUpdate, ...] = ()


@dataclass(frozen=True)
class Kept:
    account_name: str
    line: str


@dataclass
class HandBackRun:
    reminded: list[str] = field(default_factory=list)  # account ids
    handed_back: list[HandedBack] = field(default_factory=list)


def hand_back(deps: Deps, *, account_id: str, actor: str) -> HandedBack | Refused:
    now = deps.clock.now()
    with transaction(deps.session_factory) as session:
        account = accounts.get_account(session, account_id=account_id)
        if account is None:
            return Refused("That account no longer exists. Nothing was changed.")
        holder, since = account.human_handled_by, account.human_handled_since
        if holder is None:
            return Refused(_already(session, account))
        if not _may_release(session, holder=holder, actor=actor):
            return Refused(
                f"Only <@{holder}>, who holds {escape(account.name)}, their manager or ops can hand it back to "
                "Tandem. Nothing was changed."
            )
        if not accounts.hand_back(session, account_id=account_id, holder=holder):
            session.refresh(account)
            return Refused(_already(session, account))  # someone else's click won
        return _handed_back(session, account, holder=holder, since=since, actor=actor, now=now)


def keep(deps: Deps, *, account_id: str, actor: str) -> Kept | Refused:
    """Keep it: the hold's period starts again and the reminder is owed again when it runs low."""
    now = deps.clock.now()
    _, config = active_trigger_config(deps)
    with transaction(deps.session_factory) as session:
        account = accounts.get_account(session, account_id=account_id)
        if account is None:
            return Refused("That account no longer exists. Nothing was changed.")
        holder = account.human_handled_by
        if holder is None:
            return Refused(_already(session, account))
        if not _may_release(session, holder=holder, actor=actor):
            return Refused(
                f"Only <@{holder}>, their manager or ops can keep {escape(account.name)}. Nothing was changed."
            )
        if not accounts.restart_hold(session, account_id=account_id, holder=holder, now=now):
            session.refresh(account)
            return Refused(_already(session, account))
        overrides.record_hand_off(session, account_id=account_id, action=KEPT, actor=actor, now=now,
                                  reason=f"<@{holder}> keeps it: the hold restarts")  # fmt: skip
        returns = now + timedelta(days=config.attention.hand_back_days)
        return Kept(
            account.name,
            f"👍 Kept by <@{actor}> {slack_time(now)}: <@{holder}> holds {escape(account.name)}; it goes back to "
            f"Tandem {slack_time(returns)} unless handed back sooner (with a reminder first).",
        )


def run_hand_backs(deps: Deps) -> HandBackRun:
    """The scheduled pass: remind the holders whose hold runs low, hand back the holds that ran out."""
    now = deps.clock.now()
    _, config = active_trigger_config(deps)
    rules = config.attention
    hold = timedelta(days=rules.hand_back_days)
    remind = timedelta(days=rules.hand_back_reminder_days)
    with deps.session_factory() as session:
        due = [a.account_id for a in accounts.held_since_before(session, before=now - hold + remind)]
    run = HandBackRun()
    for account_id in due:
        with transaction(deps.session_factory) as session:
            account = accounts.get_account(session, account_id=account_id)
            if account is None or account.human_handled_by is None or account.human_handled_since is None:
                continue
            outcome = _step(session, account, rules=rules, now=now)
        if isinstance(outcome, HandedBack):
            run.handed_back.append(outcome)
        elif outcome:
            run.reminded.append(account_id)
    if run.reminded or run.handed_back:
        deliver_notices(deps)
    for outcome in run.handed_back:
        show_handed_back(deps, outcome)
    return run


def _step(session: Session, account: Account, *, rules: Attention, now: datetime) -> HandedBack | bool:
    """One held account's turn: its reminder (True), its hand-back, or nothing yet (False)."""
    holder, since = account.human_handled_by or "", account.human_handled_since or now
    remind = timedelta(days=rules.hand_back_reminder_days)
    ends = since + timedelta(days=rules.hand_back_days)
    if remind:
        if account.hand_back_reminded_at is None:
            if not accounts.mark_hand_back_reminded(
                session, account_id=account.account_id, holder=holder, now=now
            ):
                return False
            returns = max(ends, now + remind)  # the holder always gets the reminder's notice
            text, blocks = build_reminder(account_id=account.account_id, account_name=account.name,
                                          holder=holder, since=since, returns_at=returns)  # fmt: skip
            owe_notice(session, key=f"hand-back-reminder:{account.account_id}:{since.isoformat()}",
                       kind=DeliveryKind.HAND_BACK, recipients=[holder], text=text, blocks=blocks, now=now)  # fmt: skip
            overrides.record_hand_off(session, account_id=account.account_id, action=REMINDED, actor=SYSTEM_ACTOR,
                                      now=now, reason=f"<@{holder}> reminded: it goes back to Tandem "
                                      f"{returns:%Y-%m-%d %H:%M} UTC")  # fmt: skip
            return True
        ends = max(ends, account.hand_back_reminded_at + remind)
    if now < ends or not accounts.hand_back(session, account_id=account.account_id, holder=holder):
        return False
    outcome = _handed_back(session, account, holder=holder, since=since, actor=SYSTEM_ACTOR, now=now)
    text, blocks = build_handed_back_notice(account_name=account.name, held_since=since, at=now)
    owe_notice(session, key=f"hand-back:{account.account_id}:{since.isoformat()}", kind=DeliveryKind.HAND_BACK,
               recipients=[holder], text=text, blocks=blocks, now=now)  # fmt: skip
    return outcome


def _handed_back(
    session: Session, account: Account, *, holder: str, since: datetime | None, actor: str, now: datetime
) -> HandedBack:
    automatic = actor == SYSTEM_ACTOR
    held = (now - since).total_seconds() if since is not None else 0.0
    why = (
        f"after {held / 86400:.0f} days, with no answer to the reminder"
        if automatic
        else ("by the holder" if actor == holder else f"held by <@{holder}>")
    )
    overrides.record_hand_off(session, account_id=account.account_id, action=HANDED_BACK, actor=actor, now=now,
                              reason=why, seconds_to_decide=held)  # fmt: skip
    line = handed_back_line(by=actor, at=now, automatic=automatic)
    return HandedBack(
        account.account_id, account.name, actor, now, line, close_packets(session, account, line)
    )


def close_packets(session: Session, account: Account, line: str) -> tuple[PacketUpdate, ...]:
    """Every posted packet on the account still offering Hand back now says who handed it back."""
    closed = []
    for row in deliveries.sent_for_account(
        session, kind=DeliveryKind.HAND_OFF, account_id=account.account_id
    ):
        blocks = list(row.blocks or [])
        if not row.channel_id or not row.message_ts or not any(b.get("type") == "actions" for b in blocks):
            continue
        row.blocks = mark_handed_back(blocks, line)
        closed.append(PacketUpdate(row.channel_id, row.message_ts, row.text, list(row.blocks)))
    return tuple(closed)


def show_handed_back(deps: Deps, outcome: HandedBack) -> None:
    """Update the packets in Slack (a packet that cannot be updated stays as it was: logged)."""
    update_packets(deps, outcome.packets)


def update_packets(deps: Deps, packets: tuple[PacketUpdate, ...]) -> None:
    for packet in packets:
        try:
            deps.poster.update(
                channel=packet.channel_id, ts=packet.ts, text=packet.text, blocks=packet.blocks
            )
        except SlackApiError as error:
            logger.warning("could not update hand-off packet %s/%s: %s", packet.channel_id, packet.ts, error)


def _may_release(session: Session, *, holder: str, actor: str) -> bool:
    if actor == holder or users.is_ops_or_admin(session, slack_id=actor):
        return True
    manager = users.manager_of(session, slack_id=holder)
    return manager is not None and manager.slack_id == actor


def _already(session: Session, account: Account) -> str:
    ended = overrides.last_hand_back(session, account_id=account.account_id)
    if ended is None:
        return (
            f"{escape(account.name)} is not held by anyone: Tandem already handles it. Nothing was changed."
        )
    who = "automatically" if ended.actor_slack_id == SYSTEM_ACTOR else f"by <@{ended.actor_slack_id}>"
    how = "handed back to Tandem" if ended.action == HANDED_BACK else "handed back to Tandem (veto lifted)"
    return f"{escape(account.name)} was already {how} {who} {slack_time(ended.at)}. Nothing was changed."
