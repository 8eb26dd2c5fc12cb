"""Which site the dashboard runs as, for which city, and which cities it compares.

The city is the current one (``CITYSTAT_CITY``, or ``-- --city DIR``); the Compare page puts
several cities' published warehouses side by side when two or more are configured
(``CITYSTAT_COMPARE``, city folders separated by ``os.pathsep``, or
``-- --compare cities/boston cities/new_york``).

The public site (``CITYSTAT_PUBLIC=1``, or ``streamlit run dashboard/app.py -- --public``)
shows only metrics marked ``public: true`` in metrics.yml, never record-level fields,
commentary, action items or meetings. It also runs with the Streamlit options below, which
hide the developer toolbar (Deploy, Rerun, Clear cache), error details and error links, and
send no usage statistics; ``python -m dashboard.public_site`` (``make public``) starts it so.
Nothing here imports Streamlit.
"""

from __future__ import annotations

import functools
import logging
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

PUBLIC_ENV = "CITYSTAT_PUBLIC"
PUBLIC_FLAG = "--public"
CITY_FLAG = "--city"
COMPARE_FLAG = "--compare"
COMPARE_ENV = "CITYSTAT_COMPARE"
_LOG = logging.getLogger("citystat.dashboard")
_TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
# Host names the public site answers to, comma-separated (server.allowedHosts: a request with
# any other Host header is refused, which stops DNS rebinding). Empty means any host.
ALLOWED_HOSTS_ENV = "CITYSTAT_ALLOWED_HOSTS"

# The public site's Streamlit options. Residents get no developer menu, no traceback, server
# path, exception type or "ask Google" link on an error, and the server phones nowhere.
# ("none" for error details: the older `false` now means "stacktrace".)
PUBLIC_SERVER_OPTIONS: dict[str, str] = {
    "client.toolbarMode": "minimal",
    "client.showErrorDetails": "none",
    "client.showErrorLinks": "false",
    "browser.gatherUsageStats": "false",
    "server.headless": "true",
}


def is_public(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> bool:
    """True when the dashboard runs as the public site (the env setting or ``--public``)."""
    args = sys.argv[1:] if argv is None else argv
    env = os.environ if environ is None else environ
    return PUBLIC_FLAG in args or env.get(PUBLIC_ENV, "").strip().lower() in _TRUE_WORDS


def _flag_values(args: Sequence[str], flag: str) -> list[str] | None:
    """The values after ``flag`` up to the next ``--option`` (``--flag=a`` too); None when the
    flag is not given."""
    values: list[str] | None = None
    for index, arg in enumerate(args):
        if arg == flag:
            values = values or []
            for value in args[index + 1 :]:
                if value.startswith("--"):
                    break
                values.append(value)
        elif arg.startswith(flag + "="):
            values = [*(values or []), arg.split("=", 1)[1]]
    return values


def city_folder(argv: Sequence[str] | None = None) -> Path | None:
    """The city folder ``--city DIR`` names, or None (the city is then CITYSTAT_CITY's)."""
    values = _flag_values(sys.argv[1:] if argv is None else argv, CITY_FLAG)
    return Path(values[0]) if values else None


def compare_cities(
    argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None
) -> list[Path]:
    """The city folders the Compare page puts side by side, in the order given: those after
    ``--compare``, else CITYSTAT_COMPARE's (separated by os.pathsep); each once."""
    values = _flag_values(sys.argv[1:] if argv is None else argv, COMPARE_FLAG)
    if values is None:
        env = os.environ if environ is None else environ
        values = env.get(COMPARE_ENV, "").split(os.pathsep)
    folders = [Path(value.strip()) for value in values if value.strip()]
    return list(dict.fromkeys(folders))


def allowed_hosts(environ: Mapping[str, str] | None = None) -> list[str]:
    """The host names in CITYSTAT_ALLOWED_HOSTS ("city.example.gov, stat.example.gov")."""
    env = os.environ if environ is None else environ
    return [host.strip() for host in env.get(ALLOWED_HOSTS_ENV, "").split(",") if host.strip()]


def public_server_args(hosts: Sequence[str]) -> list[str]:
    """The `streamlit run` options of the public site, allowed hosts included."""
    args = [part for key, value in PUBLIC_SERVER_OPTIONS.items() for part in (f"--{key}", value)]
    return args + [part for host in hosts for part in ("--server.allowedHosts", host)]


def unhardened_options(get_option: Callable[[str], object]) -> list[str]:
    """Public-site options the running server lacks (``get_option`` is st.get_option), each
    as "key is X, not Y": someone started the public site without ``make public``."""
    return [
        f"{key} is {get_option(key)!s}, not {value}"
        for key, value in PUBLIC_SERVER_OPTIONS.items()
        if str(get_option(key)).lower() != value
    ]


@functools.cache
def log_unhardened_options(get_option: Callable[[str], object]) -> None:
    """Warn in the server log, once per server, when the public site runs unhardened."""
    loose = unhardened_options(get_option)
    if loose:
        _LOG.warning(
            "public site started without `make public` (python -m dashboard.public_site): %s",
            "; ".join(loose),
        )
