"""Rows shared by the formats: a rule's line in the rule list."""

from __future__ import annotations

from typing import Any

from parity.catalog import applies_to_text, rule_target
from parity.loader import Dataset, LoadedRule


def rule_row(loaded: LoadedRule, data: Dataset) -> dict[str, Any]:
    rule = loaded.rule
    indicator = data.indicators.get(rule.indicator or (rule.require.indicator if rule.require else ""))
    return {
        "id": rule.id,
        "pack": loaded.pack,
        "kind": rule.kind,
        "area": rule.area or (indicator.area if indicator else ""),
        "checks": rule_target(rule),
        "severity": rule.severity or "",
        "applies_to": applies_to_text(rule),
        "in_force": loaded.in_force.isoformat() if loaded.in_force else "",
    }
