"""Action items outside a meeting: a department's open items, every department's overdue items
(leadership), and the signed-in person's own items, each counted from the data's current date.

"Overdue" here means open and due before the date the published data runs to (the run's
data_as_of), not the server's clock: every other figure on these pages counts from that date,
so a demo warehouse, or a warehouse rebuilt from old extracts, lists the items that were late
at the data's "now". The packet's agenda counts from its meeting's date instead."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import streamlit as st

from dashboard.components.html_table import link_column, table_link
from dashboard.components.links import meeting_link
from dashboard.components.safe_text import escape_markdown as md
from dashboard.meetings import actions as meeting_actions
from dashboard.meetings import schema as meeting_schema
from dashboard.meetings.database import MeetingsDB, StoreUnavailable, store_exists
from dashboard.meetings.permissions import Actor
from dashboard.queries import freshness, reader
from dashboard.views.meeting_state import store_unavailable
from dashboard.views.page_support import show_table


def data_date(warehouse: reader.Warehouse | None) -> date:
    """The date the published data runs to (today when nothing was published)."""
    run = None if warehouse is None else freshness.published_run(warehouse)
    as_of = None if run is None else run.get("data_as_of")
    if isinstance(as_of, datetime | pd.Timestamp):
        return as_of.date()
    return as_of if isinstance(as_of, date) else date.today()


def _items_table(items: pd.DataFrame) -> None:
    show_table(
        pd.DataFrame(
            {
                "#": items["action_id"].astype(int).tolist(),
                "Action": items["description"].astype(str).tolist(),
                "Metric": items["metric_label"].astype(str).tolist(),
                "Department": items["department"].astype(str).tolist(),
                "Owner": items["owner"].astype(str).tolist(),
                "Due": items["due_date"].astype(str).tolist(),
                "Overdue": ["⚠ Overdue" if o else "" for o in items["overdue"]],
                "Raised": [f"Meeting of {d}" for d in items["raised_on"]],
                "Meeting": link_column(
                    table_link("Open meeting →", meeting_link(int(m)))
                    for m in items["raised_at_meeting"]
                ),
            }
        )
    )


def _read(department: str | None, on: date, owner_user: str | None = None) -> pd.DataFrame | None:
    if not store_exists():
        st.caption("No stat review meeting has been held yet.")
        return None
    try:
        with meeting_schema.connect() as db:
            return meeting_actions.open_actions(db, department, on, owner_user=owner_user)
    except StoreUnavailable as problem:
        store_unavailable(problem)
    return None


def department_items(name: str, on: date) -> None:
    """A department's open action items (a packet froze its metrics' department by name)."""
    st.subheader("Open action items")
    items = _read(name, on)
    if items is None:
        return
    if items.empty:
        st.caption(f"No open action item on {md(name)}'s metrics.")
        return
    overdue = int(items["overdue"].sum())
    if overdue:
        st.warning(f"{overdue} of {len(items)} open action items are overdue (due before {on}).")
    _items_table(items)


def overdue_items(on: date) -> None:
    """Every department's overdue action items, most overdue first."""
    st.subheader("Overdue action items")
    items = _read(None, on)
    if items is None:
        return
    late = items[items["overdue"]]
    st.caption(f"Open and due before {on}, the date the data runs to.")
    if late.empty:
        st.caption("None: every open action item is still within its due date.")
        return
    st.warning(f"{len(late)} action items are overdue.")
    _items_table(late)


def my_items(db: MeetingsDB, actor: Actor, on: date) -> None:
    """The signed-in person's open items: those whose owner is their sign-in id (picked from
    roles.yml, or typed as that e-mail), read from the meetings page's open store."""
    st.subheader("My action items")
    items = meeting_actions.open_actions(db, None, on, owner_user=actor.user)
    if items.empty:
        st.caption(f"No open action item names {md(actor.user)} as its owner.")
        return
    _items_table(items)
