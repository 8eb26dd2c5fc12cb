"""citystat benchmarks at city scale: `make bench`, or

    .venv/bin/python bench/run.py --sizes 1000000 10000000 --repeats 3 --once-sizes 30000000 \
        --days 365

generates the demo city at each size under bench/output/, measures the full pipeline, metric
computation, an incremental daily load and every dashboard page against their baselines (raw
DuckDB, hand-written SQL, a naive pandas dashboard, an empty Streamlit page in chromium), then
``--days`` simulated daily runs at the largest size (citystat_bench.year), and writes
bench/RESULTS.md. ``--once-sizes`` measures only the rebuild, the daily run and the pages, once,
at larger sizes, for the growth exponents.
``--report-only`` rewrites RESULTS.md from bench/output/results.json without measuring.
``op NAME ...`` runs one measured operation (the harness starts these as child processes).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH_DIR), str(BENCH_DIR.parent)]  # citystat_bench, then pipelines

# Only the light modules here: the harness process must stay small (see citystat_bench.measure).
from citystat_bench.harness import OUTPUT, run_all  # noqa: E402
from citystat_bench.report import RESULTS_FILE, write_report  # noqa: E402


def _op(args: list[str]) -> None:
    """One measured operation, inside its own process."""
    from citystat_bench import ops

    name, rest = args[0], args[1:]
    # The operations whose one argument is a path (a warehouse).
    one_path = {"facts": ops.run_facts, "compare": ops.compare, "nothing_new": ops.nothing_new}
    if name == "raw_load":
        ops.raw_load(Path(rest[0]), Path(rest[1]))
    elif name == "compute":
        ops.compute(Path(rest[0]), Path(rest[1]))
    elif name == "spark":
        ops.spark(Path(rest[0]), Path(rest[1]), Path(rest[2]))
    elif name == "handwritten":
        ops.handwritten(Path(rest[0]), Path(rest[1]))
    elif name == "pages":
        ops.pages(float(rest[0]))
    elif name == "browser":
        from citystat_bench.browser import browser_pages

        shots = Path(rest[3]) if len(rest) > 3 else None  # PORT TIMEOUT LOGS [SCREENSHOTS]
        browser_pages(int(rest[0]), float(rest[1]), Path(rest[2]), shots)
    elif name == "naive":
        ops.naive(float(rest[0]))
    elif name in one_path:
        one_path[name](Path(rest[0]))
    elif name == "floor":
        ops.floor()
    elif name == "daily":
        ops.daily(Path(rest[0]), Path(rest[1]), int(rest[2]))
    elif name.startswith("year_"):
        _year_op(name, rest)
    else:
        raise SystemExit(f"unknown operation {name!r}")


def _year_op(name: str, rest: list[str]) -> None:
    """One step of the simulated year of daily runs."""
    from citystat_bench import ops

    if name == "year_start":
        ops.year_start(Path(rest[0]), Path(rest[1]), int(rest[2]), int(rest[3]), int(rest[4]))
    elif name == "year_day":
        ops.year_day(Path(rest[0]), Path(rest[1]), int(rest[2]), int(rest[3]), int(rest[4]))
    elif name == "year_compare":
        ops.year_compare(Path(rest[0]), Path(rest[1]))
    else:
        raise SystemExit(f"unknown operation {name!r}")


def main() -> None:
    """Parse the command line and run the benchmark (or one operation of it)."""
    if len(sys.argv) > 1 and sys.argv[1] == "op":
        _op(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--once-sizes",
        type=int,
        nargs="*",
        default=[],
        help="sizes measured once, for growth only: rebuild, daily run, pages (e.g. 30000000)",
    )
    parser.add_argument(
        "--no-spark",
        action="store_true",
        help="leave out Spark's figures (about an hour at 10M on 2 cores; `op spark` alone)",
    )
    parser.add_argument("--report-only", action="store_true")
    parser.add_argument(
        "--days", type=int, default=365, help="simulated daily runs at the largest size (0: none)"
    )
    args = parser.parse_args()
    if args.report_only:
        results = json.loads((OUTPUT / "results.json").read_text())
    else:
        sizes = [*args.sizes, *args.once_sizes]
        if args.repeats < 1 or any(size < 1000 for size in sizes) or args.days < 0:
            parser.error("--repeats must be at least 1, every size at least 1000, --days >= 0")
        once = sorted(args.once_sizes)
        results = run_all(
            sorted(args.sizes),
            args.repeats,
            once,
            days=args.days,
            spark=not args.no_spark,
            command=" ".join(["bench/run.py", *sys.argv[1:]]),
        )
    write_report(results)
    print(f"wrote {RESULTS_FILE}")


if __name__ == "__main__":
    main()
