"""Persistence: SQLAlchemy models, repositories, migrations, importers, the synthetic book."""
