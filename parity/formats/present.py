"""What every format and the site share in presenting results: values, bars, gaps with their units, shares
and ranks as a person reads them, one finding in a sentence, a rule's line in the rule list, a diff's
one-line summary. Plain text: escaping for each medium is `escape`'s.

One voice everywhere: no Python `None` (a bar that does not bind is "no bar"), booleans as the data writes
them (`show`), ranks and counts in words (`ordinal`, `plural`, defined with `show` in the vocabulary because
the rule catalog says them too), and a unit on every gap (`gap_text`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from parity.dataset import Dataset, LoadedRule
from parity.models import Response
from parity.report import BarResult, ConditionNote, IndicatorInfo, LabSummary, Report, Validation, Verdict
from parity.report.catalog import applies_to_text, rule_target
from parity.report.records import SOURCE_FLAGS
from parity.vocabulary import SHORTFALLS, Truth, ordinal, plural, show

if TYPE_CHECKING:
    from parity.diff import Change, Diff, Redefined

__all__ = [
    "HOLDS",
    "amount",
    "bar_text",
    "blocked_text",
    "by_score",
    "cause_text",
    "change_sentence",
    "condition_lines",
    "days_left",
    "falling_due",
    "finding",
    "gap_text",
    "gap_unit",
    "headline",
    "holds_text",
    "ordinal",
    "percent",
    "plural",
    "practice_text",
    "redefined_sentence",
    "replies_brief",
    "replies_said",
    "reply_brief",
    "reply_text",
    "rule_row",
    "setters_text",
    "share",
    "shortfall_count",
    "show",
    "state_text",
    "status_text",
    "summary_line",
    "validation_counts",
    "value_text",
]

CHANGE_KINDS = ("new", "resolved", "changed", "added", "removed")


SHOWN_NAMES = 3  # setters or blockers named in a table cell before "(+N)"
NUMBER_UNIT = "points"  # a number indicator that declares no `unit:` has its gap in points


def state_text(state: str) -> str:
    """A practice's state in words: not applicable, undisclosed."""
    return state.replace("_", " ")


def value_text(v: Verdict) -> str:
    """A verdict's value as the data writes it, or the state that stands for it (undisclosed...)."""
    return state_text(v.state) if v.value is None else show(v.value)


def bar_text(bar: BarResult) -> str:
    """A bar as `kind: value` (best: 3, threshold: SL3, require: true), or `kind: no bar` when it does not
    bind: never a bare None, which reads like the level called none."""
    if bar.value is None and bar.kind != "require":
        return f"{bar.kind}: no bar"
    return f"{bar.kind}: {show(bar.value)}"


def _names(names: tuple[str, ...], count: int, limit: int) -> str:
    shown = ", ".join(names[:limit])
    more = count - min(len(names), limit)
    return f"{shown} (+{more})" if more > 0 else shown


def setters_text(bar: BarResult, limit: int = SHOWN_NAMES) -> str:
    """Who sets a bar, the first `limit` by name: alpha, beta (+3)."""
    return _names(bar.set_by, bar.set_by_count, limit)


def blocked_text(bar: BarResult, limit: int = SHOWN_NAMES) -> str:
    """For an `all` bar that does not bind: the peers whose silence keeps it from binding."""
    if not bar.blocked_by:
        return ""
    return "blocked by " + _names(bar.blocked_by, bar.blocked_by_count, limit)


def amount(n: int | float, unit: str) -> str:
    """A number with its unit, agreed in number: 3 months, 1 month, 2 points of 100, 1 point of 100."""
    if abs(n) == 1:
        first, sep, rest = unit.partition(" ")
        if len(first) > 1 and first.endswith("s") and not first.endswith("ss"):
            unit = first[:-1] + sep + rest
    return f"{show(n)} {unit}"


def gap_unit(indicator: IndicatorInfo | None) -> str:
    """What a gap counts (docs/verdicts.md, "Gaps"): days for dates, steps for levels, the indicator's unit
    for numbers, or points where it declares none. The CSV's `gap_unit` column and `gap_text` ask here."""
    kind = indicator.type if indicator else "number"
    unit = indicator.unit if indicator else None
    return {"date": "days", "level": "steps"}.get(kind) or unit or NUMBER_UNIT


def gap_text(gap: int | float | None, indicator: IndicatorInfo | None) -> str:
    """How far a value is from its bar, with its unit agreed in number (3 days, 1 step, 2 points); empty
    where there is no gap (booleans)."""
    return "" if gap is None else amount(gap, gap_unit(indicator))


