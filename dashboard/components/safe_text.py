"""Untrusted text shown as the text it is, never as Markdown, HTML or a link.

Anything that did not come from this code (a URL parameter, a value from an extract such as a
council district, a label, description, methodology, owner or department from metrics.yml or
services.yml, meeting commentary) goes through ``escape_markdown`` before it reaches a call
that renders Markdown (st.markdown, st.caption, st.info/warning/error/success, st.title and
headers, st.metric labels, help= tooltips, widget labels), and through ``plotly_text`` before it
reaches a Plotly label. Plain-text calls (st.text, st.code, st.dataframe cells, selectbox
options) need neither. Tables are HTML that dashboard/components/html_table.py escapes cell by
cell; nothing in the dashboard renders with ``unsafe_allow_html``.
"""

from __future__ import annotations

import html
import re

# Characters with a Markdown (CommonMark, GFM or Streamlit) meaning anywhere in a line:
# backslash, code, emphasis, links and images ([ ]), raw HTML and autolinks (< >), entities
# (&), headings, tables, strikethrough, LaTeX ($) and directive attributes ({ }). A backslash
# before any ASCII punctuation shows it literally. An underscore between two letters or digits
# (metric_id) cannot start or end emphasis, so it is left as it is to stay readable.
_INLINE_SPECIAL = re.compile(r"([\\`*\[\]<>&#|~$={}]|(?<![^\W_])_|_(?![^\W_]))")
# Characters that only mean something at the start of a line: list items, ordered lists and
# setext underlines ("1." and "1)"), handled after the inline pass.
_LINE_START_SPECIAL = re.compile(r"^(\s*)([-+])", re.MULTILINE)
_ORDERED_LIST = re.compile(r"^(\s*\d+)([.)])", re.MULTILINE)
# Streamlit links bare URLs ("https://…", "www.…", e-mail addresses) and turns ":name:" into
# an emoji after the escapes are resolved, so a backslash cannot stop them. An invisible word
# joiner after ":" and "@" and inside "www." breaks those patterns without changing what shows;
# a ":" or "@" before a space or the end starts none of them and is left alone.
WORD_JOINER = "\u2060"
_WWW = re.compile(r"(?i)\b(www)(?=\\?\.)")
_COLON_OR_AT = re.compile(r"([:@])(?=\S)")


def escape_markdown(text: object) -> str:
    """``text`` as Markdown that renders exactly that text: no link, image, emphasis or HTML."""
    escaped = _INLINE_SPECIAL.sub(r"\\\1", str(text).replace("\r\n", "\n"))
    escaped = _LINE_START_SPECIAL.sub(r"\1\\\2", escaped)
    escaped = _ORDERED_LIST.sub(r"\1\\\2", escaped)
    escaped = _COLON_OR_AT.sub(r"\1" + WORD_JOINER, escaped)
    return _WWW.sub(r"\1" + WORD_JOINER, escaped)


def plotly_text(text: object) -> str:
    """``text`` for a Plotly title, label or hover text: its HTML subset (links, <br>, <b>)
    shown as characters, since Plotly decodes the entities only after reading the tags."""
    return html.escape(str(text), quote=False)
