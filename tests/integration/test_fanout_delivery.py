"""Fan-out within Slack's limits: cards and digests for many CSMs go out through the posting
pool once each while the Web API stand-in answers 30% of all calls with 429 (Retry-After) or
500 (half of the 500s after the message was posted), each DM paced at about one message a
second and every Retry-After honoured. On both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.clock import FrozenClock
from bot.delivery.engine import DeliveryRun, deliver_due
from bot.delivery.pacing import SlackPacing
from bot.deps import Deps
from bot.posting import SlackPoster
from bot.settings import Settings
from bot.slack_client import make_web_client
from prompts.drafting import TemplateDrafter
from storage.enums import DeliveryState
from storage.models import DigestRun, EscalationCard, SlackDelivery
from tests.conftest import Database
from tests.integration.slack_env import TOKEN
from tests.support.fanout_book import fanout_renderers, seed_fanout_book
from tests.support.slack_stand_in import StandIn, running_stand_in

CSMS = 20
CARDS_EACH = 3
INTERVAL, BURST = 1.0, 3  # Slack's ~1 message a second per channel, with a short burst


def _deps(db: Database, api: StandIn, clock: FrozenClock, **overrides: object) -> Deps:
    values: dict[str, object] = {
        "SLACK_BOT_TOKEN": TOKEN, "SLACK_API_URL": api.api_url,
        "TANDEM_DELIVERY_RETRY_SECONDS": 1, "TANDEM_DELIVERY_RETRY_MAX_SECONDS": 2,
        "TANDEM_DELIVERY_MAX_ATTEMPTS": 50,
        "TANDEM_SLACK_CHANNEL_INTERVAL_SECONDS": INTERVAL, "TANDEM_SLACK_CHANNEL_BURST": BURST,
        # The lookups after a 500 are Tier 3 (50 a minute in Slack): the stand-in is not Slack,
        # and a test with 30% faults makes dozens of them at once
        "TANDEM_SLACK_TIER3_PER_MINUTE": 6000,
    }  # fmt: skip
    settings = Settings(**(values | overrides))  # type: ignore[arg-type]
    pacing = SlackPacing(settings.pacing)
    poster = SlackPoster(make_web_client(token=TOKEN, api_url=api.api_url, pacing=pacing), pacing=pacing)
    return Deps(settings, db.session_factory, clock, TemplateDrafter(), poster)


def _deliver_everything(deps: Deps, clock: FrozenClock) -> DeliveryRun:
    """Passes of the pool (as the scheduler's sweeps would make), each after the retry delay."""
    run = DeliveryRun()
    for _ in range(15):
        run.merge(deliver_due(deps, fanout_renderers(deps.settings)))
        with deps.session_factory() as session:
            owed = session.scalar(
                select(SlackDelivery.id).where(SlackDelivery.state != DeliveryState.SENT.value).limit(1)
            )
        if owed is None:
            return run
        clock.advance(seconds=2)  # the longest retry delay here; the clock stays behind real time
    raise AssertionError(f"still owed after 15 passes: {run.render()}")


def test_with_30_percent_faults_every_card_and_digest_is_posted_once_and_paced(db: Database) -> None:
    clock = FrozenClock(datetime.now(UTC) - timedelta(minutes=10))  # Slack's ts are real time
    seed_fanout_book(db.session_factory, csms=CSMS, cards_each=CARDS_EACH, as_of=clock.now().date(),
                     now=clock.now())  # fmt: skip
    with running_stand_in() as api:
        api.inject_faults(0.3, seed=16, retry_after=1)
        run = _deliver_everything(_deps(db, api, clock), clock)

        owed = CSMS * (CARDS_EACH + 1)
        kept = api.posted_by_delivery()
        assert len(kept) == owed and all(len(copies) == 1 for copies in kept.values()), {
            delivery_id: copies for delivery_id, copies in kept.items() if len(copies) != 1
        }
        post_faults = [f for f in api.faults_answered if f.method == "chat.postMessage"]
        assert any(f.status == 429 for f in post_faults)
        assert any(f.status == 500 and f.posted for f in post_faults)  # posted, then 500: adopted
        assert len(run.adopted) >= 1 and len(run.sent) + len(run.adopted) == owed
        assert api.channel_pacing_breaches(interval=INTERVAL, burst=BURST) == []
        assert api.retry_after_breaches() == []
    with db.session_factory() as session:
        rows = {row.id: row for row in session.scalars(select(SlackDelivery))}
        assert {row.state for row in rows.values()} == {DeliveryState.SENT.value}
        for delivery_id, [(channel, ts)] in kept.items():  # what was recorded is what Slack kept
            assert (rows[delivery_id].channel_id, rows[delivery_id].message_ts) == (channel, ts)
        card_ts = {card.message_ts for card in session.scalars(select(EscalationCard))}
        digest_ts = {digest.message_ts for digest in session.scalars(select(DigestRun))}
    assert None not in card_ts and len(card_ts) == CSMS * CARDS_EACH
    assert None not in digest_ts and len(digest_ts) == CSMS


def test_without_pacing_a_channel_gets_posts_faster_than_slack_allows(db: Database) -> None:
    """The pacing check above can fail: with per-channel pacing off, the pool bursts a DM."""
    clock = FrozenClock(datetime.now(UTC) - timedelta(minutes=10))
    seed_fanout_book(
        db.session_factory, csms=3, cards_each=CARDS_EACH, as_of=clock.now().date(), now=clock.now()
    )
    with running_stand_in() as api:
        deps = _deps(db, api, clock, TANDEM_SLACK_CHANNEL_INTERVAL_SECONDS=0)
        run = deliver_due(deps, fanout_renderers(deps.settings))
        assert run.delivered == 3 * (CARDS_EACH + 1)
        assert api.channel_pacing_breaches(interval=INTERVAL, burst=BURST) != []
