"""Which site the dashboard runs as: the internal Stat dashboard or the public site.

The public site (``CITYSTAT_PUBLIC=1``, or ``streamlit run dashboard/app.py -- --public``)
shows only metrics marked ``public: true`` in metrics.yml, never record-level fields,
commentary, action items or meetings. Nothing here imports Streamlit.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence

PUBLIC_ENV = "CITYSTAT_PUBLIC"
PUBLIC_FLAG = "--public"
_TRUE_WORDS = frozenset({"1", "true", "yes", "on"})


def is_public(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> bool:
    """True when the dashboard runs as the public site (the env setting or ``--public``)."""
    args = sys.argv[1:] if argv is None else argv
    env = os.environ if environ is None else environ
    return PUBLIC_FLAG in args or env.get(PUBLIC_ENV, "").strip().lower() in _TRUE_WORDS
