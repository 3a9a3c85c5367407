"""The QBR chart: a real PNG of health and usage over the window, gaps left as gaps."""

from __future__ import annotations

from datetime import date, timedelta

from bot.charts import PNG_MAGIC, ChartData, coverage_note, health_usage_png, reliability_png
from scoring.signal_calibration import ReliabilityBin

START, END = date(2025, 12, 3), date(2026, 3, 2)


def test_the_chart_is_a_png_of_the_whole_window() -> None:
    health = [(START + timedelta(days=n), 70 - n // 5) for n in range(90)]
    usage = [(START + timedelta(days=n), 20 + n // 9, 40) for n in range(90)]
    png = health_usage_png(ChartData("Acme Corp", START, END, health, usage))
    assert png.startswith(PNG_MAGIC) and len(png) > 10_000
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert (width, height) == (990, 528)


def test_an_account_with_few_snapshots_and_no_usage_still_gets_a_chart() -> None:
    png = health_usage_png(ChartData("New Co", START, END, [(END, 61)], []))
    assert png.startswith(PNG_MAGIC)


def test_the_coverage_note_says_when_days_are_missing() -> None:
    assert (
        coverage_note("Health score", 12, 90)
        == "Health score: 12 of 90 days (no data on the other days; not filled in)"
    )
    assert coverage_note("Usage", 90, 90) == "Usage: 90 of 90 days"


def test_the_reliability_diagram_is_a_png_with_or_without_bins() -> None:
    bins = [ReliabilityBin(p / 100, p / 100 * 1.1, 120) for p in (1, 2, 4, 8, 16, 25)]
    png = reliability_png(bins)
    assert png.startswith(PNG_MAGIC) and len(png) > 10_000
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert (width, height) == (572, 506)
    assert reliability_png([]).startswith(PNG_MAGIC)
    assert reliability_png([ReliabilityBin(float("nan"), 0.1, 5)]).startswith(PNG_MAGIC)
