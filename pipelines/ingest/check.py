"""`citystat sources check`: every problem of a source mapping, found at once, with its line.

First the mapping itself (unknown keys, wrong types, unknown canonical columns); then the
mapping against its files: raw columns the header does not have, timestamp formats that do not
parse a sample of the values, and status words the mapping does not map.
"""

from __future__ import annotations

import difflib
from pathlib import Path

import duckdb
from ruamel.yaml import YAML

from pipelines.ingest import extract
from pipelines.ingest.columns import timestamp_columns
from pipelines.ingest.expressions import (
    raw_reference,
    timestamp_expression,
    timestamp_parameters,
)
from pipelines.ingest.mapping import SourceMapping
from pipelines.ingest.mapping_files import MappingError, guarded_text, load_mapping
from pipelines.warehouse.schema import create_schema

SAMPLE_ROWS = 1000


def check_mapping_file(path: Path, sample_rows: int = SAMPLE_ROWS) -> list[str]:
    """Every problem of one mapping file as 'file:line: message' lines (empty when clean)."""
    try:
        mapping = load_mapping(path)
    except MappingError as exc:
        return str(exc).splitlines()
    lines = _KeyLines(path)
    try:
        files = extract.resolve_files(mapping)
    except extract.LoadError as exc:
        return [f"{path}:{lines.at('files')}: {exc}"]
    problems = _header_problems(mapping, files[0], lines)
    if problems:
        return problems  # the sample checks below need every mapped column to exist
    con = duckdb.connect()
    try:
        create_schema(con)
        try:
            extract.read_raw(con, mapping, files[:1], run_id="sources-check")
        except extract.LoadError as exc:
            return [f"{path}:{lines.at('files')}: {exc}"]
        problems += _timestamp_problems(con, mapping, files[0], lines, sample_rows)
        problems += _status_problems(con, mapping, files[0], lines)
    finally:
        con.close()
    return problems


def _header_problems(mapping: SourceMapping, first: Path, lines: _KeyLines) -> list[str]:
    """Mapped raw columns of the main file that its header does not have."""
    if mapping.format != "csv":
        return []  # JSON fields are nested paths; read_raw names the missing ones
    opts = mapping.csv
    con = duckdb.connect()
    try:
        header = [
            str(row[0]).strip()
            for row in con.execute(
                "DESCRIBE SELECT * FROM read_csv(?, header = true, all_varchar = true, "
                "delim = ?, quote = ?, escape = ?, encoding = ?)",
                [str(first), opts.delimiter, opts.quote, opts.escape, opts.encoding],
            ).fetchall()
        ]
    except duckdb.Error as exc:
        return [f"{lines.path}:{lines.at('csv')}: {first.name} cannot be read: {exc}"]
    finally:
        con.close()
    problems = []
    for canonical, ref in mapping.columns.items():
        join, field = mapping.split_reference(ref)
        if join is not None or field in header:
            continue
        close = difflib.get_close_matches(field, header, n=1)
        hint = f"did you mean '{close[0]}'?" if close else "check the file's header"
        problems.append(
            f"{lines.path}:{lines.at('columns', canonical)}: column '{field}' (for {canonical}) "
            f"is not in the header of {first.name}; {hint}"
        )
    return problems


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
    known = [word.strip().lower() for word in mapping.statuses]
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
        self.data = YAML(typ="rt").load(guarded_text(path))

    def at(self, *keys: str) -> int:
        """Line of the deepest of these nested keys that exists."""
        node, line = self.data, 1
        for key in keys:
            lc = getattr(node, "lc", None)
            if lc is None or not hasattr(node, "__contains__") or key not in node:
                break
            line = lc.key(key)[0] + 1
            node = node[key]
        return line
