"""Repository functions: keyword-only arguments, `select()` only, no commits (callers own the
transaction)."""
