"""A calibration proposal's deliveries: its message to each ops and admin user, then its
reliability diagram in that message's thread.

The message row (`calibration:<proposal id>:<recipient>`) is owed with the text and blocks of
the moment it was proposed (what a terminal preview and a failure notice show) and rendered
again from the proposal's state when it is posted; one superseded meanwhile is no longer owed.
Once it is posted, the same transaction owes the chart (`…:chart`, to the DM it landed in), so
the chart goes through the same claim, retries and failure notice as any message, and a chart
that failed for good has ops' Retry like one.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot.blocks.calibration import build_calibration_message
from bot.charts import ReliabilityPoint, reliability_png
from bot.delivery.engine import Rendered, Renderer
from bot.posting import FileUpload, PostedMessage
from bot.tuning.proposal_view import proposal_view
from storage.enums import DeliveryKind, ProposalState
from storage.models import SlackDelivery, TuningProposal
from storage.repositories import deliveries, tuning

CHART_SUFFIX = ":chart"


def message_key(proposal_id: int) -> str:
    """The notice key of one proposal's message (each recipient's row adds `:<recipient>`)."""
    return f"calibration:{proposal_id}"


def proposal_id_of(key: str) -> int | None:
    parts = key.split(":")
    return int(parts[1]) if len(parts) >= 2 and parts[0] == "calibration" and parts[1].isdigit() else None


def reliability_bins(row: TuningProposal) -> list[ReliabilityPoint]:
    """The backtest's reliability bins stored with the proposal (bins without figures left out)."""
    stored = row.evidence.get("figures", {}).get("reliability", [])
    return [
        ReliabilityPoint(float(b["predicted"]), float(b["observed"]), int(b.get("samples") or 0))
        for b in stored
        if isinstance(b, dict) and b.get("predicted") is not None and b.get("observed") is not None
    ]


class CalibrationMessageRenderer:
    """The message from the proposal's current state; once posted, its chart is owed."""

    def render(self, session: Session, row: SlackDelivery) -> Rendered | str:
        proposal = _proposal(session, row.key)
        if proposal is None:
            return "the calibration proposal no longer exists"
        if proposal.state == ProposalState.SUPERSEDED:
            return "a newer calibration took its place before this message reached Slack"
        now = row.claimed_at or row.created_at  # this attempt's time (the injected clock's)
        text, blocks = build_calibration_message(proposal_view(proposal, now=now))
        return Rendered(text, blocks)

    def after_sent(self, session: Session, row: SlackDelivery, posted: PostedMessage, now: datetime) -> None:
        proposal_id = proposal_id_of(row.key)
        chart = {
            "key": row.key + CHART_SUFFIX,
            "kind": DeliveryKind.CALIBRATION_CHART.value,
            "recipient": posted.channel_id,
            "text": f"the reliability diagram of calibration proposal #{proposal_id}",
        }
        deliveries.owe(session, rows=[chart], now=now)


class ReliabilityChartRenderer:
    """The reliability diagram as a PNG, uploaded into the thread of the posted message."""

    def render(self, session: Session, row: SlackDelivery) -> Rendered | str:
        message = deliveries.by_key(session, key=row.key.removesuffix(CHART_SUFFIX))
        if message is None or not message.message_ts:
            return "the calibration message it belongs to was never posted"
        proposal = _proposal(session, row.key)
        if proposal is None:
            return "the calibration proposal no longer exists"
        bins = reliability_bins(proposal)
        upload = FileUpload(
            content=reliability_png(bins),
            filename=f"calibration-{proposal.id}-reliability.png",
            title=f"Calibration #{proposal.id}: predicted vs observed churn on the backtest",
            alt_text=(
                f"Reliability diagram: predicted against observed churn in {len(bins)} bins of the "
                "proposed score on the backtest, beside the diagonal of a perfectly calibrated score"
            ),
            thread_ts=message.message_ts,
            comment="Reliability diagram: the closer the points run to the diagonal, the more the proposed "
            "score's churn probabilities can be taken at their word.",
        )
        return Rendered(row.text, [], file=upload)

    def after_sent(self, session: Session, row: SlackDelivery, posted: PostedMessage, now: datetime) -> None:
        return None


def _proposal(session: Session, key: str) -> TuningProposal | None:
    proposal_id = proposal_id_of(key)
    return tuning.get_proposal(session, proposal_id=proposal_id) if proposal_id is not None else None


CALIBRATION_RENDERERS: dict[DeliveryKind, Renderer] = {
    DeliveryKind.CALIBRATION: CalibrationMessageRenderer(),
    DeliveryKind.CALIBRATION_CHART: ReliabilityChartRenderer(),
}
