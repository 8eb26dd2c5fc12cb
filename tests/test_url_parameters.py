"""The URL parameters the hostile-value sweeps push values through are derived from the code
(tests/url_parameters.py): a page that starts reading a new key is swept at once, and a read
the derivation cannot follow fails here."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests import test_security_dashboard, test_security_markdown
from tests.url_parameters import VIEWS, page_parameters, unresolved_reads, url_parameters


def test_every_read_of_the_url_is_followed() -> None:
    assert unresolved_reads() == []


def test_the_derivation_finds_the_pages_reads() -> None:
    derived = url_parameters()
    # The metric page reads its metric and grain through pick_metric_and_grain ->
    # choose_from_url(param, ...); the department page through pick_by_name(_, "department").
    # ... and its saved draft through url_choice in metric_draft.py.
    assert ("metric.py", ["draft", "draft_grain", "grain", "metric"]) in derived["internal"]
    meetings = dict(derived["internal"])["meetings.py"]
    assert {"meeting", "discuss", "discuss_period"} <= set(meetings)
    assert ("public_metric.py", ["grain", "metric"]) in derived["public"]
    # Through url_choice(param, ...) -> choose_from_url(param, ...), and url_text(param, ...).
    assert ("scorecard.py", ["compare", "department", "grain"]) in derived["internal"]
    assert ("services.py", ["factor", "search", "service"]) in derived["internal"]
    department = dict(derived["internal"])["department.py"]
    assert {"department", "grain", "index_of", "index_from", "index_to"} <= set(department)
    assert all(page != "department.py" for page, _ in derived["public"])


def test_the_sweeps_cover_every_derived_parameter() -> None:
    derived = url_parameters()
    internal = {(f"views/{page}", p) for page, params in derived["internal"] for p in params}
    assert set(test_security_dashboard.URL_PARAMETERS) == internal
    for where, swept in (
        ("internal", test_security_markdown.INTERNAL_PARAMETERS),
        ("public", test_security_markdown.PUBLIC_PARAMETERS),
    ):
        expected = {(page[:-3], p) for page, params in derived[where] for p in params}
        assert set(swept) == expected


def test_a_new_key_read_directly_or_through_a_helper_is_found(tmp_path: Path) -> None:
    views = tmp_path / "views"
    shutil.copytree(VIEWS, views)
    page = views / "scorecard.py"
    page.write_text(
        page.read_text()
        + '\nst.query_params.get("sort")\nif "view" in st.query_params:\n    pass\n'
        + 'choose_from_url("zoom", "k", [], "", "zoom")\n'
    )
    # The page's own "compare", "department" and "grain" stay; the planted reads are found.
    assert page_parameters("scorecard.py", views) == [
        "compare",
        "department",
        "grain",
        "sort",
        "view",
        "zoom",
    ]
    helper = views / "page_support.py"
    helper.write_text(
        helper.read_text() + "\n\ndef odd(key):\n    return st.query_params[key + 'x']\n"
    )
    assert unresolved_reads(views) == [
        "page_support.py:" + str(len(helper.read_text().splitlines()))
    ]
