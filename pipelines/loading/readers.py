"""Read one extract file into the temp table ``_numbered``: every field as text, plus the file
name (``_file``) and where the row is in it (``_line``).

CSV: every column as text, with the raw column names trimmed, always: some exports pad header
names with spaces ("         ISSUE_DATE"), and a mapping refers to the trimmed name. ``_line``
is the physical line (the header is line 1). Lines the reader cannot split into the header's
columns go to the temp table ``_rejects`` (line, error_message).

JSON: the array of records at ``json.records`` (a dotted path, e.g. ``d.results`` for OData
pages) is unnested in SQL; each referenced field (a dotted path such as ``locations.zip``)
becomes a text column named by its path. ``_line`` is the record's 1-based index in the
array ("record N" in messages).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipelines.loading.common import LoadError, quote
from pipelines.source_config import CsvOptions

# OData pages are one JSON object per file; DuckDB's default object limit is 16 MB.
_MAX_JSON_OBJECT_BYTES = 1 << 30


def read_csv_numbered(con: duckdb.DuckDBPyConnection, path: Path, opts: CsvOptions) -> int:
    """Fill _numbered and _rejects from one CSV file; return how many lines were rejected."""
    # DuckDB appends every scan's rejects to the same temp tables; start each file afresh.
    con.execute("DROP TABLE IF EXISTS reject_errors; DROP TABLE IF EXISTS reject_scans")
    try:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _file_rows AS SELECT * FROM read_csv(?, header = true, "
            "all_varchar = true, delim = ?, quote = ?, escape = ?, encoding = ?, nullstr = ?, "
            "store_rejects = true, ignore_errors = true, sample_size = -1)",
            [
                str(path),
                opts.delimiter,
                opts.quote,
                opts.escape,
                opts.encoding,
                opts.null_strings or [""],
            ],
        )
    except duckdb.Error as exc:
        raise LoadError(
            f"{path}: DuckDB could not read this file as CSV ({str(exc).splitlines()[0]}); "
            "check the file and the csv options (delimiter, encoding) in its mapping"
        ) from exc
    # reject_errors has a row per error and a line may have several: one row per line here.
    # Physical line of each accepted record: header is line 1 and every rejected line before a
    # record pushes it down by one (records with embedded newlines count as one line).
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _rejects AS SELECT line, "
        "row_number() OVER (ORDER BY line) - 1 AS j, "
        "string_agg(DISTINCT error_message, '; ') AS error_message "
        "FROM reject_errors GROUP BY line"
    )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _numbered AS SELECT {_trimmed_columns(con)}, ? AS _file, "
        "(f.rowid + 2 + (SELECT count(*) FROM _rejects r WHERE r.line - 1 - r.j <= f.rowid + 1))"
        "::BIGINT AS _line FROM _file_rows f",
        [path.name],
    )
    con.execute("DROP TABLE _file_rows")
    (rejected,) = con.execute("SELECT count(*) FROM _rejects").fetchone() or (0,)
    return int(rejected)


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
