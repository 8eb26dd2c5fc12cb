"""What changed between two versions of a metric's definition, in words (pure, no Streamlit).

Definitions arrive as the JSON the pipeline keeps (pipelines/metrics/definition_history.py):
nested mappings are compared key by key ("targets" as a whole, "baseline.period"), and each
value is shown as compact JSON text. The text comes from metrics.yml, so the Markdown this
module writes escapes every name and value.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pandas as pd

from dashboard.components.formats import format_timestamp, format_value
from dashboard.components.safe_text import escape_markdown

NOT_SET = "(not set)"


@dataclass(frozen=True)
class FieldChange:
    """One field of a definition: its dotted name and its value before and after, as text."""

    field: str
    before: str
    after: str


def _flat(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict) and value:
        flat: dict[str, Any] = {}
        for key, item in value.items():
            flat.update(_flat(item, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    return {prefix: value}


def _text(value: Any) -> str:
    if value is None:
        return NOT_SET
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return " ".join(text.split())  # one line: a multi-line description stays one item


def definition_changes(before: str, after: str) -> list[FieldChange]:
    """Every field whose value differs between two definitions (JSON text), by name."""
    old, new = _flat(json.loads(before)), _flat(json.loads(after))
    return [
        FieldChange(name, _text(old.get(name)), _text(new.get(name)))
        for name in sorted(set(old) | set(new))
        if old.get(name) != new.get(name)
    ]


def definition_history_markdown(versions: pd.DataFrame) -> str | None:
    """When and how the definition last changed, from ``latest_definition_versions``
    (None when the warehouse keeps no history of it)."""
    if versions.empty:
        return None
    latest = versions.iloc[0]
    when = format_timestamp(latest["effective_from"])[:10]
    if len(versions) == 1:
        return f"**Definition history.** Unchanged since it was first published on {when}."
    changes = definition_changes(str(versions.iloc[1]["definition"]), str(latest["definition"]))
    lines = [f"**Definition history.** Last changed on {when} (version {int(latest['version'])}):"]
    lines += [
        f"- {escape_markdown(c.field)}: was {escape_markdown(c.before)}; "
        f"now {escape_markdown(c.after)}"
        for c in changes
    ]
    return "\n".join(lines)


def history_rule(definition: str | None) -> str | None:
    """The rule a definition (JSON) sets its target by from history, or None."""
    if not definition:
        return None
    target = json.loads(definition).get("target")
    return str(target["from_history"]) if isinstance(target, dict) else None


def history_target_text(rule: str, targets: pd.DataFrame, unit: str | None) -> str:
    """Which rule set the target and the value it gave in the latest period that has one."""
    text = f"set from history by the rule {escape_markdown(rule)}"
    if targets.empty:
        return text + "; no period has a year of history before it yet"
    latest = targets.iloc[-1]
    return text + (
        f": {escape_markdown(format_value(latest['target'], unit))} for "
        f"{escape_markdown(latest['last_period'])}"
    )


NOT_RECORDED = "definition not recorded (the warehouse kept no definition history then)"


def frozen_version_text(version: object, effective_from: object) -> str:
    """The definition a packet metric was computed with, in words (plain text, not Markdown):
    "definition version N, in effect since DATE", or that it was not recorded."""
    if version is None or pd.isna(version):  # type: ignore[call-overload]
        return NOT_RECORDED
    since = format_timestamp(effective_from)[:10]
    return f"definition version {int(version)}, in effect since {since}"  # type: ignore[call-overload]


def changed_since_frozen(
    frozen_version: object, frozen_json: object, current: pd.DataFrame
) -> str | None:
    """Markdown noting that the warehouse's definition moved on since the packet froze and
    which fields changed (None when it has not, or either side is not recorded). ``current``
    is one metric's row of ``packets.current_definitions``."""
    if current.empty or not isinstance(frozen_json, str):
        return None
    now = current.iloc[0]
    if pd.isna(frozen_version) or int(now["definition_version"]) == int(frozen_version):  # type: ignore[call-overload]
        return None
    changes = definition_changes(frozen_json, str(now["definition_json"]))
    lines = [
        f"**The definition has changed since this packet froze:** the warehouse now has "
        f"version {int(now['definition_version'])}, in effect since "
        f"{escape_markdown(format_timestamp(now['definition_effective_from'])[:10])}."
    ]
    lines += [
        f"- {escape_markdown(c.field)}: was {escape_markdown(c.before)}; "
        f"now {escape_markdown(c.after)}"
        for c in changes
    ]
    return "\n".join(lines)
