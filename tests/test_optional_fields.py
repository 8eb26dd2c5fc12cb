"""Optional fields stay optional (issue 14, item 3.1): an inspections extract without
received_at (routine inspections answer no complaint) and an extract without coordinates (no
bounds) load, validate and compute; what cannot be computed is said at its line.

The town has two inspections sources. `complaints` maps received_at (one row leaves it blank:
a routine visit logged with the complaints); `routine` maps neither received_at nor any
coordinate, and has no bounds. Every expected number is counted by hand from the rows below.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from pipelines.cli.main import main
from pipelines.ingest.mapping_files import MappingError, load_mapping
from pipelines.run.pipeline import run_pipeline
from tests.ingest_town import Town, metric

COMPLAINTS = """\
    source: complaints
    title: Town complaint cases
    kind: inspections
    city: Town
    files: {pattern: town/complaints_*.csv}
    timezone: America/Chicago
    timestamps: {formats: ["%Y-%m-%d %H:%M"]}
    columns:
      case_id: id
      received_at: received
      first_inspected_at: inspected
      status: state
      latitude: lat
      longitude: lon
    statuses: {Open: open, Closed: closed}
    bounds: {lat_min: 41, lat_max: 42, lon_min: -88, lon_max: -87}
"""
# C3 has no received date: kept (received_at is optional), counted by inspection date only.
COMPLAINTS_CSV = """\
    id,received,inspected,state,lat,lon
    C1,2024-03-01 08:00,2024-03-02 09:00,Closed,41.5,-87.5
    C2,2024-03-05 08:00,2024-03-06 09:00,Open,41.6,-87.6
    C3,,2024-03-20 09:00,Open,41.7,-87.7
    C4,2024-04-02 08:00,2024-04-03 09:00,Open,0,0
"""
ROUTINE = """\
    source: routine
    title: Town routine inspections
    kind: inspections
    city: Town
    files: {pattern: town/routine_*.csv}
    timezone: America/Chicago
    timestamps: {formats: ["%Y-%m-%d %H:%M"]}
    columns:
      case_id: id
      inspection_type: type
      first_inspected_at: inspected
      closed_at: closed
      status: state
    statuses: {Open: open, Closed: closed}
"""
ROUTINE_CSV = """\
    id,type,inspected,closed,state
    R1,Routine,2024-03-04 09:00,2024-03-04 10:00,Closed
    R2,Routine,2024-03-11 09:00,,Open
    R3,Routine,2024-04-02 09:00,2024-04-05 09:00,Closed
