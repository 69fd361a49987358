"""Evaluation: a Dataset and an evaluation date in, a Report out.

For each lab, the bars and condition values are computed in Python (`bars`), turned into small integer
facts, and classified by the engine (`engine`), which also runs the chain of derive rules and commitments.
This module then attaches what a reader needs to check each verdict: values, who set the bar, gaps,
evidence, flags, waivers and scores.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from parity import bars, engine
from parity.bars import DISCLOSED, NOT_APPLICABLE, UNDISCLOSED, BarValue, Cell, Key, Ranking, Truth
from parity.errors import EngineError, UsageError
from parity.loader import Dataset, LoadedRule, coerce, derived_inputs, paused_gc
from parity.models import Bar, Condition, Evidence, Indicator, Peers

STATUSES = ("surpasses", "meets", "below", "undisclosed", "not_applicable", "no_bar", "waived")
SHORTFALLS = ("below", "undisclosed")
_TRUTH_CODE = {False: 0, None: 1, True: 2}
_CODE_TRUTH: dict[int, Truth] = {0: False, 1: None, 2: True}


@dataclass(frozen=True, slots=True)
class BarResult:
    """The bar a verdict was judged against, and who sets it."""

    kind: str
    value: Any
    set_by: tuple[str, ...] = ()
    set_by_count: int = 0
    peers_disclosed: int = 0
    # For shortfalls only: the evidence of each listed setter, so an accusation cites both sides.
    evidence: tuple[tuple[str, tuple[Evidence, ...]], ...] = ()


@dataclass(frozen=True, slots=True)
class Location:
    """Where a verdict's practice stands in its profile."""

    file: str
    line: int


@dataclass(frozen=True, slots=True)
class WaiverNote:
    """The waiver that turned a shortfall into `waived`; `underlying` is the status it covers."""

    underlying: str
    reason: str
    expires: dt.date
    location: Location


@dataclass(frozen=True, slots=True)
class Verdict:
    """One (lab, rule) pair's status, with everything needed to check it by hand."""

    lab: str
    rule: str
    area: str
    severity: str
    status: str
    state: str
    value: Any
    bar: BarResult
    gap: int | float | None
    flags: tuple[str, ...]
    evidence: tuple[Evidence, ...]
    location: Location
    waiver: WaiverNote | None = None


@dataclass(frozen=True)
class LabSummary:
    """A lab's score, overall and per area, and its verdict counts."""

    name: str
    score: float | None
    areas: dict[str, float | None]
    counts: dict[str, int]


@dataclass(frozen=True)
class WaiverIssue:
    """A waiver that did not apply: expired, or covering no shortfall."""

    rule: str
    lab: str
    expires: dt.date
    location: Location
    problem: str


@dataclass(frozen=True)
class Report:
    """Everything `evaluate` found; `render` turns it into text."""

    as_of: dt.date
    packs: list[tuple[str, str]]
    verdicts: list[Verdict]
    labs: dict[str, LabSummary]
    derived: dict[str, dict[str, bool | None]]
    waiver_issues: list[WaiverIssue] = field(default_factory=list)


def evaluate(
    data: Dataset,
    as_of: dt.date | None = None,
    labs: Iterable[str] | None = None,
    rules: Iterable[str] | None = None,
) -> Report:
    """Judge every lab against every rule that applies to it.

    `labs` and `rules` narrow the verdicts reported (and the scores computed from them); bars always see
    every lab. `as_of` (default: today, UTC) is the one date all time-dependent logic uses.
    """
    as_of = as_of or dt.datetime.now(dt.UTC).date()
    lab_ids = _select(labs, data.labs, "lab")
    rule_ids = set(_select(rules, data.rules, "rule"))
    with paused_gc():
        judge = _Judge(data, as_of)
        verdicts = [v for lab in lab_ids for v in judge.lab(lab) if v.rule in rule_ids]
    derived = {lab: judge.derived[lab] for lab in lab_ids}
    return Report(
        as_of=as_of,
        packs=data.packs,
        verdicts=verdicts,
        labs=_summaries({lab: data.labs[lab].profile.name for lab in lab_ids}, verdicts),
        derived=derived,
        waiver_issues=judge.waiver_issues(set(lab_ids), rule_ids),
    )


def _select(wanted: Iterable[str] | None, known: dict[str, Any], what: str) -> list[str]:
    if wanted is None:
        return list(known)
    chosen = sorted(set(wanted))
    unknown = [x for x in chosen if x not in known]
    if unknown:
        raise UsageError(f"unknown {what} {', '.join(map(repr, unknown))}")
    return chosen


