"""Dashboard security: URL parameters are validated data, and the warehouse stays read-only."""

from __future__ import annotations

import ast
import hashlib
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.components.safe_text import escape_markdown
from dashboard.queries import reader
from tests.dashboard_fixture import build_fixture_warehouse
from tests.url_parameters import FREE_TEXT, sweep_setting, url_parameters

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "dashboard" / "app.py"

INJECTIONS = [
    "'; DROP TABLE metric_values; --",
    "street_defect_on_time' OR '1'='1",
    '" UNION SELECT * FROM quarantine --',
    "../../etc/passwd",
    "<script>alert(1)</script>",
    "1; ATTACH '/tmp/x.duckdb' AS x",
]

# Every query parameter a page of the internal site reads from the URL (derived from the code).
URL_PARAMETERS = [
    (f"views/{page}", parameter)
    for page, parameters in url_parameters()["internal"]
    for parameter in parameters
]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("security") / "citystat.duckdb"
    build_fixture_warehouse(path)
    return path


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize(("page", "parameter"), URL_PARAMETERS)
@pytest.mark.parametrize("value", INJECTIONS)
def test_injection_strings_in_the_url_are_refused_as_unknown_values(
    page: str,
    parameter: str,
    value: str,
    warehouse: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    setting = sweep_setting(page.removeprefix("views/"), parameter)
    if setting is None:
        pytest.skip(f"the fixture's {page} does not read {parameter} (tests/url_parameters.py)")
    monkeypatch.setenv("CITYSTAT_WAREHOUSE", str(warehouse))
    monkeypatch.setenv("CITYSTAT_MEETINGS_DB", str(tmp_path / "meetings.sqlite"))
    before = _digest(warehouse)
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.switch_page(page)
    for key, needed in setting.items():
        at.query_params[key] = needed
    at.query_params[parameter] = value
    at.run()
    assert not at.exception, at.exception
    shown = "\n".join(str(el.value) for kind in ("warning", "info") for el in getattr(at, kind))
    if parameter in FREE_TEXT:
        # Free text is allowed as typed, and shown only escaped.
        assert at.query_params.get(parameter) == value
        assert f"“{escape_markdown(value)}”" in "\n".join(str(c.value) for c in at.caption)
    elif parameter == "meeting":
        # No meeting exists yet: the id is not looked up at all, the page lists none.
        assert "No meeting yet" in shown
    else:
        # Named back as unknown and replaced in the URL by a known value; never run.
        assert at.query_params.get(parameter) != value
        # Echoed as text, never as Markdown (issue 15: echoing it raw was the bug).
        assert f"Ignored {parameter} “{escape_markdown(value)}” from the link" in shown
    assert _digest(warehouse) == before
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM metric_values").fetchone()[0] > 0


def test_the_dashboard_connection_cannot_write_the_warehouse(warehouse: Path) -> None:
    version = f"{warehouse.name}@{warehouse.stat().st_mtime_ns}"
    with pytest.raises(duckdb.Error, match="read-only"):
        reader._query(str(warehouse), version, "DELETE FROM metric_values", {})
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM metric_values").fetchone()[0] > 0


def test_every_duckdb_connection_in_the_dashboard_is_read_only() -> None:
    # Static check over the whole package: a new page cannot quietly open the warehouse to write.
    calls = []
    for path in sorted((ROOT / "dashboard").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "connect"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "duckdb"
            ):
                if [a.value for a in node.args if isinstance(a, ast.Constant)] == [":memory:"]:
                    continue  # a database of its own in memory (a lake's views), no file
                read_only = [k for k in node.keywords if k.arg == "read_only"]
                calls.append((path.name, node.lineno))
                assert read_only, f"{path.name}:{node.lineno} opens DuckDB without read_only"
                assert isinstance(read_only[0].value, ast.Constant) and read_only[0].value.value
    assert calls  # the check looked at the real connection(s)
