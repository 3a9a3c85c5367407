"""Audit cards below the line: the weekly draw in the cycle, the card's view, the answers."""
