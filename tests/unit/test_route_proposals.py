"""Route and watched-phrase proposals from the seeds' patterns, and silence where there are none."""

from __future__ import annotations

import random
from datetime import date, timedelta

from scoring.config import RoutingRule, TriggerConfig, config_to_dict, load_default_config
from scoring.learning.proposal_types import ProposalKind, apply_changes
from scoring.learning.route_proposals import RouteDecision, propose_phrases, propose_routes
from scoring.types import ContextKind, Segment

START = date(2026, 1, 5)  # a Monday


def _cards(
    n: int,
    action: str,
    *,
    segment: str = "enterprise",
    industry: str | None = "healthcare",
    contexts: tuple[str, ...] = (),
    route: str = "assist",
    edit_size: float | None = None,
    offset: int = 0,
) -> list[RouteDecision]:
    """`n` decisions spread one a day from START + offset (so over several weeks)."""
    return [
        RouteDecision(
            trigger="health_low",
            segment=segment,
            industry=industry,
            contexts=contexts,
            route=route,
            action=action,
            edit_size=edit_size,
            day=START + timedelta(days=offset + i),
        )
        for i in range(n)
    ]


REVIEW = ("compliance_review",)


def _seeded_world() -> list[RouteDecision]:
    # Enterprise healthcare during a compliance review: 28 of 32 taken over or rewritten.
    hot = (
        _cards(20, "taken_over", contexts=REVIEW)
        + _cards(8, "edited", contexts=REVIEW, edit_size=0.7, offset=20)
        + _cards(4, "approved", contexts=REVIEW, offset=28)
    )
    # The same accounts outside the review: ordinary mix, no pattern.
    calm = (
        _cards(25, "approved", offset=3)
        + _cards(10, "edited", edit_size=0.2, offset=5)
        + _cards(5, "taken_over")
    )
    # SMB retail: every draft approved unchanged.
    smb = _cards(36, "approved", segment="smb", industry="retail") + _cards(
        4, "edited", segment="smb", industry="retail", edit_size=0.01, offset=36
    )
    return hot + calm + smb


def test_a_cell_taken_over_again_and_again_is_proposed_for_a_person_and_nothing_else_is() -> None:
    proposals = propose_routes(_seeded_world())
    human = [p for p in proposals if p.key.startswith("route:human")]
    assert [p.key for p in human] == ["route:human:enterprise:healthcare:compliance_review"]
    proposal = human[0]
    assert proposal.kind is ProposalKind.ROUTE and proposal.segment == "enterprise"
    assert proposal.title == (
        "Route enterprise healthcare accounts during a compliance review to a person: "
        "28 of 32 drafts taken over or rewritten"
    )
    assert proposal.figures["cards"] == 32 and proposal.figures["hits"] == 28
    assert proposal.figures["weeks"] >= 2 and proposal.figures["low_bound"] >= 0.5
    assert "took over 20 and rewrote 8" in proposal.evidence[0]
    # The change appends a rule the configuration accepts, and which routes that cell.
    body = apply_changes(config_to_dict(load_default_config()), proposal.changes)
    rules = TriggerConfig.model_validate(body).routing.rules
    assert rules == (
        RoutingRule(
            segment=Segment.ENTERPRISE,
            industry="healthcare",
            context=ContextKind.COMPLIANCE_REVIEW,
            route="human",
            note="28 of 32 drafts taken over or rewritten",
        ),
    )
    assert apply_changes(body, proposal.changes) == body  # proposing it twice appends nothing


def test_a_cell_approved_unchanged_every_time_is_proposed_for_automation() -> None:
    auto = [p for p in propose_routes(_seeded_world()) if p.key.startswith("route:auto")]
    assert [p.key for p in auto] == ["route:auto:smb:retail:*"]
    assert auto[0].figures["hits"] == 40 and auto[0].figures["cards"] == 40
    assert auto[0].title.startswith("Automate SMB retail accounts with the hold window: 40 of 40")
    assert auto[0].changes[0].value["route"] == "auto" and auto[0].changes[0].path == ("routing", "rules")


def test_three_in_four_approved_unchanged_is_not_enough_to_automate() -> None:
    world = _cards(30, "approved", segment="smb") + _cards(
        10, "edited", segment="smb", edit_size=0.3, offset=30
    )
    assert propose_routes(world) == []


def test_fewer_than_thirty_cards_propose_nothing() -> None:
    taken = _cards(20, "taken_over", contexts=REVIEW) + _cards(4, "approved", contexts=REVIEW, offset=20)
    assert propose_routes(taken) == []  # 20 of 24: the pattern, but too few cards
    assert propose_routes(_cards(29, "approved", segment="smb")) == []


def test_one_week_of_cards_is_not_enough() -> None:
    same_week = [
        RouteDecision("health_low", "smb", "retail", (), "assist", "taken_over", None, START)
        for _ in range(40)
    ]
    assert propose_routes(same_week) == []


def test_a_cell_an_existing_rule_covers_is_not_proposed_again() -> None:
    covering = (
        RoutingRule(segment=Segment.ENTERPRISE, industry="healthcare", route="human"),
        RoutingRule(segment=Segment.SMB, route="auto"),
    )
    assert propose_routes(_seeded_world(), existing=covering) == []


