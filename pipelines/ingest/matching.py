"""Which files a mapping's pattern matches, and which of those may be read.

A mapping names its files by a glob under a root folder (``files``), and its crosswalk by a
path under the mappings folder (``district_from_zip.file``). Whatever the pattern matches is
looked at with ``os.stat``/``os.lstat`` before anything opens it:

- a regular file whose real path (symbolic links followed) is inside the root is read;
- a file whose real path leaves the root (a symbolic link to /etc/passwd, a linked folder)
  is refused: the run stops and says so, never quoting the file;
- a folder, FIFO, socket or device, or a symbolic link to nothing, is skipped without being
  opened (a FIFO would block the run forever, while it holds the run lock): the run records
  it in ``skipped_files`` with the reason, prints it, and loads the other files.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.ingest.common import LoadError, mapping_file
from pipelines.ingest.mapping import FileSpec, SourceMapping
from pipelines.warehouse.files import file_kind


@dataclass(frozen=True)
class SkippedFile:
    """A file a pattern matched but that was not read: its name under the root, and why."""

    file: str
    reason: str


@dataclass(frozen=True)
class MatchedFiles:
    """The regular files a pattern matched (sorted), and those skipped with a reason."""

    files: list[Path] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)


def match_files(spec: FileSpec, mapping: SourceMapping) -> MatchedFiles:
    """The files ``spec`` matches, each checked; LoadError for one that leaves the root."""
    base = spec.base()
    root = Path(os.path.realpath(base))
    files: list[Path] = []
    skipped: list[SkippedFile] = []
    for path in sorted(base.glob(spec.pattern)):
        name = str(path.relative_to(base))
        reason = unreadable_reason(path, root, mapping)
        if reason is None:
            files.append(path)
        else:
            skipped.append(SkippedFile(name, reason))
    return MatchedFiles(files, skipped)


def unreadable_reason(path: Path, root: Path, mapping: SourceMapping) -> str | None:
    """Why a matched path is skipped (None: a regular file to read); LoadError if it leaves root.

    ``root`` is the real path of the folder the file must stay in.
    """
    if not inside(Path(os.path.realpath(path)), root):
        raise LoadError(
            f"{path}: leads outside {root} (through a symbolic link); a mapping reads only "
            f"files inside its root folder: copy the file in, or name its folder under "
            f"'folders:' in city.yml and set files.root in {mapping_file(mapping)}"
        )
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return (
            "a symbolic link to a file that does not exist: skipped; restore the file it "
            "points to, or remove the link"
        )
    kind = file_kind(info.st_mode)
    if kind == "folder":
        return (
            "a folder, not a file: skipped; narrow files.pattern in "
            f"{mapping_file(mapping)} if it should match files only"
        )
    if kind is not None:
        return f"a {kind}, not a regular file: skipped without opening it; remove it"
    return None


def inside(real: Path, root: Path) -> bool:
    """True when the real path ``real`` is ``root`` or under it (both already resolved)."""
    return real == root or root in real.parents


def checked_file(path: Path, root: Path, what: str) -> None:
    """A single named file (a crosswalk): LoadError if it leads outside ``root`` or is a FIFO,
    a folder, a device...; a missing file is left to the caller to report."""
    real_root = Path(os.path.realpath(root))
    if not inside(Path(os.path.realpath(path)), real_root):
        raise LoadError(
            f"{path}: the {what} leads outside {real_root} (through a symbolic link); copy the "
            "file into that folder"
        )
    try:
        kind = file_kind(os.stat(path).st_mode)
    except FileNotFoundError:
        return
    if kind is not None:
        raise LoadError(f"{path}: the {what} is a {kind}, not a file; put the CSV file there")
