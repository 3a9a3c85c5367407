"""GET /metrics as Prometheus reads it: scraped over HTTP after signed clicks, a whole cycle,
Slack errors and LLM calls, and parsed with prometheus_client's own parser. Counters must move
by exactly what happened; Slack's per-method counts must equal what the Web API stand-in saw."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client import generate_latest
from sqlalchemy import func, select

from app import build_deps
from bot.app_factory import create_app
from bot.deps import Deps
from bot.ids import CardAction
from bot.metrics import Metrics
from bot.settings import Settings
from bot.side_server import serving_side_port
from bot.workflows.card_posting import post_owed_cards
from bot.workflows.cycle import run_cycle
from prompts.llm_client import CallFailed, LLMClient, ModelUnavailable
from prompts.model_breaker import ModelBreaker
from prompts.pricing import price_for
from storage.db import make_engine, make_session_factory
from storage.models import OutboxMessage, SlackDelivery
from storage.repositories.backlog import OPEN_DELIVERY_STATES, OPEN_OUTBOX_STATES
from tests.conftest import Database
from tests.integration.seeded_env import AS_OF, BOOK, seeded_story
from tests.integration.slack_env import TOKEN, SlackEnv, slack_env
from tests.support import factories
from tests.support.openai_server import Behaviour, FakeOpenAI
from tests.support.scrape import Scrape, parse, scrape
from tests.support.slack_stand_in import StandIn, running_stand_in
from tests.support.waiting import wait_for

MESSAGES = [{"role": "user", "content": "Say hello."}]


@pytest.fixture
def env(sqlite_db: Database) -> Iterator[SlackEnv]:
    with slack_env(sqlite_db) as environment:
        yield environment


def _web_api_calls(api: StandIn) -> Counter[str]:
    """Every HTTP attempt the stand-in received, by Web API method (response_url posts are not Web API calls)."""
    return Counter(call.method for call in api.calls if call.method != "response_url")


def _attempts(metrics: Scrape) -> Counter[str]:
    """Calls plus retries by method, as /metrics reports them: one per HTTP attempt."""
    counted: Counter[str] = Counter()
    for name in ("tandem_slack_api_calls_total", "tandem_slack_api_retries_total"):
        for method, value in metrics.by_label(name, "method").items():
            counted[method] += int(value)
    return +counted


def test_a_signed_click_moves_the_decision_and_slack_counters_by_one(env: SlackEnv) -> None:
    url = f"{env.base_url}/metrics"
    card = env.post_card()
    before = scrape(url)
    assert before.content_type.startswith("text/plain; version=0.0.4")
    assert before.families["tandem_cards_decided"] == "counter"
    assert before.value("tandem_slack_messages_delivered_total", kind="card") == 1
    assert before.by_label("tandem_cards_decided_total", "action") == {}

    assert env.click(CardAction.APPROVE, card) == 200
    after = wait_for(
        lambda: (s := scrape(url)).value("tandem_slack_messages_delivered_total", kind="card_update") and s
    )
    # A second click (the manager, after the owner) is refused and counts nothing.
    env.click(CardAction.TAKE_OVER, card, user=factories.MANAGER, hook="second")
    wait_for(lambda: env.api.responses_at("second"))
    env.app.listener_runner.listener_executor.shutdown(wait=True)  # every listener has finished
    final = scrape(url)

    assert after.by_label("tandem_cards_decided_total", "action") == {"approved": 1}
    assert final.by_label("tandem_cards_decided_total", "action") == {"approved": 1}
    assert final.value("tandem_slack_messages_delivered_total", kind="card") == 1
    assert final.value("tandem_slack_messages_delivered_total", kind="card_update") == 1
    assert final.value("tandem_outbox_messages", state="queued") == 1  # the approved email waits to go out
    assert final.value("tandem_backlog_database_up") == 1
    assert _attempts(final) == _web_api_calls(env.api)  # the poster's and Bolt's clients both count
    assert final.by_label("tandem_slack_api_retries_total", "method") == {}


def test_slack_retries_and_errors_are_counted_by_method(env: SlackEnv) -> None:
    setup = factories.add_card(env.db.session_factory)
    # The first attempt: a 429, retried by slack_sdk after Retry-After (a post's 500 is not retried
    # blindly: the engine looks for the message first). The retry: Slack refuses it, no more retries.
    env.api.fail_calls_to("chat.postMessage", 429)
    env.api.refuse_posts_to("*", "channel_not_found")

    run = post_owed_cards(env.deps, card_id=setup.card_id)
    metrics = scrape(f"{env.base_url}/metrics")

    assert run.delivered == 0 and len(run.retrying) == 1
    assert metrics.value("tandem_slack_api_calls_total", method="chat.postMessage") == 1
    assert metrics.value("tandem_slack_api_retries_total", method="chat.postMessage") == 1
    assert metrics.by_label("tandem_slack_api_errors_total", "error") == {
        "http_429": 1,
        "channel_not_found": 1,
    }
    assert metrics.value("tandem_slack_messages_delivered_total", kind="card") == 0
    assert (
        metrics.value("tandem_slack_deliveries", state="queued", kind="card") == 1
    )  # owed, waiting to retry
    assert _attempts(metrics) == _web_api_calls(env.api)


def test_a_cycle_reports_its_steps_scores_posts_and_backlog(db: Database) -> None:
    with seeded_story(db) as story:
        story.api.refuse_posts_to("*", "channel_not_found", times=2)  # two posts wait for a retry
        summary = run_cycle(story.deps, as_of=AS_OF)
        metrics = scrape(story.slack.url.replace("/slack/events", "/metrics"))
        api_calls = _web_api_calls(story.api)
    with db.session_factory() as session:
        outbox = Counter(
            dict(
                session.execute(select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)).all()
            )
        )
        owed = Counter({(state, kind): count for state, kind, count in session.execute(
            select(SlackDelivery.state, SlackDelivery.kind, func.count()).group_by(SlackDelivery.state, SlackDelivery.kind)
        ).all()})  # fmt: skip

    assert metrics.value("tandem_cycle_runs_total") == 1
    assert metrics.value("tandem_accounts_scored_total") == summary.accounts_scored == BOOK
    assert metrics.by_label("tandem_cycle_step_seconds", "step") == pytest.approx(summary.phases)
    assert set(summary.phases) >= {"score", "decide", "draft", "write", "post"}
    assert metrics.value("tandem_cycle_seconds") == pytest.approx(summary.seconds)
    assert metrics.value("tandem_cycle_last_finished_timestamp_seconds") > 0
    assert metrics.by_label("tandem_signals_total", "trigger") == dict(summary.signals)
    assert summary.cards_posted > 0 and summary.cards_not_posted == 2
    assert metrics.value("tandem_slack_messages_delivered_total", kind="card") == summary.cards_posted
    assert (
        metrics.value("tandem_slack_api_errors_total", method="chat.postMessage", error="channel_not_found")
        == 2
    )
    assert _attempts(metrics) == api_calls
    # The backlog, counted in the database at scrape time: every open state, as the tables hold it.
    assert metrics.by_label("tandem_outbox_messages", "state") == {s: outbox[s] for s in OPEN_OUTBOX_STATES}
    assert outbox["queued"] > 0  # the automated touches wait for their hold window
    reported = {
        (dict(labels)["state"], dict(labels)["kind"]): value
        for (name, labels), value in metrics.samples.items()
        if name == "tandem_slack_deliveries"
    }
    assert {key: value for key, value in reported.items() if value} == {
        key: count for key, count in owed.items() if key[0] in OPEN_DELIVERY_STATES
    }
    assert reported[("queued", "card")] == 2


def test_llm_calls_tokens_and_cost_by_outcome() -> None:
    metrics = Metrics()
    with FakeOpenAI() as server:
        client = LLMClient(
            api_key="sk-test", base_url=server.base_url, model="gpt-4o-mini", timeout_seconds=0.5, max_retries=0,
            price=price_for("gpt-4o-mini"), breaker=ModelBreaker(failures=2, cooldown_seconds=600), observer=metrics,
        )  # fmt: skip
        server.script(
            Behaviour.final("Hello.", prompt_tokens=400, completion_tokens=30),
            Behaviour.final("Hello again.", prompt_tokens=100, completion_tokens=10),
            Behaviour.server_error(),
            Behaviour.sleep(1.2),
        )
        client.chat(MESSAGES)
        client.chat(MESSAGES)
        with pytest.raises(CallFailed):
            client.chat(MESSAGES)  # HTTP 500, no retries left
        with pytest.raises(CallFailed):
            client.chat(MESSAGES)  # outlasts the 0.5 s timeout
        with pytest.raises(ModelUnavailable):
            client.chat(MESSAGES)  # two failures in a row opened the breaker: not called at all
        assert len(server.requests) == 4
    exposed = parse(generate_latest(metrics.registry).decode())

    assert exposed.by_label("tandem_llm_calls_total", "outcome") == {
        "answered": 2, "failed": 1, "timeout": 1, "breaker_open": 1,
    }  # fmt: skip
    assert exposed.by_label("tandem_llm_tokens_total", "kind") == {"prompt": 500, "completion": 40}
    assert exposed.value("tandem_llm_cost_usd_total", model="gpt-4o-mini") == pytest.approx(
        (500 * 0.15 + 40 * 0.60) / 1e6
    )


def test_the_app_as_serve_wires_it_counts_the_poster_bolt_and_the_llm(sqlite_db: Database) -> None:
    """build_deps and create_app, as `serve` runs them: one registry sees every client."""
    with running_stand_in() as api, FakeOpenAI() as llm:
        settings = Settings(  # type: ignore[call-arg]
            DATABASE_URL=sqlite_db.url, SLACK_BOT_TOKEN=TOKEN, SLACK_SIGNING_SECRET="s" * 32,
            SLACK_API_URL=api.api_url, OPENAI_API_KEY="sk-test", OPENAI_BASE_URL=llm.base_url,
        )  # fmt: skip
        deps = build_deps(settings, migrate=False)  # the fixture's database is migrated already
        deps.poster.post(channel="U1", text="hi", blocks=[])
        create_app(deps).client.auth_test()
        client = getattr(deps.drafter, "client", None)
        assert isinstance(client, LLMClient)
        client.chat(MESSAGES)
    exposed = parse(generate_latest(deps.metrics.registry).decode())

    # Bolt's own auth.test at start-up, the post and the auth.test above: each counted where it was made.
    assert _attempts(exposed) == _web_api_calls(api) == Counter({"auth.test": 2, "chat.postMessage": 1})
    assert exposed.value("tandem_llm_calls_total", model="gpt-4o-mini", outcome="answered") == 1


def _status(url: str, *, method: str = "GET") -> int:
    request = urllib.request.Request(url, method=method, data=b"{}" if method == "POST" else None)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


def test_socket_modes_side_port_serves_metrics_and_healthz_only(env: SlackEnv) -> None:
    env.post_card()
    with serving_side_port(env.deps, host="127.0.0.1", port=0) as server:  # as serve runs it in Socket Mode
        base = f"http://127.0.0.1:{server.port}"
        metrics = scrape(f"{base}/metrics")
        statuses = [
            _status(f"{base}/healthz"),
            _status(f"{base}/slack/events", method="POST"),
            _status(f"{base}/"),
        ]

    assert statuses == [200, 404, 404]
    assert metrics.value("tandem_slack_messages_delivered_total", kind="card") == 1  # the app's own registry
    assert metrics.value("tandem_backlog_database_up") == 1


def test_a_database_outage_leaves_metrics_answering(env: SlackEnv, tmp_path: Path) -> None:
    broken = make_session_factory(make_engine(f"sqlite:///{tmp_path}/no/such/dir/tandem.db"))
    deps = Deps(settings=env.deps.settings, session_factory=broken, clock=env.clock, drafter=env.deps.drafter,
                poster=env.deps.poster)  # fmt: skip
    with serving_side_port(deps, host="127.0.0.1", port=0) as server:
        base = f"http://127.0.0.1:{server.port}"
        metrics = scrape(f"{base}/metrics")
        health = _status(f"{base}/healthz")

    assert health == 503
    assert metrics.value("tandem_backlog_database_up") == 0
    assert metrics.by_label("tandem_outbox_messages", "state") == {}  # no figure rather than a wrong one
    assert "tandem_cards_decided" in metrics.families  # the counters are still there
