"""Command-line reports: pure renderers of results into table, CSV and JSON."""
