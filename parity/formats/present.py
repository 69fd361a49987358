"""What every format and the site share in presenting results: values, shares and ranks as a person reads
them, a rule's line in the rule list, a diff's one-line summary. Plain text: escaping for each medium is
`escape`'s."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from parity.dataset import Dataset, LoadedRule
from parity.models import Response
from parity.report import ConditionNote, LabSummary, Report, Verdict
from parity.report.catalog import applies_to_text, rule_target
from parity.vocabulary import SHORTFALLS, show

if TYPE_CHECKING:
    from parity.diff import Diff

__all__ = [
    "HOLDS",
    "by_score",
    "condition_lines",
    "days_left",
    "falling_due",
    "percent",
    "replies_brief",
    "replies_said",
    "reply_brief",
    "reply_text",
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


# --- the right of reply -------------------------------------------------------------------------------------

STANCE_WORDS = {
    "disputes": "disputes the finding",
    "acknowledges": "acknowledges the finding",
    "will_change": "says it will change",
}


def reply_brief(r: Response) -> str:
    """A response in a few words, for a table cell: its stance and date, or the request not answered."""
    if r.date is None:
        return f"asked on {r.asked.isoformat() if r.asked else '?'}, no answer yet"
    return f"{r.stance.replace('_', ' ') if r.stance else 'answered'} ({r.date.isoformat()})"


def replies_brief(responses: tuple[Response, ...]) -> str:
    """Every response to one finding, briefly, oldest first."""
    return "; ".join(reply_brief(r) for r in responses)


def reply_text(r: Response) -> str:
    """A response in full: what it answers, its stance, when asked and answered, its words and address.
    A request not answered yet says so and nothing more: silence is never dressed as an answer."""
    about = r.about.subject
    if r.date is None:
        return f"{about}: asked on {r.asked.isoformat() if r.asked else '?'}, no answer yet"
    asked = f", asked on {r.asked.isoformat()}" if r.asked else ""
    words = STANCE_WORDS.get(r.stance or "", "answered")
    quote = f": “{r.quote}”" if r.quote else ""
    where = f" {r.url}" if r.url else ""
    note = f" ({r.note})" if r.note else ""
    return f"{about}: {words} (answered on {r.date.isoformat()}{asked}){quote}{where}{note}"


def replies_said(v: Verdict) -> str:
    """The lab's responses to a finding, as clauses to append to its one-line message ("" when none)."""
    return "".join(f"; right of reply: {reply_text(r)}" for r in v.responses)


# --- a commitment's conditions: why the pledge binds, or does not ----------------------------------------

HOLDS = {
    True: "holds",
    False: "does not hold",
    "undisclosed": "unknown: the lab does not disclose it",
    "unassessed": "unknown: not researched yet",
}


def condition_lines(notes: tuple[ConditionNote, ...], indent: str = "  ") -> list[str]:
    """A commitment's `when` conditions, one line each (a derived one followed by the conditions that
    derived it, indented): whether each held, on which value, its evidence, and a `meets` condition's bar."""
    if not notes:
        return []
    lines = [f"when {notes[0].of} of:"]
    for n in notes:
        lines += [indent + line for line in _condition(n, indent)]
    return lines


def _condition(n: ConditionNote, indent: str) -> list[str]:
    said = f"{n.condition}: {HOLDS.get(n.holds, str(n.holds))}"
    if n.derived_by is not None:
        of = n.derived_from[0].of if n.derived_from else "all"
        head = f"{said}; derived by rule {n.derived_by}, when {of} of:"
        return [head, *(indent + line for c in n.derived_from for line in _condition(c, indent))]
    value = "" if n.value is None else f"; value {show(n.value)}"
    state = f" ({n.state.replace('_', ' ')})" if n.value is None else ""
    bar = ""
    if n.bar is not None:
        setters = f", set by {', '.join(n.bar.set_by)}" if n.bar.set_by else ""
        bar = f"; bar {n.bar.kind} {show(n.bar.value)}{setters}" if n.bar.value is not None else "; no bar"
    sources = "".join(f"; {e.url} ({e.date.isoformat()})" for e in n.evidence)
    return [f"{said}{state}{value}{bar}{sources}"]
