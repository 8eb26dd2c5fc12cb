"""Read one extract file: every field as text, plus the file name (``_file``) and where the row
is in it (``_line``).

CSV: appended straight to the caller's table in one read, every column as text, with the raw
column names trimmed, always: some exports pad header names with spaces ("         ISSUE_DATE"),
and a mapping refers to the trimmed name. ``_line`` is the physical line (the header is line
1), counting the line breaks inside quoted fields of earlier records. Lines the reader cannot
split into the header's columns go to the temp table ``_rejects`` (line, error_message).
A ``RowShape`` may write other columns computed from these in the same statement (the staged,
typed columns): the line is then corrected in the column it names.

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

from pipelines.config.files import NotAFile, open_regular
from pipelines.ingest.common import LoadError, create_table, relation_exists, scalar
from pipelines.ingest.mapping import CsvOptions
from pipelines.warehouse.schema import quote

# OData pages are one JSON object per file; DuckDB's default object limit is 16 MB.
_MAX_JSON_OBJECT_BYTES = 1 << 30
# Free-text fields (notes, descriptions) can run to megabytes; DuckDB's default line limit
# (2 MB) would fail the whole file on one long note. The read buffer is one such line: DuckDB's
# default (16 lines, 4 GiB) is allocated whole for a gzip file and passes the memory limit.
MAX_LINE_BYTES = 256 << 20
_COMMON_DELIMITERS = (",", ";", "|", "\t")
_ENCODING_ADVICE = (
    " (set csv.encoding in the mapping, e.g. latin-1, or re-export the file as UTF-8)"
)


def _raw_rows(rows: str) -> str:
    return f"SELECT * FROM {rows}"


@dataclass(frozen=True)
class RowShape:
    """What a CSV read writes: ``select`` turns the raw rows (a subquery) into the SELECT written.

    The default writes the raw rows as they are. Whatever it writes keeps ``_has_break``, and
    the physical line number in the column ``line``.
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
    ``_file`` and ``_line``, ``target`` gets ``_has_break`` (a field of the record holds a line
    break). ``shape`` writes other columns computed from those in the same statement (and
    names the column holding the line). Rejected lines are left in the temp table
    ``_rejects`` (line, error_message).
    """
    _check_not_empty(path)
    compression = "gzip" if _is_gzip(path) else "auto"
    # DuckDB appends every scan's rejects to the same temp tables; start each file afresh.
    con.execute("DROP TABLE IF EXISTS reject_errors; DROP TABLE IF EXISTS reject_scans")
    options = [opts.delimiter, opts.quote, opts.escape, opts.encoding]
    params: dict[str, object] = {
        "path": str(path),
        "delim": opts.delimiter,
        "quote": opts.quote,
        "escape": opts.escape,
        "encoding": opts.encoding,
        "nulls": opts.null_strings or [""],
        "compression": compression,
        "max_line": MAX_LINE_BYTES,
    }
    # Every column is text and the dialect is given, so the sniffer's default sample is
    # enough: there are no types to infer from the rest of the file.
    read = (
        "read_csv($path, header = true, all_varchar = true, delim = $delim, quote = $quote, "
        "escape = $escape, encoding = $encoding, nullstr = $nulls, compression = $compression, "
        "max_line_size = $max_line, buffer_size = $max_line, store_rejects = true, "
        "ignore_errors = true)"
    )
    try:
        _check_header(con, path, opts, options, compression, referenced)
        names = [row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {read}", params).fetchall()]
    except duckdb.Error as exc:
        raise _unreadable(path, exc) from exc
    aliases = _trimmed_aliases(names)
    if check is not None:
        check(set(aliases))
    exists = relation_exists(con, target)
    # rowids are dense (the loader never deletes from these tables): the file's rows are the
    # ones from ``start`` on.
    start = scalar(con, f"SELECT count(*) FROM {target}") if exists else 0
    kept = "".join(
        f"{quote(n)} AS {quote(a)}, "
        for n, a in zip(names, aliases, strict=True)
        if keep is None or a in keep
    )
    has_break = " OR ".join(f"contains({quote(n)}, chr(10))" for n in names) or "false"
    # Provisional _line: the record's position + 2 (the header is line 1), right for every
    # file without rejected lines or line breaks inside quoted fields; corrected below.
    verb = f"INSERT INTO {target} BY NAME" if exists else f"{create_table(target)} AS"
    rows = (
        f"SELECT {kept}$file AS _file, (row_number() OVER () + 1)::BIGINT AS _line, "
        f"({has_break}) AS _has_break FROM {read}"
    )
    shape = shape or RowShape()
    accepted = _in_file_order(
        con,
        path,
        f"{verb} {shape.select(f'({rows})')}",
        {**params, **shape.params, "file": path.name},
    )
    # reject_errors has a row per error and a line may have several (a short line has one per
    # missing column): the first of each kind, one row per line here.
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _rejects AS SELECT line, "
        "row_number() OVER (ORDER BY line) - 1 AS j, "
        "string_agg(error_message || CASE WHEN error_type = 'INVALID ENCODING' THEN ? ELSE '' END, "
        "'; ' ORDER BY error_type) AS error_message "
        "FROM (SELECT line, error_type, arg_min(error_message, column_idx) AS error_message "
        "FROM reject_errors GROUP BY line, error_type) GROUP BY line",
        [_ENCODING_ADVICE],
    )
    rejected = scalar(con, "SELECT count(*) FROM _rejects")
    broken = con.execute(
        f"SELECT 1 FROM {target} WHERE rowid >= $start AND _has_break LIMIT 1", {"start": start}
    ).fetchone()
    if rejected or broken:
        _renumber_lines(con, path, (target, shape.line), start, read, params, names)
    return accepted, rejected


def _in_file_order(
    con: duckdb.DuckDBPyConnection, path: Path, sql: str, params: dict[str, object]
) -> int:
    """Run a statement reading the file with insertion order preserved; the rows it wrote."""
    # row_number() OVER () counts records in file order only while insertion order is kept.
    preserve = con.execute("SELECT current_setting('preserve_insertion_order')").fetchone()
    con.execute("SET preserve_insertion_order = true")
    try:
        return scalar(con, sql, params)
    except duckdb.Error as exc:
        raise _unreadable(path, exc) from exc
    finally:
        if preserve and not preserve[0]:
            con.execute("SET preserve_insertion_order = false")


def _unreadable(path: Path, exc: duckdb.Error) -> LoadError:
    return LoadError(
        f"{path}: DuckDB could not read this file as CSV ({str(exc).splitlines()[0]}); "
        "check the file and the csv options (delimiter, encoding) in its mapping"
    )


def _renumber_lines(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    written: tuple[str, str],
    start: int,
    read: str,
    params: dict[str, object],
    names: list[str],
) -> None:
    """Set the line of the file's rows to the physical line, past rejects and embedded breaks.

    ``written`` is the table the rows went to and its column holding the line.
    """
    target, line = written[0], quote(written[1])
    # Only files with rejected lines or multi-line records come here: the file is read again
    # for the line breaks of every field, kept or not.
    joined = f"concat_ws('', {', '.join(quote(n) for n in names)})" if names else "''"
    breaks = f"(length({joined}) - length(replace({joined}, chr(10), '')))"
    _in_file_order(
        con,
        path,
        "CREATE OR REPLACE TEMP TABLE _file_breaks AS SELECT (row_number() OVER () + 1)::BIGINT "
        f"AS _line, {breaks} AS _breaks FROM {read}",
        params,
    )
    # A rejected line before a record pushes it one line down; so do the line breaks inside
    # quoted fields of every earlier record. b._line - 2 is the record's position in the file.
    con.execute(
        f"UPDATE {target} t SET {line} = c.line FROM (SELECT b._line AS provisional, (b._line + "
        "(SELECT count(*) FROM _rejects r WHERE r.line - 1 - r.j <= b._line - 1)"
        " + coalesce(sum(b._breaks) OVER (ORDER BY b._line ROWS BETWEEN UNBOUNDED PRECEDING "
        "AND 1 PRECEDING), 0))::BIGINT AS line FROM _file_breaks b) c "
        f"WHERE t.rowid >= $start AND t.{line} = c.provisional",
        {"start": start},
    )
    con.execute("DROP TABLE _file_breaks")


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


def _check_header(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    opts: CsvOptions,
    options: list[str],
    compression: str,
    referenced: Collection[str],
) -> None:
    """Stop on a header split by another delimiter, or naming a mapped column twice."""
    # The header line as data: one text value per field, as the file's options split it.
    row = con.execute(
        "SELECT * FROM read_csv(?, header = false, all_varchar = true, delim = ?, "
        "quote = ?, escape = ?, encoding = ?, compression = ?, max_line_size = ?, buffer_size = ?, "
        "ignore_errors = true) LIMIT 1",
        [str(path), *options, compression, MAX_LINE_BYTES, MAX_LINE_BYTES],
    ).fetchone()
    names = [str(name).strip() for name in row or () if name is not None]
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


def _trimmed_aliases(names: list[str]) -> list[str]:
    """Each column's trimmed name (first one wins), in the file's order."""
    taken: set[str] = set()
    aliases = []
    for name in names:
        trimmed = name.strip() or name
        # Two headers that trim to the same text keep the later one's untrimmed name.
        alias = trimmed if trimmed not in taken else name
        taken.add(alias)
        aliases.append(alias)
    return aliases


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
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _numbered AS SELECT {', '.join([*selects, ''])}"
        "$file AS _file, _line, false AS _has_break FROM _records",
        {**field_params, "file": path.name},
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
