"""Words we use (public site): the few terms the public pages keep, in plain words; the pages
link here, to each term's own heading."""

from __future__ import annotations

import streamlit as st

from dashboard.components.public_words import GLOSSARY
from dashboard.views.actor import require_page_of_either_site
from dashboard.views.public_support import current_language

require_page_of_either_site()
lang = current_language()
_ = lang.gettext
st.title(_("Words we use"))
st.markdown(
    _(
        "The pages of this site use plain words where they can. These few words stay; here is "
        "what each one means."
    )
)
for term in GLOSSARY:
    st.subheader(_(term.word), anchor=term.key)
    st.markdown(_(term.meaning))
