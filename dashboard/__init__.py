"""citystat's Streamlit dashboard: the internal Stat site and the public site for residents.

- ``app``: the entry point (``streamlit run dashboard/app.py``); gates the internal site on
  sign-in, pins the published version and builds the navigation of either site.
- ``views``: the pages, thin, with no SQL; ``views.actor`` says who is signed in.
- ``auth``: sign-in and roles without Streamlit: the city's roles.yml and the Actor it makes
  of a signed-in identity.
- ``meetings``: the stat review meetings store and the printable packet.
- ``queries``: read-only SQL against the published warehouse; the only cache.
- ``components``: status, formats, tables, charts, CSV safety, safe text and the site switch.
- ``public_site``: starts the public site with its hardened Streamlit options (``make public``).
- ``demo_site``: starts the demo with sign-in through a local test identity provider
  (``make demo``).

It reads the warehouse read-only, never writes it, and never imports Great Expectations.
"""
