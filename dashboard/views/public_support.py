"""What every page of the public site shares (its notes on the data: ``public_notes``): the
visitor's language (kept in the URL as
``?lang=``), the language switch, the period switch, status and glossary words, and the
sentence on rows set aside. Every text a page shows goes through the language's catalogue."""

from __future__ import annotations

import streamlit as st

from dashboard.components.formats import is_missing, order_grains
from dashboard.components.i18n import Language, choose_language, language_name
from dashboard.components.public_words import GLOSSARY, GRAIN_WORDS, NO_DATA, STATUS_WORDS
from dashboard.components.safe_text import escape_markdown as md
from dashboard.queries import public, reader

LANG_PARAM = "lang"
_LANGUAGE_KEY = "public_language"
_GRAIN_KEY = "public_grain"


def _remember_language() -> None:
    st.query_params[LANG_PARAM] = st.session_state[_LANGUAGE_KEY]


def site_language(warehouse: reader.Warehouse | None) -> Language:
    """The visitor's language: ``?lang=`` when the city offers it, else the one chosen
    earlier in this visit, else the city's first; the switch is drawn when there are two or
    more, and the choice is written back to the URL so a shared link keeps it."""
    offered = public.city_languages(warehouse) if warehouse is not None else ["en"]
    requested = st.query_params.get(LANG_PARAM) or st.session_state.get(_LANGUAGE_KEY)
    code = choose_language(requested, offered)
    st.session_state[_LANGUAGE_KEY] = code
    if len(offered) > 1:
        st.query_params[LANG_PARAM] = code
        st.radio(
            " · ".join(Language(c).gettext("Language") for c in offered),
            offered,
            format_func=language_name,
            horizontal=True,
            key=_LANGUAGE_KEY,
            on_change=_remember_language,
        )
    return Language(code)


def current_language() -> Language:
    """The language the app chose for this rerun (``site_language``)."""
    code = st.session_state.get(_LANGUAGE_KEY)
    return Language(code if isinstance(code, str) else "en")


def status_text(lang: Language, status: object) -> str:
    """Icon and plain word of a status ('● Meeting the target'); never colour alone."""
    icon, word = STATUS_WORDS.get(str(status), NO_DATA) if isinstance(status, str) else NO_DATA
    return f"{icon} {lang.gettext(word)}"


def target_line(lang: Language, target: object, unit: str | None) -> str:
    """'Target: 80.0%' as Markdown; '' when the measure has no target (its status says so)."""
    if is_missing(target):
        return ""
    return md(lang.gettext("Target: {value}").format(value=lang.value(target, unit)))


def pick_grain(lang: Language, grains: list[str]) -> str:
    """The period switch, seeded from and written to ``?grain=`` (monthly by default)."""
    ordered = order_grains(grains)
    requested = st.query_params.get("grain")
    if requested in ordered:
        st.session_state[_GRAIN_KEY] = requested
    elif st.session_state.get(_GRAIN_KEY) not in ordered:
        st.session_state[_GRAIN_KEY] = "month" if "month" in ordered else ordered[0]
    grain = st.radio(
        lang.gettext("How often"),
        ordered,
        format_func=lambda g: lang.gettext(GRAIN_WORDS.get(str(g), str(g))),
        horizontal=True,
        key=_GRAIN_KEY,
    )
    st.query_params["grain"] = grain
    return str(grain)


def glossary_links(lang: Language, keys: list[str]) -> None:
    """The words this page keeps, and a link to the glossary that explains them (a page link:
    the public site renders no Markdown link)."""
    words = {term.key: lang.gettext(term.word) for term in GLOSSARY}
    st.caption(
        lang.gettext("Words on this page explained in the glossary: {words}.").format(
            words=md(", ".join(words[key] for key in keys))
        )
    )
    st.page_link(
        "views/public_glossary.py",
        label=lang.gettext("Words we use"),
        query_params={LANG_PARAM: lang.code},
    )
