"""The cycle's plan: every account's decisions for the day, the run-wide guardrails, the details.

`plan_account` decides from facts without daily usage (the bulk pass has scored it already),
and names the account's exceptions that lapse today;
`apply_run_guardrails` applies what only the whole run can see: the circuit breaker (one
trigger on an implausible share of the book) and each CSM's daily card budget; `add_details`
then gives the leads that go out now their evidence and draft request from full facts.
Everything here is computed, nothing is written.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date

from bot.blocks.mrkdwn import USER_ID, channel_id
from bot.workflows.draft_requests import draft_request_for
from prompts.drafting import DraftRequest
from scoring import card_budget, circuit_breaker
from scoring.config import TriggerConfig
from scoring.decisions import decide_day, primary_decision
from scoring.evidence import contributors
from scoring.exceptions import Lapse
from scoring.types import AccountFacts, BookFacts, Decision, HealthResult, Reason, Route, TriggerKey
from storage.enums import CardDelivery

CARD_ROUTES = frozenset({Route.ASSIST, Route.HUMAN, Route.ESCALATE})
DRAFTED_ROUTES = frozenset({Route.AUTO, Route.ASSIST})
# A person's card that also gets a draft, shown as talking points and never sent: the moments
# the seeds keep human, where finding the words is the hard part (a frustrated customer, a
# crisis). The draft is written in that moment's register (plain and attentive; supportive).
TALKING_POINTS_CODES = frozenset({"sentiment_frustrated", "crisis_context"})
MAX_EVIDENCE_LINES = 6  # on a card; `explain` shows them all


@dataclass
class AccountPlan:
    account_id: str
    name: str
    owner: str
    arr: float
    health: HealthResult
    decisions: list[Decision]
    # The lead's draft request (auto, assist, a hand-off note, talking points), added with its details.
    requests: dict[TriggerKey, DraftRequest] = field(default_factory=dict)
    delivery: CardDelivery = CardDelivery.DM
    # The facts it was decided from (without daily usage), kept while its lead may still go out
    # now, so its details need not read them again; dropped once the details are added.
    facts: AccountFacts | None = field(default=None, repr=False, compare=False)

    @property
    def lead(self) -> Decision:
        lead = primary_decision(self.decisions)
        assert lead is not None  # a plan is only made for an account with decisions
        return lead

    @property
    def gets_card(self) -> bool:
        return self.lead.route in CARD_ROUTES and not self.lead.suppressed

    @property
    def draft_request(self) -> DraftRequest | None:
        lead = self.lead  # a hold wants no draft; a hand-off its internal note; a crisis talking points
        return self.requests.get(lead.trigger) if lead.route is not Route.HOLD else None


def plan_account(
    account: AccountFacts,
    health: HealthResult,
    *,
    book: BookFacts,
    as_of: date,
    config: TriggerConfig,
    previous: int | None,
    sales_channel: str | None = None,
) -> tuple[AccountPlan | None, list[Lapse]]:
    """The account's decisions, from facts that need not hold its daily usage (the scores
    already do), None when nothing fires; and its exceptions that lapse today (recorded by
    the cycle whether or not anything fires)."""
    day = decide_day(account, health, book=book, as_of=as_of, config=config, previous=previous)
    decisions = day.decisions
    if not decisions:
        return None, day.lapses
    who, mentions = sales_contact(account.account_executive, sales_channel)
    decisions = [
        with_sales_contact(d, who, mentions) if d.trigger in config.routing.handoff_triggers else d
        for d in decisions
    ]
    plan = AccountPlan(
        account.account_id, account.name, account.owner_slack_id, account.arr, health, decisions
    )
    if plan.lead.route is Route.AUTO or plan.gets_card:  # it may go out now: its details will want them
        plan.facts = account
    return plan, day.lapses


def needs_details(plan: AccountPlan, config: TriggerConfig) -> bool:
    """Whether the lead goes out now (a touch, a DM card): it then needs its evidence and draft
    request, which read the account's full facts. A card waiting in the digest gets them when opened."""
    lead = plan.lead
    if lead.route is Route.HOLD:
        return False
    return lead.route is Route.AUTO or (plan.gets_card and plan.delivery is CardDelivery.DM)


