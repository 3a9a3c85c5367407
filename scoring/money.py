"""Money as the reader expects it: every amount Tandem shows carries the deployment's currency
symbol (TANDEM_CURRENCY_SYMBOL, default "$"), on cards, briefs, QBRs, drafts and reasons alike.

The symbol is a display setting of the whole deployment, set once when its dependencies are
built (bot.deps.Deps applies settings.currency_symbol); amounts are never converted. A symbol
that ends in a letter ("CHF", "kr") is followed by a space: "CHF 120k", "€120k".
"""

from __future__ import annotations

DEFAULT_SYMBOL = "$"
_symbol = DEFAULT_SYMBOL


def use_currency_symbol(symbol: str) -> None:
    """Show every amount from now on with `symbol` (bot.deps.Deps calls this from Settings)."""
    global _symbol
    _symbol = symbol.strip() or DEFAULT_SYMBOL


def currency_symbol() -> str:
    return _symbol


def money(amount: float, *, compact: bool = False, symbol: str | None = None) -> str:
    """`$60,000`, or with `compact` `$60k` / `$1.2M` / `$900` (cards, where space is short)."""
    sign = symbol if symbol is not None else _symbol
    if compact and amount >= 1_000_000:
        figure = f"{amount / 1_000_000:.1f}M"
    elif compact and amount >= 1_000:
        figure = f"{amount / 1_000:.0f}k"
    elif compact:
        figure = f"{amount:.0f}"
    else:
        figure = f"{amount:,.0f}"
    return f"{sign} {figure}" if sign[-1:].isalpha() else f"{sign}{figure}"
