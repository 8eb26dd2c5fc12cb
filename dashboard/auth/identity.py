"""Who signed in, and the one function that turns them into an Actor (or None: no role).

Both ways of signing in end in an ``Identity``: ``from_claims`` reads the claims Streamlit's
OpenID Connect sign-in puts in ``st.user``; ``from_headers`` reads the headers a signing-in
reverse proxy adds to every request. ``actor_for`` then applies roles.yml: an entry under
``users:`` for the person wins; otherwise their groups' roles, the first of leadership,
department_head, analyst, viewer that any of their groups has (a department head answers for
the departments of all their department-head groups). Nothing here imports Streamlit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from dashboard.auth.roles import Grant, RolesConfig
from dashboard.meetings.permissions import ROLES, Actor


@dataclass(frozen=True)
class Identity:
    """A signed-in person as the identity provider or proxy names them: the id roles.yml's
    ``users:`` are matched against (their e-mail by default), a display name, their groups."""

    user: str
    name: str
    groups: frozenset[str] = frozenset()


def from_claims(config: RolesConfig, claims: Mapping[str, Any]) -> Identity | None:
    """The person ``st.user`` holds (its claims as a dict); None unless signed in.

    The id is the ``user_claim`` (``email``), else the subject; an e-mail the provider marks
    unverified (``email_verified: false``) is never used as the id, since anyone could claim
    it. Groups are the ``groups_claim``: a list, or one text of comma-separated names.
    """
    if claims.get("is_logged_in") is not True:
        return None
    user = _text(claims.get(config.user_claim))
    if config.user_claim == "email" and claims.get("email_verified") is False:
        user = ""
    user = user or _text(claims.get("sub"))
    if not user:
        return None
    name = _text(claims.get(config.name_claim)) or user
    return Identity(user=user, name=name, groups=_groups(claims.get(config.groups_claim)))


def from_headers(config: RolesConfig, headers: Mapping[str, str]) -> Identity | None:
    """The person a signing-in proxy names in the request's headers; None without the user
    header. Header names are matched ignoring case; groups are comma-separated."""
    by_name = {str(key).lower(): str(value) for key, value in headers.items()}
    proxy = config.proxy
    user = by_name.get(proxy.user_header.lower(), "").strip()
    if not user:
        return None
    name = by_name.get(proxy.name_header.lower(), "").strip() if proxy.name_header else ""
    groups = by_name.get(proxy.groups_header.lower(), "") if proxy.groups_header else ""
    return Identity(user=user, name=name or user, groups=_groups(groups))


def identify(
    config: RolesConfig, claims: Mapping[str, Any], headers: Mapping[str, str]
) -> Identity | None:
    """The signed-in person by the way roles.yml says people sign in (``sign_in``)."""
    if config.sign_in == "proxy":
        return from_headers(config, headers)
    return from_claims(config, claims)


def actor_for(
    config: RolesConfig, identity: Identity, names: Mapping[str, str] | None = None
) -> Actor | None:
    """The Actor roles.yml makes of ``identity``, or None when it gives them no role;
    ``names`` (department id -> registry name) names a department head's departments."""
    grant = config.users.get(identity.user.strip().casefold())
    if grant is not None:
        return _actor(identity, grant.role, grant.departments, names or {})
    grants = [config.groups[group] for group in sorted(identity.groups) if group in config.groups]
    if not grants:
        return None
    role = min((g.role for g in grants), key=ROLES.index)
    departments = _departments(grants) if role == "department_head" else []
    return _actor(identity, role, departments, names or {})


def _actor(
    identity: Identity, role: Any, departments: Iterable[str], names: Mapping[str, str]
) -> Actor:
    ids = frozenset(departments)
    return Actor(
        user=identity.user,
        name=identity.name,
        role=role,
        departments=ids,
        department_names=frozenset(names[d] for d in ids if d in names),
    )


def _departments(grants: Iterable[Grant]) -> list[str]:
    return [d for grant in grants if grant.role == "department_head" for d in grant.departments]


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _groups(value: Any) -> frozenset[str]:
    """A groups claim or header: a list of names, or one text of comma-separated names."""
    if isinstance(value, str):
        items: Iterable[Any] = value.split(",")
    elif isinstance(value, list | tuple):
        items = value
    else:
        return frozenset()
    return frozenset(item.strip() for item in items if isinstance(item, str) and item.strip())
