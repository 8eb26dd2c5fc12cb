"""Sign-in without Streamlit: roles.yml parsing (every problem at its line), the one function
that turns a signed-in identity into an Actor, from OpenID Connect claims and from a signing-in
proxy's headers, the access decision, and the demo's users and secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

from dashboard.auth import roles
from dashboard.auth.access import decide, oidc_setup_problem
from dashboard.auth.identity import Identity, actor_for, from_claims, from_headers, identify
from dashboard.auth.roles import RolesConfig, RolesFileError, parse_roles
from dashboard.meetings.permissions import Actor
from pipelines.warehouse.layout import PROJECT_ROOT

LOCAL = Actor(user="local", name="Local user", role="leadership")
ROLES = """\
sign_in: oidc
groups_claim: roles
contact: Stat office, stat@city.example
users:
  Alice@City.Example: {role: leadership}
groups:
  streets-managers: {role: department_head, departments: [streets]}
  water-managers: {role: department_head, departments: [water]}
  analysts: {role: analyst}
  staff: {role: viewer}
"""


def _config(text: str = ROLES) -> RolesConfig:
    return parse_roles(text, Path("roles.yml"))


def _problems(text: str) -> list[str]:
    with pytest.raises(RolesFileError) as caught:
        _config(text)
    return caught.value.problems


def _signed_in(**claims: object) -> dict[str, object]:
    return {"is_logged_in": True, **claims}


# roles.yml


def test_the_demo_citys_roles_file_parses() -> None:
    config = roles.load_roles(PROJECT_ROOT / "roles.yml")
    assert config is not None and config.sign_in == "oidc"
    assert config.groups["streets-managers"].departments == ("streets",)


def test_roles_yml_sits_beside_city_yml_unless_the_environment_says(tmp_path: Path) -> None:
    assert roles.roles_path({}) == roles.city_dir() / "roles.yml"
    assert roles.roles_path({roles.ROLES_ENV: str(tmp_path / "r.yml")}) == tmp_path / "r.yml"


def test_no_roles_file_means_sign_in_is_not_configured(tmp_path: Path) -> None:
    assert roles.load_roles(tmp_path / "roles.yml") is None


def test_an_edit_to_roles_yml_applies_without_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "roles.yml"
    path.write_text("groups: {staff: {role: viewer}}\n")
    first = roles.load_roles(path)
    assert first is not None and first.groups["staff"].role == "viewer"
    path.write_text("groups: {staff: {role: analyst}}  # promoted\n")
    second = roles.load_roles(path)
    assert second is not None and second.groups["staff"].role == "analyst"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "sign_in: oidc\nuser:\n  a@b.c: {role: viewer}\n",
            "roles.yml:2: unknown key “user”; the keys here are sign_in, provider",
        ),
        (
            "groups:\n  staff: {role: viewer}\n  bosses: {role: boss}\n",
            "roles.yml:3: groups.bosses.role: the role must be one of leadership, "
            "department_head, analyst, viewer",
        ),
        (
            "groups:\n  streets:\n    role: department_head\n",
            "roles.yml:2: groups.streets: a department_head needs `departments: [...]`",
        ),
        (
            "users:\n  a@b.c:\n    role: viewer\n    departments: [streets]\n",
            "roles.yml:2: users.a@b.c: only a department_head has departments",
        ),
        (
            "groups:\n  staff: {role: viewer, departmnts: [x]}\n",
            "roles.yml:2: unknown key “departmnts”; the keys here are role, departments",
        ),
        ("sign_in: saml\n", "roles.yml:1: sign_in must be `oidc`"),
        (
            "sign_in: proxy\nproxy:\n  user_header: X Email\n",
            "roles.yml:3: proxy.user_header: “X Email” is not an HTTP header name",
        ),
        (
            "users:\n  A@x.org: {role: viewer}\n  a@X.org: {role: analyst}\n",
            "roles.yml:1: users: “A@x.org” and “a@X.org” are the same user",
        ),
        ("groups: [staff]\n", "roles.yml:1: groups: Input should be a valid dictionary"),
        ("users:\n  a@b.c: viewer\n", "roles.yml:2: users.a@b.c: write a mapping such as {role: "),
        ("groups:\n  staff: {role: viewer\n", "roles.yml:3: invalid YAML"),
        ("- viewer\n", "roles.yml:1: roles.yml must be a mapping"),
    ],
)
def test_each_problem_names_its_line(text: str, expected: str) -> None:
    problems = _problems(text)
    assert len(problems) == 1, problems
    assert problems[0].startswith(expected), problems


def test_every_problem_is_reported_at_once() -> None:
    problems = _problems(
        "sign_in: oidc\ngroups:\n  a: {role: boss}\n  b: {role: department_head}\ncolour: red\n"
    )
    assert [problem.split(":")[1] for problem in problems] == ["3", "4", "5"]


def test_an_empty_roles_file_gives_nobody_a_role() -> None:
    config = _config("")
    assert config.sign_in == "oidc" and not config.users and not config.groups


# identity → Actor: the one function both ways of signing in feed


def test_a_user_entry_wins_over_groups_and_matches_ignoring_case() -> None:
    config = _config()
    identity = Identity("alice@city.example", "Alice Adams", frozenset({"staff"}))
    assert actor_for(config, identity) == Actor("alice@city.example", "Alice Adams", "leadership")


def test_groups_give_the_first_role_in_order_and_a_head_every_department() -> None:
    config = _config()
    head = actor_for(
        config, Identity("dana@city.example", "Dana", frozenset({"staff", "streets-managers"}))
    )
    assert head == Actor("dana@city.example", "Dana", "department_head", frozenset({"streets"}))
    both = actor_for(
        config,
        Identity("eve@city.example", "Eve", frozenset({"water-managers", "streets-managers"})),
    )
    assert both is not None and both.departments == frozenset({"streets", "water"})
    analyst = actor_for(config, Identity("ari@city.example", "Ari", frozenset({"analysts"})))
    assert analyst is not None and analyst.role == "analyst" and not analyst.departments


def test_nobody_without_an_entry_or_a_known_group_gets_a_role() -> None:
    config = _config()
    assert actor_for(config, Identity("bob@city.example", "Bob", frozenset({"golf"}))) is None


def test_claims_give_the_identity_only_when_signed_in() -> None:
    config = _config()
    claims = {"email": "dana@city.example", "name": "Dana", "roles": ["streets-managers"]}
    assert from_claims(config, claims) is None  # no is_logged_in: [auth] not set up
    assert from_claims(config, {**claims, "is_logged_in": False}) is None
    assert from_claims(config, _signed_in(**claims)) == Identity(
        "dana@city.example", "Dana", frozenset({"streets-managers"})
    )


def test_the_groups_claim_is_configurable_and_may_be_one_text() -> None:
    config = _config()
    identity = from_claims(config, _signed_in(email="x@y.z", roles="staff, analysts"))
    assert identity is not None and identity.groups == frozenset({"staff", "analysts"})
    # The default claim (groups) is not read when roles.yml names another.
    identity = from_claims(config, _signed_in(email="x@y.z", groups=["staff"]))
    assert identity is not None and identity.groups == frozenset()


def test_an_unverified_email_is_never_the_id() -> None:
    config = _config()
    identity = from_claims(
        config, _signed_in(email="alice@city.example", email_verified=False, sub="opaque-17")
    )
    assert identity is not None and identity.user == "opaque-17"
    assert actor_for(config, identity) is None  # not Alice's leadership


def test_the_subject_stands_in_without_an_email_and_the_id_for_a_name() -> None:
    identity = from_claims(_config(), _signed_in(sub="00u1abcd"))
    assert identity == Identity("00u1abcd", "00u1abcd", frozenset())
    assert from_claims(_config(), _signed_in(name="Nobody")) is None


PROXY = """\
sign_in: proxy
proxy: {user_header: X-Auth-Request-Email, groups_header: X-Auth-Request-Groups}
groups:
  streets-managers: {role: department_head, departments: [streets]}
