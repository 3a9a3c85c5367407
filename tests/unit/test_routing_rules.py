"""Learned routing rules (`routing.rules`): where they sit among the hard rules and the matrix."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from pydantic import ValidationError

from scoring.config import RoutingRule, TriggerConfig, config_to_dict, load_default_config
from scoring.routing import route_signal
from scoring.types import AccountFacts, ContextKind, Decision, Route, Segment, TriggerKey
from tests.unit.scoring_factories import AS_OF, account, book, context, signal

BOOK = book()  # total ARR 1,000,000: 2% is 20,000


def _config(*rules: dict[str, Any]) -> TriggerConfig:
    body = config_to_dict(load_default_config())
    body["routing"]["rules"] = list(rules)
    return TriggerConfig.model_validate(body)


def _route(
    facts: AccountFacts,
    config: TriggerConfig,
    trigger: TriggerKey = TriggerKey.HEALTH_LOW,
    *,
    sentiment: bool = False,
    frustration: tuple[str, ...] = (),
) -> Decision:
    return route_signal(
        facts,
        signal(trigger),
        book=BOOK,
        as_of=AS_OF,
        config=config,
        sentiment_fired=sentiment,
        frustration=frustration,
    )


def _codes(decision: Decision) -> list[str]:
    return [reason.code for reason in decision.reasons]


ENTERPRISE_HEALTH = account(segment=Segment.ENTERPRISE, arr=15_000.0, industry="healthcare")
SMB_RETAIL = account(segment=Segment.SMB, arr=10_000.0, industry="retail")
HUMAN_RULE = {"segment": "enterprise", "industry": "Healthcare", "route": "human", "note": "seed pattern"}
AUTO_RULE = {"segment": "enterprise", "industry": "healthcare", "route": "auto"}


def test_a_human_rule_wins_over_the_matrix_and_names_the_rule() -> None:
    config = _config(HUMAN_RULE)
    assert _route(ENTERPRISE_HEALTH, load_default_config()).route is Route.ASSIST  # the matrix alone
    decision = _route(ENTERPRISE_HEALTH, config)
    assert decision.route is Route.HUMAN and _codes(decision) == ["learned_route_human"]
    assert decision.reason_sentence == (
        "Human: a learned routing rule sends enterprise healthcare accounts to a person (seed pattern)."
    )
    # Another industry or segment is left to the matrix.
    assert (
        _route(account(segment=Segment.ENTERPRISE, arr=15_000.0, industry="retail"), config).route
        is Route.ASSIST
    )
    assert _route(SMB_RETAIL, config).route is Route.AUTO


def test_a_context_matcher_needs_the_event_in_view_on_the_day() -> None:
    config = _config({"segment": "smb", "context": "public_complaint", "route": "human"})
    assert _route(SMB_RETAIL, config).route is Route.AUTO
    during = _route(replace(SMB_RETAIL, context=(context(ContextKind.PUBLIC_COMPLAINT, 3),)), config)
    assert during.route is Route.HUMAN and "during a public complaint" in during.reason_sentence
    ended = (context(ContextKind.PUBLIC_COMPLAINT, 20, ended_days_ago=10),)
    assert _route(replace(SMB_RETAIL, context=ended), config).route is Route.AUTO


def test_a_trigger_matcher_only_routes_that_trigger() -> None:
    config = _config({"segment": "smb", "trigger": "health_drop", "route": "human"})
    assert _route(SMB_RETAIL, config, TriggerKey.HEALTH_DROP).route is Route.HUMAN
    assert _route(SMB_RETAIL, config, TriggerKey.HEALTH_LOW).route is Route.AUTO


def test_an_auto_rule_turns_assist_into_auto_with_the_rule_first() -> None:
    decision = _route(ENTERPRISE_HEALTH, _config(AUTO_RULE))
    assert decision.route is Route.AUTO
    assert _codes(decision) == ["learned_route_auto", "matrix_high_value_low_complexity"]
    assert (
        "hold window" in decision.reasons[0].sentence
        and "cancel it in the digest" in decision.reasons[0].sentence
    )


def test_an_auto_rule_never_lowers_a_matrix_human_route() -> None:
    config = _config(AUTO_RULE)
    assert (
        _route(ENTERPRISE_HEALTH, config, TriggerKey.RENEWAL_RISK).route is Route.HUMAN
    )  # high value, complex


def test_a_human_rule_beats_an_auto_rule_for_the_same_cell() -> None:
    decision = _route(ENTERPRISE_HEALTH, _config(AUTO_RULE, HUMAN_RULE))
    assert decision.route is Route.HUMAN and _codes(decision) == ["learned_route_human"]


def test_safety_rules_still_win_over_an_auto_rule() -> None:
    config = _config(AUTO_RULE)
    frustrated = _route(ENTERPRISE_HEALTH, config, frustration=("2 escalation requests",))
    assert frustrated.route is Route.HUMAN and _codes(frustrated)[0] == "sentiment_frustrated"
    deteriorating = _route(ENTERPRISE_HEALTH, config, sentiment=True)
    assert deteriorating.route is Route.ASSIST and _codes(deteriorating)[0] == "sentiment"
    big = _route(replace(ENTERPRISE_HEALTH, arr=50_000.0), config)  # 5% of ARR
    assert big.route is Route.ASSIST and "arr_share_above_limit" in _codes(big)
    crisis = _route(replace(ENTERPRISE_HEALTH, context=(context(ContextKind.SECURITY_INCIDENT, 2),)), config)
    assert crisis.route is Route.HUMAN and _codes(crisis) == ["crisis_context"]
    vetoed = _route(replace(ENTERPRISE_HEALTH, always_human=True), config)
    assert _codes(vetoed) == ["csm_veto"]
    flagged = _route(ENTERPRISE_HEALTH, config, TriggerKey.MANUAL_FLAG)
    assert flagged.route is Route.HUMAN and _codes(flagged)[0] == "manual_flag"


def test_crisis_veto_and_complexity_come_before_a_human_rule() -> None:
    config = _config({**HUMAN_RULE, "context": "compliance_review"})
    review = (context(ContextKind.COMPLIANCE_REVIEW, 3),)
    assert _codes(_route(replace(ENTERPRISE_HEALTH, context=review), config)) == ["complexity_single"]
    crisis = (context(ContextKind.LAYOFFS, 1), context(ContextKind.COMPLIANCE_REVIEW, 3))
    assert _codes(_route(replace(ENTERPRISE_HEALTH, context=crisis), config)) == ["crisis_context"]
    assert _codes(_route(replace(ENTERPRISE_HEALTH, always_human=True), _config(HUMAN_RULE))) == ["csm_veto"]


def test_the_default_configuration_has_no_rules_and_a_rule_round_trips() -> None:
    assert load_default_config().routing.rules == ()
    config = _config(HUMAN_RULE)
    assert config.routing.rules == (
        RoutingRule(segment=Segment.ENTERPRISE, industry="healthcare", route="human", note="seed pattern"),
    )
    assert TriggerConfig.model_validate(config_to_dict(config)) == config


@pytest.mark.parametrize(
    ("rule", "field"),
    [
        ({"segment": "enterprise", "route": "human", "colour": "red"}, "colour"),
        ({"segment": "enterprise", "route": "assist"}, "route"),
        ({"segment": "whales", "route": "human"}, "segment"),
        ({"context": "picnic", "route": "auto"}, "context"),
        ({"trigger": "moon_phase", "route": "auto"}, "trigger"),
        ({"segment": "smb"}, "route"),
    ],
)
def test_the_configuration_refuses_a_bad_rule(rule: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError, match=field):
        _config(rule)
