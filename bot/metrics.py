"""Tandem's Prometheus metrics: what each process did, for GET /metrics.

One `Metrics` per app (it lives on `Deps`), each with its own `CollectorRegistry`, never
prometheus_client's global one: a test gets fresh counters with its Deps, and each replica
exposes its own figures (Prometheus adds them up). Call sites stay one line: they call a method
here with what happened; what is counted, and under which name, is decided here alone.

Three kinds of figures:
- counters moved as things happen (cycles, decisions, climbs, deliveries, Slack and LLM calls);
- gauges of the last daily cycle (each step's seconds, when it finished);
- the open backlog (outbox and Slack deliveries by state), read from the database at scrape
  time by `BacklogCollector`, so it is true whichever replica did the work.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from sqlalchemy.orm import Session, sessionmaker

from storage.enums import DeliveryKind
from storage.health import limit_statement_time
from storage.repositories import backlog

if TYPE_CHECKING:
    from bot.workflows.cycle import CycleSummary
    from bot.workflows.ladder import LadderRun
    from prompts.llm_client import Usage

logger = logging.getLogger(__name__)
ACK_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.0, 3.0, 5.0)  # 0.3: the goal; 3: Slack's limit
BACKLOG_TIMEOUT_SECONDS = (
    2.0  # a scrape waits this long for the backlog counts, then reports the database down
)


class Metrics:
    """The process's metrics on one registry; `registry` is what /metrics exposes."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        registry = self.registry
        self.cycle_runs = Counter("tandem_cycle_runs", "Daily cycles finished", registry=registry)
        self.cycle_seconds = Gauge(
            "tandem_cycle_seconds", "The last daily cycle's duration", registry=registry
        )
        self.cycle_step_seconds = Gauge(
            "tandem_cycle_step_seconds",
            "The last daily cycle's duration per step",
            ["step"],
            registry=registry,
        )
        self.cycle_finished = Gauge(
            "tandem_cycle_last_finished_timestamp_seconds", "When the last daily cycle finished (Unix time)",
            registry=registry,
        )  # fmt: skip
        self.accounts_scored = Counter(
            "tandem_accounts_scored", "Accounts scored by daily cycles", registry=registry
        )
        self.signals = Counter(
            "tandem_signals",
            "New signals recorded by daily cycles, by trigger",
            ["trigger"],
            registry=registry,
        )
        self.cards_decided = Counter(
            "tandem_cards_decided", "Card decisions applied, by action", ["action"], registry=registry
        )
        self.delivered = Counter(
            "tandem_slack_messages_delivered",
            "Slack messages Tandem owed and delivered (posted, updated or found already posted), by kind; "
            'kind="card" is a card\'s first post',
            ["kind"],
            registry=registry,
        )
        self.ladder_steps = Counter(
            "tandem_ladder_steps",
            "Escalation ladder steps: cards climbed to a manager or the channel, snoozed cards woken",
            ["step"],
            registry=registry,
        )
        self.ladder_stuck = Gauge(
            "tandem_ladder_stuck_cards", "Cards due to climb with nowhere to go, at the last ladder run",
            registry=registry,
        )  # fmt: skip
        self.slack_calls = Counter(
            "tandem_slack_api_calls",
            "Slack Web API calls (first attempts), by method",
            ["method"],
            registry=registry,
        )
        self.slack_retries = Counter(
            "tandem_slack_api_retries",
            "Slack Web API retried attempts, by method",
            ["method"],
            registry=registry,
        )
        self.slack_errors = Counter(
            "tandem_slack_api_errors",
            "Slack Web API attempts that failed, by method and error (Slack's error code, http_<status>, "
            "or the exception's type)",
            ["method", "error"],
            registry=registry,
        )
        self.llm_calls = Counter(
            "tandem_llm_calls",
            "LLM calls, by model and outcome (answered, failed, timeout, breaker_open)",
            ["model", "outcome"],
            registry=registry,
        )
        self.llm_tokens = Counter(
            "tandem_llm_tokens", "LLM tokens spent, by model and kind (prompt, completion)", ["model", "kind"],
            registry=registry,
        )  # fmt: skip
        self.llm_cost = Counter(
            "tandem_llm_cost_usd", "Estimated LLM cost in USD, by model (models with a known price)", ["model"],
            registry=registry,
        )  # fmt: skip
        self.slack_ack_seconds = Histogram(
            "tandem_slack_ack_seconds",
            "Bot-side time to answer a signed Slack request (the ack Slack waits 3 s for), from its "
            "body read to its response, by kind (interaction, event, command)",
            ["kind"],
            buckets=ACK_BUCKETS,
            registry=registry,
        )
        self._backlog: BacklogCollector | None = None

    # Called by the workflows, one line each.

    def cycle_done(self, summary: CycleSummary) -> None:
        self.cycle_runs.inc()
        self.cycle_seconds.set(summary.seconds)
        for step, seconds in summary.phases.items():
            self.cycle_step_seconds.labels(step).set(seconds)
        self.cycle_finished.set(time.time())
        self.accounts_scored.inc(summary.accounts_scored)
        for trigger, count in summary.signals.items():
            self.signals.labels(trigger).inc(count)

    def card_decided(self, action: str) -> None:
        self.cards_decided.labels(action).inc()

    def message_delivered(self, kind: str) -> None:
        self.delivered.labels(kind).inc()

    def ladder_ran(self, run: LadderRun) -> None:
        self.ladder_steps.labels("manager").inc(len(run.to_manager))
        self.ladder_steps.labels("channel").inc(len(run.to_channel))
        self.ladder_steps.labels("woke").inc(len(run.woke))
        self.ladder_stuck.set(len(run.stuck))

    def llm_call(self, *, model: str, outcome: str, usage: Usage | None = None) -> None:
        """One LLM call (prompts.llm_client's observer): its outcome and what it spent."""
        self.llm_calls.labels(model, outcome).inc()
        if usage is None:
            return
        self.llm_tokens.labels(model, "prompt").inc(usage.prompt_tokens)
        self.llm_tokens.labels(model, "completion").inc(usage.completion_tokens)
        if usage.cost_usd is not None:
            self.llm_cost.labels(model).inc(usage.cost_usd)

    def slack_observer(self) -> SlackCallObserver:
        """A retry handler for a WebClient that counts every attempt and retries none; put it
        first among the client's handlers so it sees each attempt before a retry is decided."""
        return SlackCallObserver(self)

    def watch_backlog(self, session_factory: sessionmaker[Session]) -> None:
        """Report the outbox and the Slack deliveries by state from this database (once)."""
        if self._backlog is None:
            self._backlog = BacklogCollector(session_factory)
            self.registry.register(self._backlog)