"""
INSPECTED = metric(
    "inspections_done",
    "unit: cases\nkind: count\ntable: inspections\ndate: first_inspected_at\n"
    "grains: [month]\ndimensions: []\n",
)
RECEIVED = metric(
    "complaints_received",
    "unit: cases\nkind: count\ntable: inspections\ngrains: [month]\ndimensions: []\n",
)


@pytest.fixture
def town(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Town:
    town = Town(tmp_path, monkeypatch)
    town.mapping("complaints", COMPLAINTS)
    town.mapping("routine", ROUTINE)
    town.extract("complaints_1.csv", COMPLAINTS_CSV)
    town.extract("routine_1.csv", ROUTINE_CSV)
    return town


def test_a_mapping_without_received_at_or_bounds_loads_and_checks_clean(town: Town) -> None:
    mapping = load_mapping(town.sources / "routine.yml")
    assert mapping.bounds is None
    assert {"received_at", "latitude", "longitude"} <= set(mapping.unmapped_columns())
    result = CliRunner().invoke(main, ["sources", "check", "routine"])
    assert result.exit_code == 0, result.output
    assert result.output == "routine: no problems found\n"


def test_coordinates_without_bounds_are_an_error_at_their_line(town: Town) -> None:
    text = ROUTINE.replace("      status: state\n", "      status: state\n      latitude: y\n")
    path = town.mapping("routine", text)
    with pytest.raises(MappingError) as err:
        load_mapping(path)
    # latitude is line 14 of the mapping.
    assert err.value.problems == [
        f"{path}:14: latitude is mapped but the mapping has no bounds; add 'bounds: {{lat_min: "
        "..., lat_max: ..., lon_min: ..., lon_max: ...}' (the city's coordinate box: points "
        "outside it, such as 0,0 placeholders, are cleared), or remove the coordinates"
    ]


def test_both_sources_load_validate_and_compute(town: Town) -> None:
    metrics = town.metrics(["complaints", "routine"], INSPECTED, RECEIVED)
    result = run_pipeline(metrics, town.warehouse)
    assert result.published, result.message
    with duckdb.connect(str(town.warehouse), read_only=True) as con:
        files = con.execute(
            "SELECT source, rows_read, rows_staged, rows_quarantined, rows_rejected "
            "FROM load_files ORDER BY source"
        ).fetchall()
        # No coordinate rule is judged for routine: it maps none (and has no box).
        judged = con.execute(
            "SELECT source, count(*) FILTER (WHERE column_name IN ('latitude', 'longitude')) "
            "FROM validation_results GROUP BY source ORDER BY source"
        ).fetchall()
        c4_lat = con.execute("SELECT latitude FROM inspections WHERE case_id = 'C4'").fetchall()
        values = con.execute(
            "SELECT metric_id, period_label, value, status FROM metric_values "
            "WHERE dimension = 'citywide' ORDER BY metric_id, period_label"
        ).fetchall()
        notes = dict(
            con.execute("SELECT metric_id, availability FROM metric_definitions").fetchall()
        )
    # Every row staged: C3's blank received_at is not a defect.
    assert files == [("complaints", 4, 4, 0, 0), ("routine", 3, 3, 0, 0)]
    assert judged == [("complaints", 2), ("routine", 0)]
    assert c4_lat == [(None,)]  # 0,0 is outside complaints' box: cleared, the case kept
    # Inspected: March C1 C2 C3 R1 R2 = 5, April C4 R3 = 2. Received (complaints only, R* and
    # C3 left out): March C1 C2 = 2, April C4 = 1.
    assert values == [
        ("complaints_received", "2024-03", 2.0, "no_target"),
        ("complaints_received", "2024-04", 1.0, "no_target"),
        ("inspections_done", "2024-03", 5.0, "no_target"),
        ("inspections_done", "2024-04", 2.0, "no_target"),
    ]
    assert notes == {
        "inspections_done": None,
        "complaints_received": "left out (not available for this source): routine has no "
        "received_at",
    }


def test_a_metric_on_a_column_no_source_maps_is_named_at_its_line(town: Town) -> None:
    metrics = town.metrics(["routine"], INSPECTED, RECEIVED)
    result = CliRunner().invoke(main, ["metrics", "check", "--file", str(metrics)])
    assert result.exit_code == 0, result.output
    # complaints_received starts on line 15 of metrics.yml (3 + 12 lines of inspections_done).
    assert result.output.splitlines() == [
        "warning: metrics.yml:15: metric 'complaints_received': date column received_at (the "
        "default date of inspections) is mapped by no inspections source (routine), so the run "
        "would publish it as not available; map received_at under columns: in "
        f"{town.sources / 'routine.yml'}, or set 'date:' to a column they map "
        "(first_inspected_at, closed_at)",
        "metrics.yml: 2 metrics, no problems found; 1 warning",
    ]
    # The run agrees: inspections_done computes, complaints_received is not available.
    run = run_pipeline(metrics, town.warehouse)
    assert run.published, run.message
    with duckdb.connect(str(town.warehouse), read_only=True) as con:
        statuses = con.execute(
            "SELECT metric_id, list(DISTINCT status) FROM metric_values GROUP BY ALL ORDER BY 1"
        ).fetchall()
    assert statuses == [
        ("complaints_received", ["not_available"]),
        ("inspections_done", ["no_target"]),
    ]
