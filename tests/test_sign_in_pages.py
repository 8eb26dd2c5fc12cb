"""Sign-in on every page, under AppTest (``at.user`` signs a test in as anyone).

Every role on every internal page, through the app's navigation and by running the page file
itself (an address typed or kept from before reaches the page directly); an anonymous visitor
and a person without a role on every page; the meeting forms each role sees; the public site
needing no sign-in and serving no internal page.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.app import INTERNAL_PAGES
from dashboard.auth.roles import ROLES_ENV
from dashboard.components import site
from dashboard.meetings import actions as meeting_actions
from dashboard.meetings import schema as meeting_schema
from dashboard.meetings import store
from dashboard.meetings.permissions import SYSTEM, Actor
from dashboard.queries import packets, reader
from dashboard.views.actor import ACTOR_KEY, NOT_PUBLIC
from tests.dashboard_fixture import build_fixture_warehouse, walk_elements

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "dashboard" / "app.py"
VIEWS = ROOT / "dashboard" / "views"
CONTACT = "the Stat office (stat@city.example)"
COMMENT = "Crews were redeployed to the snow response"
ROLES = f"""\
sign_in: oidc
contact: {CONTACT}
users:
  lee@city.example: {{role: leadership}}
groups:
  streets-managers: {{role: department_head, departments: [streets]}}
  police-managers: {{role: department_head, departments: [police]}}
  analysts: {{role: analyst}}
  staff: {{role: viewer}}
"""
AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "a-test-cookie-secret-of-some-length",
    "client_id": "citystat",
    "client_secret": "test",
    "server_metadata_url": "https://login.city.example/.well-known/openid-configuration",
}
PEOPLE: dict[str, dict[str, Any]] = {
    "leadership": {"email": "lee@city.example", "name": "Lee Leader", "groups": []},
    "department_head": {
        "email": "dana@city.example",
        "name": "Dana Streets",
        "groups": ["streets-managers"],
    },
    "analyst": {
        "email": "ari@city.example",
        "name": "Ari Analyst",
        "groups": ["analysts", "staff"],
    },
    "viewer": {"email": "val@city.example", "name": "Val Viewer", "groups": ["staff"]},
}
NO_ROLE = {"email": "nia@city.example", "name": "Nia Newcomer", "groups": ["golf-club"]}
# What each internal page shows as its title when it runs (the metric page: the metric's label).
TITLES = {
    "scorecard.py": "Scorecard",
    "metric.py": "Street defects closed on time",
    "leadership.py": "Leadership overview",
    "department.py": "Department view",
    "equity.py": "Equity",
    "services.py": "Services",
    "meetings.py": "Stat review meetings",
    "data_quality.py": "Data quality",
    "freshness.py": "Data freshness",
}
PAGES = [file for file, *_ in INTERNAL_PAGES]
ANALYST_ONLY = {"data_quality.py"}
# Data a refused visitor must never see: anything from the warehouse or the meetings.
DATA_ELEMENTS = ("dataframe", "table", "html", "plotly_chart", "metric", "download_button")


@pytest.fixture(scope="module")
def site_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """The fixture warehouse, a meetings database with a Streets meeting, and roles.yml."""
    folder = tmp_path_factory.mktemp("sign_in")
    warehouse = folder / "wh.duckdb"
    build_fixture_warehouse(warehouse)
    wh = reader.Warehouse(str(warehouse), f"{warehouse.name}@{warehouse.stat().st_mtime_ns}")
    definitions, values = packets.packet_source(wh, ["street_defect_on_time"], "month")
    con = meeting_schema.connect(folder / "meetings.sqlite")
    spec = store.MeetingSpec(date(2025, 4, 20), "department", "Streets Department", "month", "")
    provenance = store.Provenance("run", None, str(warehouse))
    meeting = store.create_meeting(con, SYSTEM, spec, definitions, values, provenance)
    store.save_commentary(
        con,
        SYSTEM,
        meeting,
        "street_defect_on_time",
        "2025-03",
        {"drivers": COMMENT},
        read_version=0,
    )
    meeting_actions.add_action(
        con, SYSTEM, meeting, "street_defect_on_time", "Re-inspect", "Streets", date(2025, 5, 1)
    )
    con.close()
    roles = folder / "roles.yml"
    roles.write_text(ROLES)
    return warehouse, folder / "meetings.sqlite", roles


@pytest.fixture
def signed_site(
    site_files: tuple[Path, Path, Path], monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    warehouse, meetings, roles = site_files
    monkeypatch.setenv("CITYSTAT_WAREHOUSE", str(warehouse))
    monkeypatch.setenv(meeting_schema.MEETINGS_ENV, str(meetings))
    monkeypatch.setenv(ROLES_ENV, str(roles))
    monkeypatch.delenv(site.PUBLIC_ENV, raising=False)
    yield


def _as(script: Path, user: dict[str, Any] | None, *, auth: bool = True) -> AppTest:
    """An AppTest of ``script`` for ``user`` (None: nobody signed in)."""
    at = AppTest.from_file(str(script), default_timeout=60)
    at.user = {"is_logged_in": False} if user is None else {"is_logged_in": True, **user}
    if auth:
        at.secrets["auth"] = AUTH
    return at


def _open(page: str, user: dict[str, Any] | None) -> AppTest:
    """``page`` through the app's navigation, as ``user``."""
    at = _as(APP, user).run()
    at.switch_page(f"views/{page}").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _titles(at: AppTest) -> list[str]:
    return [str(title.value) for title in at.title]


