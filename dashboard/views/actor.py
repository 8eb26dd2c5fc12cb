"""Who is using the dashboard: ``current_actor()`` is the one entry point for every page and
for the meetings store's permission checks, and ``require_page`` is how each page starts.

The actor comes from sign-in (dashboard/auth): the person Streamlit's OpenID Connect sign-in
put in ``st.user``, or the one a signing-in proxy names in the request's headers, given a role
by the city's roles.yml. Without a roles.yml sign-in is not configured: a visitor on the
server's own machine is the local user, who may do everything (tests may put another Actor in
the session under ``ACTOR_KEY``), and any other visitor is refused.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Mapping
from typing import Any

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from dashboard.auth import role_changes, roles
from dashboard.auth.access import Access, decide
from dashboard.components import site
from dashboard.meetings.permissions import Action, Actor
from dashboard.queries import metric_info
from dashboard.views import sign_in

ACTOR_KEY = "citystat_actor"
# Without sign-in the dashboard runs on a city's own machine for its own staff: one local user
# who may do everything.
LOCAL_USER = Actor(user="local", name="Local user", role="leadership")
NOT_PUBLIC = "This page is internal and not part of the public site."
_LOG = logging.getLogger("citystat.dashboard")


def visitor_access() -> Access:
    """What this visitor gets: their Actor, or why not (sign-in, no role, refused)."""
    path = roles.roles_path()
    registry = metric_info.published_department_names()
    try:
        config = roles.load_roles(path, registry)
    except roles.RolesFileError as exc:
        _LOG.error("sign-in refused everyone: %s has problems:\n%s", path, exc)
        return Access("misconfigured", problems=tuple(exc.problems))
    # Not when a script merely imports the app (a test's collection): only on a page view.
    if config is not None and get_script_run_ctx() is not None:
        role_changes.record_once(path, config)
    session_actor = st.session_state.get(ACTOR_KEY)
    return decide(
        config,
        _claims(),
        _headers() if config is not None and config.sign_in == "proxy" else {},
        local_visitor=_from_this_machine(),
        local_actor=session_actor if isinstance(session_actor, Actor) else LOCAL_USER,
        departments=registry,
    )


def current_actor() -> Actor:
    """The person using the internal dashboard. A visitor without one (not signed in, no role,
    refused) gets the page that says so and the script stops here: no caller goes on."""
    access = visitor_access()
    if access.actor is None:
        sign_in.refusal(access)
        st.stop()
    return access.actor


def require_page(action: Action | None = None) -> Actor:
    """The check every internal page starts with, whatever the navigation showed (a typed or
    stale address reaches a page directly): never on the public site; on the internal site the
    visitor must be signed in with a role, and have the right to ``action`` if the page needs
    one. Anyone else gets the page that says why, and the script stops here."""
    if site.is_public():
        st.error(NOT_PUBLIC)
        st.stop()
    access = visitor_access()
    if access.actor is None:
        sign_in.refusal(access)
        st.stop()
    if action is not None and not access.actor.may(action):
        sign_in.not_allowed(access, action)
        st.stop()
    return access.actor


def require_page_of_either_site() -> Actor | None:
    """The check of a page both sites show (scorecard, metric, equity, freshness, open data):
    on the public site anyone may see it (no actor); on the internal site, ``require_page``."""
    if site.is_public():
        return None
    return require_page()


def _from_this_machine() -> bool:
    """True for a visitor on the server's own machine. Streamlit reports no address for a
    connection from localhost, and none that is text when there is no connection at all (a
    test's simulated run); any other address is another machine."""
    address: object = st.context.ip_address
    if not isinstance(address, str):
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def _claims() -> dict[str, Any]:
    """``st.user`` as a plain dict (claims, and ``is_logged_in`` once [auth] is set up)."""
    return dict(st.user.to_dict())


def _headers() -> Mapping[str, str]:
    """The headers of this session's request (for a signing-in proxy's headers). A header sent
    several times with different values is left out: a request that names two people names
    nobody."""
    headers = st.context.headers
    plain: dict[str, str] = {}
    for key in headers:
        values = set(headers.get_all(key))
        if len(values) == 1:
            plain[str(key)] = values.pop()
        else:
            _LOG.warning(
                "ignored the header %s: it came with %d different values", key, len(values)
            )
    return plain
