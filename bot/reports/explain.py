"""`explain ACCOUNT`: one account's score, factors, fired triggers, route and reasons."""

from __future__ import annotations

import json
from collections.abc import Sequence

from bot.trends import describe_trend
from scoring.config import TriggerConfig
from scoring.decisions import primary_decision
from scoring.evidence import Contributor
from scoring.features import table_from_facts
from scoring.money import money
from scoring.signals import signal_figures, spec_for
from scoring.types import AccountFacts, Decision, HealthResult


def explain_payload(
    account: AccountFacts,
    health: HealthResult,
    decisions: Sequence[Decision],
    contributors: Sequence[Contributor] = (),
    *,
    actions: Sequence[str] | None = None,
    exceptions: Sequence[dict[str, object]] = (),
    config: TriggerConfig | None = None,
) -> dict[str, object]:
    """`actions` is what the day's cycle did (cards, touches) when it ran; None: not run yet,
    and the decisions are what it would decide now. `exceptions` are the account's "quiet
    until it gets worse" exceptions, newest first, each with a `sentence` (see
    bot.workflows.exceptions.views.explain_rows)."""
    primary = primary_decision(list(decisions))
    route = primary.route if primary else None
    return {
        "account_id": account.account_id,
        "name": account.name,
        "segment": account.segment.value,
        "arr": account.arr,
        "as_of": health.as_of.isoformat(),
        "score": health.score,
        "band": health.band.value,
        "confidence": round(health.confidence, 2),
        "explanation": health.explanation,
        "notes": list(health.notes),
        "contributors": [
            {
                "factor": c.factor,
                "score": round(c.score, 1),
                "points": round(c.points, 1),
                "detail": c.detail,
                "evidence": list(c.evidence),
            }
            for c in contributors
        ],
        "signals": _signals(account, health, config),
        "trend": {f"{days}d": change for days, change in health.trend},
        "expansion_readiness": health.expansion_readiness,
        "renewal_risk": health.renewal_risk,
        "renewal_date": account.renewal_date.isoformat() if account.renewal_date else None,
        "factors": [
            {
                "name": f.name,
                "score": round(f.score, 1),
                "weight": round(f.weight, 3),
                "detail": f.detail,
                "data_points": f.data_points,
            }
            for f in health.factors
        ],
        "triggers": [d.trigger.value for d in decisions],
        "route": route.value if route else None,
        "reason": primary.reason_sentence if primary else None,
        "decided_by_cycle": actions is not None,
        "actions": list(actions or []),
        "reasons": [
            {
                "trigger": d.trigger.value,
                "route": d.route.value,
                "code": r.code,
                "sentence": r.sentence,
            }
            for d in decisions
            for r in d.reasons
        ],
        "decisions": [
            {
                "trigger": d.trigger.value,
                "summary": d.signal.summary,
                "route": d.route.value,
                "reason_codes": [r.code for r in d.reasons],
                "reason": d.reason_sentence,
                "notify_manager": d.notify_manager,
            }
            for d in decisions
        ],
        "exceptions": [dict(row) for row in exceptions],
    }


def add_citations(payload: dict[str, object], cited: dict[str, list[str]]) -> None:
    """Each decision's cited channel messages ("cited": permalink and fenced excerpt)."""
    for decision in payload["decisions"]:  # type: ignore[attr-defined]
        decision["cited"] = cited.get(decision["trigger"], [])


def _signals(
    account: AccountFacts, health: HealthResult, config: TriggerConfig | None
) -> list[dict[str, object]]:
    """The score signal by signal: points (they add up to 100 - the score) and the figure."""
    if config is None or not health.points:
        return []
    names = [name for name, _ in health.points]
    table = table_from_facts([account], as_of=health.as_of, config=config)
    figures = signal_figures(table, 0, names, config)
    return [
        {"signal": name, "factor": spec_for(name).factor, "points": points, "figure": figures[name]}
        for name, points in health.points
    ]


def render_text(payload: dict[str, object]) -> str:
    lines = [
        f"{payload['name']} ({payload['account_id']}), {payload['segment']}, ARR {money(float(str(payload['arr'])))}",
        f"Health {payload['score']} ({payload['band']}), confidence {payload['confidence']}, "
        f"as of {payload['as_of']}",
        f"Why: {payload['explanation']}",
    ]
    for note in payload["notes"]:  # type: ignore[attr-defined]
        lines.append(f"Note: {note}")
    contributors = payload.get("contributors") or []
    if contributors:
        lines.append("What costs the most points, with the evidence:")
    for c in contributors:  # type: ignore[attr-defined]
        lines.append(f"  {c['factor']} (−{c['points']:.0f} points): {c['detail']}")
        lines.extend(f"    · {line}" for line in c["evidence"])
    trend = payload.get("trend") or {}
    if trend:
        lines.append("Trend: " + describe_trend([(int(k[:-1]), v) for k, v in trend.items()]))  # type: ignore[attr-defined]
    if payload.get("expansion_readiness") is not None:
        lines.append(f"Expansion readiness: {payload['expansion_readiness']}/100")
    if payload.get("renewal_risk") is not None:
        lines.append(
            f"Renewal risk: {payload['renewal_risk']:.0%} chance of churn at the renewal on {payload['renewal_date']}"
        )
    signals = payload.get("signals") or []
    if signals:
        lines.append("Points by signal (they add up to 100 minus the score):")
        for signal in signals:  # type: ignore[attr-defined]
            figure = f" — {signal['figure']}" if signal["figure"] else ""
            lines.append(f"  {signal['signal']:<28} {-signal['points']:>+6.1f}{figure}")
    lines.append("Factors:")
    for factor in payload["factors"]:  # type: ignore[attr-defined]
        lines.append(
            f"  {factor['name']:<11} {factor['score']:>5.1f}  weight {factor['weight']:.2f}  {factor['detail']}"
        )
    decisions = payload["decisions"]
    if not decisions:
        lines.append("Triggers: none fired; no action proposed.")
    elif payload.get("decided_by_cycle"):
        lines.append(f"Today's cycle decided: {payload['route']}. {payload['reason']}")
    else:
        lines.append(f"The cycle has not run today; it would decide: {payload['route']}. {payload['reason']}")
    for decision in decisions:  # type: ignore[attr-defined]
        lines.append(f"Trigger {decision['trigger']} → route {decision['route']}: {decision['summary']}")
        lines.append(f"  {decision['reason']}")
        for citation in decision.get("cited") or []:
            lines.append("  In their channel: " + citation.replace("\n", "\n    "))
    for action in payload.get("actions") or []:  # type: ignore[attr-defined]
        lines.append(f"Done: {action}")
    for exception in payload.get("exceptions") or []:  # type: ignore[attr-defined]
        lines.append(f"Exception on {exception['trigger']} ({exception['state']}): {exception['sentence']}")
    return "\n".join(lines)


def render(payload: dict[str, object], *, as_json: bool) -> str:
    return json.dumps(payload, indent=2) if as_json else render_text(payload)
