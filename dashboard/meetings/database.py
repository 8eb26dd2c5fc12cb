"""Where the meetings store lives, opening it on SQLite or PostgreSQL, and its errors.

The store is a SQLite file by default (``data/meetings.sqlite``, or the path in
``CITYSTAT_MEETINGS_DB``), or a PostgreSQL database when ``CITYSTAT_MEETINGS_URL`` names one
(``postgresql://user@host/db``). Both are reached through SQLAlchemy Core with the same SQL and
bound parameters only. Every write runs in one transaction that takes the write lock first
(SQLite ``BEGIN IMMEDIATE``), so a read-check-write never meets another writer half-way.
A store that cannot be opened or read (a damaged file, a folder in its place, no permission, a
server that does not answer) raises ``StoreUnavailable`` with a sentence a page can show.
Nothing here imports Streamlit.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import URL, Connection, Engine, create_engine, event, exc, make_url, text

from pipelines.warehouse.layout import data_dir

MEETINGS_ENV = "CITYSTAT_MEETINGS_DB"
MEETINGS_URL_ENV = "CITYSTAT_MEETINGS_URL"
# A writer waits this long for another writer's lock before giving up (SQLite).
LOCK_TIMEOUT_SECONDS = 15
_SQLITE_HEADER = b"SQLite format 3\x00"


class MeetingError(ValueError):
    """A mistake in what a person entered (unknown metric, empty owner, ...): say what to do."""


class StoreUnavailable(MeetingError):
    """The meetings store cannot be opened or read. ``reason`` says what is wrong and what to
    do without naming the file or server (fit for any page); ``location`` names it."""

    def __init__(self, reason: str, location: str) -> None:
        super().__init__(f"{reason} ({location})")
        self.reason = reason
        self.location = location


class StaleEdit(Exception):
    """A save against a row someone else changed since it was read: both versions and both
    texts, so the person can keep theirs or overwrite it with their own."""

    def __init__(
        self,
        what: str,
        entity_id: str,
        read_version: int,
        current_version: int,
        yours: dict[str, str | None],
        theirs: dict[str, str | None],
        changed_by: str | None = None,
        changed_at: str | None = None,
    ) -> None:
        by = f" by {changed_by}" if changed_by else ""
        at = f" at {changed_at} UTC" if changed_at else ""
        super().__init__(
            f"{what} was changed{by}{at} since you opened it (you read version {read_version}, "
            f"it is now version {current_version}); keep theirs or overwrite it with yours"
        )
        self.what = what
        self.entity_id = entity_id
        self.read_version = read_version
        self.current_version = current_version
        self.yours = yours
        self.theirs = theirs
        self.changed_by = changed_by
        self.changed_at = changed_at


def utc_now() -> str:
    """Now in UTC, as the store writes every instant: '2025-04-20 14:03:09'."""
    return datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="seconds")


def meetings_db_path() -> Path:
    """Where the SQLite meetings database lives (env CITYSTAT_MEETINGS_DB overrides)."""
    return Path(os.environ.get(MEETINGS_ENV, data_dir() / "meetings.sqlite"))


def meetings_url() -> URL:
    """The store's database URL: CITYSTAT_MEETINGS_URL when set, else the SQLite file."""
    configured = os.environ.get(MEETINGS_URL_ENV, "").strip()
    return _url(configured) if configured else _sqlite_url(meetings_db_path())


def store_exists() -> bool:
    """False only when the store is the SQLite file and it has not been created yet."""
    return meetings_url().get_backend_name() != "sqlite" or meetings_db_path().exists()


def _sqlite_url(path: Path) -> URL:
    return URL.create("sqlite", database=str(path))


def _url(target: str) -> URL:
    try:
        url = make_url(target)
    except exc.ArgumentError:
        url = None
    if url is None or url.get_backend_name() not in ("sqlite", "postgresql"):
        raise StoreUnavailable(
            f"{MEETINGS_URL_ENV} is not a database URL this store knows; write "
            "postgresql://user@host/database (or unset it to use the SQLite file)",
            "the configured URL",
        )
    if url.get_backend_name() == "postgresql":
        # postgresql:// would mean psycopg2; the store uses psycopg 3.
        url = url.set(drivername="postgresql+psycopg")
    return url


