"""What every format and the site share in presenting results: values, shares and ranks as a person reads
them, a rule's line in the rule list, a diff's one-line summary. Plain text: escaping for each medium is
`escape`'s."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from parity.dataset import Dataset, LoadedRule
from parity.report import LabSummary, Report, Verdict
from parity.report.catalog import applies_to_text, rule_target
from parity.vocabulary import SHORTFALLS, show

if TYPE_CHECKING:
    from parity.diff import Diff

__all__ = [
    "by_score",
    "days_left",
    "falling_due",
    "percent",
    "rule_row",
    "share",
    "shortfall_count",
    "show",
    "summary_line",
]

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


def falling_due(report: Report, within: int) -> list[Verdict]:
    """The recency verdicts that fall due within `within` days of the report's date, or are overdue,
    soonest first (then by lab and rule)."""
    last = report.as_of + dt.timedelta(days=within)
    found = [v for v in report.verdicts if v.due is not None and v.due <= last]
    return sorted(found, key=lambda v: (v.due, v.lab, v.rule))


def days_left(v: Verdict, as_of: dt.date) -> str:
    """How long until a verdict's `due`, or how long past it, in words."""
    assert v.due is not None
    days = (v.due - as_of).days
    if days < 0:
        return f"{-days} day{'s' if days != -1 else ''} overdue"
    if days == 0:
        return "due today (the last day within the bar)"
    return f"{days} day{'s' if days != 1 else ''} left"
