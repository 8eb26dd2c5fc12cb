"""District ids stay text (issue 14, item 3.5): "00" stays "00" from the extract to the page,
while zero padding of a district number goes ("07" is "7", as "3.0" is "3"), in the extract
and in a zip-to-district crosswalk alike."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from pipelines.ingest import extract
from pipelines.ingest.expressions import district_expression
from pipelines.ingest.mapping import SourceMapping
from pipelines.warehouse.schema import create_schema
from tests.kind_town import build_kind_town, open_page, use_site
from tests.tables_support import shown_tables


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_kind_town(tmp_path_factory.mktemp("kind_town"))


@pytest.mark.parametrize(
    ("written", "staged"),
    [
        ("00", "00"),  # an id of zeros is not a padded number
        ("0", "0"),
        ("00.0", "00"),
        ("07", "7"),
        ("007", "7"),
        ("010", "10"),
        ("3.0", "3"),
        ("12", "12"),
        ("0A", "0A"),
        ("01 BRONX", "01 BRONX"),  # a label, not a number
        ("North", "North"),
    ],
)
def test_only_padding_is_dropped(written: str, staged: str) -> None:
    (value,) = duckdb.execute(f"SELECT {district_expression('$d')}", {"d": written}).fetchone() or (
        None,
    )
    assert value == staged


def test_the_crosswalk_names_districts_as_the_extract_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The crosswalk pads: "05" is district 5, "00" the city's "no district"; zip 2128 lost its
    # leading zero in a spreadsheet. Requests: Z1 in 19103, Z2 in 02128, Z3 with its own "07".
    (tmp_path / "xwalk.csv").write_text(
        "zip,council_district\n19103,05\n2128,00\n", encoding="utf-8"
    )
    monkeypatch.setenv("CITYSTAT_SOURCES_DIR", str(tmp_path))
    mapping = SourceMapping.model_validate(
        {
            "source": "xtown",
            "title": "Crosswalk town",
            "city": "Xtown",
            "files": {"pattern": "unused.csv"},
            "timezone": "America/New_York",
            "timestamps": {"formats": ["%Y-%m-%d"]},
            "columns": {
                "request_id": "id",
                "opened_at": "opened",
                "status": "state",
                "zip": "zipcode",
                "council_district": "district",
            },
            "statuses": {"Open": "open"},
            "district_from_zip": {"file": "xwalk.csv"},
        }
    )
    path = tmp_path / "extract.csv"
    path.write_text(
        "id,opened,state,zipcode,district\n"
        "Z1,2024-03-01,Open,19103,\n"
        "Z2,2024-03-01,Open,02128,\n"
        "Z3,2024-03-01,Open,19103,07\n",
        encoding="utf-8",
    )
    con = duckdb.connect()
    create_schema(con)
    extract.read_raw(con, mapping, [path], "run1")
    extract.stage(con, mapping, "run1")
    extract.apply_district_lookup(con, mapping)
    staged = con.execute('SELECT request_id, council_district FROM "stg_xtown" ORDER BY 1')
    assert staged.fetchall() == [("Z1", "5"), ("Z2", "00"), ("Z3", "7")]


def test_district_00_reaches_the_warehouse_and_the_pages_as_00(
    warehouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Q1 and Q7 wrote "00", Q2 "07", Q3 "7", Q9 "3.0" (tests/kind_town.py).
    with duckdb.connect(str(warehouse), read_only=True) as con:
        staged = con.execute(
            "SELECT request_id, council_district FROM service_requests ORDER BY 1"
        ).fetchall()
    assert staged == [("Q1", "00"), ("Q2", "7"), ("Q3", "7"), ("Q7", "00"), ("Q9", "3")]
    use_site(monkeypatch, warehouse, public=False)
    # March, requests opened: 3 citywide; district 00: Q1; district 7: Q2 and Q3; district 3
    # has April's Q9 only, so 0 in March.
    metric = open_page("metric", metric="requests_opened", grain="month")
    table = next(f.value for f in shown_tables(metric) if "Area" in f.value.columns)
    assert table["Area"].tolist() == ["Citywide", "District 00", "District 3", "District 7"]
    assert table["Value"].tolist() == ["3", "1", "0", "2"]
    equity = open_page("equity", metric="requests_opened", grain="month")
    # The equity page's per-district table is an HTML table (st.table).
    gaps = next(f.value for f in shown_tables(equity) if "District" in f.value.columns)
    assert gaps["District"].tolist() == ["District 00", "District 3", "District 7"]
    # The public site too.
    use_site(monkeypatch, warehouse, public=True)
    public = open_page("public_metric", metric="requests_opened", grain="month")
    table = next(f.value for f in shown_tables(public) if "Council district" in f.value.columns)
    assert table["Council district"].tolist() == ["00", "3", "7"]
    assert table["Value"].tolist() == ["1", "0", "2"]
