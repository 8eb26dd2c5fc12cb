"""Great Expectations 1.x on a bounded, reproducible sample of the staged table.

GE's SQL datasource returns empty results on duckdb-engine (great_expectations#11579), so GE
validates pandas DataFrames. The exact counts that decide success come from SQL over every
staged row (``pipelines.validate.counts``); GE checks those SQL predicates independently on
a sample of at most ``sample_rows`` rows (every row when the table is smaller), chosen by a hash
of each row's file and line so the same extract always gives the same sample. The sample is
materialised as a temporary DuckDB table holding only the columns the rules read, numbered in
record-id order and cut into batches of ``batch_rows``; the same SQL aggregate, grouped by
batch, is then compared with GE's result for every batch, so any difference between GE's
verdict and the SQL translation is flagged. Only the sample is ever held in pandas.

Table-level expectations are evaluated once on the whole table: the column set on a zero-row
frame with the table's columns, the row count on a column-less frame whose index is as long as
the table (no row data is materialised for either).

Importing GE and building its context costs seconds, so one context serves the whole process
(``shared_runner``), and it is created only when a file is actually validated: in a run, that
process is the run's GE worker (``pipelines.validate.worker``), which gets each load as a
``GeJob`` (``pipelines.validate.ge_jobs``: its sample as Parquet) and answers with a verdict.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import duckdb

from pipelines.validate.counts import RuleCounts, RuleKey
from pipelines.validate.report import ExpectationOutcome
from pipelines.validate.sql_rules import one_row
from pipelines.validate.suite import (
    TABLE_COLUMNS,
    ParameterValue,
    Rule,
    Suite,
    resolved,
)
from pipelines.warehouse.schema import instant_column, is_instant_column, quote

SAMPLE_TABLE = "citystat_ge_sample"
# Row number in record-id order and GE batch of each sampled row; not canonical column names.
_ROW = "__citystat_ge_row"
_BATCH = "__citystat_ge_batch"
# What orders rows for the sample, and how many values DuckDB's hash (a UBIGINT) takes.
_SAMPLE_HASH = "hash(source_file, source_row)"
_HASH_VALUES = 2**64


class GreatExpectationsError(RuntimeError):
    """GE raised while computing an expectation; the message names it."""


def import_great_expectations() -> Any:
    """Great Expectations, imported without its optional Spark integration.

    citystat hands GE pandas batches only. Where pyspark is installed (the Spark engine's
    extra), GE would import it too: 0.2 s more, and pyspark.sql.connect ends an interpreter
    started with ``python -c`` when grpc is missing. So pyspark is hidden from GE's import
    (unless something already imported it), and is importable again afterwards.
    """
    hide = "pyspark" not in sys.modules
    if hide:
        sys.modules["pyspark"] = None  # type: ignore[assignment]  # "import pyspark" fails
    try:
        import great_expectations as gx
    finally:
        if hide and sys.modules.get("pyspark", False) is None:
            del sys.modules["pyspark"]
    return gx


class GeRunner:
    """One ephemeral GE context with a pandas data source, reused for every batch it checks."""

    def __init__(self) -> None:
        # Telemetry off for this process's GE; progress bars off in the context below.
        os.environ["GX_ANALYTICS_ENABLED"] = "False"
        gx = import_great_expectations()
        from great_expectations.data_context.types.base import (
            DataContextConfig,
            InMemoryStoreBackendDefaults,
            ProgressBarsConfig,
        )

        self._gx = gx
        config = DataContextConfig(
            store_backend_defaults=InMemoryStoreBackendDefaults(),
            analytics_enabled=False,
            progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
        )
        context = gx.get_context(mode="ephemeral", project_config=config)
        asset = context.data_sources.add_pandas("citystat_staged").add_dataframe_asset("batch")
        self._batches = asset.add_batch_definition_whole_dataframe("whole_batch")

    def suite(self, suite: Suite, rules: list[Rule]) -> Any:
        """A GE ExpectationSuite holding the JSON entries of ``rules``."""
        entries = [suite.raw["expectations"][rule.position - 1] for rule in rules]
        return self._gx.ExpectationSuite(name=suite.name, expectations=entries)

    def validate(
        self, frame: Any, ge_suite: Any, parameters: Mapping[str, ParameterValue]
    ) -> list[Any]:
        """GE's per-expectation results for one DataFrame."""
        batch = self._batches.get_batch(batch_parameters={"dataframe": frame})
        outcome = batch.validate(
            ge_suite, expectation_parameters=dict(parameters), result_format="BASIC"
        )
        for result in outcome.results:
            raised = (result.exception_info or {}).get("raised_exception")
            if raised:
                message = result.exception_info.get("exception_message")
                raise GreatExpectationsError(
                    f"Great Expectations could not evaluate {result.expectation_config.type}: "
                    f"{message}; check that expectation in its suite (expectations/)"
                )
        return list(outcome.results)


