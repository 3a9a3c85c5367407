"""The trigger configuration: every weight, threshold and window, versioned as data.

The default lives in `default_config.toml`; the database stores each version's body as JSON
and `TriggerConfig.model_validate(body)` reads it back.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

DEFAULT_CONFIG_PATH = Path(__file__).with_name("default_config.toml")
FACTORS = ("usage", "support", "billing", "engagement", "onboarding")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Bands(_Section):
    green: int = 75
    yellow: int = 60


class FactorWeights(_Section):
    usage: float = 0.40
    support: float = 0.20
    billing: float = 0.15
    engagement: float = 0.15
    onboarding: float = 0.10

    def as_dict(self) -> dict[str, float]:
        return {name: getattr(self, name) for name in FACTORS}


class UsageRules(_Section):
    window_days: int = 30
    trend_days: int = 7
    healthy_utilisation: float = 0.70
    drop_penalty_per_percent: float = 0.6
    min_days: int = 7


class SupportRules(_Section):
    window_days: int = 30
    ticket_points: dict[str, float] = Field(
        default_factory=lambda: {"low": 3.0, "normal": 6.0, "high": 12.0, "urgent": 20.0}
    )
    escalation_request_points: float = 15
    open_ticket_points: float = 2


class BillingRules(_Section):
    window_days: int = 90
    overdue_points: float = 25
    failed_payment_points: float = 20
    downgrade_points: float = 20


class EngagementRules(_Section):
    window_days: int = 90
    neutral: float = 70
    meeting_points: float = 5
    max_meeting_points: float = 15
    public_complaint_points: float = 30
    min_outreach_for_rate: int = 3


class OnboardingRules(_Section):
    overdue_points: float = 25


class ConfidenceRules(_Section):
    missing_factor_penalty: float = 0.15
    data_quality_penalty: float = 0.35
    data_quality_lookback_days: int = 30


class HealthLowTrigger(_Section):
    threshold: int = 60


class HealthDropTrigger(_Section):
    drop_fraction: float = 0.20
    window_days: int = 30


class SentimentTrigger(_Section):
    window_days: int = 30
    escalation_requests: int = 2
    min_reply_rate: float = 0.20
    min_outreach: int = 5
    reply_window_days: int = 90


class Triggers(_Section):
    health_low: HealthLowTrigger = HealthLowTrigger()
    health_drop: HealthDropTrigger = HealthDropTrigger()
    sentiment: SentimentTrigger = SentimentTrigger()


class Routing(_Section):
    arr_share_human_review: float = 0.02
    high_value_segments: tuple[str, ...] = ("enterprise", "mid_market")
    high_value_arr_percentile: float = 0.90
    crisis_lookback_days: int = 30


class TriggerConfig(_Section):
    bands: Bands = Bands()
    weights: dict[str, FactorWeights] = Field(default_factory=lambda: {"default": FactorWeights()})
    usage: UsageRules = UsageRules()
    support: SupportRules = SupportRules()
    billing: BillingRules = BillingRules()
    engagement: EngagementRules = EngagementRules()
    onboarding: OnboardingRules = OnboardingRules()
    confidence: ConfidenceRules = ConfidenceRules()
    triggers: Triggers = Triggers()
    routing: Routing = Routing()

    @field_validator("weights")
    @classmethod
    def _needs_default_weights(cls, value: dict[str, FactorWeights]) -> dict[str, FactorWeights]:
        if "default" not in value:
            raise ValueError("weights must have a [weights.default] table")
        return value

    def weights_for(self, segment: str) -> dict[str, float]:
        return (self.weights.get(segment) or self.weights["default"]).as_dict()


def load_default_config() -> TriggerConfig:
    return config_from_toml(DEFAULT_CONFIG_PATH.read_text(encoding="utf-8"))


def config_from_toml(text: str) -> TriggerConfig:
    return TriggerConfig.model_validate(tomllib.loads(text))


def config_to_dict(config: TriggerConfig) -> dict[str, Any]:
    """JSON-safe body for storage; `TriggerConfig.model_validate` reads it back."""
    return config.model_dump(mode="json")
