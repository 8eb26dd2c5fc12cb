"""Start the demo with sign-in: ``python -m dashboard.demo_site [streamlit options]`` (``make
demo``).

Demo only. It starts oidc-provider-mock, a test OpenID Connect provider, on this machine
(127.0.0.1, port 9400 or ``$CITYSTAT_DEMO_SIGNIN_PORT``) with the demo users below, writes a
secrets.toml into the city's data folder (``data/demo-signin/secrets.toml``, never committed)
that points Streamlit's sign-in at it with a new random ``cookie_secret``, and runs the
internal dashboard with that file. The demo city's roles.yml gives the users their roles. The
provider signs in whoever is picked or typed on its page, without a password, so it must
never stand in for a city's real identity provider; it stops when the dashboard stops.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from pipelines.warehouse.layout import data_dir

APP = Path(__file__).resolve().parent / "app.py"
PROVIDER_PORT_ENV = "CITYSTAT_DEMO_SIGNIN_PORT"
DEFAULT_PROVIDER_PORT = 9400
CLIENT_ID = "citystat-demo"
CLIENT_SECRET = "demo-only-not-a-secret"


@dataclass(frozen=True)
class DemoUser:
    """A user the demo provider offers with one click (subject = e-mail), and the role the
    demo city's roles.yml gives them (tests/test_sign_in.py checks that it does)."""

    email: str
    name: str
    groups: tuple[str, ...]
    role: str

    def claims(self) -> str:
        return json.dumps(
            {"sub": self.email, "email": self.email, "name": self.name, "groups": self.groups}
        )


DEMO_USERS = [
    DemoUser("mayor@demo.citystat.test", "Morgan Mayor", (), "leadership"),
    DemoUser(
        "streets.head@demo.citystat.test", "Dana Streets", ("streets-managers",), "department_head"
    ),
    DemoUser("analyst@demo.citystat.test", "Ari Analyst", ("performance-analysts",), "analyst"),
    DemoUser("viewer@demo.citystat.test", "Val Viewer", ("city-staff",), "viewer"),
    DemoUser("newcomer@demo.citystat.test", "Nia Newcomer", (), "no role"),
]


def secrets_file() -> Path:
    """Where the demo's secrets.toml is written: the city's data folder."""
    return data_dir() / "demo-signin" / "secrets.toml"


def secrets_toml(app_port: int, provider_port: int, cookie_secret: str) -> str:
    """The [auth] section pointing Streamlit's sign-in at the demo provider."""
    return (
        "# Written by `make demo` (python -m dashboard.demo_site) for the demo's sign-in through\n"
        "# oidc-provider-mock on this machine. Demo only; rewritten at every start.\n"
        "[auth]\n"
        f'redirect_uri = "http://localhost:{app_port}/oauth2callback"\n'
        f'cookie_secret = "{cookie_secret}"\n'
        f'client_id = "{CLIENT_ID}"\n'
        f'client_secret = "{CLIENT_SECRET}"\n'
        f'server_metadata_url = "{provider_url(provider_port)}/.well-known/openid-configuration"\n'
    )


def provider_url(port: int) -> str:
    return f"http://127.0.0.1:{port}"


def provider_command(port: int) -> list[str]:
    """oidc-provider-mock on 127.0.0.1 with the demo users (e-mail = subject)."""
    return [
        sys.executable,
        "-m",
        "oidc_provider_mock",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        *(part for user in DEMO_USERS for part in ("--user-claims", user.claims())),
    ]


def dashboard_command(secrets: Path, extra: Sequence[str]) -> list[str]:
    """The internal dashboard, reading its secrets from the demo's file only."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--secrets.files",
        str(secrets),
        *extra,
    ]


def write_secrets(app_port: int, provider_port: int) -> Path:
    """Write the demo's secrets.toml (owner-only), with a cookie_secret made now."""
    path = secrets_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(secrets_toml(app_port, provider_port, secrets.token_hex(32)))
    return path


def _port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _wait_for_provider(process: subprocess.Popen[bytes], port: int, seconds: float) -> str | None:
    """None once the provider answers its discovery document, else why it did not."""
    deadline = time.monotonic() + seconds
    url = f"{provider_url(port)}/.well-known/openid-configuration"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return f"it exited with status {process.returncode}"
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return None
        except OSError:
            time.sleep(0.3)
    return f"it did not answer {url} within {seconds:.0f} seconds"


def _stop(process: subprocess.Popen[bytes] | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _fail(message: str) -> int:
    print(f"make demo: {message}", file=sys.stderr)
    return 1


def _terminate(signum: int, frame: FrameType | None) -> None:
    del frame
    raise KeyboardInterrupt(signum)


def main(argv: Sequence[str] | None = None) -> int:
    """Start the provider, write the secrets, run the dashboard; stop both together."""
    args = list(sys.argv[1:] if argv is None else argv)
    options = argparse.ArgumentParser(add_help=False)
    options.add_argument("--server.port", dest="port", type=int, default=8501)
    known, _ = options.parse_known_args(args)
    provider_port = int(os.environ.get(PROVIDER_PORT_ENV) or DEFAULT_PROVIDER_PORT)
    if not _port_is_free(provider_port):
        return _fail(
            f"port {provider_port} is taken, so the demo's sign-in provider cannot start; stop "
            f"what uses it, or set {PROVIDER_PORT_ENV} to a free port"
        )
    secrets_path = write_secrets(known.port, provider_port)
    previous_handler = signal.signal(signal.SIGTERM, _terminate)
    provider: subprocess.Popen[bytes] | None = None
    dashboard: subprocess.Popen[bytes] | None = None
    log_path = secrets_path.parent / "provider.log"
    try:
        with log_path.open("wb") as log:
            provider = subprocess.Popen(
                provider_command(provider_port),
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONWARNINGS": "ignore::DeprecationWarning"},
            )
        problem = _wait_for_provider(provider, provider_port, seconds=30)
        if problem is not None:
            last = log_path.read_text(errors="replace").strip().splitlines()[-3:]
            return _fail(
                f"the demo's sign-in provider (oidc-provider-mock) did not start: {problem}"
                + (f" ({' / '.join(last)})" if last else "")
                + ". Without it nobody can sign in to the demo; `.venv/bin/pip install -e "
                "'.[demo]'` installs it (make demo does)."
            )
        print(_banner(known.port, provider_port, log_path), flush=True)
        dashboard = subprocess.Popen(dashboard_command(secrets_path, args))
        return dashboard.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        _stop(dashboard)
        _stop(provider)
        signal.signal(signal.SIGTERM, previous_handler)


def _banner(app_port: int, provider_port: int, log_path: Path) -> str:
    users = "\n".join(f"  {user.email:<33} {user.name:<13} {user.role}" for user in DEMO_USERS)
    return (
        f"citystat demo: http://localhost:{app_port} signs in through a test identity provider "
        f"at {provider_url(provider_port)} (demo only; its log: {log_path}).\n"
        f"Pick a demo user on its page:\n{users}\n"
    )


if __name__ == "__main__":
    sys.exit(main())
