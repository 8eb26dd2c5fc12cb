"""Files a run skipped unopened (FIFOs, sockets, broken links, folders: the warehouse's
``skipped_files``) are listed with their reasons on the internal Data quality page, and their
paths never reach the public site (issue 15)."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.app import PUBLIC_PAGES
from dashboard.components import site
from dashboard.components.safe_text import escape_markdown as md
from dashboard.meetings import schema as meeting_schema
from tests.dashboard_fixture import RUN_ID, build_fixture_warehouse, walk_elements
from tests.tables_support import shown_tables

APP = Path(__file__).resolve().parent.parent / "dashboard" / "app.py"
SPECIAL = "not a regular file: skipped without opening it; remove it"
# Two skipped in the published run, one in an older (failed) run that the page must leave out.
SKIPPED = [
    (RUN_ID, "philadelphia_311_demo", "philly/secret-fifo.csv", f"a FIFO (named pipe), {SPECIAL}"),
    (
        RUN_ID,
        "philadelphia_311_demo",
        "philly/gone-link.csv",
        "a symbolic link to a file that does not exist: skipped; restore the file it points "
        "to, or remove the link",
    ),
    ("run-2025-04-14", "philadelphia_311_demo", "philly/old-socket.csv", f"a socket, {SPECIAL}"),
]


@pytest.fixture(scope="module")
def warehouses(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The fixture warehouse with the skipped files above, and one without the table at all
    (a warehouse written before runs recorded skipped files)."""
    folder = tmp_path_factory.mktemp("skipped")
    plain = folder / "plain.duckdb"
    build_fixture_warehouse(plain)
    older = folder / "older.duckdb"
    shutil.copy(plain, older)
    with duckdb.connect(str(plain)) as con:
        con.executemany("INSERT INTO skipped_files VALUES (?, ?, ?, ?)", SKIPPED)
    with duckdb.connect(str(older)) as con:
        con.execute("DROP TABLE skipped_files")
    return plain, older


def _page(
    warehouse: Path, page: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, public: bool
) -> AppTest:
    monkeypatch.setenv("CITYSTAT_WAREHOUSE", str(warehouse))
    monkeypatch.setenv(meeting_schema.MEETINGS_ENV, str(tmp_path / "meetings.sqlite"))
    if public:
        monkeypatch.setenv(site.PUBLIC_ENV, "1")
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    at.switch_page(f"views/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _everything_shown(at: AppTest) -> str:
    return "\n".join(str(getattr(node, "proto", "")) for node in walk_elements(at._tree))


def test_the_data_quality_page_lists_the_published_runs_skipped_files_with_reasons(
    warehouses: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    at = _page(warehouses[0], "data_quality", monkeypatch, tmp_path, public=False)
    assert "Files skipped unopened" in [s.value for s in at.subheader]
    assert any(w.value.startswith("2 matched file(s) were not read") for w in at.warning)
    tables = [t.value for t in shown_tables(at) if "Reason" in t.value.columns]
    assert len(tables) == 1
    shown = tables[0]
    # Ordered by source, then file; the older run's socket is not this run's. Cells are
    # escaped Markdown (an HTML table's cells render Markdown).
    assert shown.to_dict("records") == [
        {"Source": md(source), "File": md(file), "Reason": md(reason)}
        for _, source, file, reason in sorted(SKIPPED[:2], key=lambda row: row[2])
    ]


def test_a_warehouse_without_the_table_or_with_nothing_skipped_says_so(
    warehouses: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    at = _page(warehouses[1], "data_quality", monkeypatch, tmp_path, public=False)
    assert "Files skipped unopened" in [s.value for s in at.subheader]
    assert any("Every file the sources' patterns matched" in c.value for c in at.caption)
    assert not [t for t in shown_tables(at) if "Reason" in t.value.columns]


@pytest.mark.parametrize("page", [file.removesuffix(".py") for file, *_ in PUBLIC_PAGES])
def test_no_public_page_names_a_skipped_file(
    page: str, warehouses: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    at = _page(warehouses[0], page, monkeypatch, tmp_path, public=True)
    shown = _everything_shown(at)
    assert at.title  # the page ran
    for _, _, file, reason in SKIPPED:
        assert file not in shown and Path(file).name not in shown and reason not in shown


def test_the_data_quality_page_is_not_served_on_the_public_site(
    warehouses: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CITYSTAT_WAREHOUSE", str(warehouses[0]))
    monkeypatch.setenv(site.PUBLIC_ENV, "1")
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("views/data_quality.py")
