"""The public site's languages: message catalogues (gettext .po files read with Babel at run
time, so a fresh clone needs no compile step), the language a visitor asked for, and numbers,
dates and periods written the way that language writes them.

Messages are English in the code (``_("...")`` in the public pages, ``N_("...")`` where a
message is defined before the page's language is known); each other language has
``dashboard/locales/<code>/LC_MESSAGES/messages.po`` (README, "Translating the public site").
A language without a catalogue shows the English messages. Nothing here imports Streamlit.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime, format_skeleton
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent

from dashboard.components.formats import (
    COUNT_UNITS,
    MISSING,
    UNIT_DAYS,
    UNIT_PERCENT,
    is_missing,
)

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "messages"
SOURCE_LANGUAGE = "en"
_FISCAL_YEAR = re.compile(r"(\d{4})")


def N_(message: str) -> str:
    """Mark a message for extraction where it is defined; it is translated where shown."""
    return message


def catalogue_path(code: str) -> Path:
    """Where the catalogue of language ``code`` lives."""
    return LOCALES_DIR / code / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.cache
def catalogue(code: str) -> dict[str, str]:
    """The translated messages of language ``code`` (msgid to msgstr); fuzzy and empty
    entries are left out, so they show in English rather than wrong. Empty without a file."""
    path = catalogue_path(code)
    if code == SOURCE_LANGUAGE or not path.is_file():
        return {}
    with path.open("rb") as handle:
        messages = read_po(handle, locale=code)
    return {
        str(message.id): str(message.string)
        for message in messages
        if message.id and isinstance(message.id, str) and message.string and not message.fuzzy
    }


def choose_language(requested: object, offered: Sequence[str]) -> str:
    """The language to show: the one asked for (``?lang=``) when the city offers it, else the
    city's first."""
    if isinstance(requested, str) and requested in offered:
        return requested
    return offered[0] if offered else SOURCE_LANGUAGE


def language_name(code: str) -> str:
    """A language's name in that language ('English', 'Español'); the code if unknown."""
    try:
        name = Locale.parse(code).get_display_name(code)
    except (UnknownLocaleError, ValueError):
        return code
    return name[:1].upper() + name[1:] if name else code


@dataclass(frozen=True)
class Language:
    """One language of the public site: its messages and how it writes numbers and dates."""

    code: str

    def gettext(self, message: str) -> str:
        """``message`` in this language (the English message when it has no translation)."""
        return catalogue(self.code).get(message, message)

    def number(self, value: object, decimals: int = 0) -> str:
        """A number with this language's separators ('1,234.5' / '1234,5'); '—' if missing."""
        if is_missing(value):
            return MISSING
        pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
        return format_decimal(float(value), format=pattern, locale=self.code)  # type: ignore[arg-type]

    def value(self, value: object, unit: str | None) -> str:
        """A metric value in its unit: '82.4%', '3.2 days', '1,234' (percent values are
        fractions in the warehouse)."""
        if is_missing(value):
            return MISSING
        if unit == UNIT_PERCENT:
            # The language's own pattern ('#,##0%', '#,##0 %'), with one decimal.
            pattern = Locale.parse(self.code).percent_formats[None].pattern
            number = float(value)  # type: ignore[arg-type]
            one_decimal = pattern.replace("#,##0", "#,##0.0", 1)
            return format_percent(number, format=one_decimal, locale=self.code)
        if unit == UNIT_DAYS:
            return self.gettext("{number} days").format(number=self.number(value, 1))
        if unit in COUNT_UNITS:
            return self.number(value)
        return self.number(value, 2)

    def change(self, value: object, prior: object, unit: str | None) -> str:
        """The signed difference from the prior value ('+4.4 points', '-0.3 days')."""
        if is_missing(value) or is_missing(prior):
            return MISSING
        delta = float(value) - float(prior)  # type: ignore[arg-type]
        if unit == UNIT_PERCENT:
            size = self.gettext("{number} percentage points").format(
                number=self.number(abs(delta) * 100, 1)
            )
        else:
            size = self.value(abs(delta), unit)
        return ("+" if delta > 0 else "-" if delta < 0 else "±") + size

    def date(self, value: object) -> str:
        """A date in words ('April 14, 2025' / '14 de abril de 2025'); '—' if missing."""
        if value is None or is_missing(value):
            return MISSING
        if isinstance(value, datetime):
            value = value.date()
        if not isinstance(value, date):
            return str(value)
        return format_date(value, format="long", locale=self.code)

    def timestamp(self, value: object) -> str:
        """A date and time ('Apr 14, 2025, 11:58 PM' / '14 abr 2025, 23:58'); '—' if missing."""
        if value is None or is_missing(value):
            return MISSING
        if not isinstance(value, datetime):
            return self.date(value)
        return format_datetime(value, format="medium", locale=self.code).replace(":00", "", 1)

    def period(self, grain: str, start: object, label: object) -> str:
        """A period in words: 'March 2025' ('marzo de 2025'), 'Quarter 1, 2025', 'Fiscal year
        2025', 'Week of March 3, 2025' (the warehouse's label when the start is unknown)."""
        if is_missing(start) or not isinstance(start, date):
            return str(label)
        if grain == "month":
            return format_skeleton("yMMMM", start, locale=self.code)
        if grain == "quarter":
            return self.gettext("Quarter {number}, {year}").format(
                number=(start.month - 1) // 3 + 1, year=start.year
            )
        if grain == "fiscal_year":
            found = _FISCAL_YEAR.search(str(label))
            year = found.group(1) if found else str(start.year)
            return self.gettext("Fiscal year {year}").format(year=year)
        if grain == "week":
            return self.gettext("Week of {date}").format(date=self.date(start))
        return str(label)
