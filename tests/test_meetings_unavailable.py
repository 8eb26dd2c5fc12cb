"""A meetings store that cannot be used (garbage bytes, a damaged file, a folder in its place, no
permission, a PostgreSQL server that is not there) gives one clear sentence on the meetings
parts of the dashboard, no traceback, while every other page keeps working (AppTest)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.meetings import schema as meeting_schema
from dashboard.meetings import store
from dashboard.meetings.database import MEETINGS_ENV, MEETINGS_URL_ENV, StoreUnavailable
from tests.dashboard_fixture import build_fixture_warehouse
from tests.meetings_support import department_meeting
from tests.tables_support import shown_tables

APP = Path(__file__).resolve().parent.parent / "dashboard" / "app.py"
DAMAGED = "the meetings database file is damaged or is not a SQLite database"
FOLDER = "a folder is where the meetings database file should be"
NO_PERMISSION = "the dashboard has no permission to read and write the meetings database"


def _garbage(path: Path) -> None:
    path.write_bytes(os.urandom(8192))


def _damaged_after_its_header(path: Path) -> None:
    """A real store whose pages were overwritten: it opens, and fails on the first read."""
    with meeting_schema.connect(path) as db:
        department_meeting(db)
    data = bytearray(path.read_bytes())
    data[100:] = b"\xa5" * (len(data) - 100)
    path.write_bytes(bytes(data))


def _folder(path: Path) -> None:
    path.mkdir()
    (path / "something.txt").write_text("not a database")


BREAKAGES: dict[str, tuple[Callable[[Path], None], str]] = {
    "garbage bytes": (_garbage, DAMAGED),
    "damaged pages": (_damaged_after_its_header, DAMAGED),
    "a folder in its place": (_folder, FOLDER),
}


@pytest.mark.parametrize("breakage", list(BREAKAGES))
def test_the_store_says_what_is_wrong_without_naming_the_file(
    tmp_path: Path, breakage: str
) -> None:
    path = tmp_path / "meetings.sqlite"
    breaks, reason = BREAKAGES[breakage]
    breaks(path)
    with pytest.raises(StoreUnavailable) as refused, meeting_schema.connect(path) as db:
        store.list_meetings(db)
    assert refused.value.reason.startswith(reason)
    assert str(tmp_path) not in refused.value.reason
    assert refused.value.location == str(path)


def _connect_as_someone_without_access(path: Path) -> str:
    """What connect() says in a child process that may not use ``path``: as nobody when this
    is root (root reads everything), as this user with the file closed to it otherwise."""
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        message = "nothing"
        try:
            os.close(read_end)
            if os.geteuid() == 0:
                os.setgid(65534)
                os.setuid(65534)
            meeting_schema.connect(path).close()
            message = "opened"
        except StoreUnavailable as problem:
            message = problem.reason
        except BaseException as error:
            message = f"unexpected {error!r}"
        finally:
            os.write(write_end, message.encode())
            os._exit(0)
    os.close(write_end)
    answer = os.read(read_end, 4096).decode()
    os.close(read_end)
    os.waitpid(child, 0)
    return answer


def test_no_permission_is_said_as_such(tmp_path: Path) -> None:
    path = tmp_path / "meetings.sqlite"
    meeting_schema.connect(path).close()
    path.chmod(0)
    tmp_path.chmod(0o700)  # and, for nobody, a folder it cannot enter
    try:
        assert _connect_as_someone_without_access(path).startswith(NO_PERMISSION)
    finally:
        path.chmod(0o600)


def test_a_postgresql_server_that_is_not_there_is_said_plainly(tmp_path: Path) -> None:
    url = f"postgresql://citystat:secret@/meetings?host={tmp_path}&port=5999"
    with pytest.raises(StoreUnavailable) as refused:
        meeting_schema.connect(url)
    assert refused.value.reason == (
        "the PostgreSQL meetings database did not answer; check that the server is running "
        f"and that {MEETINGS_URL_ENV} names it"
    )
    # The location names the server for the internal site, never the password.
    assert refused.value.location.startswith("postgresql+psycopg://citystat:***@/meetings?host=")
    assert "secret" not in str(refused.value)


@pytest.mark.parametrize("url", ["mysql://root@db/x", "not a url at all"])
def test_a_url_the_store_does_not_know_is_refused(url: str) -> None:
    with pytest.raises(StoreUnavailable, match=f"{MEETINGS_URL_ENV} is not a database URL"):
        meeting_schema.connect(url)


# ------------------------------------------------------------------- the pages (AppTest)


@pytest.fixture
def broken_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> str:
    """The fixture warehouse and a meetings store broken as the test asks; its reason."""
    warehouse = tmp_path / "wh.duckdb"
    build_fixture_warehouse(warehouse)
    meetings = tmp_path / "meetings.sqlite"
    breaks, reason = BREAKAGES[request.param]
    breaks(meetings)
    monkeypatch.setenv("CITYSTAT_WAREHOUSE", str(warehouse))
    monkeypatch.setenv(MEETINGS_ENV, str(meetings))
    monkeypatch.delenv("CITYSTAT_PUBLIC", raising=False)
    return reason


def _page(name: str, **params: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=30).run()
    for key, value in params.items():
        at.query_params[key] = value
    at.switch_page(f"views/{name}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.parametrize("broken_env", list(BREAKAGES), indirect=True)
def test_the_meetings_pages_say_so_and_every_other_page_keeps_working(broken_env: str) -> None:
    reason = broken_env
    scorecard = _page("scorecard")
    assert not scorecard.error
    assert shown_tables(scorecard)[0].value["Value"].tolist()  # the scorecard is drawn

    meetings = _page("meetings")
    assert len(meetings.error) == 1
    message = meetings.error[0].value
    assert message.startswith(f"Meetings are unavailable: {reason}")
    assert message.endswith("Every other page keeps working.")
    assert "Traceback" not in message and "sqlite3" not in message

    department = _page("department", department="Streets Department")
    assert [e.value for e in department.error] == [message]
    headings = [h.value for h in department.subheader]
    assert headings[-2:] == ["Services", "Data freshness"]  # the rest of the page is there


def test_the_public_site_names_no_file(monkeypatch: pytest.MonkeyPatch) -> None:
    def page() -> None:
        from dashboard.meetings.database import StoreUnavailable
        from dashboard.views.meeting_state import store_unavailable

        store_unavailable(StoreUnavailable("it is broken", "/srv/city/data/meetings.sqlite"))

    monkeypatch.setenv("CITYSTAT_PUBLIC", "1")
    public = AppTest.from_function(page).run()
    assert public.error[0].value == (
        "Meetings are unavailable: it is broken. Every other page keeps working."
    )
    monkeypatch.delenv("CITYSTAT_PUBLIC")
    internal = AppTest.from_function(page).run()
    assert "/srv/city/data/meetings.sqlite" in internal.error[0].value.replace("\\", "")
