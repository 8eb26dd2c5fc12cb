"""The benchmark run: demo data at each size, every figure and its baseline, interleaved.

Every measured operation is its own process (pipeline runs are the ``citystat`` command; the
rest ``bench/run.py op ...``). A figure and its baseline are run alternately, repeat by
repeat, so load from other work on this shared machine falls on both alike; only ratios
measured within one harness run are compared.
"""

from __future__ import annotations

import compileall
import json
import os
import shutil
import sys
from collections.abc import Callable
from dataclasses import asdict, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .daily import DAILY_NAME
from .machine import machine, versions
from .measure import Measurement, own_peak_rss_bytes, run_measured
from .year import day_name

PROJECT_ROOT = Path(__file__).resolve().parents[2]
BENCH_DIR = PROJECT_ROOT / "bench"
OUTPUT = BENCH_DIR / "output"
RUN_SCRIPT = BENCH_DIR / "run.py"
METRICS_FILE = PROJECT_ROOT / "metrics.yml"
BIN = Path(sys.executable).parent
SMALL_ROWS = 10_000  # the dashboard's reference warehouse
DAILY_ROWS = 10_000
PAGE_TIMEOUT = 900.0
# The browser benchmark's Streamlit server (BENCH_BROWSER_PORT overrides, for a shared machine).
BROWSER_PORT = int(os.environ.get("BENCH_BROWSER_PORT", "8599"))
YEAR_SEED = 19  # the simulated year's daily files, the same in every benchmark run

Log = Callable[[str], None]


