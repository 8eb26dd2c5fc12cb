"""Data quality: last run, per-file row accounting, validation, quarantine."""

from __future__ import annotations

import streamlit as st

from dashboard.components.formats import MISSING, format_count, format_timestamp
from dashboard.components.safe_text import escape_markdown as md
from dashboard.components.status import check_mark
from dashboard.components.tables import (
    accounting_problems,
    file_accounting_table,
    set_aside_table,
    validation_table,
)
from dashboard.queries import freshness, reader
from dashboard.views.actor import require_page
from dashboard.views.page_support import show_table

require_page("use_analyst_tools")
st.title("Data quality")
warehouse = reader.current_warehouse()
if warehouse is None:
    st.stop()

run = freshness.published_run(warehouse)
runs = freshness.recent_runs(warehouse)
if run is None:
    st.warning("No run has been published yet. Run `citystat run` (or `make demo`).")
    st.stop()

st.subheader("Last published run")
facts = {
    "Finished": format_timestamp(run["finished_at"]),
    "Data as of": format_timestamp(run["data_as_of"]),
    "Status": str(run["status"]).capitalize(),
    "Validation": check_mark(run["validation_passed"]),
}
for column, (name, value) in zip(st.columns(len(facts)), facts.items(), strict=True):
    column.caption(name)
    column.markdown(f"**{value}**")
st.caption(f"Run `{run['run_id']}`" + (f": {md(run['message'])}" if run["message"] else ""))

newer = runs[(runs["run_id"] != run["run_id"]) & (runs["finished_at"] > run["finished_at"])]
if not newer.empty:
    latest = newer.iloc[0]
    st.warning(
        f"A later run `{latest['run_id']}` ({format_timestamp(latest['finished_at'])}) "
        f"ended with status “{md(latest['status'])}”: {md(latest['message'] or MISSING)}. "
        "The dashboard still shows the last published run."
    )

st.subheader("Rows per file")
files = freshness.file_accounting(warehouse, str(run["run_id"]))
if files.empty:
    st.info("This run recorded no loaded files.")
else:
    problems = accounting_problems(files)
    if problems:
        st.error(
            "Row accounting does not add up for "
            + "; ".join(problems)
            + ". Re-run `citystat run` and check the loader's log for the missing rows."
        )
    else:
        st.success(
            f"Every row read is accounted for: {format_count(files['rows_read'].sum())} read = "
            f"{format_count(files['rows_staged'].sum())} staged + "
            f"{format_count(files['rows_quarantined'].sum())} quarantined + "
            f"{format_count(files['rows_rejected'].sum())} rejected."
        )
    show_table(file_accounting_table(files))

st.subheader("Files skipped unopened")
skipped = freshness.skipped_files(warehouse, str(run["run_id"]))
if skipped.empty:
    st.caption("Every file the sources' patterns matched was a regular file and was read.")
else:
    st.warning(
        f"{format_count(len(skipped))} matched file(s) were not read: a pipe, socket, device, "
        "folder or broken link is never opened, so it cannot hang or mislead a run. Remove "
        "each one, or restore the file a broken link points to."
    )
    # Paths and reasons are escaped table cells; this page is internal only.
    show_table(skipped.rename(columns={"source": "Source", "file": "File", "reason": "Reason"}))

st.subheader("Rows behind the published data")
totals = freshness.set_aside(warehouse)
if totals.empty:
    st.info("No file has been loaded yet.")
else:
    st.caption(
        "Every file merged into the published warehouse, by table: the counts on every page "
        "are computed from the staged rows; quarantined and rejected rows are left out."
    )
    show_table(set_aside_table(totals))

st.subheader("Validation results")
results = freshness.validation_results(warehouse, str(run["run_id"]))
if results.empty:
    st.info("This run recorded no validation results.")
else:
    failed = results[~results["success"].fillna(False).astype(bool)]
    critical_failed = failed[failed["critical"].fillna(False).astype(bool)]
    st.caption(
        f"{len(results)} expectations checked; {len(failed)} failed, "
        f"{len(critical_failed)} of them critical."
    )
    show_table(validation_table(results))

st.subheader("Quarantined rows by rule")
quarantine = freshness.quarantine_counts(warehouse, str(run["run_id"]))
if quarantine.empty:
    st.info("No rows were quarantined in this run.")
else:
    st.caption(
        f"{format_count(quarantine['rows_quarantined'].sum())} rows held back from the "
        "warehouse; counts only, records stay in the quarantine table for analysts."
    )
    show_table(
        quarantine.rename(
            columns={
                "source": "Source",
                "rule": "Rule",
                "column_name": "Column",
                "rows_quarantined": "Rows",
            }
        )
    )

with st.expander("Recent runs"):
    show_table(runs)
