"""The tables a page shows (st.table, real HTML tables) as a visitor reads them, for AppTest."""

from __future__ import annotations

import re
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
    """Every st.table of the page, in order, headers and cells as a visitor reads them."""
    tables = []
    for table in at.table:
        frame = table.value.map(shown_text)
        frame.columns = [shown_text(name) for name in table.value.columns]
        tables.append(Shown(frame))
    return tables


def shown_cards(at: Any) -> dict[str, str]:
    """The public scorecard's metric cards: each metric's name (a "####" heading) and the
    lines under it, as a visitor reads them."""
    markdown = [str(element.value) for element in at.markdown]
    return {
        shown_text(heading.removeprefix("#### ")): shown_text(lines)
        for heading, lines in pairwise(markdown)
        if heading.startswith("#### ")
    }
