"""Every page, internal and public, renders when one metric or every metric has no values
(issue 14): the warehouses are tests/empty_fixture.py's variants."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.components import site
from dashboard.meetings import schema as meeting_schema
from dashboard.meetings import store
from dashboard.meetings.permissions import SYSTEM
from dashboard.queries import packets, public, reader, scorecard
from tests.empty_fixture import VARIANTS, build_empty_warehouse
from tests.tables_support import shown_tables
from tests.test_public_view import rendered_output

APP = Path(__file__).resolve().parent.parent / "dashboard" / "app.py"

INTERNAL = ["scorecard", "leadership", "department", "services", "meetings", "data_quality"]
PUBLIC = ["public_scorecard", "open_data", "public_glossary"]
# The radio that switches a scorecard's period.
GRAIN_KEYS = {"scorecard": "scorecard_grain", "public_scorecard": "public_grain"}
METRIC_IDS = [
    "street_defect_on_time",
    "street_defect_median_days",
    "abandoned_vehicle_requests",
    "rooftop_inspections",
    "rooftop_on_time",
    "rooftop_median_days",
    "never_computed",
]


@pytest.fixture(scope="module", params=VARIANTS)
def empty_site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, Path, Path]:
    """(variant, warehouse, meetings database with one meeting frozen from it)."""
    variant = str(request.param)
    folder = tmp_path_factory.mktemp(variant)
    warehouse = folder / "wh.duckdb"
    build_empty_warehouse(warehouse, variant)
    wh = reader.Warehouse(str(warehouse), f"{warehouse.name}@{warehouse.stat().st_mtime_ns}")
    ids = ["street_defect_on_time", "rooftop_on_time", "rooftop_median_days"]
    definitions, values = packets.packet_source(wh, ids, "month")
    con = meeting_schema.connect(folder / "meetings.sqlite")
    spec = store.MeetingSpec(date(2025, 4, 20), "department", "Streets Department", "month", "M")
    store.create_meeting(
        con, SYSTEM, spec, definitions, values, store.Provenance("run", None, "wh")
    )
    con.close()
    return variant, warehouse, folder / "meetings.sqlite"


def _env(monkeypatch: pytest.MonkeyPatch, site_files: tuple[str, Path, Path], public: bool) -> None:
    _, warehouse, meetings = site_files
    monkeypatch.setenv("CITYSTAT_WAREHOUSE", str(warehouse))
    monkeypatch.setenv(meeting_schema.MEETINGS_ENV, str(meetings))
    if public:
        monkeypatch.setenv(site.PUBLIC_ENV, "1")
    else:
        monkeypatch.delenv(site.PUBLIC_ENV, raising=False)


def _open(page: str, **params: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=30).run()
    for key, value in params.items():
        at.query_params[key] = value
    at.switch_page(f"views/{page}.py").run()
    assert not at.exception, (page, params, [e.value for e in at.exception])
    # The fixture's file accounting is meant not to add up; any other error is a failure.
    errors = [e.value for e in at.error if not e.value.startswith("Row accounting")]
    assert not errors, (page, params, errors)
    return at


def _renders(
    pages: list[str],
    grains: tuple[str, ...] = ("month", "quarter"),
    metric_pages: tuple[str, ...] = ("metric", "equity"),
) -> Iterator[str]:
    """The output of each page, and of each metric's ``metric_pages`` at each grain."""
    for page in pages:
        at = _open(page, meeting="1") if page == "meetings" else _open(page)
        if page in GRAIN_KEYS and any(r.key == GRAIN_KEYS[page] for r in at.radio):
            for grain in grains:
                at.radio(key=GRAIN_KEYS[page]).set_value(grain).run()
                assert not at.exception, [e.value for e in at.exception]
        yield rendered_output(at)
    for metric in METRIC_IDS:
        for grain in grains:
            for page in metric_pages:
                yield rendered_output(_open(page, metric=metric, grain=grain))


@pytest.mark.slow
def test_every_internal_page_renders(
    empty_site: tuple[str, Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    _env(monkeypatch, empty_site, public=False)
    output = "\n".join(_renders([*INTERNAL, "freshness"]))
    assert not re.search(r"\bnan\b", output, re.IGNORECASE), "a missing value shows as nan"


@pytest.mark.slow
def test_every_public_page_renders(
    empty_site: tuple[str, Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    _env(monkeypatch, empty_site, public=True)
    for output in _renders(PUBLIC, metric_pages=("public_metric",)):
        assert not re.search(r"\bnan\b", output, re.IGNORECASE), "a missing value shows as nan"


@pytest.fixture
def one_empty(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    warehouse = tmp_path / "wh.duckdb"
    build_empty_warehouse(warehouse, "one_empty")
    monkeypatch.setenv("CITYSTAT_WAREHOUSE", str(warehouse))
    monkeypatch.delenv(site.PUBLIC_ENV, raising=False)
    return warehouse


def test_a_metric_without_cohort_service_says_none_not_nan(one_empty: Path) -> None:
    at = _open("metric", metric="rooftop_inspections", grain="month")
    # The caption is escaped Markdown source: `\\&` renders as "&".
    assert "License \\& Inspections · — · owner: Director" in [c.value for c in at.caption]
    assert "- **Cohort service:** —" in "\n".join(str(m.value) for m in at.markdown)


def test_district_ids_stay_text(one_empty: Path) -> None:
    """District "00" (the fixture's District 1 renamed) is shown as written, first in order."""
    for page, column in (("metric", "Area"), ("equity", "District")):
        at = _open(page, metric="street_defect_on_time", grain="month")
        # The metric page's table is a dataframe, the equity page's an HTML table.
        tables = [*shown_tables(at), *at.dataframe]
        table = next(f.value for f in tables if column in f.value.columns)
        shown = [str(area) for area in table[column] if "District" in str(area)]
        assert shown == ["District 00", "District 2", "District 3"], page


def test_a_failing_public_page_shows_no_traceback(
    one_empty: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError(f"boom in {one_empty.parent}")

    monkeypatch.setattr(scorecard, "scorecard", broken)
    monkeypatch.setattr(public, "latest_values", broken)
    monkeypatch.setenv(site.PUBLIC_ENV, "1")
    at = AppTest.from_file(str(APP), default_timeout=30).run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "Sorry, this page could not be shown. Please try again later, or open another page."
    ]
    assert str(one_empty.parent) not in rendered_output(at)
    # The internal dashboard still shows the error to the people who can fix it.
    monkeypatch.delenv(site.PUBLIC_ENV)
    at = AppTest.from_file(str(APP), default_timeout=30).run()
    assert at.exception
