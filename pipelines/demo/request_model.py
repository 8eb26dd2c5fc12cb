"""The 311 demo generator's model: the catalog as per-service and per-zip arrays, every short
text numbered, and the lookup tables the formatting query joins to."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipelines.demo.catalog import (
    DISTRICT_DELAY_FACTOR,
    HOUR_VOLUME,
    OPEN_NOTES,
    SERVICES,
    STREETS,
    ZIP_AREAS,
)
from pipelines.demo.common import Window, zip_area_districts


@dataclass(frozen=True)
class Texts:
    """Flat numbering of every short text, so rows carry integer keys until DuckDB formats them."""

    texts: list[str]
    subject_offset: np.ndarray
    subject_count: np.ndarray
    note_offset: np.ndarray
    note_count: np.ndarray
    open_offset: int
    street_offset: int


@dataclass(frozen=True)
class Model:
    """Per-service and per-zip arrays the vectorised generator indexes into."""

    window: Window
    sla_days: np.ndarray
    median_days: np.ndarray
    sigma: np.ndarray
    never_closed: np.ndarray
    instant_close: np.ndarray
    seasonality: np.ndarray  # services x 12
    zip_weights: np.ndarray
    zip_lat: np.ndarray
    zip_lon: np.ndarray
    zip_delay: np.ndarray
    hour_p: np.ndarray
    texts: Texts


def build_model(window: Window) -> Model:
    """Collect the catalog into arrays (per service, per zip) for vectorised lookups."""
    districts = zip_area_districts()
    weights = np.array([area.population_k for area in ZIP_AREAS], dtype=float)
    return Model(
        window=window,
        sla_days=np.array([s.sla_business_days for s in SERVICES]),
        median_days=np.array([s.median_delay_days() for s in SERVICES]),
        sigma=np.array([s.sigma for s in SERVICES]),
        never_closed=np.array([s.never_closed for s in SERVICES]),
        instant_close=np.array([s.instant_close for s in SERVICES]),
        seasonality=np.array([s.seasonality for s in SERVICES], dtype=float),
        zip_weights=weights / weights.sum(),
        zip_lat=np.array([area.lat for area in ZIP_AREAS]),
        zip_lon=np.array([area.lon for area in ZIP_AREAS]),
        zip_delay=np.array([DISTRICT_DELAY_FACTOR[district] for district in districts]),
        hour_p=np.array(HOUR_VOLUME) / sum(HOUR_VOLUME),
        texts=number_texts(),
    )


def number_texts() -> Texts:
    """Give every subject, note and street a global integer key."""
    texts: list[str] = []
    subject_offset, subject_count, note_offset, note_count = [], [], [], []
    for service in SERVICES:
        subject_offset.append(len(texts))
        subject_count.append(len(service.subjects))
        texts.extend(service.subjects)
    for service in SERVICES:
        note_offset.append(len(texts))
        note_count.append(len(service.closed_notes))
        texts.extend(service.closed_notes)
    open_offset = len(texts)
    texts.extend(OPEN_NOTES)
    street_offset = len(texts)
    texts.extend(STREETS)
    return Texts(
        texts=texts,
        subject_offset=np.array(subject_offset),
        subject_count=np.array(subject_count),
        note_offset=np.array(note_offset),
        note_count=np.array(note_count),
        open_offset=open_offset,
        street_offset=street_offset,
    )


def lookup_frames(texts: Texts) -> dict[str, pd.DataFrame]:
    """The small lookup tables the formatting query joins to, by the name it uses."""
    services = pd.DataFrame(
        {
            "svc": np.arange(len(SERVICES), dtype=np.int8),
            "service_name": [s.name for s in SERVICES],
            "service_code": [s.code for s in SERVICES],
            "agency_responsible": [s.agency for s in SERVICES],
            "service_notice": [s.notice for s in SERVICES],
        }
    )
    zips = pd.DataFrame(
        {
            "zip_no": np.arange(len(ZIP_AREAS), dtype=np.int16),
            "zip": [area.zip for area in ZIP_AREAS],
        }
    )
    text_table = pd.DataFrame({"key": np.arange(len(texts.texts)), "text": texts.texts})
    return {"demo_services": services, "demo_zips": zips, "demo_texts": text_table}
