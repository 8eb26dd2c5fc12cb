"""Great Expectations 1.x over the staged table, in bounded batches of pandas DataFrames.

GE's SQL datasource returns empty results on duckdb-engine (great_expectations#11579), so the
staged rows are streamed out of DuckDB as Arrow record batches of at most ``batch_rows`` rows,
each validated as a pandas DataFrame with one ephemeral GE context. Per expectation the
element and unexpected counts are summed over the batches and success is recomputed against
``mostly`` on the totals. GE's uniqueness check sees one batch at a time, so the table-wide
duplicate count comes from SQL instead. Table-level expectations are evaluated once: the
column set on a zero-row frame with the table's columns, the row count on a column-less frame
whose index is as long as the table (no row data is materialised for either).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import duckdb

from pipelines.validation.report import ExpectationOutcome
from pipelines.validation.sql_rules import duplicate_rows, one_row, quote_identifier
from pipelines.validation.suite import (
    NOT_NULL,
    TABLE_COLUMNS,
    UNIQUE,
    ParameterValue,
    Rule,
    Suite,
    resolved,
)

_EXAMPLES = 5
_RULE_KEY = tuple[str, str | None, str | None]


class GreatExpectationsError(RuntimeError):
    """GE raised while computing an expectation; the message names it."""


@dataclass
class _Tally:
    """Counts of one expectation summed over the batches."""

    element_count: int = 0
    unexpected_count: int = 0
    missing_count: int = 0
    examples: list[str] = field(default_factory=list)

    def add(self, result: Mapping[str, Any]) -> None:
        self.element_count += int(result.get("element_count") or 0)
        self.unexpected_count += int(result.get("unexpected_count") or 0)
        self.missing_count += int(result.get("missing_count") or 0)
        for value in result.get("partial_unexpected_list") or []:
            text = _example_text(value)
            if len(self.examples) < _EXAMPLES and text not in self.examples:
                self.examples.append(text)


def _example_text(value: object) -> str:
    if isinstance(value, tuple | list):
        return "(" + ", ".join(_example_text(v) for v in value) + ")"
    if isinstance(value, str):
        return repr(value)
    if type(value).__name__ == "datetime64":
        # numpy prints 2024-01-01T09:00:00.000000; the reasons use 2024-01-01 09:00
        return str(value)[:16].replace("T", " ")
    return str(value)


class GeRunner:
    """One ephemeral GE context with a pandas data source, reused for every batch of a run."""

    def __init__(self) -> None:
        # Telemetry off for this process's GE; progress bars off in the context below.
        os.environ["GX_ANALYTICS_ENABLED"] = "False"
        import great_expectations as gx
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


def _key(result: Any) -> _RULE_KEY:
    config = result.expectation_config
    kwargs = config.kwargs
    return (config.type, kwargs.get("column") or kwargs.get("column_A"), kwargs.get("column_B"))


def validate_table_level(
    runner: GeRunner,
    con: duckdb.DuckDBPyConnection,
    table_sql: str,
    suite: Suite,
    parameters: Mapping[str, ParameterValue],
) -> list[ExpectationOutcome]:
    """Evaluate the table-level expectations once for the whole staged table."""
    import pandas as pd

    rules = [r for r in suite.rules if r.is_table_level]
    if not rules:
        return []
    schema_frame = con.execute(f"SELECT * FROM {table_sql} LIMIT 0").df()
    (row_count,) = one_row(con, f"SELECT count(*) FROM {table_sql}")
    outcomes = []
    for rule in rules:
        frame = (
            schema_frame
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


def validate_rows_in_batches(
    runner: GeRunner,
    con: duckdb.DuckDBPyConnection,
    table_sql: str,
    suite: Suite,
    parameters: Mapping[str, ParameterValue],
    batch_rows: int,
) -> list[ExpectationOutcome]:
    """Validate the row-level expectations batch by batch and aggregate per expectation."""
    rules = [r for r in suite.rules if not r.is_table_level]
    if not rules:
        return []
    ge_suite = runner.suite(suite, rules)
    id_column = suite.table.id_column
    columns = sorted({c for r in rules for c in (r.column, r.column_b) if c} | {id_column})
    # Only the columns the rules read are fetched; ordering by the record id keeps a value's
    # duplicates in neighbouring batches and makes the batches reproducible.
    query = (
        f"SELECT {', '.join(quote_identifier(c) for c in columns)} FROM {table_sql} "
        f"ORDER BY {quote_identifier(id_column)}, source_file, source_row"
    )
    tallies: dict[_RULE_KEY, _Tally] = {rule.key: _Tally() for rule in rules}
    batches = 0
    for record_batch in con.sql(query).to_arrow_reader(batch_rows):
        batches += 1
        for result in runner.validate(record_batch.to_pandas(), ge_suite, parameters):
            tallies[_key(result)].add(result.result)
    return [_row_outcome(con, table_sql, rule, tallies[rule.key], batches) for rule in rules]


def _row_outcome(
    con: duckdb.DuckDBPyConnection, table_sql: str, rule: Rule, tally: _Tally, batches: int
) -> ExpectationOutcome:
    unexpected = tally.unexpected_count
    note = f"GE over {batches} batch(es)"
    if rule.expectation_type == UNIQUE:
        unexpected, groups = duplicate_rows(con, table_sql, str(rule.column))
        note += (
            f"; table-wide count from SQL: {unexpected} row(s) share {groups} repeated value(s) "
            f"(GE saw {tally.unexpected_count} within single batches)"
        )
    considered = tally.element_count - tally.missing_count
    success = considered == 0 or (considered - unexpected) / considered >= rule.mostly
    share = 100.0 * unexpected / considered if considered else 0.0
    tolerance = "held" if success else "exceeded"
    details = (
        f"{unexpected} of {considered} checked value(s) failed ({share:.2f}%); "
        f"tolerance mostly={rule.mostly:g} {tolerance}"
    )
    if tally.missing_count:
        details += f"; {tally.missing_count} row(s) with NULLs not judged"
    if tally.examples and unexpected and rule.expectation_type != NOT_NULL:
        shown = f"({rule.column}, {rule.column_b}) " if rule.column_b else ""
        details += f"; e.g. {shown}{', '.join(tally.examples)}"
    return ExpectationOutcome(
        expectation_type=rule.expectation_type,
        column=rule.column,
        critical=rule.critical,
        success=success,
        element_count=tally.element_count,
        unexpected_count=unexpected,
        on_failure=rule.on_failure,
        details=f"{details}; {note}",
    )
