"""Benchmarks at city scale (not part of `make test`): see bench/run.py and bench/RESULTS.md."""
