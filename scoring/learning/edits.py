"""How much of a draft a person changed before sending it: 0 unchanged, 1 rewritten.

Measured on words (whitespace-separated, so reflowed lines are no change), as one minus
difflib's similarity ratio: the share of the two texts' words that are not in matching runs.
"""

from __future__ import annotations

from difflib import SequenceMatcher


def edit_size(proposed: str, sent: str) -> float:
    before, after = proposed.split(), sent.split()
    if not before and not after:
        return 0.0
    ratio = SequenceMatcher(None, before, after, autojunk=False).ratio()
    return round(1.0 - ratio, 4)