class _Judge:
    """Per-dataset state: cells, rankings and ranks, computed once and shared by every lab."""

    def __init__(self, data: Dataset, as_of: dt.date) -> None:
        self.data, self.as_of = data, as_of
        self.cells = {
            name: {lab_id: bars.cell_of(lab.profile.practices.get(name)) for lab_id, lab in data.labs.items()}
            for name in data.indicators
        }
        self.keys = {name: bars.key_function(ind) for name, ind in data.indicators.items()}
        self._rankings: dict[tuple[str, str], Ranking] = {}
        self._prepared: dict[tuple[str, str], tuple[Ranking, BarValue | None]] = {}
        self.bar_rules = [r for r in data.rules.values() if r.rule.kind == "bar"]
        self.chain = [r for r in data.rules.values() if r.rule.kind != "bar"]
        self.derived_names = sorted(n for n, ind in data.indicators.items() if ind.derived)
        number = {name: i for i, name in enumerate(self.derived_names)}
        self.engine = engine.compiled(
            [
                engine.ChainRule(
                    tuple(number[x] for x in derived_inputs(r.rule, data.indicators)),
                    number[r.rule.derive] if r.rule.derive else None,
                )
                for r in self.chain
            ]
        )
        self.ranks = self._rank_tables()
        self.waivers = {(w.waiver.rule, w.waiver.lab): w for w in data.waivers}
        self.used_waivers: set[tuple[str, str]] = set()
        self.derived: dict[str, dict[str, bool | None]] = {}

    def ranking(self, indicator: str, peers: Peers | None) -> Ranking:
        key = (indicator, peers.model_dump_json() if peers else "")
        found = self._rankings.get(key)
        if found is None:
            members = bars.select_peers(self.data.labs, peers)
            found = self._rankings[key] = Ranking(members, self.cells[indicator], self.keys[indicator])
        return found

    def bar_value(self, lab: str, indicator: str, bar: Bar, peers: Peers | None, rule: str = "") -> BarValue:
        """The bar `lab` is judged against; `rule` (when given) keys the per-rule caches."""
        prepared = self._prepared.get((rule, indicator)) if rule else None
        if prepared is None:
            prepared = self._prepare(indicator, bar, peers)
            if rule:
                self._prepared[(rule, indicator)] = prepared
        ranking, absolute = prepared
        if absolute is not None:
            return dataclasses.replace(absolute, peers_disclosed=ranking.peers_disclosed(lab))
        return ranking.bar(lab, bar)

    def _prepare(self, indicator: str, bar: Bar, peers: Peers | None) -> tuple[Ranking, BarValue | None]:
        ranking = self.ranking(indicator, peers)
        if bar.kind not in ("threshold", "within_days"):
            return ranking, None
        if bar.kind == "threshold":
            bar = bar.model_copy(update={"value": coerce(self.data.indicators[indicator], bar.value)[0]})
        return ranking, bars.absolute_bar(bar, self.keys[indicator], self.as_of, 0)

    def _rank_tables(self) -> dict[str, dict[Key, int]]:
        """Dense integer ranks of every value and absolute bar, per indicator, for the engine's facts."""
        keys: dict[str, set[Key]] = {name: set() for name in self.data.indicators}
        for name, cells in self.cells.items():
            key = self.keys[name]
            keys[name].update(key(c.value) for c in cells.values() if c.state >= bars.UNEVIDENCED)
        for loaded in self.bar_rules:
            rule = loaded.rule
            assert rule.indicator and rule.bar
            if rule.bar.kind in ("threshold", "within_days"):
                keys[rule.indicator].add(self.bar_value("", rule.indicator, rule.bar, None).key or 0)
        return {name: {k: i for i, k in enumerate(sorted(found))} for name, found in keys.items()}

    def lab(self, lab_id: str) -> list[Verdict]:
        """Every verdict of one lab, sorted by rule id."""
        pending: dict[int, Callable[[str], Verdict]] = {}
        facts = []
        for loaded in self.bar_rules:
            if _applies(loaded, lab_id):
                fact, finish = self._bar_fact(len(pending), lab_id, loaded)
                facts.append(fact)
                pending[fact.ref] = finish
        chain = [i for i, r in enumerate(self.chain) if r.rule.kind == "derive" or _applies(r, lab_id)]
        fire = _ChainFire(self, lab_id, pending)
        statuses, derived = self.engine.run(lab_id, facts, chain, fire)
        self.derived[lab_id] = {
            name: _CODE_TRUTH[derived[i]] if i in derived else None
            for i, name in enumerate(self.derived_names)
        }
        if statuses.keys() != pending.keys():
            raise EngineError(f"lab {lab_id!r}: {len(pending) - len(statuses)} verdict(s) never produced")
        return sorted(
            (self._waive(pending[ref](status)) for ref, status in statuses.items()), key=lambda v: v.rule
        )

    def _bar_fact(
        self, ref: int, lab_id: str, loaded: LoadedRule
    ) -> tuple[engine.VerdictFact, Callable[[str], Verdict]]:
        rule = loaded.rule
        assert rule.indicator and rule.bar
        name, bar = rule.indicator, rule.bar
        cell = self.cells[name][lab_id]
        bv = self.bar_value(lab_id, name, bar, rule.peers, rule.id)
        ranks = self.ranks[name]
        has_value = cell.state >= bars.UNEVIDENCED
        fact = engine.VerdictFact(
            ref,
            cell.state,
            bv.binds,
            ranks[self.keys[name](cell.value)] if has_value else 0,
            ranks[bv.key] if bv.key is not None else 0,
        )
        result = BarResult(bar.kind, bv.value, bv.set_by, bv.set_by_count, bv.peers_disclosed)
        indicator = self.data.indicators[name]
        gap = bars.gap(indicator, cell.value, bv.value) if has_value and bv.binds else None

        def finish(status: str) -> Verdict:
            return self._verdict(lab_id, loaded, indicator, name, cell, status, result, gap)

        return fact, finish

    def _verdict(
        self,
        lab_id: str,
        loaded: LoadedRule,
        indicator: Indicator,
        name: str,
        cell: Cell,
        status: str,
        bar: BarResult,
        gap: int | float | None,
    ) -> Verdict:
        rule = loaded.rule
        lab = self.data.labs[lab_id]
        flags = self._flags(rule.max_age_days or indicator.max_age_days, cell)
        if status in SHORTFALLS and bar.set_by:
            cells = self.cells[name]
            bar = dataclasses.replace(
                bar, evidence=tuple((peer, cells[peer].evidence) for peer in bar.set_by)
            )
        return Verdict(
            lab=lab_id,
            rule=rule.id,
            area=rule.area or indicator.area,
            severity=rule.severity or "info",
            status=status,
            state="derived"
            if indicator.derived and cell.state == DISCLOSED
            else bars.STATE_NAMES[cell.state],
            value=cell.value,
            bar=bar,
            gap=gap if status in ("surpasses", "meets", "below") else None,
            flags=flags,
            evidence=cell.evidence,
            location=Location(lab.file, lab.lines.get(name, lab.practices_line)),
        )

    def _flags(self, max_age: int | None, cell: Cell) -> tuple[str, ...]:
        flags = []
        if cell.state == bars.UNEVIDENCED:
            flags.append("unevidenced")
        newest = bars.newest_evidence(cell.practice)
        if (
            max_age
            and cell.state == DISCLOSED
            and newest
            and newest < self.as_of - dt.timedelta(days=max_age)
        ):
            flags.append("stale")
        return tuple(flags)

    def _waive(self, verdict: Verdict) -> Verdict:
        found = self.waivers.get((verdict.rule, verdict.lab))
        if found is None or verdict.status not in SHORTFALLS:
            return verdict
        waiver = found.waiver
        if waiver.expires < self.as_of:
            return dataclasses.replace(verdict, flags=tuple(sorted((*verdict.flags, "waiver_expired"))))
        self.used_waivers.add((waiver.rule, waiver.lab))
        note = WaiverNote(verdict.status, waiver.reason, waiver.expires, Location(found.file, found.line))
        return dataclasses.replace(verdict, status="waived", waiver=note)

    def waiver_issues(self, labs: set[str], rules: set[str]) -> list[WaiverIssue]:
        issues = []
        for key, found in sorted(self.waivers.items(), key=lambda item: (item[1].file, item[1].line)):
            waiver = found.waiver
            if waiver.lab not in labs or waiver.rule not in rules:
                continue
            if waiver.expires < self.as_of:
                problem = f"expired on {waiver.expires.isoformat()}"
            elif key not in self.used_waivers:
                problem = "matches no shortfall"
            else:
                continue
            issues.append(
                WaiverIssue(
                    waiver.rule, waiver.lab, waiver.expires, Location(found.file, found.line), problem
                )
            )
        return issues


