"""Physical line numbers for a CSV file's records, whatever lies between them.

A reason quotes the line an analyst opens the file at, so every row keeps the physical line
its record starts on (the header starts on line 1; a line ends at a line feed, so a CRLF file
counts as an LF file does). DuckDB gives accepted rows no number, and numbers a rejected line in
a count of its own, "L" here: the header and each record count one line, each blank line it
skips counts one, the line breaks inside quoted fields count none. The read gives each row a
provisional number, its position after the header: the physical line, unless something
before it escapes that count:

- a rejected line (a record the reader set aside: it has an L);
- a line break inside a quoted field of an earlier record (a multi-line note);
- a blank line DuckDB skipped between records (a blank line inside a quoted field is a line
  break of that field).

``renumber`` gives every record, accepted or rejected, its L, and then its physical line:
L + the line breaks inside the header and every record before it (a rejected record's from
the text DuckDB kept of it). Without blank lines between records, the records take every L
from 2 on: the rejected ones at DuckDB's L, the accepted ones the others, in order. Blank
lines between records show as physical lines the records do not account for (``scan_file``
counts the file's lines); then each record's L comes from a second read of the file as one
column, in which DuckDB keeps each skipped blank line as a row (one empty field). A record whose
first field is empty reads the same; such a row is told apart by the physical line it would
start on, blank or not, read from the file line by line.

``scan_file`` also finds the lines longer than the reader's limit. DuckDB sets such a line
aside only when its read buffer holds it (a longer one vanishes without a trace, numbers and
all), so the read is given a buffer that does, and every such line must come back rejected.
"""

from __future__ import annotations

import codecs
import gzip
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipelines.ingest.common import LoadError, scalar
from pipelines.warehouse.files import NotAFile, open_regular
from pipelines.warehouse.schema import quote

# Separates no fields in a line-by-line read: every physical line is one row.
_NO_DELIMITER = "\x1f"
_CHUNK = 1 << 20


@dataclass(frozen=True)
class FileLines:
    """What one pass over a file's bytes found: its physical lines and the over-long ones.

    ``long`` lists (line, length) of each line over the limit; ``longest`` is the most UTF-8
    bytes one of them can take in DuckDB's buffer.
    """

    count: int
    long: list[tuple[int, int]] = field(default_factory=list)
    longest: int = 0


def scan_file(path: Path, encoding: str, gzipped: bool, limit: int) -> FileLines:
    """Count a file's physical lines and find those longer than ``limit`` bytes.

    One pass in chunks (C-level count and find, no loop over lines): a line inside a chunk is
    shorter than the chunk, itself no longer than the limit; a longer line spans chunks.
    UTF-16 is transcoded to UTF-8 as DuckDB does; a latin-1 line may double in UTF-8.
    """
    least, most = (1, 2) if encoding == "latin-1" else (1, 1)
    decoder = codecs.getincrementaldecoder("utf-16")("replace") if encoding == "utf-16" else None
    lines, run, last = 1, 0, b""
    long: list[tuple[int, int]] = []
    longest = 0
    try:
        handle = open_regular(path)
    except NotAFile as exc:
        raise LoadError(f"{exc} (it was replaced while the run read it); run again") from None
    with handle, gzip.GzipFile(fileobj=handle) if gzipped else handle as stream:
        while raw := stream.read(min(_CHUNK, limit)):
            data = raw if decoder is None else decoder.decode(raw).encode("utf-8")
            first = data.find(b"\n")
            if first < 0:
                run += len(data)
            else:
                if (run + first) * least > limit:
                    long.append((lines, run + first))
                longest = max(longest, (run + first) * most)
                lines += data.count(b"\n")
                run = len(data) - data.rfind(b"\n") - 1
            last = data[-1:] or last
    if run * least > limit:
        long.append((lines, run))
    longest = max(longest, run * most)
    # A file ending with a line feed has no line after it.
    return FileLines(lines - (last == b"\n"), long, longest)


