"""Packets built by hand and the people who write them, for the meetings store tests.

A department meeting of ``streets`` reviews ON_TIME (department ``streets``); a cohort meeting
reviews ON_TIME (``streets``) and RESPONSE (``police``), three months each. Department ids are
registry ids, as city.yml's ``departments`` give them.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from dashboard.meetings import store
from dashboard.meetings.database import MeetingsDB
from dashboard.meetings.permissions import Actor

ON_TIME = "street_defect_on_time"
RESPONSE = "police_response_minutes"
MONTHS = ("2025-01", "2025-02", "2025-03")

LEAD = Actor("mayor@city.example", "Cherelle Parker", "leadership")
STREETS_HEAD = Actor(
    "streets@city.example", "Carlton Williams", "department_head", frozenset({"streets"})
)
POLICE_HEAD = Actor("police@city.example", "Kevin Bethel", "department_head", frozenset({"police"}))
ANALYST = Actor("analyst@city.example", "Ana Lyst", "analyst")
VIEWER = Actor("viewer@city.example", "Vi Ewer", "viewer")

_METRICS = {
    ON_TIME: ("Street defects closed on time", "streets", "percent", "higher_is_better"),
    RESPONSE: ("Police response time", "police", "minutes", "lower_is_better"),
}


def definitions(*metric_ids: str) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "metric_id": metric_id,
                "label": label,
                "description": f"{label}.",
                "methodology": "By hand.",
                "department": department,
                "owner": f"Owner of {label}",
                "cohort_service": None,
                "unit": unit,
                "direction": direction,
                "public": True,
            }
            for metric_id, (label, department, unit, direction) in _METRICS.items()
            if metric_id in metric_ids
        ]
    )


def values(*metric_ids: str) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "metric_id": metric_id,
                "period_label": month,
                "period_start": f"{month}-01",
                "period_end": f"{month}-28",
                "value": 0.7 + n / 10,
                "target": 0.8,
                "status": "watch",
                "count": 100 + n,
            }
            for metric_id in metric_ids
            for n, month in enumerate(MONTHS)
        ]
    )


def department_meeting(db: MeetingsDB, when: date = date(2025, 4, 20)) -> int:
    """A meeting of the streets department, its packet frozen, by leadership."""
    spec = store.MeetingSpec(when, "department", "streets", "month")
    provenance = store.Provenance("run-1", None, "wh")
    return store.create_meeting(db, LEAD, spec, definitions(ON_TIME), values(ON_TIME), provenance)


def cohort_meeting(db: MeetingsDB, when: date = date(2025, 4, 20)) -> int:
    """A cohort meeting reviewing a streets metric and a police metric."""
    spec = store.MeetingSpec(when, "cohort", "FY2025 Q4", "month")
    provenance = store.Provenance("run-1", None, "wh")
    both = (ON_TIME, RESPONSE)
    return store.create_meeting(db, LEAD, spec, definitions(*both), values(*both), provenance)
