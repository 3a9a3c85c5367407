"""The synthetic book of business (`python app.py seed`, `demo`, tests and benchmarks)."""

from storage.synthetic.book import BookSummary, generate_book
from storage.synthetic.planted import CASES as PLANTED_CASES

__all__ = ["PLANTED_CASES", "BookSummary", "generate_book"]
