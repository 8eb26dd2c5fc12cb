"""The demo's sign-in (``make demo``, dashboard/demo_site.py): its users have the roles README
lists, its secrets.toml points at the local test provider with a fresh cookie secret, and the
provider listens on this machine only."""

from __future__ import annotations

import socket
import stat
import sys
import tomllib
from pathlib import Path

import pytest

from dashboard import demo_site
from dashboard.auth import roles
from dashboard.auth.access import oidc_setup_problem
from dashboard.auth.identity import Identity, actor_for
from pipelines.warehouse.layout import PROJECT_ROOT


def test_each_demo_user_has_the_role_readme_and_the_banner_give() -> None:
    config = roles.load_roles(PROJECT_ROOT / "roles.yml")
    assert config is not None
    for user in demo_site.DEMO_USERS:
        actor = actor_for(config, Identity(user.email, user.name, frozenset(user.groups)))
        assert (actor.role if actor else "no role") == user.role, user
        readme = (PROJECT_ROOT / "README.md").read_text()
        assert f"`{user.email}`" in readme, f"README does not list {user.email}"
    assert {user.role for user in demo_site.DEMO_USERS} >= {
        "leadership",
        "department_head",
        "analyst",
        "viewer",
        "no role",
    }


def test_the_demo_secrets_point_at_the_local_provider_with_a_fresh_cookie_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CITYSTAT_DATA_DIR", str(tmp_path))
    first = demo_site.write_secrets(8501, 9400)
    assert first == tmp_path / "demo-signin" / "secrets.toml"
    assert stat.S_IMODE(first.stat().st_mode) == 0o600
    auth = tomllib.loads(first.read_text())["auth"]
    assert auth["redirect_uri"] == "http://localhost:8501/oauth2callback"
    assert auth["server_metadata_url"] == ("http://127.0.0.1:9400/.well-known/openid-configuration")
    assert oidc_setup_problem(auth, None) is None
    again = tomllib.loads(demo_site.write_secrets(8501, 9400).read_text())["auth"]
    assert len(auth["cookie_secret"]) == 64 and again["cookie_secret"] != auth["cookie_secret"]


def test_the_demo_provider_listens_on_this_machine_only() -> None:
    command = demo_site.provider_command(9400)
    assert command[command.index("--host") + 1] == "127.0.0.1"
    assert command.count("--user-claims") == len(demo_site.DEMO_USERS)


def test_a_taken_provider_port_stops_the_demo_saying_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CITYSTAT_DATA_DIR", str(tmp_path))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        monkeypatch.setenv(demo_site.PROVIDER_PORT_ENV, str(taken.getsockname()[1]))
        assert demo_site.main(["--server.port", "8599"]) == 1
    message = capsys.readouterr().err
    assert message.startswith("make demo: port ") and demo_site.PROVIDER_PORT_ENV in message


def test_a_provider_that_cannot_start_stops_the_demo_saying_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CITYSTAT_DATA_DIR", str(tmp_path))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        monkeypatch.setenv(demo_site.PROVIDER_PORT_ENV, str(probe.getsockname()[1]))
    broken = [
        sys.executable,
        "-c",
        "import sys; print('No module named oidc_provider_mock'); sys.exit(3)",
    ]
    monkeypatch.setattr(demo_site, "provider_command", lambda port: broken)
    started: list[object] = []
    monkeypatch.setattr(demo_site, "dashboard_command", lambda *a: started.append(a) or [])
    assert demo_site.main([]) == 1
    message = capsys.readouterr().err
    assert "the demo's sign-in provider (oidc-provider-mock) did not start" in message
    assert "it exited with status 3" in message and "No module named oidc_provider_mock" in message
    assert not started  # no dashboard nobody could sign in to
