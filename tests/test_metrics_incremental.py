"""Incremental metric recompute gives exactly the values of a full recompute.

A small demo city (the real metrics.yml: every kind, grain and breakdown, age buckets,
ratios, as_of conditions) is built by a whole run. Each scenario then computes all metrics
in full at one as-of, merges a day's changes with the real merge under a new run id, and
computes the metrics again twice: incrementally (``changed_run_id``) and in full. The two
``metric_values`` (every column, row for row) and ``metric_definitions`` must be equal.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from pipelines.city.loader import load_city
from pipelines.demo import service_requests
from pipelines.demo.inspections import generate_inspections
from pipelines.demo.permits import generate_permits
from pipelines.ingest.merge import merge_staged
from pipelines.metrics import MetricsConfig, compute_metrics, load_metrics, load_metrics_text
from pipelines.metrics import compute as compute_module
from pipelines.metrics.compiler import percentile_families
from pipelines.metrics.compute import materialise_values
from pipelines.run.pipeline import run_pipeline
from pipelines.warehouse.layout import PROJECT_ROOT
from pipelines.warehouse.schema import CANONICAL_TABLES

pytestmark = pytest.mark.slow
METRICS_FILE = PROJECT_ROOT / "metrics.yml"
DEMO_CITY = load_city(PROJECT_ROOT)
CONFIG = load_metrics(METRICS_FILE)
T = datetime.fromisoformat
# The previous run's as-of, a Sunday evening; the next one crosses into Monday 30 June.
BEFORE = T("2025-06-29 20:00")
AFTER = T("2025-06-30 09:00")
# Across a week, month, quarter and fiscal-year end (FY2026 starts 1 July 2025).
NEW_YEAR = T("2025-07-01 02:00")

Change = Callable[[duckdb.DuckDBPyConnection, datetime, str], None]  # (con, as_of, run_id)


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A warehouse built by a whole run over small demo extracts ending 30 June 2025."""
    data_dir = tmp_path_factory.mktemp("data")
    start, end = date(2023, 5, 1), date(2025, 7, 2)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CITYSTAT_DATA_DIR", str(data_dir))
        service_requests.generate_311(data_dir / "demo", rows=4_000, seed=5, start=start, end=end)
        generate_permits(data_dir / "demo", rows=2_000, seed=5, start=start, end=end)
        generate_inspections(data_dir / "demo", rows=2_000, seed=5, start=start, end=end)
        path = data_dir / "citystat.duckdb"
        result = run_pipeline(METRICS_FILE, path)
        assert result.published, result.message
        yield path.resolve()


