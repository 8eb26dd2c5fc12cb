"""The city's ``roles.yml``: how people sign in and which role each user or group has.

The file sits beside the city's city.yml (``$CITYSTAT_ROLES_FILE`` overrides the path). Without
it, sign-in is not configured and the dashboard serves only its own machine, as one local user
(dashboard/views/actor.py). Unknown keys are errors, and every problem is reported at its line,
all at once::

    sign_in: oidc                 # oidc (st.login, [auth] in .streamlit/secrets.toml) or proxy
    groups_claim: groups          # the claim listing a person's groups (oidc)
    contact: the Performance Office, stat@city.gov   # named on the no-role page
    users:
      alice@city.gov: {role: leadership}
    groups:
      streets-managers: {role: department_head, departments: [streets]}
      performance-analysts: {role: analyst}

Read within the limits every configuration file is held to (pipelines.warehouse.files: a
regular file of at most 1 MiB, nesting and aliases bounded), parsed with ruamel.yaml (for the
lines) and pydantic (for the rules). Nothing here imports
Streamlit.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from dashboard.meetings.permissions import ROLES, Role
from pipelines.warehouse.files import (
    LimitError,
    check_yaml_limits,
    load_tree,
    read_limited_text,
    to_plain,
)
from pipelines.warehouse.layout import city_dir
from pipelines.warehouse.words import department_hint

ROLES_FILE = "roles.yml"
ROLES_ENV = "CITYSTAT_ROLES_FILE"
SignIn = Literal["oidc", "proxy"]
# An HTTP header name (RFC 9110 token characters).
_HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")
DEFAULT_CONTACT = "the city's citystat administrator, who keeps roles.yml"


def roles_path(environ: Mapping[str, str] | None = None) -> Path:
    """Where the city's roles.yml is: ``$CITYSTAT_ROLES_FILE``, else beside city.yml."""
    env = os.environ if environ is None else environ
    return Path(env.get(ROLES_ENV) or city_dir() / ROLES_FILE)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Grant(_Strict):
    """The role a user or group has, and for a department head the department ids they answer
    for (ids of city.yml's registry, as metrics.yml writes them)."""

    role: Role
    departments: tuple[str, ...] = ()

    @field_validator("departments")
    @classmethod
    def _departments_are_ids(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        blank = [item for item in value if not item.strip()]
        if blank:
            raise ValueError("a department id is blank")
        return tuple(item.strip() for item in value)

    @model_validator(mode="after")
    def _departments_match_the_role(self) -> Grant:
        if self.role == "department_head" and not self.departments:
            raise ValueError(
                "a department_head needs `departments: [...]`, the department ids they answer "
                "for (as in city.yml)"
            )
        if self.role != "department_head" and self.departments:
            raise ValueError(
                f"only a department_head has departments; a {self.role} sees every department "
                "already, so remove `departments`"
            )
        return self


class ProxyHeaders(_Strict):
    """The headers a signing-in reverse proxy (oauth2-proxy, a load balancer's sign-in) sets on
    every request it passes on: who signed in, their display name, their groups."""

    user_header: str = "X-Forwarded-Email"
    name_header: str | None = "X-Forwarded-Preferred-Username"
    groups_header: str | None = "X-Forwarded-Groups"

    @field_validator("user_header", "name_header", "groups_header")
    @classmethod
    def _is_a_header_name(cls, value: str | None) -> str | None:
        if value is not None and not _HEADER_NAME.match(value):
            raise ValueError(f"“{value}” is not an HTTP header name (e.g. X-Forwarded-Email)")
        return value


class RolesConfig(_Strict):
    """The whole roles.yml."""

    sign_in: SignIn = "oidc"
    # oidc: the [auth.<provider>] section of secrets.toml to sign in with; none = the [auth]
    # section's own client_id, client_secret and server_metadata_url.
    provider: str | None = None
    user_claim: str = "email"
    name_claim: str = "name"
    groups_claim: str = "groups"
    proxy: ProxyHeaders = Field(default_factory=ProxyHeaders)
    contact: str = DEFAULT_CONTACT
    users: dict[str, Grant] = Field(default_factory=dict)
    groups: dict[str, Grant] = Field(default_factory=dict)

    @field_validator("users")
    @classmethod
    def _users_are_unique_ignoring_case(cls, value: dict[str, Grant]) -> dict[str, Grant]:
        seen: dict[str, str] = {}
        for user in value:
            key = user.strip().casefold()
            if not key:
                raise ValueError("a user is blank")
            if key in seen:
                raise ValueError(
                    f"“{seen[key]}” and “{user}” are the same user (e-mail addresses are "
                    "compared ignoring case); keep one"
                )
            seen[key] = user
        return {user.strip().casefold(): grant for user, grant in value.items()}

    @field_validator("provider")
    @classmethod
    def _provider_is_a_section_name(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[A-Za-z0-9-]+", value):
            raise ValueError(
                "a provider is the name of an [auth.NAME] section of secrets.toml: letters, "
                "digits and dashes"
            )
        return value


class RolesFileError(Exception):
    """roles.yml cannot be used; ``problems`` lists each one as ``roles.yml:LINE: ...``."""

    def __init__(self, path: Path, problems: Sequence[str]) -> None:
        self.path = path
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


def parse_roles(text: str, path: Path, departments: Mapping[str, str] | None = None) -> RolesConfig:
    """roles.yml's text as a RolesConfig, or RolesFileError naming the line of every problem.

    With ``departments`` (city.yml's registry, id -> name, as the last run published it) every
    department a grant names must be one of its ids; without it they are not checked."""
    label = path.name
    try:
        # Size, nesting and aliases are held to limits before a tree is built (a "billion
        # laughs" roles.yml would take the dashboard down at every click).
        check_yaml_limits(text)
        document = load_tree(text)
    except LimitError as exc:
        raise RolesFileError(path, [f"{label}:{exc.line}: {exc.message}; {exc.hint}"]) from None
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        problem = (exc.problem or exc.context or "cannot be parsed").strip()
        raise RolesFileError(
            path,
            [f"{label}:{line}: invalid YAML: {problem}; check indentation, colons and quotes"],
        ) from exc
    except YAMLError as exc:
        raise RolesFileError(path, [f"{label}:1: invalid YAML: {exc}"]) from exc
    if document is None:
        document = CommentedMap()
    if not isinstance(document, CommentedMap):
        raise RolesFileError(
            path, [f"{label}:1: roles.yml must be a mapping (sign_in:, users:, groups:)"]
        )
    unknown = _unknown_departments(document, departments or {}, label)
    try:
        config = RolesConfig.model_validate(to_plain(document))
    except ValidationError as exc:
        problems = [_describe(error, document, label) for error in exc.errors()]
        raise RolesFileError(path, _by_line([*problems, *unknown])) from exc
    if unknown:
        raise RolesFileError(path, unknown)
    return config


def _unknown_departments(
    document: CommentedMap, departments: Mapping[str, str], label: str
) -> list[str]:
    """A problem for each department a grant names that is not an id of the registry."""
    if not departments:
        return []
    problems = []
    for section in ("users", "groups"):
        grants = document.get(section)
        if not isinstance(grants, CommentedMap):
            continue
        for key, grant in grants.items():
            written = grant.get("departments") if isinstance(grant, CommentedMap) else None
            if not isinstance(written, CommentedSeq):
                continue
            for index, item in enumerate(written):
                if not isinstance(item, str) or not item.strip() or item.strip() in departments:
                    continue
                line = _line_of(document, [section, str(key), "departments", index])
                problems.append(
                    f"{label}:{line}: {section}.{key}.departments: “{item.strip()}” is not a "
                    f"department id of city.yml; {department_hint(item.strip(), departments)}"
                )
    return problems


def _by_line(problems: list[str]) -> list[str]:
    """Problems in the order of their lines (``roles.yml:LINE: ...``)."""

    def line(problem: str) -> int:
        found = re.match(r"[^:]*:(\d+):", problem)
        return int(found.group(1)) if found else 0

    return sorted(problems, key=line)


def load_roles(path: Path, departments: Mapping[str, str] | None = None) -> RolesConfig | None:
    """The roles.yml at ``path``; None when there is none (sign-in is not configured). With
    ``departments`` (the registry, id -> name) its department ids are checked against it."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    registry = tuple(sorted((departments or {}).items()))
    return _load_cached(path, stat.st_mtime_ns, stat.st_size, registry)


@functools.lru_cache(maxsize=8)
def _load_cached(
    path: Path, mtime_ns: int, size: int, registry: tuple[tuple[str, str], ...]
) -> RolesConfig:
    """Parsed once per version of the file (and of the registry): an edit applies at the
    visitor's next click."""
    del mtime_ns, size  # part of the cache key only
    try:
        # A regular file of at most 1 MiB only: a FIFO would block the page forever.
        text = read_limited_text(path)
    except LimitError as exc:
        raise RolesFileError(path, [f"{path.name}:{exc.line}: {exc.message}; {exc.hint}"]) from None
    except OSError as exc:
        raise RolesFileError(path, [f"{path.name}: cannot be read: {exc}"]) from exc
    return parse_roles(text, path, dict(registry))


def _line_of(root: Any, loc: Sequence[str | int]) -> int:
    """1-based line of the deepest part of ``loc`` that the file has."""
    node = root
    line = root.lc.line + 1 if getattr(root, "lc", None) is not None else 1
    for part in loc:
        if isinstance(node, CommentedMap):
            key = _key_named(node, part)
            if key is None:
                break
            line = node.lc.key(key)[0] + 1
            node = node[key]
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
            line = node.lc.item(part)[0] + 1
            node = node[part]
        else:
            break
    return line


def _key_named(node: CommentedMap, part: str | int) -> Any:
    """The key of ``node`` that pydantic calls ``part`` (keys are text to pydantic)."""
    for key in node:
        if str(key) == str(part):
            return key
    return None


_FIELDS = {
    "": list(RolesConfig.model_fields),
    "proxy": list(ProxyHeaders.model_fields),
    "grant": list(Grant.model_fields),
}


def _describe(error: Mapping[str, Any], root: CommentedMap, label: str) -> str:
    """One pydantic error as ``roles.yml:LINE: where: what is wrong; what to write``."""
    loc = [part for part in error["loc"] if not str(part).startswith("function-")]
    line = _line_of(root, loc)
    where = ".".join(str(part) for part in loc) or "roles.yml"
    kind = error["type"]
    if kind == "extra_forbidden":
        parent = loc[:-1]
        if not parent:
            allowed = _FIELDS[""]
        elif parent == ["proxy"]:
            allowed = _FIELDS["proxy"]
        else:
            allowed = _FIELDS["grant"]
        return f"{label}:{line}: unknown key “{loc[-1]}”; the keys here are {', '.join(allowed)}"
    if kind == "literal_error" and loc and loc[-1] == "role":
        return f"{label}:{line}: {where}: the role must be one of {', '.join(ROLES)}"
    if kind == "literal_error" and loc == ["sign_in"]:
        return (
            f"{label}:{line}: sign_in must be `oidc` (Streamlit's sign-in with [auth] in "
            "secrets.toml) or `proxy` (a signing-in reverse proxy's headers)"
        )
    if kind == "model_type" and len(loc) == 2 and loc[0] in ("users", "groups"):
        return f"{label}:{line}: {where}: write a mapping such as {{role: viewer}}"
    if kind == "missing":
        return f"{label}:{line}: {where} is required"
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{label}:{line}: {where}: {message}"
