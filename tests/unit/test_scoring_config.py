"""The trigger configuration: the shipped TOML, the JSON round trip, and what it refuses."""

from __future__ import annotations

import json
import re
import tomllib
from typing import Any

import pytest
from pydantic import ValidationError

from scoring.config import DEFAULT_CONFIG_PATH, TriggerConfig, config_to_dict, load_default_config
from scoring.types import Segment, TriggerKey


def _default_body() -> dict[str, Any]:
    return tomllib.loads(DEFAULT_CONFIG_PATH.read_text(encoding="utf-8"))


def test_the_default_holds_the_seeds_numbers() -> None:
    config = load_default_config()
    assert (config.bands.green, config.bands.yellow) == (75, 60)
    assert config.triggers.health_low.threshold == 60
    assert config.routing.arr_share_human_review == 0.02
    assert config.routing.high_value_segments == (Segment.ENTERPRISE, Segment.MID_MARKET)
    assert config.triggers.sentiment.min_reply_rate == 0.20
    assert config.triggers.sentiment.escalation_requests == 2
    assert TriggerKey.RENEWAL_RISK in config.routing.complex_triggers


def test_the_toml_dict_validates_and_survives_a_json_round_trip() -> None:
    config = TriggerConfig.model_validate(_default_body())
    stored = json.loads(json.dumps(config_to_dict(config)))  # as the database keeps it
    assert TriggerConfig.model_validate(stored) == config == load_default_config()


def test_segment_weights_fall_back_to_default() -> None:
    config = load_default_config()
    assert config.weights_for("enterprise")["engagement"] == 0.25
    assert config.weights_for("smb") == config.weights["default"].as_dict()


@pytest.mark.parametrize(
    ("section", "change", "message"),
    [
        ("bands", {"green": 50, "yellow": 60}, "yellow (60) must not be above green (50)"),
        ("usage", {"window_dayz": 30}, "window_dayz"),
        ("routing", {"arr_share_human_review": 2}, "arr_share_human_review"),
        ("routing", {"high_value_segments": ["whales"]}, "high_value_segments"),
    ],
)
def test_a_bad_edit_is_refused_with_the_field_named(
    section: str, change: dict[str, Any], message: str
) -> None:
    body = _default_body()
    body[section] = {**body[section], **change}
    with pytest.raises(ValidationError, match=re.escape(message)):
        TriggerConfig.model_validate(body)


def test_weights_need_a_default_table_known_segments_and_some_weight() -> None:
    body = _default_body()
    with pytest.raises(ValidationError, match=r"\[weights.default\]"):
        TriggerConfig.model_validate({**body, "weights": {"smb": body["weights"]["default"]}})
    with pytest.raises(ValidationError, match="unknown segment"):
        TriggerConfig.model_validate({**body, "weights": {**body["weights"], "startup": {}}})
    zero = dict.fromkeys(body["weights"]["default"], 0)
    with pytest.raises(ValidationError, match="above zero"):
        TriggerConfig.model_validate({**body, "weights": {"default": zero}})


def test_a_stored_older_version_with_a_retired_key_still_reads() -> None:
    body = config_to_dict(load_default_config())
    body["confidence"] = {**body["confidence"], "missing_factor_penalty": 0.15}
    assert TriggerConfig.model_validate(body) == load_default_config()


def test_frustration_phrases_are_matched_in_lower_case() -> None:
    body = _default_body()
    body["triggers"]["sentiment"]["frustration_phrases"] = ["  Unacceptable ", ""]
    config = TriggerConfig.model_validate(body)
    assert config.triggers.sentiment.frustration_phrases == ("unacceptable",)