class MeetingsDB:
    """An open meetings store: ``read()`` and ``write()`` give a connection in a transaction."""

    def __init__(self, url: URL) -> None:
        self.url = url
        self.backend = url.get_backend_name()
        self.location = (
            str(url.database) if self.backend == "sqlite" else url.render_as_string(True)
        )
        if self.backend == "sqlite":
            self.engine = _sqlite_engine(url)
        else:
            self.engine = create_engine(url, pool_pre_ping=True)

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection in one read transaction: one consistent view of the store (SQLite's
        transactions are; PostgreSQL's must be REPEATABLE READ, or each statement sees the
        latest commit)."""
        with self._translated(), self.engine.connect() as conn:
            if self.backend == "postgresql":
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                yield conn

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A connection in one transaction holding the write lock; commits when the block
        ends, rolls back on an exception."""
        with self._translated(), self.engine.connect() as conn:
            conn = conn.execution_options(citystat_write=True)
            with conn.begin():
                yield conn

    @contextmanager
    def _translated(self) -> Iterator[None]:
        try:
            yield
        except exc.DBAPIError as error:
            if not _unavailable(error):
                raise
            raise StoreUnavailable(_reason(self, error), self.location) from error

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> MeetingsDB:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _sqlite_engine(url: URL) -> Engine:
    engine = create_engine(url, connect_args={"timeout": LOCK_TIMEOUT_SECONDS})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        # SQLAlchemy, not the driver, starts transactions (below), so writes can take the
        # write lock up front; foreign keys are enforced.
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA foreign_keys = ON")

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        write = conn.get_execution_options().get("citystat_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def _unavailable(error: exc.DBAPIError) -> bool:
    """Errors that say the store cannot be reached or read, not that a statement was wrong:
    operational ones (cannot open, locked, server gone) and SQLite's "not a database"."""
    return isinstance(error, exc.OperationalError) or type(error.orig) is sqlite3.DatabaseError


def _reason(db: MeetingsDB, error: exc.DBAPIError) -> str:
    if db.backend != "sqlite":
        # The driver's own message names the host or socket: it goes to the log, not here.
        return (
            "the PostgreSQL meetings database did not answer; check that the server is running "
            f"and that {MEETINGS_URL_ENV} names it"
        )
    return sqlite_problem(Path(db.location), str(error.orig))


def sqlite_problem(path: Path, message: str) -> str:
    """Why the SQLite file cannot be used, and what to do, in one sentence."""
    if _no_permission(path):
        return (
            "the dashboard has no permission to read and write the meetings database (or its "
            "folder); give the user running the dashboard read and write access"
        )
    if path.is_dir():
        return (
            "a folder is where the meetings database file should be; move the folder away "
            f"(a new database is created) or point {MEETINGS_ENV} at a file"
        )
    if _not_sqlite(path) or "malformed" in message or "not a database" in message:
        return (
            "the meetings database file is damaged or is not a SQLite database; move it aside "
            "and restore it from a backup (a new empty database is created in its place)"
        )
    return f"the meetings database could not be opened or read ({message})"


def _no_permission(path: Path) -> bool:
    """True when this process may not read and write the file (or create it in its folder)."""
    for target in (path, path.parent):
        try:
            os.stat(target)  # PermissionError when a folder on the way is closed to us
        except PermissionError:
            return True
        except OSError:
            continue  # not there: its folder decides
        search = os.X_OK if target.is_dir() else 0
        return not os.access(target, os.R_OK | os.W_OK | search)
    return False


def _not_sqlite(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            header = handle.read(len(_SQLITE_HEADER))
    except OSError:
        return False
    return len(header) > 0 and header != _SQLITE_HEADER


def open_database(target: Path | str | None = None) -> MeetingsDB:
    """The store at ``target`` (a SQLite path or a database URL; the configured one by
    default), not yet checked or migrated: ``schema.connect`` does both."""
    if target is None:
        url = meetings_url()
    elif isinstance(target, Path):
        url = _sqlite_url(target)
    else:
        url = _url(target)
    if url.get_backend_name() == "sqlite" and url.database:
        path = Path(url.database)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StoreUnavailable(sqlite_problem(path, str(error)), str(path)) from error
    return MeetingsDB(url)


@contextmanager
def reading(source: MeetingsDB | Connection) -> Iterator[Connection]:
    """A connection to read with: ``source`` itself when it is one (already in a
    transaction), else a new read transaction of the store."""
    if isinstance(source, Connection):
        yield source
        return
    with source.read() as conn:
        yield conn


def frame(conn: Connection, sql: str, params: dict[str, Any] | None = None) -> pd.DataFrame:
    """The rows of a query (named, bound parameters) as a DataFrame with its columns."""
    result = conn.execute(text(sql), params or {})
    return pd.DataFrame.from_records(result.fetchall(), columns=list(result.keys()))


def first_row(conn: Connection, sql: str, params: dict[str, Any]) -> dict[str, Any] | None:
    """The first row of a query as a dict, or None."""
    row = conn.execute(text(sql), params).mappings().first()
    return None if row is None else dict(row)
