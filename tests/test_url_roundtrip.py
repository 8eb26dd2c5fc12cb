"""Every choice on every page is in the URL (issue 18 item 3): each page of both sites (read
from dashboard/app.py) is opened, every view widget the AppTest tree shows is moved off its
default, and a fresh session opened with only the resulting query parameters must show the same
widget values and the same view (titles, texts, metric tiles, HTML tables)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.components import site
from dashboard.meetings import schema as meeting_schema
from tests.dashboard_fixture import build_fixture_warehouse
from tests.tables_support import shown_tables
from tests.url_parameters import site_pages

APP = Path(__file__).resolve().parent.parent / "dashboard" / "app.py"

# The widget kinds a page uses to choose what it shows; widgets inside a form (st.form) fill in
# what is written to the meetings store and are not view choices.
CHOICE_KINDS = ("selectbox", "radio", "multiselect", "segmented_control", "select_slider")
TEXT_KINDS = ("text_input",)
FLAG_KINDS = ("checkbox", "toggle")
# Fields outside an st.form that fill in a write to the meetings store, not the view (the
# kind of meeting to schedule): named here so that nothing else can be left out silently.
STORE_FIELDS = {"meetings_new_kind"}
TYPED_TEXT = "e"  # a filter that narrows a list but still matches something

PAGES = [(where, page) for where, pages in site_pages().items() for page in pages]


@pytest.fixture(scope="module")
def fixture_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("roundtrip") / "citystat.duckdb"
    build_fixture_warehouse(path)
    return path


@pytest.fixture
def env(fixture_warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("CITYSTAT_WAREHOUSE", str(fixture_warehouse))
    monkeypatch.setenv(meeting_schema.MEETINGS_ENV, str(tmp_path / "meetings.sqlite"))
    yield


def _open(page: str, params: dict[str, str]) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    for key, value in params.items():
        at.query_params[key] = value
    at.switch_page(f"views/{page}").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _view_widgets(at: AppTest) -> list[tuple[str, Any]]:
    """(kind, widget) for every widget outside a form, in page order."""
    found = []
    for kind in CHOICE_KINDS + TEXT_KINDS + FLAG_KINDS:
        for widget in getattr(at, kind, []):
            if not widget.proto.form_id and widget.key not in STORE_FIELDS:
                found.append((kind, widget))
    return found


def _name(kind: str, widget: Any) -> str:
    return f"{kind}:{widget.key or widget.label}"


def _move_off_default(kind: str, widget: Any) -> bool:
    """Set a widget to a value other than its current one; False when it has no other."""
    if kind in TEXT_KINDS:
        widget.input(TYPED_TEXT)
        return True
    if kind in FLAG_KINDS:
        widget.set_value(not widget.value)
        return True
    options = list(widget.options)
    if kind == "multiselect":
        if not options:
            return False
        widget.set_value([options[-1]])
        return True
    current = widget.index
    others = [i for i in range(len(options)) if i != current]
    if not others:
        return False
    # The last other option: far from the default (e.g. the earliest period "From").
    _pick_index(widget, others[-1])
    return True


def _pick_index(widget: Any, index: int) -> None:
    """Choose the option shown at ``index`` as a visitor would: AppTest's widgets know only
    the shown (formatted) options and find the index by formatting the value, which a page's
    format_func (an id to its name) cannot do for a shown name; the frontend sends the index's
    option, and so does this."""

    class Picked(type(widget)):  # type: ignore[misc]
        @property
        def index(self) -> int:
            return index

    widget.__class__ = Picked
    widget._value = widget.options[index]


def _change_everything(at: AppTest) -> list[str]:
    """Move each view widget off its value once, re-running after each (a change may show
    new widgets, e.g. a member picker); the names of the widgets moved."""
    moved: list[str] = []
    for _ in range(10):
        pending = [(k, w) for k, w in _view_widgets(at) if _name(k, w) not in moved]
        if not pending:
            return moved
        kind, widget = pending[0]
        moved.append(_name(kind, widget))
        if _move_off_default(kind, widget):
            at.run()
            assert not at.exception, [e.value for e in at.exception]
    return moved


def _view(at: AppTest) -> dict[str, Any]:
    """What the visitor sees: widget values and the page's words, tiles and tables."""
    texts = {
        kind: [str(el.value) for el in getattr(at, kind)]
        for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning")
    }
    return {
        "widgets": {_name(k, w): w.value for k, w in _view_widgets(at)},
        "texts": texts,
        "tiles": [(m.label, m.value) for m in at.metric],
        "tables": [t.value.to_dict("split") for t in shown_tables(at)],
    }


@pytest.mark.slow
@pytest.mark.parametrize(("where", "page"), PAGES)
def test_a_link_brings_back_the_same_view(
    where: str, page: str, env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    if where == "public":
        monkeypatch.setenv(site.PUBLIC_ENV, "1")
    if where == "internal" and page == "compare.py":
        # Registered only with cities to compare (CITYSTAT_CITIES); the fixture has one city.
        pytest.skip("the compare page needs a multi-city fixture (tests/compare_fixture.py)")
    at = _open(page, {})
    moved = _change_everything(at)
    params = {key: at.query_params[key] for key in at.query_params}
    again = _open(page, params)
    shown, back = _view(at), _view(again)
    for part in shown:
        assert back[part] == shown[part], (page, part, moved, params)
