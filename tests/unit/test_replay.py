"""The replay of a threshold proposal over stored daily values (pure)."""

from __future__ import annotations

from datetime import date, timedelta

from scoring.config import TriggerConfig, config_to_dict
from scoring.learning.replay import Churned, DayValue, PastCard, ReplayAccount, ReplayResult, replay_threshold
from scoring.learning.replay_routes import PhraseTicket, replay_phrase, replay_route
from scoring.learning.route_proposals import RouteDecision
from scoring.types import TriggerKey

START = date(2026, 1, 5)
DAYS = 28
PARENT = TriggerConfig()


def _tightened(line: int) -> TriggerConfig:
    body = config_to_dict(PARENT)
    body["triggers"]["segment_lines"] = {"smb": {"health_low": line}}
    return TriggerConfig.model_validate(body)


def _account(account_id: str, score: int, segment: str = "smb") -> ReplayAccount:
    days = tuple(DayValue(START + timedelta(days=n), score) for n in range(DAYS))
    return ReplayAccount(account_id, f"{account_id} Inc", segment, "U0CSM001", None, days)


def _replay(accounts: list[ReplayAccount], cards: list[PastCard], churned: list[Churned],
            routes: dict[tuple[str, date], str] | None = None) -> ReplayResult:  # fmt: skip
    return replay_threshold(
        accounts, cards, churned, trigger=TriggerKey.HEALTH_LOW, segment="smb", parent=PARENT,
        proposal=_tightened(50), since=START, as_of=START + timedelta(days=DAYS - 1), csms=2, routes=routes,
    )  # fmt: skip


def test_cooldown_paces_the_would_be_cards_and_tightening_removes_the_shallow_ones() -> None:
    shallow, deep, healthy, other = (
        _account("S", 55),
        _account("D", 30),
        _account("H", 80),
        _account("E", 40, "enterprise"),
    )
    # A 14-day cooldown: days 0 and 14 over 28 days, for each account under the line.
    cards = [PastCard(1, "S", "health_low", START, "dismissed: false_positive"),
             PastCard(2, "S", "health_low", START + timedelta(days=14), "dismissed: known_context"),
             PastCard(3, "D", "health_low", START, "approved"),
             PastCard(4, "D", "health_low", START + timedelta(days=14), "approved")]  # fmt: skip
    result = _replay([shallow, deep, healthy, other], cards, [])
    assert (result.cards_before, result.cards_after, result.stored_cards) == (4, 2, 4)
    assert [c.card_id for c in result.removed] == [1, 2]
    assert result.removed_by_decision == {"dismissed: false_positive": 1, "dismissed: known_context": 1}
    assert result.per_csm_week_before == 0.5 and result.per_csm_week_after == 0.25
    assert result.missed_churn == []


def test_a_churned_account_whose_every_card_goes_is_named() -> None:
    cards = [
        PastCard(1, "S", "health_low", START, "approved"),
        PastCard(2, "D", "health_low", START, "approved"),
    ]
    churned = [
        Churned("S", "S Inc", START + timedelta(days=20)),
        Churned("D", "D Inc", START + timedelta(days=21)),
    ]
    result = _replay([_account("S", 55), _account("D", 30)], cards, churned)
    assert [c.name for c in result.missed_churn] == ["S Inc"]


def test_an_automated_touch_is_not_a_card_and_an_unknown_route_counts_as_one() -> None:
    routes = {("S", START): "auto", ("D", START): "assist"}
    result = _replay([_account("S", 55), _account("D", 30)], [], [], routes)
    # S: day 0 auto (a touch), day 14 no stored signal (a card, the cautious guess); D: two cards.
    assert (result.touches_before, result.cards_before) == (1, 3)
    assert (result.touches_after, result.cards_after, result.unknown_route) == (0, 2, 1)


def test_health_drop_reads_the_score_a_window_ago_from_the_stored_days() -> None:
    days = tuple(DayValue(START + timedelta(days=n), 80 if n < 30 else 60) for n in range(40))
    account = ReplayAccount("F", "F Inc", "smb", "U0CSM001", None, days)
    body = config_to_dict(PARENT)
    body["triggers"]["segment_lines"] = {"smb": {"health_drop": 0.3}}
    result = replay_threshold(
        [account], [], [], trigger=TriggerKey.HEALTH_DROP, segment="smb", parent=PARENT,
        proposal=TriggerConfig.model_validate(body), since=START + timedelta(days=30),
        as_of=START + timedelta(days=39), csms=1,
    )  # fmt: skip
    assert result.cards_before == 1  # fell 25% (80 → 60): fires at the default 20%
    assert result.cards_after == 0  # ... not at 30%


def _route_decision(action: str, route: str, *, industry: str = "healthcare", contexts: tuple[str, ...] = ("compliance_review",),
                    day: date = START) -> RouteDecision:  # fmt: skip
    return RouteDecision("health_low", "enterprise", industry, contexts, route, action, None, day)


def test_a_route_rule_counts_the_cells_decisions_it_would_have_changed() -> None:
    rule = {
        "segment": "enterprise",
        "industry": "healthcare",
        "context": "compliance_review",
        "route": "human",
    }
    decisions = [
        _route_decision("taken_over", "assist"), _route_decision("edited", "assist"),
        _route_decision("auto_sent", "auto"), _route_decision("cancelled", "auto"),
        _route_decision("approved", "assist", industry="retail"),  # another cell
        _route_decision("approved", "assist", contexts=()),  # no compliance review in view
        _route_decision("approved", "assist", day=START - timedelta(days=1)),  # before the window
    ]  # fmt: skip
    replay = replay_route(rule, decisions, since=START, as_of=START + timedelta(days=90))
    assert (replay["decisions_in_cell"], replay["would_change"]) == (4, 2)
    assert replay["changed_by_decision"] == {"auto_sent": 1, "cancelled": 1}
    automate = replay_route(
        {**rule, "route": "auto"}, decisions, since=START, as_of=START + timedelta(days=90)
    )
    assert automate["would_change"] == 2 and automate["changed_by_decision"] == {"edited": 1, "taken_over": 1}


def test_a_phrase_replay_counts_its_tickets_and_what_followed() -> None:
    tickets = [
        PhraseTicket("A", START, "we are evaluating a competitor"),
        PhraseTicket("A", START + timedelta(days=3), "competitor pricing"),
        PhraseTicket("B", START + timedelta(days=5), "the competitor demo went well"),
        PhraseTicket("C", START, "login broken"),
    ]
    later = {"A": [START + timedelta(days=10)], "B": [START - timedelta(days=1)]}  # B's was before
    replay = replay_phrase("Competitor", tickets, later, since=START, as_of=START + timedelta(days=30))
    assert (replay["tickets"], replay["accounts"], replay["accounts_taken_over_or_churned"]) == (3, 2, 1)
    assert replay["followed"] == ["A"]