def _say(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", flush=True)


def data_dir(rows: int) -> Path:
    """bench/output/data_N: CITYSTAT_DATA_DIR for the demo mappings at N rows."""
    return OUTPUT / f"data_{rows}"


def demo_311(rows: int) -> Path:
    """The 311 extract folder of the demo at N rows."""
    return data_dir(rows) / "demo" / "philadelphia_311"


def ensure_demo(rows: int, say: Log = _say) -> None:
    """Generate the demo city at N rows with the real CLI, once (reused when present)."""
    demo = data_dir(rows) / "demo"
    (demo_311(rows) / DAILY_NAME).unlink(missing_ok=True)  # left by an interrupted run
    wanted = [
        demo_311(rows) / "public_cases_fc.csv",
        demo / "philadelphia_permits" / "permits.csv",
        demo / "philadelphia_inspections" / "case_investigations.csv",
    ]
    if all(p.exists() for p in wanted):
        return
    say(f"generating the demo city at {rows:,} requests")
    command = [str(BIN / "citystat"), "demo-data", "--rows", str(rows), "--out", str(demo)]
    command += ["--force"]
    run_measured(command, OUTPUT / "logs" / f"demo_data_{rows}.log")


def _citystat_run(
    rows: int, warehouse: Path, log: Path, *, rebuild: bool, data: Path | None = None
) -> Measurement:
    command = [str(BIN / "citystat"), "run", "--keep", "1", "--warehouse", str(warehouse)]
    if rebuild:
        command.append("--rebuild")
    data = data or data_dir(rows)
    return run_measured(command, log, _run_env(rows, data))


def _run_env(rows: int, data: Path | None = None) -> dict[str, str]:
    """The variables every `citystat run` of the benchmark at N rows gets."""
    folder = data or data_dir(rows)
    return {"CITYSTAT_DATA_DIR": str(folder), "CITYSTAT_METRICS_FILE": str(METRICS_FILE)}


def _op(name: str, *args: str, log: Path, env: dict[str, str] | None = None) -> Measurement:
    return run_measured([sys.executable, str(RUN_SCRIPT), "op", name, *args], log, env)


def published(warehouse: Path) -> Path:
    """The version file a warehouse symlink points at (the plain file itself otherwise)."""
    return warehouse.resolve(strict=True)


def latest_run_facts(database: Path, log: Path) -> dict[str, Any]:
    """Steps and files of the latest published run (read in a child process)."""
    return _op("facts", str(database), log=log).reported


def build_small_warehouse(say: Log = _say) -> Path:
    """The 10,000-request warehouse the dashboard's page times are compared with."""
    ensure_demo(SMALL_ROWS, say)
    warehouse = OUTPUT / f"wh_{SMALL_ROWS}" / "citystat.duckdb"
    if not warehouse.exists():
        say(f"building the {SMALL_ROWS:,}-request reference warehouse")
        warehouse.parent.mkdir(parents=True, exist_ok=True)
        _citystat_run(SMALL_ROWS, warehouse, OUTPUT / "logs" / "small_run.log", rebuild=True)
    return warehouse


class SizeBench:
    """Every figure at one size, ``repeats`` times each."""

    def __init__(
        self,
        rows: int,
        repeats: int,
        small: Path,
        say: Log = _say,
        *,
        days: int = 0,
        spark: bool = True,
    ) -> None:
        self.rows, self.repeats, self.small, self.say = rows, repeats, small, say
        self.days = days  # simulated daily runs after the other figures (0: none)
        self.with_spark = spark  # Spark takes about an hour at 10M on 2 cores
        self.work = OUTPUT / f"wh_{rows}"
        self.logs = OUTPUT / "logs" / str(rows)
        self.warehouse = self.work / "citystat.duckdb"
        self.base = self.work / "base.duckdb"
        self.result: dict[str, Any] = {"rows": rows}

    def _record(self, name: str, measurement: Measurement) -> None:
        self.result.setdefault(name, []).append(asdict(measurement))

    def run(self) -> dict[str, Any]:
        """Measure every figure at this size; returns what RESULTS.md reports."""
        ensure_demo(self.rows, self.say)
        self.work.mkdir(parents=True, exist_ok=True)
        self.full_pipeline()
        self.metrics()
        if self.with_spark:
            self.spark()
        self.incremental()
        self.dashboard()
        if self.days:
            self.year()
        return self.result

    def run_once(self) -> dict[str, Any]:
        """The growth figures alone, each once (a size too large to repeat): the rebuild, the
        daily run and the pages in the browser."""
        ensure_demo(self.rows, self.say)
        self.work.mkdir(parents=True, exist_ok=True)
        self.full_pipeline(raw_load=False)
        self.incremental()
        for r in range(self.repeats):
            self.browser(r)
        return self.result

    def full_pipeline(self, *, raw_load: bool = True) -> None:
        """Raw DuckDB load and `citystat run --rebuild`, alternately."""
        demo = data_dir(self.rows) / "demo"
        for r in range(self.repeats):
            if raw_load:
                self.say(f"{self.rows:,}: raw load {r + 1}/{self.repeats}")
                raw_db = self.work / "raw.duckdb"
                log = self._log("raw", r)
                self._record("raw_load", _op("raw_load", str(demo), str(raw_db), log=log))
                raw_db.unlink(missing_ok=True)
            self.say(f"{self.rows:,}: full pipeline {r + 1}/{self.repeats}")
            run = _citystat_run(self.rows, self.warehouse, self._log("pipeline", r), rebuild=True)
            self._record("pipeline", run)
            facts = latest_run_facts(published(self.warehouse), self._log("pipeline_facts", r))
            self.result.setdefault("pipeline_runs", []).append(facts)
        # A stable copy of the N-row warehouse: what metrics, incremental runs and pages read.
        shutil.copyfile(published(self.warehouse), self.base)

    def metrics(self) -> None:
        """compute_metrics and the hand-written queries on copies of the built warehouse."""
        copy = self.work / "metrics.duckdb"
        for r in range(self.repeats):
            shutil.copyfile(self.base, copy)
            self.say(f"{self.rows:,}: compute_metrics {r + 1}/{self.repeats}")
            args = (str(copy), str(METRICS_FILE))
            self._record("compute", _op("compute", *args, log=self._log("compute", r)))
            self.say(f"{self.rows:,}: hand-written SQL {r + 1}/{self.repeats}")
            self._record("handwritten", _op("handwritten", *args, log=self._log("handwritten", r)))
        self.result["comparison"] = _op("compare", str(copy), log=self._log("compare", 0)).reported
        copy.unlink(missing_ok=True)

    def spark(self) -> None:
        """The metrics on Spark in local mode, once (it takes minutes where DuckDB takes
        seconds), from a lake exported from the built warehouse."""
        lake = self.work / "lake"
        shutil.rmtree(lake, ignore_errors=True)
        self.say(f"{self.rows:,}: Spark (local mode), all metrics")
        args = (str(self.base), str(lake), str(METRICS_FILE))
        self._record("spark", _op("spark", *args, log=self._log("spark", 0)))
        shutil.rmtree(lake, ignore_errors=True)

    def incremental(self) -> None:
        """A daily extract of changed requests merged into a copy of the N-row warehouse."""
        daily = demo_311(self.rows) / DAILY_NAME
        full = str(demo_311(self.rows) / "public_cases_fc.csv")
        made = _op("daily", full, str(daily), str(DAILY_ROWS), log=self._log("daily", 0))
        self.result["daily_rows"] = made.reported["rows"]
        try:
            for r in range(self.repeats):
                folder = self.work / "incremental"
                shutil.rmtree(folder, ignore_errors=True)
                folder.mkdir()
                # A plain file: the run adopts it as its published version, as after an upgrade.
                shutil.copyfile(self.base, folder / "citystat.duckdb")
                self.say(f"{self.rows:,}: incremental run {r + 1}/{self.repeats}")
                log = self._log("incremental", r)
                run = _citystat_run(self.rows, folder / "citystat.duckdb", log, rebuild=False)
                self._record("incremental", run)
                facts = latest_run_facts(
                    published(folder / "citystat.duckdb"), self._log("incremental_facts", r)
                )
                self.result.setdefault("incremental_runs", []).append(facts)
                self.say(f"{self.rows:,}: a run with nothing new {r + 1}/{self.repeats}")
                self._record("nothing_new", self._nothing_new(folder / "citystat.duckdb", r))
                self.say(f"{self.rows:,}: floor of a validating run {r + 1}/{self.repeats}")
                self._record("floor", _op("floor", log=self._log("floor", r)))
            shutil.rmtree(self.work / "incremental", ignore_errors=True)
        finally:
            # The full pipeline of a later harness run must read the full extract alone.
            daily.unlink(missing_ok=True)

    def _nothing_new(self, warehouse: Path, repeat: int) -> Measurement:
        """`citystat run` again right after the incremental run, with the same inputs: the
        op times the command's whole process (goal 3 reads it as the wall time)."""
        log = self._log("nothing_new", repeat)
        op = _op("nothing_new", str(warehouse), log=log, env=_run_env(self.rows))
        return replace(op, wall_seconds=op.reported["seconds"])

    def dashboard(self) -> None:
        """Every page against the N-row and the small warehouse, and the naive page."""
        csv = demo_311(self.rows) / "public_cases_fc.csv"
        timeout = str(PAGE_TIMEOUT)
        for r in range(self.repeats):
            self.say(f"{self.rows:,}: dashboard pages {r + 1}/{self.repeats}")
            # The published symlinks, as a city's dashboard reads them (the N-row one is the
            # last rebuild's version, which `base` copies).
            for name, warehouse in (("pages", self.warehouse), ("pages_small", self.small)):
                env = {"CITYSTAT_WAREHOUSE": str(warehouse)}
                self._record(name, _op("pages", timeout, log=self._log(name, r), env=env))
            self.say(f"{self.rows:,}: naive dashboard {r + 1}/{self.repeats}")
            env = {"BENCH_NAIVE_CSV": str(csv)}
            self._record("naive", _op("naive", timeout, log=self._log("naive", r), env=env))
            self.browser(r)

    def browser(self, repeat: int) -> None:
        """Every page of both sites in chromium against the N-row warehouse, beside the
        empty page of the same server (citystat_bench.browser); screenshots of the last."""
        self.say(f"{self.rows:,}: pages in the browser {repeat + 1}/{self.repeats}")
        args = [str(BROWSER_PORT), str(PAGE_TIMEOUT), str(self.logs / f"browser_{repeat + 1}")]
        args.append(str(OUTPUT / "screenshots" / str(self.rows)))
        env = {"CITYSTAT_WAREHOUSE": str(self.warehouse)}
        log = self._log("browser", repeat)
        self._record("browser", _op("browser", *args, log=log, env=env))

    def year(self) -> None:
        """``days`` daily runs on a warehouse rebuilt from the extract moved into the past,
        then a fresh rebuild of the same files: sizes, run times and published values."""
        folder = self.work / "year"
        shutil.rmtree(folder, ignore_errors=True)
        demo = folder / "data" / "demo"
        requests = demo / demo_311(self.rows).name
        requests.mkdir(parents=True)
        self.say(f"{self.rows:,}: a year of daily runs, {self.days} days: the moved extract")
        full = demo_311(self.rows) / "public_cases_fc.csv"
        args = (str(full), str(requests), str(self.days), str(YEAR_SEED), str(DAILY_ROWS))
        pool = _op("year_start", *args, log=self._log("year_start", 0)).reported["pool"]
        warehouse = folder / "wh" / "citystat.duckdb"
        warehouse.parent.mkdir()
        data = folder / "data"
        first = _citystat_run(
            self.rows, warehouse, self._log("year_first_rebuild", 0), rebuild=True, data=data
        )
        result: dict[str, Any] = {"days": self.days, "first_rebuild": asdict(first), "runs": []}
        for day in range(1, self.days + 1):
            target = requests / day_name(day)
            day_args = (pool, str(target), str(day), str(DAILY_ROWS), str(YEAR_SEED))
            _op("year_day", *day_args, log=self.logs / "year" / f"day_{day:04d}_file.log")
            log = self.logs / "year" / f"day_{day:04d}.log"
            run = _citystat_run(self.rows, warehouse, log, rebuild=False, data=data)
            size = published(warehouse).stat().st_size
            result["runs"].append({"day": day, "seconds": run.wall_seconds, "bytes": size})
            if day % 10 == 0 or day == self.days:
                self.say(f"{self.rows:,}: day {day}: {run.wall_seconds:.1f} s, {size:,} bytes")
        self.say(f"{self.rows:,}: a year of daily runs: a fresh rebuild of the same files")
        rebuilt = folder / "rebuilt" / "citystat.duckdb"
        rebuilt.parent.mkdir()
        last = _citystat_run(
            self.rows, rebuilt, self._log("year_last_rebuild", 0), rebuild=True, data=data
        )
        result["last_rebuild"] = asdict(last)
        result["rebuilt_bytes"] = published(rebuilt).stat().st_size
        compare = (str(published(warehouse)), str(published(rebuilt)))
        result["values"] = _op("year_compare", *compare, log=self._log("year_compare", 0)).reported
        self.result["year"] = result
        shutil.rmtree(folder, ignore_errors=True)

    def _log(self, name: str, repeat: int) -> Path:
        return self.logs / f"{name}_{repeat + 1}.log"


def compile_bytecode() -> None:
    """Write citystat's bytecode before anything is timed, as an installed copy has it."""
    # Where PYTHONDONTWRITEBYTECODE is set (this project's sandbox), every timed command
    # would otherwise compile citystat's modules from source: about 0.1 s of each CLI run
    # at 10M (imports 0.35-0.44 s against 0.27 s), which a deployed install never pays.
    for package in ("pipelines", "dashboard"):
        compileall.compile_dir(PROJECT_ROOT / package, quiet=1)


def run_all(
    sizes: list[int],
    repeats: int,
    once_sizes: list[int] | None = None,
    say: Log = _say,
    days: int = 0,
    *,
    spark: bool = True,
    command: str = "make bench",
) -> dict[str, Any]:
    """The whole benchmark (the year of ``days`` daily runs at the largest size); the results
    are also saved to bench/output/results.json. ``once_sizes`` get the growth figures alone,
    once each (``once_by_size``). ``spark=False`` leaves Spark out (RESULTS.md then says it was
    not measured)."""
    OUTPUT.mkdir(parents=True, exist_ok=True)
    compile_bytecode()
    results: dict[str, Any] = {
        "started": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": command,
        "machine": machine(),
        "versions": versions(),
        "repeats": repeats,
        "sizes": sizes,
        "days": days,
        "by_size": {},
        "once_by_size": {},
    }
    small = build_small_warehouse(say)
    for rows in sizes:
        year = days if rows == sizes[-1] else 0
        results["by_size"][str(rows)] = SizeBench(
            rows, repeats, small, say, days=year, spark=spark
        ).run()
        save(results)  # a long run keeps what it measured so far
    for rows in once_sizes or []:
        results["once_by_size"][str(rows)] = SizeBench(rows, 1, small, say).run_once()
        save(results)
    results["finished"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    results["harness_peak_rss_bytes"] = own_peak_rss_bytes()
    save(results)
    return results


def save(results: dict[str, Any]) -> Path:
    """Write the raw results next to the generated data."""
    path = OUTPUT / "results.json"
    path.write_text(json.dumps(results, indent=1, default=str))
    return path
