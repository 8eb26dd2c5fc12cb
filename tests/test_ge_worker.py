"""Great Expectations in the run's worker process: what it checks still stops publication.

Each misbehaving worker (tests/ge_worker_fakes.py) fails one way: GE raises, the worker is
killed, GE fails an expectation SQL passes, GE counts differently from SQL on the sample, or
no verdict comes in time. Every one must leave the published version untouched and record the
run as failed, naming the source and file, as a failed validation always has.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import textwrap
import types
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path

import duckdb
import pytest

from pipelines.publish.versions import failed_path
from pipelines.run import ge_gate, pipeline
from pipelines.run.pipeline import run_pipeline
from pipelines.validate.ge_batches import shared_runner
from pipelines.validate.ge_jobs import GeJob, GeVerdict, check_load
from pipelines.validate.worker import WorkerFailure
from pipelines.warehouse.schema import CANONICAL_TABLES
from tests import ge_worker_fakes
from tests.real_cities import build_city
from tests.test_pipeline_run import GOOD_ROWS, _town

pytestmark = pytest.mark.slow

# Twenty more good requests: a new file for the second run, valid by every rule.
MORE_ROWS = "".join(f"U{i},2024-02-{i:02d} 09:00,,Open\n" for i in range(1, 21))


def _published_then_new_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A town warehouse published by a run with the real worker, and a new valid file beside."""
    metrics = _town(tmp_path, monkeypatch, GOOD_ROWS)
    warehouse = tmp_path / "data" / "citystat.duckdb"
    first = run_pipeline(metrics, warehouse)
    assert first.published, first.message
    header = "id,opened,closed,state\n"
    (tmp_path / "data" / "town" / "more.csv").write_text(header + MORE_ROWS, "utf-8")
    return metrics, warehouse


@pytest.mark.parametrize(
    ("serve", "timeout", "says"),
    [
        (ge_worker_fakes.serve_raising, None, "Great Expectations raised GreatExpectationsError"),
        (ge_worker_fakes.serve_killed, None, "Great Expectations worker died"),
        (ge_worker_fakes.serve_failing_row_count, None, "expect_table_row_count_to_be_between"),
        (ge_worker_fakes.serve_disagreeing, None, "Great Expectations counted 1 of"),
        # Silent, not the real worker: a real verdict can arrive before the run asks for it.
        (ge_worker_fakes.serve_silent, "0.001", "gave no verdict in 0.001 s"),
    ],
    ids=["raises", "killed", "fails-an-expectation", "disagrees", "times-out"],
)
def test_a_worker_that_does_not_pass_the_load_keeps_the_published_version(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    serve: Callable[[Connection], None] | None,
    timeout: str | None,
    says: str,
) -> None:
    metrics, warehouse = _published_then_new_file(tmp_path, monkeypatch)
    before = hashlib.sha256(warehouse.read_bytes()).hexdigest()
    if timeout:
        monkeypatch.setenv("CITYSTAT_GE_TIMEOUT", timeout)
    monkeypatch.setattr(pipeline, "GeGate", lambda: ge_gate.GeGate(serve=serve))

    result = run_pipeline(metrics, warehouse)

    assert not result.published
    assert result.message.startswith("validation failed; nothing published:")
    assert "town (more.csv)" in result.message and says in result.message
    assert hashlib.sha256(warehouse.read_bytes()).hexdigest() == before
    with duckdb.connect(str(failed_path(warehouse)), read_only=True) as con:
        runs = con.execute("SELECT status, message FROM runs ORDER BY finished_at").fetchall()
        (requests,) = con.execute("SELECT count(*) FROM service_requests").fetchone()
    assert [r[0] for r in runs] == ["published", "failed"]
    assert runs[1][1] == result.message
    # SQL passed the file, so it was merged into the build, which is kept, not published.
    assert requests == 40
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM service_requests").fetchone() == (20,)


def test_a_run_never_imports_great_expectations_in_its_own_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    metrics = _town(tmp_path, monkeypatch, GOOD_ROWS)
    warehouse = tmp_path / "data" / "citystat.duckdb"
    script = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        from pipelines.run.pipeline import run_pipeline
        result = run_pipeline(Path({str(metrics)!r}), Path({str(warehouse)!r}))
        assert result.published, result.message
        print(sorted(m for m in sys.modules if m.split(".")[0] == "great_expectations"))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=dict(os.environ)
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        details = [d for (d,) in con.execute("SELECT details FROM validation_results").fetchall()]
    # The worker's results reached validation_results: every row rule says what GE saw.
    assert sum("GE over 1 batch(es)" in d for d in details) >= 3


class _InProcessWorker:
    """The old path: GE checks each load in the run's own process, as it is submitted."""

    def __init__(self, serve: object = None) -> None:
        self.verdicts: list[GeVerdict | WorkerFailure] = []

    def submit(self, job: GeJob) -> None:
        self.verdicts.append(check_load(shared_runner(), job))

    def verdict(self) -> GeVerdict | WorkerFailure:
        return self.verdicts.pop(0)

    def close(self) -> None:
        return None


# Tables the two paths must publish identically (besides every canonical table); run ids and
# the times of the run differ by nature.
COMPARED = ("quarantine", "validation_results", "metric_values", "load_files")


def _rows(warehouse: Path, table: str) -> list[tuple[object, ...]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        columns = [
            str(c)
            for (c,) in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
                "AND column_name NOT IN ('loaded_at', 'computed_at', 'run_id', 'started_at') "
                "ORDER BY ordinal_position",
                [table],
            ).fetchall()
        ]
        listed = ", ".join(f'"{c}"' for c in columns)
        return con.execute(f"SELECT {listed} FROM {table} ORDER BY ALL").fetchall()


def test_the_worker_publishes_what_the_in_process_path_published_on_real_extracts(
    real_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    worker = build_city("chicago", tmp_path / "worker")
    monkeypatch.setattr(ge_gate, "GeWorker", _InProcessWorker)
    in_process = build_city("chicago", tmp_path / "in_process")
    tables = [t.name for t in CANONICAL_TABLES.values()]
    loaded = [t for t in tables if _rows(worker.warehouse, t)]
    assert loaded, "no canonical table was loaded: the comparison proves nothing"
    for table in [*tables, *COMPARED]:
        ours = _rows(worker.warehouse, table)
        assert ours == _rows(in_process.warehouse, table), table
        assert ours or table in ("quarantine", *tables), f"{table} is empty"


def test_the_worker_starts_whatever_script_the_process_runs_as_main(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # AppTest and click's CliRunner leave a script of their own as __main__ in the test
    # process; spawn would run it again in the worker, which then died before its first job.
    script = tmp_path / "left_as_main.py"
    script.write_text("raise SystemExit('the parent main script ran again in the worker')\n")
    left = types.ModuleType("__main__")
    left.__file__ = str(script)
    monkeypatch.setitem(sys.modules, "__main__", left)
    metrics = _town(tmp_path, monkeypatch, GOOD_ROWS)
    result = run_pipeline(metrics, tmp_path / "data" / "citystat.duckdb")
    assert result.published, result.message
    assert sys.modules["__main__"] is left  # given back after the start
