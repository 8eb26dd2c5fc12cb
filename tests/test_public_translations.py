"""The public site speaks every language the demo city offers: each message of its code has a
Spanish translation (placeholders kept), the committed template holds exactly the messages the
code has, the README's pybabel commands work as typed, and numbers, dates and periods are
written the language's way."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from dashboard.components.i18n import Language, catalogue_path, choose_language, language_name

ROOT = Path(__file__).resolve().parent.parent
PYBABEL = Path(sys.executable).parent / "pybabel"
_PLACEHOLDER = re.compile(r"\{(\w*)\}")


def _source_messages() -> set[str]:
    """Every message the public site's code marks, extracted as `pybabel extract` does."""
    with (ROOT / "babel.cfg").open() as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    return {
        str(message)
        for _, _, message, _, _ in extract_from_dir(ROOT, method_map, options_map)
        if isinstance(message, str)
    }


def test_the_public_pages_mark_their_messages() -> None:
    messages = _source_messages()
    assert "How the city is doing" in messages and "Meeting the target" in messages
    assert len(messages) > 80


def test_every_public_message_has_a_spanish_translation() -> None:
    spanish = {str(m.id): m for m in read_po(catalogue_path("es").open("rb"), locale="es") if m.id}
    untranslated = sorted(
        message
        for message in _source_messages()
        if message not in spanish or not spanish[message].string or spanish[message].fuzzy
    )
    assert not untranslated, f"no Spanish in dashboard/locales/es for: {untranslated}"
    broken = [
        message
        for message in _source_messages()
        if sorted(_PLACEHOLDER.findall(message))
        != sorted(_PLACEHOLDER.findall(str(spanish[message].string)))
    ]
    assert not broken, f"placeholders differ in the Spanish of: {broken}"


def test_the_committed_template_is_up_to_date() -> None:
    template = {
        str(m.id) for m in read_po((ROOT / "dashboard/locales/messages.pot").open("rb")) if m.id
    }
    assert template == _source_messages(), "run the README's `pybabel extract` and `update`"


def test_the_readme_translator_commands_work_as_typed(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = [
        line.strip()
        for block in re.findall(r"```sh\n(.*?)```", readme, flags=re.S)
        for line in block.splitlines()
        if line.strip().startswith(".venv/bin/pybabel ")
    ]
    assert [c.split()[1] for c in commands] == ["extract", "update"]
    # A copy of what they read and write, so the repository's files stay as committed.
    shutil.copy(ROOT / "babel.cfg", tmp_path)
    shutil.copytree(ROOT / "dashboard", tmp_path / "dashboard")
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "bin").symlink_to(PYBABEL.parent)
    compile_command = ".venv/bin/pybabel compile -d dashboard/locales"
    for command in [*commands, compile_command]:
        ran = subprocess.run(command.split(), cwd=tmp_path, capture_output=True, text=True)
        assert ran.returncode == 0, (command, ran.stderr)
    assert (tmp_path / "dashboard/locales/es/LC_MESSAGES/messages.mo").is_file()
    updated = read_po((tmp_path / catalogue_path("es").relative_to(ROOT)).open("rb"))
    assert updated.get("How the city is doing").string == "Cómo le va a la ciudad"


def test_an_unknown_language_falls_back_to_the_citys_first() -> None:
    assert choose_language("es", ["en", "es"]) == "es"
    assert choose_language("fr", ["en", "es"]) == "en"
    assert choose_language(None, ["es", "en"]) == "es"
    assert choose_language(["es"], ["en", "es"]) == "en"
    assert language_name("es") == "Español" and language_name("en") == "English"


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (
            "en",
            [
                "82.4%",
                "3.2 days",
                "12,345",
                "+4.4 percentage points",
                "April 14, 2025",
                "March 2025",
                "Quarter 1, 2025",
                "Fiscal year 2025",
                "Meeting the target",
            ],
        ),
        (
            "es",
            [
                "82,4 %",
                "3,2 días",
                "12.345",
                "+4,4 puntos porcentuales",
                "14 de abril de 2025",
                "marzo de 2025",
                "trimestre 1 de 2025",
                "año fiscal 2025",
                "Cumple la meta",
            ],
        ),
    ],
)
def test_numbers_dates_and_periods_are_written_the_languages_way(
    code: str, expected: list[str]
) -> None:
    lang = Language(code)
    shown = [
        lang.value(0.824, "percent"),
        lang.value(3.21, "days"),
        lang.value(12345, "requests"),
        lang.change(0.824, 0.78, "percent"),
        lang.date(datetime(2025, 4, 14, 23, 58)),
        lang.period("month", date(2025, 3, 1), "2025-03"),
        lang.period("quarter", date(2025, 1, 1), "2025-Q1"),
        lang.period("fiscal_year", date(2024, 7, 1), "FY2025"),
        lang.gettext("Meeting the target"),
    ]
    assert [s.replace("\xa0", " ") for s in shown] == expected
