"""Type-check metric entries so that a typo in one field never hides the rest of the metric.

Pydantic stops a metric at its first type error: with ``lable:`` misspelt, ``kind: cuont``
would go unreported. So an entry that does not type-check is *repaired* for the semantic
rules: an unknown key is dropped, a field whose value has the wrong type is left out (or
given a neutral stand-in when it is required), a broken condition or target is replaced by
one that no rule looks at. The rules then run on what is left, told which fields were
stood in for (``unsure``) so they neither repeat nor contradict the type error. The repaired
metric is never computed: the file still fails to load.
"""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

from pydantic import ValidationError

from pipelines.config.entries import pydantic_issues
from pipelines.config.hints import Locator
from pipelines.config.issues import Issue
from pipelines.config.yaml_lines import Loc
from pipelines.metrics.model import Condition, Metric, Target, as_condition_list

# A condition the rules skip: it stands in for one that did not type-check.
BROKEN_CONDITION = Condition.model_construct()
_BROKEN_TARGET = Target.model_construct(from_=date(2000, 1, 1), value=0.0, grain=None)
# Neutral values for required fields whose own value did not type-check.
_STAND_INS: dict[str, Any] = {
    "label": "",
    "description": "",
    "methodology": "",
    "department": "",
    "owner": "",
    "unit": "requests",
    "kind": "count",
}
_CONDITION_FIELDS = ("filter", "numerator", "denominator")
_REPAIRS = 5  # each round fixes every error pydantic reports; nesting needs a few


def validate_metric_entries(
    raw: Any, at: Locator, prefix: Loc = ("metrics",)
) -> tuple[list[Issue], list[tuple[Loc, Metric, frozenset[str]]]]:
    """Type-check each metric entry (of the list at ``prefix``): the issues, and every entry
    as a Metric with the fields that were stood in for (empty for a metric that type-checked)."""
    if not isinstance(raw, list):
        return [], []
    issues: list[Issue] = []
    entries: list[tuple[Loc, Metric, frozenset[str]]] = []
    for index, item in enumerate(raw):
        loc: Loc = (*prefix, index)
        named = isinstance(item, dict) and isinstance(item.get("id"), str)
        label = f"metric '{item['id']}'" if named else f"metrics[{index}]"
        try:
            entries.append((loc, Metric.model_validate(item), frozenset()))
        except ValidationError as exc:
            issues += pydantic_issues(exc, Metric, loc, at, label)
            repaired = repair_metric(item, index)
            if repaired is not None:
                entries.append((loc, *repaired))
    return issues, entries


def repair_metric(item: Any, index: int) -> tuple[Metric, frozenset[str]] | None:
    """The entry as a Metric for the semantic rules, and the fields stood in for; None when
    the entry is not a mapping at all."""
    if not isinstance(item, dict):
        return None
    data = copy.deepcopy(item)
    unsure: set[str] = set()
    for _ in range(_REPAIRS):
        try:
            return Metric.model_validate(data), frozenset(unsure)
        except ValidationError as exc:
            for error in exc.errors():
                _repair(data, tuple(error["loc"]), error["type"], unsure, index)
    return None


def _repair(
    data: dict[str, Any], loc: tuple[Any, ...], kind: str, unsure: set[str], index: int
) -> None:
    """Change ``data`` so that the error at ``loc`` does not come back."""
    if not loc:
        return
    field = str(loc[0])
    if len(loc) == 1 and kind == "extra_forbidden":
        data.pop(field, None)
        return
    if len(loc) > 1 and isinstance(loc[1], int) and _replace_item(data, field, loc[1]):
        return
    unsure.add(field)
    if field == "id":
        data[field] = f"metrics[{index}]"
    elif field in _STAND_INS:
        data[field] = _STAND_INS[field]
    else:
        data.pop(field, None)


def _replace_item(data: dict[str, Any], field: str, position: int) -> bool:
    """Stand in for one broken condition or target of a list, keeping the others where they
    are (their issues are located by position); False when that is not possible."""
    value = data.get(field)
    if field in _CONDITION_FIELDS:
        value = as_condition_list(value)
        stand_in: Any = BROKEN_CONDITION
    elif field == "targets":
        stand_in = _BROKEN_TARGET
    else:
        return False
    if not isinstance(value, list) or not 0 <= position < len(value):
        return False
    value[position] = stand_in
    data[field] = value
    return True
