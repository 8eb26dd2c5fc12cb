"""The tables a page shows (real HTML tables, st.html) as a visitor reads them, for AppTest."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from itertools import pairwise
from typing import Any, NamedTuple

import pandas as pd

# A status coloured with Streamlit's named text colours, e.g. ":green[● On track]".
_COLOURED = re.compile(r":(?:green|orange|red|gray)\[([^\]]*)\]")
_ESCAPE = re.compile(r"\\(.)")
WORD_JOINER = "\u2060"


class Shown(NamedTuple):
    """One table of a page: its cells as shown (``value``), like AppTest's elements."""

    value: pd.DataFrame


def shown_text(cell: object) -> str:
    """A cell's Markdown as the words it shows: escapes undone, a coloured status as its
    icon and word; a link stays "[text](address)", so a test sees where it goes."""
    text = _COLOURED.sub(r"\1", str(cell))
    return _ESCAPE.sub(r"\1", text).replace(WORD_JOINER, "")


def shown_tables(at: Any) -> list[Shown]:
    """Every HTML table of the page (st.html), in order, as ``tables_in`` reads them."""
    return [table for element in at.html for table in tables_in(str(element.value))]


def tables_in(body: str) -> list[Shown]:
    """Every <table> in an HTML text, headers and cells as a visitor reads them: the text the
    browser shows, a link as "[text](address)" so a test sees where it goes."""
    reader = _TableReader()
    reader.feed(body)
    return [Shown(pd.DataFrame(rows, columns=head, dtype=object)) for head, rows in reader.tables]


class _TableReader(HTMLParser):
    """The header and rows of each <table> in an HTML text, entities decoded."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[tuple[list[str], list[list[str]]]] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._href: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append(([], []))
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "a" and self._cell is not None:
            self._href = dict(attrs).get("href") or ""
            self._cell.append("[")

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._cell is not None:
            self._cell.append(f"]({self._href})")
        elif tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row.append("".join(self._cell))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            header, rows = self.tables[-1]
            if not header and not rows:
                header.extend(self._row)
            else:
                rows.append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def shown_cards(at: Any) -> dict[str, str]:
    """The public scorecard's metric cards: each metric's name (a "####" heading) and the
    lines under it, as a visitor reads them."""
    markdown = [str(element.value) for element in at.markdown]
    return {
        shown_text(heading.removeprefix("#### ")): shown_text(lines)
        for heading, lines in pairwise(markdown)
        if heading.startswith("#### ")
    }