_shared: GeRunner | None = None


def shared_runner() -> GeRunner:
    """The process's GE runner, created (and GE imported) on first use only."""
    global _shared
    if _shared is None:
        _shared = GeRunner()
    return _shared


def _key(result: Any) -> RuleKey:
    config = result.expectation_config
    kwargs = config.kwargs
    return (config.type, kwargs.get("column") or kwargs.get("column_A"), kwargs.get("column_B"))


def table_columns(con: duckdb.DuckDBPyConnection, table_sql: str) -> list[str]:
    """The staged table's canonical columns, as GE's column-set expectation sees them."""
    names = [str(row[0]) for row in con.execute(f"DESCRIBE {table_sql}").fetchall()]
    # The staged UTC twins of the timestamps are working columns, not canonical ones.
    return [name for name in names if not is_instant_column(name)]


def validate_table_level(
    runner: GeRunner,
    columns: Sequence[str],
    row_count: int,
    suite: Suite,
    parameters: Mapping[str, ParameterValue],
) -> list[ExpectationOutcome]:
    """Evaluate the table-level expectations once for the whole staged table.

    GE sees a zero-row frame with the table's columns and a column-less frame whose index is
    as long as the table: no row data is needed for either.
    """
    import pandas as pd

    outcomes = []
    for rule in (r for r in suite.rules if r.is_table_level):
        frame = (
            pd.DataFrame(columns=list(columns))
            if rule.expectation_type == TABLE_COLUMNS
            else pd.DataFrame(index=pd.RangeIndex(row_count))
        )
        (result,) = runner.validate(frame, runner.suite(suite, [rule]), parameters)
        outcomes.append(_table_outcome(rule, result, row_count, parameters, suite.table.name))
    return outcomes


def _table_outcome(
    rule: Rule,
    result: Any,
    row_count: int,
    parameters: Mapping[str, ParameterValue],
    table_name: str,
) -> ExpectationOutcome:
    observed = result.result.get("observed_value")
    if rule.expectation_type == TABLE_COLUMNS:
        mismatch = result.result.get("details", {}).get("mismatched", {})
        details = (
            f"the staged table has exactly the canonical {table_name} columns"
            if result.success
            else f"missing columns {mismatch.get('missing', [])}, unexpected columns "
            f"{mismatch.get('unexpected', [])}; the staging step must produce exactly the "
            f"canonical {table_name} columns (pipelines/warehouse.py)"
        )
        unexpected = sum(len(names) for names in mismatch.values())
        element_count = len(observed or [])
    else:
        low = resolved(rule.kwargs.get("min_value"), parameters)
        high = resolved(rule.kwargs.get("max_value"), parameters)
        details = f"{observed} rows staged; the source mapping expects {low} to {high}"
        if not result.success:
            details += (
                "; check that the extract is complete and is the right file, or adjust the bounds"
            )
        unexpected = 0 if result.success else 1
        element_count = row_count
    return ExpectationOutcome(
        expectation_type=rule.expectation_type,
        column=rule.column,
        critical=rule.critical,
        success=bool(result.success),
        element_count=element_count,
        unexpected_count=unexpected,
        on_failure=rule.on_failure,
        details=details,
    )


@dataclass(frozen=True)
class GeBatchResult:
    """GE's counts and verdict for one expectation on one batch of the sample."""

    counts: RuleCounts
    success: bool


