"""A cohort service's improvement plan on the Services page: its milestones, and for
leadership and the head of its department the forms to add one and to change one. The store
checks the permission again, and refuses a change to a milestone someone changed since."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from dashboard.components.cohorts import MILESTONE_STATES, plan_table
from dashboard.components.safe_text import escape_markdown as md
from dashboard.meetings import cohorts, milestones
from dashboard.meetings import schema as meeting_schema
from dashboard.meetings.database import MeetingError, StaleEdit, StoreUnavailable, store_exists
from dashboard.meetings.milestones import MILESTONE_STATUSES, Milestone
from dashboard.meetings.permissions import Actor, PermissionDenied
from dashboard.views.meeting_state import FLASH_KEY, flash, store_unavailable
from dashboard.views.page_support import show_table
from dashboard.views.url_choices import choose_from_url, remember_in_url

_VERSION_KEY = "plan_version_{}"


def _fields(prefix: str, saved: dict[Any, Any] | None) -> Milestone:
    title = st.text_input("Milestone", value=saved["title"] if saved else "", key=f"{prefix}_t")
    due = st.date_input(
        "Due",
        value=date.fromisoformat(saved["due_date"]) if saved else None,
        key=f"{prefix}_d",
    )
    owner = st.text_input("Owner", value=saved["owner"] if saved else "", key=f"{prefix}_o")
    status = st.selectbox(
        "Status",
        MILESTONE_STATUSES,
        index=MILESTONE_STATUSES.index(saved["status"]) if saved else 0,
        format_func=MILESTONE_STATES.__getitem__,
        key=f"{prefix}_s",
    )
    return Milestone(title, due or date.min, owner, str(status))


def _add_form(actor: Actor, member: dict[Any, Any]) -> None:
    with st.form("plan_add", clear_on_submit=False):
        st.markdown("**Add a milestone**")
        milestone = _fields("plan_add", None)
        if not st.form_submit_button("Add the milestone"):
            return
    if milestone.due_date == date.min:
        st.error("Not added: choose the date it is due.")
        return
    try:
        with meeting_schema.connect() as db:
            start = date.fromisoformat(str(member["cohort_start"]))
            milestones.add_milestone(db, actor, start, str(member["service"]), milestone)
    except (MeetingError, PermissionDenied) as refusal:
        st.error(f"Not added: {md(refusal)}.")
    else:
        flash(f"Milestone “{md(milestone.title.strip())}” added.")


def _edit_form(actor: Actor, plan: pd.DataFrame) -> None:
    rows = {int(r["milestone_id"]): r for r in plan.to_dict("records")}
    chosen = st.selectbox(
        "Change a milestone",
        list(rows),
        format_func=lambda i: f"#{i} {rows[i]['title']}",
        key="plan_edit_choice",
    )
    saved = rows[int(chosen)]
    version_key = _VERSION_KEY.format(chosen)
    st.session_state.setdefault(version_key, int(saved["version"]))
    with st.form(f"plan_edit_{chosen}"):
        milestone = _fields(f"plan_edit_{chosen}", saved)
        if not st.form_submit_button("Save the change"):
            return
    try:
        with meeting_schema.connect() as db:
            milestones.update_milestone(
                db, actor, int(chosen), milestone, read_version=int(st.session_state[version_key])
            )
    except StaleEdit as stale:
        del st.session_state[version_key]  # the form shows the saved version on the next run
        st.error(f"Not saved: {md(stale)}. The form now shows their version.")
    except (MeetingError, PermissionDenied) as refusal:
        st.error(f"Not saved: {md(refusal)}.")
    else:
        del st.session_state[version_key]
        flash(f"Milestone #{chosen} saved.")


def _no_service_to_show() -> None:
    """A link naming a cohort service is still answered when there is none: named back as
    text, and taken out of the address."""
    choose_from_url("service", "plan_service", [], "", "service")
    if "service" in st.query_params:
        del st.query_params["service"]


def plans_section(actor: Actor) -> None:
    """Choose a confirmed cohort service (``?service=`` in the URL); its plan and forms."""
    if FLASH_KEY in st.session_state:
        st.success(st.session_state.pop(FLASH_KEY))
    if not store_exists():
        _no_service_to_show()
        st.caption("No cohort has been confirmed yet: plans are written for confirmed services.")
        return
    try:
        with meeting_schema.connect() as db:
            members = cohorts.confirmed_services(db)
            plans = milestones.improvement_plans(db)
    except StoreUnavailable as problem:
        store_unavailable(problem)
        return
    members = members[members["in_cohort"]].drop_duplicates("service", keep="last")
    if members.empty:
        _no_service_to_show()
        st.caption("No cohort has been confirmed yet: plans are written for confirmed services.")
        return
    by_service = {str(m["service"]): m for m in members.to_dict("records")}
    names = list(by_service)
    choose_from_url("service", "plan_service", names, names[0], "service")
    service = str(
        st.selectbox(
            "Cohort service",
            names,
            key="plan_service",
            on_change=remember_in_url,
            args=("plan_service", "service"),
        )
    )
    member = by_service[service]
    plan = plans[plans["service"] == service]
    st.caption(f"{md(service)} · confirmed in {md(member['cohort_label'])}")
    if plan.empty:
        st.info("No milestone yet.")
    else:
        show_table(plan_table(plan))
    if not actor.may("write_milestone", str(member["department"])):
        st.caption("Leadership and the head of the service's department write its plan.")
        return
    current = plan[plan["cohort_start"] == member["cohort_start"]]
    if not current.empty:
        _edit_form(actor, current)
    _add_form(actor, member)
