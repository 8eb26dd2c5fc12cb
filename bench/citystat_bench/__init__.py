"""The benchmark harness: measured child processes, baselines, hand-written SQL, the report."""
