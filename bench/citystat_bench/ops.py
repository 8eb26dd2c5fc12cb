"""The operations the harness measures, each run inside its own child process.

``bench/run.py op NAME ARGS`` calls one of these; each times its own work and reports it with
``report_result``. The full pipeline and the incremental run are the ``citystat`` command
itself and need nothing here.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

import duckdb

from .measure import report_result

PROJECT_ROOT = Path(__file__).resolve().parents[2]
APP = PROJECT_ROOT / "dashboard" / "app.py"
NAIVE_APP = PROJECT_ROOT / "bench" / "naive_dashboard.py"

# The raw-load baseline reads each extract with its columns typed as the demo writes them.
_TEXT = "VARCHAR"
RAW_FILES: dict[str, tuple[str, str, dict[str, str]]] = {
    "raw_311": (
        "philadelphia_311/public_cases_fc.csv",
        "%Y-%m-%d %H:%M:%S",
        {
            "objectid": "BIGINT",
            "service_request_id": "BIGINT",
            "subject": _TEXT,
            "status": _TEXT,
            "status_notes": _TEXT,
            "service_name": _TEXT,
            "service_code": _TEXT,
            "agency_responsible": _TEXT,
            "service_notice": _TEXT,
            "requested_datetime": "TIMESTAMP",
            "updated_datetime": "TIMESTAMP",
            "expected_datetime": "TIMESTAMP",
            "closed_datetime": "TIMESTAMP",
            "address": _TEXT,
            "zipcode": _TEXT,
            "media_url": _TEXT,
            "lat": "DOUBLE",
            "lon": "DOUBLE",
        },
    ),
    "raw_permits": (
        "philadelphia_permits/permits.csv",
        "%Y-%m-%dT%H:%M:%SZ",
        {
            "objectid": "BIGINT",
            "permitnumber": _TEXT,
            "addressobjectid": "BIGINT",
            "opa_account_num": _TEXT,
            "address": _TEXT,
            "zip": _TEXT,
            "council_district": _TEXT,
            "permittype": _TEXT,
            "permitdescription": _TEXT,
            "commercialorresidential": _TEXT,
            "typeofwork": _TEXT,
            "approvedscopeofwork": _TEXT,
            "permitapplicationdate": "TIMESTAMP",
            "permitissuedate": "TIMESTAMP",
            "permitcompleteddate": "TIMESTAMP",
            "status": _TEXT,
            "applicanttype": _TEXT,
            "contractorname": _TEXT,
            "permitfee": "DOUBLE",
            "lat": "DOUBLE",
            "lng": "DOUBLE",
        },
    ),
    "raw_cases": (
        "philadelphia_inspections/case_investigations.csv",
        "%Y-%m-%dT%H:%M:%SZ",
        {
            "objectid": "BIGINT",
            "complaintnumber": _TEXT,
            "complaintdate": "TIMESTAMP",
            "complaintcodename": _TEXT,
            "casenumber": _TEXT,
            "casecreateddate": "TIMESTAMP",
            "casepriority": _TEXT,
            "casestatus": _TEXT,
            "casecompleteddate": "TIMESTAMP",
            "investigationprocessid": "BIGINT",
            "investigationtype": _TEXT,
            "investigationcompleted": "TIMESTAMP",
            "investigationstatus": _TEXT,
            "opa_account_num": _TEXT,
            "address": _TEXT,
            "zip": _TEXT,
            "council_district": _TEXT,
            "lat": "DOUBLE",
            "lng": "DOUBLE",
        },
    ),
}


def raw_load(demo_dir: Path, database: Path) -> None:
    """Baseline: CREATE TABLE AS SELECT * FROM read_csv(...) of the three extracts, typed."""
    database.unlink(missing_ok=True)
    started = time.perf_counter()
    con = duckdb.connect(str(database))
    rows = {}
    for table, (relative, timestamp_format, columns) in RAW_FILES.items():
        # Table names and column types are this module's constants; the path is bound.
        con.execute(
            f"CREATE TABLE {table} AS SELECT * FROM read_csv($path, header = true, "  # noqa: S608
            "columns = $columns, timestampformat = $format)",
            {"path": str(demo_dir / relative), "columns": columns, "format": timestamp_format},
        )
        counted = con.execute(f"SELECT count(*) FROM {table}").fetchone()  # noqa: S608
        rows[table] = int(counted[0]) if counted else 0
    con.close()  # checkpoints: the tables are on disk, as the pipeline's are
    report_result({"seconds": time.perf_counter() - started, "rows": rows})


def floor() -> None:
    """What a validating run's own process pays besides its work: citystat's imports, starting
    the Great Expectations worker, and stopping it once its verdicts are in.

    GE's import runs in the worker, beside the run's read, stage, merge and metrics, so it is
    not on the run's critical path; the run waits for it only when its own work is shorter.
    Before issue 19 the floor was GE's import and context in the run's process (2.5–3.3 s).
    """
    started = time.perf_counter()
    import pipelines.run  # noqa: F401 — the command's own imports
    from pipelines.run.ge_gate import GeGate

    gate = GeGate()
    gate.start()
    gate.close()
    report_result({"seconds": time.perf_counter() - started})


def compute(database: Path, metrics_file: Path) -> None:
    """citystat's metric engine: compute_metrics over a built warehouse, as a run does."""
    from pipelines.metrics import compute_metrics, data_as_of, load_metrics

    config = load_metrics(metrics_file)
    started = time.perf_counter()
    con = duckdb.connect(str(database))
    as_of = data_as_of(con)
    if as_of is None:
        raise SystemExit(f"{database}: no published run; nothing to compute")
    rows = compute_metrics(con, config, as_of)
    con.close()
    report_result({"seconds": time.perf_counter() - started, "rows": rows})


