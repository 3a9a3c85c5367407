"""Questions to the assistant, answered at once from Tandem's stored facts through the same code
the commands use: `explain` for "why is X red" / "how is X doing", the daily snapshots and the
account's timeline for "what changed", the requester's waiting cards, renewals with their risk,
the override log, the sent outbox, the brief and QBR workflows, the drafter for a check-in
(shown, never sent). Every answer names its sources (ticket ids, metric windows, event dates)
and says "I don't know" when the facts are missing; it never guesses.

The account a question names is resolved within the asker's scope (bot.workflows.account_lookup):
several matches give a short pick list, none the closest names, someone else's account a refusal
that tells nothing about it.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from typing import Any

from slack_sdk import WebClient

from bot.assistant.help import help_reply, setup_text
from bot.assistant.resolve import resolve
from bot.assistant.types import Ask, Intent, Reply, Turn
from bot.blocks.brief import build_brief_message
from bot.blocks.mrkdwn import escape, truncate
from bot.blocks.slack_dates import slack_day, slack_time
from bot.commands import explain_account
from bot.deps import Deps
from bot.workflows.account_lookup import UnknownRequester
from bot.workflows.brief import brief_request, owner_name
from bot.workflows.cycle import active_trigger_config
from bot.workflows.draft_requests import draft_request_for
from bot.workflows.draft_step import write_brief, write_drafts
from bot.workflows.qbr import QBRBrief, build_qbr
from bot.workflows.qbr_delivery import deliver_qbr
from scoring.decisions import decide, primary_decision
from scoring.health import score_account
from scoring.money import money
from storage.enums import CardState
from storage.models import Account, EscalationCard, OverrideRecord
from storage.repositories import snapshots, timeline, users
from storage.repositories.facts import book_facts, load_account_facts

logger = logging.getLogger(__name__)

CHANGE_DAYS = 30
SENT_DAYS = 90
MAX_ROWS = 10
DONT_KNOW = "I don't know"
ACCOUNT_INTENTS = frozenset(
    {Intent.WHY_RED, Intent.HOW_IS, Intent.WHAT_CHANGED, Intent.OVERRIDE_LOG, Intent.WHAT_SENT,
     Intent.BRIEF, Intent.QBR, Intent.DRAFT_CHECKIN}
)  # fmt: skip


def answer_read(deps: Deps, turn: Turn, ask: Ask, *, client: WebClient | None = None) -> Reply:
    """The answer to a question intent, from stored facts, with its sources."""
    if ask.intent is Intent.HELP:
        return help_reply(deps, turn.requester)
    with deps.session_factory() as session:
        person = users.get_user(session, slack_id=turn.requester)
    if person is None:
        return Reply(UnknownRequester().message() + "\n\n" + setup_text(), ask.intent.value)
    if ask.intent is Intent.NEEDS_ME:
        return _needs_me(deps, turn.requester)
    if ask.intent is Intent.RENEWALS:
        return _renewals(deps, turn.requester)
    found = resolve(deps, turn, ask)
    if isinstance(found, Reply):
        return found
    account = found.account
    match ask.intent:
        case Intent.WHY_RED | Intent.HOW_IS:
            return _explain(deps, account, ask.intent)
        case Intent.WHAT_CHANGED:
            return _what_changed(deps, account)
        case Intent.OVERRIDE_LOG:
            return _override_log(deps, account)
        case Intent.WHAT_SENT:
            return _what_sent(deps, account)
        case Intent.BRIEF:
            return _brief(deps, account)
        case Intent.QBR:
            return _qbr(deps, account, turn.requester, client)
        case Intent.DRAFT_CHECKIN:
            return _draft_checkin(deps, account)
    return help_reply(deps, turn.requester)


# --- the answers --------------------------------------------------------------------------------


def _today(deps: Deps) -> date:
    return deps.clock.now().date()


def _explain(deps: Deps, account: Account, intent: Intent) -> Reply:
    payload: dict[str, Any] = explain_account(deps, account.account_id, as_of=_today(deps))
    name = escape(account.name)
    band = payload["band"]
    if intent is Intent.WHY_RED and band != "red":
        head = f"*{name}* is not red: health {payload['score']} ({band}) as of {slack_day(_today(deps))}."
    else:
        head = f"*{name}*: health {payload['score']} ({band}), confidence {payload['confidence']}."
    lines = [head, escape(str(payload["explanation"]))]
    lines += [f"_Note:_ {escape(str(note))}" for note in payload["notes"]]
    sources: list[str] = []
    contributors = payload["contributors"]
    if contributors:
        lines.append("*What costs the most points*")
    for c in contributors:
        lines.append(f"• *{escape(c['factor'])}* (−{c['points']:.0f} points): {escape(str(c['detail']))}")
        for evidence in c["evidence"]:
            lines.append(f"    ◦ {escape(str(evidence))}")
            sources.append(f"{c['factor']}: {evidence}")
    if not contributors and not payload["factors"]:
        lines.append(f"{DONT_KNOW} more: Tandem has no usage, tickets or billing on record for it.")
    if payload.get("renewal_risk") is not None and payload.get("renewal_date"):
        lines.append(
            f"Renewal risk: {payload['renewal_risk']:.0%} chance of churn at the renewal on "
            f"{slack_day(date.fromisoformat(str(payload['renewal_date'])))}."
        )
    if payload["decisions"]:
        lines.append(f"Tandem's route: {escape(str(payload['route']))}. {escape(str(payload['reason']))}")
    for exception in payload.get("exceptions") or []:
        lines.append(
            f"Exception on {escape(str(exception['trigger']))}: {escape(str(exception['sentence']))}"
        )
    sources.append(f"health snapshot {payload['as_of']} ({account.account_id})")
    return Reply("\n".join(lines), intent.value, sources=tuple(sources), account_id=account.account_id)


def _what_changed(deps: Deps, account: Account) -> Reply:
    today = _today(deps)
    since_day = today - timedelta(days=CHANGE_DAYS)
    since = datetime.combine(since_day, datetime.min.time()).replace(tzinfo=deps.clock.now().tzinfo)
    with deps.session_factory() as session:
        history = snapshots.score_history(session, account_id=account.account_id, since=since_day)
        tickets = timeline.tickets_opened(session, account_id=account.account_id, since=since)
        events = timeline.context_events(session, account_id=account.account_id, since=since)
        sent = timeline.sent_touches(session, account_id=account.account_id, since=since)
        replies = timeline.replies(session, account_id=account.account_id, since=since)
    name = escape(account.name)
    lines = [f"*{name}* since {slack_day(since_day)}:"]
    sources: list[str] = []
    if len(history) >= 2:
        (first_day, first), (last_day, last) = history[0], history[-1]
        lines.append(
            f"• Health {first} on {slack_day(first_day)} → {last} on {slack_day(last_day)} ({last - first:+d})."
        )
        sources.append(f"health snapshots {first_day.isoformat()}..{last_day.isoformat()}")
    for ticket in tickets.rows[:MAX_ROWS]:
        lines.append(f"• Ticket {escape(ticket.ticket_id)} opened {slack_day(ticket.opened_at.date())} "
                     f"({escape(str(ticket.severity))}): “{escape(truncate(ticket.subject, 120))}”")  # fmt: skip
        sources.append(f"ticket {ticket.ticket_id} ({ticket.opened_at.date().isoformat()})")
    for event in events.rows[:MAX_ROWS]:
        lines.append(f"• {escape(str(event.kind))} from {slack_day(event.starts_at.date())}: "
                     f"{escape(truncate(str(getattr(event, 'note', '') or ''), 160))}")  # fmt: skip
        sources.append(f"event {event.kind} {event.starts_at.date().isoformat()}")
    if sent.total:
        lines.append(f"• Tandem sent {sent.total} touch(es); the customer replied {replies.total} time(s).")
        sources.append(f"outbox: {sent.total} sent since {since_day.isoformat()}")
    if len(lines) == 1:
        lines.append(
            f"{DONT_KNOW} of any change: no snapshots, tickets, events or touches on record since then."
        )
    return Reply(
        "\n".join(lines), Intent.WHAT_CHANGED.value, sources=tuple(sources), account_id=account.account_id
    )


def _needs_me(deps: Deps, requester: str) -> Reply:
    with deps.session_factory() as session:
        rows = (
            session.execute(
                EscalationCard.__table__.select()
                .where(
                    EscalationCard.recipient_slack_id == requester,
                    EscalationCard.state == CardState.PENDING.value,
                )
                .order_by(EscalationCard.created_at)
            )
            .mappings()
            .all()
        )
        names = {a.account_id: a.name for a in session.query(Account).filter(
            Account.account_id.in_([r["account_id"] for r in rows]))}  # fmt: skip
    if not rows:
        return Reply("Nothing is waiting for you: no pending cards.", Intent.NEEDS_ME.value,
                     sources=("pending cards (none)",))  # fmt: skip
    lines = [f"*{len(rows)} card(s) wait for you*:"]
    sources = []
    for row in rows[:MAX_ROWS]:
        rung = f", rung {row['rung']}" if row.get("rung") else ""
        since = slack_time(row["created_at"])
        lines.append(
            f"• *{escape(names.get(row['account_id'], row['account_id']))}*: card {row['id']} since {since}{rung}"
        )
        sources.append(f"card {row['id']} ({row['account_id']})")
    if len(rows) > MAX_ROWS:
        lines.append(f"…and {len(rows) - MAX_ROWS} more on your *Home* tab.")
    return Reply("\n".join(lines), Intent.NEEDS_ME.value, sources=tuple(sources))


def quarter_end(day: date) -> date:
    first_of_next = date(day.year + (day.month > 9), (((day.month - 1) // 3 + 1) * 3) % 12 + 1, 1)
    return first_of_next - timedelta(days=1)


def _renewals(deps: Deps, requester: str) -> Reply:
    today = _today(deps)
    end = quarter_end(today)
    with deps.session_factory() as session:
        owners = users.visible_owners(session, actor=requester)
        query = session.query(Account).filter(Account.renewal_date >= today, Account.renewal_date <= end)
        if owners is not None:
            query = query.filter(Account.owner_slack_id.in_(owners))
        accounts = query.order_by(Account.renewal_date).all()
        for account in accounts:
            session.expunge(account)
        facts = (
            load_account_facts(session, as_of=today, account_ids=[a.account_id for a in accounts])
            if accounts
            else []
        )
    if not accounts:
        return Reply(f"None of your accounts renews between {slack_day(today)} and {slack_day(end)}.",
                     Intent.RENEWALS.value, sources=(f"renewal dates {today.isoformat()}..{end.isoformat()}",))  # fmt: skip
    _, config = active_trigger_config(deps)
    scored = {f.account_id: score_account(f, as_of=today, config=config) for f in facts}
    ranked = sorted(accounts, key=lambda a: -(scored[a.account_id].renewal_risk or 0.0))
    lines = [f"*{len(accounts)} account(s) renew by {slack_day(end)}*, riskiest first:"]
    sources = []
    for account in ranked[: MAX_ROWS * 2]:
        health = scored[account.account_id]
        risk = f"{health.renewal_risk:.0%} churn risk" if health.renewal_risk is not None else "risk unknown"
        assert account.renewal_date is not None
        lines.append(f"• *{escape(account.name)}* renews {slack_day(account.renewal_date)}: {risk}, "
                     f"health {health.score} ({health.band.value}), ARR {money(account.arr)}")  # fmt: skip
        sources.append(
            f"{account.account_id}: renewal {account.renewal_date.isoformat()}, scored {today.isoformat()}"
        )
    return Reply("\n".join(lines), Intent.RENEWALS.value, sources=tuple(sources))


def _override_log(deps: Deps, account: Account) -> Reply:
    with deps.session_factory() as session:
        rows = list(session.scalars(
            OverrideRecord.__table__.select().with_only_columns(OverrideRecord.id)
            .where(OverrideRecord.account_id == account.account_id)
            .order_by(OverrideRecord.at.desc(), OverrideRecord.id.desc()).limit(MAX_ROWS)
        ))  # fmt: skip
        records = [session.get(OverrideRecord, row_id) for row_id in rows]
        names = users.names_by_id(session)
        lines = [f"*Override log for {escape(account.name)}* (newest first):"]
        sources = []
        for r in records:
            if r is None:
                continue
            what = (
                f"{r.action}"
                + (f" on {r.trigger}" if r.trigger else "")
                + (f" (proposed {r.proposed_route})" if r.proposed_route else "")
            )
            why = f": “{escape(truncate(r.reason, 160))}”" if r.reason else ""
            lines.append(
                f"• {slack_time(r.at)} {escape(names.get(r.actor_slack_id, r.actor_slack_id))} {escape(what)}{why}"
            )
            sources.append(f"override_log #{r.id} ({r.at.date().isoformat()})")
    if not sources:
        lines = [f"The override log has nothing for *{escape(account.name)}* yet."]
    return Reply(
        "\n".join(lines), Intent.OVERRIDE_LOG.value, sources=tuple(sources), account_id=account.account_id
    )


def _what_sent(deps: Deps, account: Account) -> Reply:
    since = deps.clock.now() - timedelta(days=SENT_DAYS)
    with deps.session_factory() as session:
        sent = timeline.sent_touches(session, account_id=account.account_id, since=since)
        rows = [(m.id, m.sent_at, m.channel, m.recipient, m.subject) for m in sent.rows]
    if not rows:
        text = f"Tandem sent nothing to *{escape(account.name)}* in the last {SENT_DAYS} days."
        return Reply(text, Intent.WHAT_SENT.value, sources=(f"outbox since {since.date().isoformat()}",),
                     account_id=account.account_id)  # fmt: skip
    lines = [f"*Tandem sent {sent.total} touch(es) to {escape(account.name)}* in the last {SENT_DAYS} days:"]
    sources = []
    for message_id, sent_at, channel, recipient, subject in rows[:MAX_ROWS]:
        when = slack_time(sent_at) if sent_at else "?"
        lines.append(
            f"• {when} by {escape(channel)} to {escape(recipient)}: {escape(truncate(subject or '(no subject)', 120))}"
        )
        sources.append(f"outbox #{message_id} ({sent_at.date().isoformat() if sent_at else '?'})")
    return Reply(
        "\n".join(lines), Intent.WHAT_SENT.value, sources=tuple(sources), account_id=account.account_id
    )


def _brief(deps: Deps, account: Account) -> Reply:
    result = write_brief(deps, brief_request(deps, account), account_id=account.account_id)
    text, blocks = build_brief_message(account.name, result)
    sources = tuple(s.line() for s in result.document.cited()) if result.document else ()
    body = result.body if not result.document else text
    return Reply(body, Intent.BRIEF.value, blocks=blocks, sources=sources, account_id=account.account_id,
                 via="grammar" if result.is_template else f"grammar+{result.author}",
                 prompt_tokens=result.prompt_tokens, completion_tokens=result.completion_tokens,
                 cost_usd=result.cost_usd)  # fmt: skip


def _qbr(deps: Deps, account: Account, requester: str, client: WebClient | None) -> Reply:
    brief = build_qbr(deps, query=account.account_id, actor=requester)
    if not isinstance(brief, QBRBrief):
        return Reply(brief.message(), Intent.QBR.value)
    web = client or getattr(deps.poster, "_client", None)
    if not isinstance(web, WebClient):
        return Reply("I can't post the QBR brief here (no Slack client).", Intent.QBR.value)
    delivered = deliver_qbr(web, user_id=requester, brief=brief)
    sources = tuple(s.line() for s in brief.result.document.cited()) if brief.result.document else ()
    text = (f"The QBR brief for *{escape(account.name)}* is in our DM, with its 90-day chart and a Markdown "
            f"copy in its thread ({brief.snapshot_days} days of health snapshots).")  # fmt: skip
    del delivered
    return Reply(text, Intent.QBR.value, sources=sources, account_id=account.account_id,
                 prompt_tokens=brief.result.prompt_tokens, completion_tokens=brief.result.completion_tokens,
                 cost_usd=brief.result.cost_usd)  # fmt: skip


def _draft_checkin(deps: Deps, account: Account) -> Reply:
    today = _today(deps)
    _, config = active_trigger_config(deps)
    with deps.session_factory() as session:
        facts = load_account_facts(session, as_of=today, account_ids=[account.account_id])[0]
        book = book_facts(session)
        owner = owner_name(session, account)
    health = score_account(facts, as_of=today, config=config)
    decision = primary_decision(decide(facts, health, book=book, as_of=today, config=config))
    if decision is None:
        return Reply(
            f"Nothing has fired on *{escape(account.name)}* (health {health.score}, {health.band.value}), so I have "
            "no reason to write to them on record. I don't know what a check-in should say; "
            "`/brief` shows everything Tandem knows.",
            Intent.DRAFT_CHECKIN.value,
            account_id=account.account_id,
        )
    request = draft_request_for(facts, health, decision, owner_name=owner)
    [result] = write_drafts(deps, [request])
    lines = [
        f"*Draft check-in for {escape(account.name)}* (not sent; nothing goes out from here):",
        f"*Subject:* {escape(result.subject)}",
        "\n".join(f"> {escape(line)}" for line in result.body.splitlines()),
    ]
    if result.needs_review:
        lines.append(f"⚠️ Needs human review: {escape(result.needs_review)}")
    sources = [
        f"trigger {decision.trigger.value} ({today.isoformat()})",
        *(f"ticket {t.ticket_id}" for t in request.tickets),
    ]
    via = "grammar" if result.is_template else f"grammar+{result.author}"
    return Reply("\n".join(lines), Intent.DRAFT_CHECKIN.value, sources=tuple(sources), account_id=account.account_id,
                 via=via, prompt_tokens=result.prompt_tokens, completion_tokens=result.completion_tokens,
                 cost_usd=result.cost_usd)  # fmt: skip
