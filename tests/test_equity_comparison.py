"""The Equity page's district comparison (dashboard.queries.equity.comparison_sql) on a tiny
hand-made warehouse: Wilson intervals, rates per 1,000 residents, the minimum count and the
metric's direction, every number worked out by hand below.

z = 1.959964 (95%), z² = 3.841459. Wilson: (p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n).

Shares, month 2025-01, min_count 10:
  on_time (higher is better), citywide 60 of 100 = 0.60
    D1  8 of 10: 1 + z²/n = 1.384146; centre (0.8 + 0.192073) / 1.384146 = 0.716740;
                 half 1.959964 · sqrt(0.016 + 0.009604) / 1.384146 = 0.226577
                 → [0.490, 0.943]; better than 0.60: not flagged
    D2  2 of 20: 1.192073; centre (0.1 + 0.096036) / 1.192073 = 0.164450;
                 half 1.959964 · sqrt(0.0045 + 0.002401) / 1.192073 = 0.136585
                 → [0.028, 0.301]; 0.301 < 0.60: the whole interval is worse: flagged
    D3  1 of 1:  4.841459; centre (1 + 1.920729) / 4.841459 = 0.603271; half 1.959964 ·
                 sqrt(0 + 0.960365) / 4.841459 = 0.396725 → 100%, interval [0.207, 1.000],
                 but 1 < min_count 10: not compared, not flagged
    D4  5 of 12: 0.417, interval [0.193, 0.680]; worse than 0.60 but the interval reaches
                 above it: not flagged
  reopened (lower is better), citywide 30 of 100 = 0.30, the same districts:
    D1  [0.490, 0.943]: 0.490 > 0.30, the whole interval is worse: flagged
    D2  [0.028, 0.301]: better (0.10 < 0.30): not flagged
Counts, overdue (lower is better), citywide 110 (10 of them in no district), min_count 10:
  populations D1 2,000  D2 4,000  D3 1,000  D4 3,000 (10,000 residents)
    D1 30 → 30 · 1000 / 2000 = 15.0 per 1,000; citywide 110 · 1000 / 10000 = 11.0;
           gap (15 - 11) / 11 = +36.4% > 15%: flagged
    D2 40 → 10.0; gap -9.1% (better)     D4 25 → 8.333; gap -24.2% (better)
    D3  5 → 5.0, but 5 < 10: not compared
  without populations: each against 110 / 4 districts = 27.5, never flagged
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import duckdb
import pandas as pd
import pytest

from dashboard.components import equity as words
from dashboard.queries.equity import Z_95, comparison_sql
from pipelines.city.tables import PROFILE_DDL
from pipelines.warehouse.schema import create_schema
from pipelines.warehouse.words import COUNT_UNITS

JAN = (date(2025, 1, 1), date(2025, 2, 1), "2025-01", True)
SHARES = [("1", 8, 10), ("2", 2, 20), ("3", 1, 1), ("4", 5, 12)]
COUNTS = [("1", 30), ("2", 40), ("3", 5), ("4", 25)]
POPULATIONS = {"1": 2000, "2": 4000, "3": 1000, "4": 3000}


def _value(metric: str, dimension: str, district: str, value: float, num: float | None,
           den: float | None, count: int) -> tuple[object, ...]:  # fmt: skip
    start, end, label, complete = JAN
    return (metric, "month", start, end, label, complete, dimension, district, value, num, den,
            count, None, "no_target")  # fmt: skip


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    create_schema(connection)
    connection.execute(PROFILE_DDL)
    connection.executemany(
        "INSERT INTO metric_definitions (metric_id, unit, direction, kind, min_count) "
        "VALUES (?, ?, ?, ?, 10)",
        [
            ("on_time", "percent", "higher_is_better", "share"),
            ("reopened", "percent", "lower_is_better", "share"),
            ("overdue", "requests", "lower_is_better", "backlog"),
        ],
    )
    rows = [_value("on_time", "citywide", "Citywide", 0.6, 60, 100, 100)]
    rows += [_value("reopened", "citywide", "Citywide", 0.3, 30, 100, 100)]
    for metric in ("on_time", "reopened"):
        rows += [_value(metric, "council_district", d, s / n, s, n, n) for d, s, n in SHARES]
    rows += [_value("overdue", "citywide", "Citywide", 110, None, None, 110)]
    rows += [_value("overdue", "council_district", d, c, None, None, c) for d, c in COUNTS]
    rows += [_value("overdue", "council_district", "Unknown", 10, None, None, 10)]
    connection.executemany(
        "INSERT INTO metric_values VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
    )
    connection.executemany(
        "INSERT INTO districts VALUES (?, ?, ?, 'Census', 2020, NULL, 'council_district', "
        "'Council district', ?, true)",
        [(d, f"District {d}", p, int(d)) for d, p in POPULATIONS.items()],
    )
    yield connection
    connection.close()


def _compare(con: duckdb.DuckDBPyConnection, metric: str, layer: bool = True) -> pd.DataFrame:
    params = {
        "metric_id": metric,
        "grain": "month",
        "count_units": sorted(COUNT_UNITS),
        "z": Z_95,
        "threshold": 0.15,
    }
    frame = con.execute(comparison_sql(layer), params).df()
    return frame.set_index("council_district")


def test_wilson_interval_of_8_of_10_is_the_known_value(con: duckdb.DuckDBPyConnection) -> None:
    rows = _compare(con, "on_time")
    # The textbook value for 8 successes in 10 (Wilson 1927; Newcombe 1998): [0.490, 0.943].
    assert (rows.at["1", "ci_low"], rows.at["1", "ci_high"]) == pytest.approx(
        (0.490, 0.943), abs=5e-4
    )
    assert (rows.at["2", "ci_low"], rows.at["2", "ci_high"]) == pytest.approx(
        (0.027866, 0.301035), abs=1e-5
    )
    assert (rows.at["4", "ci_low"], rows.at["4", "ci_high"]) == pytest.approx(
        (0.193261, 0.680489), abs=1e-5
    )
    assert set(rows["basis"]) == {"share"}
    assert list(rows["observations"]) == [10, 20, 1, 12]


def test_a_share_is_behind_only_when_its_whole_interval_is_worse(
    con: duckdb.DuckDBPyConnection,
) -> None:
    rows = _compare(con, "on_time")
    assert rows["flagged"].to_dict() == {"1": False, "2": True, "3": False, "4": False}
    # D4 is worse (0.417 < 0.60) but its interval reaches 0.680: compared, not flagged.
    assert rows.at["4", "gap"] == pytest.approx((0.6 - 5 / 12) / 0.6)
    assert bool(rows.at["4", "comparable"])


def test_one_request_never_shows_a_flagged_100_percent(con: duckdb.DuckDBPyConnection) -> None:
    rows = _compare(con, "on_time")
    assert rows.at["3", "value"] == 1.0
    assert (rows.at["3", "ci_low"], rows.at["3", "ci_high"]) == pytest.approx(
        (0.206549, 1.0), abs=1e-5
    )
    assert rows.at["3", "not_compared"] == "too_few"
    assert not rows.at["3", "flagged"]
    table = words.district_table(rows.reset_index().iloc[[2]], "percent", {}, "requests")
    assert table.iloc[0].to_dict() == {
        "District": "District 3",
        "Value": "100.0%",
        "Of": "1 of 1",
        "95% interval": "20.7%–100.0%",
        "Compared with": "60.0% (citywide)",
        "Gap": "+40.0 pts (better)",
        "Flag": "Not compared: fewer than 10 requests",
        "Status": "○ No target",
    }


def test_gaps_read_in_the_metrics_direction(con: duckdb.DuckDBPyConnection) -> None:
    rows = _compare(con, "reopened")
    # Lower is better: D1's 80% reopened, interval from 0.490, is above citywide 0.30.
    assert rows["flagged"].to_dict() == {"1": True, "2": False, "3": False, "4": False}
    assert rows.at["1", "gap"] == pytest.approx((0.8 - 0.3) / 0.3)
    assert rows.at["2", "gap"] == pytest.approx((0.1 - 0.3) / 0.3)
    flagged = rows.reset_index().iloc[[0]]
    assert words.behind_sentence(flagged, "percent", {"1": "North"}, "2025-01") == (
        "2025-01: North is behind citywide: 80.0% (95% interval 49.0%–94.3%) against 30.0% "
        "(+50.0 pts, worse)."
    )


def test_counts_are_rates_per_1000_residents(con: duckdb.DuckDBPyConnection) -> None:
    rows = _compare(con, "overdue")
    assert set(rows["basis"]) == {"rate"}
    assert rows["value"].to_dict() == pytest.approx({"1": 15.0, "2": 10.0, "3": 5.0, "4": 25 / 3})
    assert list(rows["reference_value"]) == pytest.approx([11.0] * 4)
    assert rows["gap"].to_dict() == pytest.approx(
        {"1": 4 / 11, "2": -1 / 11, "3": -6 / 11, "4": (25 / 3 - 11) / 11}
    )
    assert rows["flagged"].to_dict() == {"1": True, "2": False, "3": False, "4": False}
    assert rows.at["3", "not_compared"] == "too_few"
    row = words.district_table(rows.reset_index().iloc[[0]], "requests", {}, "requests")
    assert (row.at[0, "Value"], row.at[0, "Of"], row.at[0, "Compared with"]) == (
        "15.00 per 1,000 residents",
        "30 requests · 2,000 residents",
        "11.00 per 1,000 residents (citywide)",
    )


@pytest.mark.parametrize("missing", ["all", "one"])
def test_counts_without_populations_are_shown_per_district_unflagged(
    con: duckdb.DuckDBPyConnection, missing: str
) -> None:
    where = "" if missing == "all" else " WHERE id = '3'"
    con.execute(f"UPDATE districts SET population = NULL{where}")
    rows = _compare(con, "overdue")
    assert set(rows["basis"]) == {"per_district"}
    assert rows["value"].to_dict() == {"1": 30, "2": 40, "3": 5, "4": 25}
    assert set(rows["reference_value"]) == {27.5}  # 110 / 4 districts
    assert set(rows["not_compared"]) == {"no_population"}
    assert not rows["flagged"].any()


def test_an_interval_at_0_or_100_percent_ends_exactly_there(
    con: duckdb.DuckDBPyConnection,
) -> None:
    # 0 of 103 (a Boston district-month): centre z²/2n / (1 + z²/n) = half, so the lower
    # bound is 0 up to rounding, and must not read "-0.0%".
    con.execute(
        "UPDATE metric_values SET numerator = 0, value = 0, denominator = 103 "
        "WHERE metric_id = 'on_time' AND dimension_value = '1'"
    )
    con.execute(
        "UPDATE metric_values SET numerator = 20, value = 1 WHERE metric_id = 'on_time' "
        "AND dimension_value = '2'"
    )
    rows = _compare(con, "on_time")
    assert rows.at["1", "ci_low"] == 0.0 and rows.at["2", "ci_high"] == 1.0
    # The upper bound of 0 of 103: 2 · (z²/2n) / (1 + z²/n) = 0.037295 / 1.037295 = 0.035954.
    assert rows.at["1", "ci_high"] == pytest.approx(0.035954, abs=1e-6)
    assert words.interval_text(rows.at["1", "ci_low"], rows.at["1", "ci_high"]) == "0.0%–3.6%"


def test_a_warehouse_without_the_district_layer(con: duckdb.DuckDBPyConnection) -> None:
    rows = _compare(con, "overdue", layer=False)
    assert set(rows["basis"]) == {"per_district"}
    assert _compare(con, "on_time", layer=False)["flagged"].to_dict()["2"]


def _layer(populations: list[int | None], equal: bool | None) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": ["1", "2"],
            "population": populations,
            "population_source": ["U.S. Census *2010*", "U.S. Census *2010*"],
            "population_year": [2010, 2010],
            "label": ["Ward", "Ward"],
            "equal_population": [equal, equal],
        }
    )


def test_population_note_names_source_year_or_the_drawing_rule() -> None:
    assert words.population_note(_layer([69548, 69606], True)) == (
        r"District populations (139,154 residents in all): U.S. Census \*2010\*, 2010."
    )
    assert "are drawn to near-equal population" in words.population_note(_layer([None, None], True))
    assert "are not drawn to equal population" in words.population_note(_layer([None, None], False))
    assert "does not say whether the wards" in words.population_note(_layer([None, 5], None))