def _applies(loaded: LoadedRule, lab_id: str) -> bool:
    applies_to = loaded.rule.applies_to
    return applies_to is None or lab_id in applies_to


class _ChainFire:
    """The action of a commitment or derive rule for one lab: three-valued logic over its conditions."""

    def __init__(self, judge: _Judge, lab_id: str, pending: dict[int, Callable[[str], Verdict]]) -> None:
        self.judge, self.lab_id, self.pending = judge, lab_id, pending
        self.data = judge.data

    def __call__(self, i: int, inputs: dict[int, int]) -> int | engine.VerdictFact:
        loaded = self.judge.chain[i]
        rule = loaded.rule
        names = self.judge.derived_names
        derived = {names[x]: bars.derived_cell(_CODE_TRUTH[code]) for x, code in inputs.items()}
        when = (
            bars.fold(rule.when.mode, (self.truth(c, derived)[0] for c in rule.when.conditions))
            if rule.when
            else True
        )
        if rule.require is None:
            return _TRUTH_CODE[when]
        return self.commitment(loaded, when, rule.require, derived)

    def cell(self, name: str, derived: dict[str, Cell]) -> Cell:
        return derived.get(name) or self.judge.cells[name][self.lab_id]

    def truth(self, cond: Condition, derived: dict[str, Cell]) -> tuple[Truth, BarValue | None]:
        name = cond.indicator
        cell = self.cell(name, derived)
        key = self.judge.keys[name]
        indicator = self.data.indicators[name]
        # The bar of a `meets` condition is reported even where the lab's own state decides the condition.
        bv = self.judge.bar_value(self.lab_id, name, cond.operand, None) if cond.op == "meets" else None

        def meets() -> Truth:
            if bv is None or not bv.binds or cell.state == UNDISCLOSED or bv.key is None:
                return None
            return bars.compare(key(cell.value), bv.key) != "below"

        operand = cond.operand if cond.op in ("meets", "disclosed") else coerce(indicator, cond.operand)[0]
        truth = bars.condition(cond.model_copy(update={cond.op: operand}), cell, key, meets)
        return truth, bv

    def commitment(
        self, loaded: LoadedRule, when: Truth, require: Condition, derived: dict[str, Cell]
    ) -> engine.VerdictFact:
        name = require.indicator
        cell = self.cell(name, derived)
        held, bv = self.truth(require, derived)
        indicator = self.data.indicators[name]
        ref = len(self.pending)
        # SPEC.md's order: the `when` decides first, then the state of the required practice.
        if when is False:
            fact = engine.VerdictFact(ref, NOT_APPLICABLE, True)
        elif when is None:
            fact = engine.VerdictFact(ref, UNDISCLOSED, True)
        elif cell.state in (NOT_APPLICABLE, UNDISCLOSED):
            fact = engine.VerdictFact(ref, cell.state, True)
        else:
            fact = engine.VerdictFact(ref, cell.state, held is not None, int(bool(held)), 1)
        if bv is not None:
            result = BarResult(require.operand.kind, bv.value, bv.set_by, bv.set_by_count, bv.peers_disclosed)
            gap_to = bv.value if bv.binds else None
        else:
            operand = require.operand if require.op == "disclosed" else coerce(indicator, require.operand)[0]
            result = BarResult("require", operand)
            gap_to = operand if require.op == "at_least" else None
        has_value = cell.state >= bars.UNEVIDENCED
        gap = bars.gap(indicator, cell.value, gap_to) if has_value and gap_to is not None else None
        judge, lab_id = self.judge, self.lab_id

        def finish(status: str) -> Verdict:
            return judge._verdict(lab_id, loaded, indicator, name, cell, status, result, gap)

        self.pending[ref] = finish
        return fact


def _summaries(names: dict[str, str], verdicts: list[Verdict]) -> dict[str, LabSummary]:
    lab_ids = list(names)
    counts: dict[str, dict[str, int]] = {lab: dict.fromkeys(STATUSES, 0) for lab in lab_ids}
    areas: dict[str, dict[str, list[int]]] = {lab: {} for lab in lab_ids}
    for v in verdicts:
        counts[v.lab][v.status] += 1
        if v.status in ("meets", "surpasses", *SHORTFALLS):
            tally = areas[v.lab].setdefault(v.area, [0, 0])
            tally[0] += v.status in ("meets", "surpasses")
            tally[1] += 1
        else:
            areas[v.lab].setdefault(v.area, [0, 0])
    return {
        lab: LabSummary(
            name=names[lab],
            score=_score(sum(t[0] for t in areas[lab].values()), sum(t[1] for t in areas[lab].values())),
            areas={area: _score(*t) for area, t in sorted(areas[lab].items())},
            counts=counts[lab],
        )
        for lab in lab_ids
    }


def _score(good: int, total: int) -> float | None:
    return round(good / total, 4) if total else None
