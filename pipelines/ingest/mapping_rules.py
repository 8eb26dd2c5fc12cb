"""The semantic rules of a mapping: its columns, status words, joins and due rules agree."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pipelines.ingest.columns import (
    TIMESTAMP_TOKENS,
    mappable_columns,
    match_key,
    timestamp_columns,
)
from pipelines.warehouse.schema import CanonicalTable

if TYPE_CHECKING:  # the model calls these rules from its validator
    from pipelines.ingest.mapping import SourceMapping

Problems = list[tuple[tuple[str | int, ...], str]]


# The keys whose presence decides whether a required column is filled.
_FILLING_KEYS = frozenset({"columns", "constants", "id_from", "status_from", "due_rules"})


def mapping_problems(m: SourceMapping, unknown: frozenset[str] = frozenset()) -> Problems:
    """Every inconsistency between the mapping's sections and its kind, with its location.

    ``unknown``: keys whose (invalid) value was left out; rules about their absence are not
    judged, since the key is there, only wrong.
    """
    table = m.table
    allowed = mappable_columns(m.kind)
    problems: Problems = []
    for section, names in (("columns", m.columns), ("constants", m.constants)):
        for name in names:
            if name not in allowed:
                problems.append(
                    (
                        (section, name),
                        f"'{name}' is not a canonical {m.kind} column; "
                        f"use one of {', '.join(allowed)}",
                    )
                )
    if "status" in m.constants:
        problems.append((("constants", "status"), "status cannot be a constant; use status_from"))
    problems += _id_and_status_problems(m, table, unknown)
    problems += _join_problems(m)
    problems += _due_rule_problems(m)
    for i, fmt in enumerate(m.timestamps.formats):
        if fmt not in TIMESTAMP_TOKENS and "%" not in fmt:
            problems.append(
                (
                    ("timestamps", "formats", i),
                    f"'{fmt}' is neither a strptime format (like %Y-%m-%d) nor one of "
                    f"{', '.join(sorted(TIMESTAMP_TOKENS))}",
                )
            )
    if m.format != "json" and m.json_options.records:
        problems.append((("json",), "json options apply only with format: json"))
    if "bounds" not in unknown:
        problems += _bounds_problems(m)
    if (
        m.district_from_zip is not None
        and not unknown & {"columns", "constants"}
        and "zip" not in set(m.columns) | set(m.constants)
    ):
        problems.append(
            (
                ("district_from_zip",),
                "district_from_zip looks the district up by zip, but zip is not mapped; map zip "
                "under columns, or remove district_from_zip",
            )
        )
    return problems


COORDINATES = ("latitude", "longitude")


def _bounds_problems(m: SourceMapping) -> Problems:
    """Coordinates without the city's box: 0,0 placeholders would reach maps unchecked."""
    if m.bounds is not None:
        return []
    for section, names in (("columns", m.columns), ("constants", m.constants)):
        mapped = [c for c in COORDINATES if c in names]
        if mapped:
            return [
                (
                    (section, mapped[0]),
                    f"{' and '.join(mapped)} {'are' if len(mapped) > 1 else 'is'} mapped but the "
                    "mapping has no bounds; add 'bounds: {lat_min: ..., lat_max: ..., lon_min: "
                    "..., lon_max: ...}' (the city's coordinate box: points outside it, such as "
                    "0,0 placeholders, are cleared), or remove the coordinates",
                )
            ]
    return []


def _repeated_words(words: list[str], where: tuple[str | int, ...], what: str) -> Problems:
    """Keys that are one word: staging matches them ignoring case and surrounding spaces, so
    both would match every row with that word (a map of them would hold it twice)."""
    problems: Problems = []
    seen: dict[str, str] = {}
    for raw in words:
        first = seen.setdefault(match_key(raw), raw)
        if first != raw:
            problems.append(
                (
                    (*where, raw),
                    f"'{raw}' is the same {what} as '{first}' (case and surrounding "
                    "spaces are ignored); keep one of them",
                )
            )
    return problems