def _texts(at: AppTest) -> str:
    return "\n".join(str(getattr(node, "proto", "")) for node in walk_elements(at._tree))


def _shows_no_data(at: AppTest) -> None:
    shown = {kind: len(at.get(kind)) for kind in DATA_ELEMENTS if at.get(kind)}
    assert not shown, f"a refused visitor was shown {shown}"
    assert COMMENT not in _texts(at) and "Street defects" not in _texts(at)


def _navigation(at: AppTest) -> list[str]:
    return [page["page_name"] for page in at._registered_pages.values()]


@pytest.mark.parametrize("role", list(PEOPLE))
def test_each_role_gets_the_pages_it_may_and_its_name_in_the_sidebar(
    signed_site: None, role: str
) -> None:
    at = _as(APP, PEOPLE[role]).run()
    expected = [
        title
        for file, title, _, _ in INTERNAL_PAGES
        if file not in ANALYST_ONLY or role in ("leadership", "analyst")
    ]
    assert _navigation(at) == expected
    assert _titles(at) == ["Scorecard"]
    sidebar = [str(m.value) for m in at.sidebar.markdown]
    assert sidebar == [f"Signed in as **{PEOPLE[role]['name']}**"]
    assert [b.label for b in at.sidebar.button] == ["Sign out"]


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("role", list(PEOPLE))
def test_every_role_on_every_internal_page(signed_site: None, role: str, page: str) -> None:
    allowed = page not in ANALYST_ONLY or role in ("leadership", "analyst")
    if allowed:
        at = _open(page, PEOPLE[role])
        assert TITLES[page] in _titles(at)
        assert "Not part of your role" not in _titles(at)
    else:
        # Not in their navigation ...
        at = _as(APP, PEOPLE[role]).run()
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(f"views/{page}")
    # ... and the page itself checks, reached directly.
    direct = _as(VIEWS / page, PEOPLE[role]).run()
    assert not direct.exception, [e.value for e in direct.exception]
    if allowed:
        assert "Not part of your role" not in _titles(direct)
    else:
        assert _titles(direct) == ["Not part of your role"]
        assert "your role is Department head" in direct.warning[0].value or (
            "your role is Viewer" in direct.warning[0].value
        )
        _shows_no_data(direct)


def test_an_anonymous_visitor_has_one_page_the_sign_in_page(signed_site: None) -> None:
    at = _as(APP, None).run()
    assert _navigation(at) == ["Sign in"]
    assert _titles(at) == ["Sign in to citystat"]
    assert [b.label for b in at.button] == ["Sign in"]
    _shows_no_data(at)
    # AppTest's default user (an e-mail without is_logged_in) is not signed in either.
    default = AppTest.from_file(str(APP), default_timeout=60)
    default.secrets["auth"] = AUTH
    assert _titles(default.run()) == ["Sign in to citystat"]


@pytest.mark.parametrize("page", PAGES)
def test_an_anonymous_visitor_gets_the_sign_in_page_on_every_internal_page(
    signed_site: None, page: str
) -> None:
    at = _as(VIEWS / page, None).run()
    assert not at.exception, [e.value for e in at.exception]
    assert _titles(at) == ["Sign in to citystat"]
    assert [b.label for b in at.button] == ["Sign in"]
    _shows_no_data(at)


@pytest.mark.parametrize("page", PAGES)
def test_a_person_without_a_role_gets_the_no_role_page_on_every_internal_page(
    signed_site: None, page: str
) -> None:
    at = _as(VIEWS / page, NO_ROLE).run()
    assert _titles(at) == ["No role yet"]
    text = at.markdown[0].value
    assert "You are signed in as Nia Newcomer (nia@city.example)" in text.replace("\u2060", "")
    assert "the Stat office (stat@city.example)" in text.replace("\\", "").replace("\u2060", "")
    assert [t.value for t in at.text] == ["golf-club"]
    assert [b.label for b in at.button] == ["Sign out"]
    _shows_no_data(at)


def test_the_no_role_page_is_the_whole_app_for_them(signed_site: None) -> None:
    at = _as(APP, NO_ROLE).run()
    assert _navigation(at) == ["Sign in"] and _titles(at) == ["No role yet"]
    _shows_no_data(at)


