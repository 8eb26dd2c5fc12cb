"""Versioned, atomic publishing of the warehouse, rollback, and cleanup after a killed run.

Layout, for the published path ``data/citystat.duckdb`` (``CITYSTAT_WAREHOUSE`` or
``--warehouse`` move all of it beside another path)::

    data/citystat.duckdb                 symlink -> versions/citystat-<run_id>.duckdb
    data/versions/citystat-<run_id>.duckdb           published versions, oldest first by name
    data/versions/citystat-<run_id>.duckdb.building  the build of a run in progress (+ .wal)
    data/citystat.failed.duckdb          the last build that failed validation
    data/citystat.rolled-back.duckdb     the version the last `citystat rollback` took down
    data/.citystat.duckdb.lock           held (flock) by the run or rollback in progress, as
                                         is the data/ folder itself (see publish_lock)

Why a symlink: every reader (dashboard, ``metrics preview``, the duckdb CLI) keeps opening
``data/citystat.duckdb``, and replacing a symlink with ``os.replace`` is atomic, so a reader
opens either the old version or the new one, never a mix. A version file is written once, by
the run that built it, and closed before it is published: nothing ever opens a published
version for writing, so DuckDB's one-writer rule never meets a reader of it. A reader that
already has a version open keeps reading it after a swap (and even after pruning deletes it:
the open file stays valid on POSIX). The dashboard can key its cache on
``pipelines.warehouse.published_version()`` and open ``published_file()`` to read one version
per page.

Crash safety: a build is a file no reader knows about until the symlink swap, and the swap is
one atomic rename; a run killed at any moment leaves either the old version or the new one
published. The next run, holding the lock, deletes what a killed run left behind: unfinished
builds, their WAL files, temporary symlinks, and finished versions that were never swapped in.

Versions are kept up to ``CITYSTAT_KEEP_VERSIONS`` (default 3, at least 1; ``--keep`` on the
command line), the published one included; ``citystat rollback`` points the symlink back to
the previous version. A warehouse published by an older citystat as a plain file is adopted
on the next publish: hard-linked into versions/ (no copy) before the symlink replaces it.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.publish.compaction import copy_for_build
from pipelines.warehouse.connection import spill_dir
from pipelines.warehouse.layout import versions_dir
from pipelines.warehouse.pause import pause_point
from pipelines.warehouse.published import published_file

DEFAULT_KEEP_VERSIONS = 3
BUILDING_SUFFIX = ".building"


class PublishError(Exception):
    """Publishing could not go ahead; the message says why, what to do, and that nothing changed."""


@dataclass(frozen=True)
class Rollback:
    """What `citystat rollback` did: the version taken down and the one published again."""

    taken_down: Path
    restored: Path
    kept_as: Path


def keep_versions(keep: int | None = None) -> int:
    """How many versions to keep: ``keep`` if given, else $CITYSTAT_KEEP_VERSIONS, else 3."""
    if keep is None:
        text = os.environ.get("CITYSTAT_KEEP_VERSIONS", str(DEFAULT_KEEP_VERSIONS))
        try:
            keep = int(text)
        except ValueError:
            raise PublishError(
                f"CITYSTAT_KEEP_VERSIONS={text!r} is not a whole number; set it to 1 or more"
            ) from None
    if keep < 1:
        raise PublishError(f"keep {keep} versions: at least 1 (the published one) is needed")
    return keep


def version_path(published: Path, run_id: str) -> Path:
    """The file a run's warehouse is published as."""
    return versions_dir(published) / f"{published.stem}-{run_id}{published.suffix}"


def build_path(published: Path, run_id: str) -> Path:
    """Where a run builds its warehouse before publishing it."""
    path = version_path(published, run_id)
    return path.with_name(path.name + BUILDING_SUFFIX)


def failed_path(published: Path) -> Path:
    """Where a build that failed validation is kept for inspection."""
    return published.with_name(published.stem + ".failed" + published.suffix)


def rolled_back_path(published: Path) -> Path:
    """Where the version the last rollback took down is kept for inspection."""
    return published.with_name(published.stem + ".rolled-back" + published.suffix)


def list_versions(published: Path) -> list[Path]:
    """Finished version files of this warehouse, oldest first (run ids sort by start time)."""
    folder = versions_dir(published)
    if not folder.is_dir():
        return []
    return sorted(folder.glob(f"{published.stem}-*{published.suffix}"))


def is_write_failure(exc: BaseException) -> bool:
    """True when DuckDB's error is the operating system refusing a write (disk full, ...)."""
    text = str(exc)
    # A failed checkpoint write surfaces as a FatalException quoting the OS error.
    return "Could not write file" in text or any(reason in text for reason in _WRITE_REASONS)


