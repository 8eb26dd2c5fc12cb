"""citystat's Streamlit dashboard: the internal Stat site and the public site for residents.

- ``app``: the entry point (``streamlit run dashboard/app.py``); pins the published version
  and builds the navigation of either site.
- ``views``: the pages, thin, with no SQL.
- ``meetings``: the stat review meetings store and the printable packet.
- ``queries``: read-only SQL against the published warehouse; the only cache.
- ``components``: status, formats, tables, charts, CSV safety, safe text and the site switch.
- ``public_site``: starts the public site with its hardened Streamlit options (``make public``).

It reads the warehouse read-only, never writes it, and never imports Great Expectations.
"""
