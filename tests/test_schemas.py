"""The JSON Schemas of the city's files: generated from the models, shipped, named by every file.

`citystat schema` writes pipelines/schemas/; a change to a model without running it fails
here, as does a shipped file without its `# yaml-language-server: $schema=...` first line.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from pipelines.cli.schema import (
    SCHEMA_DIR,
    json_schemas,
    schema,
    schema_comment,
    schema_text,
)
from pipelines.config.yaml_lines import parse_yaml, to_plain

jsonschema = pytest.importorskip("jsonschema")  # installed with Great Expectations

ROOT = Path(__file__).resolve().parent.parent


def _shipped_files() -> list[Path]:
    files = [ROOT / name for name in ("metrics.yml", "services.yml", "city.yml")]
    files += sorted((ROOT / "pipelines" / "sources").glob("*.yml"))
    files += sorted((ROOT / "cities").glob("*/sources/*.yml"))
    files += sorted(p for p in (ROOT / "cities").glob("*/*.yml") if schema_comment(p))
    return files


@pytest.mark.parametrize("name", sorted(json_schemas()))
def test_shipped_schema_is_what_the_models_generate(name: str) -> None:
    shipped = SCHEMA_DIR / name
    assert shipped.exists(), f"{shipped} is missing: run `citystat schema`"
    assert shipped.read_text(encoding="utf-8") == schema_text(json_schemas()[name]), (
        f"{shipped} differs from the models: run `citystat schema` and commit the result"
    )


@pytest.mark.parametrize("path", _shipped_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_shipped_file_names_its_schema_and_follows_it(path: Path) -> None:
    expected = schema_comment(path)
    assert expected is not None
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first == expected, f"{path} must start with the line: {expected}"
    target = (path.parent / expected.split("$schema=", 1)[1]).resolve()
    assert target.exists(), target
    data = to_plain(parse_yaml(path.read_text(encoding="utf-8"), path.name))
    validator = jsonschema.Draft202012Validator(json.loads(target.read_text()))
    problems = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(_json(data))]
    assert problems == []


def _json(value: Any) -> Any:
    """YAML values as an editor's YAML language server sees them (dates are text)."""
    return json.loads(json.dumps(value, default=str))


def test_the_schema_flags_what_the_models_reject_and_completes_words() -> None:
    metrics = json_schemas()["metrics.schema.json"]
    validator = jsonschema.Draft202012Validator(metrics)
    entry = {
        "id": "m",
        "label": "M",
        "description": "d",
        "methodology": "m",
        "department": "streets",
        "owner": "o",
        "unit": "requests",
        "kind": "count",
        "filter": {"service_name": ["Street Defect"]},  # the shorthand is accepted
    }
    assert list(validator.iter_errors({"metrics": [entry]})) == []
    typo = {**entry, "kind": "cuont", "lable": "M"}
    messages = sorted(e.message for e in validator.iter_errors({"metrics": [typo]}))
    assert any("'cuont' is not one of" in m for m in messages)
    assert any("'lable' was unexpected" in m for m in messages)
    within = {**entry, "kind": "share", "unit": "percent", "within_days": 30}
    assert list(validator.iter_errors({"metrics": [within]})) == []


def test_schema_command_writes_every_schema(tmp_path: Path) -> None:
    result = CliRunner().invoke(schema, ["--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(json_schemas())
    for name, generated in json_schemas().items():
        assert json.loads((tmp_path / name).read_text()) == generated


def test_a_draft_under_drafts_uses_the_metrics_schema(tmp_path: Path) -> None:
    draft = ROOT / "drafts" / "permits.yml"
    assert (
        schema_comment(draft)
        == "# yaml-language-server: $schema=../pipelines/schemas/metrics.schema.json"
    )
    assert schema_comment(tmp_path / "notes.yml") is None
