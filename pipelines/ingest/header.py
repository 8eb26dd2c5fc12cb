"""A CSV file's header, read before DuckDB reads a row.

DuckDB's own header detection runs its dialect sniffer over the first megabytes, and one line
longer than the line limit there fails the whole file ("line 1"). The header is read here
instead: the first record of the file (a quoted name may hold a line break), decoded with the
mapping's encoding, split with its delimiter, quote and escape, from at most
``MAX_HEADER_BYTES``. DuckDB then reads the rows with these columns given, no sniffer, so a
line over the limit rejects only itself.

Column names are trimmed (some exports pad them: "         ISSUE_DATE"); an empty name becomes
``column<N>`` (N from 0, as DuckDB names it) and a repeated one ``<name>_1``, ``<name>_2``...
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipelines.ingest.common import LoadError
from pipelines.ingest.mapping import CsvOptions
from pipelines.warehouse.files import NotAFile, open_regular

MAX_HEADER_BYTES = 1 << 20
_ENCODINGS = {"utf-8": "utf-8-sig", "latin-1": "latin-1", "utf-16": "utf-16"}
_COMMON_DELIMITERS = (",", ";", "|", "\t")


@dataclass(frozen=True)
class Header:
    """The header's fields as written, and how many physical lines it spans."""

    fields: list[str]
    lines: int = 1

    @property
    def aliases(self) -> list[str]:
        """Each column's name as a mapping refers to it: trimmed, never empty, unique."""
        taken: set[str] = set()
        aliases = []
        for i, name in enumerate(self.fields):
            base = name.strip() or f"column{i}"
            alias, n = base, 0
            while alias in taken:
                n += 1
                alias = f"{base}_{n}"
            taken.add(alias)
            aliases.append(alias)
        return aliases


def read_header(path: Path, opts: CsvOptions, gzipped: bool) -> Header:
    """The first record of a CSV file as its header; LoadError when it cannot be one."""
    text, cut = _first_text(path, opts, gzipped)
    stream = io.StringIO(text, newline="")
    fields, lines = _first_record(path, stream, opts)
    if cut and stream.tell() >= len(text):
        # The record ran to the end of what was read: the header is longer than the limit.
        raise LoadError(
            f"{path}: the header line is longer than {MAX_HEADER_BYTES:,} bytes; check that "
            "the file is a CSV extract with its column names on line 1"
        )
    if not fields:
        raise LoadError(
            f"{path}: line 1 is blank; the header (the column names) must be the first line: "
            "remove the blank lines at the top of the file"
        )
    if any(_undecodable(name) for name in fields):
        raise LoadError(
            f"{path}: the header line is not valid {opts.encoding} (set csv.encoding in the "
            "mapping, e.g. latin-1, or re-export the file as UTF-8)"
        )
    return Header(fields, lines)


def _first_record(path: Path, stream: io.StringIO, opts: CsvOptions) -> tuple[list[str], int]:
    """The first record's fields and the physical lines it spans."""
    if len(opts.delimiter) != 1:  # Python's csv splits on one character: split plainly
        line = stream.readline()
        return (line.rstrip("\r\n").split(opts.delimiter) if line.strip() else []), 1
    rows = _reader(stream, opts)
    try:
        fields: list[str] = next(rows, [])
    except csv.Error as exc:
        raise LoadError(
            f"{path}: the header line cannot be split ({exc}); check csv.quote and csv.escape "
            "in its mapping, or re-export the file"
        ) from None
    return fields, rows.line_num


def check_header(path: Path, opts: CsvOptions, header: Header, referenced: set[str]) -> None:
    """Stop on a header split by another delimiter, or naming a mapped column twice."""
    names = [name.strip() for name in header.fields]
    others = [d for d in _COMMON_DELIMITERS if d != opts.delimiter]
    if len(names) == 1 and (found := next((d for d in others if d in names[0]), None)):
        raise LoadError(
            f"{path}: the header line is one single column ({names[0][:80]!r}): the file seems "
            f"delimited by {found!r}, not {opts.delimiter!r}; set csv.delimiter in its mapping "
            f"(csv: {{delimiter: {found!r}}}) or re-export the file"
        )
    twice = sorted({n for n in names if names.count(n) > 1 and n in referenced})
    if twice:
        where = "; ".join(
            f"{n} at columns {', '.join(str(i + 1) for i, m in enumerate(names) if m == n)}"
            for n in twice
        )
        raise LoadError(
            f"{path}: the header names a column the mapping reads more than once ({where}); "
            "the mapping cannot tell which one is meant: rename or drop the copy in the extract"
        )


def _first_text(path: Path, opts: CsvOptions, gzipped: bool) -> tuple[str, bool]:
    """Up to MAX_HEADER_BYTES of the file's start, decoded (undecodable bytes escaped), and
    whether the file goes on past them."""
    try:
        handle = open_regular(path)
    except NotAFile as exc:
        raise LoadError(f"{exc} (it was replaced while the run read it); run again") from None
    with handle:
        try:
            if gzipped:
                with gzip.GzipFile(fileobj=handle) as unzipped:
                    raw = unzipped.read(MAX_HEADER_BYTES)
            else:
                raw = handle.read(MAX_HEADER_BYTES)
        except (OSError, EOFError) as exc:
            raise LoadError(f"{path}: the file cannot be read ({exc}); re-export it") from None
    cut = len(raw) >= MAX_HEADER_BYTES
    decoder = codecs.getincrementaldecoder(_ENCODINGS[opts.encoding])("surrogateescape")
    return decoder.decode(raw, final=not cut), cut


def _reader(stream: io.StringIO, opts: CsvOptions) -> Any:
    """Python csv's reader with the mapping's delimiter, quote and escape."""
    doubled = opts.escape == opts.quote
    return csv.reader(
        stream,
        delimiter=opts.delimiter,
        quotechar=opts.quote or None,
        quoting=csv.QUOTE_MINIMAL if opts.quote else csv.QUOTE_NONE,
        doublequote=doubled,
        escapechar=None if doubled or not opts.escape else opts.escape,
        strict=False,
    )


def _undecodable(name: str) -> bool:
    """True when a name holds bytes the encoding could not decode (escaped as surrogates)."""
    return any("\udc80" <= ch <= "\udcff" for ch in name)
