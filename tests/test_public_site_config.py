"""The public site runs hardened (issue 15): no developer toolbar, no error details or error
links, no usage statistics, only the allowed hosts; a page error shows residents a plain
sentence while the traceback goes to the server log."""

from __future__ import annotations

import logging
import re
import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import public_site
from dashboard.components import site
from dashboard.queries import metric_info, public
from tests.dashboard_fixture import build_fixture_warehouse, walk_elements

APP = Path(__file__).resolve().parent.parent / "dashboard" / "app.py"
HOSTS = "stat.example.gov, www.stat.example.gov"
SECRET = "/srv/city/data/versions/citystat-20250415.duckdb sha256 9f86d081884c"


def test_the_public_command_runs_the_app_as_the_public_site_with_every_option() -> None:
    argv = public_site.command(["--server.port", "8502"], {site.ALLOWED_HOSTS_ENV: HOSTS})
    assert argv[1:5] == ["-m", "streamlit", "run", str(APP)]
    assert argv[-2:] == ["--", "--public"]
    pairs = list(zip(argv[5:-2:2], argv[6:-2:2], strict=True))
    assert ("--client.toolbarMode", "minimal") in pairs
    assert ("--client.showErrorDetails", "none") in pairs  # `false` would mean "stacktrace"
    assert ("--client.showErrorLinks", "false") in pairs
    assert ("--browser.gatherUsageStats", "false") in pairs
    assert [v for k, v in pairs if k == "--server.allowedHosts"] == [
        "stat.example.gov",
        "www.stat.example.gov",
    ]
    assert pairs[-1] == ("--server.port", "8502")  # the city's own options come last


def test_streamlit_itself_reads_the_public_options_as_hardened() -> None:
    # `streamlit config show` parses the same flags `streamlit run` does: what the server gets.
    hosts = site.allowed_hosts({site.ALLOWED_HOSTS_ENV: HOSTS})
    shown = subprocess.run(
        [sys.executable, "-m", "streamlit", "config", "show", *site.public_server_args(hosts)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    settings = dict(re.findall(r"^(\w+) = (.+)$", shown, re.MULTILINE))
    assert settings["toolbarMode"] == '"minimal"'
    assert settings["showErrorDetails"] == '"none"'
    assert settings["showErrorLinks"] == '"false"'
    assert settings["gatherUsageStats"] == "false"
    hosts_block = shown[shown.index("allowedHosts = [") :].split("]")[0]
    assert '"stat.example.gov"' in hosts_block and '"www.stat.example.gov"' in hosts_block


def test_a_server_started_without_the_options_is_named_in_the_log() -> None:
    defaults = {
        "client.toolbarMode": "auto",
        "client.showErrorDetails": "full",
        "client.showErrorLinks": "auto",
        "browser.gatherUsageStats": True,
        "server.headless": True,
    }
    assert site.unhardened_options(defaults.__getitem__) == [
        "client.toolbarMode is auto, not minimal",
        "client.showErrorDetails is full, not none",
        "client.showErrorLinks is auto, not false",
        "browser.gatherUsageStats is True, not false",
    ]
    hardened = dict(site.PUBLIC_SERVER_OPTIONS)
    assert site.unhardened_options(hardened.__getitem__) == []


def test_no_allowed_hosts_means_none_are_passed() -> None:
    assert site.allowed_hosts({}) == []
    assert "--server.allowedHosts" not in site.public_server_args([])


@pytest.fixture
def warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "citystat.duckdb"
    build_fixture_warehouse(path)
    monkeypatch.setenv("CITYSTAT_WAREHOUSE", str(path))
    monkeypatch.setenv("CITYSTAT_MEETINGS_DB", str(tmp_path / "meetings.sqlite"))
    return path


def _broken_catalog(*_args: object, **_kwargs: object) -> None:
    raise RuntimeError(f"could not open {SECRET}")


def _metric_page(page: str = "metric") -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    return at.switch_page(f"views/{page}.py").run()


def test_a_public_page_error_is_a_plain_sentence_and_the_traceback_is_logged(
    warehouse: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv(site.PUBLIC_ENV, "1")
    monkeypatch.setattr(public, "public_metrics", _broken_catalog)
    with caplog.at_level(logging.ERROR, logger="citystat.dashboard"):
        at = _metric_page("public_metric")
    assert not at.exception  # nothing for Streamlit to show with its traceback
    assert [e.value for e in at.error] == [
        "Sorry, this page could not be shown. Please try again later, or open another page."
    ]
    everything = "\n".join(str(getattr(node, "proto", "")) for node in walk_elements(at._tree))
    assert "srv/city" not in everything and "9f86d081884c" not in everything
    logged = [r for r in caplog.records if r.name == "citystat.dashboard"]
    assert logged and logged[0].exc_info and SECRET in str(logged[0].exc_info[1])


def test_the_internal_site_still_shows_the_error_to_staff(
    warehouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(site.PUBLIC_ENV, raising=False)
    monkeypatch.setattr(metric_info, "metric_catalog", _broken_catalog)
    at = _metric_page()
    assert at.exception and SECRET in at.exception[0].value


def test_st_stop_on_a_public_page_is_not_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No warehouse: the page stops itself (st.stop); that must not read as a failure.
    monkeypatch.setenv("CITYSTAT_WAREHOUSE", str(tmp_path / "missing.duckdb"))
    monkeypatch.setenv(site.PUBLIC_ENV, "1")
    at = _metric_page("public_metric")
    assert not at.exception
    assert [e.value for e in at.error] == [
        "The city's figures are being updated; please try again later."
    ]