def _id_and_status_problems(
    m: SourceMapping, table: CanonicalTable, unknown: frozenset[str] = frozenset()
) -> Problems:
    problems: Problems = []
    if m.id_from is not None and table.id_column in m.columns:
        problems.append(
            (("id_from",), f"map {table.id_column} in columns or derive it with id_from, not both")
        )
    for required in table.required if not unknown & _FILLING_KEYS else ():
        satisfied = (
            required in m.columns
            or required in m.constants
            or (required == table.id_column and bool(m.id_from))
            or (required == "status" and m.status_from is not None)
            or any(rule.target == required for rule in m.due_rules)
        )
        if not satisfied:
            how = " (or id_from)" if required == table.id_column else ""
            how = " (or status_from)" if required == "status" else how
            problems.append(
                (("columns",), f"columns must map '{required}'{how}; {m.kind} require it")
            )
    if "status" in m.columns and m.status_from is not None:
        problems.append((("status_from",), "map status in columns or use status_from, not both"))
    if "status" in m.columns and not m.statuses and "statuses" not in unknown:
        problems.append((("statuses",), "list every raw status word under statuses"))
    vocabulary = ", ".join(table.statuses)
    problems += _repeated_words(list(m.statuses), ("statuses",), "status word")
    for raw, canonical in m.statuses.items():
        if canonical not in table.statuses:
            problems.append(
                (
                    ("statuses", raw),
                    f"'{canonical}' is not a {m.kind} status; use one of {vocabulary}",
                )
            )
    stamps = timestamp_columns(m.kind)
    for i, rule in enumerate(m.status_from or []):
        if rule.status not in table.statuses:
            problems.append(
                (
                    ("status_from", i, "status"),
                    f"'{rule.status}' is not a {m.kind} status; use one of {vocabulary}",
                )
            )
        if rule.when is not None and rule.when not in stamps:
            problems.append(
                (
                    ("status_from", i, "when"),
                    f"'{rule.when}' is not a {m.kind} timestamp "
                    f"column; use one of {', '.join(stamps)}",
                )
            )
    return problems


def _join_problems(m: SourceMapping) -> Problems:
    problems: Problems = []
    names = [j.name for j in m.joins]
    for i, join in enumerate(m.joins):
        if names.count(join.name) > 1:
            problems.append((("joins", i, "name"), f"join name '{join.name}' is used twice"))
    for column, raw in m.columns.items():
        referenced, field = m.split_reference(raw)
        if referenced is None or referenced.aggregate is None:
            continue
        if field not in referenced.aggregate:
            named = ", ".join(referenced.aggregate)
            problems.append(
                (
                    ("columns", column),
                    f"'{raw}': join '{referenced.name}' aggregates only {named}; name one of them"
                    if named
                    else f"'{raw}': join '{referenced.name}' aggregates nothing; add '{field}' "
                    "under its aggregate",
                )
            )
    return problems


def _due_rule_problems(m: SourceMapping) -> Problems:
    problems: Problems = []
    stamps = timestamp_columns(m.kind)
    allowed = mappable_columns(m.kind)
    for i, rule in enumerate(m.due_rules):
        problems += _repeated_words(list(rule.days), ("due_rules", i, "days"), "key")
        for key in ("target", "start"):
            value = getattr(rule, key)
            if value not in stamps:
                problems.append(
                    (
                        ("due_rules", i, key),
                        f"'{value}' is not a {m.kind} timestamp column; "
                        f"use one of {', '.join(stamps)}",
                    )
                )
        if rule.key not in allowed:
            problems.append(
                (
                    ("due_rules", i, "key"),
                    f"'{rule.key}' is not a canonical {m.kind} column; "
                    f"use one of {', '.join(allowed)}",
                )
            )
        if rule.target in m.columns or rule.target in m.constants:
            problems.append(
                (
                    ("due_rules", i, "target"),
                    f"'{rule.target}' is mapped in columns too; derive it or map it, not both",
                )
            )
    return problems
