"""roles.yml's department ids are checked against city.yml's department registry (issue 15).

The registry the dashboard knows is the one the last run published from city.yml (the
``departments`` table): the dashboard may not import city.yml's loader (pipelines.city), and
a department that no run has published has no metric or meeting on any page yet. An unknown
id is an error at its line of roles.yml with the hint city.yml's own checks give
(pipelines.warehouse.words.department_hint), every problem at once, and the dashboard lets
nobody in until it is fixed. A department head's ids also cover the packets that froze those
departments by their registry names.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.auth.identity import Identity, actor_for
from dashboard.auth.roles import ROLES_ENV, RolesFileError, parse_roles
from dashboard.meetings import schema as meeting_schema
from dashboard.meetings import store
from dashboard.meetings.permissions import SYSTEM, PermissionDenied
from dashboard.queries import packets, reader
from pipelines.city.loader import load_city
from tests.dashboard_fixture import DEPARTMENTS, build_fixture_warehouse

ROOT = Path(__file__).resolve().parent.parent

REGISTRY = dict(DEPARTMENTS)  # streets, police, free_library, licenses_inspections
ROLES = """\
sign_in: oidc
users:
  lee@city.example: {role: leadership}
  dana@city.example:
    role: department_head
    departments:
      - streets
      - Police Department
groups:
  library-managers: {role: department_head, departments: [free_libary]}
  water-managers: {role: department_head, departments: [water]}
  bosses: {role: boss}
"""


def test_unknown_department_ids_are_named_at_their_lines_with_a_hint_all_at_once() -> None:
    with pytest.raises(RolesFileError) as raised:
        parse_roles(ROLES, Path("roles.yml"), REGISTRY)
    assert raised.value.problems == [
        "roles.yml:8: users.dana@city.example.departments: “Police Department” is not a "
        "department id of city.yml; write its id 'police'",
        "roles.yml:10: groups.library-managers.departments: “free_libary” is not a department "
        "id of city.yml; did you mean 'free_library'?",
        "roles.yml:11: groups.water-managers.departments: “water” is not a department id of "
        "city.yml; use one of: streets, police, free_library, licenses_inspections (or add it "
        "under 'departments:' in city.yml)",
        "roles.yml:12: groups.bosses.role: the role must be one of leadership, "
        "department_head, analyst, viewer",
    ]


def test_the_hint_is_the_one_city_yml_checks_give() -> None:
    # One piece of code words it for metrics.yml, services.yml and roles.yml alike: the demo
    # city's city.yml, read by its own loader, and the registry the demo run publishes.
    profile = load_city(ROOT)
    registry = {d.id: d.name for d in profile.departments}
    for written in ("Streets Dept", "licenses_inspection", "water", "Police Department"):
        with pytest.raises(RolesFileError) as raised:
            parse_roles(
                f"groups: {{g: {{role: department_head, departments: ['{written}']}}}}\n",
                Path("roles.yml"),
                registry,
            )
        assert raised.value.problems[0].endswith("; " + profile.department_hint(written))
    # And the demo city's own roles.yml names only ids of its registry.
    assert parse_roles((ROOT / "roles.yml").read_text(), Path("roles.yml"), registry)


def test_without_a_published_registry_ids_are_not_checked() -> None:
    config = parse_roles(
        "groups: {g: {role: department_head, departments: [water]}}\n", Path("roles.yml"), {}
    )
    assert config.groups["g"].departments == ("water",)


def test_a_head_named_by_id_writes_on_a_packet_that_froze_the_departments_name(
    tmp_path: Path,
) -> None:
    warehouse = tmp_path / "wh.duckdb"
    build_fixture_warehouse(warehouse)
    wh = reader.Warehouse(str(warehouse), f"{warehouse.name}@{warehouse.stat().st_mtime_ns}")
    definitions, values = packets.packet_source(wh, ["street_defect_on_time"], "month")
    assert definitions["department"].tolist() == ["Streets Department"]  # frozen by name
    config = parse_roles(
        "groups:\n  s: {role: department_head, departments: [streets]}\n"
        "  p: {role: department_head, departments: [police]}\n",
        Path("roles.yml"),
        REGISTRY,
    )
    streets = actor_for(config, Identity("dana@x", "Dana", frozenset({"s"})), REGISTRY)
    police = actor_for(config, Identity("pat@x", "Pat", frozenset({"p"})), REGISTRY)
    assert streets is not None and police is not None
    with meeting_schema.connect(tmp_path / "meetings.sqlite") as db:
        spec = store.MeetingSpec(date(2025, 4, 20), "department", "Streets Department", "month")
        provenance = store.Provenance("run", None, str(warehouse))
        meeting = store.create_meeting(db, SYSTEM, spec, definitions, values, provenance)
        saved = store.save_commentary(
            db,
            streets,
            meeting,
            "street_defect_on_time",
            "2025-03",
            {"drivers": "Snow"},
            read_version=0,
        )
        assert saved == 1
        with pytest.raises(PermissionDenied, match=r"their own departments \(Police Department\)"):
            store.save_commentary(
                db,
                police,
                meeting,
                "street_defect_on_time",
                "2025-03",
                {"drivers": "No"},
                read_version=1,
            )


def test_the_dashboard_refuses_everyone_with_the_same_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    warehouse = tmp_path / "wh.duckdb"
    build_fixture_warehouse(warehouse)
    roles = tmp_path / "roles.yml"
    roles.write_text(ROLES)
    monkeypatch.setenv("CITYSTAT_WAREHOUSE", str(warehouse))
    monkeypatch.setenv(meeting_schema.MEETINGS_ENV, str(tmp_path / "meetings.sqlite"))
    monkeypatch.setenv(ROLES_ENV, str(roles))
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=60)
    at.user = {"is_logged_in": True, "email": "lee@city.example", "name": "Lee"}
    at.run()
    assert [t.value for t in at.title] == ["Sign-in is misconfigured"]
    shown = "\n".join(t.value for t in at.text).splitlines()
    assert shown[0].startswith("roles.yml:8: users.dana@city.example.departments: “Police")
    assert len(shown) == 4 and shown[-1].startswith("roles.yml:12: groups.bosses.role")
    assert not at.dataframe
