"""Load one source's extract files into raw and staged tables, accounting for every row.

raw_<source>   (a temp table, ``raw_table``) every field the mapping reads, as text, exactly
               as DuckDB's reader found it, plus the file and the line (CSV) or the record
               number in the file's array (JSON) it came from. CSV column names are always
               trimmed: a mapping refers to "ISSUE_DATE" even when the header says
               "         ISSUE_DATE". A working copy read once by ``stage``, which drops it: it
               never reaches the warehouse file (a failed build keeps the staged rows).
raw.<source>__<join>
               each related file of ``joins:``, one row per key (see pipelines/loading/joins.py).
stg_<source>   the canonical columns of the mapping's kind (service_requests, permits or
               inspections), typed, with joined values and derived due times; values that do
               not parse and status words the mapping does not know are quarantined with a
               reason here, before validation sees the batch.
Rows the CSV reader itself cannot split into the header's columns (or longer than the line
limit) are rejected with DuckDB's own reason, at their physical line. Only the main files are
input rows (``resolve_files``); rows of a joined file that match no main record are reported
in ``validation_results``.

A run reads with ``typed``: a CSV mapping without joins (the common case) then skips the raw
table, and each file is read, typed and written to stg_<source> in one statement (a 10M-row
text copy costs as much to write and read back as the file costs to parse); ``stage`` then
only sets aside the values that did not parse. Rows, lines, quarantine and errors are the
same either way; ``citystat sources check`` reads the raw table, so reads without ``typed``.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipelines.city.paths import sources_dir
from pipelines.ingest.common import (
    FileCount,
    LoadError,
    create_table,
    mapping_file,
    raw_table,
    relation_exists,
    scalar,
    staged_table,
)
from pipelines.ingest.expressions import district_expression, zip_expression
from pipelines.ingest.joins import (
    JOIN_EXPECTATION,
    JoinAccount,
    read_joins,
    record_join_accounts,
)
from pipelines.ingest.mapping import CsvOptions, SourceMapping, column_coverage
from pipelines.ingest.matching import MatchedFiles, SkippedFile, checked_file, match_files
from pipelines.ingest.readers import RowShape, csv_header, read_csv_numbered, read_json_numbered
from pipelines.ingest.staging import stage, typed_shape

__all__ = [
    "FileCount",
    "JoinAccount",
    "LoadError",
    "MatchedFiles",
    "SkippedFile",
    "apply_district_lookup",
    "column_coverage",
    "crosswalk_header",
    "find_files",
    "join_messages",
    "raw_table",
    "read_raw",
    "resolve_files",
    "stage",
    "staged_table",
]


def resolve_files(mapping: SourceMapping) -> list[Path]:
    """The extract's main files a mapping points at, sorted; LoadError if there are none.

    Only regular files inside the root are returned (``find_files`` says what was skipped).
    """
    return find_files(mapping).files


def find_files(mapping: SourceMapping) -> MatchedFiles:
    """The main files to read, and every file a pattern matched but the run skips (``matching``).

    The joined files' patterns are checked too, so a run stops before building anything
    when a file leads outside its root. LoadError when no main file is left to read.
    """
    found = match_files(mapping.files, mapping)
    skipped = list(found.skipped)
    for join in mapping.joins:
        skipped += [
            SkippedFile(f"{join.name}: {s.file}", s.reason)
            for s in match_files(join.files, mapping).skipped
        ]
    if not found.files:
        base = mapping.files.base()
        also = "".join(f"; {s.file} is {s.reason}" for s in found.skipped)
        fix = (
            "run `citystat demo-data` for the demo extract, or check files.pattern in its mapping"
            if mapping.demo
            else "put the extract there, or change files.pattern (and files.root) in its mapping "
            "to where it is"
        )
        raise LoadError(
            f"source '{mapping.source}': no file matches {base / mapping.files.pattern}{also}; "
            f"{fix}"
        )
    return MatchedFiles(found.files, skipped)


def read_raw(
    con: duckdb.DuckDBPyConnection,
    mapping: SourceMapping,
    files: list[Path],
    run_id: str,
    *,
    typed: bool = False,
) -> list[FileCount]:
    """Read every main file as text into the temp raw_<source>, then the joined files; account rows.

    Lines the CSV reader rejects go to quarantine; each join's unmatched rows are recorded in
    validation_results (see ``join_messages``). With ``typed``, the rows of a CSV mapping
    without joins are typed as they are read, straight into stg_<source>, and ``stage`` then
    only quarantines the values that did not parse: the text copy is never written.
    """
    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    con.execute(f"DROP TABLE IF EXISTS {raw_table(mapping)}")
    shape = None
    if typed and mapping.format == "csv" and not mapping.joins:
        # stage() sees no raw table and finishes these rows instead of typing them again.
        con.execute(f"DROP TABLE IF EXISTS {_typed_target(mapping)}")
        shape = typed_shape(mapping)
    counts = [_read_one_file(con, mapping, path, run_id, shape) for path in files]
    if mapping.joins:
        record_join_accounts(con, mapping, run_id, read_joins(con, mapping))
    return counts


def _typed_target(mapping: SourceMapping) -> str:
    return f"temp.main.{staged_table(mapping)}"


def _read_one_file(
    con: duckdb.DuckDBPyConnection,
    mapping: SourceMapping,
    path: Path,
    run_id: str,
    shape: RowShape | None = None,
) -> FileCount:
    target = raw_table(mapping) if shape is None else _typed_target(mapping)
    if mapping.format == "csv":
        try:
            accepted, rejected = _read_csv(con, mapping, path, target, shape)
        except LoadError:
            if shape is not None:
                _fail_as_untyped(con, mapping, path)
            raise
        _quarantine_rejects(con, mapping, path, run_id)
        con.execute("DROP TABLE _rejects")
        return FileCount(file=path.name, rows_read=accepted + rejected, rows_rejected=rejected)
    fields = mapping.main_references()
    absent = read_json_numbered(con, path, mapping.json_options.records, fields)
    if absent:
        raise LoadError(
            f"{path}: no record has the field(s) {', '.join(absent)}; fix the extract or "
            f"the columns section of {mapping_file(mapping)} (nested fields are dotted "
            "paths such as locations.zip)"
        )
    if relation_exists(con, target):
        con.execute(f"INSERT INTO {target} BY NAME SELECT * FROM _numbered")
    else:
        con.execute(f"{create_table(target)} AS SELECT * FROM _numbered")
    accepted = scalar(con, "SELECT count(*) FROM _numbered")
    con.execute("DROP TABLE _numbered")
    return FileCount(file=path.name, rows_read=accepted, rows_rejected=0)


def _read_csv(
    con: duckdb.DuckDBPyConnection,
    mapping: SourceMapping,
    path: Path,
    target: str,
    shape: RowShape | None,
) -> tuple[int, int]:
    """Append one CSV file's rows to target (text, or typed by ``shape``): (accepted, rejected)."""
    return read_csv_numbered(
        con,
        path,
        mapping.csv,
        target,
        mapping.main_references(),
        check=lambda names: _check_columns(mapping, path, names),
        # Staging reads only the mapped columns; the rest would be written for nothing.
        keep=set(mapping.main_references()),
        shape=shape,
    )


