"""Read one extract file into the temp table ``_numbered``: every field as text, plus the file
name (``_file``) and where the row is in it (``_line``).

CSV: every column as text, with the raw column names trimmed, always: some exports pad header
names with spaces ("         ISSUE_DATE"), and a mapping refers to the trimmed name. ``_line``
is the physical line (the header is line 1), counting the line breaks inside quoted
fields of earlier records. Lines the reader cannot split into the header's
columns go to the temp table ``_rejects`` (line, error_message).

JSON: the array of records at ``json.records`` (a dotted path, e.g. ``d.results`` for OData
pages) is unnested in SQL; each referenced field (a dotted path such as ``locations.zip``)
becomes a text column named by its path. ``_line`` is the record's 1-based index in the
array ("record N" in messages).
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

import duckdb

from pipelines.loading.common import LoadError, quote
from pipelines.source_config import CsvOptions

# OData pages are one JSON object per file; DuckDB's default object limit is 16 MB.
_MAX_JSON_OBJECT_BYTES = 1 << 30
# Free-text fields (notes, descriptions) can run to megabytes; DuckDB's default line limit
# (2 MB) would fail the whole file on one long note.
MAX_LINE_BYTES = 256 << 20
_COMMON_DELIMITERS = (",", ";", "|", "\t")
_ENCODING_ADVICE = (
    " (set csv.encoding in the mapping, e.g. latin-1, or re-export the file as UTF-8)"
)


def read_csv_numbered(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    opts: CsvOptions,
    referenced: Collection[str] = (),
) -> int:
    """Fill _numbered and _rejects from one CSV file; return how many lines were rejected.

    ``referenced`` names the raw columns the mapping reads: a header naming one of them twice
    is an error, since the mapping could not say which of the two it means.
    """
    _check_not_empty(path)
    compression = "gzip" if _is_gzip(path) else "auto"
    # DuckDB appends every scan's rejects to the same temp tables; start each file afresh.
    con.execute("DROP TABLE IF EXISTS reject_errors; DROP TABLE IF EXISTS reject_scans")
    options = [opts.delimiter, opts.quote, opts.escape, opts.encoding]
    try:
        _check_header(con, path, opts, options, compression, referenced)
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _file_rows AS SELECT * FROM read_csv(?, header = true, "
            "all_varchar = true, delim = ?, quote = ?, escape = ?, encoding = ?, nullstr = ?, "
            "compression = ?, max_line_size = ?, store_rejects = true, ignore_errors = true, "
            "sample_size = -1)",
            [str(path), *options, opts.null_strings or [""], compression, MAX_LINE_BYTES],
        )
    except duckdb.Error as exc:
        raise LoadError(
            f"{path}: DuckDB could not read this file as CSV ({str(exc).splitlines()[0]}); "
            "check the file and the csv options (delimiter, encoding) in its mapping"
        ) from exc
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
    # A quoted field holding line breaks makes its record span several lines: the lines of
    # every earlier record's embedded breaks push a record further down the file.
    breaks = _embedded_breaks(con)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _numbered AS SELECT {_trimmed_columns(con)}, ? AS _file, "
        "(f.rowid + 2 + (SELECT count(*) FROM _rejects r WHERE r.line - 1 - r.j <= f.rowid + 1)"
        f" + coalesce(sum({breaks}) OVER (ORDER BY f.rowid ROWS BETWEEN UNBOUNDED PRECEDING "
        "AND 1 PRECEDING), 0))::BIGINT AS _line FROM _file_rows f",
        [path.name],
    )
    con.execute("DROP TABLE _file_rows")
    (rejected,) = con.execute("SELECT count(*) FROM _rejects").fetchone() or (0,)
    return int(rejected)


def _embedded_breaks(con: duckdb.DuckDBPyConnection) -> str:
    """SQL counting the line breaks inside one record's fields of _file_rows."""
    names = [row[0] for row in con.execute("DESCRIBE _file_rows").fetchall()]
    fields = ", ".join(f"f.{quote(name)}" for name in names)
    joined = f"concat_ws('', {fields})" if names else "''"
    return f"(length({joined}) - length(replace({joined}, chr(10), '')))"


def _check_not_empty(path: Path) -> None:
    """An empty file has no header: say so, instead of listing every column as missing."""
    if path.stat().st_size == 0:
        raise LoadError(
            f"{path}: the file is empty (0 bytes, not even a header line); the export probably "
            "failed: export it again, or move it out of the extract folder and run again"
        )


def _is_gzip(path: Path) -> bool:
    """True when the file starts with gzip's magic bytes, whatever its name says."""
    with path.open("rb") as handle:
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
        "quote = ?, escape = ?, encoding = ?, compression = ?, max_line_size = ?, "
        "ignore_errors = true) LIMIT 1",
        [str(path), *options, compression, MAX_LINE_BYTES],
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


def _trimmed_columns(con: duckdb.DuckDBPyConnection) -> str:
    """Select list renaming each column of _file_rows to its trimmed name (first one wins)."""
    names = [row[0] for row in con.execute("DESCRIBE _file_rows").fetchall()]
    taken: set[str] = set()
    items = []
    for name in names:
        trimmed = name.strip() or name
        # Two headers that trim to the same text keep the later one's untrimmed name.
        alias = trimmed if trimmed not in taken else name
        taken.add(alias)
        items.append(f"f.{quote(name)} AS {quote(alias)}")
    return ", ".join(items)


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
        "$file AS _file, _line FROM _records",
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