def test_enterprise_is_never_proposed_for_automation_and_a_take_over_blocks_it() -> None:
    assert propose_routes(_cards(40, "approved")) == []  # enterprise healthcare, all approved
    almost = _cards(40, "approved", segment="smb") + _cards(1, "cancelled", segment="smb", route="auto")
    assert propose_routes(almost) == []
    allowed = propose_routes(_cards(40, "approved", segment="smb"))
    assert [p.key for p in allowed] == ["route:auto:smb:healthcare:*"]


def test_a_broader_cell_stands_on_its_own_evidence() -> None:
    # Taken over in a compliance review (32 cards), approved otherwise (40 cards): the segment as
    # a whole would look mixed; only the review cell is proposed.
    world = _cards(32, "taken_over", contexts=REVIEW) + _cards(40, "approved", offset=2)
    assert [p.key for p in propose_routes(world)] == ["route:human:enterprise:healthcare:compliance_review"]


def test_a_null_world_of_ordinary_mixes_proposes_no_route() -> None:
    rng = random.Random(5)
    mix = [("approved", None)] * 12 + [("edited", 0.02)] * 3 + [("edited", 0.3)] * 2
    mix += [("taken_over", None)] * 2 + [("edited", 0.8)] * 1 + [("dismissed", None)] * 1
    world = []
    for i in range(1200):
        action, size = rng.choice(mix)
        world.append(
            RouteDecision(
                trigger="health_low",
                segment=rng.choice(["smb", "mid_market", "self_serve"]),
                industry=rng.choice(["retail", "healthcare", "media"]),
                contexts=rng.choice([(), (), ("public_complaint",)]),
                route="assist",
                action=action,
                edit_size=size,
                day=START + timedelta(days=i % 70),
            )
        )
    assert propose_routes(world) == []


# Watched phrases

FILLER = [
    "the",
    "dashboard",
    "export",
    "is",
    "slow",
    "again",
    "and",
    "the",
    "report",
    "looks",
    "wrong",
    "today",
]


def _texts(rng: random.Random, n: int, extra: dict[str, int]) -> list[str]:
    """`n` tickets of filler words; `extra[word]` of them also contain `word`."""
    texts = []
    for i in range(n):
        words = rng.sample(FILLER, 6)
        words += [word for word, count in extra.items() if i < count]
        rng.shuffle(words)
        texts.append(" ".join(words))
    return texts


def test_a_word_that_keeps_preceding_take_overs_is_proposed_for_the_sentiment_trigger() -> None:
    rng = random.Random(7)
    positives = _texts(rng, 10, {"competitor": 8, "login": 5})
    baseline = _texts(rng, 200, {"competitor": 2, "login": 100})
    proposals = propose_phrases(positives, baseline, watched=())
    assert [p.key for p in proposals] == ["phrase:competitor"]
    proposal = proposals[0]
    assert proposal.kind is ProposalKind.PHRASE and proposal.trigger == "sentiment"
    assert proposal.changes[0].path == ("triggers", "sentiment", "frustration_phrases")
    assert proposal.changes[0].value == "competitor"
    assert proposal.figures["positive_docs"] == 8 and proposal.figures["baseline_docs"] == 2
    assert proposal.figures["p_adjusted"] < 0.01
    body = apply_changes(config_to_dict(load_default_config()), proposal.changes)
    watched = TriggerConfig.model_validate(body).triggers.sentiment.frustration_phrases
    assert (
        watched[-1] == "competitor"
        and watched[:-1] == load_default_config().triggers.sentiment.frustration_phrases
    )


def test_an_already_watched_phrase_is_not_proposed_again() -> None:
    rng = random.Random(7)
    positives = _texts(rng, 10, {"competitor": 8})
    baseline = _texts(rng, 200, {"competitor": 2})
    assert propose_phrases(positives, baseline, watched=("Competitor",)) == []


def test_a_two_word_phrase_is_proposed_as_it_stands_in_the_text() -> None:
    positives = [f"we may cancel subscription soon, ticket {i}" for i in range(8)] + ["slow export"] * 4
    baseline = ["slow export today", "please cancel my meeting", "subscription invoice question"] * 60
    keys = [p.key for p in propose_phrases(positives, baseline)]
    assert "phrase:cancel subscription" in keys
    assert all(" " not in key.split(":", 1)[1] or key == "phrase:cancel subscription" for key in keys)


def test_a_rare_term_below_min_docs_is_not_proposed() -> None:
    rng = random.Random(3)
    positives = _texts(rng, 10, {"competitor": 4})
    baseline = _texts(rng, 200, {})
    assert propose_phrases(positives, baseline) == []


def test_a_null_world_proposes_nothing() -> None:
    vocabulary = [*FILLER, "login", "invoice", "cancel", "competitor", "renewal", "api", "sso", "billing"]
    rng = random.Random(11)

    def ticket() -> str:
        return " ".join(rng.choice(vocabulary) for _ in range(12))

    for _ in range(5):
        positives = [ticket() for _ in range(40)]
        baseline = [ticket() for _ in range(400)]
        assert propose_phrases(positives, baseline) == []
