"""The synthetic book of business (`python app.py seed`, `demo`, tests and benchmarks).

summary = generate_book(session_factory, accounts=200, seed=7, as_of=date(2026, 3, 2))
summary.planted["whale"]  # "ACC-WHALE"
"""

from storage.synthetic.book import BookAlreadySeeded, BookSummary, build_rows, generate_book
from storage.synthetic.planted import CASES as PLANTED_CASES

__all__ = ["PLANTED_CASES", "BookAlreadySeeded", "BookSummary", "build_rows", "generate_book"]
