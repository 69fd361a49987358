"""The one builder of verdicts: a bar rule's and a commitment's verdict from its status, and a verdict made
again against a bar that moved. What a verdict carries for a reader to check it by hand is decided here
only: the bar and who sets it, the gap, the setters' evidence cited by a shortfall, and the flags.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from parity.judge.bars import BarValue, Cell, gap
from parity.judge.tables import Plan
from parity.models import Bar, Condition, Evidence
from parity.report import BarResult, Location, SourceNote, Verdict
from parity.report.records import SOURCE_FLAGS
from parity.vocabulary import COMPARED, DISCLOSED, STATE_NAMES, UNEVIDENCED, Status, has_value, is_shortfall

SETTER_EVIDENCE = 3  # a shortfall cites the evidence of this many of the labs that set its bar

Gap = int | float | None


def bar_result(kind: str, bv: BarValue) -> BarResult:
    """The bar a verdict reports: its kind, value, setters, disclosed peers and (for `all`) blockers."""
    return BarResult(
        kind,
        bv.value,
        bv.set_by,
        bv.set_by_count,
        bv.peers_disclosed,
        bv.blocked_by,
        bv.blocked_by_count,
        bv.blocked_states,
    )


def gap_to(plan: Plan, cell: Cell, bar: object) -> Gap:
    """How far the lab's value is below `bar` (None without a value or a bar)."""
    if cell.state < UNEVIDENCED or bar is None:
        return None
    return gap(plan.indicator, cell.value, bar)


def bar_gap(plan: Plan, cell: Cell, bv: BarValue) -> Gap:
    """How far a bar rule's value is below the bar it was judged against; None where it does not bind."""
    return gap_to(plan, cell, bv.value if bv.binds else None)


def cited(plan: Plan, status: str, bar: BarResult) -> BarResult:
    """A shortfall's bar with the evidence of the labs that set it, so an accusation cites both sides.

    One object for every verdict of the rule that reports an equal bar citing the same evidence: most of
    a rule's labs see one bar, and a 1,000-lab check holds 187,000 verdicts. The evidence is keyed by
    identity (the pooled bar keeps it alive, so an identity is never reused while it is a key): a plan kept
    across revisions whose setters' evidence changed gets a new bar."""
    if is_shortfall(status) and bar.set_by:
        cells = plan.setter_cells or plan.cells
        setters = tuple([(peer, cells[peer].evidence) for peer in bar.set_by[:SETTER_EVIDENCE]])
        key = (bar, tuple([id(evidence) for _, evidence in setters]))
        found = plan.pool.get(key)
        if found is None:
            found = plan.pool[key] = bar._replace(evidence=setters)
        return found
    return plan.pool.setdefault(bar, bar)


def flags(stale_before: dt.date | None, cell: Cell) -> tuple[str, ...]:
    """`unevidenced` for a claim without evidence; `stale` when the newest evidence is older than allowed."""
    if cell.state == UNEVIDENCED:
        return ("unevidenced",)
    if stale_before and cell.newest and cell.newest < stale_before:  # evidence exists and is old
        return ("stale",)
    return ()


def source_flags(
    verdicts: list[Verdict],
    notes: Mapping[str, SourceNote],
    rule_sources: Mapping[str, tuple[Evidence, ...]] | None = None,
) -> tuple[list[Verdict], dict[str, SourceNote]]:
    """The verdicts flagged `source_drifted` or `source_gone` where evidence they rest on (their own, a
    shortfall's setters', their rule's `source`) no longer stands as the source record says; and the
    notes that mark any of that evidence (or of the `source` of a rule in `rule_sources`), keeping only the
    quotes cited, which the report carries. A pass over finished verdicts: the record is read, never the
    network (docs/sources.md)."""
    if not notes:
        return verdicts, {}
    rule_sources = rule_sources or {}
    used: dict[str, set[str | None]] = {}

    def marked(items: Iterable[Evidence]) -> set[str]:
        found = set()
        for e in items:
            note = notes.get(e.url)
            if note is not None and note.marks(e):
                found.add(SOURCE_FLAGS[note.status])
                used.setdefault(e.url, set()).add(e.quote)
        return found

    out = []
    for v in verdicts:
        found = marked(_cited(v)) | marked(rule_sources.get(v.rule, ()))
        out.append(v._replace(flags=tuple(sorted(found.union(v.flags)))) if found else v)
    for items in rule_sources.values():
        marked(items)
    kept = {
        url: notes[url]._replace(missing=tuple(m for m in notes[url].missing if m[0] in quotes))
        for url, quotes in sorted(used.items())
    }
    return out, kept


