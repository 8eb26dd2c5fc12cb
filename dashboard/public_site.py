"""Start the public site: `python -m dashboard.public_site [streamlit options]` (`make public`).

Runs `streamlit run dashboard/app.py -- --public` with the options in
``dashboard.components.site.PUBLIC_SERVER_OPTIONS`` and the hosts of CITYSTAT_ALLOWED_HOSTS;
extra options (``--server.port 8502``, ``--server.address 0.0.0.0``) are passed on.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

from dashboard.components import site

APP = Path(__file__).resolve().parent / "app.py"


def command(extra: Sequence[str], environ: dict[str, str] | None = None) -> list[str]:
    """The full command line that runs the public site."""
    hosts = site.allowed_hosts(os.environ if environ is None else environ)
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
        *site.public_server_args(hosts),
        *extra,
        "--",
        site.PUBLIC_FLAG,
    ]


def main() -> None:
    """Replace this process with the public site's Streamlit server."""
    argv = command(sys.argv[1:])
    os.execv(argv[0], argv)


if __name__ == "__main__":
    main()
