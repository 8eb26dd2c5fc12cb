"""Reference tables behind the generated Philadelphia L&I demo extracts (permits, complaint cases).

Vocabularies marked "confirmed" in ``pipelines.demo.permits`` and ``pipelines.demo.inspections``
come from public code that reads the live Carto tables; every number here (shares, review and
response times, district factors, fees) is a modelling choice for a believable demo, not a
published city figure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

# Philadelphia's fiscal year starts in July. Applications and complaints from FY2025 on are
# handled faster, so the dashboard shows a Stat-style improvement across this boundary.
IMPROVEMENT_START = date(2024, 7, 1)

FLAT = (1.0,) * 12


@dataclass(frozen=True)
class PermitType:
    """One L&I permit type: volume, use split, review-time model, fee and work texts."""

    permittype: str
    description: str  # permitdescription
    prefix: str  # permitnumber prefix, e.g. "EP" in EP-2024-000123
    share: float
    residential_share: float
    target_business_days: int  # the review target the demo mapping's due_rules use
    median_review_days: float  # typical residential review in an average district, before FY2025
    sigma: float  # spread of the log-normal review time
    same_day_share: float  # over-the-counter permits issued within hours
    median_active_days: float  # issue to completion
    fee_base: float
    works: tuple[str, ...]  # typeofwork values
    work_weights: tuple[float, ...]
    scopes: tuple[str, ...]  # approvedscopeofwork texts


_BUILDING_WORKS = ("Addition and/or Alteration", "New Construction")
_BUILDING_SCOPES = (
    "INTERIOR ALTERATIONS TO EXISTING STRUCTURE, NO CHANGE OF USE",
    "ERECT A REAR ADDITION AS PER PLANS",
    "NEW CONSTRUCTION OF A STRUCTURE AS PER PLANS, SIZE AND LOCATION AS SHOWN",
    "ROOF DECK AND PILOT HOUSE AS PER PLANS",
    "FIT-OUT OF TENANT SPACE AS PER PLANS",
)

PERMIT_TYPES: tuple[PermitType, ...] = (
    PermitType(
        permittype="ELECTRICAL",
        description="ELECTRICAL PERMIT",
        prefix="EP",
        share=0.27,
        residential_share=0.70,
        target_business_days=5,
        median_review_days=3.0,
        sigma=0.9,
        same_day_share=0.35,
        median_active_days=45,
        fee_base=110,
        works=("Addition and/or Alteration", "New Construction"),
        work_weights=(0.85, 0.15),
        scopes=(
            "REPLACE 100 AMP SERVICE WITH 200 AMP SERVICE",
            "WIRING FOR KITCHEN AND BATHROOM RENOVATION",
            "INSTALL ROOF MOUNTED SOLAR PHOTOVOLTAIC SYSTEM",
            "NEW WIRING THROUGHOUT AS PER PLANS",
        ),
    ),
    PermitType(
        permittype="PLUMBING",
        description="PLUMBING PERMIT",
        prefix="PP",
        share=0.20,
        residential_share=0.75,
        target_business_days=5,
        median_review_days=3.0,
        sigma=0.9,
        same_day_share=0.30,
        median_active_days=40,
        fee_base=95,
        works=("Addition and/or Alteration", "New Construction"),
        work_weights=(0.85, 0.15),
        scopes=(
            "REPLACE WATER HEATER",
            "NEW FIXTURES FOR BATHROOM RENOVATION",
            "REPLACE HOUSE DRAIN AND SEWER LATERAL",
            "PLUMBING FOR NEW CONSTRUCTION AS PER PLANS",
        ),
    ),
    PermitType(
        permittype="RESIDENTIAL BUILDING",
        description="RESIDENTIAL BUILDING PERMIT",
        prefix="RP",
        share=0.14,
        residential_share=1.0,
        target_business_days=15,
        median_review_days=16.0,
        sigma=0.8,
        same_day_share=0.0,
        median_active_days=150,
        fee_base=320,
        works=_BUILDING_WORKS,
        work_weights=(0.75, 0.25),
        scopes=_BUILDING_SCOPES,
    ),
    PermitType(
        permittype="BUILDING",
        description="COMMERCIAL BUILDING PERMIT",
        prefix="BP",
        share=0.10,
        residential_share=0.20,
        target_business_days=20,
        median_review_days=20.0,
        sigma=0.8,
        same_day_share=0.0,
        median_active_days=200,
        fee_base=900,
        works=_BUILDING_WORKS,
        work_weights=(0.8, 0.2),
        scopes=_BUILDING_SCOPES,
    ),
    PermitType(
        permittype="ZONING",
        description="ZONING PERMIT",
        prefix="ZP",
        share=0.12,
        residential_share=0.60,
        target_business_days=20,
        median_review_days=24.0,
        sigma=0.9,
        same_day_share=0.0,
        median_active_days=365,
        fee_base=150,
        works=("New Construction", "Addition and/or Alteration", "Change of Use"),
        work_weights=(0.35, 0.40, 0.25),
        scopes=(
            "FOR THE ERECTION OF A SINGLE FAMILY DWELLING",
            "FOR A CHANGE OF USE FROM RETAIL TO TWO FAMILY DWELLING",
            "FOR THE RELOCATION OF LOT LINES TO CREATE TWO LOTS",
            "FOR A THIRD FLOOR ADDITION AND ROOF DECK",
        ),
    ),
    PermitType(
        permittype="MECHANICAL",
        description="MECHANICAL / FUEL GAS PERMIT",
        prefix="MP",
        share=0.10,
        residential_share=0.55,
        target_business_days=10,
        median_review_days=6.0,
        sigma=0.9,
        same_day_share=0.10,
        median_active_days=60,
        fee_base=140,
        works=("Addition and/or Alteration", "New Construction"),
        work_weights=(0.9, 0.1),
        scopes=(
            "REPLACE GAS FIRED FURNACE",
            "INSTALL DUCTLESS MINI SPLIT HEAT PUMP SYSTEM",
            "KITCHEN EXHAUST HOOD AS PER PLANS",
            "NEW HVAC SYSTEM THROUGHOUT",
        ),
    ),
    PermitType(
        permittype="FIRE SUPPRESSION",
        description="FIRE SUPPRESSION PERMIT",
        prefix="FP",
        share=0.04,
        residential_share=0.10,
        target_business_days=15,
        median_review_days=14.0,
        sigma=0.8,
        same_day_share=0.0,
        median_active_days=120,
        fee_base=450,
        works=("Addition and/or Alteration", "New Construction"),
        work_weights=(0.7, 0.3),
        scopes=(
            "RELOCATE SPRINKLER HEADS FOR TENANT FIT-OUT",
            "NEW AUTOMATIC SPRINKLER SYSTEM AS PER PLANS",
            "FIRE ALARM SYSTEM UPGRADE",
        ),
    ),
    PermitType(
        permittype="DEMOLITION",
        description="DEMOLITION PERMIT",
        prefix="DP",
        share=0.03,
        residential_share=0.60,
        target_business_days=15,
        median_review_days=11.0,
        sigma=0.8,
        same_day_share=0.0,
        median_active_days=45,
        fee_base=400,
        works=("Full Demolition", "Partial Demolition"),
        work_weights=(0.7, 0.3),
        scopes=(
            "COMPLETE DEMOLITION OF A SINGLE FAMILY DWELLING",
            "DEMOLITION OF REAR ACCESSORY STRUCTURE",
            "INTERIOR NON-STRUCTURAL DEMOLITION",
        ),
    ),
)

# Review and response times by council district: the gaps the district scorecards surface.
PERMIT_DISTRICT_FACTOR: dict[str, float] = {
    "1": 1.25,
    "2": 1.05,
    "3": 0.95,
    "4": 0.85,
    "5": 1.35,
    "6": 0.9,
    "7": 1.15,
    "8": 1.0,
    "9": 0.9,
    "10": 0.8,
}
INSPECTION_DISTRICT_FACTOR: dict[str, float] = {
    "1": 0.9,
    "2": 1.1,
    "3": 1.3,
    "4": 0.95,
    "5": 1.2,
    "6": 0.85,
    "7": 1.5,
    "8": 1.15,
    "9": 1.0,
    "10": 0.8,
}

COMMERCIAL_REVIEW_FACTOR = 1.3  # commercial plans take longer to review
PERMIT_IMPROVEMENT = 0.7  # FY2025 on: 30 % fewer review days, as Boston reported
PERMIT_SEASONALITY = (0.75, 0.8, 1.0, 1.15, 1.2, 1.15, 1.1, 1.05, 1.0, 1.0, 0.9, 0.8)
APPLICANT_TYPES = ("CONTRACTOR", "DESIGN PROFESSIONAL", "PROPERTY OWNER", "EXPEDITOR")
APPLICANT_WEIGHTS = (0.6, 0.2, 0.15, 0.05)
CONTRACTORS = (
    "KEYSTONE BUILDERS LLC", "DELAWARE VALLEY ELECTRIC INC", "BROAD STREET PLUMBING CO",
    "LIBERTY MECHANICAL SERVICES", "SCHUYLKILL CONSTRUCTION GROUP", "PENN HVAC LLC",
    "FAIRMOUNT RENOVATIONS", "NORTHEAST FIRE PROTECTION INC", "RIVERWARD CONTRACTING",
    "GERMANTOWN DESIGN BUILD", "KENSINGTON RESTORATION LLC", "BARTRAM DEMOLITION CO",
)  # fmt: skip


@dataclass(frozen=True)
class Priority:
    """A case priority (``casepriority``), its inspection target and response-time model."""

    name: str
    target_business_days: int  # first inspection due, for the demo mapping's due_rules
    median_response_days: float  # complaint to first inspection, before FY2025
    sigma: float
    stuck_share: float  # share never inspected in the normal course: the backlog's age tail


PRIORITIES: tuple[Priority, ...] = (
    Priority("IMMINENTLY DANGEROUS", 1, 0.4, 0.9, 0.003),
    Priority("UNSAFE", 3, 2.5, 0.9, 0.015),
    Priority("HAZARDOUS", 10, 9.0, 0.9, 0.045),
    Priority("STANDARD", 20, 24.0, 0.9, 0.10),
)

INSPECTION_IMPROVEMENT = 0.55  # FY2025 on: first inspections come much sooner
STUCK_AFTER_IMPROVEMENT = 0.2  # and far fewer complaints are left uninspected
BLITZ_SHARE = 0.9  # stuck older complaints inspected in the FY2025 backlog drive


@dataclass(frozen=True)
class ComplaintCode:
    """A complaint type (``complaintcodename``): volume, seasonality, priorities, unit."""

    name: str
    share: float
    investigation_type: str
    priority_weights: tuple[float, float, float, float]  # in PRIORITIES order
    seasonality: tuple[float, ...] = FLAT


COMPLAINT_CODES: tuple[ComplaintCode, ...] = (
    ComplaintCode(
        "PROPERTY MAINTENANCE COMPLAINT INTERIOR", 0.22, "HCEU INSP", (0.005, 0.02, 0.35, 0.625)
    ),
    ComplaintCode(
        "PROPERTY MAINTENANCE COMPLAINT EXTERIOR",
        0.16,
        "HCEU INSP",
        (0.005, 0.04, 0.2, 0.755),
        (0.8, 0.8, 0.9, 1.0, 1.1, 1.15, 1.15, 1.15, 1.1, 1.0, 0.9, 0.85),
    ),
    ComplaintCode(
        "RESIDENCE WITHOUT HEAT (OCTOBER 1 - APRIL 15)",
        0.08,
        "HCEU INSP",
        (0.01, 0.04, 0.85, 0.10),
        (2.6, 2.2, 1.4, 0.5, 0.02, 0.02, 0.02, 0.02, 0.02, 1.2, 1.9, 2.4),
    ),
    ComplaintCode("WORK UNDERWAY WITHOUT PERMITS", 0.14, "CI INSP", (0.0, 0.02, 0.18, 0.80)),
    ComplaintCode("VACANT PROPERTY COMPLAINT", 0.10, "VAC INSP", (0.01, 0.08, 0.16, 0.75)),
    ComplaintCode(
        "BUILDING STRUCTURALLY DEFICIENT (OCCUPIED)", 0.05, "CI INSP", (0.12, 0.45, 0.33, 0.10)
    ),
    ComplaintCode("FIRE SAFETY COMPLAINT", 0.05, "CI INSP", (0.03, 0.12, 0.6, 0.25)),
    ComplaintCode("UNLICENSED RENTALS", 0.08, "AIU INSP", (0.0, 0.0, 0.05, 0.95)),
    ComplaintCode(
        "PROPERTY MAINTENANCE HIGH WEEDS",
        0.07,
        "HCEU INSP",
        (0.0, 0.0, 0.05, 0.95),
        (0.1, 0.1, 0.4, 1.0, 1.8, 2.2, 2.3, 2.1, 1.5, 0.8, 0.3, 0.1),
    ),
    ComplaintCode(
        "BROKEN MAIN DRAIN/RAW SEWAGE WITHIN THE PROPERTY",
        0.03,
        "HCEU INSP",
        (0.02, 0.2, 0.68, 0.1),
    ),
    ComplaintCode("DEMOLITION COMPLAINTS", 0.02, "CSTF INSP", (0.05, 0.25, 0.4, 0.3)),
)

# First-inspection results (investigationstatus) and their shares; what follows each.
OUTCOMES: tuple[str, ...] = ("FAILED", "PASSED", "UNFOUNDED", "NO ACCESS")
OUTCOME_WEIGHTS: tuple[float, ...] = (0.42, 0.33, 0.15, 0.10)
MEDIAN_DAYS_TO_COMPLY = 60.0  # a FAILED case closes once the violation is corrected
