"""`python app.py demo`: the whole loop on an embedded SQLite book, no Slack or LLM needed.

Seeds a synthetic book (with the seeds' hard cases planted), runs one daily cycle, renders the
cards and a digest as they would appear in Slack, then plays one CSM approving a card so the
override log and the outbox show the other half of the loop.
"""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path
from typing import Any, Protocol, TextIO

from sqlalchemy import select

from bot.blocks.escalation_card import build_card_message
from bot.blocks.slack_dates import plain_dates
from bot.clock import Clock, SystemClock
from bot.deps import Deps
from bot.outreach import deliver_due
from bot.posting import MessagePoster, MessageTag, TerminalPoster
from bot.reports import overrides as overrides_report
from bot.settings import Settings
from bot.workflows.card_decisions import Decided, approve, take_over
from bot.workflows.card_posting import PREVIEW_TAG
from bot.workflows.cycle import run_cycle
from bot.workflows.digest import post_digests
from bot.workflows.refused import Refused
from bot.workflows.stored_decisions import day_record
from scoring.decisions import primary_decision
from storage.enums import CardState
from storage.models import Account, EscalationCard
from storage.repositories.overrides import list_overrides

DEMO_DATABASE_FILE = Path("tandem-demo.db")
DEMO_DATABASE_URL = f"sqlite:///{DEMO_DATABASE_FILE}"
DEMO_ACCOUNTS = 200
DEMO_SEED = 7
CARDS_SHOWN = 4


class DepsBuilder(Protocol):
    """How the composition root (app.py's `build_deps`) wires the real components. It is passed
    in, because bot/ sits below app.py and never imports it."""

    def __call__(
        self, settings: Settings, *, clock: Clock | None = ..., poster: MessagePoster | None = ...
    ) -> Deps: ...


def run_demo(settings: Settings, *, build_deps: DepsBuilder, out: TextIO) -> int:
    from storage.synthetic import generate_book

    # The demo's database is disposable: start from an empty file every time, so an old one
    # (from an earlier version's schema) can never get in the way.
    for leftover in (
        DEMO_DATABASE_FILE,
        *(Path(f"{DEMO_DATABASE_FILE}{suffix}") for suffix in ("-wal", "-shm")),
    ):
        leftover.unlink(missing_ok=True)
    # A disposable development book, whatever TANDEM_ENV says: it creates its own schema.
    settings = settings.model_copy(
        update={"database_url": DEMO_DATABASE_URL, "slack_bot_token": None, "environment": "development"}
    )
    rendered = io.StringIO()
    poster = TerminalPoster(out=rendered)
    deps = build_deps(settings, clock=SystemClock(), poster=poster)
    as_of = deps.clock.now().date()

    _title(out, f"Tandem demo — a synthetic book of {DEMO_ACCOUNTS} accounts, as of {as_of:%d %b %Y}")
    book = generate_book(
        deps.session_factory, accounts=DEMO_ACCOUNTS, seed=DEMO_SEED, as_of=as_of, replace=True
    )
    print(book.render() if hasattr(book, "render") else book, file=out)
    planted = dict(getattr(book, "planted", {}) or {})

    _title(out, "1. The daily cycle: score, decide, draft, post")
    summary = run_cycle(deps, as_of=as_of)
    print(summary.render(), file=out)

    _title(out, "2. The seeds' hard cases, and what Tandem decided")
    _show_planted(deps, planted, as_of, out)

    _title(
        out, f"3. Escalation cards in the CSMs' DMs (hard cases first; {len(poster.posted)} Slack messages)"
    )
    _show_cards(deps, poster, planted, out)

    _title(out, "4. A morning digest")
    before = len(poster.posted)
    report = post_digests(deps)
    if len(poster.posted) > before:
        first = poster.posted[before]
        print(_render_one(first), file=out, end="")
    print(report.render(), file=out)

    _title(out, "5. A CSM clicks Approve on a card, then clicks again")
    _approve_a_card(deps, poster, planted, out)
    return 0