def test_a_name_from_the_identity_provider_is_shown_as_text(signed_site: None) -> None:
    hostile = {**NO_ROLE, "name": "[Reset your password](https://evil.example)"}
    at = _as(APP, hostile).run()
    assert "](https://evil.example)" not in at.markdown[0].value
    assert r"\[Reset your password\]" in at.markdown[0].value


def test_sign_in_without_auth_in_secrets_says_so_and_offers_no_button(signed_site: None) -> None:
    at = _as(APP, None, auth=False).run()
    assert _titles(at) == ["Sign in to citystat"]
    assert not at.button
    assert "Sign-in is not set up on this server" in at.error[0].value
    assert "no [auth] section" in at.error[0].value


def test_a_broken_roles_file_lets_nobody_in_and_names_the_line(
    signed_site: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = tmp_path / "roles.yml"
    broken.write_text("groups:\n  staff: {role: viewer}\n  bosses: {role: boss}\n")
    monkeypatch.setenv(ROLES_ENV, str(broken))
    for user in (PEOPLE["leadership"], None):
        at = _as(APP, user).run()
        assert _titles(at) == ["Sign-in is misconfigured"]
        assert at.text[0].value.startswith("roles.yml:3: groups.bosses.role")
        _shows_no_data(at)


def test_behind_a_proxy_a_visit_without_its_headers_is_anonymous(
    signed_site: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxied = tmp_path / "roles.yml"
    proxied.write_text("sign_in: proxy\ngroups: {staff: {role: viewer}}\n")
    monkeypatch.setenv(ROLES_ENV, str(proxied))
    # Claims from Streamlit's own sign-in count for nothing when the proxy signs people in.
    at = _as(APP, PEOPLE["leadership"]).run()
    assert _titles(at) == ["Sign in to citystat"]
    assert "did not come through it" in at.warning[0].value
    assert not at.button
    _shows_no_data(at)


def test_without_roles_yml_this_machine_is_the_local_user(
    signed_site: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ROLES_ENV, str(tmp_path / "absent.yml"))
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert "Data quality" in _navigation(at)
    assert "Sign-in is not configured" in at.sidebar.caption[0].value
    # A test (or the meetings store's) may act as someone else without sign-in.
    viewer = AppTest.from_file(str(APP), default_timeout=60)
    viewer.session_state[ACTOR_KEY] = Actor("v", "Val", "viewer")
    assert "Data quality" not in _navigation(viewer.run())


def _meeting_controls(at: AppTest) -> set[str]:
    """The meeting controls this person can use (shown and not disabled)."""
    controls = {
        "Create the meeting and freeze its packet": "schedule",
        "Close the meeting": "close",
        "Save commentary": "commentary",
        "Add action item": "action",
        "Save the action item": "status",
    }
    return {
        controls[node.proto.label]
        for node in walk_elements(at._tree)
        if type(node).__name__ == "Button"
        and node.proto.label in controls
        and not node.proto.disabled
    }


@pytest.mark.parametrize(
    ("person", "controls"),
    [
        (PEOPLE["leadership"], {"schedule", "close", "commentary", "action", "status"}),
        (PEOPLE["department_head"], {"commentary", "action", "status"}),
        (
            {"email": "pat@city.example", "name": "Pat Police", "groups": ["police-managers"]},
            set(),
        ),
        (PEOPLE["analyst"], set()),
        (PEOPLE["viewer"], set()),
    ],
)
def test_meeting_forms_follow_the_role(
    signed_site: None, person: dict[str, Any], controls: set[str]
) -> None:
    at = _open("meetings.py", person)
    at.selectbox(key="meetings_page_period").set_value("2025-03").run()
    assert _meeting_controls(at) == controls
    # Everyone reads the commentary: in the form, or as text.
    assert COMMENT in _texts(at)


def test_the_public_site_needs_no_sign_in(
    signed_site: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(site.PUBLIC_ENV, "1")
    at = _as(APP, None).run()
    assert _titles(at) == ["How the city is doing"]
    assert "Sign in" not in _texts(at)
    assert [m.value for m in at.markdown if m.value.startswith("#### ")]  # the public metrics


@pytest.mark.parametrize(
    "page",
    sorted({"leadership.py", "department.py", "services.py", "meetings.py", "data_quality.py"}),
)
def test_an_internal_page_run_on_the_public_site_refuses(
    signed_site: None, monkeypatch: pytest.MonkeyPatch, page: str
) -> None:
    monkeypatch.setenv(site.PUBLIC_ENV, "1")
    at = _as(VIEWS / page, PEOPLE["leadership"]).run()
    assert [e.value for e in at.error] == [NOT_PUBLIC]
    assert not _titles(at)
    _shows_no_data(at)
