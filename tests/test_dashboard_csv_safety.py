"""Spreadsheet formula injection: every CSV the dashboard offers goes through csv_safe."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.components.csv_export import csv_bytes, csv_safe
from tests.dashboard_fixture import DownloadCapture, build_fixture_warehouse

APP = Path(__file__).resolve().parent.parent / "dashboard" / "app.py"
PAYLOAD = "=cmd|' /C calc'!A0"


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+44 20 7946 0000", "'+44 20 7946 0000"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Street defects", "Street defects"),
        ("a=b", "a=b"),  # only the first character matters
        ("", ""),
    ],
)
def test_text_that_a_spreadsheet_would_run_is_quoted(cell: str, written: str) -> None:
    assert csv_safe(pd.DataFrame({"text": [cell]}))["text"].tolist() == [written]


def test_numbers_dates_and_missing_values_stay_as_they_are() -> None:
    frame = pd.DataFrame(
        {
            "value": [-3.5, 0.824, np.nan],
            "count": [-1, 2, 3],
            "flag": [True, False, True],
            "day": pd.to_datetime(["2025-01-01", "2025-02-01", None]),
            "label": ["-ok", None, "fine"],
            "mixed": pd.Series(["+x", 7, None], dtype=object),
            "list": [["=a", "b"], [], ["c"]],
        }
    )
    safe = csv_safe(frame)
    assert safe["value"].tolist()[:2] == [-3.5, 0.824] and pd.isna(safe["value"].iloc[2])
    assert safe["count"].dtype == frame["count"].dtype
    assert safe["flag"].tolist() == [True, False, True]
    assert safe["day"].dtype == frame["day"].dtype
    assert safe["label"].tolist()[0] == "'-ok" and pd.isna(safe["label"].iloc[1])
    assert safe["mixed"].tolist() == ["'+x", 7, None]
    assert safe["list"].tolist() == ["'=a; b", "", "c"]
    # The caller's frame is untouched, and a header cell is a cell too.
    assert frame["label"].iloc[0] == "-ok"
    assert csv_safe(pd.DataFrame({"=evil": [1]})).columns.tolist() == ["'=evil"]
    written = list(csv.reader(io.StringIO(csv_bytes(frame).decode())))
    # Negative numbers are written as numbers, not quoted text.
    assert written[1][:2] == ["-3.5", "-1"]


def test_the_metric_page_series_download_is_formula_safe(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    warehouse = tmp_path / "wh.duckdb"
    build_fixture_warehouse(warehouse)
    con = duckdb.connect(str(warehouse))
    # A status text a hostile extract could smuggle in, on one complete month.
    con.execute(
        "UPDATE metric_values SET status = ? WHERE metric_id = 'street_defect_on_time' "
        "AND grain = 'month' AND period_label = '2025-01' AND dimension = 'citywide'",
        [PAYLOAD],
    )
    con.close()
    monkeypatch.setenv("CITYSTAT_WAREHOUSE", str(warehouse))
    monkeypatch.delenv("CITYSTAT_PUBLIC", raising=False)
    downloads = DownloadCapture().install(monkeypatch)
    at = AppTest.from_file(str(APP), default_timeout=30).run()
    at.query_params["metric"] = "street_defect_on_time"
    at.query_params["grain"] = "month"
    at.switch_page("views/metric.py").run()
    assert not at.exception
    rows = list(
        csv.DictReader(io.StringIO(downloads.content(at, "Download this series (CSV)").decode()))
    )
    assert [r["period_label"] for r in rows] == ["2025-01", "2025-02", "2025-03"]
    assert rows[0]["status"] == "'" + PAYLOAD
    # A percent metric's shares as percentages, and the column says so (issue 18, "Exports").
    assert [r["value (%)"] for r in rows] == ["70.0", "78.0", "82.4"]
    assert [r["target (%)"] for r in rows] == ["80.0", "80.0", "80.0"]
    assert "value" not in rows[0]
