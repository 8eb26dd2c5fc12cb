"""Untrusted text is shown as text (issue 15): a URL parameter, a label from metrics.yml or a
district value from an extract never renders as a link, an image, HTML or a formula.

What "renders" means is checked the way the browser would see it: every Markdown body a page
emits is parsed with a CommonMark parser (markdown-it, with GFM tables and strikethrough) and
searched for link, image and HTML tokens, then for the bare URLs and e-mail addresses that
Streamlit turns into links after parsing (its own patterns, copied from its Markdown bundle).
Every HTML body (the tables, st.html) is parsed with Python's HTML parser: only the table's own
tags and attributes may appear, and a link only to a relative address of this site.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest
from markdown_it import MarkdownIt
from streamlit.testing.v1 import AppTest

from dashboard.components import charts, site
from dashboard.components.csv_export import FORMULA_TRIGGERS
from dashboard.components.html_table import TABLE_STYLE, scrollable_table, table_link
from dashboard.components.safe_text import (
    WORD_JOINER,
    escape_markdown,
    plotly_text,
)
from dashboard.meetings import schema as meeting_schema
from tests.dashboard_fixture import DownloadCapture, build_fixture_warehouse, walk_elements
from tests.tables_support import shown_tables, tables_in
from tests.url_parameters import FREE_TEXT, sweep_setting, url_parameters

APP = Path(__file__).resolve().parent.parent / "dashboard" / "app.py"

LINK = "[Your account is locked, click here](https://evil.example/login)"
IMAGE = "![x](http://e/x.png)"
RAW_HTML = "<img src=x onerror=alert(1)>"
JAVASCRIPT = "javascript:alert(1)"
FORMULA = '=HYPERLINK("https://evil.example","Click")'
HOSTILE = [LINK, IMAGE, RAW_HTML, JAVASCRIPT, FORMULA]
MORE_MARKDOWN = [
    "<https://evil.example>",
    "see www.evil.example or mail phish@evil.example",
    "**bold** _em_ ~~gone~~ `code` $x^2$",
    "# Heading\n- item\n1. first\n> quoted\n---",
    ":red[coloured] :material/home: :smile:",
    "&lt;b&gt; &amp; \\[already escaped\\]",
    "| a | b |\n|---|---|\n| 1 | 2 |",
]

# Streamlit's post-parse link patterns (mdast-util-gfm-autolink-literal in its bundle).
_STREAMLIT_URL = re.compile(r"(https?://|www(?=\.))([-.\w]+)([^ \t\r\n]*)", re.IGNORECASE)
_STREAMLIT_EMAIL = re.compile(r"([-.\w+]+)@([-\w]+(?:\.[-\w]+)+)")
_STREAMLIT_EMOJI = re.compile(r":(\+1|[-\w]+):")
_LIVE_TOKENS = {"link_open", "image", "html_inline", "html_block", "autolink"}
_MARKDOWN = MarkdownIt("commonmark").enable(["table", "strikethrough"])


def _tokens(body: str) -> Iterator[Any]:
    for token in _MARKDOWN.parse(body):
        yield token
        yield from token.children or []


def live_markup(body: str) -> list[str]:
    """What in this Markdown body a visitor's browser would show as a link, image or HTML."""
    found = [f"{t.type} {t.attrs or t.content}" for t in _tokens(body) if t.type in _LIVE_TOKENS]
    for token in _tokens(body):
        if token.type == "text":
            found += [f"bare link {m.group(0)}" for m in _STREAMLIT_URL.finditer(token.content)]
            found += [f"e-mail {m.group(0)}" for m in _STREAMLIT_EMAIL.finditer(token.content)]
    if re.search(r"(?<!\\)\]\(", body):
        found.append("an unescaped ](")
    return found


def shown_text(body: str) -> str:
    """The characters a visitor reads from a Markdown body, when it is one plain paragraph."""
    kinds = {t.type for t in _tokens(body)} - {"paragraph_open", "paragraph_close", "inline"}
    assert kinds <= {"text", "softbreak"}, f"{body!r} renders {kinds}"
    text = "".join(
        "\n" if t.type == "softbreak" else t.content
        for t in _tokens(body)
        if t.type in ("text", "softbreak")
    )
    return text.replace(WORD_JOINER, "")


@pytest.mark.parametrize("text", HOSTILE + MORE_MARKDOWN)
def test_escaped_text_renders_as_exactly_that_text_and_nothing_else(text: str) -> None:
    body = escape_markdown(text)
    assert live_markup(body) == []
    assert shown_text(body) == text
    # Streamlit swaps ":name:" for an emoji in the parsed text: the word joiner prevents it.
    parsed = "".join(t.content for t in _tokens(body) if t.type == "text")
    assert not _STREAMLIT_EMOJI.search(parsed)


