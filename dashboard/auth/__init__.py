"""Sign-in and roles for the internal dashboard, with no Streamlit in it.

- ``roles``: the city's ``roles.yml`` (beside city.yml): how people sign in (OpenID Connect
  through Streamlit's ``st.login``, or a signing-in reverse proxy's headers) and which users
  and groups have which role. Parsed with line numbers; every problem names its line.
- ``identity``: the one function that turns a signed-in identity, from ``st.user``'s claims or
  from the proxy's headers, into an ``Actor`` (dashboard/meetings/permissions.py) or None.
- ``role_changes``: every change of who roles.yml gives which role, appended to the meetings
  store's audit trail (found by comparing the file in force with the trail's last record).
- ``access``: what a visitor gets: their Actor, the sign-in page, the no-role page, or a
  refusal when sign-in is misconfigured.

``dashboard/views/actor.py`` reads ``st.user``, ``st.context`` and the session and draws the
pages; pages ask it for the actor.
"""
