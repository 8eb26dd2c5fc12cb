"""The layout keeps its promises: import contracts, package docstrings, sizes, ARCHITECTURE.md."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
PACKAGES = ("pipelines", "dashboard")
# "About 400 lines" for a module and "about 150" for a page: a little slack, not a second limit.
MODULE_LINES = 420
PAGE_LINES = 160


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """Run lint-imports on the packages under `root` with that tree's pyproject.toml."""
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(root / "pyproject.toml"), "--no-cache"],
        cwd=root,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_import_contracts_hold() -> None:
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


# Each plant is a file, a line added to it, and the contract the line must break.
PLANTS = [
    ("pipelines/ingest/merge.py", "import streamlit", "pipelines never imports Streamlit"),
    (
        "pipelines/ingest/merge.py",
        "import pipelines.publish.versions",
        "pipelines: a stage imports only the stages before it",
    ),
    (
        "pipelines/metrics/model.py",
        "import pipelines.run",
        "pipelines: a stage imports only the stages before it",
    ),
    (
        "dashboard/app.py",
        "import great_expectations",
        "dashboard never imports Great Expectations",
    ),
    (
        "dashboard/app.py",
        "import pipelines.run",
        "dashboard imports from pipelines only the published-warehouse read API",
    ),
    (
        "dashboard/app.py",
        "import pipelines.warehouse.connection",
        "dashboard imports from pipelines only the published-warehouse read API",
    ),
    (
        "dashboard/auth/identity.py",
        "import dashboard.views.actor",
        "dashboard: pages over sign-in over meetings over queries and components",
    ),
]