def _fail_as_untyped(con: duckdb.DuckDBPyConnection, mapping: SourceMapping, path: Path) -> None:
    """Raise the error reading the file as text, then staging it, raises (the typed read failed).

    A typed read fails where either step would, but DuckDB's message cannot say which: the
    file is read again the slow way so the error is the one the analyst would have seen.
    """
    con.execute(f"DROP TABLE IF EXISTS {raw_table(mapping)}")
    _read_csv(con, mapping, path, raw_table(mapping), None)
    shape = typed_shape(mapping)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _untyped_check AS {shape.select(raw_table(mapping))}",
        dict(shape.params),
    )
    # Neither step failed alone: the caller raises the typed read's own error.
    con.execute(f"DROP TABLE _untyped_check; DROP TABLE {raw_table(mapping)}")


def _check_columns(mapping: SourceMapping, path: Path, names: set[str]) -> None:
    """Stop before reading a file whose header lacks a column the mapping reads."""
    missing = [raw for raw in mapping.main_references() if raw not in names]
    if missing:
        raise LoadError(
            f"{path}: required column(s) {', '.join(missing)} not in the file's header; "
            f"fix the extract or the columns section of {mapping_file(mapping)} "
            "(header names are compared after trimming spaces)"
        )


def _quarantine_rejects(
    con: duckdb.DuckDBPyConnection, mapping: SourceMapping, path: Path, run_id: str
) -> None:
    con.execute(
        "INSERT INTO quarantine SELECT ?, ?, ?, line, NULL, 'csv_reader_rejected', NULL, "
        "'line ' || line || ' could not be read: ' || error_message || '; repair the line "
        "(quoting, delimiter, column count) or re-export the file' FROM _rejects",
        [run_id, mapping.source, path.name],
    )


def join_messages(con: duckdb.DuckDBPyConnection, run_id: str, source: str) -> list[str]:
    """What each join of a source did with its rows in a run ("932 violations match no ...")."""
    rows = con.execute(
        "SELECT details FROM validation_results WHERE run_id = ? AND source = ? "
        "AND expectation_type = ? ORDER BY suite",
        [run_id, source, JOIN_EXPECTATION],
    ).fetchall()
    return [str(row[0]) for row in rows]


def crosswalk_header(con: duckdb.DuckDBPyConnection, mapping: SourceMapping) -> Path:
    """The mapping's zip-to-district crosswalk, checked: it exists and has zip and
    council_district columns (LoadError naming the file and what to do otherwise)."""
    assert mapping.district_from_zip is not None
    path = mapping.district_from_zip.path()
    # Inside the mappings folder (after symbolic links) and a regular file, before it is opened.
    checked_file(path, sources_dir(), f"district crosswalk named in {mapping_file(mapping)}")
    if not path.is_file():
        raise LoadError(
            f"{path}: the district crosswalk named by district_from_zip in "
            f"{mapping_file(mapping)} is missing; restore the file or correct district_from_zip"
        )
    header = csv_header(con, path, CsvOptions())
    missing = [c for c in ("zip", "council_district") if c not in header]
    if missing:
        raise LoadError(
            f"{path}: the district crosswalk has no {' or '.join(missing)} column (its header: "
            f"{', '.join(header) or 'empty'}); write it as zip,council_district"
        )
    return path


def apply_district_lookup(con: duckdb.DuckDBPyConnection, mapping: SourceMapping) -> None:
    """Fill council_district from the zip crosswalk where the extract has no district."""
    if mapping.district_from_zip is None:
        return
    path = crosswalk_header(con, mapping)
    # The crosswalk's values are normalised as the extract's are: zips to five digits, districts
    # without padding ("05" is "5", "00" stays "00"), so both name a district the same way.
    district = district_expression("trim(x.council_district)")
    zipcode = zip_expression("trim(x.zip)")
    con.execute(
        f"UPDATE {staged_table(mapping)} s SET council_district = {district} "
        "FROM read_csv(?, header = true, all_varchar = true) x "
        f"WHERE s.council_district IS NULL AND s.zip = {zipcode}",
        [str(path)],
    )