_WRITE_REASONS = ("No space left", "File too large", "Read-only file system", "Permission denied")


def storage_message(exc: BaseException, folder: Path, published: Path) -> str:
    """A one-line explanation of a disk or permission failure, and what to do."""
    code = getattr(exc, "errno", None)
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if code == errno.ENOSPC or "No space left" in text:
        why, fix = "the disk is full", f"free disk space on the volume holding {folder}"
    elif code in (errno.EROFS, errno.EACCES, errno.EPERM) or "Read-only" in text:
        why, fix = "the folder is not writable", f"make {folder} writable by this user"
    elif code == errno.EFBIG or "File too large" in text:
        why, fix = "a file size limit was reached", "raise the file size limit (ulimit -f)"
    else:
        why, fix = "a file could not be written", f"check the disk and permissions of {folder}"
    return (
        f"{folder}: {why} ({text}); nothing was published and {published} is unchanged; "
        f"{fix}, then run again"
    )


@contextmanager
def publish_lock(published: Path) -> Iterator[None]:
    """Hold the warehouse's lock for a run or rollback; refuse if another one holds it.

    Two OS locks (``flock``), each on a descriptor held open until the run ends: one on the
    lock file, and one on the folder holding the warehouse. Deleting the lock file while a run
    holds it lets the next run lock a new file of that name, but not the folder, which cannot
    be deleted while the warehouse is in it: the second run still refuses. (A filesystem that
    cannot lock a folder, such as some network mounts, leaves the lock file's lock alone.)
    The kernel drops an flock when its holder dies, so a killed run never leaves it held.
    """
    folder = published.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle = open(folder / f".{published.name}.lock", "a+b")  # noqa: SIM115 — held until exit
    except OSError as exc:
        raise PublishError(storage_message(exc, folder, published)) from exc
    folder_fd: int | None = None
    try:
        _flock(handle.fileno(), published)
        folder_fd = _lock_folder(folder, published)
        yield
    finally:
        if folder_fd is not None:
            os.close(folder_fd)
        handle.close()


def _flock(fd: int, published: Path) -> None:
    """Take the exclusive lock on ``fd`` without waiting; PublishError if another run has it."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise PublishError(
            f"{published}: another citystat run or rollback is publishing it; wait for it to "
            "finish and run again"
        ) from None


def _lock_folder(folder: Path, published: Path) -> int | None:
    """Lock the warehouse's folder too; the open descriptor, or None where folders cannot lock."""
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as exc:
        raise PublishError(storage_message(exc, folder, published)) from exc
    try:
        _flock(fd, published)
    except PublishError:
        os.close(fd)
        raise
    except OSError:  # EBADF, ENOLCK, EOPNOTSUPP: the lock file's lock holds alone
        os.close(fd)
        return None
    return fd


def clean_leftovers(published: Path) -> list[Path]:
    """Delete what killed runs left behind; call with the lock held. Returns what was deleted.

    Unfinished builds and their WAL files, temporary symlinks, the pre-versions build file
    (``<name>.tmp``), and finished versions newer than the published one: a run killed between
    finishing its version and swapping it in never published it.
    """
    folder = versions_dir(published)
    doomed: list[Path] = []
    if folder.is_dir():
        doomed += folder.glob(f"{published.stem}-*{published.suffix}{BUILDING_SUFFIX}*")
        current = published_file(published)
        doomed += [
            v
            for v in list_versions(published)
            # Without a published version nothing is known to be unpublished: keep them all.
            if current is not None and current.parent == v.parent and v.name > current.name
        ]
    legacy = published.with_name(published.name + ".tmp")
    doomed += [legacy, legacy.with_name(legacy.name + ".wal")]
    doomed += published.parent.glob(f".{published.name}.link-*")
    removed = []
    for path in doomed:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)  # a killed build's spill folder (warehouse.spill_dir)
            removed.append(path)
        elif path.is_symlink() or path.exists():
            path.unlink()
            removed.append(path)
    return removed


def start_build(published: Path, run_id: str, *, empty: bool) -> Path:
    """The build file of a run: a copy of the published version, or no file yet when empty."""
    target = build_path(published, run_id)
    current = None if empty else published_file(published)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        if current is not None:
            copy_for_build(current, target)
    except (OSError, duckdb.Error) as exc:  # a compacting rewrite fails as a DuckDB error
        discard_build(target)
        raise PublishError(storage_message(exc, target.parent, published)) from exc
    return target