@dataclass(frozen=True)
class CsvFile:
    """One CSV file as the reader reads it: DuckDB's named parameters and the header.

    ``params`` holds path, delim, quote, escape, encoding, compression, max_line and buffer;
    ``columns`` the number of columns of the header, read as c0, c1, ...;
    ``header_lines`` the physical lines the header spans (a name may hold a line break).
    """

    params: dict[str, object]
    columns: int
    header_lines: int = 1

    @property
    def names(self) -> list[str]:
        """DuckDB's names of the file's columns, in order."""
        return [f"c{i}" for i in range(self.columns)]

    def read(self, extra: str = "", *, first_only: bool = False) -> str:
        """read_csv of the file with the header's columns given, no sniffing; ``extra`` options.

        ``first_only`` reads the first field only (``t``), keeping DuckDB's skipped blank lines
        as rows; with ``strict_mode = false`` the other fields are dropped.
        """
        if first_only:
            spec = "{'t': 'VARCHAR'}"
        else:
            spec = "{" + ", ".join(f"'{n}': 'VARCHAR'" for n in self.names) + "}"
        return (
            f"read_csv($path, header = true, auto_detect = false, columns = {spec}, "
            "delim = $delim, quote = $quote, escape = $escape, encoding = $encoding, "
            "compression = $compression, max_line_size = $max_line, buffer_size = $buffer, "
            f"ignore_errors = true{extra})"
        )

    def lines(self) -> str:
        """read_csv of the file one physical line a row (no quotes, no delimiter): ``t``."""
        return (
            "read_csv($path, header = false, auto_detect = false, columns = {'t': 'VARCHAR'}, "
            "delim = $no_delim, quote = '', escape = '', encoding = $encoding, "
            "compression = $compression, max_line_size = $max_line, buffer_size = $buffer, "
            "strict_mode = false, ignore_errors = true, store_rejects = true, "
            "rejects_table = '_line_rejects', rejects_scan = '_line_scans')"
        )

    @property
    def read_params(self) -> dict[str, object]:
        """Parameters of ``read`` (DuckDB refuses unused named parameters)."""
        names = ("path", "delim", "quote", "escape", "encoding", "compression", "max_line")
        return {**{n: self.params[n] for n in names}, "buffer": self.params["buffer"]}

    @property
    def lines_params(self) -> dict[str, object]:
        """Parameters of ``lines``."""
        names = ("path", "encoding", "compression", "max_line", "buffer")
        return {**{n: self.params[n] for n in names}, "no_delim": _NO_DELIMITER}


def in_file_order(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, object]) -> int:
    """Run a statement reading a file with insertion order kept; the rows it wrote (or 0)."""
    # Rows reach the table (their rowids) and row_number() OVER () in file order only while
    # insertion order is kept.
    preserve = con.execute("SELECT current_setting('preserve_insertion_order')").fetchone()
    con.execute("SET preserve_insertion_order = true")
    try:
        return scalar(con, sql, params)
    finally:
        if preserve and not preserve[0]:
            con.execute("SET preserve_insertion_order = false")


@dataclass(frozen=True)
class Written:
    """Where the read wrote the file's rows: the table, its line column, the first rowid."""

    table: str
    line: str
    start: int


def renumber(
    con: duckdb.DuckDBPyConnection, csv: CsvFile, written: Written, physical_lines: int
) -> None:
    """Set the physical line of the file's written rows and of its rejects (``_rejects``).

    ``physical_lines`` is the file's line count (``scan_file``). The provisional line of an
    accepted row is its position + the header's lines.
    """
    _record_breaks(con, csv)
    accepted = scalar(con, "SELECT count(*) FROM _breaks")
    rejected = scalar(con, "SELECT count(*) FROM _rejects")
    inside = scalar(con, "SELECT sum(breaks) FROM _breaks") + scalar(
        con, "SELECT sum(breaks) FROM _rejects"
    )
    if physical_lines > csv.header_lines + accepted + rejected + inside:
        # Lines no record accounts for: blank lines between records.
        _records_from_first_fields(con, csv)
        _check_records(con, accepted, rejected)
    else:
        _records_without_blank_lines(con, accepted + rejected)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _physical AS SELECT r.line_l, r.accepted, (r.line_l + $extra "
        "+ coalesce(sum(coalesce(b.breaks, x.breaks, 0)) OVER (ORDER BY r.line_l ROWS BETWEEN "
        "UNBOUNDED PRECEDING AND 1 PRECEDING), 0))::BIGINT AS physical FROM (SELECT line_l, "
        "CASE WHEN NOT rejected THEN row_number() OVER (PARTITION BY rejected ORDER BY line_l) "
        "END AS accepted FROM _records) r LEFT JOIN _breaks b ON b.accepted = r.accepted "
        "LEFT JOIN _rejects x ON r.accepted IS NULL AND x.line = r.line_l",
        {"extra": csv.header_lines - 1},
    )
    line = quote(written.line)
    con.execute(
        f"UPDATE {written.table} t SET {line} = p.physical FROM _physical p "
        f"WHERE t.rowid >= $start AND t.{line} = p.accepted + $header",
        {"start": written.start, "header": csv.header_lines},
    )
    con.execute(
        "UPDATE _rejects r SET line = p.physical FROM _physical p "
        "WHERE p.accepted IS NULL AND p.line_l = r.line"
    )
    con.execute("DROP TABLE _physical; DROP TABLE _records; DROP TABLE _breaks")


def _record_breaks(con: duckdb.DuckDBPyConnection, csv: CsvFile) -> None:
    """_breaks: each accepted record's line breaks, and whether its first field is empty."""
    names = [quote(n) for n in csv.names]
    joined = f"concat_ws('', {', '.join(names)})"
    in_file_order(
        con,
        "CREATE OR REPLACE TEMP TABLE _breaks AS SELECT row_number() OVER () AS accepted, "
        f"length({joined}) - length(replace({joined}, chr(10), '')) AS breaks, "
        f"{names[0]} IS NULL AS first_empty FROM {csv.read()}",
        csv.read_params,
    )