def spark(database: Path, lake: Path, metrics_file: Path) -> None:
    """The same metrics on Spark in local mode: the warehouse exported into a lake, then
    `metrics compute --engine spark` (export and compute timed apart)."""
    import os

    from pipelines.lake.export import export_city
    from pipelines.spark.compute import compute_lake
    from pipelines.spark.session import spark_session

    started = time.perf_counter()
    exported = export_city(database, lake, "bench", "bench", metrics_file)
    exporting = time.perf_counter() - started
    jvm = _jvm_pid(spark_session())
    cpu_before = _cpu_seconds(jvm)
    started = time.perf_counter()
    (city,) = compute_lake(lake, cities=["bench"], progress=_log_progress)
    seconds = time.perf_counter() - started
    cpu = _cpu_seconds(jvm) - cpu_before
    records = sum(
        exported.rows.get(table, 0) for table in ("service_requests", "permits", "inspections")
    )
    report_result(
        {
            "seconds": seconds,
            "export_seconds": exporting,
            "cpu_seconds": cpu,
            "rows": city.rows,
            "records": records,
            "cores": os.cpu_count() or 1,
        }
    )


def _jvm_pid(session: Any) -> int:
    """The process id of the JVM pyspark started for ``session`` (local mode runs the
    executors inside it)."""
    return int(session.sparkContext._gateway.proc.pid)


def _cpu_seconds(pid: int) -> float:
    """CPU time (user and system, every thread) ``pid`` has used so far, from /proc: the
    core-seconds Spark spent, which a machine shared with other work does not inflate the way
    it inflates wall time."""
    import os

    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # Fields 14 and 15 of proc(5) (utime, stime); the split dropped the first two.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _log_progress(message: str) -> None:
    """Progress to the op's log, so a long run shows where it is."""
    print(message, file=sys.stderr, flush=True)


def handwritten(database: Path, metrics_file: Path) -> None:
    """Baseline: one hand-written query per metric, into handwritten_values."""
    from pipelines.metrics import data_as_of, load_metrics

    from .handwritten import run_handwritten

    config = load_metrics(metrics_file)
    started = time.perf_counter()
    con = duckdb.connect(str(database))
    as_of = data_as_of(con)
    if as_of is None:
        raise SystemExit(f"{database}: no published run; nothing to compute")
    per_metric = run_handwritten(con, config, as_of)
    con.close()
    kinds = {m.id: m.kind for m in config.metrics}
    report_result(
        {"seconds": time.perf_counter() - started, "per_metric": per_metric, "kinds": kinds}
    )


def run_facts(database: Path) -> None:
    """Steps (seconds by step, summed over sources) and files of the latest published run."""
    with duckdb.connect(str(database), read_only=True) as con:
        run = con.execute(
            "SELECT run_id FROM runs WHERE status = 'published' ORDER BY finished_at DESC LIMIT 1"
        ).fetchone()
        if run is None:
            raise SystemExit(f"{database}: no published run")
        steps = con.execute(
            "SELECT step, sum(seconds) FROM run_steps WHERE run_id = ? GROUP BY step",
            [run[0]],
        ).fetchall()
        files = con.execute(
            "SELECT source, file, rows_read, rows_staged, rows_quarantined, rows_inserted, "
            "rows_updated, rows_unchanged FROM load_files WHERE run_id = ? ORDER BY source",
            [run[0]],
        ).fetchall()
    names = ["source", "file", "rows_read", "rows_staged", "rows_quarantined"]
    names += ["rows_inserted", "rows_updated", "rows_unchanged"]
    report_result(
        {
            "run_id": run[0],
            "steps": {str(step): float(seconds) for step, seconds in steps},
            "files": [dict(zip(names, f, strict=True)) for f in files],
        }
    )


