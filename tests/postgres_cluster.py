"""A throwaway PostgreSQL cluster for the meetings store tests: initdb into a temporary folder,
started with pg_ctl on a free port number, reachable only through a Unix socket in that folder,
stopped and removed at the end of the session.

PostgreSQL refuses to run as root; tests here often do. Then the cluster runs as the
``postgres`` user the Debian package creates (or ``nobody``) through ``runuser``, and root
connects through the socket like anyone else.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import psycopg
from psycopg import sql

SUPERUSER = "citystat"


class ClusterUnavailable(RuntimeError):
    """PostgreSQL cannot be started here; the message says why."""


def _bin_dir() -> Path:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parts[-3])
    )
    if not versions:
        raise ClusterUnavailable("PostgreSQL is not installed (no pg_ctl on PATH)")
    return versions[-1].parent


def _run_as() -> str | None:
    """The user to run the server as: none needed unless this process is root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        if shutil.which("runuser") is None:
            raise ClusterUnavailable("running as root and runuser is missing")
        return name
    raise ClusterUnavailable("running as root and there is no postgres or nobody user")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PostgresCluster:
    """One running cluster; ``new_database`` gives each test an empty database of its own."""

    def __init__(self) -> None:
        self.bin = _bin_dir()
        self.user = _run_as()
        self.base = Path(tempfile.mkdtemp(prefix="citystat-pg-"))
        self.base.chmod(0o755)
        if self.user is not None:
            entry = pwd.getpwnam(self.user)
            os.chown(self.base, entry.pw_uid, entry.pw_gid)
        self.data = self.base / "data"
        self.port = _free_port()
        self._names = itertools.count(1)

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin / args[0]), *args[1:]]
        if self.user is not None:
            command = ["runuser", "-u", self.user, "--", *command]
        return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)

    def start(self) -> PostgresCluster:
        init = self._run(
            "initdb", "-D", str(self.data), "-A", "trust", "-U", SUPERUSER, "-E", "UTF8",
            "--locale=C", "--no-sync",
        )  # fmt: skip
        if init.returncode != 0:
            self.remove()
            raise ClusterUnavailable(f"initdb failed: {init.stderr.strip()[-500:]}")
        options = (
            f"-p {self.port} -k {self.base} -c listen_addresses='' -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off"
        )
        log = self.base / "server.log"
        started = self._run(
            "pg_ctl", "-D", str(self.data), "-o", options, "-l", str(log), "-w", "-t", "60", "start"
        )
        if started.returncode != 0:
            reason = log.read_text(errors="replace")[-500:] if log.exists() else started.stderr
            self.remove()
            raise ClusterUnavailable(f"pg_ctl start failed: {reason.strip()}")
        return self

    def url(self, database: str) -> str:
        return f"postgresql://{SUPERUSER}@/{database}?host={self.base}&port={self.port}"

    def new_database(self) -> str:
        """An empty database's URL (postgresql://…, as CITYSTAT_MEETINGS_URL takes it)."""
        name = f"meetings_{next(self._names)}"
        conninfo = f"host={self.base} port={self.port} user={SUPERUSER} dbname=postgres"
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.url(name)

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        self.remove()

    def remove(self) -> None:
        shutil.rmtree(self.base, ignore_errors=True)
