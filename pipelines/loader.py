"""Load one source's extract files into raw and staged tables, accounting for every row.

raw.<source>   every column as text, exactly as DuckDB's CSV reader found it, plus the file and
               the line each record came from;
stg_<source>   the canonical service_requests columns, typed; values that do not parse and
               status words the mapping does not know are quarantined with a reason here,
               before validation sees the batch.
Rows the CSV reader itself cannot split into the header's columns are rejected with DuckDB's
own reason and line number.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.source_config import TIMESTAMP_COLUMNS, SourceMapping
from pipelines.warehouse import SERVICE_REQUESTS_COLUMNS


class LoadError(Exception):
    """An extract that cannot be loaded; the message says which file and what to do."""


@dataclass(frozen=True)
class FileCount:
    """Rows of one input file: read from disk, and rejected by the CSV reader."""

    file: str
    rows_read: int
    rows_rejected: int


def resolve_files(mapping: SourceMapping) -> list[Path]:
    """The extract files a mapping points at, sorted; LoadError if there are none."""
    base = mapping.files.base()
    files = sorted(base.glob(mapping.files.pattern))
    if not files:
        raise LoadError(
            f"source '{mapping.source}': no file matches {base / mapping.files.pattern}; "
            "check files.pattern in its mapping, or run `citystat demo-data` for the demo extract"
        )
    return files


def raw_table(mapping: SourceMapping) -> str:
    """Quoted name of the raw table of a source."""
    return f'raw."{mapping.source}"'


def staged_table(mapping: SourceMapping) -> str:
    """Quoted name of the staged (canonical, typed) table of a source."""
    return f'"stg_{mapping.source}"'


def read_raw(
    con: duckdb.DuckDBPyConnection, mapping: SourceMapping, files: list[Path], run_id: str
) -> list[FileCount]:
    """Read every file as text into raw.<source>; rejected records go to quarantine."""
    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    con.execute(f"DROP TABLE IF EXISTS {raw_table(mapping)}")
    counts = []
    for path in files:
        counts.append(_read_one_file(con, mapping, path, run_id))
    return counts


def _read_one_file(
    con: duckdb.DuckDBPyConnection, mapping: SourceMapping, path: Path, run_id: str
) -> FileCount:
    opts = mapping.csv
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
            f"{path}: DuckDB could not read this file as {mapping.format} "
            f"({str(exc).splitlines()[0]}); check the file and csv options in its mapping"
        ) from exc
    missing = _missing_columns(con, mapping)
    if missing:
        raise LoadError(
            f"{path}: required column(s) {', '.join(missing)} not in the file's header; "
            f"fix the extract or the columns section of pipelines/sources/{mapping.source}.yml"
        )
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
        "CREATE OR REPLACE TEMP TABLE _numbered AS SELECT f.*, ? AS _file, "
        "(f.rowid + 2 + (SELECT count(*) FROM _rejects r WHERE r.line - 1 - r.j <= f.rowid + 1))"
        "::BIGINT AS _line FROM _file_rows f",
        [path.name],
    )
    target = raw_table(mapping)
    if _table_exists(con, "raw", mapping.source):
        con.execute(f"INSERT INTO {target} BY NAME SELECT * FROM _numbered")
    else:
        con.execute(f"CREATE TABLE {target} AS SELECT * FROM _numbered")
    rejected = _quarantine_rejects(con, mapping, path, run_id)
    (accepted,) = con.execute("SELECT count(*) FROM _file_rows").fetchone() or (0,)
    con.execute("DROP TABLE _file_rows; DROP TABLE _numbered; DROP TABLE _rejects")
    return FileCount(file=path.name, rows_read=int(accepted) + rejected, rows_rejected=rejected)


def _quarantine_rejects(
    con: duckdb.DuckDBPyConnection, mapping: SourceMapping, path: Path, run_id: str
) -> int:
    con.execute(
        "INSERT INTO quarantine SELECT ?, ?, ?, line, NULL, 'csv_reader_rejected', NULL, "
        "'line ' || line || ' could not be read: ' || error_message || '; repair the line "
        "(quoting, delimiter, column count) or re-export the file' FROM _rejects",
        [run_id, mapping.source, path.name],
    )
    (n,) = con.execute("SELECT count(*) FROM _rejects").fetchone() or (0,)
    return int(n)


def _missing_columns(con: duckdb.DuckDBPyConnection, mapping: SourceMapping) -> list[str]:
    names = {row[0] for row in con.execute("DESCRIBE _file_rows").fetchall()}
    return [raw for raw in mapping.columns.values() if raw not in names]


def _table_exists(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    row = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
        [schema, name],
    ).fetchone()
    return bool(row and row[0])


def _raw(mapping: SourceMapping, column: str) -> str:
    """Expression for the trimmed raw text feeding a canonical column (NULL when blank)."""
    raw = mapping.columns.get(column)
    if raw is None:
        return "NULL"
    return f"NULLIF(trim(r.\"{raw.replace(chr(34), chr(34) * 2)}\"), '')"


def _typed_expressions(mapping: SourceMapping) -> dict[str, str]:
    """SQL expression for each canonical column; $fmts, $tz, $c_<name> are bound parameters."""
    exprs: dict[str, str] = {}
    for column in SERVICE_REQUESTS_COLUMNS:
        raw = _raw(mapping, column)
        if column in mapping.constants:
            exprs[column] = f"$c_{column}"
        elif column in TIMESTAMP_COLUMNS:
            parsed = f"try_strptime({raw}, $fmts)"
            exprs[column] = (
                f"timezone($tz, timezone('UTC', {parsed}))" if mapping.timestamps.utc else parsed
            )
        elif column in ("latitude", "longitude"):
            exprs[column] = f"TRY_CAST({raw} AS DOUBLE)"
        elif column == "zip":
            exprs[column] = _zip_expression(raw)
        elif column == "council_district":
            exprs[column] = f"regexp_replace({raw}, '^(\\d+)\\.0+$', '\\1')"
        else:
            exprs[column] = raw
    exprs["status_raw"] = _raw(mapping, "status")
    exprs["status"] = "_status_map.canonical"
    exprs["source"] = "$source"
    exprs["source_file"] = "r._file"
    exprs["source_row"] = "r._line"
    return exprs


def _zip_expression(raw: str) -> str:
    # Exports store zips as floats ("2128.0") and drop New England's leading zero; ZIP+4 is cut.
    z = f"regexp_replace({raw}, '\\.0+$', '')"
    return (
        f"CASE WHEN regexp_matches({z}, '^\\d{{5}}(-\\d{{4}})?$') THEN left({z}, 5) "
        f"WHEN regexp_matches({z}, '^\\d{{3,4}}$') THEN lpad({z}, 5, '0') ELSE {z} END"
    )


def _parse_failures(mapping: SourceMapping) -> str:
    """A CASE giving the first value of a row that did not parse, as 'rule|column|reason'."""
    checks = []
    for column in (*TIMESTAMP_COLUMNS, "latitude", "longitude"):
        if column not in mapping.columns:
            continue
        raw = _raw(mapping, column)
        expr = _typed_expressions(mapping)[column]
        src = mapping.columns[column]
        fix = (
            "add its format to timestamps.formats in the mapping"
            if column in TIMESTAMP_COLUMNS
            else "correct the value or leave it blank"
        )
        checks.append(
            f"WHEN {raw} IS NOT NULL AND {expr} IS NULL THEN 'value_parses|{column}|{column} "
            f"(raw column {src}) value ''' || {raw} || ''' does not parse; {fix}'"
        )
    checks.append(
        "WHEN _status_map.canonical IS NULL THEN 'status_mapped|status|status value '''"
        " || coalesce(" + _raw(mapping, "status") + ", '') || ''' is not in the statuses "
        f"of pipelines/sources/{mapping.source}.yml; map it to open, closed or cancelled'"
    )
    return "CASE " + " ".join(checks) + " END"


def stage(con: duckdb.DuckDBPyConnection, mapping: SourceMapping, run_id: str) -> int:
    """Build stg_<source> from raw.<source>; quarantine unparseable rows; return rows staged."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _status_map AS "
        "SELECT unnest($raws)::VARCHAR AS raw, unnest($canon)::VARCHAR AS canonical",
        {
            "raws": [k.strip().lower() for k in mapping.statuses],
            "canon": list(mapping.statuses.values()),
        },
    )
    exprs = _typed_expressions(mapping)
    select = ", ".join(f"{exprs[c]} AS {c}" for c in SERVICE_REQUESTS_COLUMNS)
    status_raw = _raw(mapping, "status")
    params: dict[str, object] = {
        "source": mapping.source,
        **{f"c_{k}": v for k, v in mapping.constants.items()},
    }
    used = select + _parse_failures(mapping)
    if "$fmts" in used:
        params["fmts"] = mapping.timestamps.formats
    if "$tz" in used:
        params["tz"] = mapping.timezone
    con.execute(
        f"CREATE OR REPLACE TABLE {staged_table(mapping)} AS SELECT {select}, "
        f"{_parse_failures(mapping)} AS _failure FROM {raw_table(mapping)} r "
        f"LEFT JOIN _status_map ON _status_map.raw = lower({status_raw})",
        params,
    )
    con.execute(
        f"INSERT INTO quarantine SELECT ?, source, source_file, source_row, request_id, "
        f"split_part(_failure, '|', 1), split_part(_failure, '|', 2), "
        f"substr(_failure, length(split_part(_failure, '|', 1)) + "
        f"length(split_part(_failure, '|', 2)) + 3) "
        f"FROM {staged_table(mapping)} WHERE _failure IS NOT NULL",
        [run_id],
    )
    con.execute(f"DELETE FROM {staged_table(mapping)} WHERE _failure IS NOT NULL")
    con.execute(f"ALTER TABLE {staged_table(mapping)} DROP COLUMN _failure")
    (n,) = con.execute(f"SELECT count(*) FROM {staged_table(mapping)}").fetchone() or (0,)
    return int(n)


def apply_district_lookup(con: duckdb.DuckDBPyConnection, mapping: SourceMapping) -> None:
    """Fill council_district from the zip crosswalk where the extract has no district."""
    if mapping.district_from_zip is None:
        return
    path = mapping.district_from_zip.path()
    if not path.exists():
        raise LoadError(f"{path}: district crosswalk named in {mapping.source}.yml is missing")
    con.execute(
        f"UPDATE {staged_table(mapping)} s SET council_district = x.council_district::VARCHAR "
        "FROM read_csv(?, header = true, all_varchar = true) x "
        "WHERE s.council_district IS NULL AND s.zip = x.zip",
        [str(path)],
    )
