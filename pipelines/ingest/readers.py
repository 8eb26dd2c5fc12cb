"""Read one extract file: every field as text, plus the file name (``_file``) and where the row
is in it (``_line``).

CSV: the header is read first (pipelines/ingest/header.py), then the rows are appended
straight to the caller's table in one DuckDB read with those columns given (no dialect
sniffing: one damaged line cannot fail the file), every column as text, with the raw column
names trimmed, always: some exports pad header names with spaces ("         ISSUE_DATE"), and
a mapping refers to the trimmed name. ``_line`` is the physical line (the header is line 1),
past rejected lines, line breaks inside quoted fields and blank lines (pipelines/ingest/
lines.py). Lines the reader cannot split into the header's columns, and lines longer than
``MAX_LINE_BYTES``, go to the temp table ``_rejects`` (line, error_message, breaks) at their
physical line. ``_nul_column`` names the first kept column holding a NUL byte, for staging to
quarantine the row. A ``RowShape`` may write other columns computed from these in the same
statement (the staged, typed columns): the line is then corrected in the column it names.

JSON (into the temp table ``_numbered``): the array of records at ``json.records`` (a dotted
path, e.g. ``d.results`` for OData pages) is unnested in SQL; each referenced field (a dotted
path such as ``locations.zip``) becomes a text column named by its path. ``_line`` is the
record's 1-based index in the array ("record N" in messages).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipelines.ingest.common import LoadError, create_table, relation_exists, scalar
from pipelines.ingest.header import check_header, read_header
from pipelines.ingest.lines import (
    CsvFile,
    FileLines,
    Written,
    in_file_order,
    renumber,
    scan_file,
)
from pipelines.ingest.mapping import CsvOptions
from pipelines.warehouse.files import NotAFile, open_regular
from pipelines.warehouse.schema import quote

# OData pages are one JSON object per file; DuckDB's default object limit is 16 MB.
_MAX_JSON_OBJECT_BYTES = 1 << 30
# Free-text fields (notes, descriptions) can run to megabytes; DuckDB's default line limit
# (2 MB) would fail the whole file on one long note. The read buffer is one such line: DuckDB's
# default (16 lines, 4 GiB) is allocated whole for a gzip file and passes the memory limit.
MAX_LINE_BYTES = 256 << 20
# The largest read buffer given to set an over-long line aside (see _buffer_bytes).
MAX_BUFFER_BYTES = 1 << 30
_ENCODING_ADVICE = (
    " (set csv.encoding in the mapping, e.g. latin-1, or re-export the file as UTF-8)"
)
_SIZE_ADVICE = (
    " (the line is longer than any extract line should be: the export is damaged, or the "
    "file is not the extract)"
)


def _raw_rows(rows: str) -> str:
    return f"SELECT * FROM {rows}"


@dataclass(frozen=True)
class RowShape:
    """What a CSV read writes: ``select`` turns the raw rows (a subquery) into the SELECT written.

    The default writes the raw rows as they are. Whatever it writes keeps ``_nul_column``, and
    the physical line number in the column ``line``. The SELECT must write its rows in the
    order it reads them (a projection: a join need not), since the rowids they get in the
    table number the lines.
    """

    select: Callable[[str], str] = _raw_rows
    params: Mapping[str, object] = field(default_factory=dict)
    line: str = "_line"


def read_csv_numbered(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    opts: CsvOptions,
    target: str,
    referenced: Collection[str] = (),
    check: Callable[[set[str]], None] | None = None,
    keep: Collection[str] | None = None,
    shape: RowShape | None = None,
) -> tuple[int, int]:
    """Append one CSV file's rows to ``target`` (created if absent); return (accepted, rejected).

    ``referenced`` names the raw columns the mapping reads: a header naming one of them twice
    is an error, since the mapping could not say which of the two it means. ``check`` sees
    the file's (trimmed) column names before any row is read and may raise LoadError.
    ``keep`` limits the columns written to these (trimmed) names; all when None. Besides
    ``_file`` and ``_line``, ``target`` gets ``_nul_column`` (the first kept column holding a
    NUL byte, else NULL). ``shape`` writes other columns computed from those in the same
    statement (and names the column holding the line). Rejected lines are left in the temp
    table ``_rejects`` (line, error_message), each at its physical line.
    """
    _check_not_empty(path)
    gzipped = _is_gzip(path)
    header = read_header(path, opts, gzipped)
    check_header(path, opts, header, set(referenced))
    aliases = header.aliases
    if check is not None:
        check(set(aliases))
    lines = scan_file(path, opts.encoding, gzipped, MAX_LINE_BYTES)
    csv = CsvFile(
        {
            "path": str(path),
            "delim": opts.delimiter,
            "quote": opts.quote,
            "escape": opts.escape,
            "encoding": opts.encoding,
            "compression": "gzip" if gzipped else "none",
            "max_line": MAX_LINE_BYTES,
            "buffer": _buffer_bytes(path, lines),
        },
        len(header.fields),
        header.lines,
    )
    # DuckDB appends every scan's rejects to the same temp tables; start each file afresh.
    con.execute("DROP TABLE IF EXISTS reject_errors; DROP TABLE IF EXISTS reject_scans")
    exists = relation_exists(con, target)
    # rowids are dense (the loader never deletes from these tables): the file's rows are the
    # ones from ``start`` on.
    start = scalar(con, f"SELECT count(*) FROM {target}") if exists else 0
    kept = [
        (quote(n), a) for n, a in zip(csv.names, aliases, strict=True) if keep is None or a in keep
    ]
    columns = "".join(f"{n} AS {quote(a)}, " for n, a in kept)
    # Which kept column holds a NUL byte: staging quarantines the row (see pipelines/ingest/
    # staging.py); the name is looked up in a bound list, never written into the SQL.
    nul = " ".join(f"WHEN contains({n}, chr(0)) THEN {i + 1}" for i, (n, _) in enumerate(kept))
    nul_column = f"$kept[CASE {nul} END]" if kept else "CAST(NULL AS VARCHAR)"
    shape = shape or RowShape()
    # Provisional _line: the record's position after the header, right for every file
    # without rejected lines, line breaks inside quoted fields or blank lines; see renumber.
    # The read and the shape keep the file's order on every core, so the rowids the rows get
    # number them afterwards (row_number() OVER () in the read kept it on one thread: the 10M
    # benchmark file's typed read 22.4-26.1 s -> 12.8-15.0 s).
    verb = f"INSERT INTO {target} BY NAME" if exists else f"{create_table(target)} AS"
    rows = (
        f"SELECT {columns}$file AS _file, NULL::BIGINT AS _line, {nul_column} AS _nul_column "
        f"FROM {csv.read(', nullstr = $nulls, store_rejects = true')}"
    )
    params = {
        **csv.read_params,
        **shape.params,
        "nulls": opts.null_strings or [""],
        "file": path.name,
    }
    if kept:
        params["kept"] = [a for _, a in kept]
    try:
        accepted = in_file_order(con, f"{verb} {shape.select(f'({rows})')}", params)
        con.execute(
            f"UPDATE {target} SET {quote(shape.line)} = rowid - $start + $first "
            "WHERE rowid >= $start",
            {"start": start, "first": header.lines + 1},
        )
    except duckdb.Error as exc:
        raise _unreadable(path, exc) from exc
    rejected = _collect_rejects(con)
    try:
        # A line break inside a quoted field, or a blank line, makes the file longer than its
        # header and records; so does a rejected line, which is also counted apart.
        if rejected or lines.count != header.lines + accepted:
            renumber(con, csv, Written(target, shape.line, start), lines.count)
    except duckdb.Error as exc:
        raise _unreadable(path, exc) from exc
    _check_long_lines_rejected(con, path, lines)
    return accepted, rejected


def _buffer_bytes(path: Path, lines: FileLines) -> int:
    """DuckDB's read buffer: one line of the limit, or room for the file's longest line.

    DuckDB sets an over-long line aside only when its buffer holds the line (twice, to be
    safe); a longer one vanishes without a trace, so a line too long even for the largest
    buffer stops the file instead.
    """
    if lines.longest <= MAX_LINE_BYTES:
        return MAX_LINE_BYTES
    needed = 2 * lines.longest + (1 << 20)
    if needed > MAX_BUFFER_BYTES:
        line, size = lines.long[0] if lines.long else (0, lines.longest)
        raise LoadError(
            f"{path}: line {line} is {size:,} bytes long, longer than a line can be set aside "
            f"({MAX_BUFFER_BYTES // 2:,}); the export is damaged or this is not the extract: "
            "repair or remove that line, or export the file again"
        )
    return needed


def _check_long_lines_rejected(
    con: duckdb.DuckDBPyConnection, path: Path, lines: FileLines
) -> None:
    """Every line over the limit must be a rejected line: none may vanish unaccounted."""
    if not lines.long:
        return
    rejected = {
        int(row[0])
        for row in con.execute(
            "SELECT line FROM _rejects WHERE list_contains($lines, line)",
            {"lines": [line for line, _ in lines.long]},
        ).fetchall()
    }
    for line, size in lines.long:
        if line not in rejected:
            raise LoadError(
                f"{path}: line {line} is {size:,} bytes long, more than the {MAX_LINE_BYTES:,} a "
                "line may hold, and the CSV reader could not set it aside (it is inside a "
                "quoted field); repair or remove that line, or export the file again"
            )


def _collect_rejects(con: duckdb.DuckDBPyConnection) -> int:
    """_rejects (line, error_message, breaks): one row per rejected line, at DuckDB's number,
    with the line breaks inside it."""
    # reject_errors has a row per error and a line may have several (a short line has one per
    # missing column): the first of each kind, one row per line here.
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _rejects AS SELECT line, "
        "string_agg(error_message || CASE error_type WHEN 'INVALID ENCODING' THEN $encoding "
        "WHEN 'LINE SIZE OVER MAXIMUM' THEN $size ELSE '' END, '; ' ORDER BY error_type) "
        "AS error_message, max(breaks) AS breaks FROM (SELECT line, error_type, "
        "arg_min(error_message, coalesce(column_idx, -1)) AS error_message, "
        "max(length(csv_line) - "
        "length(replace(csv_line, chr(10), ''))) AS breaks FROM reject_errors "
        "GROUP BY line, error_type) GROUP BY line",
        {"encoding": _ENCODING_ADVICE, "size": _SIZE_ADVICE},
    )
    return scalar(con, "SELECT count(*) FROM _rejects")


def csv_header(
    con: duckdb.DuckDBPyConnection, path: Path, opts: CsvOptions, referenced: Collection[str] = ()
) -> list[str]:
    """The file's trimmed column names, checked as ``read_csv_numbered`` checks them before it
    reads a row (an empty file, another delimiter, a mapped column named twice): LoadError.

    ``con`` is not used: the header is read before DuckDB reads the file (header.py)."""
    del con
    _check_not_empty(path)
    header = read_header(path, opts, _is_gzip(path))
    check_header(path, opts, header, set(referenced))
    return header.aliases


def _unreadable(path: Path, exc: duckdb.Error) -> LoadError:
    return LoadError(
        f"{path}: DuckDB could not read this file as CSV ({str(exc).splitlines()[0]}); "
        "check the file and the csv options (delimiter, encoding) in its mapping"
    )


def _check_not_empty(path: Path) -> None:
    """An empty file has no header: say so, instead of listing every column as missing."""
    if path.stat().st_size == 0:
        raise LoadError(
            f"{path}: the file is empty (0 bytes, not even a header line); the export probably "
            "failed: export it again, or move it out of the extract folder and run again"
        )


def _is_gzip(path: Path) -> bool:
    """True when the file starts with gzip's magic bytes, whatever its name says."""
    try:
        handle = open_regular(path)
    except NotAFile as exc:
        raise LoadError(f"{exc} (it was replaced while the run read it); run again") from None
    with handle:
        return handle.read(2) == b"\x1f\x8b"


