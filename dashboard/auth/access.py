"""What a visitor of the internal dashboard gets, decided from roles.yml and who they are.

- ``signed_in``: roles.yml gives the signed-in person a role; ``actor`` is set.
- ``local``: there is no roles.yml, so sign-in is not configured, and the visitor is on the
  server's own machine: they act as the local user (dashboard/views/actor.py).
- ``anonymous``: nobody is signed in: the sign-in page.
- ``no_role``: signed in, but roles.yml gives them no role: a page naming who to ask, no data.
- ``local_only``: no roles.yml and a visitor from another machine: refused.
- ``misconfigured``: roles.yml has errors: refused, with the problems.

Nothing here imports Streamlit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from dashboard.auth.identity import Identity, actor_for, identify
from dashboard.auth.roles import RolesConfig
from dashboard.meetings.permissions import Actor

Kind = Literal["signed_in", "local", "anonymous", "no_role", "local_only", "misconfigured"]


@dataclass(frozen=True)
class Access:
    """The decision for one visitor; only ``signed_in`` and ``local`` carry an actor."""

    kind: Kind
    actor: Actor | None = None
    identity: Identity | None = None
    config: RolesConfig | None = None
    problems: tuple[str, ...] = ()


def decide(
    config: RolesConfig | None,
    claims: Mapping[str, Any],
    headers: Mapping[str, str],
    *,
    local_visitor: bool,
    local_actor: Actor,
    departments: Mapping[str, str] | None = None,
) -> Access:
    """The access of a visitor: ``claims`` is ``st.user`` as a dict, ``headers`` the request's
    headers, ``local_visitor`` whether they connect from the server's own machine,
    ``departments`` the city's department registry (id -> name) as published."""
    if config is None:
        if local_visitor:
            return Access("local", actor=local_actor)
        return Access("local_only")
    identity = identify(config, claims, headers)
    if identity is None:
        return Access("anonymous", config=config)
    actor = actor_for(config, identity, departments)
    if actor is None:
        return Access("no_role", identity=identity, config=config)
    return Access("signed_in", actor=actor, identity=identity, config=config)


_SHARED_SETTINGS = ("redirect_uri", "cookie_secret")
_PROVIDER_SETTINGS = ("client_id", "client_secret", "server_metadata_url")


def oidc_setup_problem(auth: Mapping[str, Any] | None, provider: str | None) -> str | None:
    """What secrets.toml's ``[auth]`` section lacks for Streamlit's sign-in, or None.

    ``redirect_uri`` and ``cookie_secret`` belong in ``[auth]``; ``client_id``,
    ``client_secret`` and ``server_metadata_url`` in ``[auth]`` itself or, when roles.yml names
    a ``provider``, in ``[auth.<provider>]``.
    """
    if not auth:
        return "the server's .streamlit/secrets.toml has no [auth] section"
    missing = [f"[auth] {key}" for key in _SHARED_SETTINGS if not auth.get(key)]
    section = auth.get(provider) if provider else auth
    where = f"[auth.{provider}]" if provider else "[auth]"
    if isinstance(section, Mapping):
        missing += [f"{where} {key}" for key in _PROVIDER_SETTINGS if not section.get(key)]
    else:
        missing.append(f"the {where} section roles.yml names")
    if missing:
        return "the server's .streamlit/secrets.toml lacks " + ", ".join(missing)
    return None