@pytest.fixture(scope="module")
def project_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the packages and pyproject.toml, for planting imports without touching ours."""
    root = tmp_path_factory.mktemp("layout")
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, root / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    return root


@pytest.mark.parametrize(("target", "line", "contract"), PLANTS)
def test_a_planted_import_breaks_its_contract(
    project_copy: Path, target: str, line: str, contract: str
) -> None:
    path = project_copy / target
    original = path.read_text()
    path.write_text(original + f"\n{line}  # planted by the test\n")
    try:
        result = _lint_imports(project_copy)
    finally:
        path.write_text(original)
    assert result.returncode != 0, result.stdout
    assert f"{contract} BROKEN" in result.stdout
    assert str(project_copy) in result.stdout or target.replace("/", ".")[:-3] in result.stdout


def _contracts() -> list[dict[str, object]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return list(config["tool"]["importlinter"]["contracts"])


def _subpackages(package: str) -> list[str]:
    """The direct subpackages and modules of a package, dotted."""
    folder = ROOT / package.replace(".", "/")
    return sorted(
        f"{package}.{p.stem if p.is_file() else p.name}"
        for p in folder.iterdir()
        if (p / "__init__.py").exists() or (p.suffix == ".py" and p.stem != "__init__")
    )


def test_every_pipeline_package_sits_in_a_layer() -> None:
    # A new stage must be placed among the others, or the layer rule says nothing about it.
    (stages,) = [c for c in _contracts() if c["id"] == "pipeline-stages"]
    named = {m.strip() for layer in stages["layers"] for m in str(layer).split("|")}  # type: ignore[attr-defined]
    assert set(_subpackages("pipelines")) == named


def test_dashboard_may_not_reach_any_other_pipeline_package() -> None:
    # The read API is an allow-list in spirit: every other part of pipelines is forbidden.
    (contract,) = [c for c in _contracts() if c["id"] == "dashboard-reads-published-only"]
    forbidden = set(contract["forbidden_modules"])  # type: ignore[call-overload]
    allowed = {"pipelines.warehouse"}
    assert set(_subpackages("pipelines")) - allowed <= forbidden
    warehouse = set(_subpackages("pipelines.warehouse"))
    # words: the record nouns of each canonical table (pure vocabulary, no I/O); files: the
    # limits roles.yml is read within, as every configuration file is (no database).
    assert warehouse - forbidden == {
        "pipelines.warehouse.files",
        "pipelines.warehouse.layout",
        "pipelines.warehouse.published",
        "pipelines.warehouse.words",
    }


def _package_dirs() -> list[Path]:
    return sorted(p.parent for package in PACKAGES for p in (ROOT / package).rglob("__init__.py"))


@pytest.mark.parametrize("package", _package_dirs(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_package_says_what_it_holds(package: Path) -> None:
    docstring = ast.get_docstring(ast.parse((package / "__init__.py").read_text())) or ""
    assert len(docstring.split()) >= 5, f"{package}/__init__.py needs a docstring"
    assert "TODO" not in docstring
    # ...and names each of its modules and subpackages, so the docstring is its table of contents.
    members = [
        p.stem if p.is_file() else p.name
        for p in package.iterdir()
        if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").exists()
    ]
    missing = [m for m in members if not re.search(rf"\b{re.escape(m)}\b", docstring)]
    assert not missing, f"{package}/__init__.py does not name {missing}"


def _modules() -> list[Path]:
    return sorted(p for package in PACKAGES for p in (ROOT / package).rglob("*.py"))


def test_no_module_outgrows_its_job() -> None:
    too_long = {
        str(p.relative_to(ROOT)): n
        for p in _modules()
        if (n := len(p.read_text().splitlines())) > MODULE_LINES
    }
    assert not too_long


def test_pages_stay_thin() -> None:
    pages = sorted((ROOT / "dashboard" / "views").rglob("*.py"))
    assert pages
    sql = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE)\b[^\n]*\b(FROM|INTO|SET)\b")
    for page in pages:
        text = page.read_text()
        assert len(text.splitlines()) <= PAGE_LINES, page
        assert not sql.search(text), f"{page} holds SQL"
        assert "duckdb" not in text and "sqlite3.connect" not in text, page


def test_only_the_query_layer_caches() -> None:
    cached = sorted(
        str(p.relative_to(ROOT))
        for p in (ROOT / "dashboard").rglob("*.py")
        if "st.cache_data" in p.read_text() or "st.cache_resource" in p.read_text()
    )
    assert cached
    assert all(c.startswith("dashboard/queries/") for c in cached), cached


def _architecture_names() -> set[str]:
    text = (ROOT / "ARCHITECTURE.md").read_text()
    names = set(re.findall(r"`((?:pipelines|dashboard)[/.][\w/.]*?)(?:\(\))?`", text))
    return {n.rstrip("/.") for n in names}


def _exists(name: str) -> bool:
    """A path, a dotted module, or a dotted module's function, class or constant."""
    if "/" in name:
        return (ROOT / name).exists()
    path = ROOT / name.replace(".", "/")
    if path.is_dir() or path.with_suffix(".py").exists():
        return True
    module, _, symbol = name.rpartition(".")
    source = (ROOT / module.replace(".", "/")).with_suffix(".py")
    return (
        source.exists()
        and re.search(rf"^(?:def|class) {symbol}\b|^{symbol}\b", source.read_text(), re.M)
        is not None
    )


def test_architecture_md_names_only_modules_that_exist() -> None:
    names = _architecture_names()
    assert len(names) > 30, "ARCHITECTURE.md should map the code"
    missing = sorted(n for n in names if not _exists(n))
    assert not missing, f"ARCHITECTURE.md names what no longer exists: {missing}"


def test_architecture_md_maps_every_package() -> None:
    names = {n.replace(".", "/") for n in _architecture_names()}
    packages = {str(p.relative_to(ROOT)) for p in _package_dirs()}
    unmapped = {p for p in packages if not any(n == p or n.startswith(p + "/") for n in names)}
    assert not unmapped


def test_readme_links_the_architecture_note() -> None:
    assert "(ARCHITECTURE.md)" in (ROOT / "README.md").read_text()
