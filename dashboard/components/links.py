"""Links between pages that carry the view in the URL (metric, grain, department)."""

from __future__ import annotations

from urllib.parse import urlencode


def metric_link(metric_id: str, grain: str) -> str:
    """Relative link to the metric page with the metric and grain in the query string."""
    return f"metric?{urlencode({'metric': metric_id, 'grain': grain})}"


def department_link(department: str) -> str:
    """Relative link to the department page for one department."""
    return f"department?{urlencode({'department': department})}"


def equity_link(metric_id: str, grain: str) -> str:
    """Relative link to the equity page for one metric and grain."""
    return f"equity?{urlencode({'metric': metric_id, 'grain': grain})}"


def meeting_link(meeting_id: int) -> str:
    """Relative link to the meetings page opened on one meeting."""
    return f"meetings?{urlencode({'meeting': meeting_id})}"
