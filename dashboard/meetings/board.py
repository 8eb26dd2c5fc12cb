"""The cohort board: the warehouse's calendar of quarterly cohorts joined with the cohorts
leadership confirmed in the meetings store; an open quarter (in progress or next, not yet
confirmed) gets its proposal from the ranking. Nothing here imports Streamlit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from dashboard.meetings import cohorts
from dashboard.meetings.database import MeetingsDB
from dashboard.queries.cohorts import cohort_calendar, cohort_proposal
from dashboard.queries.metric_info import with_department_names
from dashboard.queries.reader import Warehouse


@dataclass(frozen=True)
class BoardCohort:
    """One quarter of the calendar with its services: confirmed, or proposed (open quarters)."""

    quarter: dict[Any, Any]
    confirmation: dict[Any, Any] | None
    members: pd.DataFrame

    @property
    def open(self) -> bool:
        """The current or the next quarter, not yet confirmed: leadership may confirm it."""
        return self.confirmation is None and self.quarter["state"] != "history"


def build_board(wh: Warehouse, db: MeetingsDB | None) -> list[BoardCohort]:
    """Every cohort of the calendar; an open quarter's proposal leaves out the services still
    improving in an earlier confirmed cohort and those of the current cohort."""
    calendar = cohort_calendar(wh)
    confirmations = pd.DataFrame() if db is None else cohorts.confirmations(db)
    confirmed = pd.DataFrame() if db is None else cohorts.confirmed_services(db)
    by_start = {str(c["cohort_start"]): c for c in confirmations.to_dict("records")}
    current = calendar[calendar["state"] == "current"]["cohort_start"].tolist()
    current_start = current[0] if current else calendar["cohort_start"].iloc[-1]
    held: list[str] = []
    board = []
    for quarter in calendar.to_dict("records"):
        confirmation = by_start.get(quarter["cohort_start"].isoformat())
        if confirmation is not None:
            members = confirmed[confirmed["cohort_start"] == confirmation["cohort_start"]]
            members = with_department_names(wh, members.reset_index(drop=True))
        elif quarter["state"] == "history":
            members = pd.DataFrame()
        else:
            improving = (
                []
                if db is None
                else cohorts.still_improving(db, quarter["cohort_start"], current_start)
            )
            members = cohort_proposal(wh, int(quarter["capacity"]), improving + held)
        if quarter["state"] != "history" and not members.empty:
            kept = members if confirmation is None else members[members["in_cohort"]]
            held += kept["service"].astype(str).tolist()
        board.append(BoardCohort(quarter, confirmation, members))
    return board
