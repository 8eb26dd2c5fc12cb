"""Mapping files on disk: where a source's mapping is, reading it, errors with their lines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import (
    ValidationError,
)
from ruamel.yaml.error import YAMLError

from pipelines.city.loader import city_file
from pipelines.city.paths import current_profile, sources_dir
from pipelines.config.yaml_lines import YamlSyntaxError, check_limits, read_config_text
from pipelines.ingest.mapping import FileSpec, MappingProblems, SourceMapping
from pipelines.warehouse.files import load_tree


class MappingError(Exception):
    """A mapping file that cannot be used; the message names the file and what to fix."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems if problems is not None else message.splitlines()


def mapping_path(source: str) -> Path:
    """Path of the mapping file for a source name."""
    return sources_dir() / f"{source}.yml"


def load_mapping(path: Path) -> SourceMapping:
    """Read and validate one mapping file; raise MappingError with file and line on problems."""
    try:
        data = load_tree(guarded_text(path))
    except FileNotFoundError as exc:
        raise MappingError(f"{path}: no such mapping file") from exc
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise MappingError(f"{path}{line}: invalid YAML: {_yaml_problem(exc)}") from exc
    try:
        mapping = SourceMapping.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        lines = [line for err in errors for line in _error_lines(path, data, err)]
        lines += _rule_problems_besides(path, data, errors)
        if not any(tuple(err["loc"][:1]) == ("timezone",) for err in errors):
            lines += _zone_problems(path, data)  # reported with the rest, not after the fix
        lines = list(dict.fromkeys(lines))
        raise MappingError("\n".join(lines), lines) from exc
    problems = _zone_problems(path, data) + _root_problems(path, data, mapping)
    if problems:
        raise MappingError("\n".join(problems), problems)
    profile = current_profile()
    return mapping if profile is None else mapping.model_copy(update={"timezone": profile.timezone})


def guarded_text(path: Path) -> str:
    """The mapping's text, held to the limits every configuration file is (size, depth, aliases)."""
    try:
        text = read_config_text(path, str(path))
        check_limits(text, str(path))
    except YamlSyntaxError as exc:
        raise MappingError(str(exc.issue)) from exc
    return text


def _rule_problems_besides(path: Path, data: object, errors: list[Any]) -> list[str]:
    """The mapping's semantic problems, found by validating it without the keys that failed.

    pydantic runs the mapping's rules only when every field is valid; an unknown key or a
    wrong value elsewhere would hide them until it is fixed. Best effort: when the rest is
    still invalid (a required key is wrong), the rules wait for the next check.
    """
    if not isinstance(data, dict) or any(not err["loc"] for err in errors):
        return []  # the rules themselves already ran (their errors have no field)
    failed = {err["loc"][0] for err in errors}
    rest = {key: value for key, value in data.items() if key not in failed}
    try:
        SourceMapping.model_validate(rest, context={"unknown": failed})
    except ValidationError as exc:
        return [
            line
            for err in exc.errors()
            if isinstance((err.get("ctx") or {}).get("error"), MappingProblems)
            for line in _error_lines(path, data, err)
        ]
    return []


def _root_problems(path: Path, data: object, mapping: SourceMapping) -> list[str]:
    """Each files.root (of the main files and of every join) must be a folder of the city."""
    specs: list[tuple[tuple[str | int, ...], FileSpec]] = [(("files", "root"), mapping.files)]
    specs += [(("joins", i, "files", "root"), j.files) for i, j in enumerate(mapping.joins)]
    problems = []
    for loc, spec in specs:
        try:
            spec.base()
        except ValueError as exc:
            problems.append(f"{path}{_line_of(data, loc)}: {exc}")
    return problems


def _zone_problems(path: Path, data: object) -> list[str]:
    """A mapping names the city's zone or none; one naming another zone is an error."""
    named = data.get("timezone") if isinstance(data, dict) else None
    profile = current_profile()
    if profile is None:
        if named:
            return []
        return [
            f"{path}{_line_of(data, ())}: no timezone; add 'timezone: Area/City' (the IANA "
            "name of the city's zone), or give the city a city.yml that names it"
        ]
    if named and named != profile.timezone:
        return [
            f"{path}{_line_of(data, ('timezone',))}: timezone {named} is not the "
            f"city's ({profile.timezone}, in {city_file()}); timestamps are stored in the city's "
            "local time, so remove this line (a source in UTC says timestamps.kind: instant)"
        ]
    return []


def _yaml_problem(exc: YAMLError) -> str:
    """ruamel's complaint in one line: the problem, where its construct started, what to do."""
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context, start = getattr(exc, "context", None), getattr(exc, "context_mark", None)
    if context and start is not None:
        problem += f" ({context} that starts on line {start.line + 1})"
    fix = "check indentation, colons, quotes and brackets on this line or the one above"
    return f"{problem}; {fix}"


def _error_lines(path: Path, data: object, err: Any) -> list[str]:
    """One 'file:line: problem' per pydantic error, expanding MappingProblems."""
    cause = (err.get("ctx") or {}).get("error")
    if isinstance(cause, MappingProblems):
        return [
            f"{path}{_line_of(data, (*err['loc'], *loc))}: {message}"
            for loc, message in cause.problems
        ]
    return [f"{path}{_line_of(data, err['loc'])}: {_describe(err)}"]


def load_source(source: str) -> SourceMapping:
    """Load the mapping of a named source from the city's mappings folder."""
    return load_mapping(mapping_path(source))


def available_sources() -> list[str]:
    """Names of every mapping in the city's mappings folder."""
    return sorted(p.stem for p in sources_dir().glob("*.yml"))


def _describe(err: Any) -> str:
    loc = ".".join(str(p) for p in err["loc"])
    msg = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        return f"unknown key '{loc}'; remove it or check its spelling"
    return f"{loc}: {msg}" if loc else msg


def _line_of(data: object, loc: tuple[object, ...]) -> str:
    """Best line for a pydantic error location in ruamel's round-trip data ('' if unknown)."""
    line: int | None = None
    node = data
    for key in loc:
        lc = getattr(node, "lc", None)
        if lc is None:
            break
        try:
            line = (lc.key(key) if isinstance(key, str) else lc.item(key))[0] + 1
            node = node[key]  # type: ignore[index]
        except (KeyError, IndexError, TypeError):
            break
    if line is None and getattr(data, "lc", None) is not None:
        line = data.lc.line + 1  # type: ignore[attr-defined]
    return f":{line}" if line is not None else ""
