"""What every format and the site share in presenting results: values, shares and ranks as a person reads
them, a rule's line in the rule list, a diff's one-line summary. Plain text: escaping for each medium is
`escape`'s."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from parity.dataset import Dataset, LoadedRule
from parity.report import LabSummary, Report
from parity.report.catalog import applies_to_text, rule_target
from parity.vocabulary import SHORTFALLS, show

if TYPE_CHECKING:
    from parity.diff import Diff

__all__ = ["by_score", "percent", "rule_row", "share", "shortfall_count", "show", "summary_line"]

CHANGE_KINDS = ("new", "resolved", "changed", "added", "removed")


def share(value: float | None) -> str:
    """A score or a coverage as the text formats print it: 0.89, or n/a."""
    return "n/a" if value is None else f"{value:.2f}"


def percent(value: float | None) -> str:
    """A share as a person reads it on a scorecard: 89%, or n/a."""
    return "n/a" if value is None else f"{value:.0%}"


def by_score(labs: Mapping[str, LabSummary]) -> list[str]:
    """The labs, best score first (then higher coverage, then id); labs with no score last."""

    def key(lab: str) -> tuple[bool, float, float, str]:
        s = labs[lab]
        return (s.score is None, -(s.score or 0.0), -(s.coverage or 0.0), lab)

    return sorted(labs, key=key)


def shortfall_count(report: Report, lab: str) -> int:
    """A lab's unwaived shortfalls."""
    counts = report.labs[lab].counts
    return sum(counts.get(status, 0) for status in SHORTFALLS)


def rule_row(loaded: LoadedRule, data: Dataset) -> dict[str, Any]:
    """A rule's line in the rule list."""
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


def summary_line(diff: Diff) -> str:
    """A diff in one line: its sides, the date, and how many changes of each kind."""
    counts = {k: sum(1 for c in diff.changes if c.change == k) for k in CHANGE_KINDS}
    listed = ", ".join(f"{n} {k}" for k, n in counts.items() if n) or "no change"
    return (
        f"parity diff {diff.base.ref} -> {diff.head.ref} as of {diff.head.report.as_of.isoformat()}: {listed}"
    )
