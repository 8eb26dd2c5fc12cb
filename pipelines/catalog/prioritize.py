"""Score services on Executive Order 2-24's six factors and rank them (``calendar.py`` places
the ranks in quarterly cohorts, in SQL).

Pure Python over the few dozen services in services.yml; the data-driven inputs (request
volume, district gaps) arrive already aggregated by SQL in ``evidence.py``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import date

from pipelines.catalog.model import FACTOR_LABELS, FACTORS, Service, ServicesConfig

BASIS_DATA = "warehouse"
BASIS_CONFIG = "services.yml"


@dataclass(frozen=True)
class DistrictGap:
    """The worst comparable district gap among a service's metrics."""

    gap: float
    metric_label: str
    district: str
    period_label: str


@dataclass(frozen=True)
class Evidence:
    """What the warehouse says about one service (None where it says nothing)."""

    requests_last_year: int | None = None
    as_of: date | None = None
    gap: DistrictGap | None = None


@dataclass(frozen=True)
class FactorScore:
    """One factor of one service: its score, weight, contribution and where it came from."""

    factor: str
    weight: float
    score: float
    basis: str
    detail: str

    @property
    def contribution(self) -> float:
        """The factor's share of the service's score (weight times score)."""
        return self.weight * self.score

    @property
    def label(self) -> str:
        """The factor's name in words."""
        return FACTOR_LABELS[self.factor]


@dataclass(frozen=True)
class RankedService:
    """A scored service with its rank and reason."""

    service: Service
    factors: list[FactorScore]
    people_served: int
    people_served_basis: str
    rank: int = 0
    reason: str = ""

    @property
    def score(self) -> float:
        """Sum of the factor contributions, 0..1 when the weights add up to 1."""
        return sum(f.contribution for f in self.factors)

    def factor(self, name: str) -> FactorScore:
        """One factor's score by name."""
        return next(f for f in self.factors if f.factor == name)


def people_served_score(people: int, full_score: int) -> float:
    """0..1 on a log scale: ``full_score`` people a year (or more) scores 1, one person ~0."""
    if people <= 0:
        return 0.0
    return min(1.0, math.log10(1 + people) / math.log10(1 + full_score))


def equity_score(gap: float, full_score_gap: float) -> float:
    """0..1: a district gap of ``full_score_gap`` (relative) or more scores 1; no gap scores 0."""
    return min(1.0, max(0.0, gap) / full_score_gap)


def score_service(service: Service, evidence: Evidence, config: ServicesConfig) -> RankedService:
    """Score one service on every factor, using the warehouse's evidence where it has some."""
    weights = config.prioritization.weights
    priority = service.priority
    people, basis, importance = _importance(service, evidence, config)
    scores = {"importance": importance}
    scores["equity"] = _equity(service, evidence, config)
    for factor in ("life_safety", "time_tax", "resources", "spillover"):
        scores[factor] = FactorScore(
            factor, weights.of(factor), float(getattr(priority, factor)), BASIS_CONFIG, ""
        )
    return RankedService(
        service=service,
        factors=[scores[factor] for factor in FACTORS],
        people_served=people,
        people_served_basis=basis,
    )


def _importance(
    service: Service, evidence: Evidence, config: ServicesConfig
) -> tuple[int, str, FactorScore]:
    full = config.prioritization.people_served_full_score
    survey = service.priority.survey
    if evidence.requests_last_year:
        people, basis = evidence.requests_last_year, BASIS_DATA
        until = f" to {evidence.as_of.isoformat()}" if evidence.as_of else ""
        detail = f"{people:,} requests to 311 in the 12 months{until}"
    else:
        people, basis = service.priority.people_served, BASIS_CONFIG
        detail = f"about {people:,} people a year (services.yml estimate)"
    parts = [people_served_score(people, full)]
    if survey is not None:
        parts.append(survey)
        detail += f"; survey {survey:.2f}"
    weight = config.prioritization.weights.of("importance")
    return people, basis, FactorScore("importance", weight, sum(parts) / len(parts), basis, detail)


def _equity(service: Service, evidence: Evidence, config: ServicesConfig) -> FactorScore:
    weight = config.prioritization.weights.of("equity")
    gap = evidence.gap
    if gap is None:
        return FactorScore(
            "equity", weight, service.priority.equity, BASIS_CONFIG, "services.yml estimate"
        )
    score = equity_score(gap.gap, config.equity.full_score_gap)
    if gap.gap > 0:
        detail = (
            f"District {gap.district} is {gap.gap:.0%} worse than citywide on "
            f"“{gap.metric_label}” ({gap.period_label})"
        )
    else:
        detail = f"no district is worse than citywide on its metrics ({gap.period_label})"
    return FactorScore("equity", weight, score, BASIS_DATA, detail)


def _tie_break_key(ranked: RankedService) -> tuple[float | str, ...]:
    # Equal scores: the factor the order ranks first decides, then the next, then the name.
    total = round(ranked.score, 9)
    factor_scores = tuple(-round(f.score, 9) for f in ranked.factors)
    return (-total, *factor_scores, ranked.service.name)


def rank_services(scored: list[RankedService]) -> list[RankedService]:
    """Order by score (ties by factors in priority order, then name) and number the ranks."""
    ordered = sorted(scored, key=_tie_break_key)
    ranked = []
    for index, item in enumerate(ordered):
        placed = replace(item, rank=index + 1)
        ranked.append(replace(placed, reason=explain_rank(placed, len(ordered))))
    return ranked


def explain_rank(ranked: RankedService, total: int) -> str:
    """A plain-language reason: the score, its two largest contributions and the data used."""
    top = sorted(ranked.factors, key=lambda f: (-f.contribution, FACTORS.index(f.factor)))[:2]
    strongest = " and ".join(
        f"{f.label.lower()} ({f.contribution:.2f} of {f.weight:.2f})" for f in top
    )
    parts = [f"Rank {ranked.rank} of {total}, score {ranked.score:.2f}: strongest on {strongest}."]
    for factor in ranked.factors:
        if factor.basis == BASIS_DATA:
            parts.append(f"{factor.label} from data: {factor.detail}.")
    return " ".join(parts)
