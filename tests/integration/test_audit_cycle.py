"""The Monday cycle draws audit cards below the line and posts each once, on both backends.

The seeded book behind the real Slack edge: a new configuration audits every near miss
(rate 1), so which accounts are drawn is known in advance from the pure functions, and the
exclusions (flagged today, vetoed) are checked against a draw that would have picked them.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select

from bot.blocks.audit_card import QUESTION
from bot.workflows.cycle import plan_book, previous_scores, run_cycle, score_all
from scoring.config import config_to_dict, load_default_config
from scoring.learning.audit import NearMiss, audit_week, draw, near_misses
from storage.db import transaction
from storage.enums import CardKind
from storage.models import Account, EscalationCard, Signal
from storage.repositories import accounts, cards, configs
from tests.integration.seeded_env import AS_OF, NOW, OPS, Story, buttons

WEEK = audit_week(AS_OF)  # 2026-W10: AS_OF is a Monday, the default audit weekday


def _configure(story: Story, **guardrails: Any) -> None:
    """A new active configuration that audits every near miss (and any guardrail changes)."""
    body = config_to_dict(load_default_config())
    body["audit"]["rate"] = 1.0
    body["guardrails"]["card_budget"] |= guardrails
    with transaction(story.db.session_factory) as session:
        row = configs.create_config_version(session, body=body, author=OPS, now=NOW, note="audit everything")
        configs.activate(session, version=row.version)


def _eligible_before_the_cycle(story: Story) -> dict[str, list[NearMiss]]:
    """Each CSM's near misses today on accounts no trigger fires on, as the cycle will see them."""
    _, config, results = score_all(story.deps, as_of=AS_OF)
    previous = previous_scores(
        story.deps, as_of=AS_OF, config=config, account_ids=[r.account_id for r in results]
    )
    plans, _ = plan_book(story.deps, as_of=AS_OF, config=config, results=results)
    flagged = {p.account_id for p in plans}
    with story.db.session_factory() as session:
        people = accounts.owners_and_renewals(session)
    found: dict[str, list[NearMiss]] = defaultdict(list)
    for health in results:
        owner, renewal = people[health.account_id]
        for miss in near_misses(
            health,
            owner=owner,
            renewal_date=renewal,
            previous_score=previous.get(health.account_id),
            config=config,
        ):
            if miss.account_id not in flagged:
                found[owner].append(miss)
    return found


def _audit_cards(story: Story) -> list[EscalationCard]:
    with story.db.session_factory() as session:
        query = select(EscalationCard).where(EscalationCard.kind == CardKind.AUDIT.value)
        return list(session.scalars(query.order_by(EscalationCard.id)))


def _audit_posts(story: Story) -> list[dict[str, Any]]:
    return [
        c.body for c in story.api.calls_to("chat.postMessage") if ": audit · " in str(c.body.get("text", ""))
    ]


def test_the_monday_cycle_audits_each_csm_once_and_posts_each_card_once(story: Story) -> None:
    _configure(story)
    eligible = _eligible_before_the_cycle(story)
    owner, pool = next((o, misses) for o, misses in sorted(eligible.items()) if len(misses) >= 2)
    # The near miss the draw prefers is vetoed: the card must go to the next one.
    preferred, *rest = sorted(pool, key=lambda m: draw(WEEK, m.account_id, m.trigger))
    with transaction(story.db.session_factory) as session:
        accounts.set_always_human(session, account_id=preferred.account_id, on=True, by=owner)

    summary = run_cycle(story.deps, as_of=AS_OF)

    audits = _audit_cards(story)
    assert summary.audit_cards == len(audits) == len(eligible)  # every CSM with an eligible near miss
    assert len({card.recipient_slack_id for card in audits}) == len(audits)
    mine = next(card for card in audits if card.recipient_slack_id == owner)
    assert mine.account_id == rest[0].account_id != preferred.account_id
    assert mine.propensity == 1 / len(rest)  # rate 1: the one card among the eligible near misses
    assert mine.audit is not None and mine.audit["pool"] == len(rest) and mine.audit["week"] == WEEK
    with story.db.session_factory() as session:
        fired_today = set(session.scalars(select(Signal.account_id).where(Signal.as_of == AS_OF)))
        vetoed = set(session.scalars(select(Account.account_id).where(Account.always_human.is_(True))))
    for card in audits:
        assert card.signal_id is None and card.draft_id is None and card.state == "pending"
        assert card.audit_key == f"{card.recipient_slack_id}:{WEEK}" and card.message_ts and card.channel_id
        assert card.account_id not in fired_today | vetoed
    posts = _audit_posts(story)
    assert sorted(p["channel"] for p in posts) == sorted(card.recipient_slack_id for card in audits)
    mine_posted = next(p for p in posts if p["channel"] == owner)
    assert buttons(mine_posted) == ["Worth a look", "Not needed"] and QUESTION in str(mine_posted["blocks"])
    assert str(mine.audit["summary"]) in str(mine_posted["blocks"])

    again = run_cycle(story.deps, as_of=AS_OF)  # a rerun of the day draws the same cards: none new
    assert again.audit_cards == 0 and len(_audit_cards(story)) == len(audits)
    assert len(_audit_posts(story)) == len(posts)


def test_audit_cards_are_exempt_from_the_card_budget_and_spend_none_of_it(story: Story) -> None:
    _configure(story, per_csm_per_day=1)
    eligible = _eligible_before_the_cycle(story)
    run_cycle(story.deps, as_of=AS_OF)
    audits = _audit_cards(story)
    assert len(audits) == len(eligible) > 0 and all(card.message_ts for card in audits)
    with story.db.session_factory() as session:
        budgeted = list(  # escalations are posted whatever the budget
            session.scalars(
                select(EscalationCard.recipient_slack_id)
                .join(Signal, Signal.id == EscalationCard.signal_id)
                .where(EscalationCard.delivery == "dm", Signal.route != "escalate")
            )
        )
        in_dm = list(
            session.scalars(select(EscalationCard.recipient_slack_id).where(EscalationCard.delivery == "dm"))
        )
        spent = cards.dm_cards_created_on(session, start=NOW.replace(hour=0), end=NOW.replace(hour=23))
    for card in audits:  # the audit card came on top of the one fired card the budget allows
        assert budgeted.count(card.recipient_slack_id) == 1
        assert spent[card.recipient_slack_id] == in_dm.count(card.recipient_slack_id) - 1


def test_no_audit_cards_on_other_days_of_the_week(story: Story) -> None:
    _configure(story)
    story.clock.advance(days=1)
    summary = run_cycle(story.deps, as_of=AS_OF.replace(day=AS_OF.day + 1))
    assert summary.audit_cards == 0 and _audit_cards(story) == []