def _records_without_blank_lines(con: duckdb.DuckDBPyConnection, records: int) -> None:
    """_records: every L from 2 on is a record; DuckDB's rejects are where it says."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _records AS SELECT line_l, "
        "line_l IN (SELECT line FROM _rejects) AS rejected FROM range(2, 2 + $n) t(line_l)",
        {"n": records},
    )


def _records_from_first_fields(con: duckdb.DuckDBPyConnection, csv: CsvFile) -> None:
    """_records from the file read as its first field, with DuckDB's skipped blank lines.

    A row whose first field is empty is a blank line or a record: it is a record when the
    physical line it would start on is not blank (see ``_empty_first_records``).
    """
    con.execute("DROP TABLE IF EXISTS _first_rejects; DROP TABLE IF EXISTS _first_scans")
    in_file_order(
        con,
        "CREATE OR REPLACE TEMP TABLE _first AS SELECT row_number() OVER () AS position, "
        "t IS NULL AS empty FROM "
        + csv.read(
            ", strict_mode = false, store_rejects = true, rejects_table = '_first_rejects', "
            "rejects_scan = '_first_scans'",
            first_only=True,
        ),
        csv.read_params,
    )
    # Rows DuckDB rejects in this read too (an over-long line) keep their L; the others fill
    # the Ls left, from 2 on, in order.
    _place(con, "_first", "position", "_first_rejects", 2)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _records AS "
        "SELECT line_l, empty, line_l IN (SELECT line FROM _rejects) AS rejected FROM "
        "(SELECT line_l, empty FROM _first UNION ALL "
        "SELECT DISTINCT line, false FROM _first_rejects)"
    )
    con.execute("DROP TABLE _first; DROP TABLE _first_rejects; DROP TABLE _first_scans")
    if scalar(con, "SELECT count(*) FROM _breaks WHERE first_empty"):
        _empty_first_records(con, csv)
    con.execute("DELETE FROM _records WHERE empty AND NOT rejected")


def _empty_first_records(con: duckdb.DuckDBPyConnection, csv: CsvFile) -> None:
    """Mark the empty rows of _records that are records (their physical line is not blank).

    The line an empty row would start on is its L + the line breaks of the records before it:
    those up to the last record with a first field before it are known exactly; records with
    an empty first field between are taken to hold no line break.
    """
    con.execute("DROP TABLE IF EXISTS _line_rejects; DROP TABLE IF EXISTS _line_scans")
    in_file_order(
        con,
        "CREATE OR REPLACE TEMP TABLE _lines AS SELECT row_number() OVER () AS position, "
        f"t IS NULL AS blank FROM {csv.lines()}",
        csv.lines_params,
    )
    _place(con, "_lines", "position", "_line_rejects", 1)
    # The k-th record with a first field is the k-th accepted row with one.
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _known AS SELECT f.line_l, b.before FROM "
        "(SELECT line_l, row_number() OVER (ORDER BY line_l) AS k FROM _records "
        " WHERE NOT empty AND NOT rejected) f JOIN "
        "(SELECT row_number() OVER (ORDER BY accepted) AS k, before FROM (SELECT accepted, "
        " first_empty, sum(breaks) OVER (ORDER BY accepted) AS before FROM _breaks) "
        " WHERE NOT first_empty) b ON b.k = f.k"
    )
    con.execute(
        "UPDATE _records r SET empty = false FROM (SELECT e.line_l, e.line_l + $extra + "
        "coalesce(k.before, 0) AS physical FROM (SELECT line_l FROM _records WHERE empty AND "
        "NOT rejected) e ASOF LEFT JOIN _known k ON e.line_l > k.line_l) c "
        "JOIN _lines l ON l.line_l = c.physical AND NOT l.blank WHERE r.line_l = c.line_l",
        {"extra": csv.header_lines - 1},
    )
    con.execute("DROP TABLE _lines; DROP TABLE _known; DROP TABLE _line_rejects")
    con.execute("DROP TABLE _line_scans")


def _place(
    con: duckdb.DuckDBPyConnection, table: str, position: str, rejects: str, first: int
) -> None:
    """Add line_l to ``table``: its rows fill, in order, the lines from ``first`` on that the
    read's rejected lines (``rejects``, their own line numbers) leave free."""
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _taken AS SELECT max(taken) AS taken, free_before FROM "
        f"(SELECT line - {first} - (row_number() OVER (ORDER BY line) - 1) AS free_before, "
        f"row_number() OVER (ORDER BY line) AS taken FROM (SELECT DISTINCT line FROM {rejects})) "
        "GROUP BY free_before"
    )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT t.*, (t.{position} + {first - 1} + "
        f"coalesce(k.taken, 0))::BIGINT AS line_l FROM {table} t ASOF LEFT JOIN _taken k "
        f"ON t.{position} - 1 >= k.free_before"
    )
    con.execute("DROP TABLE _taken")


def _check_records(con: duckdb.DuckDBPyConnection, accepted: int, rejected: int) -> None:
    """Fall back to numbering without blank lines when the records found do not add up."""
    row = con.execute(
        "SELECT count(*) FILTER (WHERE NOT rejected), count(*) FILTER (WHERE rejected) "
        "FROM _records"
    ).fetchone()
    if row != (accepted, rejected):
        _records_without_blank_lines(con, accepted + rejected)
