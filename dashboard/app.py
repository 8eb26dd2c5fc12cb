"""citystat dashboard entry point: page config, sign-in, navigation, warehouse checks, demo
notice.

Run with `streamlit run dashboard/app.py`; `streamlit run dashboard/app.py -- --public` (or
CITYSTAT_PUBLIC=1) runs the public site instead; `make public` runs it with the hardened
Streamlit options of dashboard/components/site.py. `-- --city DIR` (or CITYSTAT_CITY) reads
the city in DIR; `-- --compare cities/boston cities/new_york` (or CITYSTAT_COMPARE) adds the
Compare page, which puts those cities' published warehouses side by side.

The internal site is gated here, in one place: a visitor without an actor (not signed in, no
role, sign-in misconfigured) gets a navigation of one page, the one that says so, whatever
address they asked for; a signed-in visitor gets the pages their role includes. Each page
checks again (dashboard/views/actor.py, ``require_page``). The public site needs no sign-in.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import duckdb
import streamlit as st

from dashboard.components import site
from dashboard.meetings.permissions import Action, Actor
from dashboard.queries import freshness, reader
from dashboard.views import actor as actors
from dashboard.views import sign_in
from pipelines.warehouse.layout import use_city

_PAGES_DIR = Path(__file__).resolve().parent / "views"
_LOG = logging.getLogger("citystat.dashboard")

DEMO_NOTICE = "Demo data: generated Philadelphia-style extract, not real city records."


def _missing_warehouse_message() -> str:
    return (
        f"No published warehouse at `{reader.expected_warehouse_path()}`. "
        "Run `citystat run` to load your extracts (or `make demo` for generated demo data), "
        "or point the environment variable CITYSTAT_WAREHOUSE at an existing warehouse file."
    )


PUBLIC_NOTICE = (
    "Public view: the city's published performance metrics, each with how it is computed. "
    "Values are totals and rates, never individual records (requests, permits or cases)."
)
PUBLIC_UNAVAILABLE = "The city's performance data is being updated; please try again later."
PUBLIC_PAGE_ERROR = (
    "Sorry, this page could not be shown. Please try again later, or open another page."
)


# Every page of the internal Stat dashboard: file, title, address, and the right a role needs
# to see it (None: every role). Each page checks the same right itself.
INTERNAL_PAGES: list[tuple[str, str, str, Action | None]] = [
    ("scorecard.py", "Scorecard", "", None),
    ("metric.py", "Metric", "metric", None),
    ("leadership.py", "Leadership", "leadership", None),
    ("department.py", "Department", "department", None),
    ("equity.py", "Equity", "equity", None),
    ("services.py", "Services", "services", None),
    ("meetings.py", "Meetings", "meetings", None),
    ("data_quality.py", "Data quality", "data-quality", "use_analyst_tools"),
    ("freshness.py", "Data freshness", "freshness", None),
]


# Shown when two or more cities are configured (--compare, CITYSTAT_COMPARE).
COMPARE_PAGE: tuple[str, str, str, Action | None] = (
    "compare.py",
    "Compare cities",
    "compare",
    None,
)


def _internal_pages(actor: Actor) -> list[Any]:
    """The pages of the internal Stat dashboard that ``actor``'s role includes."""
    compare = [COMPARE_PAGE] if len(site.compare_cities()) >= 2 else []
    return [
        st.Page(_PAGES_DIR / file, title=title, default=True)
        if not url_path
        else st.Page(_PAGES_DIR / file, title=title, url_path=url_path)
        for file, title, url_path, action in [*INTERNAL_PAGES, *compare]
        if action is None or actor.may(action)
    ]


# The public site: public metrics, their districts, freshness and the open data. No
# meetings, commentary, action items, department internals or row-level data quality.
PUBLIC_PAGES: list[tuple[str, str, str]] = [
    ("scorecard.py", "Scorecard", ""),
    ("metric.py", "Metric", "metric"),
    ("equity.py", "Equity", "equity"),
    ("freshness.py", "Data freshness", "freshness"),
    ("open_data.py", "Open data", "open-data"),
]


def _public_pages() -> list[Any]:
    """The pages of the public site (``PUBLIC_PAGES``), the scorecard first."""
    return [
        st.Page(_PAGES_DIR / file, title=title, default=True)
        if not url_path
        else st.Page(_PAGES_DIR / file, title=title, url_path=url_path)
        for file, title, url_path in PUBLIC_PAGES
    ]


def _check_and_run(page: Any, public: bool) -> None:
    """Pin the warehouse, say when it is missing, demo or unpublished, and run the page."""
    warehouse = reader.pin_warehouse()
    if warehouse is None:
        # The public site never shows server paths.
        st.error(PUBLIC_UNAVAILABLE if public else _missing_warehouse_message())
        # Still run the page (it stops itself without a warehouse): a run that never reaches
        # page.run() makes the browser report the requested page as not found.
        page.run()
        return
    try:
        run = freshness.published_run(warehouse)
        if run is None:
            st.warning(
                PUBLIC_UNAVAILABLE
                if public
                else f"The warehouse `{warehouse.path}` has no published run yet. "
                "Run `citystat run` (or `make demo`) to publish one."
            )
        elif run["is_demo"]:
            st.info(DEMO_NOTICE, icon="ℹ️")
        page.run()
    except duckdb.Error as exc:
        if public:
            _LOG.exception("public site could not read the warehouse")
            st.error(PUBLIC_UNAVAILABLE)
            return
        st.error(
            f"Could not read the warehouse `{warehouse.path}`: {exc}. "
            "Re-run `citystat run` (or `make demo`) to publish a complete warehouse."
        )


def _run_internal() -> None:
    """Gate the internal site: the refusal page alone for a visitor without an actor, else
    the pages of their role, with who is signed in in the sidebar."""
    access = actors.visitor_access()
    if access.actor is None:

        def sign_in_page() -> None:
            sign_in.refusal(access)

        st.navigation([st.Page(sign_in_page, title="Sign in", default=True)]).run()
        return
    page = st.navigation(_internal_pages(access.actor))
    sign_in.signed_in_sidebar(access)
    _check_and_run(page, public=False)


def main() -> None:
    """Configure the app, check the warehouse, show the demo notice and run the chosen page."""
    city = site.city_folder()
    if city is not None:
        use_city(city)
    public = site.is_public()
    st.set_page_config(page_title="citystat" + (" · public" if public else ""), layout="wide")
    if not public:
        _run_internal()
        return
    page = st.navigation(_public_pages())
    site.log_unhardened_options(st.get_option)
    st.caption(PUBLIC_NOTICE)
    try:
        _check_and_run(page, public=True)
    except Exception:
        # Residents get a plain sentence (no traceback, path, hash or internal id); the server
        # log gets the whole traceback. st.stop and st.rerun are BaseExceptions: not caught.
        _LOG.exception("public page %s failed", page.url_path or "(default)")
        st.error(PUBLIC_PAGE_ERROR)


main()
