"""Philadelphia-style reference tables for the demo 311 generator: services, zips, streets.

Every number here is a modelling choice for a believable demo, not a published city figure;
``pipelines.demo.service_requests`` documents which parts of the layout were confirmed
against real extracts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist


@dataclass(frozen=True)
class Service:
    """One 311 service type with its service level and closure behaviour."""

    name: str
    code: str
    agency: str
    sla_business_days: int
    share: float  # share of all requests before seasonality
    on_time_share: float  # share of a typical district's requests closed within the target
    sigma: float  # spread of the log-normal closure delay
    never_closed: float  # share left open indefinitely (the old backlog tail)
    instant_close: float  # share closed within minutes (answered on the phone)
    seasonality: tuple[float, ...]  # volume multiplier, January..December
    subjects: tuple[str, ...]
    closed_notes: tuple[str, ...]

    @property
    def notice(self) -> str:
        """The ``service_notice`` text, e.g. "3 Business Days"."""
        return f"{self.sla_business_days} Business Days"

    def median_delay_days(self) -> float:
        """Log-normal median delay giving ``on_time_share`` within the target's calendar days."""
        calendar_days = self.sla_business_days * 7 / 5
        z = NormalDist().inv_cdf(self.on_time_share)
        return calendar_days * math.exp(-z * self.sigma)


SERVICES: tuple[Service, ...] = (
    Service(
        name="Information Request",
        code="SR-IR01",
        agency="Philly311 Contact Center",
        sla_business_days=2,
        share=0.30,
        on_time_share=0.70,
        sigma=1.0,
        never_closed=0.002,
        instant_close=0.55,
        seasonality=(1.05, 1.0, 1.0, 1.0, 1.0, 0.95, 0.95, 0.95, 1.0, 1.05, 1.0, 0.95),
        subjects=("INFORMATION REQUEST", "GENERAL INFORMATION", "STATUS OF REQUEST"),
        closed_notes=("Information provided", "Caller referred to department", "Resolved"),
    ),
    Service(
        name="Maintenance Complaint",
        code="SR-LI21",
        agency="License & Inspections",
        sla_business_days=20,
        share=0.12,
        on_time_share=0.62,
        sigma=1.1,
        never_closed=0.04,
        instant_close=0.0,
        seasonality=(1.3, 1.2, 1.0, 0.9, 0.9, 0.95, 1.0, 1.0, 0.9, 1.0, 1.1, 1.2),
        subjects=("MAINTENANCE COMPLAINT", "NO HEAT", "PROPERTY MAINTENANCE"),
        closed_notes=(
            "Inspection completed - violation issued",
            "Inspection completed - no violation found",
            "Unable to gain access",
        ),
    ),
    Service(
        name="Rubbish/Recyclable Material Collection",
        code="SR-ST03",
        agency="Streets Department",
        sla_business_days=3,
        share=0.13,
        on_time_share=0.80,
        sigma=0.8,
        never_closed=0.005,
        instant_close=0.0,
        seasonality=(1.0, 0.9, 0.9, 0.95, 1.05, 1.15, 1.2, 1.15, 1.0, 0.95, 1.0, 1.25),
        subjects=("RUBBISH/RECYCLABLE MATERIAL COLLECTION", "MISSED TRASH COLLECTION"),
        closed_notes=("Collection completed", "Material collected", "Not set out on time"),
    ),
    Service(
        name="Illegal Dumping",
        code="SR-ST02",
        agency="Streets Department",
        sla_business_days=5,
        share=0.10,
        on_time_share=0.72,
        sigma=1.0,
        never_closed=0.01,
        instant_close=0.0,
        seasonality=(0.7, 0.7, 0.9, 1.0, 1.2, 1.3, 1.3, 1.3, 1.1, 1.0, 0.8, 0.7),
        subjects=("ILLEGAL DUMPING", "SHORT DUMPING"),
        closed_notes=("Debris removed", "Referred to SWEEP for enforcement", "Completed"),
    ),
    Service(
        name="Abandoned Vehicle",
        code="SR-PD01",
        agency="Police Department",
        sla_business_days=30,
        share=0.09,
        on_time_share=0.55,
        sigma=1.2,
        never_closed=0.05,
        instant_close=0.0,
        seasonality=(0.95, 0.9, 1.0, 1.0, 1.05, 1.05, 1.05, 1.05, 1.0, 1.0, 0.95, 0.95),
        subjects=("ABANDONED VEHICLE", "ABANDONED AUTOMOBILE"),
        closed_notes=("Vehicle towed", "Vehicle not abandoned", "Vehicle moved by owner"),
    ),
    Service(
        name="Street Defect",
        code="SR-ST01",
        agency="Streets Department",
        sla_business_days=3,
        share=0.09,
        on_time_share=0.68,
        sigma=1.0,
        never_closed=0.02,
        instant_close=0.0,
        seasonality=(1.3, 1.6, 1.7, 1.5, 1.1, 0.9, 0.8, 0.7, 0.7, 0.7, 0.8, 1.0),
        subjects=("POTHOLE REPAIR", "STREET DEFECT", "CAVE IN"),
        closed_notes=("Pothole repaired", "Referred to utility company", "Completed"),
    ),
    Service(
        name="Graffiti Removal",
        code="SR-CL01",
        agency="Community Life Improvement Program",
        sla_business_days=7,
        share=0.08,
        on_time_share=0.86,
        sigma=0.9,
        never_closed=0.005,
        instant_close=0.0,
        seasonality=(0.7, 0.7, 0.9, 1.0, 1.2, 1.3, 1.35, 1.3, 1.1, 1.0, 0.8, 0.7),
        subjects=("GRAFFITI REMOVAL",),
        closed_notes=(
            "Graffiti removed",
            "Graffiti painted over",
            "Private property - owner notified",
        ),
    ),
    Service(
        name="Street Light Outage",
        code="SR-ST04",
        agency="Streets Department",
        sla_business_days=5,
        share=0.09,
        on_time_share=0.75,
        sigma=0.9,
        never_closed=0.015,
        instant_close=0.0,
        seasonality=(1.3, 1.1, 1.0, 0.85, 0.8, 0.75, 0.8, 0.85, 0.95, 1.1, 1.3, 1.4),
        subjects=("STREET LIGHT OUTAGE", "LIGHT OUT"),
        closed_notes=("Light repaired", "Referred to PECO", "Lamp replaced"),
    ),
)