def _cited(v: Verdict) -> list[Evidence]:
    return [*v.evidence, *(e for _, items in v.bar.evidence for e in items)]


def verdict(
    lab: str,
    plan: Plan,
    cell: Cell,
    status: Status,
    bar: BarResult,
    gap: Gap,
    location: Location,
    extra: tuple[str, ...] = (),
) -> Verdict:
    """A verdict of `status` on the lab's `cell`, judged against `bar` (a gap only where it was compared)."""
    derived = plan.indicator.derived and cell.state == DISCLOSED
    return Verdict(
        lab,
        plan.rule_id,
        plan.title,
        plan.pack,
        plan.name,
        plan.area,
        plan.severity,
        status,
        "derived" if derived else STATE_NAMES[cell.state],
        cell.value,
        cited(plan, status, bar),
        gap if status in COMPARED else None,
        flags(plan.stale_before, cell) + extra,
        cell.evidence,
        location,
    )


def bar_verdict(lab: str, plan: Plan, bv: BarValue, status: Status, location: Location) -> Verdict:
    """The verdict of one (lab, bar rule) pair, judged against `bv`, of the status the engine gave it."""
    cell = plan.cells[lab]
    extra = (plan.ratchet_flag,) if plan.ratchet_flag else ()
    if plan.present is not None and plan.present.bar(lab, plan.bar).value != bv.value:
        extra = ("held",)  # a ratchet holds this lab's bar above what its peers do now
    if plan.bar.kind == "within_days" and has_value(cell.state):
        due = cell.value + dt.timedelta(days=plan.bar.value)  # the last day within the bar's window
        gap = bar_gap(plan, cell, bv)
        made = verdict(lab, plan, cell, status, bar_result(plan.bar.kind, bv), gap, location, extra)
        return made._replace(due=due)
    return verdict(
        lab, plan, cell, status, bar_result(plan.bar.kind, bv), bar_gap(plan, cell, bv), location, extra
    )


def with_bar(v: Verdict, bar: BarResult, gap: Gap) -> Verdict:
    """The verdict with another bar and gap, all else as it was (built field by field: `_replace` costs
    more than the rest of a history's revision when the date moves every recency bar)."""
    return Verdict(
        v.lab,
        v.rule,
        v.title,
        v.pack,
        v.indicator,
        v.area,
        v.severity,
        v.status,
        v.state,
        v.value,
        bar,
        gap,
        v.flags,
        v.evidence,
        v.location,
        v.waiver,
        v.due,
    )


def rebar(v: Verdict, plan: Plan, cell: Cell, bv: BarValue) -> Verdict:
    """The verdict `bar_verdict` makes, of the same status, when only the bar moved: the cell is as it was
    (so are its flags) and the classification reads the same; the bar, its setters' evidence and the gap
    follow the new bar. (A ratchet's `held` needs a past, which incremental evaluation never has.)"""
    bar = cited(plan, v.status, bar_result(plan.bar.kind, bv))
    return with_bar(v, bar, bar_gap(plan, cell, bv) if v.status in COMPARED else None)


def redate(v: Verdict, plan: Plan, cell: Cell) -> Verdict:
    """The verdict `bar_verdict` makes when only an absolute bar's value moved with the date: nobody sets
    an absolute bar and it always binds, so its value and the gap are all that move."""
    absolute = plan.absolute
    assert absolute is not None
    gap = bar_gap(plan, cell, absolute) if v.status in COMPARED else None
    return with_bar(v, v.bar._replace(value=absolute.value), gap)


def reflag(v: Verdict, plan: Plan, cell: Cell) -> Verdict:
    """The verdict with its staleness read again at a new date (incremental evaluation has no ratchet
    flags to keep)."""
    return v._replace(flags=flags(plan.stale_before, cell))


def commitment_verdict(
    lab: str,
    plan: Plan,
    cell: Cell,
    status: Status,
    require: Condition,
    operand: Any,
    bv: BarValue | None,
    location: Location,
) -> Verdict:
    """A commitment's verdict, of the status its conditions decided (`conditions.commitment_status`). Its
    bar is the `meets` bar the requirement reads (`bv`, for a `meets` requirement), or the required value
    (`operand`, in the indicator's terms); the gap is measured to a binding `meets` bar or an `at_least`
    value."""
    if bv is not None and isinstance(require.operand, Bar):
        bar = bar_result(require.operand.kind, bv)
        target = bv.value if bv.binds else None
    else:
        bar = BarResult("require", operand)
        target = operand if require.op == "at_least" else None
    return verdict(lab, plan, cell, status, bar, gap_to(plan, cell, target), location)
