"""The meetings page's discussed metric and period, and the metric page's draft and its
period, live in the URL (issue 18 item 3): a link opens the same view, a choice made on the
page is written back, and an unknown value from a link is named back and replaced.

The shared sweeps (tests/url_parameters.NEEDS) cannot reach these choices, which appear only
with a scheduled meeting or a saved draft; these tests give the pages one."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from dashboard.views.meeting_state import METRIC_KEY, PERIOD_KEY
from dashboard.views.metric_draft import DRAFT_KEY
from tests.meetings_support import ON_TIME
from tests.test_dashboard_drafts import _save_draft, city
from tests.test_meetings_permissions import page_env

__all__ = ["city", "page_env"]  # fixtures shared with those modules

APP = Path(__file__).resolve().parent.parent / "dashboard" / "app.py"
DRAFT = "draft_within_5_days"


def _open(page: str, query: dict[str, str]) -> AppTest:
    """A fresh session opening ``page`` from a link carrying ``query``."""
    at = AppTest.from_file(str(APP), default_timeout=30)
    at.switch_page(f"views/{page}.py")
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _warnings(at: AppTest) -> list[str]:
    return [str(w.value) for w in at.warning]


def test_a_link_opens_the_discussed_period_and_the_page_writes_a_new_one(page_env: int) -> None:
    meeting = str(page_env)
    # Without the parameter the latest frozen period is discussed (MONTHS ends 2025-03).
    at = _open("meetings", {"meeting": meeting})
    assert at.selectbox(key=PERIOD_KEY).value == "2025-03"
    assert "discuss_period" not in at.query_params  # the default leaves the address alone
    at.selectbox(key=PERIOD_KEY).select("2025-01").run()
    assert at.query_params["discuss_period"] == "2025-01"

    again = _open("meetings", {"meeting": meeting, "discuss_period": "2025-01"})
    assert again.selectbox(key=METRIC_KEY).value == ON_TIME
    assert again.selectbox(key=PERIOD_KEY).value == "2025-01"
    # The commentary form under it is the one for that period.
    assert again.button(key=f"comment_save_{meeting}_{ON_TIME}_2025-01")


def test_an_unknown_discussed_metric_or_period_is_named_back(page_env: int) -> None:
    hostile = "[x](javascript:alert(1))"
    at = _open("meetings", {"meeting": str(page_env), "discuss": hostile})
    assert at.selectbox(key=METRIC_KEY).value == ON_TIME
    assert any("Ignored discuss" in w and "javascript" in w for w in _warnings(at))
    at = _open("meetings", {"meeting": str(page_env), "discuss_period": "2031-13"})
    assert at.selectbox(key=PERIOD_KEY).value == "2025-03"
    assert any("Ignored discuss_period" in w and "2031-13" in w for w in _warnings(at))


def test_a_link_opens_a_saved_draft(city: Path) -> None:
    _save_draft(city)
    at = _open("metric", {"draft": DRAFT})
    assert at.selectbox(key=DRAFT_KEY).value == DRAFT
    assert [t.value for t in at.title] == ["Draft: Street defects closed within 5 days"]
    # Back to the published metrics: the draft leaves the address.
    at.selectbox(key=DRAFT_KEY).select("(the published metrics)").run()
    assert "draft" not in at.query_params


def test_an_unknown_draft_is_named_back(city: Path) -> None:
    _save_draft(city)
    at = _open("metric", {"draft": "no_such_draft"})
    assert at.selectbox(key=DRAFT_KEY).value == "(the published metrics)"
    assert any("Ignored draft" in w and "no_such_draft" in w for w in _warnings(at))
    assert not [t.value for t in at.title if str(t.value).startswith("Draft:")]
