"""The closing note's matrix (issue 15): what each role, a signed-in person without a role and
an anonymous visitor see on every page of both sites, under AppTest (``at.user`` signs in).

Each cell is observed, not assumed: the page is opened through the site's navigation when it
offers it, and by running the page file itself otherwise (an address typed or kept from
before), and classified by what it shows: the page, or which refusal with which message, and
on the Meetings page which write controls are there to use. The expected matrix below is the
README's "Security" tables; the test fails on any cell that differs, and writes the observed
matrix to tests/artifacts/access_matrix.md for the closing note.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.app import INTERNAL_PAGES, PUBLIC_PAGES
from dashboard.components import site
from dashboard.views.actor import NOT_PUBLIC
from tests.dashboard_fixture import walk_elements

# The sign-in tests' site: the fixture warehouse, a Streets meeting with commentary, roles.yml.
from tests.test_sign_in_pages import AUTH, NO_ROLE, PEOPLE, signed_site, site_files  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "dashboard" / "app.py"
VIEWS = ROOT / "dashboard" / "views"
ARTIFACT = ROOT / "tests" / "artifacts" / "access_matrix.md"
VISITORS: dict[str, dict[str, Any] | None] = {**PEOPLE, "no role": NO_ROLE, "anonymous": None}
INTERNAL = [file for file, *_ in INTERNAL_PAGES]
PUBLIC = [file for file, *_ in PUBLIC_PAGES]
# Internal pages asked for on the public site (by address): never served there.
PUBLIC_ASKED = PUBLIC + [f for f in INTERNAL if f not in PUBLIC]
WRITE_CONTROLS = {
    "Create the meeting and freeze its packet": "schedule",
    "Close the meeting": "close",
    "Save commentary": "commentary",
    "Add action item": "action",
    "Save the action item": "status",
}
DATA_ELEMENTS = ("dataframe", "table", "html", "plotly_chart", "metric", "download_button")

SHOWN = "shown"
SIGN_IN = "sign-in page"
NO_ROLE_PAGE = "“No role yet” page"
NOT_ROLE = "refused: “Not part of your role”"
NOT_FOUND = "not served: not in its navigation, the page itself refuses (internal page)"
EVERY_WRITE = f"{SHOWN}; writes: schedule, close, commentary, action, status; role changes"
HEAD_WRITE = f"{SHOWN}; writes: commentary, action, status"
READ_ONLY = f"{SHOWN}; read only"


def _internal_expected(visitor: str, page: str) -> str:
    if visitor == "anonymous":
        return SIGN_IN
    if visitor == "no role":
        return NO_ROLE_PAGE
    if page == "data_quality.py" and visitor not in ("leadership", "analyst"):
        return NOT_ROLE
    if page == "meetings.py":
        return {"leadership": EVERY_WRITE, "department_head": HEAD_WRITE}.get(visitor, READ_ONLY)
    return SHOWN


def _public_expected(page: str) -> str:
    # The public site asks nobody to sign in: every visitor sees the same.
    return SHOWN if page in PUBLIC else NOT_FOUND


def _app(script: Path, user: dict[str, Any] | None) -> AppTest:
    at = AppTest.from_file(str(script), default_timeout=60)
    at.user = {"is_logged_in": False} if user is None else {"is_logged_in": True, **user}
    at.secrets["auth"] = AUTH
    return at


def _visit(page: str, user: dict[str, Any] | None) -> AppTest:
    """``page`` through the navigation when it is offered, else by its own file."""
    at = _app(APP, user).run()
    try:
        at.switch_page(f"views/{page}").run()
    except ValueError:  # not in this visitor's navigation: the address reaches the file
        at = _app(VIEWS / page, user).run()
    if (
        page == "meetings.py"
        and at.selectbox
        and any(s.key == "meetings_page_period" for s in at.selectbox)
    ):
        at.selectbox(key="meetings_page_period").set_value("2025-03").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _writes(at: AppTest) -> list[str]:
    found = {
        WRITE_CONTROLS[node.proto.label]
        for node in walk_elements(at._tree)
        if type(node).__name__ == "Button"
        and node.proto.label in WRITE_CONTROLS
        and not node.proto.disabled
    }
    return [name for name in WRITE_CONTROLS.values() if name in found]


def _no_data(at: AppTest) -> None:
    shown = {kind: len(at.get(kind)) for kind in DATA_ELEMENTS if at.get(kind)}
    assert not shown, f"a refused visitor was shown {shown}"


def _seen(at: AppTest, page: str) -> str:
    titles = [str(t.value) for t in at.title]
    if "Sign in to citystat" in titles:
        assert [b.label for b in at.button] == ["Sign in"]
        _no_data(at)
        return SIGN_IN
    if titles == ["No role yet"]:
        assert [b.label for b in at.button] == ["Sign out"]
        _no_data(at)
        return NO_ROLE_PAGE
    if titles == ["Not part of your role"]:
        assert (
            "the analyst tools (data quality), for analysts and leadership" in at.warning[0].value
        )
        _no_data(at)
        return NOT_ROLE
    assert titles, "the page showed nothing"
    if page != "meetings.py":
        return SHOWN
    writes = _writes(at)
    seen = f"{SHOWN}; writes: {', '.join(writes)}" if writes else READ_ONLY
    if "Role changes" in [str(s.value) for s in at.subheader]:
        seen += "; role changes"
    return seen


OBSERVED: dict[tuple[str, str, str], str] = {}


@pytest.mark.parametrize("page", INTERNAL)
@pytest.mark.parametrize("visitor", list(VISITORS))
@pytest.mark.usefixtures("signed_site")
def test_internal_site(visitor: str, page: str) -> None:
    seen = _seen(_visit(page, VISITORS[visitor]), page)
    OBSERVED[("internal", page, visitor)] = seen
    assert seen == _internal_expected(visitor, page)


@pytest.mark.parametrize("page", PUBLIC_ASKED)
@pytest.mark.parametrize("visitor", list(VISITORS))
@pytest.mark.usefixtures("signed_site")
def test_public_site(monkeypatch: pytest.MonkeyPatch, visitor: str, page: str) -> None:
    monkeypatch.setenv(site.PUBLIC_ENV, "1")
    at = _app(APP, VISITORS[visitor]).run()
    try:
        at.switch_page(f"views/{page}").run()
    except ValueError:
        # Not in the public navigation; the file itself refuses to run there as well.
        direct = _app(VIEWS / page, VISITORS[visitor]).run()
        assert [e.value for e in direct.error] == [NOT_PUBLIC]
        _no_data(direct)
        seen = NOT_FOUND
    else:
        assert not at.exception, [e.value for e in at.exception]
        assert "Sign in" not in "\n".join(str(b.label) for b in at.button)
        seen = _seen(at, page)
    OBSERVED[("public", page, visitor)] = seen
    assert seen == _public_expected(page)


def test_write_the_observed_matrix() -> None:
    """Runs last in this module: the table for the closing note, from what was observed."""
    if len(OBSERVED) < len(VISITORS) * (len(INTERNAL) + len(PUBLIC_ASKED)):
        pytest.skip("the whole matrix did not run in this session (a -k selection)")
    lines = ["| site | page | " + " | ".join(VISITORS) + " |"]
    lines.append("|---" * (len(VISITORS) + 2) + "|")
    for where, pages in (("internal", INTERNAL), ("public", PUBLIC_ASKED)):
        for page in pages:
            cells = [OBSERVED[(where, page, visitor)] for visitor in VISITORS]
            lines.append(f"| {where} | {page.removesuffix('.py')} | " + " | ".join(cells) + " |")
    ARTIFACT.parent.mkdir(exist_ok=True)
    ARTIFACT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert ARTIFACT.read_text(encoding="utf-8").count("\n") == len(lines)
