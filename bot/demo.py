"""`python app.py demo`: the whole loop on an embedded SQLite book, no Slack or LLM needed.

Seeds a synthetic book (with the seeds' hard cases planted), runs one daily cycle, renders the
cards and a digest as they would appear in Slack, then plays one CSM approving a card so the
override log and the outbox show the other half of the loop.
"""

from __future__ import annotations

import io
from typing import TextIO

from sqlalchemy import select

from bot.clock import SystemClock
from bot.deps import Deps
from bot.outreach import deliver_due
from bot.posting import TerminalPoster
from bot.reports import overrides as overrides_report
from bot.settings import Settings
from bot.workflows.card_decisions import approve
from bot.workflows.cycle import run_cycle
from bot.workflows.digest import post_digests
from storage.enums import CardState
from storage.models import Account, EscalationCard
from storage.repositories.overrides import list_overrides

DEMO_DATABASE_URL = "sqlite:///tandem-demo.db"
DEMO_ACCOUNTS = 200
DEMO_SEED = 7
CARDS_SHOWN = 4


def run_demo(settings: Settings, *, out: TextIO) -> int:
    from app import build_deps
    from storage.synthetic import generate_book

    settings = settings.model_copy(update={"database_url": DEMO_DATABASE_URL, "slack_bot_token": None})
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

    _title(
        out,
        f"2. Escalation cards as each CSM would see them (the planted hard cases first; {len(poster.posted)} posted)",
    )
    _show_cards(deps, poster, planted, out)

    _title(out, "3. A morning digest")
    before = len(poster.posted)
    report = post_digests(deps)
    if len(poster.posted) > before:
        first = poster.posted[before]
        print(_render_one(first), file=out, end="")
    print(report.render(), file=out)

    _title(out, "4. A CSM clicks Approve on the first card")
    _approve_first_card(deps, out)
    return 0


def _show_cards(deps: Deps, poster: TerminalPoster, planted: dict[str, str], out: TextIO) -> None:
    with deps.session_factory() as session:
        cards = {card.message_ts: card.account_id for card in session.scalars(select(EscalationCard))}
    planted_ids = set(planted.values())
    messages = [m for m in poster.posted if m["ts"] in cards]
    messages.sort(key=lambda m: cards[m["ts"]] not in planted_ids)
    for message in messages[:CARDS_SHOWN]:
        print(_render_one(message), file=out, end="")
    if len(messages) > CARDS_SHOWN:
        print(f"… and {len(messages) - CARDS_SHOWN} more cards.\n", file=out)


def _approve_first_card(deps: Deps, out: TextIO) -> None:
    with deps.session_factory() as session:
        card = session.scalars(
            select(EscalationCard)
            .where(EscalationCard.state == CardState.PENDING)
            .order_by(EscalationCard.id)
        ).first()
        if card is None:
            print("No pending card to approve.", file=out)
            return
        account = session.get(Account, card.account_id)
        owner = account.owner_slack_id if account else card.recipient_slack_id
    outcome = approve(deps, card_id=card.id, actor=owner)
    print(f"{owner} approved card {card.id} ({card.account_id}): {type(outcome).__name__}", file=out)
    again = approve(deps, card_id=card.id, actor=owner)
    print(f"A second click on the same card: {type(again).__name__} — nothing changes.", file=out)
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
