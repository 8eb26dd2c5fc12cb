"""Typed models of services.yml; unknown keys are errors (``extra="forbid"``)."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

# Executive Order 2-24's prioritization factors, in the order of priority the order gives them.
FACTORS = ("importance", "life_safety", "equity", "time_tax", "resources", "spillover")
FACTOR_LABELS = {
    "importance": "Importance to residents",
    "life_safety": "Life safety or public health",
    "equity": "Equity of current delivery",
    "time_tax": "Reduction of the time tax",
    "resources": "Resources (staff and funding)",
    "spillover": "Positive spillover",
}
# The grains metrics.yml knows (pipelines.metrics.model.GRAINS).
Grain = Literal["week", "month", "quarter", "fiscal_year"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Weights(_Strict):
    """Each factor's share of the priority score; they add up to 1, in priority order."""

    importance: float
    life_safety: float
    equity: float
    time_tax: float
    resources: float
    spillover: float

    def of(self, factor: str) -> float:
        """The weight of one factor by name."""
        return float(getattr(self, factor))


class Prioritization(_Strict):
    """How services are scored."""

    weights: Weights
    # People served a year that earns importance a full score; fewer score on a log scale.
    people_served_full_score: int = 100_000


class CapacityAssessment(_Strict):
    """One quarter's capacity, set after a capacity assessment (overrides the default)."""

    quarter: date  # the first day of the fiscal quarter
    capacity: int
    note: str | None = None


class Cohorts(_Strict):
    """Quarterly cohorts: when the first starts and how many services each takes."""

    first_start: date
    capacity: int
    assessments: list[CapacityAssessment] = Field(default_factory=list)


class Equity(_Strict):
    """District gaps: when one is flagged, and how one feeds the equity factor."""

    gap_threshold: float = 0.15
    full_score_gap: float = 0.5
    grain: Grain = "quarter"


class LeadershipIndex(_Strict):
    """The CityScore-style index: each metric's value against target, capped."""

    cap: float = 1.5


class Priority(_Strict):
    """One service's configured factor inputs (0–1 each, people served a year as a count)."""

    people_served: int
    survey: float | None = None
    life_safety: float
    equity: float
    time_tax: float
    resources: float
    spillover: float


class Service(_Strict):
    """One city service as written in services.yml."""

    name: str
    department: str
    description: str
    channels: list[str]
    mechanism: str
    fees: str
    costs: str | None = None
    resident_must: str
    application: bool = False
    documents: list[str] = Field(default_factory=list)
    cohort_service: str | None = None
    service_names: list[str] = Field(default_factory=list)
    priority: Priority


class ServicesFile(_Strict):
    """The top level of services.yml; each service is validated on its own afterwards."""

    channels: dict[str, str]
    prioritization: Prioritization
    cohorts: Cohorts
    equity: Equity = Field(default_factory=Equity)
    leadership_index: LeadershipIndex = Field(default_factory=LeadershipIndex)
    services: list[Any]


class ServicesConfig(BaseModel):
    """A checked services.yml, with the line each service starts on (for later checks)."""

    model_config = ConfigDict(frozen=True)

    channels: dict[str, str]
    prioritization: Prioritization
    cohorts: Cohorts
    equity: Equity
    leadership_index: LeadershipIndex
    services: list[Service]
    file_label: str = "services.yml"
    service_lines: dict[str, int] = Field(default_factory=dict)
    department_lines: dict[str, int] = Field(default_factory=dict)
    # Lines of cohorts.first_start and of each assessment's quarter, for checks with city.yml.
    cohort_lines: dict[str, int] = Field(default_factory=dict)

    def service(self, name: str) -> Service:
        """The service with this name (KeyError naming the known services otherwise)."""
        for service in self.services:
            if service.name == name:
                return service
        known = ", ".join(s.name for s in self.services)
        raise KeyError(f"no service '{name}' in {self.file_label}; known services: {known}")