def _merge(con: duckdb.DuckDBPyConnection, table: str, select: str, run_id: str) -> None:
    """Merge rows (canonical columns, from ``select``) as a run's extract would be."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE staged AS {select}")
    sources = [r[0] for r in con.execute("SELECT DISTINCT source FROM staged").fetchall()]
    for source in sources:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE staged_one AS SELECT * FROM staged WHERE source = ?",
            [source],
        )
        merge_staged(con, CANONICAL_TABLES[table], "staged_one", source=source, run_id=run_id)


def _values(con: duckdb.DuckDBPyConnection) -> tuple[list[Any], list[Any]]:
    values = con.execute("SELECT * FROM metric_values ORDER BY ALL").fetchall()
    definitions = con.execute("SELECT * FROM metric_definitions ORDER BY metric_id").fetchall()
    return values, definitions


def _check(
    published: Path,
    tmp_path: Path,
    changes: list[tuple[Change, datetime]],
    *,
    before: datetime = BEFORE,
    config_before: MetricsConfig = CONFIG,
    config_after: MetricsConfig = CONFIG,
    prepare: str | None = None,
    monkeypatch: pytest.MonkeyPatch,
    families: list[tuple[str, ...]] | None = None,
) -> set[str]:
    """Full at ``before``, then per (change, as_of) a merge and an incremental compute that
    must equal a full one; returns the metrics that were updated incrementally (and adds
    to ``families`` the percentile families updated by one query)."""
    path = tmp_path / "warehouse.duckdb"
    shared = prepare is None and before == BEFORE and config_before is CONFIG
    shutil.copy(_computed_before(published) if shared else published, path)
    updated: set[str] = set()
    original = compute_module.compile_incremental
    original_family = compute_module.compile_family

    def spy(config: MetricsConfig, metric_id: str) -> Any:
        updated.add(metric_id)
        return original(config, metric_id)

    def family_spy(config: MetricsConfig, members: tuple[str, ...], *, incremental: bool) -> Any:
        if incremental:
            updated.update(members)
            if families is not None:
                families.append(members)
        return original_family(config, members, incremental=incremental)

    monkeypatch.setattr(compute_module, "compile_incremental", spy)
    monkeypatch.setattr(compute_module, "compile_family", family_spy)
    with duckdb.connect(str(path)) as con:
        if prepare is not None:
            con.execute(prepare)
        if not shared:
            compute_metrics(con, config_before, before)
        for number, (change, as_of) in enumerate(changes, start=1):
            run_id = f"run-{number}"
            change(con, as_of, run_id)
            mirror = tmp_path / f"full-{number}.duckdb"
            con.execute("CHECKPOINT")
            shutil.copy(path, mirror)
            compute_metrics(con, config_after, as_of, changed_run_id=run_id)
            got = _values(con)
            with duckdb.connect(str(mirror)) as full:
                compute_metrics(full, config_after, as_of)
                expected = _values(full)
            # Compared first, then asserted: pytest's own diff of thousands of rows takes
            # minutes, and the rows that differ say more.
            same_definitions = got[1] == expected[1]
            assert same_definitions, f"step {number}: metric_definitions differ"
            missing = sorted(set(expected[0]) - set(got[0]))[:5]
            extra = sorted(set(got[0]) - set(expected[0]))[:5]
            same_values = got[0] == expected[0]
            assert same_values, f"step {number}: full-only {missing}, extra {extra}"
    return updated


def _computed_before(published: Path) -> Path:
    """``published`` with every metric computed in full at BEFORE, computed once per module:
    most scenarios start there, and a full compute is a few seconds of each."""
    path = published.parent / "computed_before.duckdb"
    if not path.exists():
        building = path.with_suffix(".building")
        shutil.copy(published, building)
        with duckdb.connect(str(building)) as con:
            compute_metrics(con, CONFIG, BEFORE)
        building.rename(path)
    return path


def _sql_change(table: str, select: str) -> Change:
    """Merge the rows ``select`` gives (``$at`` stands for the new as-of)."""

    def change(con: duckdb.DuckDBPyConnection, as_of: datetime, run_id: str) -> None:
        _merge(con, table, select.replace("$at", f"TIMESTAMP '{as_of}'"), run_id)

    return change


NEW_RECORDS = _sql_change(
    "service_requests",
    # Recent requests, one from two years ago (far in the past) and one in a new zip.
    "SELECT * REPLACE ('new-' || request_id AS request_id,"
    " CASE WHEN row_number() OVER () = 1 THEN opened_at - INTERVAL 700 DAY"
    "      ELSE $at - INTERVAL 3 HOUR END AS opened_at,"
    " CASE WHEN row_number() OVER () = 2 THEN '19999' ELSE zip END AS zip,"
    " NULL AS closed_at, 'open' AS status, 'Open' AS status_raw, $at AS updated_at)"
    " FROM service_requests WHERE status = 'closed' ORDER BY request_id LIMIT 25",
)
REOPENED = _sql_change(
    "service_requests",
    "SELECT * REPLACE ('open' AS status, 'Open' AS status_raw, NULL AS closed_at,"
    " $at AS updated_at) FROM service_requests WHERE status = 'closed'"
    " ORDER BY closed_at DESC, request_id LIMIT 15",
)
CANCELLED = _sql_change(
    "service_requests",
    "SELECT * REPLACE ('cancelled' AS status, 'Cancelled' AS status_raw, $at AS closed_at,"
    " $at AS updated_at) FROM service_requests WHERE status = 'open'"
    " ORDER BY opened_at, request_id LIMIT 15",
)
FAR_PAST = _sql_change(
    "service_requests",
    # Old closed requests corrected: an earlier close, another district.
    "SELECT * REPLACE (closed_at - INTERVAL 2 DAY AS closed_at, '1' AS council_district,"
    " $at AS updated_at) FROM service_requests"
    " WHERE status = 'closed' AND closed_at - INTERVAL 2 DAY > opened_at"
    " ORDER BY opened_at, request_id LIMIT 10",
)
OLDER_VERSION = _sql_change(
    "service_requests",
    # A version older than the warehouse's arrives late: history only, no roll back.
    "SELECT * REPLACE ('open' AS status, 'Open' AS status_raw, NULL AS closed_at,"
    " opened_at + INTERVAL 1 HOUR AS updated_at) FROM service_requests"
    " WHERE status = 'closed' AND closed_at > opened_at + INTERVAL 2 HOUR"
    " ORDER BY request_id DESC LIMIT 10",
)
PERMITS = _sql_change(
    "permits",
    "SELECT * REPLACE ('issued' AS status, 'Issued' AS status_raw, $at AS issued_at,"
    " $at AS updated_at) FROM permits WHERE status = 'in_review'"
    " AND applied_at <= $at ORDER BY applied_at, permit_id LIMIT 20",
)
INSPECTIONS = _sql_change(
    "inspections",
    "SELECT * REPLACE ($at AS first_inspected_at, $at AS updated_at) FROM inspections"
    " WHERE first_inspected_at IS NULL AND received_at <= $at"
    " ORDER BY received_at, case_id LIMIT 20",
)


def _nothing(con: duckdb.DuckDBPyConnection, as_of: datetime, run_id: str) -> None:
    """A run that merged nothing new."""


def test_daily_closures_equal_a_full_recompute(
    published: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    changes: list[tuple[Change, datetime]] = [(_sql_change_close(40), AFTER)]
    families: list[tuple[str, ...]] = []
    updated = _check(published, tmp_path, changes, monkeypatch=monkeypatch, families=families)
    # Each service's median and 90th percentile came from one query.
    assert ("street_defect_median_days", "street_defect_p90_days") in families
    assert ("permit_review_median_days", "permit_review_p90_days") in families
    # Every service's request count (and the cohort's) came from one query, and their
    # on-time shares from another.
    assert any({"street_defect_requests", "cohort_requests_closed"} <= set(f) for f in families)
    assert any({"street_defect_on_time", "missed_trash_on_time"} <= set(f) for f in families)
    # Every service's open and overdue backlogs came from one query.
    assert any(
        {"street_defect_backlog", "illegal_dumping_overdue_backlog"} <= set(f) for f in families
    )
    # Every kind really was updated incrementally, including an on-time share whose
    # condition compares with the as-of, a backlog with an age profile and backlogs whose
    # targets come from the year before each period (median; mean and deviation).
    assert {
        "illegal_dumping_backlog",
        "street_light_backlog",
        "street_defect_backlog",
        "street_defect_requests",
        "street_defect_on_time",
        "street_defect_median_days",
        "cohort_closed_per_opened",
        "uninspected_complaints",
    } <= updated


def test_a_full_compute_writes_each_percentile_of_a_family_as_its_own_query(
    published: Path, tmp_path: Path
) -> None:
    """The full path (a rebuild) writes a family from one query too: each member's rows are
    its own query's, row for row."""
    path = tmp_path / "warehouse.duckdb"
    shutil.copy(published, path)
    families = percentile_families(CONFIG)
    assert len(families) >= 5
    with duckdb.connect(str(path)) as con:
        compute_metrics(con, CONFIG, AFTER)
        for member in (m for family in families for m in family):
            materialise_values(con, CONFIG, member, AFTER, "alone")
            alone = con.execute("SELECT * FROM alone ORDER BY ALL").fetchall()
            written = con.execute(
                "SELECT * FROM metric_values WHERE metric_id = ? ORDER BY ALL", [member]
            ).fetchall()
            assert alone and written == alone, member


