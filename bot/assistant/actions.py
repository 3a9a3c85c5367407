"""Requests that change something, asked in words: never run from words alone.

`propose` validates the request (the account exists and is in the asker's scope; a card's
request is asked in that card's thread; the arguments are complete), stores it as a pending
action (`assistant_actions`) and returns the Confirm card: "Pause automation on *Acme* for 14
days?" with **Confirm** and **Cancel**. Only a click on that card carries it out (`confirm`):
the clicker is checked (the requester, or anyone whose role allows acting on the account: the
account's CSM, their manager, ops and admin), the pending action is consumed once by a guarded
update, refused when expired, and carried out through the same workflow the buttons and slash
commands use (veto, flag, snooze, take over; pause has its own, bot.workflows.pause), acting as
the clicker. Each executed action adds an override-log row saying it came from the
conversation. Nothing here reads text as a confirmation: a typed "yes" is just another message.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.assistant.types import ACTION_INTENTS, Ask, Intent, Reply, Turn
from bot.blocks.assistant_actions import closed_card, confirm_card
from bot.blocks.mrkdwn import escape, truncate
from bot.blocks.slack_dates import slack_day, slack_time
from bot.deps import Deps
from bot.workflows import card_decisions, manual_flag, pause, snooze, veto
from bot.workflows.account_lookup import resolve_account
from bot.workflows.card_decisions import Decided
from bot.workflows.refused import Refused
from storage.db import transaction
from storage.enums import CardKind, CardState, SnoozeMode
from storage.models import Account, AssistantAction, EscalationCard
from storage.repositories import assistant_actions, overrides, users
from storage.repositories.assistant_actions import CANCELLED, CONFIRMED, EXPIRED, PENDING

logger = logging.getLogger(__name__)

EXPIRES_AFTER = timedelta(minutes=15)
REASON_CHARS = 300  # of a flag's reason, as typed
LOGGED_TEXT_CHARS = 300  # of the request, in the override log
DEFAULT_SNOOZE = SnoozeMode.ONE_DAY
VERBS = {
    Intent.PAUSE: "pause its automation",
    Intent.ALWAYS_HUMAN: "change its veto",
    Intent.FLAG: "flag it",
    Intent.SNOOZE: "snooze its card",
    Intent.TAKE_OVER: "take it over",
}
EXAMPLES = {
    Intent.PAUSE: "pause automation on Acme for 14 days",
    Intent.ALWAYS_HUMAN: "always human on Acme",
    Intent.FLAG: "flag Acme: their champion left",
    Intent.SNOOZE: "snooze this for 3 days",
    Intent.TAKE_OVER: "take this over",
}
SNOOZE_LABELS = {
    SnoozeMode.ONE_DAY: "for 1 day",
    SnoozeMode.THREE_DAYS: "for 3 days",
    SnoozeMode.ONE_WEEK: "for 1 week",
    SnoozeMode.UNTIL_WORSE: "until it gets worse",
}
CONVERSATION = "from the conversation"  # the override log's reason prefix
LOGGED_PREFIX = (
    "from_chat_"  # the override log's action: from_chat_pause, … (not a decision: learning ignores it)
)


@dataclass(frozen=True)
class Done:
    """A confirmed request, carried out (or refused by its workflow: `ok` False, `line` says why)."""

    action_id: int
    ok: bool
    line: str  # what the Confirm card now says instead of its buttons
    card_id: int | None = None  # a take-over: its hand-off packet is owed in the card's thread
    take_over: bool = False


@dataclass(frozen=True)
class Cancelled:
    action_id: int
    line: str


# ---------------------------------------------------------------- propose


def propose(deps: Deps, turn: Turn, ask: Ask) -> Reply:
    """Validate the request (the account exists, in the asker's scope), store it as a pending
    action and return the Confirm card; or a refusal naming what is wrong (nothing stored)."""
    intent = ask.intent
    if intent not in ACTION_INTENTS:
        return _refusal(intent, f"I can't {intent.value.replace('_', ' ')} from a conversation.")
    now = deps.clock.now()
    with transaction(deps.session_factory) as session:
        found = _target(session, turn, ask)
        if isinstance(found, Refused):
            return _refusal(intent, found.message)
        account, card = found
        built = _arguments(intent, ask, account, card, now)
        if isinstance(built, Refused):
            return _refusal(intent, built.message, account.account_id)
        summary, args = built
        args["text"] = turn.text[:LOGGED_TEXT_CHARS]
        row = assistant_actions.create(
            session, requester=turn.requester, action=intent.value, account_id=account.account_id,
            card_id=card.id if card is not None else None, args=args, summary=summary, channel=turn.channel,
            thread_ts=turn.thread_ts, now=now, expires_at=now + EXPIRES_AFTER,
        )  # fmt: skip
        action_id = row.id
    note = f"Only a click on Confirm does it (typing “yes” does not). This request expires {slack_time(now + EXPIRES_AFTER)}."
    text, blocks = confirm_card(summary=summary, action_id=action_id, note=note)
    return Reply(text, intent.value, blocks=blocks, account_id=account.account_id, action_id=action_id)


def _refusal(intent: Intent, message: str, account_id: str | None = None) -> Reply:
    return Reply(message, intent.value, account_id=account_id)


def _target(session: Any, turn: Turn, ask: Ask) -> tuple[Account, EscalationCard | None] | Refused:
    """The account (and, in a card's thread, the card) the request is about, within scope."""
    intent = ask.intent
    verb = VERBS[intent]
    if users.get_user(session, slack_id=turn.requester) is None:
        found = resolve_account(session, query=ask.account or "", actor=turn.requester)
        assert not isinstance(found, Account)
        return Refused(found.message())
    card = session.get(EscalationCard, turn.card_id) if turn.card_id is not None else None
    needs_card = intent in (Intent.SNOOZE, Intent.TAKE_OVER)
    if needs_card and card is None:
        return Refused(
            f"Say it in the card's thread: “{EXAMPLES[intent]}” there means that card. Nothing was changed."
        )
    query = (ask.account or "").strip()
    if not query or query.lower() == "this":
        account_id = turn.account_id or (card.account_id if card is not None else None)
        account = session.get(Account, account_id) if account_id else None
        if account is None:
            return Refused(f"Which account? Name it, e.g. “{EXAMPLES[intent]}”. Nothing was changed.")
        if not users.may_act_on(session, account=account, actor=turn.requester):
            return Refused(f"Only the account's CSM, their manager, or ops can {verb}. Nothing was changed.")
    else:
        found = resolve_account(
            session, query=query, actor=turn.requester, command=EXAMPLES[intent].split(" Acme")[0],
            action=verb, outcome="Nothing was changed.",
        )  # fmt: skip
        if not isinstance(found, Account):
            return Refused(found.message())
        account = found
    if card is not None and card.account_id != account.account_id:
        if needs_card:
            return Refused("This thread is another account's card. Nothing was changed.")
        card = None  # a request about another account, asked in a card's thread
    if needs_card:
        assert card is not None
        if card.state != CardState.PENDING:
            who = f" by <@{card.decided_by}>" if card.decided_by else ""
            return Refused(f"Already handled: {card.state.replace('_', ' ')}{who}. Nothing was changed.")
        if intent is Intent.SNOOZE and card.kind != CardKind.FIRED:
            return Refused("Only a card a trigger fired can be snoozed. Nothing was changed.")
    return account, card


def _arguments(
    intent: Intent, ask: Ask, account: Account, card: EscalationCard | None, now: datetime
) -> tuple[str, dict[str, Any]] | Refused:
    """The Confirm card's question and the stored arguments, or what is missing."""
    name = f"*{escape(account.name)}*"
    if intent is Intent.PAUSE:
        if ask.days is None:
            return Refused(
                f"For how many days? e.g. “pause automation on {escape(account.name)} for 14 days”."
            )
        if not 1 <= ask.days <= pause.MAX_DAYS:
            return Refused(f"Pause for 1 to {pause.MAX_DAYS} days. Nothing was changed.")
        until = (now + timedelta(days=ask.days)).date()
        why = f" ({escape(truncate(ask.reason, REASON_CHARS))})" if ask.reason else ""
        summary = f"Pause automation on {name} for {ask.days} days, until {slack_day(until)}?{why}"
        return summary, {"days": ask.days, "reason": ask.reason or ""}
    if intent is Intent.ALWAYS_HUMAN:
        if account.always_human:
            return Refused(
                f"{escape(account.name)} is already “always human” (set by <@{account.always_human_by}>)."
            )
        return (
            f"Set {name} to “always human”: a person handles every touchpoint until the veto is lifted?",
            {},
        )
    if intent is Intent.FLAG:
        reason = (ask.reason or "").strip()
        if not reason:
            return Refused(
                f"Say why, so the card tells the story: “flag {escape(account.name)}: what you noticed”."
            )
        reason = truncate(reason, REASON_CHARS)
        return f"Flag {name} for a person: “{escape(reason)}”?", {"reason": reason}
    if intent is Intent.SNOOZE:
        mode = SnoozeMode(ask.snooze) if ask.snooze in set(SnoozeMode) else DEFAULT_SNOOZE
        return f"Snooze {name}'s card {SNOOZE_LABELS[mode]}?", {"mode": mode.value}
    assert intent is Intent.TAKE_OVER and card is not None
    return (
        f"Take over {name}'s card? The account becomes yours to handle; automation pauses while you hold it.",
        {},
    )


# ---------------------------------------------------------------- the click


def confirm(deps: Deps, *, action_id: int, actor: str, message_ts: str | None = None) -> Done | Refused:
    """A click on Confirm: checked, consumed once, carried out as `actor`, logged, and the
    Confirm card updated in place. A stranger's click changes nothing."""
    now = deps.clock.now()
    with transaction(deps.session_factory) as session:
        checked = _check(session, action_id=action_id, actor=actor, now=now)
        if isinstance(checked, Refused):
            return checked
        row = checked
        if now >= row.expires_at:
            assistant_actions.decide(session, action_id=action_id, state=EXPIRED, by=actor, now=now,
                                     message_ts=message_ts)  # fmt: skip
            expired = f"⌛ This request expired {slack_time(row.expires_at)}: nothing was done. Ask again if it still applies."
            assistant_actions.set_result(session, action_id=action_id, result="expired")
            summary, channel, ts = row.summary, row.channel, message_ts or row.message_ts
            refused = Refused(expired)
        else:
            if not assistant_actions.decide(
                session, action_id=action_id, state=CONFIRMED, by=actor, now=now, message_ts=message_ts
            ):
                session.expire_all()
                again = assistant_actions.get(session, action_id=action_id)
                assert again is not None
                return _already(again)
            refused = None
            intent, args = Intent(row.action), dict(row.args)
            account_id, card_id, requester = row.account_id, row.card_id, row.requester
            summary, channel, ts = row.summary, row.channel, message_ts or row.message_ts
    if refused is not None:
        _update_card(deps, channel=channel, ts=ts, summary=summary, line=refused.message)
        return refused
    assert account_id is not None
    done = _carry_out(deps, intent=intent, args=args, account_id=account_id, card_id=card_id, actor=actor)
    ok = not isinstance(done, Refused)
    if isinstance(done, Refused):
        line = f"⚠️ Not done: {done.message}"
    else:
        line = f"✅ Done by <@{actor}> {slack_time(now)}: {done}"
    with transaction(deps.session_factory) as session:
        assistant_actions.set_result(session, action_id=action_id, result=line)
        if ok:
            text = str(args.get("text") or "")
            asked = f" (asked by <@{requester}>)" if requester != actor else ""
            overrides.record_account_action(
                session, account_id=account_id, action=f"{LOGGED_PREFIX}{intent.value}", actor=actor, now=now,
                reason=f"{CONVERSATION}: {text}{asked}",
            )  # fmt: skip
    _update_card(deps, channel=channel, ts=ts, summary=summary, line=line)
    return Done(action_id, ok, line, card_id=card_id, take_over=ok and intent is Intent.TAKE_OVER)


def cancel(deps: Deps, *, action_id: int, actor: str, message_ts: str | None = None) -> Cancelled | Refused:
    """A click on Cancel: the same checks as Confirm; the request is closed, nothing is done."""
    now = deps.clock.now()
    with transaction(deps.session_factory) as session:
        checked = _check(session, action_id=action_id, actor=actor, now=now)
        if isinstance(checked, Refused):
            return checked
        row = checked
        if not assistant_actions.decide(
            session, action_id=action_id, state=CANCELLED, by=actor, now=now, message_ts=message_ts
        ):
            session.expire_all()
            again = assistant_actions.get(session, action_id=action_id)
            assert again is not None
            return _already(again)
        line = f"✖️ Cancelled by <@{actor}> {slack_time(now)}: nothing was done."
        assistant_actions.set_result(session, action_id=action_id, result=line)
        summary, channel, ts = row.summary, row.channel, message_ts or row.message_ts
    _update_card(deps, channel=channel, ts=ts, summary=summary, line=line)
    return Cancelled(action_id, line)


def _check(session: Any, *, action_id: int, actor: str, now: datetime) -> AssistantAction | Refused:
    row = assistant_actions.get(session, action_id=action_id)
    if row is None:
        return Refused("This request no longer exists. Nothing was changed.")
    account = session.get(Account, row.account_id) if row.account_id else None
    if account is None or not users.may_act_on(session, account=account, actor=actor):
        return Refused(
            f"Only <@{row.requester}> or someone who may act on the account (its CSM, their manager, ops) "
            "can answer this request. Nothing was changed."
        )
    if row.state != PENDING:
        return _already(row)
    return row


def _already(row: AssistantAction) -> Refused:
    who = f"<@{row.decided_by}>" if row.decided_by else "someone"
    when = f" {slack_time(row.decided_at)}" if row.decided_at else ""
    if row.state == EXPIRED:
        return Refused("This request expired: nothing was done. Ask again if it still applies.")
    return Refused(f"Already {row.state} by {who}{when}. Nothing was changed.")


def _carry_out(
    deps: Deps, *, intent: Intent, args: dict[str, Any], account_id: str, card_id: int | None, actor: str
) -> str | Refused:
    """The same workflow the buttons and slash commands use, as `actor`; what it did, in words."""
    text = str(args.get("text") or "")
    note = f"{CONVERSATION}: {text}" if text else CONVERSATION
    if intent is Intent.PAUSE:
        paused = pause.pause_automation(
            deps, account_id=account_id, actor=actor, days=int(args["days"]), note=note
        )
        if isinstance(paused, Refused):
            return paused
        stopped = f" {paused.cancelled} queued automated message(s) cancelled." if paused.cancelled else ""
        return (
            f"automation on {escape(paused.account_name)} is paused until {slack_time(paused.until)}; "
            f"a person handles every touchpoint meanwhile.{stopped}"
        )
    if intent is Intent.ALWAYS_HUMAN:
        vetoed = veto.set_veto(deps, account_id=account_id, actor=actor, on=True, note=note)
        return vetoed if isinstance(vetoed, Refused) else escape(veto.describe(vetoed))
    if intent is Intent.FLAG:
        flagged = manual_flag.flag(deps, query=account_id, reason=str(args["reason"]), actor=actor)
        if isinstance(flagged, Refused):
            return flagged
        return f"flagged {escape(flagged.account_name)}: a card is with <@{flagged.owner_slack_id}>."
    assert card_id is not None
    if intent is Intent.SNOOZE:
        slept = snooze.snooze_card(deps, card_id=card_id, actor=actor, mode=str(args["mode"]))
        if isinstance(slept, Refused):
            return slept
        if slept.already:
            return Refused(f"{escape(slept.account_name)}'s card was already snoozed. Nothing was changed.")
        until = f"until {slack_time(slept.until)}" if slept.until else "until it gets worse"
        return f"{escape(slept.account_name)}'s card sleeps {until}."
    taken = card_decisions.take_over(deps, card_id=card_id, actor=actor)
    if not isinstance(taken, Decided):
        return taken
    return f"<@{actor}> took over {escape(taken.view.account_name)}; the hand-off packet follows in the card's thread."


def _update_card(deps: Deps, *, channel: str, ts: str | None, summary: str, line: str) -> None:
    """The Confirm card, in place: its buttons give way to what happened."""
    if not ts:
        return
    text, blocks = closed_card(summary=summary, line=line)
    try:
        deps.poster.update(channel=channel, ts=ts, text=text, blocks=blocks)
    except SlackApiError as error:
        logger.warning("could not update the Confirm card %s/%s: %s", channel, ts, error)