def add_details(plan: AccountPlan, account: AccountFacts, *, config: TriggerConfig, owner_name: str) -> None:
    """The lead's evidence (tickets, weeks of usage) on every decision, and its draft request.
    `account` needs daily usage for the last `scoring.evidence.USAGE_EVIDENCE_DAYS` only."""
    evidence = evidence_lines(account, plan.health, config)
    if evidence:
        plan.decisions = [with_evidence(d, evidence) for d in plan.decisions]
    lead = plan.lead
    if lead.route in DRAFTED_ROUTES or is_handoff(lead, config) or wants_talking_points(lead):
        plan.requests[lead.trigger] = draft_request_for(account, plan.health, lead, owner_name=owner_name)


def wants_talking_points(decision: Decision) -> bool:
    """A card for a person in a moment that needs careful words: its draft is talking points."""
    return decision.route is Route.HUMAN and any(r.code in TALKING_POINTS_CODES for r in decision.reasons)


def evidence_lines(account: AccountFacts, health: HealthResult, config: TriggerConfig) -> list[str]:
    """What a card shows as evidence: the top contributors' tickets, weeks of usage, invoices."""
    return [line for c in contributors(account, health, config) for line in c.evidence][:MAX_EVIDENCE_LINES]


def with_evidence(decision: Decision, lines: list[str]) -> Decision:
    """The decision with its evidence (tickets, weeks of usage) in the signal's details, for the card."""
    signal = replace(decision.signal, details={**decision.signal.details, "evidence": lines})
    return replace(decision, signal=signal)


def is_handoff(decision: Decision, config: TriggerConfig) -> bool:
    """A sales hand-off a person makes: it gets an internal note drafted, never a customer email."""
    return decision.trigger in config.routing.handoff_triggers and decision.route is Route.HUMAN


def sales_contact(executive: str | None, sales_channel: str | None) -> tuple[str, tuple[str, ...]]:
    """Who a hand-off names, and the Slack ids among it that Tandem mentions: the account
    executive (`<@U…>`), else the sales channel (`<#C…>` from an id; a `#name` stays text, as
    Slack links a channel only by its id). Anything that is not an id stays text."""
    if executive:
        executive = executive.strip()
        return (f"<@{executive}>", (executive,)) if USER_ID.fullmatch(executive) else (executive, ())
    if sales_channel:
        channel = channel_id(sales_channel)
        return (f"<#{channel}>", (channel,)) if channel else (sales_channel.strip(), ())
    return "your sales team (set TANDEM_SALES_CHANNEL or the account's executive)", ()


def with_sales_contact(decision: Decision, who: str, mentions: tuple[str, ...] = ()) -> Decision:
    """A hand-off names who to bring in: the account executive, else the sales channel. The
    ids it mentions go in the details, so the card renders them as mentions (and only them)."""
    details = {**decision.signal.details, "sales_contact": who}
    if mentions:
        details["mentions"] = list(mentions)
    signal = replace(decision.signal, details=details)
    reasons = tuple(
        Reason(r.code, f"{r.sentence} Bring in {who}.") if r.code == "sales_handoff" else r
        for r in decision.reasons
    )
    return replace(decision, signal=signal, reasons=reasons)


def fired_counts(plans: Iterable[AccountPlan]) -> Counter[TriggerKey]:
    """How many accounts each trigger fired on (the circuit breaker's input)."""
    counts: Counter[TriggerKey] = Counter()
    for plan in plans:
        counts.update({d.trigger for d in plan.decisions})
    return counts


def apply_run_guardrails(
    plans: list[AccountPlan],
    *,
    scored: int,
    posted_today: Mapping[str, int],
    config: TriggerConfig,
) -> list[circuit_breaker.Trip]:
    """Hold the tripped triggers' decisions, then choose which cards go to the DM today.
    Changes the plans in place; returns the trips (for storage and the ops alert)."""
    trips = circuit_breaker.check(fired_counts(plans), scored=scored, config=config)
    if trips:
        by_trigger = {trip.trigger: trip for trip in trips}
        for plan in plans:
            plan.decisions = [circuit_breaker.hold_tripped(d, by_trigger) for d in plan.decisions]
    candidates = [
        card_budget.CardCandidate(plan.account_id, plan.owner, plan.lead.route, plan.lead.trigger, plan.arr)
        for plan in plans
        if plan.gets_card
    ]
    _, later = card_budget.allocate(candidates, posted_today=posted_today, config=config)
    for plan in plans:
        plan.delivery = CardDelivery.DIGEST if plan.account_id in later else CardDelivery.DM
    return trips
