"""Typed models of metrics.yml; unknown keys are errors (``extra="forbid"``)."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from pipelines.city.model import CityProfile

GRAINS = ("week", "month", "quarter", "fiscal_year")
# Breakdowns of service_requests; every table's own list is in pipelines.metrics.tables.
DIMENSIONS = ("council_district", "zip", "department", "service_name", "channel")
KINDS = ("count", "share", "duration_percentile", "backlog", "ratio")
OPS = ("=", "!=", "<", "<=", ">", ">=", "in", "not_in", "is_null", "is_not_null")
CONDITION_KEYS = frozenset({"column", "op", "value", "column_ref", "plus_days", "any"})
AS_OF = "as_of"  # the special condition value meaning "the data's as-of timestamp"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


class Condition(_Strict):
    """``{column, op, value}``, ``{column, op, column_ref}`` or ``{any: [conditions]}``.

    ``plus_days`` shifts the right-hand side by whole days: ``{column: closed_at, op: "<=",
    column_ref: opened_at, plus_days: 30}`` is "closed within 30 days of opening", and
    ``{column: opened_at, op: "<", value: as_of, plus_days: -30}`` "opened over 30 days ago".
    """

    column: str | None = None
    op: str | None = None
    value: Any = None
    column_ref: str | None = None
    plus_days: int | None = None
    any_of: list[Condition] | None = Field(default=None, alias="any")


def as_condition_list(raw: Any) -> Any:
    """Accept one condition mapping, a list of them, or the ``{column: [values]}`` shorthand."""
    if raw is None or isinstance(raw, list):
        return raw
    if isinstance(raw, dict):
        if raw and set(raw) <= CONDITION_KEYS:
            return [raw]
        return [
            {"column": column, "op": "in" if isinstance(value, list) else "=", "value": value}
            for column, value in raw.items()
        ]
    return raw


class Target(_Strict):
    """A target value that applies from a date on (optionally to one grain only)."""

    from_: date = Field(alias="from")
    value: float
    grain: str | None = None


HISTORY_RULES = ("last_year_median", "last_year_mean_sd")


class HistoryTarget(_Strict):
    """A target set from the metric's own history, as Boston's CityScore set its first ones.

    ``last_year_median``: the median of the metric's values in the year before each period;
    ``last_year_mean_sd``: their mean, one standard deviation better (minus when lower is
    better, plus when higher is better).
    """

    from_history: Literal["last_year_median", "last_year_mean_sd"]


class Baseline(_Strict):
    """The period a stat program measures change against, e.g. ``{period: FY2024}``."""

    period: str


class City(_Strict):
    """The city the metrics describe."""

    name: str
    fiscal_year_start_month: int = Field(default=7, ge=1, le=12)
    sources: list[str] = Field(default_factory=list)


class Defaults(_Strict):
    """Values every metric inherits unless it sets its own."""

    min_count: int = Field(default=30, ge=0)
    grains: list[str] = Field(default_factory=lambda: list(GRAINS))
    dimensions: list[str] = Field(default_factory=lambda: ["council_district", "zip"])


class Metric(_Strict):
    """One metric definition as written in metrics.yml."""

    id: str
    label: str
    description: str
    methodology: str
    department: str
    owner: str
    cohort_service: str | None = None
    unit: Literal["requests", "permits", "cases", "percent", "days", "ratio"]
    direction: Literal["higher_is_better", "lower_is_better"] | None = None
    kind: str
    table: str = "service_requests"
    filter: list[Condition] = Field(default_factory=list)
    numerator: list[Condition] | None = None
    denominator: list[Condition] | None = None
    date: str | None = None
    start: str | None = None
    end: str | None = None
    percentile: float | None = None
    # A share of records that reached `end` within this many days of `start` (the compiler
    # writes its numerator and denominator: pipelines/metrics/within.py).
    within_days: int | None = Field(default=None, ge=1)
    overdue: bool | None = None
    due: str | None = None
    age_buckets: list[int] | None = None
    numerator_metric: str | None = None
    denominator_metric: str | None = None
    targets: list[Target] = Field(default_factory=list)
    # A target from history instead of ``targets`` (pipelines/metrics/status_sql.py).
    target: HistoryTarget | None = None
    watch_band: float = Field(default=0.0, ge=0)
    min_count: int | None = Field(default=None, ge=0)
    grains: list[str] | None = None
    dimensions: list[str] | None = None
    baseline: Baseline | None = None
    # Shown on the public site and in the open-data CSV; internal-only unless set.
    public: bool = False
    # The id other cities give the same measure, for the Compare page (matched by id, not label).
    common_id: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_]*$")

    _conditions = field_validator("filter", "numerator", "denominator", mode="before")(
        as_condition_list
    )


class MetricsFile(_Strict):
    """The top level of metrics.yml; each metric is validated on its own afterwards.

    A city folder describes its city in city.yml; ``city:`` here is the one-file form for a
    metrics.yml used on its own (no department registry, no district layer).
    """

    city: City | None = None
    defaults: Defaults = Field(default_factory=Defaults)
    metrics: list[Any]


class MetricsConfig(BaseModel):
    """A checked metrics.yml: city, defaults and metrics with defaults filled in."""

    model_config = ConfigDict(frozen=True)

    city: City
    defaults: Defaults
    metrics: list[Metric]
    file_label: str = "metrics.yml"
    # The city.yml this metrics.yml belongs to (None for the one-file form).
    profile: CityProfile | None = None

    def metric(self, metric_id: str) -> Metric:
        """The metric with this id (KeyError naming the known ids otherwise)."""
        for metric in self.metrics:
            if metric.id == metric_id:
                return metric
        known = ", ".join(m.id for m in self.metrics)
        raise KeyError(f"no metric '{metric_id}' in {self.file_label}; known metrics: {known}")

    def grains(self, metric: Metric) -> list[str]:
        """The metric's grains, or the defaults."""
        return list(metric.grains if metric.grains is not None else self.defaults.grains)

    def dimensions(self, metric: Metric) -> list[str]:
        """The metric's breakdown dimensions, or the defaults."""
        dims = metric.dimensions if metric.dimensions is not None else self.defaults.dimensions
        return list(dims)

    def min_count(self, metric: Metric) -> int:
        """The metric's minimum observation count, or the default."""
        return metric.min_count if metric.min_count is not None else self.defaults.min_count


def has_target(metric: Metric) -> bool:
    """Whether the metric has a target: dated values (``targets``) or a rule from history."""
    return bool(metric.targets) or metric.target is not None


def all_conditions(metric: Metric) -> list[Condition]:
    """Every condition of the metric's filter, numerator and denominator, ``any`` unnested."""
    pending = [*metric.filter, *(metric.numerator or []), *(metric.denominator or [])]
    found: list[Condition] = []
    while pending:
        condition = pending.pop()
        found.append(condition)
        pending += condition.any_of or []
    return found


def as_of_columns(metric: Metric) -> list[str]:
    """Columns the metric's conditions compare with the as-of time (ratio parts excluded)."""
    return sorted(
        {c.column for c in all_conditions(metric) if c.value == AS_OF and c.column is not None}
    )


def shifts_as_of(metric: Metric) -> bool:
    """Whether a condition compares with the as-of time plus or minus days (``within_days``
    writes one): its verdict moves with the as-of in ways the daily run's difference does
    not follow, so such a metric is recomputed in full on every run."""
    return any(c.value == AS_OF and c.plus_days for c in all_conditions(metric))