def finding(v: Verdict, indicator: IndicatorInfo | None) -> str:
    """A verdict's facts in one clause: its value, its bar and who sets it, its gap. Every format that
    words a verdict (SARIF, JUnit, annotations, a diff's before and after) says it this way."""
    setters = setters_text(v.bar, limit=20)
    gap = gap_text(v.gap, indicator)
    # A finding whose sources no longer stand must not be presented as if they did.
    unsourced = [f for f in v.flags if f in _SOURCE_FLAGS]
    return (
        f"value {value_text(v)}; bar {bar_text(v.bar)}"
        + (f", set by {setters}" if setters else "")
        + (f"; gap {gap}" if gap else "")
        + (f"; {', '.join(unsourced)} (parity sources)" if unsourced else "")
    )


_SOURCE_FLAGS = frozenset(SOURCE_FLAGS.values())


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
    """A diff in one line: its sides, the date, how many changes of each kind, and what needs a reviewer."""
    counts = {k: sum(1 for c in diff.changes if c.change == k) for k in CHANGE_KINDS}
    listed = ", ".join(f"{n} {k}" for k, n in counts.items() if n) or "no change"
    alerts = _alert_counts(diff)
    return (
        f"parity diff {diff.base.ref} -> {diff.head.ref} as of {diff.head.report.as_of.isoformat()}: {listed}"
        + (f"; needs a reviewer: {alerts}" if alerts else "")
    )


def _alert_counts(diff: Diff) -> str:
    waived = sum(1 for c in diff.changes if c.waived_new)
    fell = sum(1 for c in diff.changes if c.bar_fell)
    parts = [
        plural(waived, "new shortfall") + " waived at once" if waived else "",
        plural(fell, "shortfall") + " ended only because the bar fell" if fell else "",
        plural(len(diff.redefined), "rule") + " redefined under the same pack version"
        if diff.redefined
        else "",
    ]
    return ", ".join(p for p in parts if p)


# --- a diff's changes in words (docs/cli.md, "parity diff") -------------------------------------------------

CAUSES = {  # each cause in a reviewer's words, not the JSON's code
    "own": "the lab's own profile changed",
    "bar": "competitors' data moved the bar",
    "rule": "the rule or its pack changed",
    "waiver": "a waiver changed",
    "as_of": "only the evaluation date moved (a recency bar, staleness, a waiver's expiry, a rule coming "
    "into force or ending)",
}


def status_text(v: Verdict) -> str:
    """A status as the tables show it; a waived one says what it covers and until when."""
    if v.waiver is None:
        return v.status
    return f"waived ({v.waiver.underlying}, until {v.waiver.expires.isoformat()})"


def _side(v: Verdict | None, report: Report) -> str:
    if v is None:
        return "no verdict"
    return f"{status_text(v)} ({finding(v, report.indicators.get(v.indicator))})"


def practice_text(practice: tuple[str, Any] | None) -> str:
    """A lab's recorded practice: its value, the state that stands for it, or nothing recorded."""
    if practice is None:
        return "not judged"
    state, value = practice
    return state_text(state) if value is None else show(value)


def headline(c: Change) -> str:
    """What kind of change this is, in words."""
    if c.waived_new:
        where = "by a waiver the base carried but did not apply" if c.waiver_on_base else "in this change"
        return f"new shortfall, waived {where}"
    if c.bar_fell:
        return "shortfall ended only because the bar fell"
    return {
        "new": "new shortfall",
        "resolved": "shortfall resolved",
        "changed": "changed",
        "added": "verdict added",
        "removed": "verdict removed",
    }[c.change]


def _bar_way(was: Verdict, now: Verdict) -> str:
    """Which way a bar went for a lab whose own practice did not move: "fell" (easier to meet), "rose", or
    "moved" when neither the gaps nor the statuses say. The gap is how far below the bar the value is, so
    with the value fixed a smaller gap is a lower bar."""
    if was.gap is not None and now.gap is not None and was.gap != now.gap:
        return "fell" if now.gap < was.gap else "rose"
    order = {status: i for i, status in enumerate(("below", "meets", "surpasses"))}
    if was.status in order and now.status in order and was.status != now.status:
        return "fell" if order[now.status] > order[was.status] else "rose"
    return "moved"


