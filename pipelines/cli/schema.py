"""`citystat schema`: JSON Schemas of the city's files, generated from their pydantic models.

Editors that speak the YAML language server (VS Code's YAML extension, JetBrains, Neovim)
complete and check a file that starts with ``# yaml-language-server: $schema=<path>``; every
file citystat ships starts so, with a path relative to the file. The schemas are generated,
never written by hand: `citystat schema` rewrites ``pipelines/schemas/``, and a test fails
when what is there differs from the models.

The models accept a little more than their plain schema says (the ``{column: values}``
shorthand of conditions, ``utc: true`` for ``kind: instant``) and check some words in rules
rather than in types (kinds, ops, grains, columns, so that a typo gets a "did you mean"):
``_patch_metrics`` adds those to the schema, so the editor accepts what citystat accepts
and completes the words it knows.
"""

from __future__ import annotations

import json
import os.path
from pathlib import Path
from typing import Any

import click
from pydantic import BaseModel

from pipelines.catalog.model import Service, ServicesFile
from pipelines.city.model import PERIOD_PATTERN, CityProfile
from pipelines.ingest.mapping import SourceMapping
from pipelines.metrics.model import GRAINS, KINDS, OPS, Metric, MetricsFile
from pipelines.metrics.tables import ALL_DIMENSIONS, METRIC_TABLES
from pipelines.warehouse.layout import PROJECT_ROOT

SCHEMA_DIR = PROJECT_ROOT / "pipelines" / "schemas"
DIALECT = "https://json-schema.org/draft/2020-12/schema"
# Schema file -> what it describes.
SCHEMA_FILES = {
    "metrics.schema.json": "metrics.yml (and draft files): a city's metric definitions",
    "services.schema.json": "services.yml: a city's service catalog",
    "city.schema.json": "city.yml: a city's profile",
    "mapping.schema.json": "a source mapping: how one extract maps to a canonical table",
}


def json_schemas() -> dict[str, dict[str, Any]]:
    """Every schema, by file name, generated from the models (pure: no file is read)."""
    return {
        "metrics.schema.json": _metrics_schema(),
        "services.schema.json": _with_list(ServicesFile, "services", Service),
        "city.schema.json": _city_schema(),
        "mapping.schema.json": _mapping_schema(),
    }


def schema_text(schema: dict[str, Any]) -> str:
    """A schema as the shipped file holds it (sorted keys, two-space indent, final newline)."""
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def schema_for(path: Path) -> str | None:
    """The schema file a city file uses, by its name and folder (None for other files)."""
    if path.name in ("metrics.yml", "services.yml", "city.yml"):
        return path.name.replace(".yml", ".schema.json")
    if path.suffix == ".yml" and path.parent.name in ("sources", "drafts"):
        return "mapping.schema.json" if path.parent.name == "sources" else "metrics.schema.json"
    return None


def schema_comment(path: Path, schemas: Path = SCHEMA_DIR) -> str | None:
    """The first line a city file starts with: the modeline naming its schema, relative to
    the file's folder (None for a file no schema describes)."""
    name = schema_for(path)
    if name is None:
        return None
    relative = Path(_relpath(schemas / name, path.resolve().parent))
    return f"# yaml-language-server: $schema={relative.as_posix()}"


def _relpath(target: Path, start: Path) -> str:
    return os.path.relpath(target.resolve(), start)


def _schema(model: type[BaseModel]) -> dict[str, Any]:
    schema = model.model_json_schema(by_alias=True)
    return {"$schema": DIALECT, **schema}


def _with_list(
    top: type[BaseModel], field: str, item: type[BaseModel], *, definitions: str = "$defs"
) -> dict[str, Any]:
    """The top model's schema with its ``list[Any]`` field typed as a list of ``item``."""
    schema = _schema(top)
    item_schema = item.model_json_schema(by_alias=True, ref_template="#/$defs/{model}")
    defs = schema.setdefault(definitions, {})
    defs.update(item_schema.pop(definitions, {}))
    defs[item.__name__] = item_schema
    schema["properties"][field] = {
        "type": "array",
        "title": schema["properties"][field].get("title", field.title()),
        "items": {"$ref": f"#/$defs/{item.__name__}"},
    }
    return schema


