"""A calibration proposal's Details modal (pure): every finding, the verdict, the backtest, the
three models' metrics side by side, churn by band, the reliability bins and the fit's notes.
Every stored text is escaped; long lists are split over sections within Slack's limits."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from slack_sdk.models.blocks import Block, DividerBlock, MarkdownTextObject, SectionBlock
from slack_sdk.models.views import View

from bot.blocks.calibration import auc_line, bands_text, gain_line
from bot.blocks.mrkdwn import SECTION_TEXT_LIMIT, escape, truncate
from bot.blocks.proposal_view import ProposalView
from bot.ids import TuningModal

MAX_BLOCKS = 90  # of Slack's 100 in a modal
METRICS = (
    ("roc_auc", "ROC-AUC", "{:.3f}"),
    ("pr_auc", "PR-AUC", "{:.3f}"),
    ("brier", "Brier score", "{:.4f}"),
    ("top_decile_lift", "Top-decile lift", "{:.2f}×"),
)
MODELS = (("proposed", "proposed"), ("current", "current"), ("reference", "reference"))


def calibration_details_modal(view: ProposalView) -> dict[str, Any]:
    evidence = view.evidence
    figures: Mapping[str, Any] = evidence.get("figures", {})
    state = view.state.replace("_", " ")
    head = [f"*{escape(view.title)}*", f"v{view.parent_version} → v{view.config_version} · {state}"]
    if evidence.get("verdict"):
        head.append(escape(str(evidence["verdict"])))
    blocks: list[Block] = [_section("\n".join(head))]
    blocks.append(_section("\n".join([auc_line(figures), gain_line(figures), *_metrics_lines(figures)])))
    backtest = [escape(str(evidence.get("backtest") or "No backtest text."))]
    backtest.append(
        f"{figures.get('samples', 0):,} samples ({figures.get('churned', 0):,} churned): "
        f"{figures.get('monthly', 0):,} monthly, {figures.get('renewals', 0):,} renewals; "
        f"churn within {figures.get('horizon_days', '?')} days."
    )
    blocks.append(_section("*Backtest*\n" + "\n".join(backtest)))
    blocks.append(DividerBlock())
    sentences = [f"• {escape(s)}" for s in view.sentences] or ["No signal beyond noise."]
    blocks.extend(_sections("*What it learned* (every signal)", sentences))
    blocks.append(_section(bands_text(figures) + "\n" + "\n".join(_band_rows(figures))))
    blocks.extend(
        _sections("*Reliability* (predicted → observed churn, samples)", _reliability_rows(figures))
    )
    notes = [f"• {escape(str(note))}" for note in evidence.get("notes", [])]
    if notes:
        blocks.extend(_sections("*Notes*", notes))
    modal = View(
        type="modal",
        callback_id=TuningModal.CALIBRATION_DETAILS_CALLBACK,
        private_metadata=str(view.proposal_id),
        title=f"Calibration #{view.proposal_id}"[:24],
        close="Close",
        blocks=blocks[:MAX_BLOCKS],
    )
    return modal.to_dict()


def _metrics_lines(figures: Mapping[str, Any]) -> list[str]:
    metrics = figures.get("metrics", {})
    if not metrics:
        return []
    lines = ["*Metrics on the backtest* (proposed · current · reference)"]
    for key, label, form in METRICS:
        values = [metrics.get(model, {}).get(key) for model, _ in MODELS]
        shown = [form.format(v) if isinstance(v, int | float) else "n/a" for v in values]
        lines.append(f"• {label}: {' · '.join(shown)}")
    return lines


def _band_rows(figures: Mapping[str, Any]) -> list[str]:
    rows = [r for r in figures.get("band_rates", []) if isinstance(r, Mapping)]
    return [
        f"• {escape(str(r.get('band', '')).title())}: {r.get('churned', 0):,} churned of {r.get('samples', 0):,} "
        f"({r['rate']:.1%})"
        if isinstance(r.get("rate"), int | float)
        else f"• {escape(str(r.get('band', '')).title())}: no samples"
        for r in rows
    ]


def _reliability_rows(figures: Mapping[str, Any]) -> list[str]:
    rows = [r for r in figures.get("reliability", []) if isinstance(r, Mapping)]
    return [
        f"• {_percent(r.get('predicted'))} → {_percent(r.get('observed'))}  ({r.get('samples', 0):,})"
        for r in rows
    ] or ["No bins."]


def _sections(title: str, lines: Sequence[str]) -> Iterable[Block]:
    """`lines` under `title`, as many sections as it takes to keep each within Slack's limit."""
    chunk: list[str] = [title]
    size = len(title)
    for line in lines:
        line = truncate(line, SECTION_TEXT_LIMIT - len(title) - 2)
        if size + len(line) + 1 > SECTION_TEXT_LIMIT:
            yield _section("\n".join(chunk))
            chunk, size = [], 0
        chunk.append(line)
        size += len(line) + 1
    if chunk:
        yield _section("\n".join(chunk))


def _section(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=truncate(text)))


def _percent(value: Any) -> str:
    return f"{value:.1%}" if isinstance(value, int | float) else "n/a"
