"""A town with 311 requests, permits and inspections, run through the whole pipeline once, for
the page tests of issue 14 items 3.3–3.5 (no tests here).

Every number the tests assert is counted by hand from the rows below.

town_311 (requests_1.csv, requests_2.csv; districts as the extract writes them):
  Q1 2024-03-01 Closed  "00"   staged
  Q2 2024-03-02 Open    "07"   staged, district "7" (zero padding dropped)
  Q3 2024-03-03 Open    "7"    staged
  Q4 2024-03-04 closed a day before it opened: quarantined (closed_at before opened_at)
  Q5 2024-03-05 "Pending": quarantined (a status the mapping does not map)
  Q6 one field too many: rejected by the CSV reader
  Q7 2024-04-01 Open    "00"   staged (second file)
  Q8 "yesterday": quarantined (no format parses it)
  Q9 2024-04-02 Open    "3.0"  staged, district "3"
  -> 2 files, 9 rows read = 5 staged + 3 quarantined + 1 rejected. March (complete): 3
     requests, district 00: 1, district 7: 2. April is in progress (as of 2024-04-02).
town_permits (permits_1.csv):
  P1 applied 2024-03-01, issued 2024-03-05, district 1; P2 applied 2024-03-10, district 2;
  P3 issued the day before it was applied: quarantined; P4 applied 2024-04-01, district 1.
  -> 1 file, 4 read = 3 staged + 1 quarantined. March: 2 permits (district 1: 1, 2: 1).
town_inspections (cases_1.csv): C1 2024-03-03, C2 2024-03-04, C3 2024-04-01, nothing set aside.
  -> 1 file, 3 read = 3 staged. March: 2 cases.
Latest file per source: requests_2.csv (3 read, 1 quarantined), permits_1.csv (4, 1),
cases_1.csv (3, 0): 10 read, 2 quarantined, 0 rejected; 2 + 3 + 3 = 8 new records.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.components import site
from dashboard.meetings import schema as meeting_schema
from pipelines.run.pipeline import run_pipeline
from tests.ingest_town import Town, metric

APP = Path(__file__).resolve().parent.parent / "dashboard" / "app.py"

_COMMON = """\
city: Permitville
timezone: America/Chicago
timestamps: {formats: ["%Y-%m-%d %H:%M", "%Y-%m-%d"]}
"""
MAPPINGS = {
    "town_311": f"""\
source: town_311
title: Town 311 requests
files: {{pattern: town/requests_*.csv}}
{_COMMON}columns: {{request_id: id, opened_at: opened, closed_at: closed, status: state,
          council_district: district}}
statuses: {{Open: open, Closed: closed}}
""",
    "town_permits": f"""\
source: town_permits
title: Town building permits
kind: permits
files: {{pattern: town/permits_*.csv}}
{_COMMON}columns: {{permit_id: id, applied_at: applied, issued_at: issued, status: state,
          council_district: district}}
statuses: {{Issued: issued, Review: in_review}}
""",
    "town_inspections": f"""\
source: town_inspections
title: Town complaint cases
kind: inspections
files: {{pattern: town/cases_*.csv}}
{_COMMON}columns: {{case_id: id, received_at: received, status: state}}
statuses: {{Open: open, Closed: closed}}
""",
}
EXTRACTS = {
    "requests_1.csv": """\
id,opened,closed,state,district
Q1,2024-03-01 08:00,2024-03-02 08:00,Closed,00
Q2,2024-03-02 08:00,,Open,07
Q3,2024-03-03 08:00,,Open,7
Q4,2024-03-04 08:00,2024-03-03 08:00,Closed,3
Q5,2024-03-05 08:00,,Pending,3
Q6,2024-03-06 08:00,,Open,3,extra
""",
    "requests_2.csv": """\
id,opened,closed,state,district
Q7,2024-04-01 08:00,,Open,00
Q8,yesterday,,Open,07
Q9,2024-04-02 08:00,,Open,3.0
""",
    "permits_1.csv": """\
