"""The Spark job as spark-submit runs it on a cluster (README, "Past one machine: Spark"):

    PYSPARK_PYTHON=.venv/bin/python .venv/bin/spark-submit --master spark://host:7077 \\
        pipelines/spark/job.py --lake /shared/lake

It does what `citystat metrics compute --engine spark` does, in the application spark-submit
started (its master, its settings).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipelines.lake.layout import LakeError
from pipelines.spark.compute import compute_lake
from pipelines.spark.session import SparkUnavailable


def main(argv: list[str] | None = None) -> int:
    """Compute every city of the lake (or those named) and write metric_values; exit code."""
    parser = argparse.ArgumentParser(prog="pipelines/spark/job.py", description=__doc__)
    parser.add_argument("--lake", type=Path, required=True, help="the lake folder")
    parser.add_argument("--out", type=Path, default=None, help="default: the lake itself")
    parser.add_argument("--only", action="append", default=None, help="a city id (repeatable)")
    args = parser.parse_args(argv)
    try:
        done = compute_lake(args.lake, args.out, cities=args.only, master=None, progress=print)
    except (LakeError, SparkUnavailable) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"spark: {len(done)} cities, {sum(c.rows for c in done):,} metric values")
    return 0


if __name__ == "__main__":
    sys.exit(main())
