"""Tables that carry meaning as real HTML tables, every cell escaped: for st.html on the pages
and for the meeting packet's PDF. Pure: nothing here imports Streamlit.

A cell is shown as the text it is (``html.escape``), whatever it holds: a value from an extract,
a label from metrics.yml, a name a person typed. Two kinds of cell are composed by this code
and drawn as more than text: a ``Link`` to another page of this site, and a status (the table's
Status column, given the statuses it shows) in its icon, word and colour.

Why not st.table: in Streamlit 1.67 a page's first st.table makes the browser fetch and run
Arrow's and the table component's code, about 0.5 s of a page's first load (bench/analysis.md,
goal 6); an HTML element costs about a tenth of that.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html import escape

import pandas as pd

from dashboard.components.status import status_colour, status_label

# A link goes only to another page of this site, by a relative address whose values were
# percent-encoded (urlencode): no scheme (javascript:), no "//host", no space, bracket or quote.
_RELATIVE_ADDRESS = re.compile(r"[A-Za-z0-9_.~%+=&-]+(\?[A-Za-z0-9_.~%+=&-]*)?")


@dataclass(frozen=True)
class Link:
    """A table cell linking to another page of this site (``table_link`` checks the address)."""

    text: str
    address: str


def table_link(text: object, address: str) -> Link:
    """A link cell to a page of this site: the address checked to be a relative,
    percent-encoded one (ValueError otherwise); the text is escaped when drawn."""
    if not _RELATIVE_ADDRESS.fullmatch(address):
        raise ValueError(f"not a relative, percent-encoded address: {address!r}")
    return Link(str(text), address)


def link_column(links: Iterable[Link], index: pd.Index | None = None) -> pd.Series:
    """A table column of link cells, kept as the objects they are."""
    return pd.Series(list(links), index=index, dtype=object)


# Scoped to the tables drawn here; the sizes and greys are those of Streamlit's own tables, so
# a page looks the same as before. Cells wrap (a long text never pushes a link off screen),
# a link's or a status's words do not.
TABLE_STYLE = (
    "<style>"
    ".citystat-table{overflow-x:auto;margin-bottom:1rem}"
    ".citystat-table table{border-collapse:collapse;width:100%;font-size:0.875rem}"
    ".citystat-table th,.citystat-table td{border:1px solid rgba(49,51,63,0.1);"
    "padding:0.25rem 0.375rem;text-align:left;vertical-align:top}"
    ".citystat-table th{font-weight:600;background:#f0f2f6}"
    ".citystat-table a,.citystat-table td span{white-space:nowrap}"
    "</style>"
)


def table_html(
    frame: pd.DataFrame,
    statuses: Sequence[str | None] | None = None,
    css_class: str | None = None,
) -> str:
    """The frame as an HTML table (column headers, no index), every cell escaped but the
    links composed here; ``statuses`` colour the Status column's cells, one per row."""
    head = "".join(f'<th scope="col">{escape(str(name))}</th>' for name in frame.columns)
    status_at = list(frame.columns).index("Status") if statuses is not None else -1
    marks = list(statuses) if statuses is not None else []
    rows = []
    for position, row in enumerate(frame.itertuples(index=False, name=None)):
        cells = [
            status_cell(marks[position]) if column == status_at else _cell(value)
            for column, value in enumerate(row)
        ]
        rows.append("<tr>" + "".join(cells) + "</tr>")
    opening = f'<table class="{escape(css_class)}">' if css_class else "<table>"
    return f"{opening}<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def scrollable_table(frame: pd.DataFrame, statuses: Sequence[str | None] | None = None) -> str:
    """``table_html`` for a page: styled like Streamlit's tables, in a box that scrolls
    sideways from the keyboard when the table is wider than the screen (a tab stop with a
    name: axe-core's scrollable-region-focusable, WCAG 2.1.1)."""
    table = table_html(frame, statuses)
    return (
        f"{TABLE_STYLE}"
        f'<div class="citystat-table" role="region" aria-label="Scrollable table" tabindex="0">'
        f"{table}</div>"
    )


def _cell(value: object) -> str:
    if isinstance(value, Link):
        # Like a Markdown link in Streamlit: the page opens in a new tab.
        return (
            f'<td><a href="{escape(value.address)}" target="_blank" rel="noopener noreferrer">'
            f"{escape(value.text)}</a></td>"
        )
    return f"<td>{escape(str(value))}</td>"


def status_cell(status: str | None, css_class: str | None = None) -> str:
    """A table cell with the status's icon and word in its colour: never told by colour alone."""
    opening = f'<td class="{escape(css_class)}">' if css_class else "<td>"
    return (
        f'{opening}<span style="color:{status_colour(status)}">'
        f"{escape(status_label(status))}</span></td>"
    )
