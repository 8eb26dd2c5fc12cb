"""Who may write what in the meetings store: the signed-in person as an ``Actor`` and the rules.

Roles (issue 15): ``leadership`` may do everything (and alone confirms a quarterly cohort); a
``department_head`` writes commentary and action items of their own departments' meetings, and
the improvement-plan milestones of their own departments' services, only; an ``analyst`` reads
everything and may use the analyst tools (metric preview, data quality) and drafts the
briefing memo (leadership freezes it) but writes nothing else here; a ``viewer`` reads only.
The store checks these rules on every write (``require``), so hiding a widget is never the
only guard. Nothing here imports Streamlit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Role = Literal["leadership", "department_head", "analyst", "viewer"]
ROLES: tuple[Role, ...] = ("leadership", "department_head", "analyst", "viewer")
Action = Literal[
    "schedule_meeting",  # create a meeting and freeze its packet
    "close_meeting",  # close or reopen a meeting
    "write_commentary",  # the four questions, per metric of a meeting
    "write_action",  # add an action item or change its status
    "use_analyst_tools",  # metric preview, data quality drill-down
    "confirm_cohort",  # confirm the services of a quarterly cohort
    "write_milestone",  # add or change a milestone of a cohort service's improvement plan
    "write_memo",  # draft and edit a meeting's briefing memo
    "freeze_memo",  # make the briefing memo final for the printed packet
    "review_role_changes",  # read who roles.yml gave which role, and when
]
# What a department head may do, for their own departments only.
_DEPARTMENT_WRITES = ("write_commentary", "write_action", "write_milestone")


class PermissionDenied(Exception):
    """A write the signed-in person's role does not allow; the message says why."""


@dataclass(frozen=True)
class Actor:
    """The signed-in person: a stable id (e-mail or subject), a display name, a role, and for
    a department head the department ids they answer for, with those departments' registry
    names (a meeting's packet freezes each metric's department by the name pages show)."""

    user: str
    name: str
    role: Role
    departments: frozenset[str] = field(default_factory=frozenset)
    department_names: frozenset[str] = field(default_factory=frozenset)

    def may(self, action: Action, department: str | None = None) -> bool:
        """True when this person may do ``action`` (on a meeting of ``department``, if given)."""
        if self.role == "leadership":
            return True
        if self.role == "department_head" and action in _DEPARTMENT_WRITES:
            return department is not None and (
                department in self.departments or department in self.department_names
            )
        return self.role == "analyst" and action in ("use_analyst_tools", "write_memo")

    def require(self, action: Action, department: str | None = None) -> None:
        """Raise PermissionDenied, saying why, unless this person may do ``action``."""
        if self.may(action, department):
            return
        what = action.replace("_", " ")
        if self.role == "department_head" and action in _DEPARTMENT_WRITES:
            mine = ", ".join(sorted(self.department_names or self.departments)) or "none"
            raise PermissionDenied(
                f"{self.name} ({self.role}) may {what} only for their own departments ({mine}), "
                f"not for {department or 'a meeting without a department'}"
            )
        raise PermissionDenied(f"{self.name} ({self.role}) may not {what}")


# Used by scripts and tests that act as the system (the demo's seeding, migrations).
SYSTEM = Actor(user="system", name="citystat", role="leadership")
