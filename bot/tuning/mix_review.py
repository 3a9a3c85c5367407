"""`tune review --quarter`: the quarterly automation-mix review, printed or posted to ops and managers.

Reads the quarter's touches and what followed them (storage), hands them to the pure review
(scoring.learning.automation_mix), and renders a table, JSON, or a Slack message owed once per
quarter and person.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any, TextIO

from slack_sdk.models.blocks import ContextBlock, HeaderBlock, MarkdownTextObject, SectionBlock

from bot.blocks.mrkdwn import escape, truncate
from bot.delivery.notices import deliver_notices, owe_notice
from bot.deps import Deps
from scoring.learning.automation_mix import (
    AFTER_DAYS,
    OUTCOME_DAYS,
    REPLY_DAYS,
    MixReview,
    Quarter,
    Touch,
    health_after,
    review,
)
from storage.db import transaction
from storage.enums import DeliveryKind, Role
from storage.repositories import touches, users

HEALTH_TOLERANCE_DAYS = 3


def build_review(deps: Deps, *, quarter: Quarter) -> MixReview:
    with deps.session_factory() as session:
        rows = touches.touches_between(session, start=quarter.start, end=quarter.end)
        ids = [row.account_id for row in rows]
        replies = touches.replies_between(session, account_ids=ids, start=quarter.start,
                                          end=quarter.end + timedelta(days=REPLY_DAYS))  # fmt: skip
        scores = touches.scores_between(
            session, account_ids=ids, start=quarter.start - timedelta(days=HEALTH_TOLERANCE_DAYS),
            end=quarter.end + timedelta(days=AFTER_DAYS + HEALTH_TOLERANCE_DAYS),
        )  # fmt: skip
        outcomes = touches.outcomes_between(session, account_ids=ids, start=quarter.start,
                                            end=quarter.end + timedelta(days=OUTCOME_DAYS))  # fmt: skip
    built = []
    for row in rows:
        day = row.at.date()
        history = scores.get(row.account_id, {})
        replied = any(
            row.at < at <= row.at + timedelta(days=REPLY_DAYS) for at in replies.get(row.account_id, [])
        )
        outcome = next(
            (
                kind
                for when, kind in sorted(outcomes.get(row.account_id, []))
                if day <= when <= day + timedelta(days=OUTCOME_DAYS)
            ),
            None,
        )
        built.append(
            Touch(
                account_id=row.account_id,
                segment=row.segment,
                route=row.route,
                day=day,
                sent=row.sent,
                replied=replied if row.sent else None,
                health_before=health_after(day, history, after_days=0, tolerance=HEALTH_TOLERANCE_DAYS),
                health_after=health_after(day, history, tolerance=HEALTH_TOLERANCE_DAYS),
                outcome=outcome,
            )
        )
    return review(built, quarter)


def render_table(result: MixReview) -> str:
    lines = [
        f"Automation mix, {result.quarter} ({result.quarter.start} to {result.quarter.end - timedelta(days=1)})"
    ]
    if not result.rows:
        return lines[0] + "\n  no touches in this quarter"
    lines.append(
        f"  {'segment':<11} {'route':<9} {'touches':>7} {'share':>6} {'replies':>8} {'health 30d':>10} {'churn':>7}"
    )
    for row in result.rows:
        reply = "—" if row.reply_rate is None else f"{row.reply_rate:.0%}"
        health = "—" if row.health_change is None else f"{row.health_change:+.1f}"
        churn = "—" if row.churn_rate is None else f"{row.churn_rate:.0%} of {row.renewed + row.churned}"
        lines.append(
            f"  {row.segment:<11} {row.route:<9} {row.touches:>7} {row.share:>6.0%} {reply:>8} {health:>10} {churn:>7}"
        )
    lines += [f"  ! {finding}" for finding in result.findings] or [
        "  no route stands out as hurting the accounts it touches"
    ]
    return "\n".join(lines)


def build_message(result: MixReview) -> tuple[str, list[dict[str, Any]]]:
    text = f"Automation mix review for {result.quarter}"
    table = render_table(result).split("\n", 1)[-1]
    blocks: list[Any] = [
        HeaderBlock(text=f"Automation mix, {result.quarter}"),
        SectionBlock(text=MarkdownTextObject(text=truncate(f"```{escape(table)}```", 3000))),
    ]
    if result.findings:
        findings = "\n".join(f"• {escape(f)}" for f in result.findings)
        blocks.append(
            SectionBlock(text=MarkdownTextObject(text=truncate(f"*Worth a look*\n{findings}", 3000)))
        )
    blocks.append(
        ContextBlock(elements=[MarkdownTextObject(
            text=f"Replies within {REPLY_DAYS} days of a message; health {AFTER_DAYS} days after the touch against "
            f"its day; churn among renewals within {OUTCOME_DAYS} days. `python app.py tune review --quarter "
            f"{result.quarter}` prints the same."
        )])
    )  # fmt: skip
    return text, [block.to_dict() for block in blocks]


def post_review(deps: Deps, result: MixReview) -> int:
    """Owe ops and every manager the review, once each per quarter; returns how many people."""
    text, blocks = build_message(result)
    with transaction(deps.session_factory) as session:
        recipients = sorted(
            {
                *users.ops_recipients(session),
                *(u.slack_id for u in users.list_users(session, role=Role.MANAGER)),
            }
        )
        owe_notice(session, key=f"mix-review:{result.quarter}", kind=DeliveryKind.OPS_ALERT, recipients=recipients,
                   text=text, blocks=blocks, now=deps.clock.now())  # fmt: skip
    deliver_notices(deps)
    return len(recipients)


def run(deps: Deps, *, quarter: str | None, as_of: date, fmt: str, post: bool, out: TextIO) -> int:
    try:
        chosen = Quarter.parse(quarter) if quarter else Quarter.last_complete(as_of)
    except ValueError as error:
        print(f"tune review: {error}", file=out)
        return 2
    result = build_review(deps, quarter=chosen)
    print(json.dumps(result.as_dict(), indent=2) if fmt == "json" else render_table(result), file=out)
    if post:
        people = post_review(deps, result)
        print(f"posted to {people} people (ops and managers)", file=out)
    return 0