def compare(database: Path) -> None:
    """Compare handwritten_values with metric_values in a warehouse both were written to."""
    from dataclasses import asdict

    from .handwritten import compare_values, compared_rows

    with duckdb.connect(str(database), read_only=True) as con:
        differences = compare_values(con)
        rows, metrics = compared_rows(con)
    report_result(
        {"rows": rows, "metrics": metrics, "differences": [asdict(d) for d in differences]}
    )


def nothing_new(warehouse: Path) -> None:
    """`citystat run` again with nothing new (the same files, configuration and variables as
    the run that published ``warehouse``): its whole process, and whether it published."""
    import os
    import subprocess

    from pipelines.warehouse.published import published_file

    def state() -> tuple[Path | None, list[str]]:
        return published_file(warehouse), sorted(os.listdir(warehouse.parent / "versions"))

    before = state()
    command = [str(Path(sys.executable).parent / "citystat"), "run", "--keep", "1"]
    started = time.perf_counter()
    done = subprocess.run(
        [*command, "--warehouse", str(warehouse)], capture_output=True, text=True, check=True
    )
    seconds = time.perf_counter() - started
    said = done.stderr.strip().splitlines()
    report_result({"seconds": seconds, "said": said, "published_new_version": state() != before})


def daily(full_extract: Path, target: Path, rows: int) -> None:
    """Write the daily extract of changed requests beside the full one."""
    from .daily import write_daily_extract

    report_result({"rows": write_daily_extract(full_extract, target, rows)})


def dashboard_pages(at: Any) -> list[str]:
    """Page scripts dashboard/app.py's navigation registered in a run AppTest (views/x.py).

    Read from the run app rather than app.py's text: navigation is built by code (internal or
    public site), and AppTest keeps what st.navigation registered (a private attribute, the
    only place it is exposed).
    """
    registered = getattr(at, "_registered_pages", {}) or {}
    found = []
    for info in registered.values():
        script = info.get("script_path")
        if script:
            found.append(Path(str(script)).resolve().relative_to(APP.parent).as_posix())
    if not found:
        raise SystemExit(f"{APP}: its run registered no navigation pages to time")
    return list(dict.fromkeys(found))


def pages(timeout: float) -> None:
    """Every dashboard page under AppTest against $CITYSTAT_WAREHOUSE: first load with empty
    caches (what a user meets after a publish) and a rerun with warm caches."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    # Without a roles file the app serves one local leadership user, who sees every internal
    # page (as in citystat_bench.browser); a city's roles.yml would ask for a sign-in.
    os.environ.setdefault("CITYSTAT_ROLES_FILE", "/nonexistent")
    at = AppTest.from_file(str(APP), default_timeout=timeout)
    at.run()  # the default page; loads the modules every page shares
    result: dict[str, Any] = {}
    for page in dashboard_pages(at):
        st.cache_data.clear()
        started = time.perf_counter()
        at.switch_page(page).run()
        cold = time.perf_counter() - started
        started = time.perf_counter()
        at.run()
        warm = time.perf_counter() - started
        errors = [str(e.value) for e in at.exception]
        result[page] = {"cold": cold, "warm": warm, "errors": errors}
    report_result(result)


def naive(timeout: float) -> None:
    """The naive dashboard (bench/naive_dashboard.py) under AppTest: every run reads the CSV."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(NAIVE_APP), default_timeout=timeout)
    started = time.perf_counter()
    at.run()
    seconds = time.perf_counter() - started
    errors = [str(e.value) for e in at.exception]
    shown = [frame.value.shape[0] for frame in at.dataframe]
    report_result({"seconds": seconds, "errors": errors, "rows_shown": shown})


def year_start(full_extract: Path, folder: Path, days: int, seed: int, rows: int) -> None:
    """The full extract moved back by the simulated days, and the pool the days draw from."""
    from .year import write_start

    report_result({"pool": str(write_start(full_extract, folder, days, seed, rows))})


def year_day(pool: Path, target: Path, day: int, rows: int, seed: int) -> None:
    """One simulated day's file."""
    from .year import write_day_extract

    report_result({"rows": write_day_extract(pool, target, day, rows, seed)})


def year_compare(incremental: Path, rebuilt: Path) -> None:
    """metric_values after the daily runs against a fresh rebuild's, row for row."""
    from .year import compare_published

    report_result(compare_published(incremental, rebuilt))