id,applied,issued,state,district
P1,2024-03-01,2024-03-05,Issued,1
P2,2024-03-10,,Review,2
P3,2024-03-12,2024-03-11,Issued,2
P4,2024-04-01,,Review,1
""",
    "cases_1.csv": """\
id,received,state
C1,2024-03-03 09:00,Open
C2,2024-03-04 09:00,Closed
C3,2024-04-01 09:00,Open
""",
}
METRICS = [
    metric(
        "requests_opened",
        "unit: requests\nkind: count\ngrains: [month]\ndimensions: [council_district]\n"
        "public: true\npublic_text: {name: Requests made, about: How many requests were made.}\n",
        label="Requests opened",
        department="Streets",
    ),
    metric(
        "permits_applied",
        "unit: permits\nkind: count\ntable: permits\ngrains: [month]\n"
        "dimensions: [council_district]\npublic: true\n"
        "public_text: {name: Permit applications, about: How many permits were applied for.}\n",
        label="Permits applied for",
    ),
    metric(
        "cases_received",
        "unit: cases\nkind: count\ntable: inspections\ngrains: [month]\ndimensions: []\n",
        label="Complaints received",
    ),
    metric(
        "request_days",
        "unit: days\nkind: duration_percentile\npercentile: 0.5\ngrains: [month]\ndimensions: []\n",
        label="Median days to close",
        department="Streets",
    ),
]
SERVICES = """\
channels: {phone: Phone}
prioritization:
  weights: {importance: 0.4, life_safety: 0.2, equity: 0.2, time_tax: 0.1, resources: 0.05,
            spillover: 0.05}
  people_served_full_score: 9999
cohorts: {first_start: 2024-04-01, capacity: 2}
equity: {gap_threshold: 0.15, full_score_gap: 0.5, grain: month}
leadership_index: {cap: 1.5}
services:
  - name: Building permits
    department: Licenses
    description: Permits for building work.
    channels: [phone]
    mechanism: Plan review.
    fees: By value
    resident_must: Apply.
    priority: {people_served: 100, life_safety: 0.5, equity: 0.5, time_tax: 0.5,
               resources: 0.5, spillover: 0.5}
"""


def build_kind_town(root: Path) -> Path:
    """Write the town under ``root``, run the pipeline once; the published warehouse."""
    with pytest.MonkeyPatch.context() as mp:
        town = Town(root, mp)
        for name, text in MAPPINGS.items():
            town.mapping(name, text)
        for name, text in EXTRACTS.items():
            town.extract(name, text)
        (root / "services.yml").write_text(SERVICES, encoding="utf-8")
        metrics = town.metrics(list(MAPPINGS), *METRICS)
        result = run_pipeline(metrics, town.warehouse)
        assert result.published, result.message
    return town.warehouse


def use_site(monkeypatch: pytest.MonkeyPatch, warehouse: Path, *, public: bool) -> None:
    """Point the dashboard at the town's warehouse (and an empty meetings database)."""
    monkeypatch.setenv("CITYSTAT_WAREHOUSE", str(warehouse))
    monkeypatch.setenv(meeting_schema.MEETINGS_ENV, str(warehouse.parent / "meetings.sqlite"))
    if public:
        monkeypatch.setenv(site.PUBLIC_ENV, "1")
    else:
        monkeypatch.delenv(site.PUBLIC_ENV, raising=False)


def open_page(page: str, **params: str) -> AppTest:
    """A page of the app as a browser opens it, failing on any exception or error."""
    at = AppTest.from_file(str(APP), default_timeout=30).run()
    for key, value in params.items():
        at.query_params[key] = value
    at.switch_page(f"views/{page}.py").run()
    assert not at.exception, (page, params, [e.value for e in at.exception])
    assert not at.error, (page, params, [e.value for e in at.error])
    return at


def captions(at: AppTest) -> list[str]:
    """Every caption's text."""
    return [str(c.value) for c in at.caption]
