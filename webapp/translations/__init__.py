"""Spanish catalogs, one module per domain, each exporting `ES: dict[str, str]` (English text → Spanish)."""
