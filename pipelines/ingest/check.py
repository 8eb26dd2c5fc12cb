"""`citystat sources check`: every problem of a source mapping, found at once, with its line.

It checks what `citystat run` checks before and while it loads the source, so a clean check
means the run will not stop on the mapping:

1. the mapping itself (unknown keys, wrong types, unknown canonical columns, the city's time
   zone), all its problems together;
2. the files: the main files, each join's files and the district crosswalk exist; every main
   file's header has each raw column the mapping reads (columns, id_from, join keys), each
   joined file's header the columns its join reads, the crosswalk zip and council_district;
3. a sample of the first file: timestamp values no format parses, status words the mapping
   does not map; and rules that would leave a derived column empty (a due rule whose start
   or key is not mapped).

Each problem is reported once, at the line of the key to change.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path

import duckdb

from pipelines.ingest import extract
from pipelines.ingest.columns import match_key, timestamp_columns
from pipelines.ingest.expressions import (
    raw_reference,
    timestamp_expression,
    timestamp_parameters,
)
from pipelines.ingest.joins import join_fields, join_files
from pipelines.ingest.mapping import CsvOptions, SourceMapping
from pipelines.ingest.mapping_files import MappingError, guarded_text, load_mapping
from pipelines.ingest.readers import csv_header
from pipelines.warehouse.files import load_tree
from pipelines.warehouse.schema import create_schema

SAMPLE_ROWS = 1000
# The columns a zip-to-district crosswalk must have (``district_from_zip``).
CROSSWALK_COLUMNS = ("zip", "council_district")


def check_mapping_file(path: Path, sample_rows: int = SAMPLE_ROWS) -> list[str]:
    """Every problem of one mapping file as 'file:line: message' lines (empty when clean)."""
    try:
        mapping = load_mapping(path)
    except MappingError as exc:
        return list(dict.fromkeys(exc.problems))
    lines = _KeyLines(path)
    con = duckdb.connect()
    try:
        files, problems = _main_files(mapping, lines)
        blocking = bool(problems)  # the sample needs readable files with every column
        found = _header_problems(con, mapping, files, lines) if files else []
        found += _join_problems(con, mapping, lines)
        blocking = blocking or bool(found)
        problems += found
        problems += _due_rule_problems(mapping, lines)
        problems += _crosswalk_problems(con, mapping, lines)
        if not blocking:
            problems += _sample_problems(con, mapping, files[0], lines, sample_rows)
    finally:
        con.close()
    return list(dict.fromkeys(problems))


def _main_files(mapping: SourceMapping, lines: _KeyLines) -> tuple[list[Path], list[str]]:
    try:
        return extract.resolve_files(mapping), []
    except (extract.LoadError, ValueError) as exc:  # ValueError: files.root names no folder
        return [], [f"{lines.path}:{lines.at('files')}: {exc}"]


def _missing_columns(
    path: Path,
    wanted: Iterable[tuple[str, str, int]],
    header_of: dict[Path, list[str]],
    listing: tuple[int, str],
) -> list[str]:
    """One problem per wanted raw column some file's header lacks, naming those files; then,
    if any, the header of the first such file to choose from (``listing``: its line, and
    what to do with the header's columns).

    ``wanted`` holds (raw column, what reads it, line of the key naming it).
    """
    problems = []
    first: Path | None = None
    for column, reader, line in wanted:
        lacking = [f for f, header in header_of.items() if column not in header]
        if not lacking:
            continue
        first = first or lacking[0]
        close = difflib.get_close_matches(column, header_of[lacking[0]], n=1)
        hint = (
            f"did you mean '{close[0]}'?" if close else "use a column of the header (listed below)"
        )
        where = (
            lacking[0].name if len(lacking) == 1 else f"{len(lacking)} files ({_names(lacking)})"
        )
        problems.append(
            f"{path}:{line}: column '{column}' (for {reader}) is not in the header of {where}; "
            f"{hint}"
        )
    if first is not None:
        problems.append(
            f"{path}:{listing[0]}: the header of {first.name} is "
            f"{', '.join(header_of[first]) or '(empty)'}; {listing[1]}"
        )
    return problems


def _names(paths: list[Path], shown: int = 3) -> str:
    names = [p.name for p in paths[:shown]]
    return ", ".join(names) + (f" and {len(paths) - shown} more" if len(paths) > shown else "")


def _headers(
    con: duckdb.DuckDBPyConnection,
    files: list[Path],
    options: CsvOptions,
    where: str,
    referenced: Iterable[str] = (),
) -> tuple[dict[Path, list[str]], list[str]]:
    """Each readable file's header; a problem (at ``where``) for each file that is not."""
    headers: dict[Path, list[str]] = {}
    problems = []
    for file in files:
        try:
            headers[file] = csv_header(con, file, options, list(referenced))
        except extract.LoadError as exc:
            problems.append(f"{where}: {exc}")
    return headers, problems


def _header_problems(
    con: duckdb.DuckDBPyConnection, mapping: SourceMapping, files: list[Path], lines: _KeyLines
) -> list[str]:
    """Raw columns of the main files (columns, id_from, join keys) some header does not have."""
    if mapping.format != "csv":
        return []  # JSON fields are nested paths: the sample read names the missing ones
    wanted: dict[str, tuple[str, int]] = {}
    for canonical, ref in mapping.columns.items():
        join, field = mapping.split_reference(ref)
        if join is None:
            prior = wanted.get(field)
            readers = f"{prior[0]}, {canonical}" if prior else canonical
            wanted[field] = (readers, prior[1] if prior else lines.at("columns", canonical))
    for index, part in enumerate(mapping.id_from or []):
        wanted.setdefault(part, (f"id_from part {index + 1}", lines.at("id_from")))
    for index, join in enumerate(mapping.joins):
        for main in join.on:
            wanted.setdefault(main, (f"join {join.name}'s key", lines.at("joins", index, "on")))
    where = f"{lines.path}:{lines.at('csv')}"
    headers, problems = _headers(con, files, mapping.csv, where, mapping.main_references())
    if headers:
        triples = [(column, reader, line) for column, (reader, line) in wanted.items()]
        listing = (lines.at("columns"), "map each canonical column to one of these")
        problems += _missing_columns(lines.path, triples, headers, listing)
    return problems


def _join_problems(
    con: duckdb.DuckDBPyConnection, mapping: SourceMapping, lines: _KeyLines
) -> list[str]:
    """Each join: its files exist and their headers have the columns the join reads."""
    problems = []
    for index, join in enumerate(mapping.joins):
        try:
            files = join_files(mapping, join)
        except (extract.LoadError, ValueError) as exc:
            problems.append(f"{lines.path}:{lines.at('joins', index, 'files')}: {exc}")
            continue
        where = f"{lines.path}:{lines.at('joins', index)}"
        headers, unreadable = _headers(con, files, join.csv, where)
        problems += unreadable
        wanted = [
            (field, f"join {join.name}", lines.at(*key))
            for field, key in join_fields(mapping, join, index)
        ]
        if headers:
            listing = (lines.at("joins", index), f"name one of these in join {join.name}")
            problems += _missing_columns(lines.path, wanted, headers, listing)
    return problems


def _crosswalk_problems(
    con: duckdb.DuckDBPyConnection, mapping: SourceMapping, lines: _KeyLines
) -> list[str]:
    """The zip-to-district crosswalk exists and has a zip and a council_district column."""
    lookup = mapping.district_from_zip
    if lookup is None:
        return []
    where = f"{lines.path}:{lines.at('district_from_zip', 'file')}"
    try:
        extract.crosswalk_header(con, mapping)
    except extract.LoadError as exc:
        return [f"{where}: {exc}"]
    return []


def _due_rule_problems(mapping: SourceMapping, lines: _KeyLines) -> list[str]:
    """A due rule whose start or key the mapping does not fill derives no due time at all."""
    filled = set(mapping.columns) | set(mapping.constants)
    problems = []
    for index, rule in enumerate(mapping.due_rules):
        for field in ("start", "key"):
            column = getattr(rule, field)
            if column not in filled:
                problems.append(
                    f"{lines.path}:{lines.at('due_rules', index, field)}: due rule {field} "
                    f"'{column}' is not mapped, so the rule would derive no {rule.target}; map "
                    f"{column} under columns (or constants), or remove the rule"
                )
    return problems


def _sample_problems(
    con: duckdb.DuckDBPyConnection,
    mapping: SourceMapping,
    first: Path,
    lines: _KeyLines,
    sample_rows: int,
) -> list[str]:
    """Read the first file as the run does, then check its timestamps and status words."""
    create_schema(con)
    try:
        extract.read_raw(con, mapping, [first], run_id="sources-check")
    except extract.LoadError as exc:
        return [f"{lines.path}:{lines.at('files')}: {exc}"]
    return [
        *_timestamp_problems(con, mapping, first, lines, sample_rows),
        *_status_problems(con, mapping, first, lines),
    ]


def _timestamp_problems(
    con: duckdb.DuckDBPyConnection,
    mapping: SourceMapping,
    first: Path,
    lines: _KeyLines,
    sample_rows: int,
) -> list[str]:
    """Timestamp columns whose sampled values match none of the mapping's formats."""
    problems = []
    for canonical in timestamp_columns(mapping.kind):
        ref = mapping.columns.get(canonical)
        if ref is None or mapping.split_reference(ref)[0] is not None:
            continue
        raw = raw_reference(mapping, ref)
        parsed = timestamp_expression(mapping, raw)
        params: dict[str, object] = {"n": sample_rows, **timestamp_parameters(mapping, parsed)}
        checked, failed, example = con.execute(
            f"SELECT count(*), count(*) FILTER (WHERE p IS NULL), "
            f"any_value(v) FILTER (WHERE p IS NULL) FROM (SELECT {raw} AS v, {parsed} AS p "
            f"FROM {extract.raw_table(mapping)} r WHERE {raw} IS NOT NULL LIMIT $n)",
            params,
        ).fetchone() or (0, 0, None)
        if failed:
            problems.append(
                f"{lines.path}:{lines.at('timestamps', 'formats')}: {canonical} (raw column "
                f"{ref}): {failed} of {checked} sampled values in {first.name} match no format, "
                f"e.g. '{example}'; add its format to timestamps.formats"
            )
    return problems


def _status_problems(
    con: duckdb.DuckDBPyConnection, mapping: SourceMapping, first: Path, lines: _KeyLines
) -> list[str]:
    """Raw status words of the file that the mapping's statuses do not map."""
    ref = mapping.columns.get("status")
    if ref is None or mapping.split_reference(ref)[0] is not None:
        return []
    raw = raw_reference(mapping, ref)
    known = [match_key(word) for word in mapping.statuses]
    unmapped = con.execute(
        f"SELECT coalesce({raw}, '(blank)') AS word, count(*) AS n "
        f"FROM {extract.raw_table(mapping)} r "
        f"WHERE {raw} IS NULL OR lower({raw}) NOT IN (SELECT unnest($known)) "
        "GROUP BY ALL ORDER BY n DESC, word",
        {"known": known},
    ).fetchall()
    if not unmapped:
        return []
    words = ", ".join(f"'{word}' ({n:,} rows)" for word, n in unmapped)
    vocabulary = " | ".join(mapping.table.statuses)
    return [
        f"{lines.path}:{lines.at('statuses')}: status values in {first.name} not mapped: "
        f"{words}; add each under statuses: as {vocabulary}"
    ]


class _KeyLines:
    """Line numbers of keys in a YAML file (1-based; the file's first line when unknown)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.data = load_tree(guarded_text(path))

    def at(self, *keys: str | int) -> int:
        """Line of the deepest of these nested keys (or list positions) that exists."""
        node, line = self.data, 1
        for key in keys:
            lc = getattr(node, "lc", None)
            if lc is None:
                break
            if isinstance(key, int):
                if not isinstance(node, list) or not 0 <= key < len(node):
                    break
                line = lc.item(key)[0] + 1
            else:
                if not hasattr(node, "__contains__") or key not in node:
                    break
                line = lc.key(key)[0] + 1
            node = node[key]
        return line