@dataclass(frozen=True)
class GeSample:
    """What GE saw: the sample's size, its batches and GE's results per batch and rule."""

    rows: int
    table_rows: int
    batches: list[dict[RuleKey, GeBatchResult]]
    sql: dict[int, dict[RuleKey, RuleCounts]]  # the SQL counts on the same rows, per batch

    @property
    def is_whole_table(self) -> bool:
        """True when GE saw every staged row."""
        return self.rows == self.table_rows

    def ge_total(self, key: RuleKey) -> RuleCounts:
        """GE's counts for a rule summed over the batches."""
        total = RuleCounts()
        for batch in self.batches:
            total += batch[key].counts
        return total

    def sql_total(self, key: RuleKey) -> RuleCounts:
        """The SQL counts for a rule on the sample rows, summed over the batches."""
        total = RuleCounts()
        for per_rule in self.sql.values():
            total += per_rule[key]
        return total

    def agrees(self, rule: Rule) -> bool:
        """True when GE and SQL count and judge the rule alike on every batch of the sample."""
        for number, batch in enumerate(self.batches):
            ge = batch[rule.key]
            sql = self.sql.get(number, {}).get(rule.key, RuleCounts())
            same_counts = (
                ge.counts.element_count,
                ge.counts.unexpected_count,
                ge.counts.missing_count,
            ) == (sql.element_count, sql.unexpected_count, sql.missing_count)
            if not same_counts or ge.success != sql.success(rule.mostly):
                return False
        return True


def _read_columns(rule: Rule) -> list[str]:
    """The staged columns a rule reads: its columns, and their UTC twins when it judges those."""
    named = [c for c in (rule.column, rule.column_b) if c]
    return named + [instant_column(c) for c in named if rule.compares_instants]


def _frame_select(rules: Sequence[Rule]) -> str:
    """The sample's columns GE reads for these rules, twins renamed to the canonical names."""
    names = sorted({c for r in rules for c in (r.column, r.column_b) if c})
    timed = {c for r in rules if r.compares_instants for c in (r.column, r.column_b) if c}
    return ", ".join(
        f"{quote(instant_column(c) if c in timed else c)} AS {quote(c)}" for c in names
    )


def _create_sample(
    con: duckdb.DuckDBPyConnection,
    rows_sql: str,
    order: str,
    *,
    table_rows: int,
    sample_rows: int,
    batch_rows: int,
) -> int:
    """Materialise the sample table, numbered and cut into batches; return its row count.

    The sample is the ``sample_rows`` rows with the smallest hash of their file and line: the
    same rows for the same extract on every run, wherever they sit in the file. A first pass
    keeps only rows whose hash lies below a cut-off that a quarter more rows than needed pass,
    so the top-N sorts a few more than N rows instead of the whole table; if fewer than N pass
    (practically never), the top-N over every row gives the same sample.
    """
    attempts: list[tuple[str, list[object]]] = [(rows_sql, [])]
    if table_rows > sample_rows:
        top = f"{rows_sql}{{}} ORDER BY {_SAMPLE_HASH}, source_file, source_row LIMIT ?"
        share = (1.25 * sample_rows + 1_000) / table_rows
        attempts = [(top.format(""), [sample_rows])]
        if share < 1:
            cutoff = int(share * _HASH_VALUES)
            attempts.insert(0, (top.format(f" WHERE {_SAMPLE_HASH} < ?"), [cutoff, sample_rows]))
    wanted = min(table_rows, sample_rows)
    rows = 0
    for sql, params in attempts:
        # Batches follow the record id, as GE saw whole-table batches before sampling
        # existed, so GE's within-batch uniqueness check sees a value's repeats side by side.
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {SAMPLE_TABLE} AS SELECT *, "
            f"row_number() OVER (ORDER BY {order}) - 1 AS {_ROW}, "
            f"(row_number() OVER (ORDER BY {order}) - 1) // ? AS {_BATCH} FROM ({sql})",
            [batch_rows, *params],
        )
        (rows,) = one_row(con, f"SELECT count(*) FROM {SAMPLE_TABLE}")
        if rows >= wanted:
            break
    return int(rows)


def _nanosecond_timestamps(frame: Any) -> Any:
    """The frame with microsecond timestamps as nanoseconds, when every value fits.

    GE compares datetime64[ns] columns with vectorised pandas operations but maps every value
    through a Python function for any other unit (DuckDB's timestamps arrive as microseconds);
    a value outside the nanosecond range (before 1677 or after 2262) keeps the column as it is.
    """
    import pandas as pd

    for name in frame.columns:
        if pd.api.types.is_datetime64_dtype(frame[name].dtype):
            try:
                frame[name] = frame[name].astype("datetime64[ns]")
            except (pd.errors.OutOfBoundsDatetime, OverflowError):
                continue
    return frame


def _batch_result(result: Any) -> GeBatchResult:
    counts = result.result
    return GeBatchResult(
        RuleCounts(
            int(counts.get("element_count") or 0),
            int(counts.get("unexpected_count") or 0),
            int(counts.get("missing_count") or 0),
        ),
        bool(result.success),
    )
