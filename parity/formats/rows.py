"""Rows shared by the formats: a rule's line in the rule list."""

from __future__ import annotations

from typing import Any

from parity.catalog import applies_to_text, rule_target
from parity.dataset import Dataset, LoadedRule


def rule_row(loaded: LoadedRule, data: Dataset) -> dict[str, Any]:
    rule = loaded.rule
    return {
        "id": rule.id,
        "pack": loaded.pack,
        "kind": rule.kind,
        "area": loaded.area(data.indicators),
        "checks": rule_target(rule),
        "severity": rule.severity or "",
        "applies_to": applies_to_text(rule),
        "in_force": loaded.in_force.isoformat() if loaded.in_force else "",
    }
