"""storage/importer."""