def _city_schema() -> dict[str, Any]:
    """city.yml's schema: a source is a name alone or an entry with its arrival period."""
    schema = _schema(CityProfile)
    entry = schema["$defs"]["Source"]["properties"]
    for field in ("expected_every", "grace"):
        options = entry[field].get("anyOf", [entry[field]])
        for option in options:
            if option.get("type") == "string":
                option["pattern"] = PERIOD_PATTERN.pattern
    sources = schema["properties"]["sources"]
    sources["items"] = {"anyOf": [{"type": "string"}, {"$ref": "#/$defs/Source"}]}
    return schema


def _metrics_schema() -> dict[str, Any]:
    schema = _with_list(MetricsFile, "metrics", Metric)
    _patch_metrics(schema["$defs"])
    schema["description"] = (
        "metrics.yml: defaults and metric definitions (a draft file holds only 'metrics:')."
    )
    return schema


def _patch_metrics(defs: dict[str, Any]) -> None:
    """The shorthand conditions and the words the rules know, as the editor should offer."""
    columns = sorted({c for t in METRIC_TABLES.values() for c in t.columns})
    metric = defs["Metric"]["properties"]
    condition = defs["Condition"]["properties"]
    metric["kind"]["enum"] = list(KINDS)
    metric["table"]["enum"] = list(METRIC_TABLES)
    condition["op"] = {"anyOf": [{"enum": list(OPS)}, {"type": "null"}], "title": "Op"}
    condition["column"] = {"anyOf": [{"enum": columns}, {"type": "null"}], "title": "Column"}
    shorthand = {
        "type": "object",
        "description": "shorthand: {column: value} or {column: [values]}",
        "propertyNames": {"enum": columns},
    }
    for field in ("filter", "numerator", "denominator"):
        single = {"$ref": "#/$defs/Condition"}
        listed = {"type": "array", "items": single}
        options = [listed, single, shorthand] + ([{"type": "null"}] if field != "filter" else [])
        metric[field] = {"anyOf": options, "title": metric[field].get("title", field.title())}
    for model, field, words in (
        ("Metric", "grains", GRAINS),
        ("Metric", "dimensions", ALL_DIMENSIONS),
        ("Defaults", "grains", GRAINS),
        ("Defaults", "dimensions", ALL_DIMENSIONS),
    ):
        _enum_items(defs[model]["properties"][field], list(words))


def _enum_items(prop: dict[str, Any], words: list[str]) -> None:
    """Give the string items of an array (or of each array option) an enum."""
    for option in [prop, *prop.get("anyOf", [])]:
        if option.get("type") == "array":
            option["items"] = {"enum": words, "type": "string"}


def _mapping_schema() -> dict[str, Any]:
    schema = _schema(SourceMapping)
    stamps = schema["$defs"]["TimestampSpec"]["properties"]
    stamps["utc"] = {
        "type": "boolean",
        "title": "Utc",
        "description": "older spelling of kind: instant (true) or kind: local (false)",
    }
    return schema


def write_schemas(folder: Path) -> list[Path]:
    """Write every schema into ``folder``; returns the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in json_schemas().items():
        path = folder / name
        path.write_text(schema_text(schema), encoding="utf-8")
        written.append(path)
    return written


@click.command("schema")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder to write the schemas into (default: pipelines/schemas/, the shipped ones).",
)
def schema(out: Path | None) -> None:
    """Write the JSON Schemas of metrics.yml, services.yml, city.yml and source mappings.

    Start a file with `# yaml-language-server: $schema=<path to its schema>` and editors with
    the YAML language server complete and check it as you type.
    """
    for path in write_schemas(out or SCHEMA_DIR):
        click.echo(f"wrote {path} ({SCHEMA_FILES[path.name]})")
