"""Type-checking a YAML file's entries with pydantic: every error located, with a hint to fix it."""

from __future__ import annotations

import difflib
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from pipelines.config.hints import Locator
from pipelines.config.hints import did_you_mean as _did_you_mean
from pipelines.config.issues import Issue
from pipelines.config.yaml_lines import Loc, YamlSyntaxError, read_config_text

_TYPE_HINTS = {
    "int": "write a whole number without quotes",
    "float": "write a number such as 0.8",
    "bool": "write true or false",
    "date": "write a date as YYYY-MM-DD",
    "string": "write text (quote it if YAML reads it as something else)",
    "list": "write a YAML list, for example [a, b]",
    "dict": "write a mapping of key: value lines",
    "model": "write a mapping of key: value lines",
    "literal": "use one of the values listed",
    "greater_than": "use a larger number",
    "less_than": "use a smaller number",
}


def read_config_file(path: Path) -> tuple[str | None, list[Issue]]:
    """A YAML configuration file's text, or the issue saying why it cannot be read.

    Only a regular file of at most 1 MiB is read (``read_config_text``).
    """
    try:
        return read_config_text(path), []
    except YamlSyntaxError as exc:
        return None, [exc.issue]
    except OSError as exc:
        reason = exc.strerror or str(exc)
        return None, [Issue(path.name, 0, f"cannot read {path}: {reason}", "check the path")]


Entry = TypeVar("Entry", bound=BaseModel)


def validate_entries(
    raw: Any, model: type[Entry], section: str, key: str, noun: str, at: Locator
) -> tuple[list[Issue], list[tuple[Loc, Entry]]]:
    """Type-check each entry of a YAML list; one bad entry does not hide the next one's issues.

    Entries are named in messages by their ``key`` ("metric 'x'"), else by position.
    """
    if not isinstance(raw, list):
        return [], []
    issues: list[Issue] = []
    entries: list[tuple[Loc, Entry]] = []
    for index, item in enumerate(raw):
        loc: Loc = (section, index)
        named = isinstance(item, dict) and isinstance(item.get(key), str)
        label = f"{noun} '{item[key]}'" if named else f"{section}[{index}]"
        try:
            entries.append((loc, model.model_validate(item)))
        except ValidationError as exc:
            issues += pydantic_issues(exc, model, loc, at, label)
    return issues, entries


def pydantic_issues(
    exc: ValidationError, model: type[BaseModel], prefix: Loc, at: Locator, label: str
) -> list[Issue]:
    """Translate pydantic errors into located issues with a fix hint.

    A misspelt required key is one mistake, not two: ``lable:`` with ``label`` missing is
    reported once, at the misspelling, as "did you mean 'label'?".
    """
    errors = exc.errors()
    meant_keys, explained = _typos(errors)
    issues = []
    for error in errors:
        loc = tuple(error["loc"])
        where = _dotted(loc)
        kind = error["type"]
        if kind == "extra_forbidden":
            key = str(loc[-1])
            allowed = _keys_of(_model_at(model, loc[:-1]))
            context = f"{label} ({_dotted(loc[:-1])})" if loc[:-1] else label
            meant = meant_keys.get(loc)
            issues.append(
                at.issue(
                    (*prefix, *loc),
                    f"unknown key '{key}' in {context}",
                    f"did you mean '{meant}'? ('{meant}' is required and missing)"
                    if meant
                    else _did_you_mean(key, allowed),
                )
            )
        elif kind == "missing":
            if loc in explained:
                continue  # the misspelt key's issue says it
            context = f"{label} ({_dotted(loc[:-1])})" if loc[:-1] else label
            issues.append(
                at.issue(
                    (*prefix, *loc[:-1]),
                    f"missing required field '{loc[-1]}' in {context}",
                    f"add '{loc[-1]}:' here",
                )
            )
        elif kind == "value_error":
            # The validator's message says what is wrong and, after "; ", what to do.
            problem, _, fix = _short(error["msg"]).partition("; ")
            issues.append(
                at.issue(
                    (*prefix, *loc),
                    f"{label}: {f'{where!r} ' if where else ''}{problem}",
                    fix or f"got {error.get('input')!r}; {_hint_for(kind)}",
                )
            )
        else:
            got = error.get("input")
            issues.append(
                at.issue(
                    (*prefix, *loc),
                    f"{label}: {f'{where!r} ' if where else ''}{_short(error['msg'])}, got {got!r}",
                    _hint_for(kind),
                )
            )
    return issues


def _typos(errors: list[Any]) -> tuple[dict[tuple[Any, ...], str], set[tuple[Any, ...]]]:
    """Unknown keys that misspell a required key missing beside them: each unknown key's
    location -> the key it misspells, and the locations of the missing keys so explained."""
    missing: dict[tuple[Any, ...], list[str]] = {}
    for error in errors:
        if error["type"] == "missing":
            missing.setdefault(tuple(error["loc"][:-1]), []).append(str(error["loc"][-1]))
    meant: dict[tuple[Any, ...], str] = {}
    explained: set[tuple[Any, ...]] = set()
    for error in errors:
        loc = tuple(error["loc"])
        if error["type"] != "extra_forbidden":
            continue
        left = [m for m in missing.get(loc[:-1], []) if (*loc[:-1], m) not in explained]
        close = difflib.get_close_matches(str(loc[-1]), left, n=1, cutoff=0.6)
        if close:
            meant[loc] = close[0]
            explained.add((*loc[:-1], close[0]))
    return meant, explained


def _short(message: str) -> str:
    return message.removeprefix("Input ").removeprefix("Value error, ").removeprefix("Value ")


def _hint_for(kind: str) -> str:
    for prefix, hint in _TYPE_HINTS.items():
        if kind.startswith(prefix):
            return hint
    return "change the value to the expected type"


def _dotted(loc: Loc) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _keys_of(model: type[BaseModel] | None) -> list[str]:
    if model is None:
        return []
    return [field.alias or name for name, field in model.model_fields.items()]


def _model_at(model: type[BaseModel], loc: Loc) -> type[BaseModel] | None:
    """The model class that validates the mapping at ``loc`` (walking lists transparently)."""
    current: type[BaseModel] | None = model
    for part in loc:
        if isinstance(part, int) or current is None:
            continue
        field = next(
            (f for name, f in current.model_fields.items() if part in (name, f.alias)), None
        )
        current = _inner_model(field.annotation) if field is not None else None
    return current


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is not None:
        for arg in typing.get_args(annotation):
            found = _inner_model(arg)
            if found is not None:
                return found
    return None