def discard_build(build: Path) -> None:
    """Delete a build, its WAL file and its spill folder (a failed or abandoned run's)."""
    for path in (build, build.with_name(build.name + ".wal")):
        with contextlib.suppress(OSError):  # the next run's clean_leftovers tries again
            path.unlink(missing_ok=True)
    shutil.rmtree(spill_dir(build), ignore_errors=True)


def publish_build(build: Path, published: Path, keep: int) -> Path:
    """Make a closed build the published version, atomically; prune old versions. Returns it.

    Order matters for crash safety: the build is opened read-only once (proof it is a whole
    database), flushed to disk, renamed to its version name, and only then the symlink is
    swapped in one rename; pruning comes last.
    """
    version = build.with_name(build.name.removesuffix(BUILDING_SUFFIX))
    try:
        check_readable(build)
    except duckdb.Error as exc:
        raise PublishError(
            f"{build}: the new build does not open as a DuckDB database "
            f"({str(exc).splitlines()[0]}); nothing was published and {published} is unchanged; "
            "run again, and report this if it repeats"
        ) from exc
    try:
        _fsync(build)
        pause_point("publish:synced")
        os.rename(build, version)
        _fsync(version.parent)
        pause_point("publish:renamed")
        _adopt_plain_file(published)
        _point_at(published, version)
    except OSError as exc:
        raise PublishError(storage_message(exc, published.parent, published)) from exc
    pause_point("publish:swapped")
    prune_versions(published, keep)
    pause_point("publish:pruned")
    return version


def prune_versions(published: Path, keep: int) -> list[Path]:
    """Delete the oldest versions beyond ``keep``, never the published one; returns them."""
    current = published_file(published)
    versions = [v for v in list_versions(published) if v != current]
    # The published version counts towards keep; the newest others fill the remaining slots.
    surplus = versions[: max(0, len(versions) - (keep - 1))]
    for path in surplus:
        path.unlink(missing_ok=True)
    return surplus


def rollback(published: Path) -> Rollback:
    """Publish the version before the current one again; the current one is set aside."""
    with publish_lock(published):
        clean_leftovers(published)
        current = published_file(published)
        if current is None:
            raise PublishError(f"{published}: nothing is published, so there is nothing to undo")
        earlier = [v for v in list_versions(published) if v.name < current.name]
        if not published.is_symlink() or not earlier:
            raise PublishError(
                f"{published}: no previous version to roll back to ({versions_dir(published)} "
                f"holds none older than {current.name}); versions are kept from the next run on"
            )
        kept_as = rolled_back_path(published)
        try:
            _point_at(published, earlier[-1])
            os.replace(current, kept_as)
        except OSError as exc:
            raise PublishError(storage_message(exc, published.parent, published)) from exc
        return Rollback(taken_down=current, restored=earlier[-1], kept_as=kept_as)


def check_readable(version: Path) -> None:
    """Open a version read-only and list its tables: proof it is a valid DuckDB file."""
    with duckdb.connect(str(version), read_only=True) as con:
        con.execute("SELECT count(*) FROM information_schema.tables").fetchone()


def _point_at(published: Path, version: Path) -> None:
    """Atomically make ``published`` a relative symlink to ``version``."""
    link = published.with_name(f".{published.name}.link-{os.getpid()}")
    link.unlink(missing_ok=True)
    # Relative, so the data folder can be moved or copied with its versions.
    os.symlink(os.path.relpath(version, published.parent), link)
    pause_point("publish:linked")
    os.replace(link, published)
    _fsync(published.parent)


def _adopt_plain_file(published: Path) -> None:
    """Keep a warehouse published as a plain file (before versions existed) as a version."""
    if published.is_symlink() or not published.is_file():
        return
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(published.stat().st_mtime))
    name = f"{published.stem}-{stamp}.000000Z-adopted{published.suffix}"
    adopted = versions_dir(published) / name
    try:
        os.link(published, adopted)
    except FileExistsError:
        pass
    except OSError:
        shutil.copyfile(published, adopted)  # a filesystem without hard links


def _fsync(path: Path) -> None:
    """Flush a file's or a folder's entries to disk, so a power cut cannot undo a publish."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


__all__ = [
    "DEFAULT_KEEP_VERSIONS",
    "PublishError",
    "Rollback",
    "build_path",
    "check_readable",
    "clean_leftovers",
    "discard_build",
    "failed_path",
    "is_write_failure",
    "keep_versions",
    "list_versions",
    "prune_versions",
    "publish_build",
    "publish_lock",
    "rollback",
    "start_build",
    "storage_message",
    "version_path",
]