def test_the_checker_sees_what_unescaped_text_would_render() -> None:
    # The checks above mean something only if they fail on the raw strings.
    for raw in (LINK, IMAGE, RAW_HTML, "<https://evil.example>", "go to www.evil.example"):
        assert live_markup(raw), raw


def test_escaping_keeps_ordinary_text_readable() -> None:
    assert escape_markdown("street_defect_on_time") == "street_defect_on_time"
    assert escape_markdown("Streets Department, 2025-Q1 (month).") == (
        "Streets Department, 2025-Q1 (month)."
    )
    assert escape_markdown(RAW_HTML) == r"\<img src\=x onerror\=alert(1)\>"


# The tags and attributes a table of html_table may hold; anything else is live markup.
_TABLE_TAGS = {"style", "div", "table", "thead", "tbody", "tr", "th", "td", "a", "span"}
_TABLE_ATTRIBUTES = {
    "div": {"class", "role", "aria-label", "tabindex"},
    "table": {"class"},
    "th": {"scope"},
    "a": {"href", "target", "rel"},
    "span": {"style"},
}
_RELATIVE = re.compile(r"[A-Za-z0-9_.~%+=&-]+(\?[A-Za-z0-9_.~%+=&-]*)?")
_COLOUR = re.compile(r"color:#[0-9a-f]{6}")


class _LiveHtml(HTMLParser):
    """What in an HTML body is more than the table's own markup: other tags, other
    attributes, links off this site, other styles."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _TABLE_TAGS:
            self.found.append(f"tag {tag}")
        for name, value in attrs:
            if name not in _TABLE_ATTRIBUTES.get(tag, set()):
                self.found.append(f"{tag} {name}={value}")
            elif name == "href" and not _RELATIVE.fullmatch(value or ""):
                self.found.append(f"link {value}")
            elif name == "style" and not _COLOUR.fullmatch(value or ""):
                self.found.append(f"style {value}")
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style and f"<style>{data}</style>" != TABLE_STYLE:
            self.found.append(f"style sheet {data[:60]}")


def live_html(body: str) -> list[str]:
    """What in this HTML body a visitor's browser would show as more than the table's text."""
    parser = _LiveHtml()
    parser.feed(body)
    parser.close()
    return parser.found


def test_table_cells_and_headers_are_escaped() -> None:
    frame = pd.DataFrame({LINK: [IMAGE], RAW_HTML: [RAW_HTML], "No.": [3]})
    frame["Open"] = [table_link(RAW_HTML, "metric?metric=x%3Cy&grain=month")]
    body = scrollable_table(frame)
    assert live_html(body) == []
    assert "<img" not in body
    # A visitor reads the hostile text as it is, and the link's words.
    (shown,) = tables_in(body)
    assert list(shown.value.columns) == [LINK, RAW_HTML, "No.", "Open"]
    assert shown.value.iloc[0].tolist() == [
        IMAGE,
        RAW_HTML,
        "3",
        f"[{RAW_HTML}](metric?metric=x%3Cy&grain=month)",
    ]


@pytest.mark.parametrize("address", [JAVASCRIPT, "//evil.example/x", "https://evil.example"])
def test_a_table_link_goes_only_to_this_site(address: str) -> None:
    with pytest.raises(ValueError, match="not a relative"):
        table_link("Open", address)


def test_the_html_checker_sees_live_markup() -> None:
    # live_html means something only if it fails on markup a table never holds.
    for raw in (RAW_HTML, '<a href="https://evil.example">x</a>', "<span style='x'>y</span>"):
        assert live_html(raw), raw


@pytest.mark.parametrize("text", HOSTILE)
def test_plotly_labels_show_tags_as_characters(text: str) -> None:
    label = plotly_text(text)
    assert "<" not in label and ">" not in label
    assert html.unescape(label) == text  # Plotly decodes entities after reading tags
    districts = pd.DataFrame({"area": [text], "value": [0.5], "status": ["on_track"]})
    spec = charts.district_figure(districts, 0.6, "percent", f"{text} by district").to_json()
    assert "<img" not in spec and "<a " not in spec.lower()


# --- Through the pages -------------------------------------------------------------------


def markdown_bodies(at: AppTest) -> list[tuple[str, str]]:
    """(element, Markdown) for everything a page rendered as Markdown: bodies of markdown,
    captions, alerts and headings, and every label and help tooltip."""
    found = []
    for node in walk_elements(at._tree):
        proto = getattr(node, "proto", None)
        kind = type(node).__name__
        # st.html bodies are HTML, checked by live_html (html_bodies).
        if proto is None or kind in ("Text", "Code", "Html") or not hasattr(proto, "DESCRIPTOR"):
            continue
        for field in ("body", "label", "help"):
            if field in proto.DESCRIPTOR.fields_by_name:
                value = getattr(proto, field)
                if isinstance(value, str) and value:
                    found.append((f"{kind}.{field}", value))
    return found


def html_bodies(at: AppTest) -> list[str]:
    """The body of every st.html element of the page (the tables)."""
    return [str(element.value) for element in at.html]


def chart_specs(at: AppTest) -> list[str]:
    """The Plotly figure JSON of every chart on the page."""
    return [
        node.proto.spec
        for node in walk_elements(at._tree)
        if type(node).__name__ == "PlotlyChart" or getattr(node, "type", "") == "plotly_chart"
    ]


def assert_nothing_live(at: AppTest, where: str) -> None:
    """No Markdown body renders a link, image or HTML; no HTML body (a table) holds more than
    the table's own markup; no chart label holds an HTML tag."""
    assert not at.exception, [e.value for e in at.exception]
    live = [(kind, body, live_markup(body)) for kind, body in markdown_bodies(at)]
    assert [item for item in live if item[2]] == [], where
    assert [(body, live_html(body)) for body in html_bodies(at) if live_html(body)] == [], where
    for spec in chart_specs(at):
        labels = json.dumps(json.loads(spec).get("data", [])) + json.dumps(
            json.loads(spec).get("layout", {}).get("title", {})
        )
        assert not re.search(r"<(a|img|script)\b", labels, re.IGNORECASE), where