OPEN_NOTES: tuple[str, ...] = ("Assigned to crew", "Under review", "Inspection scheduled")

# Volume multiplier Monday..Sunday: the contact centre and field crews work weekdays.
WEEKDAY_VOLUME: tuple[float, ...] = (1.15, 1.1, 1.05, 1.05, 1.0, 0.6, 0.5)

# Requests per hour of day, 00..23 (relative).
HOUR_VOLUME: tuple[float, ...] = (
    0.6, 0.4, 0.3, 0.25, 0.3, 0.6, 1.5, 3.0, 5.0, 6.5, 7.0, 7.0,
    6.5, 6.5, 6.5, 6.0, 5.5, 4.5, 3.5, 3.0, 2.5, 2.0, 1.5, 1.0,
)  # fmt: skip

# Closure-delay multiplier per council district: the equity gap the scorecards should surface.
DISTRICT_DELAY_FACTOR: dict[str, float] = {
    "1": 0.85,
    "2": 1.1,
    "3": 1.2,
    "4": 0.95,
    "5": 1.3,
    "6": 0.9,
    "7": 1.45,
    "8": 1.15,
    "9": 1.05,
    "10": 0.8,
}


@dataclass(frozen=True)
class ZipArea:
    """A residential Philadelphia zip code: approximate centroid and population weight."""

    zip: str
    lat: float
    lon: float
    population_k: float  # thousands of residents, rounded


