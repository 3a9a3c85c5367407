"""`/qbr ACCOUNT`: a quarterly business review brief from everything Tandem knows about the
account over 90 days, with its health-and-usage chart and a Markdown copy for the deck.

The brief (template or LLM, cited claim by claim) is built here from the stored facts; the
chart is drawn from the daily health snapshots and daily active users of the same window.
Delivery to Slack is `bot.workflows.qbr_delivery`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.charts import ChartData, health_usage_png
from bot.deps import Deps
from bot.workflows.account_lookup import Unresolved, resolve_account
from bot.workflows.brief import owner_name
from bot.workflows.cycle import active_trigger_config
from bot.workflows.draft_step import write_brief
from prompts.drafting import DraftResult, QBRRequest, render_markdown
from scoring.decisions import decide
from scoring.health import score_account
from storage.models import Account
from storage.repositories import snapshots
from storage.repositories.facts import book_facts, load_account_facts

QBR_DAYS = 90
COMMAND = "/qbr"


@dataclass(frozen=True)
class QBRBrief:
    account_id: str
    account_name: str
    result: DraftResult
    chart_png: bytes
    markdown: str
    snapshot_days: int  # days of the window with a health snapshot (the chart says so too)

    @property
    def file_stem(self) -> str:
        safe = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in self.account_id)
        return f"qbr-{safe}"


def qbr_request(deps: Deps, account: Account, *, as_of_days: int = QBR_DAYS) -> tuple[QBRRequest, ChartData]:
    """The QBR's facts and chart data for one account, read in one short session."""
    as_of = deps.clock.now().date()
    start = as_of - timedelta(days=as_of_days - 1)
    _, config = active_trigger_config(deps)
    with deps.session_factory() as session:
        facts = load_account_facts(session, as_of=as_of, account_ids=[account.account_id])[0]
        book = book_facts(session)
        owner = owner_name(session, account)
        history = [
            (d, s) for d, s in snapshots.score_history(session, account_id=account.account_id, since=start)
        ]
    health = score_account(facts, as_of=as_of, config=config)
    decisions = decide(facts, health, book=book, as_of=as_of, config=config)
    # Today's score counts as today's point even before the cycle has stored its snapshot.
    series = tuple(sorted({**dict(history), as_of: health.score}.items()))
    usage = tuple(u for u in facts.usage if start <= u.day <= as_of)
    request = QBRRequest(
        account_name=account.name,
        account_id=account.account_id,
        segment=account.segment,
        arr=account.arr,
        owner_name=owner,
        as_of=as_of,
        renewal_date=account.renewal_date,
        contract_start=account.contract_start,
        score=health.score,
        band=health.band.value,
        confidence=health.confidence,
        explanation=health.explanation,
        factors=health.factors,
        notes=health.notes,
        trend=health.trend,
        expansion_readiness=health.expansion_readiness,
        renewal_risk=health.renewal_risk,
        health_series=series,
        usage=usage,
        features=tuple(f for f in facts.features if start <= f.day <= as_of),
        tickets=tuple(t for t in facts.tickets if t.opened_at.date() >= start or t.closed_at is None),
        engagement=tuple(e for e in facts.engagement if e.at.date() >= start),
        billing=tuple(b for b in facts.billing if b.day >= start),
        milestones=facts.milestones,
        context=tuple(c for c in facts.context if c.ends_at is None or c.ends_at.date() >= start),
        open_signals=tuple(f"{d.trigger.value} → {d.route.value}: {d.reason_sentence}" for d in decisions),
        window_days=as_of_days,
    )
    chart = ChartData(
        account_name=account.name, start=start, end=as_of, health=series,
        usage=[(u.day, u.active_users, u.licensed_seats) for u in usage],
    )  # fmt: skip
    return request, chart


def build_qbr(deps: Deps, *, query: str, actor: str) -> QBRBrief | Unresolved:
    with deps.session_factory() as session:
        found = resolve_account(
            session, query=query, actor=actor, command=COMMAND, action="ask for its QBR brief"
        )
    if not isinstance(found, Account):
        return found
    request, chart = qbr_request(deps, found)
    result = write_brief(deps, request, account_id=found.account_id)
    markdown = render_markdown(result.document) if result.document else result.body + "\n"
    if result.is_template:
        markdown += "\n_Written by Tandem's template drafter (no LLM)._\n"
    if result.needs_review:
        markdown += f"\n_Needs human review: {result.needs_review}_\n"
    return QBRBrief(
        account_id=found.account_id,
        account_name=found.name,
        result=result,
        chart_png=health_usage_png(chart),
        markdown=markdown,
        snapshot_days=len(chart.health),
    )
