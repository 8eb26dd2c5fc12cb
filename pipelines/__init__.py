"""citystat pipelines: load city extracts into DuckDB, validate them, compute Stat metrics."""
