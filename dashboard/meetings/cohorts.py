"""Confirmed quarterly cohorts: leadership confirms the services of a proposed cohort.

A confirmation records who confirmed which services, when, from which proposal (the data's
current date it was made on, the quarter's capacity) and how the confirmed list differs from
the proposal: every service proposed or confirmed is kept, marked ``proposed`` and
``in_cohort``. Only leadership may confirm (``confirm_cohort``), once per quarter; the
confirmation is recorded in the audit trail (entity 'cohort', action 'confirmed') in the same
transaction. The warehouse is never written: the proposal is read from it and passed in.
Nothing here imports Streamlit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlalchemy import Connection, text

from dashboard.meetings import audit
from dashboard.meetings.database import MeetingError, MeetingsDB, first_row, frame, reading, utc_now
from dashboard.meetings.permissions import Actor


@dataclass(frozen=True)
class CohortQuarter:
    """The fiscal quarter a cohort runs, as the warehouse's calendar names it."""

    start: date
    end: date  # exclusive
    label: str
    capacity: int
    data_as_of: date | None = None


@dataclass(frozen=True)
class Candidate:
    """A service as the ranking saw it when the cohort was proposed or confirmed."""

    service: str
    department: str
    rank: int | None = None


_INSERT_CONFIRMATION = """
INSERT INTO cohort_confirmations (cohort_start, cohort_label, cohort_end, capacity, data_as_of,
    confirmed_at, confirmed_by, confirmed_by_name, note)
VALUES (:start, :label, :end, :capacity, :as_of, :at, :user, :name, :note)
"""
_INSERT_SERVICE = """
INSERT INTO cohort_services (cohort_start, service, department, rank, proposed, in_cohort)
VALUES (:start, :service, :department, :rank, :proposed, :in_cohort)
"""


def _check_choice(quarter: CohortQuarter, chosen: Sequence[Candidate]) -> None:
    names = [c.service for c in chosen]
    if not names:
        raise MeetingError(f"choose at least one service for {quarter.label}")
    if len(set(names)) != len(names):
        raise MeetingError("a service is listed twice; list each service once")
    if len(names) > quarter.capacity:
        raise MeetingError(
            f"{quarter.label} can take {quarter.capacity} service(s) and {len(names)} were "
            "chosen; leave some out, or record a capacity assessment for the quarter in "
            "services.yml (cohorts.assessments) and run again"
        )


def confirm_cohort(
    db: MeetingsDB,
    actor: Actor,
    quarter: CohortQuarter,
    proposed: Sequence[Candidate],
    chosen: Sequence[Candidate],
    note: str = "",
) -> None:
    """Confirm the services of one quarter's cohort (leadership only, once per quarter)."""
    actor.require("confirm_cohort")
    _check_choice(quarter, chosen)
    start = quarter.start.isoformat()
    proposed_names = {c.service for c in proposed}
    chosen_names = {c.service for c in chosen}
    rows = [(c, c.service in proposed_names, True) for c in chosen]
    rows += [(c, True, False) for c in proposed if c.service not in chosen_names]
    with db.write() as conn:
        earlier = first_row(
            conn,
            "SELECT confirmed_by_name, confirmed_at FROM cohort_confirmations "
            "WHERE cohort_start = :start",
            {"start": start},
        )
        if earlier is not None:
            raise MeetingError(
                f"{quarter.label} was already confirmed by {earlier['confirmed_by_name']} at "
                f"{earlier['confirmed_at']} UTC"
            )
        conn.execute(
            text(_INSERT_CONFIRMATION),
            {
                "start": start,
                "label": quarter.label,
                "end": quarter.end.isoformat(),
                "capacity": quarter.capacity,
                "as_of": None if quarter.data_as_of is None else quarter.data_as_of.isoformat(),
                "at": utc_now(),
                "user": actor.user,
                "name": actor.name,
                "note": note.strip() or None,
            },
        )
        for candidate, was_proposed, kept in rows:
            conn.execute(
                text(_INSERT_SERVICE),
                {
                    "start": start,
                    "service": candidate.service,
                    "department": candidate.department,
                    "rank": candidate.rank,
                    "proposed": int(was_proposed),
                    "in_cohort": int(kept),
                },
            )
        after = {
            "quarter": start,
            "services": [c.service for c in chosen],
            "added": sorted(chosen_names - proposed_names),
            "left_out": sorted(proposed_names - chosen_names),
            "note": note.strip() or None,
        }
        audit.record(conn, actor, "confirmed", "cohort", quarter.label, None, after=after)


def confirmations(source: MeetingsDB | Connection) -> pd.DataFrame:
    """Every confirmed cohort, earliest quarter first."""
    with reading(source) as conn:
        return frame(conn, "SELECT * FROM cohort_confirmations ORDER BY cohort_start")


_MEMBERS_SQL = """
SELECT c.cohort_start, c.cohort_label, s.service, s.department, s.rank, s.proposed,
       s.in_cohort
FROM cohort_services s JOIN cohort_confirmations c USING (cohort_start)
ORDER BY c.cohort_start, s.in_cohort DESC, s.rank, s.service
"""


def confirmed_services(source: MeetingsDB | Connection) -> pd.DataFrame:
    """Every service of every confirmation: in the cohort, or proposed and left out."""
    with reading(source) as conn:
        members = frame(conn, _MEMBERS_SQL)
    for column in ("proposed", "in_cohort"):
        members[column] = members[column].astype(bool)
    return members


# A service is still improving while its cohort's quarter has not ended (the current cohort,
# or a later one) or while its improvement plan has a milestone planned or in progress.
_IMPROVING_SQL = """
SELECT DISTINCT s.service
FROM cohort_services s
WHERE s.in_cohort = 1 AND s.cohort_start < :before
  AND (s.cohort_start >= :current_start
       OR EXISTS (SELECT 1 FROM milestones m
                  WHERE m.cohort_start = s.cohort_start AND m.service = s.service
                    AND m.status IN ('planned', 'in_progress')))
ORDER BY s.service
"""


def still_improving(
    source: MeetingsDB | Connection, before: date, current_start: date
) -> list[str]:
    """Services of cohorts confirmed for quarters before ``before`` that are still improving:
    their quarter is the current one (starting ``current_start``) or later, or their plan has
    an open milestone. A proposal for ``before`` leaves them out."""
    with reading(source) as conn:
        rows = conn.execute(
            text(_IMPROVING_SQL),
            {"before": before.isoformat(), "current_start": current_start.isoformat()},
        )
        return [str(service) for service in rows.scalars()]