def _bar_move(c: Change) -> str:
    """What competitors' data did to a bar, in words, and who moved it."""
    was, now = c.was, c.now
    assert was is not None and now is not None
    who = f"{now.indicator}: " + "; ".join(
        f"{m.lab} {practice_text(m.before)} -> {practice_text(m.after)}" for m in c.moves
    )
    span = f"{bar_text(was.bar)} -> {bar_text(now.bar)}"
    if now.bar.value is None:
        return f"competitors' data moved the bar: it no longer binds ({span}; {who})"
    if was.bar.value is None:
        return f"competitors' data moved the bar: it binds now ({span}; {who})"
    way = _bar_way(was, now)
    did = {"fell": "competitors did less: ", "rose": "competitors did more: "}.get(way, "competitors' data ")
    return f"{did}the bar {way} from {bar_text(was.bar)} to {bar_text(now.bar)} ({who})"


def cause_text(c: Change, diff: Diff) -> str:
    """Why a verdict changed, in a reviewer's words, with what moved it."""
    was, now = c.was, c.now
    if c.cause == "rule":
        if was is None or now is None:
            return "the rule or the lab exists on one side only"
        pack = next(((b, h) for p, b, h in diff.packs if p == now.pack), None)
        if pack:
            return f"the rule or its pack changed (pack {now.pack} {pack[0] or '-'} -> {pack[1] or '-'})"
        if c.rule_redefined:
            return f"the rule changed while its pack {now.pack} kept its version"
        return CAUSES["rule"]
    assert was is not None and now is not None
    if c.cause == "own":
        before, after = value_text(was), value_text(now)
        what = (
            f"{now.indicator} {before} -> {after}" if before != after else f"the evidence for {now.indicator}"
        )
        return f"{CAUSES['own']} ({what})"
    if c.cause == "bar":
        return _bar_move(c)
    if c.cause == "waiver":
        if now.waiver is not None:
            w = now.waiver
            where = f"{w.location.file}:{w.location.line}"
            return f"a waiver now covers it ({where}, until {w.expires.isoformat()}: {w.reason})"
        return "its waiver no longer applies (expired, removed or beyond the horizon)"
    return CAUSES[c.cause]


def change_sentence(c: Change, diff: Diff) -> str:
    """One change in a sentence: what it is, the verdict before and after (value, bar, who sets it, gap),
    and why, in words. Every format of `diff` says a change this way."""
    flag = ""
    if c.rule_redefined:
        flag = " The pack's version did not change: bump it, so that the change of methodology shows."
    return (
        f"{c.lab} on {c.rule} ({c.title}): {headline(c)}; was {_side(c.was, diff.base.report)}; "
        f"now {_side(c.now, diff.head.report)}. Why: {cause_text(c, diff)}.{flag}"
    )


def redefined_sentence(r: Redefined) -> str:
    """A rule whose meaning changed under an unchanged pack version, and what to do about it."""
    return (
        f"rule {r.rule} ({r.title}) changed its definition, but pack {r.pack} kept version {r.version}: "
        "bump the pack's version, so that the change of methodology shows"
    )


def validation_counts(result: Validation) -> str:
    """What a valid load holds, counted in words: 3 lab profiles, 10 rules in 2 packs, 1 waiver."""
    return (
        f"{plural(result.labs, 'lab profile')}, {plural(result.rules, 'rule')} in "
        f"{plural(result.packs, 'pack')}, {plural(result.waivers, 'waiver')}"
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
        return f"{plural(-days, 'day')} overdue"
    if days == 0:
        return "due today (the last day within the bar)"
    return f"{plural(days, 'day')} left"


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


def holds_text(holds: Truth) -> str:
    """Whether a condition held, in words: holds, does not hold, or why it is unknown."""
    return HOLDS.get(holds, str(holds))


def _condition(n: ConditionNote, indent: str) -> list[str]:
    said = f"{n.condition}: {holds_text(n.holds)}"
    if n.derived_by is not None:
        of = n.derived_from[0].of if n.derived_from else "all"
        head = f"{said}; derived by rule {n.derived_by}, when {of} of:"
        return [head, *(indent + line for c in n.derived_from for line in _condition(c, indent))]
    value = "" if n.value is None else f"; value {show(n.value)}"
    state = f" ({state_text(n.state)})" if n.value is None else ""
    bar = ""
    if n.bar is not None:  # worded as a verdict's bar is (bar_text, setters_text): one voice
        setters = setters_text(n.bar)
        bar = f"; bar {bar_text(n.bar)}" + (f", set by {setters}" if setters else "")
    sources = "".join(f"; {e.url} ({e.date.isoformat()})" for e in n.evidence)
    return [f"{said}{state}{value}{bar}{sources}"]
