"""Public metrics speak to residents: each has its plain-language text in the city's first
language and a translation into each of the city's other languages (city.yml ``languages``)."""

from __future__ import annotations

from collections.abc import Sequence

from pipelines.city.model import CityProfile
from pipelines.config.hints import Locator
from pipelines.config.issues import Issue
from pipelines.config.yaml_lines import Loc
from pipelines.metrics.model import Metric

DEFAULT_LANGUAGES = ("en",)


def city_languages(profile: CityProfile | None) -> list[str]:
    """The public site's languages, the first its default (English without a city.yml)."""
    return list(profile.languages) if profile is not None else list(DEFAULT_LANGUAGES)


def check_public_texts(
    metrics: Sequence[tuple[Loc, Metric]], at: Locator, profile: CityProfile | None
) -> list[Issue]:
    """Every public metric has ``public_text`` and its translation into each other language
    of the city; a translation into a language the city does not list is a mistake too."""
    first, *others = city_languages(profile)
    issues: list[Issue] = []
    for loc, metric in metrics:
        text = metric.public_text
        if text is None:
            if metric.public:
                issues.append(
                    at.issue(
                        (*loc, "public"),
                        f"metric '{metric.id}' is public but has no plain-language text for "
                        "residents",
                        f"add public_text: {{name: ..., about: ...}} in '{first}': a plain name "
                        "and one paragraph on what it measures and why it matters",
                    )
                )
            continue
        where = (*loc, "public_text")
        if text.name.strip() == metric.id:
            issues.append(
                at.issue(
                    (*where, "name"),
                    f"metric '{metric.id}': public_text.name repeats the metric id",
                    "write the name a resident would use, in words",
                )
            )
        for code in others:
            if code not in text.translations and metric.public:
                issues.append(
                    at.issue(
                        (*where, "translations"),
                        f"metric '{metric.id}' is public but its public_text has no "
                        f"'{code}' translation (city.yml languages: "
                        f"{', '.join([first, *others])})",
                        f"add translations: {{{code}: {{name: ..., about: ...}}}} under "
                        "public_text",
                    )
                )
        for code in text.translations:
            if code not in others:
                issues.append(
                    at.issue(
                        (*where, "translations", code),
                        f"metric '{metric.id}': translation '{code}' is not one of the city's "
                        f"other languages ({', '.join(others) or 'none'})",
                        f"add '{code}' to languages in city.yml, or remove this translation"
                        if code != first
                        else f"'{code}' is the city's first language: write it in public_text "
                        "itself",
                    )
                )
    return issues