"""


def test_trusted_headers_map_to_an_actor() -> None:
    config = _config(PROXY)
    headers = {
        "x-auth-request-email": "dana@city.example",  # names are matched ignoring case
        "X-Auth-Request-Groups": "staff,streets-managers",
        "X-Forwarded-Preferred-Username": "Dana Streets",
    }
    identity = identify(config, {}, headers)
    assert identity == Identity(
        "dana@city.example", "Dana Streets", frozenset({"staff", "streets-managers"})
    )
    assert actor_for(config, identity) == Actor(
        "dana@city.example", "Dana Streets", "department_head", frozenset({"streets"})
    )


def test_proxy_mode_reads_no_claims_and_oidc_mode_no_headers() -> None:
    proxy, oidc = _config(PROXY), _config()
    claims = _signed_in(email="alice@city.example")
    headers = {"X-Forwarded-Email": "alice@city.example"}
    assert identify(proxy, claims, {}) is None
    assert identify(oidc, {}, headers) is None
    assert from_headers(proxy, {"X-Auth-Request-Email": "  "}) is None


# the access decision


def test_without_roles_yml_only_this_machine_is_served_as_the_local_user() -> None:
    assert decide(None, {}, {}, local_visitor=True, local_actor=LOCAL).actor == LOCAL
    remote = decide(None, {}, {}, local_visitor=False, local_actor=LOCAL)
    assert remote.kind == "local_only" and remote.actor is None


def test_with_roles_yml_a_local_visitor_must_sign_in_too() -> None:
    config = _config()
    anonymous = decide(
        config, {"email": "test@example.com"}, {}, local_visitor=True, local_actor=LOCAL
    )
    assert anonymous.kind == "anonymous" and anonymous.actor is None
    stranger = decide(
        config, _signed_in(email="bob@x.org"), {}, local_visitor=True, local_actor=LOCAL
    )
    assert stranger.kind == "no_role" and stranger.identity is not None
    alice = decide(
        config, _signed_in(email="alice@city.example"), {}, local_visitor=False, local_actor=LOCAL
    )
    assert (
        alice.kind == "signed_in" and alice.actor is not None and alice.actor.role == "leadership"
    )


def test_the_sign_in_setup_check_names_what_secrets_toml_lacks() -> None:
    full = {
        "redirect_uri": "https://stat.city.example/oauth2callback",
        "cookie_secret": "x" * 32,
        "client_id": "id",
        "client_secret": "secret",
        "server_metadata_url": "https://login.example/.well-known/openid-configuration",
    }
    assert oidc_setup_problem(full, None) is None
    assert "no [auth] section" in str(oidc_setup_problem(None, None))
    assert "[auth] cookie_secret" in str(oidc_setup_problem({**full, "cookie_secret": ""}, None))
    named = {"redirect_uri": full["redirect_uri"], "cookie_secret": "s", "okta": {"client_id": "i"}}
    problem = str(oidc_setup_problem(named, "okta"))
    assert "[auth.okta] client_secret" in problem and "[auth.okta] server_metadata_url" in problem
    assert "[auth.entra]" in str(oidc_setup_problem(named, "entra"))
