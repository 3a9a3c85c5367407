"""A calibration proposal in Slack (pure): the message to ops and its group of blocks.

The group reads the proposal's stored evidence (`bot.tuning.calibration_evidence`): the backtest
ROC-AUC of the proposed, current and reference models, the gain with its interval, what the
calibration learned in words, and the bands with the churn in each (the verdict, which says the
gain again, is in Details). The reliability diagram
follows in the message's thread. Its block ids are trigger tuning's (`tuning-<id>-…`), so
`bot.blocks.tuning` splices it like any proposal; waiting, it carries Accept, Reject and
Details (no shadow: a calibration moves every score, not one trigger's cards); accepted, Roll
back for 30 days. The Details modal is `bot.blocks.calibration_details`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.blocks.mrkdwn import BAND_EMOJI, escape, truncate
from bot.blocks.proposal_view import ProposalView, rollback_button, state_line
from bot.ids import TuningAction

HEADER = "Health score calibration"
FINDINGS_SHOWN = 4  # the rest are in Details
BANDS_FROM = {
    "churn rates": "where churn runs at twice and at half the base rate",
    "quantiles": "at the 25th and 60th percentiles of the scores",
}


def build_calibration_message(view: ProposalView) -> tuple[str, list[dict[str, Any]]]:
    figures = view.evidence.get("figures", {})
    auc = figures.get("roc_auc", {})
    text = (
        f"Health score calibration #{view.proposal_id} waiting for ops: backtest ROC-AUC "
        f"{_auc(auc.get('current'))} → {_auc(auc.get('proposed'))}"
    )
    intro = (
        f"Fitted on churn outcomes. *Accept* activates configuration v{view.config_version} (the score's model, "
        f"bands and weights together); *Reject* asks why; after Accept, *Roll back* returns to v{view.parent_version}. "
        "Only ops and admins decide. The reliability diagram follows in the thread."
    )
    blocks: list[Block] = [HeaderBlock(text=HEADER), ContextBlock(elements=[MarkdownTextObject(text=intro)])]
    blocks.extend(calibration_group(view))
    return text, [block.to_dict() for block in blocks]


def calibration_group(view: ProposalView) -> list[Block]:
    prefix = f"tuning-{view.proposal_id}-"
    figures: Mapping[str, Any] = view.evidence.get("figures", {})
    summary = [
        f"*#{view.proposal_id} {escape(view.title)}*  (v{view.parent_version} → v{view.config_version})",
        auc_line(figures),
        gain_line(figures),
    ]
    blocks: list[Block] = [
        SectionBlock(block_id=f"{prefix}body", text=MarkdownTextObject(text=truncate("\n".join(summary))))
    ]
    learned = findings_text(view.sentences, shown=FINDINGS_SHOWN)
    bands = bands_text(figures)
    blocks.append(
        SectionBlock(
            block_id=f"{prefix}learned", text=MarkdownTextObject(text=truncate(f"{learned}\n{bands}"))
        )
    )
    state = state_line(view)
    if state:
        blocks.append(
            ContextBlock(block_id=f"{prefix}state", elements=[MarkdownTextObject(text=truncate(state, 2000))])
        )
    blocks.append(ActionsBlock(block_id=f"{prefix}actions", elements=_buttons(view)))
    return blocks


def auc_line(figures: Mapping[str, Any]) -> str:
    auc = figures.get("roc_auc", {})
    ratio = figures.get("ratio_to_reference")
    of_reference = f" — {ratio:.0%} of the reference" if isinstance(ratio, int | float) else ""
    return (
        f"Backtest ROC-AUC: *{_auc(auc.get('proposed'))}* proposed · {_auc(auc.get('current'))} current · "
        f"{_auc(auc.get('reference'))} reference{of_reference}"
    )


def gain_line(figures: Mapping[str, Any]) -> str:
    gain, low, high = figures.get("auc_gain"), figures.get("auc_gain_low"), figures.get("auc_gain_high")
    interval = (
        f" (95% interval {low:+.3f} to {high:+.3f})"
        if isinstance(low, int | float) and isinstance(high, int | float)
        else " (no interval: the backtest could not be resampled)"
    )
    shown = f"{gain:+.3f}" if isinstance(gain, int | float) else "n/a"
    return f"Gain over the current score: *{shown}*{interval}"


def findings_text(sentences: Sequence[str], *, shown: int | None = None) -> str:
    if not sentences:
        return "*What it learned*\nNo signal beyond noise."
    listed = sentences if shown is None else sentences[:shown]
    lines = [f"• {escape(sentence)}" for sentence in listed]
    if len(sentences) > len(listed):
        lines.append(f"…and {len(sentences) - len(listed)} more in *Details*.")
    return "*What it learned*\n" + "\n".join(lines)


def bands_text(figures: Mapping[str, Any]) -> str:
    bands = figures.get("bands", {})
    yellow, green = bands.get("yellow"), bands.get("green")
    if yellow is None or green is None:
        return "*Bands*: unchanged."
    how = BANDS_FROM.get(str(bands.get("from")), "")
    line = (
        f"*Bands*: {BAND_EMOJI['red']} Red below {yellow} · {BAND_EMOJI['yellow']} Yellow {yellow}–{green - 1} · "
        f"{BAND_EMOJI['green']} Green from {green}" + (f" (set {how})" if how else "")
    )
    rates = [r for r in figures.get("band_rates", []) if isinstance(r, Mapping)]
    if rates:
        churn = " · ".join(f"{str(r.get('band', '')).title()} {_percent(r.get('rate'))}" for r in rates)
        line += f"\nChurn by band over every sample: {churn}"
    return line


def _buttons(view: ProposalView) -> list[ButtonElement]:
    value = str(view.proposal_id)  # an id only: the state lives in the database
    details = ButtonElement(text="Details", action_id=TuningAction.CALIBRATION_DETAILS, value=value)
    if view.state in ("proposed", "shadowing"):
        accept = ButtonElement(
            text="Accept", action_id=TuningAction.ACCEPT, value=value, style="primary",
            confirm=ConfirmObject(
                title="Activate the calibration?",
                text=f"Configuration v{view.config_version} becomes active: every score follows the calibrated "
                     "model and bands from the next cycle. Roll back returns to the one before.",
                confirm="Accept", deny="Cancel",
            ),
        )  # fmt: skip
        return [accept, ButtonElement(text="Reject", action_id=TuningAction.REJECT, value=value), details]
    if view.state == "accepted" and view.can_roll_back:
        rollback = rollback_button(value, "The configuration before this calibration becomes active again.")
        return [rollback, details]
    return [details]


def _auc(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, int | float) else "n/a"


def _percent(value: Any) -> str:
    return f"{value:.1%}" if isinstance(value, int | float) else "n/a"
