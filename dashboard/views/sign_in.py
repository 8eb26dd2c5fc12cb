"""The pages a visitor without access gets instead of data, and who is signed in (sidebar).

Names, e-mail addresses and groups come from the identity provider or proxy, and the contact
from roles.yml: all are shown as text (``escape_markdown``), never as Markdown or links.
"""

from __future__ import annotations

import streamlit as st

from dashboard.auth.access import Access, oidc_setup_problem
from dashboard.auth.roles import DEFAULT_CONTACT, RolesConfig
from dashboard.components.safe_text import escape_markdown as md
from dashboard.meetings.permissions import Action, Actor

ROLE_WORDS = {
    "leadership": "Leadership",
    "department_head": "Department head",
    "analyst": "Analyst",
    "viewer": "Viewer",
}
ACTION_WORDS: dict[str, str] = {
    "use_analyst_tools": "the analyst tools (data quality), for analysts and leadership",
    "schedule_meeting": "scheduling meetings, for leadership",
    "close_meeting": "closing meetings, for leadership",
    "write_commentary": "writing commentary",
    "write_action": "writing action items",
}
SIGN_IN_BUTTON = "Sign in"
SIGN_OUT_BUTTON = "Sign out"


def refusal(access: Access) -> None:
    """The page for a visitor with no actor: sign in, no role, or refused."""
    if access.kind == "anonymous" and access.config is not None:
        _sign_in_page(access.config)
    elif access.kind == "no_role":
        _no_role_page(access)
    elif access.kind == "misconfigured":
        st.title("Sign-in is misconfigured")
        st.error(
            "Nobody can sign in until the city's roles.yml is fixed. Tell the citystat "
            "administrator; these are its problems:"
        )
        st.text("\n".join(access.problems))
    else:
        st.title("Sign-in is not configured")
        st.warning(
            "This dashboard has no roles.yml beside its city.yml, so nobody can sign in and it "
            "serves only the machine it runs on. Ask the citystat administrator to set up "
            "sign-in (README, “Security”), or open the public site."
        )


def _sign_in_page(config: RolesConfig) -> None:
    st.title("Sign in to citystat")
    st.markdown(
        "This is the city's internal performance dashboard. Sign in with your city account to "
        "see the scorecard, metrics and stat meetings your role allows."
    )
    if config.sign_in == "proxy":
        st.warning(
            "This dashboard signs people in through the city's sign-in proxy, and this visit did "
            "not come through it. Open the dashboard at its usual address."
        )
        return
    try:
        auth = st.secrets.get("auth")
    except FileNotFoundError:
        auth = None
    problem = oidc_setup_problem(auth, config.provider)
    if problem is not None:
        st.error(
            f"Sign-in is not set up on this server: {problem}. Tell the citystat administrator "
            "(README, “Security”)."
        )
        return
    st.button(
        SIGN_IN_BUTTON,
        type="primary",
        key="citystat_sign_in",
        on_click=st.login,
        args=(config.provider,) if config.provider else (),
    )


def _no_role_page(access: Access) -> None:
    identity = access.identity
    contact = access.config.contact if access.config is not None else DEFAULT_CONTACT
    st.title("No role yet")
    who = "You" if identity is None else f"You are signed in as {md(identity.name)}"
    if identity is not None and identity.user != identity.name:
        who += f" ({md(identity.user)})"
    st.markdown(
        f"{who}, but the city's roles.yml gives you no role in citystat, so it shows you no "
        f"data. Ask {md(contact)} to add you, or one of your groups, to roles.yml."
    )
    if identity is not None and identity.groups:
        st.caption("Your groups, as your sign-in names them:")
        st.text(", ".join(sorted(identity.groups)))
    _sign_out_button(access)


def not_allowed(access: Access, action: Action) -> None:
    """A signed-in person opened a page their role does not include."""
    actor = access.actor
    contact = access.config.contact if access.config is not None else DEFAULT_CONTACT
    role = ROLE_WORDS.get(actor.role, actor.role) if actor is not None else "none"
    st.title("Not part of your role")
    st.warning(
        f"This page is {ACTION_WORDS.get(action, action)}; your role is {role}. "
        f"Ask {md(contact)} if you need it."
    )


def signed_in_sidebar(access: Access) -> None:
    """Who is using the dashboard, in the sidebar, with a sign-out button."""
    actor = access.actor
    if actor is None:
        return
    with st.sidebar:
        if access.kind == "local":
            st.caption(
                "Sign-in is not configured (no roles.yml): you are the local user, with every "
                "right, and only this machine is served."
            )
            return
        st.markdown(f"Signed in as **{md(actor.name)}**")
        st.caption(_role_line(actor))
        _sign_out_button(access)


def _role_line(actor: Actor) -> str:
    line = ROLE_WORDS.get(actor.role, actor.role)
    if actor.departments:
        line += " · " + ", ".join(md(d) for d in sorted(actor.departments))
    return line


def _sign_out_button(access: Access) -> None:
    # Behind a signing-in proxy, signing out is the proxy's.
    if access.config is not None and access.config.sign_in == "oidc":
        st.button(SIGN_OUT_BUTTON, key="citystat_sign_out", on_click=st.logout)