@pytest.fixture(scope="module")
def plain_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("markdown_plain") / "citystat.duckdb"
    build_fixture_warehouse(path)
    return path


def _open(page: str, **params: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    for key, value in params.items():
        at.query_params[key] = value
    at.switch_page(f"views/{page}.py").run()
    # Make sure the page asked for is the page checked (an unknown one falls back silently).
    assert (at.title and at.title[-1].value != "Scorecard") or page == "scorecard", page
    return at


# Every URL parameter each site's pages read, derived from the code (tests/url_parameters.py).
INTERNAL_PARAMETERS, PUBLIC_PARAMETERS = (
    [(page.removesuffix(".py"), p) for page, parameters in pages for p in parameters]
    for pages in (url_parameters()["internal"], url_parameters()["public"])
)


@pytest.mark.parametrize(
    ("public", "page", "parameter"),
    [(False, *p) for p in INTERNAL_PARAMETERS] + [(True, *p) for p in PUBLIC_PARAMETERS],
)
@pytest.mark.parametrize("value", HOSTILE)
def test_a_hostile_url_parameter_is_named_as_text_on_both_sites(
    public: bool,
    page: str,
    parameter: str,
    value: str,
    plain_warehouse: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CITYSTAT_WAREHOUSE", str(plain_warehouse))
    monkeypatch.setenv(meeting_schema.MEETINGS_ENV, str(tmp_path / "meetings.sqlite"))
    setting = sweep_setting(f"{page}.py", parameter)
    if setting is None:
        pytest.skip(f"the fixture's {page} does not read {parameter} (tests/url_parameters.py)")
    if public:
        monkeypatch.setenv(site.PUBLIC_ENV, "1")
    at = _open(page, **setting, **{parameter: value})
    assert_nothing_live(at, f"{page}?{parameter}={value}")
    if public:
        # The public site never repeats what the address said: it shows its own choice.
        assert not any(escape_markdown(value) in w.value for w in at.warning)
    elif parameter in FREE_TEXT:  # allowed as typed, shown escaped
        captions = [c.value for c in at.caption]
        assert any(f"“{escape_markdown(value)}”" in c for c in captions), captions
    elif parameter != "meeting":  # no meeting exists: the id is not even looked up
        warnings = [w.value for w in at.warning]
        assert any(f"“{escape_markdown(value)}”" in w for w in warnings), warnings


def make_hostile(path: Path) -> None:
    """The fixture warehouse at ``path``, with hostile text where a city's own files put text:
    metric labels, description, methodology, owner and cohort service (metrics.yml),
    department and district names (city.yml), each service's description, mechanism, fees
    and what residents must do (services.yml), and council district values (extracts) in the
    values, gaps, centroids and district boundaries."""
    build_fixture_warehouse(path)
    districts = {"1": FORMULA, "2": LINK, "3": RAW_HTML}
    with duckdb.connect(str(path)) as con:
        con.execute(
            "UPDATE metric_definitions SET label = ?, description = ?, methodology = ?, "
            "owner = ?, cohort_service = ? WHERE metric_id = 'street_defect_on_time'",
            [LINK, IMAGE, RAW_HTML, JAVASCRIPT, FORMULA],
        )
        con.execute(
            "UPDATE metric_definitions SET label = ?, methodology = ? "
            "WHERE metric_id = 'street_defect_median_days'",
            [IMAGE, LINK],
        )
        for old, new in districts.items():
            con.execute(
                "UPDATE metric_values SET dimension_value = ? "
                "WHERE dimension = 'council_district' AND dimension_value = ?",
                [new, old],
            )
            for table in ("district_gaps", "district_centroids"):
                con.execute(
                    f"UPDATE {table} SET council_district = ? WHERE council_district = ?",
                    [new, old],
                )
            con.execute("UPDATE districts SET id = ?, name = ? WHERE id = ?", [new, IMAGE, old])
        con.execute("UPDATE departments SET name = ? WHERE id = 'streets'", [LINK])
        # What the public site shows instead of the label (metrics.yml public_text).
        con.execute(
            "UPDATE metric_public_texts SET name = ?, about = ? "
            "WHERE metric_id = 'street_defect_on_time'",
            [LINK, RAW_HTML],
        )
        # services.yml's words about each service (the Services page shows them).
        con.execute(
            "UPDATE services SET description = ?, mechanism = ?, fees = ?, resident_must = ?",
            [LINK, RAW_HTML, FORMULA, IMAGE],
        )


@pytest.fixture(scope="module")
def hostile_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture warehouse made hostile (``make_hostile``)."""
    path = tmp_path_factory.mktemp("markdown_hostile") / "citystat.duckdb"
    make_hostile(path)
    return path


def _hostile_env(
    warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, public: bool
) -> None:
    monkeypatch.setenv("CITYSTAT_WAREHOUSE", str(warehouse))
    monkeypatch.setenv(meeting_schema.MEETINGS_ENV, str(tmp_path / "meetings.sqlite"))
    if public:
        monkeypatch.setenv(site.PUBLIC_ENV, "1")


PAGES = [
    (True, "public_scorecard", {}),
    (True, "public_metric", {"metric": "street_defect_on_time", "grain": "month"}),
    (True, "open_data", {}),
    (False, "scorecard", {}),
    (False, "metric", {"metric": "street_defect_median_days", "grain": "month"}),
    (False, "equity", {"metric": "street_defect_median_days", "grain": "month"}),
    (False, "department", {"department": "streets"}),
    (False, "leadership", {}),
]


@pytest.mark.parametrize(("public", "page", "params"), PAGES)
def test_labels_and_district_values_from_files_render_as_text(
    public: bool,
    page: str,
    params: dict[str, str],
    hostile_warehouse: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _hostile_env(hostile_warehouse, tmp_path, monkeypatch, public)
    at = _open(page, **params)
    assert_nothing_live(at, f"{'public' if public else 'internal'} {page}")
    bodies = "\n".join(body for _, body in markdown_bodies(at))
    if page in ("metric", "open_data", "public_scorecard", "public_metric"):
        # The hostile label is on the page, as its escaped self.
        assert escape_markdown(LINK if public else IMAGE) in bodies


def test_the_flagged_district_in_the_equity_warning_is_text(
    hostile_warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 2025-03, median days: District 2 (now the hostile link, named by the hostile image in
    # city.yml) is 25% worse than citywide.
    _hostile_env(hostile_warehouse, tmp_path, monkeypatch, public=False)
    at = _open("equity", metric="street_defect_median_days", grain="month")
    assert_nothing_live(at, "equity warning")
    assert any(f"{escape_markdown(IMAGE)} is behind citywide" in w.value for w in at.warning)
    shown = json.dumps([json.loads(spec) for spec in chart_specs(at)], ensure_ascii=False)
    assert "District &lt;img src=x onerror=alert(1)&gt;" in shown
    # The district map's hover names the district as text, and the table shows it as text.
    assert f"{plotly_text(IMAGE)}<br>4.0 days" in shown
    assert IMAGE in shown_tables(at)[0].value["District"].tolist()


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def test_open_data_csv_cells_cannot_run_as_formulas(
    hostile_warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _hostile_env(hostile_warehouse, tmp_path, monkeypatch, public=True)
    downloads = DownloadCapture().install(monkeypatch)
    at = _open("open_data")
    for label in (
        "Download the figures (CSV)",
        "Download the list of measures (CSV)",
    ):
        rows = list(csv.reader(io.StringIO(downloads.content(at, label).decode("utf-8"))))
        text = [cell for row in rows for cell in row if not _is_number(cell)]
        assert text and not [cell for cell in text if cell.startswith(FORMULA_TRIGGERS)], label
    values = downloads.content(at, "Download the figures (CSV)").decode("utf-8")
    assert "'" + FORMULA.replace('"', '""') in values  # the district, quoted, as text
