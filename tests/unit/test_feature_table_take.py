"""FeatureTable.take: a subset of rows carries every field, including fields added later."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import numpy as np
import pytest

from scoring.features import COLUMNS, SHARED, FeatureTable, OverdueStep
from scoring.types import ContextEvent, ContextKind

AS_OF = date(2026, 3, 2)
GAP = ContextEvent(ContextKind.DATA_GAP, datetime(2026, 2, 20, tzinfo=UTC))


def _table() -> FeatureTable:
    table = FeatureTable.empty(AS_OF, ["A", "B", "C"], ["smb", "enterprise", "smb"])
    for name in COLUMNS:
        table.columns[name][:] = [1.0, 2.0, 3.0]
    table.oldest_overdue[2] = OverdueStep("kickoff", date(2026, 1, 1))
    table.data_quality[0] = GAP
    return table


def test_take_picks_rows_in_the_given_order_from_every_per_row_field() -> None:
    table = _table()

    taken = table.take(np.array([2, 0]))

    assert taken.as_of == AS_OF and taken.account_ids == ["C", "A"] and taken.segments == ["smb", "smb"]
    assert set(taken.columns) == set(COLUMNS)
    assert all(taken.columns[name].tolist() == [3.0, 1.0] for name in COLUMNS)
    assert taken.oldest_overdue == [OverdueStep("kickoff", date(2026, 1, 1)), None]
    assert taken.data_quality == [None, GAP]
    assert taken.py["arr"] == [3.0, 1.0]
    taken.columns["arr"][0] = 99.0
    assert table.columns["arr"][2] == 3.0  # a copy, not a view


def test_a_boolean_mask_and_no_rows_work_too() -> None:
    table = _table()

    assert table.take(np.array([False, True, True])).account_ids == ["B", "C"]
    empty = table.take(np.array([], dtype=int))
    assert len(empty) == 0 and empty.columns["arr"].shape == (0,) and empty.oldest_overdue == []


@dataclass
class _Wider(FeatureTable):
    """A FeatureTable with fields added later: a per-feature matrix and its column labels."""

    feature_names: list[str] = field(default_factory=list, metadata=SHARED)
    feature_uses: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    note: str = ""


def test_fields_added_later_come_along_and_shared_ones_are_not_indexed() -> None:
    base = _table()
    wide = _Wider(
        base.as_of,
        base.account_ids,
        base.segments,
        base.columns,
        base.data_quality,
        base.oldest_overdue,
        feature_names=["export", "api", "sso"],  # as many features as accounts: still shared
        feature_uses=np.arange(9.0).reshape(3, 3),
        note="kept",
    )

    taken = wide.take(np.array([1]))

    assert isinstance(taken, _Wider)
    assert taken.feature_names == ["export", "api", "sso"]
    assert taken.feature_uses.tolist() == [[3.0, 4.0, 5.0]]
    assert taken.note == "kept"


def test_bad_rows_are_refused() -> None:
    table = _table()
    with pytest.raises(ValueError, match="mask needs 3"):
        table.take(np.array([True, False]))
    with pytest.raises(IndexError):
        table.take(np.array([3]))
    with pytest.raises(TypeError):
        table.take(np.array([0.5]))
