"""Quarantined rows beside every volume (issue 14, item 3.4): wherever a page shows a count of
records (a count or backlog metric's value, rows loaded), it says how many rows of that table's
files were quarantined and rejected; the public site says it in one plain sentence.

The numbers are tests/kind_town.py's, counted by hand there: requests 2 files, 9 read = 5 staged
+ 3 quarantined + 1 rejected; permits 1 file, 4 read = 3 + 1 + 0; inspections 1 file, 3 read.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.components.set_aside import set_aside_note
from tests.kind_town import build_kind_town, captions, open_page, use_site
from tests.tables_support import shown_tables
from tests.test_public_view import rendered_output

SEE = "behind these counts — see Data quality"
REQUESTS = f"3 rows quarantined and 1 rejected of 9 read from the 2 request files {SEE}"
PERMITS = f"1 row quarantined and 0 rejected of 4 read from the 1 permit file {SEE}"
CASES = f"0 rows quarantined and 0 rejected of 3 read from the 1 inspection file {SEE}"
PUBLIC_REQUESTS = (
    "Of the 9 rows in the city's request files, 3 were set aside for data problems and 1 could "
    "not be read; they are not counted."
)
PUBLIC_PERMITS = (
    "Of the 4 rows in the city's permit files, 1 was set aside for data problems; they are not "
    "counted."
)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_kind_town(tmp_path_factory.mktemp("kind_town"))


@pytest.fixture
def internal(warehouse: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    use_site(monkeypatch, warehouse, public=False)
    return warehouse


@pytest.fixture
def public(warehouse: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    use_site(monkeypatch, warehouse, public=True)
    return warehouse


def _notes(at: AppTest) -> list[str]:
    return [c for c in captions(at) if "quarantined" in c or "set aside" in c]


def test_the_scorecard_says_it_for_each_table_it_counts(internal: Path) -> None:
    # Requests, permits and cases are counted; request_days (days) is not a volume.
    assert _notes(open_page("scorecard")) == [
        f"Requests: {REQUESTS}",
        f"Permits: {PERMITS}",
        f"Inspections: {CASES}",
    ]


@pytest.mark.parametrize(
    ("metric_id", "expected"),
    [
        ("requests_opened", [f"3 requests in 2024-03 · {REQUESTS}"]),
        ("permits_applied", [f"2 permits in 2024-03 · {PERMITS}"]),
        ("cases_received", [f"2 cases in 2024-03 · {CASES}"]),
        ("request_days", []),  # a duration: no volume, no note
    ],
)
def test_the_metric_page_says_it_beside_the_value(
    internal: Path, metric_id: str, expected: list[str]
) -> None:
    assert _notes(open_page("metric", metric=metric_id, grain="month")) == expected


@pytest.mark.parametrize(
    ("department", "expected"),
    [
        ("Streets", [f"Requests: {REQUESTS}"]),
        ("Licenses", [f"Permits: {PERMITS}", f"Inspections: {CASES}"]),
    ],
)
def test_the_department_view_says_it_under_its_metrics(
    internal: Path, department: str, expected: list[str]
) -> None:
    assert _notes(open_page("department", department=department)) == expected


def test_freshness_says_it_beside_the_rows_loaded(internal: Path) -> None:
    at = open_page("freshness")
    assert _notes(at) == [
        "10 rows read in the latest files: 8 new records, 0 updated, 0 unchanged. A repeated "
        "file inserts and updates nothing. 2 of their rows were quarantined and 0 rejected — "
        "see Data quality."
    ]
    loads = shown_tables(at)[0].value
    assert loads[["Latest file", "Read", "Quarantined", "Rejected"]].values.tolist() == [
        ["requests_2.csv", "3", "1", "0"],  # town_311
        ["cases_1.csv", "3", "0", "0"],  # town_inspections
        ["permits_1.csv", "4", "1", "0"],  # town_permits
    ]


def test_data_quality_has_the_same_totals(internal: Path) -> None:
    at = open_page("data_quality")
    behind = next(f.value for f in shown_tables(at) if "Records" in f.value.columns)
    assert behind.values.tolist() == [
        ["Inspections", "1", "3", "3", "0", "0"],
        ["Permits", "1", "4", "3", "1", "0"],
        ["Requests", "2", "9", "5", "3", "1"],
    ]


def test_the_public_site_says_it_in_plain_sentences(public: Path) -> None:
    # Only public metrics: requests_opened and permits_applied.
    scorecard = open_page("scorecard")
    assert _notes(scorecard) == [PUBLIC_REQUESTS, PUBLIC_PERMITS]
    metric = open_page("metric", metric="permits_applied", grain="month")
    assert _notes(metric) == [PUBLIC_PERMITS]
    freshness = open_page("freshness")
    assert _notes(freshness)[0].endswith(
        "2 of their rows were set aside for data problems and 0 could not be read."
    )
    for at in (scorecard, metric):
        shown = rendered_output(at)
        # No path or the words of the internal pages; the notes name no file, hash or id.
        assert "quarantin" not in shown and "Data quality" not in shown
        assert str(public.parent) not in shown
        assert not any(re.search(r"\.csv|[0-9a-f]{8,}|run-|_", note) for note in _notes(at))


def test_a_table_with_nothing_set_aside_says_so() -> None:
    totals = pd.DataFrame(
        [("inspections", 1, 3, 3, 0, 0)],
        columns=[
            "canonical_table",
            "files",
            "rows_read",
            "rows_staged",
            "rows_quarantined",
            "rows_rejected",
        ],
    )
    assert set_aside_note(totals, "inspections", public=True) == (
        "None of the 3 rows in the city's inspection files was set aside for data problems."
    )
    assert set_aside_note(totals, "permits", public=True) is None  # no permit file loaded