def _sql_change_close(count: int, *, oldest: bool = False) -> Change:
    order = "opened_at" if oldest else "opened_at DESC"
    return _sql_change(
        "service_requests",
        "SELECT * REPLACE ('closed' AS status, 'Closed' AS status_raw,"
        " $at AS closed_at, $at AS updated_at) FROM service_requests"
        f" WHERE status = 'open' AND opened_at <= $at ORDER BY {order}, request_id"
        f" LIMIT {count}",
    )


def test_closing_the_oldest_open_requests_updates_the_backlogs(
    published: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Requests open since the data's first periods, closed: their openings stay in those
    periods, so no period vanishes and the backlogs are updated, not recomputed (a city
    clearing its oldest requests is daily work), with a full recompute's values."""
    changes: list[tuple[Change, datetime]] = [(_sql_change_close(60, oldest=True), AFTER)]
    updated = _check(published, tmp_path, changes, monkeypatch=monkeypatch)
    backlogs = {m.id for m in CONFIG.metrics if m.kind == "backlog"}
    assert backlogs <= updated, sorted(backlogs - updated)


# Requests overdue at the previous as-of, closed a minute after their last update, before
# they were due (a late batch of field work): they leave every overdue backlog they were in.
BACKDATED_CLOSES = _sql_change(
    "service_requests",
    "SELECT * REPLACE ('closed' AS status, 'Closed' AS status_raw,"
    " greatest(opened_at, updated_at) + INTERVAL 1 MINUTE AS closed_at,"
    " greatest(opened_at, updated_at) + INTERVAL 1 MINUTE AS updated_at)"
    f" FROM service_requests WHERE status = 'open' AND due_at < TIMESTAMP '{BEFORE}'"
    " AND greatest(opened_at, updated_at) + INTERVAL 1 MINUTE < due_at"
    " ORDER BY due_at DESC, request_id LIMIT 10",
)
# One overdue request alone in its ZIP code, then closed the same way: the ZIP code leaves
# the overdue backlogs.
LONE_OVERDUE = _sql_change(
    "service_requests",
    "SELECT * REPLACE ('lone-' || request_id AS request_id, '19998' AS zip,"
    " $at - INTERVAL 10 DAY AS opened_at, $at - INTERVAL 5 DAY AS due_at, NULL AS closed_at,"
    " 'open' AS status, 'Open' AS status_raw, $at - INTERVAL 9 DAY AS updated_at)"
    " FROM service_requests WHERE service_name = 'Street Defect' ORDER BY request_id LIMIT 1",
)
LONE_CLOSED = _sql_change(
    "service_requests",
    "SELECT * REPLACE ('closed' AS status, 'Closed' AS status_raw,"
    " updated_at + INTERVAL 1 MINUTE AS closed_at, updated_at + INTERVAL 1 MINUTE AS updated_at)"
    " FROM service_requests WHERE zip = '19998'",
)


def test_back_dated_closes_update_the_overdue_backlogs_their_zip_codes_keep(
    published: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Closes dated before the requests were due take them out of every overdue backlog; the
    other overdue requests of their districts and ZIP codes keep those members, so the
    backlogs are updated, not recomputed, with a full recompute's values."""
    changes: list[tuple[Change, datetime]] = [(BACKDATED_CLOSES, AFTER)]
    updated = _check(published, tmp_path, changes, monkeypatch=monkeypatch)
    overdue = {m.id for m in CONFIG.metrics if m.kind == "backlog" and m.overdue}
    assert overdue and overdue <= updated, sorted(overdue - updated)


def test_a_zip_code_only_a_back_dated_close_held_equals_a_full_recompute(
    published: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    changes: list[tuple[Change, datetime]] = [(LONE_OVERDUE, AFTER), (LONE_CLOSED, NEW_YEAR)]
    _check(published, tmp_path, changes, monkeypatch=monkeypatch)


@pytest.mark.parametrize(
    "change",
    [NEW_RECORDS, REOPENED, CANCELLED, FAR_PAST, OLDER_VERSION, PERMITS, INSPECTIONS],
    ids=["new", "reopened", "cancelled", "far_past", "older_version", "permits", "inspections"],
)
def test_each_kind_of_change_equals_a_full_recompute(
    published: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: Change
) -> None:
    _check(published, tmp_path, [(change, AFTER)], monkeypatch=monkeypatch)


def test_several_days_in_a_row_across_a_fiscal_year_end(
    published: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    changes: list[tuple[Change, datetime]] = [
        (_sql_change_close(10), AFTER),
        (_nothing, AFTER),  # nothing merged, same as-of
        (NEW_RECORDS, NEW_YEAR),
        (REOPENED, NEW_YEAR),
        (PERMITS, T("2025-07-01 09:00")),
    ]
    updated = _check(published, tmp_path, changes, monkeypatch=monkeypatch)
    assert "permits_in_review" in updated


def test_a_changed_definition_is_recomputed_in_full(
    published: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = METRICS_FILE.read_text()
    edited = text.replace("value: 400", "value: 350", 1)
    assert edited != text
    changed = load_metrics_text(edited, profile=DEMO_CITY)
    updated = _check(
        published,
        tmp_path,
        [(_sql_change_close(10), AFTER)],
        config_before=CONFIG,
        config_after=changed,
        monkeypatch=monkeypatch,
    )
    assert updated, "unchanged metrics are still updated incrementally"


def test_weeks_later_with_nothing_merged_equals_a_full_recompute(
    published: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The as-of moves six weeks: requests still open cross age bucket bounds without any
    # new version, periods complete and the spine grows by many periods.
    changes: list[tuple[Change, datetime]] = [
        (_nothing, T("2025-08-12 09:00")),
        (_sql_change_close(5), T("2025-08-13 09:00")),
    ]
    updated = _check(published, tmp_path, changes, monkeypatch=monkeypatch)
    assert {"street_defect_backlog", "street_defect_requests"} <= updated


def test_a_removed_metric_loses_its_rows_while_the_others_stay_incremental(
    published: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = METRICS_FILE.read_text()
    start = text.index("  - id: street_defect_p90_days")
    end = text.index("  - id: ", start + 1)
    fewer = load_metrics_text(text[:start] + text[end:], profile=DEMO_CITY)
    updated = _check(
        published,
        tmp_path,
        [(_sql_change_close(10), AFTER)],
        config_before=CONFIG,
        config_after=fewer,
        monkeypatch=monkeypatch,
    )
    assert "street_defect_median_days" in updated


def test_a_far_past_record_and_a_new_member_equal_a_full_recompute(
    published: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A request dated before every other (the counts' first period moves earlier) in a new
    # district (a breakdown member appears), then withdrawn again (both vanish).
    first = _sql_change(
        "service_requests",
        "SELECT * REPLACE ('early-1' AS request_id, TIMESTAMP '2021-01-04 10:00' AS opened_at,"
        " TIMESTAMP '2021-01-05 10:00' AS closed_at, 'closed' AS status, 'Closed' AS status_raw,"
        " '99' AS council_district, $at AS updated_at)"
        " FROM service_requests WHERE service_name = 'Street Defect' AND status = 'closed'"
        " ORDER BY request_id LIMIT 1",
    )
    moved = _sql_change(
        "service_requests",
        "SELECT * REPLACE (TIMESTAMP '2025-06-02 10:00' AS opened_at,"
        " TIMESTAMP '2025-06-03 10:00' AS closed_at, '1' AS council_district,"
        " $at AS updated_at) FROM service_requests WHERE request_id = 'early-1'",
    )
    changes: list[tuple[Change, datetime]] = [(first, AFTER), (moved, NEW_YEAR)]
    updated = _check(published, tmp_path, changes, monkeypatch=monkeypatch)
    assert "street_defect_requests" in updated


EARLY_STINT = _sql_change(
    "service_requests",
    # Opened, due and closed before every other request: earlier first periods.
    "SELECT * REPLACE ('early-stint' AS request_id, TIMESTAMP '2021-01-04 10:00' AS opened_at,"
    " TIMESTAMP '2021-01-11 10:00' AS due_at, TIMESTAMP '2021-02-15 10:00' AS closed_at,"
    " $at AS updated_at)"
    " FROM service_requests WHERE service_name = 'Street Defect' AND status = 'closed'"
    " ORDER BY request_id LIMIT 1",
)
NEW_ZIP = _sql_change(
    "service_requests",
    # A request first seen now, in a new ZIP code, open and overdue for a few weeks of 2024
    # (judged by its first version on every past date): a new member.
    "SELECT * REPLACE ('new-zip' AS request_id, '19999' AS zip,"
    " TIMESTAMP '2024-01-02 10:00' AS opened_at, TIMESTAMP '2024-01-05 10:00' AS due_at,"
    " TIMESTAMP '2024-02-01 10:00' AS closed_at, $at AS updated_at) FROM service_requests"
    " WHERE service_name = 'Street Defect' AND status = 'closed' ORDER BY request_id LIMIT 1",
)


@pytest.mark.parametrize("change", [EARLY_STINT, NEW_ZIP], ids=["earlier_periods", "new_member"])
def test_a_backlog_gains_periods_or_a_member_from_its_previous_levels(
    published: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: Change
) -> None:
    # Earlier first periods get every member's row (zero before the early request, and
    # after it closed); a new member gets a row in every period, zero outside its few
    # weeks. The backlogs are still updated from their previous levels, not recomputed.
    updated = _check(published, tmp_path, [(change, AFTER)], monkeypatch=monkeypatch)
    assert {"street_defect_backlog", "street_defect_overdue_backlog"} <= updated


EARLY_STINT_OLDER = _sql_change(
    "service_requests",
    # A version of the early request older than the warehouse's: first in its history, it
    # says the request opened in March 2021, and the one after it (valid only from the
    # day it was merged) is closed by then. Its stint, the backlogs' first weeks and
    # month, moves to March.
    "SELECT * REPLACE (TIMESTAMP '2021-03-01 10:00' AS opened_at,"
    " TIMESTAMP '2021-03-08 10:00' AS due_at, TIMESTAMP '2021-04-01 10:00' AS closed_at,"
    " TIMESTAMP '2021-01-01 10:00' AS updated_at)"
    " FROM service_requests WHERE request_id = 'early-stint'",
)


def test_first_periods_only_the_changed_records_held_equal_a_full_recompute(
    published: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An incremental backlog keeps every period of its previous levels; the backlog check
    # must send these backlogs to a full recompute, whose first period is later (without
    # the check's first-period clause, the January 2021 rows stay, at zero).
    changes: list[tuple[Change, datetime]] = [(EARLY_STINT, AFTER), (EARLY_STINT_OLDER, NEW_YEAR)]
    _check(published, tmp_path, changes, monkeypatch=monkeypatch)


def test_a_warehouse_without_metric_state_is_recomputed_in_full(
    published: Path, tmp_path: Path
) -> None:
    path = tmp_path / "old.duckdb"
    shutil.copy(published, path)
    with duckdb.connect(str(path)) as con:
        con.execute("DROP TABLE metric_state")
        written = compute_metrics(con, CONFIG, AFTER, changed_run_id="run-x")
        incremental = _values(con)
        compute_metrics(con, CONFIG, AFTER)
        assert written > 0 and incremental == _values(con)


def test_records_without_versions_are_recomputed_in_full(
    published: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An older warehouse: some current rows have no version, so their old state is unknown.
    updated = _check(
        published,
        tmp_path,
        [(_sql_change_close(10), AFTER)],
        prepare="DELETE FROM service_requests_versions WHERE request_id IN "
        "(SELECT request_id FROM service_requests ORDER BY request_id LIMIT 50)",
        monkeypatch=monkeypatch,
    )
    assert "street_defect_backlog" not in updated and "street_defect_requests" not in updated
    assert "permits_in_review" in updated


def _rooftop(metric_id: str, body: str) -> str:
    return (
        f"  - id: {metric_id}\n    label: {metric_id}\n    description: Matches nothing yet.\n"
        "    methodology: Rooftop Repair requests.\n    department: streets\n"
        "    owner: Tester\n    filter: {service_name: [Rooftop Repair]}\n" + body
    )


# A metric of each kind that no demo request matches until ROOFTOP_NEW merges three.
ROOFTOP = load_metrics_text(
    profile=DEMO_CITY,
    text=METRICS_FILE.read_text()
    + _rooftop("rooftop_requests", "    unit: requests\n    kind: count\n")
    + _rooftop(
        "rooftop_on_time",
        "    unit: percent\n    kind: share\n"
        "    denominator: [{column: closed_at, op: is_not_null}]\n"
        '    numerator: [{column: closed_at, op: "<=", column_ref: due_at}]\n',
    )
    + _rooftop(
        "rooftop_median_days",
        "    unit: days\n    kind: duration_percentile\n    percentile: 0.5\n",
    )
    + _rooftop("rooftop_backlog", "    unit: requests\n    kind: backlog\n"),
)
ROOFTOP_NEW = _sql_change(
    "service_requests",
    "SELECT * REPLACE ('roof-' || request_id AS request_id, 'Rooftop Repair' AS service_name,"
    " $at - INTERVAL 30 DAY AS opened_at, $at - INTERVAL 2 DAY AS closed_at,"
    " $at AS updated_at) FROM service_requests WHERE status = 'closed'"
    " ORDER BY request_id LIMIT 3",
)
ROOFTOP_GONE = _sql_change(
    "service_requests",
    "SELECT * REPLACE ('Street Defect' AS service_name, $at AS updated_at)"
    " FROM service_requests WHERE service_name = 'Rooftop Repair'",
)


def test_metrics_that_match_nothing_equal_a_full_recompute(
    published: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Empty, still empty; then three records match; then none again. An empty metric holds
    # the data span's placeholder rows, which only a full recompute writes.
    changes: list[tuple[Change, datetime]] = [
        (_sql_change_close(10), AFTER),
        (ROOFTOP_NEW, NEW_YEAR),
        (ROOFTOP_GONE, T("2025-07-01 09:00")),
    ]
    updated = _check(
        published,
        tmp_path,
        changes,
        config_before=ROOFTOP,
        config_after=ROOFTOP,
        monkeypatch=monkeypatch,
    )
    # Only the last step starts them incrementally (an empty one is always recomputed),
    # and its update empties them: the full recompute that follows is what was compared.
    # (The backlog's check sends it to a full recompute straight away: records left it.)
    assert {"rooftop_requests", "rooftop_on_time", "rooftop_median_days"} <= updated


# Durations in conditions (issue 16): the permit share within 30 days of application and a
# count of requests open for over 30 days compare with the as-of plus or minus days.
WITH_DAYS = (
    METRICS_FILE.read_text()
    + """
  - id: permits_within_30_days
    label: Permits issued within 30 days of application
    description: d
    methodology: m
    department: licenses_inspections
    owner: o
    unit: percent
    direction: higher_is_better
    kind: share
    table: permits
    within_days: 30
    dimensions: [permit_type]
    targets: [{from: 2023-07-01, value: 0.8}]
  - id: requests_open_over_30_days
    label: Requests opened over 30 days ago still open
    description: d
    methodology: m
    department: streets
    owner: o
    unit: requests
    kind: count
    filter:
      - {column: status, op: "=", value: open}
      - {column: opened_at, op: "<", value: as_of, plus_days: -30}
"""
)


def test_durations_against_the_as_of_equal_a_full_recompute(
    published: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_days = load_metrics_text(WITH_DAYS, profile=DEMO_CITY)
    changes: list[tuple[Change, datetime]] = [
        (PERMITS, AFTER),
        (_nothing, T("2025-07-03 09:00")),  # days pass: waiting permits run out of time
    ]
    updated = _check(
        published,
        tmp_path,
        changes,
        config_before=with_days,
        config_after=with_days,
        monkeypatch=monkeypatch,
    )
    # Recomputed in full on each run; the other metrics stay incremental.
    assert not {"permits_within_30_days", "requests_open_over_30_days"} & updated
    assert "permits_issued" in updated
