"""GET /metrics over HTTP and read it back with Prometheus's own parser."""

from __future__ import annotations

import urllib.request
from dataclasses import dataclass

from prometheus_client.parser import text_string_to_metric_families


@dataclass(frozen=True)
class Scrape:
    content_type: str
    families: dict[str, str]  # family name → type ("counter", "gauge", ...)
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float]

    def value(self, name: str, **labels: str) -> float:
        """One sample's value; 0 when the sample is not there (a counter never moved)."""
        return self.samples.get((name, frozenset(labels.items())), 0.0)

    def by_label(self, name: str, label: str) -> dict[str, float]:
        """Every sample of `name`, keyed by one of its labels."""
        return {dict(key)[label]: value for (sample, key), value in self.samples.items() if sample == name}


def scrape(url: str) -> Scrape:
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.status == 200
        return parse(response.read().decode(), content_type=response.headers["Content-Type"])


def parse(text: str, *, content_type: str = "") -> Scrape:
    families = list(text_string_to_metric_families(text))  # raises on text that is not the format
    return Scrape(
        content_type,
        {family.name: family.type for family in families},
        {(s.name, frozenset(s.labels.items())): s.value for family in families for s in family.samples},
    )
