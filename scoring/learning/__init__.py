"""Learning from overrides: audit samples below the line, labels from stored decisions, and
measures over those labels.

Everything here is pure (plain data in, plain data out). Storage loads the decisions with
their context (`storage.repositories.learning`); the entry points are:

- `audit.near_misses(...)` / the weekly draw: audit samples below the line (propensity kept);
- `labels.labels_from(decisions, as_of=..., reply_window_days=...)`: what each decision meant;
- `report.build_report(...)`: precision per trigger × segment × week (noise-corrected, shrunk,
  with an interval), workload, decision time, dismiss-rate trend, recall of churned accounts
  and edit rates per draft kind and prompt version;
- the pieces the report is made of, for proposals and replays to reuse: `noise` (Rogan–Gladen
  and reviewer accuracy from renewal outcomes), `shrinkage` (a beta-binomial prior fitted
  across a trigger's cells), `intervals`, `edits` (the share of a draft a person changed) and
  `weeks` (dating by the cycle day a card came from).
"""
