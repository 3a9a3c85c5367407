"""Small helpers for Slack mrkdwn text: escaping and safe truncation."""

from __future__ import annotations

BAND_EMOJI = {"green": "🟢", "yellow": "🟡", "red": "🔴"}
SECTION_TEXT_LIMIT = 3000


def escape(text: str) -> str:
    """Escape the three characters Slack treats as control sequences in mrkdwn."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def truncate(text: str, limit: int = SECTION_TEXT_LIMIT) -> str:
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "…"


def band_label(band: str, score: int) -> str:
    return f"{BAND_EMOJI.get(band, '⚪')} {score} ({band})"


def money(amount: float) -> str:
    if amount >= 1_000_000:
        return f"${amount / 1_000_000:.1f}M"
    if amount >= 1_000:
        return f"${amount / 1_000:.0f}k"
    return f"${amount:.0f}"