ZIP_AREAS: tuple[ZipArea, ...] = (
    ZipArea("19102", 39.9529, -75.1657, 5),
    ZipArea("19103", 39.9526, -75.1743, 24),
    ZipArea("19104", 39.9594, -75.1967, 52),
    ZipArea("19106", 39.9472, -75.1453, 12),
    ZipArea("19107", 39.9507, -75.1590, 15),
    ZipArea("19111", 40.0597, -75.0811, 64),
    ZipArea("19114", 40.0630, -75.0010, 32),
    ZipArea("19115", 40.0910, -75.0410, 34),
    ZipArea("19116", 40.1170, -75.0160, 34),
    ZipArea("19118", 40.0720, -75.2080, 10),
    ZipArea("19119", 40.0540, -75.1900, 28),
    ZipArea("19120", 40.0340, -75.1210, 70),
    ZipArea("19121", 39.9820, -75.1770, 36),
    ZipArea("19122", 39.9780, -75.1460, 22),
    ZipArea("19123", 39.9640, -75.1470, 15),
    ZipArea("19124", 40.0180, -75.0890, 70),
    ZipArea("19125", 39.9760, -75.1240, 25),
    ZipArea("19126", 40.0560, -75.1370, 16),
    ZipArea("19127", 40.0270, -75.2250, 7),
    ZipArea("19128", 40.0490, -75.2280, 40),
    ZipArea("19129", 40.0120, -75.1840, 11),
    ZipArea("19130", 39.9680, -75.1750, 26),
    ZipArea("19131", 39.9870, -75.2170, 43),
    ZipArea("19132", 39.9960, -75.1700, 35),
    ZipArea("19133", 39.9930, -75.1420, 27),
    ZipArea("19134", 39.9920, -75.1120, 62),
    ZipArea("19135", 40.0230, -75.0490, 33),
    ZipArea("19136", 40.0420, -75.0240, 43),
    ZipArea("19137", 40.0000, -75.0730, 9),
    ZipArea("19138", 40.0570, -75.1570, 33),
    ZipArea("19139", 39.9610, -75.2300, 43),
    ZipArea("19140", 40.0110, -75.1450, 54),
    ZipArea("19141", 40.0370, -75.1450, 32),
    ZipArea("19142", 39.9220, -75.2330, 30),
    ZipArea("19143", 39.9440, -75.2270, 65),
    ZipArea("19144", 40.0340, -75.1740, 44),
    ZipArea("19145", 39.9230, -75.1810, 48),
    ZipArea("19146", 39.9390, -75.1810, 38),
    ZipArea("19147", 39.9360, -75.1530, 38),
    ZipArea("19148", 39.9210, -75.1580, 51),
    ZipArea("19149", 40.0370, -75.0660, 60),
    ZipArea("19150", 40.0720, -75.1710, 24),
    ZipArea("19151", 39.9770, -75.2540, 33),
    ZipArea("19152", 40.0600, -75.0470, 36),
    ZipArea("19153", 39.8970, -75.2300, 12),
    ZipArea("19154", 40.0910, -74.9780, 36),
)

# Philadelphia's bounding box; jittered coordinates are clipped into it.
LAT_MIN, LAT_MAX = 39.867, 40.138
LON_MIN, LON_MAX = -75.280, -74.956

STREETS: tuple[str, ...] = (
    "N BROAD ST", "S BROAD ST", "MARKET ST", "CHESTNUT ST", "WALNUT ST", "SPRUCE ST",
    "N 5TH ST", "S 9TH ST", "N 22ND ST", "S 52ND ST", "N 60TH ST", "W GIRARD AVE",
    "E GIRARD AVE", "W LEHIGH AVE", "E ALLEGHENY AVE", "W ERIE AVE", "KENSINGTON AVE",
    "FRANKFORD AVE", "CASTOR AVE", "BUSTLETON AVE", "COTTMAN AVE", "ROOSEVELT BLVD",
    "GERMANTOWN AVE", "RIDGE AVE", "LANCASTER AVE", "BALTIMORE AVE", "WOODLAND AVE",
    "PASSYUNK AVE", "W OREGON AVE", "SNYDER AVE", "WASHINGTON AVE", "SPRING GARDEN ST",
    "N 2ND ST", "N FRONT ST", "TORRESDALE AVE", "OXFORD AVE", "OLD YORK RD", "N 29TH ST",
    "W CHELTENHAM AVE", "MAIN ST",
)  # fmt: skip
