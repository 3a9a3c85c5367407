"""Approve and Take over clicks: stored before the ack, decided on a few threads after.

Slack wants an ack within 3 s and shows the person an error past it. A decision (authorize, the
guarded update, the override log, the send queued, the card's view) takes tens of milliseconds
alone, and seconds when fifty clicks arrive at once on a small machine. So the ack waits for one
INSERT of the click (keyed by what Slack's retry repeats) and the decision follows on
`deps.decisions`, a pool of a few threads that leaves the CPU and the database pool to the
acks behind them (50 clicks at once on two replicas: every ack within 300 ms bot-side, where
deciding first took seconds). TANDEM_CLICK_ACK_WAIT_MS lets the ack wait for the decision
a while (the tests do, to read a decision as soon as its click is answered).

Nothing Slack saw acked is lost: the click is stored before the ack, and one left pending (its
replica died, the database failed mid-decision) is decided by the next sweep on any replica
(`decide_stale`). The decision marks its click done in its own transaction, so a click is
decided once whoever reaches it; a retry of a decided click is acked and changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, wait
from dataclasses import dataclass
from datetime import timedelta

from slack_sdk.webhook import WebhookClient

from bot.blocks.escalation_card import build_card_message
from bot.deps import Deps
from bot.workflows import card_decisions, card_messages
from bot.workflows.card_decisions import Decided, DecidedElsewhere
from bot.workflows.hand_off.owed import ClickedMessage
from bot.workflows.hand_off.packet import deliver_packets
from bot.workflows.refused import Refused
from storage.db import transaction
from storage.repositories import card_clicks

logger = logging.getLogger(__name__)
APPROVE = "approve"
TAKE_OVER = "take_over"

KEEP_DECIDED = timedelta(days=1)  # Slack retries a request for minutes; a decided click is kept a day

Outcome = Decided | Refused | DecidedElsewhere
Tell = Callable[[str], None]  # an ephemeral reply to the clicker


@dataclass(frozen=True)
class Click:
    action: str  # APPROVE or TAKE_OVER
    card_id: int
    actor: str
    action_ts: str  # the click's own time stamp: a retry of it repeats it, a second click does not
    clicked: ClickedMessage | None
    response_url: str | None

    @property
    def key(self) -> str:
        return f"{self.action}:{self.card_id}:{self.actor}:{self.action_ts}"


def take(deps: Deps, click: Click, *, ack: Callable[[], object], update: CardUpdater, tell: Tell) -> None:
    """Store the click, give its decision up to the ack wait, ack, then show the outcome."""
    with transaction(
        deps.session_factory
    ) as session:  # fails (no ack: Slack retries) when the database is down
        click_id, pending = card_clicks.record(
            session,
            click_key=click.key,
            action=click.action,
            card_id=click.card_id,
            actor=click.actor,
            clicked_channel=click.clicked.channel_id if click.clicked else None,
            clicked_ts=click.clicked.ts if click.clicked else None,
            response_url=click.response_url,
            now=deps.clock.now(),
        )
    if not pending:
        ack()  # Slack's retry of a click already decided: nothing happens twice
        return
    decision = deps.decision_pool.submit(decide, deps, click, click_id)
    wait([decision], timeout=deps.settings.click_ack_wait_ms / 1000)
    ack()
    # Runs here when the decision is in, else on the decision's thread when it is.
    decision.add_done_callback(lambda done: _show_when_done(deps, click, done, update=update, tell=tell))


def decide(deps: Deps, click: Click, click_id: int) -> Outcome:
    return card_decisions.decide_click(
        deps,
        click_id=click_id,
        take_over=click.action == TAKE_OVER,
        card_id=click.card_id,
        actor=click.actor,
        clicked=click.clicked,
    )


def show(deps: Deps, click: Click, outcome: Outcome, *, update: CardUpdater, tell: Tell) -> None:
    """Every copy of a decided card shows the decision (or, with no copy recorded, the message
    clicked); a refusal goes to the clicker alone; a take-over's hand-off packet follows."""
    if isinstance(outcome, Decided):
        if outcome.copies:
            card_messages.deliver_card_messages(deps, card_id=outcome.view.card_id)
        else:
            update(outcome, click.clicked)
        if click.action == TAKE_OVER:
            deliver_packets(deps, card_id=click.card_id)  # the brief may take the LLM a while
    elif isinstance(outcome, Refused):
        tell(outcome.message)


def decide_stale(deps: Deps) -> int:
    """Decide the clicks a gone listener left pending (the sweep, on any replica); how many."""
    now = deps.clock.now()
    stale_after = timedelta(seconds=deps.settings.click_stale_seconds)
    with deps.session_factory() as session:
        stale = [
            (row.id, Click(row.action, row.card_id, row.actor, "", _clicked(row.clicked_channel, row.clicked_ts),
                           row.response_url))
            for row in card_clicks.stale(session, received_before=now - stale_after)
        ]  # fmt: skip
    for click_id, click in stale:
        try:
            outcome = decide(deps, click, click_id)
            show(
                deps,
                click,
                outcome,
                update=card_updater(deps.poster.update),
                tell=webhook_teller(click.response_url),
            )
        except Exception:  # one click failing must not stop the sweep; it stays pending for the next
            logger.exception(
                "a stored click (card %s) could not be decided; the next sweep tries again", click.card_id
            )
    if stale:
        logger.info("decided %d stored clicks a listener had left pending", len(stale))
    with transaction(deps.session_factory) as session:  # a day later no retry of them can come
        card_clicks.forget_decided(session, received_before=now - KEEP_DECIDED)
    return len(stale)


CardUpdater = Callable[[Decided, ClickedMessage | None], None]


def card_updater(send_update: Callable[..., object]) -> CardUpdater:
    """Re-render a decided card in place (its own message, else the one clicked) through
    `send_update(channel=, ts=, text=, blocks=)`: a poster's `update` or a client's `chat_update`."""

    def update(outcome: Decided, clicked: ClickedMessage | None) -> None:
        channel = outcome.channel_id or (clicked.channel_id if clicked else None)
        ts = outcome.message_ts or (clicked.ts if clicked else None)
        if channel and ts:
            text, blocks = build_card_message(outcome.view)
            send_update(channel=channel, ts=ts, text=text, blocks=blocks)

    return update


def webhook_teller(response_url: str | None) -> Tell:
    def tell(message: str) -> None:
        if response_url:
            WebhookClient(response_url).send(text=message, response_type="ephemeral", replace_original=False)

    return tell


def _show_when_done(
    deps: Deps, click: Click, done: Future[Outcome], *, update: CardUpdater, tell: Tell
) -> None:
    error = done.exception()
    if error is not None:  # rolled back: the click stays pending and the sweep decides it
        logger.error("card %s: the %s click could not be decided now (%s); it is kept for the next sweep",
                     click.card_id, click.action, type(error).__name__, exc_info=error)  # fmt: skip
        return
    try:
        show(deps, click, done.result(), update=update, tell=tell)
    except Exception:  # the decision stands; the card's owed updates are retried by the sweep
        logger.exception("card %s: decided, but showing it failed", click.card_id)


def _clicked(channel: str | None, ts: str | None) -> ClickedMessage | None:
    return ClickedMessage(channel, ts) if channel and ts else None