def _show_cards(deps: Deps, poster: TerminalPoster, planted: dict[str, str], out: TextIO) -> None:
    with deps.session_factory() as session:
        cards = {card.id: card.account_id for card in session.scalars(select(EscalationCard))}

    def card_of(message: dict[str, Any]) -> int | None:
        tag = message.get("tag")
        return tag.id if isinstance(tag, MessageTag) and tag.event_type == PREVIEW_TAG else None

    planted_ids = set(planted.values())
    whale = planted.get("whale")  # the card section 5 approves: shown first, whatever the day
    messages = [m for m in poster.posted if card_of(m) in cards]
    messages.sort(key=lambda m: (cards[card_of(m) or 0] != whale, cards[card_of(m) or 0] not in planted_ids))
    for message in messages[:CARDS_SHOWN]:
        print(_render_one(message), file=out, end="")
    if len(messages) > CARDS_SHOWN:
        print(f"… and {len(messages) - CARDS_SHOWN} more cards.\n", file=out)


def _show_planted(deps: Deps, planted: dict[str, str], as_of: date, out: TextIO) -> None:
    """One line per planted case: the decision that leads, why, and what Tandem did about it."""
    with deps.session_factory() as session:
        for case, account_id in planted.items():
            account = session.get(Account, account_id)
            name = account.name if account else account_id
            record = day_record(session, account_id=account_id, as_of=as_of)
            lead = primary_decision(record.decisions) if record else None
            if record is None or lead is None:
                print(f"• {case} — {name}: no trigger fired", file=out)
                continue
            also = sorted(d.trigger.value for d in record.decisions if d.trigger is not lead.trigger)
            also_text = f" (also {', '.join(also)})" if also else ""
            done = "; ".join(record.actions) or "nothing sent, nothing posted"
            print(
                f"• {case} — {name}: {lead.trigger.value}{also_text} → {lead.route.value}. "
                f"{lead.reason_sentence} [{done}]",
                file=out,
            )


def _approve_a_card(deps: Deps, poster: TerminalPoster, planted: dict[str, str], out: TextIO) -> None:
    with deps.session_factory() as session:
        drafted = select(EscalationCard).where(
            EscalationCard.state == CardState.PENDING, EscalationCard.draft_id.is_not(None)
        )
        card = session.scalars(drafted.where(EscalationCard.account_id == planted.get("whale", ""))).first()
        card = card or session.scalars(drafted.order_by(EscalationCard.id)).first()
        if card is None:
            print("No pending card with a draft to approve.", file=out)
            return
        account = session.get(Account, card.account_id)
        owner = account.owner_slack_id if account else card.recipient_slack_id
    outcome = approve(deps, card_id=card.id, actor=owner)
    if isinstance(outcome, Decided):
        text, blocks = build_card_message(outcome.view)
        poster.out = out  # show the card as it is updated in place
        channel = outcome.channel_id or outcome.view.recipient_slack_id
        poster.update(channel=channel, ts=outcome.message_ts or "", text=text, blocks=blocks)
    again = take_over(deps, card_id=card.id, actor=owner)
    if isinstance(again, Refused):
        print(f"A second click (Take over) changes nothing: {plain_dates(again.message)}", file=out)
    delivery = deliver_due(deps)
    print(delivery.render() + " (recorded, not sent: no SMTP_URL configured)", file=out)
    with deps.session_factory() as session:
        rows = overrides_report.override_rows(list_overrides(session, since=None))
    print("\nThe override log (`python app.py overrides --format csv`):", file=out)
    print(overrides_report.render(rows, "csv"), file=out, end="")


def _render_one(message: dict[str, object]) -> str:
    from bot.posting import render_blocks

    return render_blocks(str(message["channel"]), str(message["text"]), message["blocks"])  # type: ignore[arg-type]


def _title(out: TextIO, text: str) -> None:
    print(f"\n{text}\n{'═' * min(len(text), 100)}", file=out)
