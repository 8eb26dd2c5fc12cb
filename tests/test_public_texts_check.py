"""`citystat metrics check` holds public metrics to their texts for residents: a public metric
without its plain-language name and paragraph, or without their translation into one of the
city's languages (city.yml ``languages``), is reported at its line; so is a translation into a
language the city does not list. The texts reach the warehouse with the definitions."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from pydantic import ValidationError

from pipelines.city.model import CityProfile
from pipelines.metrics import check_metrics_file, load_metrics
from pipelines.metrics.compute import compute_metrics
from pipelines.warehouse.schema import create_schema

CITY = """\
name: Testville
timezone: America/Chicago
departments:
  - {{id: streets, name: Streets}}
languages: {languages}
"""
HEADER = "defaults:\n  min_count: 1\n  grains: [month]\n  dimensions: []\nmetrics:\n"
# Lines 6-12: the metric entry up to `public:`; public_text starts on line 13.
ENTRY = """\
  - id: potholes_reported
    label: Street defect requests received
    description: Number of street defect requests opened.
    methodology: Counts requests by opening date.
    department: streets
    owner: Director
    public: {public}
"""
ENGLISH = """\
    public_text:
      name: Pothole reports
      about: How many times residents reported a pothole.
"""
SPANISH = """\
      translations:
        es: {name: Avisos de baches, about: Cuántas veces los residentes avisaron de un bache.}
"""
FRENCH = """\
      translations:
        fr: {name: Signalements de nids-de-poule, about: Combien de signalements.}
"""
BODY = "    unit: requests\n    kind: count\n"


def _check(tmp_path: Path, languages: str, text: str, public: str = "true") -> list[str]:
    (tmp_path / "city.yml").write_text(CITY.format(languages=languages))
    path = tmp_path / "metrics.yml"
    path.write_text(HEADER + ENTRY.format(public=public) + text + BODY)
    return [str(issue) for issue in check_metrics_file(path)]


def test_a_public_metric_without_its_text_is_reported_at_public(tmp_path: Path) -> None:
    assert _check(tmp_path, "[en]", "") == [
        "metrics.yml:12: metric 'potholes_reported' is public but has no plain-language text "
        "for residents; add public_text: {name: ..., about: ...} in 'en': a plain name and one "
        "paragraph on what it measures and why it matters"
    ]


def test_an_internal_metric_needs_no_text(tmp_path: Path) -> None:
    assert _check(tmp_path, "[en, es]", "", public="false") == []


def test_a_missing_translation_is_reported_at_the_text(tmp_path: Path) -> None:
    assert _check(tmp_path, "[en, es]", ENGLISH) == [
        "metrics.yml:13: metric 'potholes_reported' is public but its public_text has no 'es' "
        "translation (city.yml languages: en, es); add translations: {es: {name: ..., about: "
        "...}} under public_text"
    ]


def test_text_and_translation_pass(tmp_path: Path) -> None:
    assert _check(tmp_path, "[en, es]", ENGLISH + SPANISH) == []
    config = load_metrics(tmp_path / "metrics.yml")
    text = config.metric("potholes_reported").public_text
    assert text is not None and text.translations["es"].name == "Avisos de baches"


def test_a_translation_the_city_does_not_speak_is_reported(tmp_path: Path) -> None:
    assert _check(tmp_path, "[en, es]", ENGLISH + FRENCH) == [
        "metrics.yml:16: metric 'potholes_reported' is public but its public_text has no 'es' "
        "translation (city.yml languages: en, es); add translations: {es: {name: ..., about: "
        "...}} under public_text",
        "metrics.yml:17: metric 'potholes_reported': translation 'fr' is not one of the city's "
        "other languages (es); add 'fr' to languages in city.yml, or remove this translation",
    ]


def test_the_name_must_not_be_the_id_and_unknown_keys_are_refused(tmp_path: Path) -> None:
    named_by_id = ENGLISH.replace("Pothole reports", "potholes_reported")
    assert _check(tmp_path, "[en]", named_by_id) == [
        "metrics.yml:14: metric 'potholes_reported': public_text.name repeats the metric id; "
        "write the name a resident would use, in words"
    ]
    misspelt = ENGLISH.replace("about:", "abuot:")
    issues = _check(tmp_path, "[en]", misspelt)
    assert any("unknown key 'abuot'" in i and "did you mean 'about'" in i for i in issues)


def test_city_languages_are_typed() -> None:
    base = {"name": "T", "timezone": "UTC", "departments": [{"id": "s", "name": "S"}]}
    assert CityProfile.model_validate(base).languages == ["en"]
    for bad in (["english"], ["en", "en"], []):
        with pytest.raises(ValidationError):
            CityProfile.model_validate({**base, "languages": bad})


def test_the_texts_are_published_beside_the_definitions(tmp_path: Path) -> None:
    assert _check(tmp_path, "[en, es]", ENGLISH + SPANISH) == []
    config = load_metrics(tmp_path / "metrics.yml")
    con = duckdb.connect()
    create_schema(con)
    compute_metrics(con, config, datetime(2024, 2, 10))
    rows = con.execute(
        "SELECT metric_id, language, name FROM metric_public_texts ORDER BY language"
    ).fetchall()
    assert rows == [
        ("potholes_reported", "en", "Pothole reports"),
        ("potholes_reported", "es", "Avisos de baches"),
    ]


def test_every_city_that_publishes_has_its_texts() -> None:
    """The demo city (English and Spanish) and every real city's metrics.yml check clean."""
    root = Path(__file__).resolve().parent.parent
    for path in [root / "metrics.yml", *sorted((root / "cities").glob("*/metrics.yml"))]:
        config = load_metrics(path)
        public = [m for m in config.metrics if m.public]
        assert all(m.public_text is not None for m in public), path
    demo = load_metrics(root / "metrics.yml")
    assert demo.profile is not None and demo.profile.languages == ["en", "es"]
    spanish = [m.public_text.translations["es"] for m in demo.metrics if m.public_text]
    assert len(spanish) == 32 and all(t.about != "" for t in spanish)