class SlackCallObserver(RetryHandler):
    """slack_sdk asks each retry handler about every HTTP attempt (answered or not) until one
    wants a retry; this one counts the attempt and never wants one. It survives Bolt's copy of
    the client for each request, which copies the retry handlers."""

    def __init__(self, metrics: Metrics) -> None:
        super().__init__(max_retry_count=0)
        self._metrics = metrics

    def __deepcopy__(self, memo: dict[int, Any]) -> SlackCallObserver:
        """Itself: Bolt deep-copies a request (its client with it) for each lazy listener, and
        the copy must count into the same metrics (whose locks cannot be copied anyway)."""
        return self

    def can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        method = api_method(request.url)
        metrics = self._metrics
        (metrics.slack_calls if state.current_attempt == 0 else metrics.slack_retries).labels(method).inc()
        problem = attempt_error(response, error)
        if problem is not None:
            metrics.slack_errors.labels(method, problem).inc()
        return False


def api_method(url: str) -> str:
    """'chat.postMessage' from https://slack.com/api/chat.postMessage?x=1."""
    return url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1] or "unknown"


def attempt_error(response: HttpResponse | None, error: Exception | None) -> str | None:
    """What went wrong with one attempt, as a short label; None when Slack said ok."""
    if response is None:
        return type(error).__name__ if error is not None else "no_response"
    if response.status_code != 200:
        return f"http_{response.status_code}"
    body: Any = response.body
    if isinstance(body, dict) and body.get("ok") is False:
        return str(body.get("error") or "not_ok")[:64]
    return None


class BacklogCollector(Collector):
    """The open outbox and Slack deliveries by state, counted when scraped. A database that does
    not answer (within BACKLOG_TIMEOUT_SECONDS on PostgreSQL) leaves the counts out and sets
    `tandem_backlog_database_up` to 0: /metrics itself keeps answering."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._session_factory = session_factory
        self._was_up = True

    def describe(self) -> Iterable[GaugeMetricFamily]:
        return list(self._families(None))  # no database query when registered

    def collect(self) -> Iterable[GaugeMetricFamily]:
        try:
            with self._session_factory() as session:
                limit_statement_time(session, BACKLOG_TIMEOUT_SECONDS)
                counts = (backlog.open_outbox_by_state(session), backlog.open_deliveries_by_state(session))
        except Exception as error:  # a scrape reports the outage; it never fails because of it
            if self._was_up:
                logger.warning("metrics: the backlog counts are unavailable: %s", error)
            self._was_up = False
            return list(self._families(None))
        if not self._was_up:
            logger.info("metrics: the backlog counts are available again")
        self._was_up = True
        return list(self._families(counts))

    def _families(
        self, counts: tuple[dict[str, int], dict[tuple[str, str], int]] | None
    ) -> Iterable[GaugeMetricFamily]:
        up = GaugeMetricFamily(
            "tandem_backlog_database_up", "1 when the last scrape could count the backlog in the database"
        )
        up.add_metric([], 0 if counts is None else 1)
        yield up
        outbox = GaugeMetricFamily(
            "tandem_outbox_messages", "Outreach messages in the outbox by open state", labels=["state"]
        )
        deliveries = GaugeMetricFamily(
            "tandem_slack_deliveries", "Slack messages owed, by open state and kind", labels=["state", "kind"]
        )
        if counts is not None:
            outbox_counts, delivery_counts = counts
            for state, count in outbox_counts.items():
                outbox.add_metric([state], count)
            for state in backlog.OPEN_DELIVERY_STATES:  # every series present, 0 when empty: alerts need them
                for kind in DeliveryKind:
                    deliveries.add_metric([state, kind.value], delivery_counts.get((state, kind.value), 0))
        yield outbox
        yield deliveries
