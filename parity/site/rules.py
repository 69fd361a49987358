"""A rule's page and the methodology in words: what each bar asks and how it is computed, from the packs."""

from __future__ import annotations

from collections import Counter

from parity.dataset import Dataset
from parity.report import Report
from parity.report.catalog import COMPUTED, explain_facts


def rule_facts(data: Dataset, rule_id: str) -> list[dict[str, str]]:
    """The rule's definition, fact by fact: indicator, bar, peers, conditions, who it applies to."""
    loaded = data.rules.get(rule_id)
    if loaded is None:  # a report evaluated from other data: its catalog still says what the rule checks
        return []
    rule = loaded.rule
    facts = [
        {"label": label, "text": text}
        for label, text in explain_facts(rule, data.indicators)
        if label not in ("rationale", "description", "source")  # shown above, linked, as evidence
    ]
    kind = rule.bar.kind if rule.bar else "require" if rule.require else None
    if kind is not None:
        facts.append({"label": "how it is computed", "text": COMPUTED[kind]})
    if loaded.in_force is not None:
        facts.append({"label": "in force from", "text": loaded.in_force.isoformat()})
    facts.append({"label": "defined at", "text": f"{loaded.file}:{loaded.line}"})
    return facts


def bar_kinds(data: Dataset, report: Report) -> list[dict[str, object]]:
    """Every kind of bar the packs in the report use, how often, and how it is computed."""
    used: Counter[str] = Counter()
    for rule_id in report.rules:
        loaded = data.rules.get(rule_id)
        if loaded is None or loaded.rule.kind == "derive":
            continue
        bar = loaded.rule.bar
        used[bar.kind if bar else "require"] += 1
    return [
        {"kind": kind, "rules": used[kind], "computed": COMPUTED[kind]} for kind in COMPUTED if used[kind]
    ]