def json_path(dotted: str) -> str:
    """JSON path for a dotted field path: 'locations.zip' -> '$."locations"."zip"'."""
    if not dotted:
        return "$"
    return "$" + "".join("." + '"' + part.replace('"', '\\"') + '"' for part in dotted.split("."))


def read_json_numbered(
    con: duckdb.DuckDBPyConnection, path: Path, records: str, fields: list[str]
) -> list[str]:
    """Fill _numbered from one JSON file; return the fields no record of the file has."""
    try:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _json_docs AS SELECT json, "
            "json_type(json, $records) AS kind FROM read_json_objects($file, format = 'auto', "
            "maximum_object_size = $max_bytes)",
            {"file": str(path), "records": json_path(records), "max_bytes": _MAX_JSON_OBJECT_BYTES},
        )
    except duckdb.Error as exc:
        raise LoadError(
            f"{path}: DuckDB could not read this file as JSON ({str(exc).splitlines()[0]}); "
            "check that it is valid JSON"
        ) from exc
    where = f"json.records '{records}'" if records else "the top level"
    if records:
        bad_count = con.execute(
            "SELECT count(*) FROM _json_docs WHERE kind IS DISTINCT FROM 'ARRAY'"
        ).fetchone()
        if bad_count and bad_count[0]:
            raise LoadError(
                f"{path}: no array of records at {where}; set json.records in its mapping to the "
                "dotted path of the records array (e.g. d.results for OData pages)"
            )
        # Each page's array is unnested; generate_subscripts runs in lockstep with unnest, so
        # each record keeps its 1-based index in the array.
        records_sql = (
            "SELECT unnest(json_extract(json, $each)) AS rec, "
            "generate_subscripts(json_extract(json, $each), 1) AS i, d.rowid AS doc "
            "FROM _json_docs d"
        )
        params: dict[str, object] = {"each": json_path(records) + "[*]"}
    else:
        # read_json_objects already yields one row per element of a top-level array.
        records_sql = "SELECT json AS rec, 1 AS i, d.rowid AS doc FROM _json_docs d"
        params = {}
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _records AS SELECT rec, "
        f"row_number() OVER (ORDER BY doc, i)::BIGINT AS _line FROM ({records_sql})",
        params,
    )
    selects = [f"json_extract_string(rec, $p{i}) AS {quote(f)}" for i, f in enumerate(fields)]
    field_params: dict[str, object] = {f"p{i}": json_path(f) for i, f in enumerate(fields)}
    # Which field holds a NUL byte (a \u0000 escape): staging quarantines the row.
    nul = " ".join(f"WHEN contains({quote(f)}, chr(0)) THEN $n{i}" for i, f in enumerate(fields))
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _numbered AS SELECT *, "
        f"{f'CASE {nul} END' if fields else 'CAST(NULL AS VARCHAR)'} AS _nul_column FROM "
        f"(SELECT {', '.join([*selects, ''])}$file AS _file, _line FROM _records)",
        {**field_params, **{f"n{i}": f for i, f in enumerate(fields)}, "file": path.name},
    )
    missing = _fields_absent(con, fields, field_params)
    con.execute("DROP TABLE _json_docs; DROP TABLE _records")
    return missing


def _fields_absent(
    con: duckdb.DuckDBPyConnection, fields: list[str], params: dict[str, object]
) -> list[str]:
    """Fields that no record of the file has (a field that is sometimes null is fine)."""
    if not fields:
        return []
    counts = ", ".join(
        f"count(*) FILTER (WHERE json_exists(rec, $p{i}))" for i in range(len(fields))
    )
    row = con.execute(f"SELECT count(*), {counts} FROM _records", params).fetchone() or ()
    if not row or not row[0]:
        return []
    return [field for field, seen in zip(fields, row[1:], strict=True) if not seen]
