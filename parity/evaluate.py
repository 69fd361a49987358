"""Evaluation: a Dataset and an evaluation date in, a Report out.

For each lab, the bars and condition values are computed in Python (`bars`), turned into small integer
facts, and classified by the engine (`engine`), which also runs the chain of derive rules and commitments.
This module then attaches what a reader needs to check each verdict: values, who set the bar, gaps,
evidence, flags, waivers and scores.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from parity import bars, engine
from parity.bars import DISCLOSED, NOT_APPLICABLE, UNDISCLOSED, BarValue, Cell, Key, Ranking, Truth
from parity.errors import EngineError, UsageError
from parity.loader import Dataset, LoadedRule, coerce, derived_inputs, paused_gc
from parity.models import Bar, Condition, Evidence, Indicator, Peers

STATUSES = ("surpasses", "meets", "below", "undisclosed", "not_applicable", "no_bar", "waived")
SHORTFALLS = ("below", "undisclosed")
SETTER_EVIDENCE = 3  # a shortfall cites the evidence of this many of the labs that set its bar
_TRUTH_CODE = {False: 0, None: 1, True: 2}
_CODE_TRUTH: dict[int, Truth] = {0: False, 1: None, 2: True}


# Result records are named tuples: immutable, typed, and several times cheaper to create than frozen
# dataclasses, which matters at 200,000 verdicts.


class BarResult(NamedTuple):
    """The bar a verdict was judged against, and who sets it."""

    kind: str
    value: Any
    set_by: tuple[str, ...] = ()
    set_by_count: int = 0
    peers_disclosed: int = 0
    # For shortfalls only: the evidence of each listed setter, so an accusation cites both sides.
    evidence: tuple[tuple[str, tuple[Evidence, ...]], ...] = ()


class Location(NamedTuple):
    """Where a verdict's practice stands in its profile."""

    file: str
    line: int


class WaiverNote(NamedTuple):
    """The waiver that turned a shortfall into `waived`; `underlying` is the status it covers."""

    underlying: str
    reason: str
    expires: dt.date
    location: Location


class Verdict(NamedTuple):
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


@dataclass(frozen=True, slots=True)
class _Plan:
    """One rule's shared part of every verdict it gives (see `_Judge.plan`)."""

    rule_id: str
    name: str
    indicator: Indicator
    bar: Bar
    ranking: Ranking
    absolute: BarValue | None
    ranks: dict[Key, int]
    key: Callable[[Any], Key]
    cells: dict[str, Cell]
    applies_to: frozenset[str] | None
    area: str
    severity: str
    stale_before: dt.date | None


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
        self.plans = [self.plan(r, r.rule.indicator or "") for r in self.bar_rules]
        self._chain_plans: dict[str, _Plan] = {}
        self._operands: dict[int, Any] = {}
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
        if absolute is not None:  # only the count of disclosed peers depends on the lab
            a = absolute
            return BarValue(a.binds, a.value, a.key, a.set_by, a.set_by_count, ranking.peers_disclosed(lab))
        return ranking.bar(lab, bar)

    def _prepare(self, indicator: str, bar: Bar, peers: Peers | None) -> tuple[Ranking, BarValue | None]:
        ranking = self.ranking(indicator, peers)
        if bar.kind not in ("threshold", "within_days"):
            return ranking, None
        if bar.kind == "threshold":
            bar = bar.model_copy(update={"value": coerce(self.data.indicators[indicator], bar.value)[0]})
        return ranking, bars.absolute_bar(bar, self.keys[indicator], self.as_of)

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
        lines = self._lines(lab_id)
        for plan in self.plans:
            if plan.applies_to is None or lab_id in plan.applies_to:
                fact, finish = self._bar_fact(len(pending), lab_id, plan, lines)
                facts.append(fact)
                pending[fact.ref] = finish
        chain = [i for i, r in enumerate(self.chain) if r.rule.kind == "derive" or _applies(r, lab_id)]
        fire = _ChainFire(self, lab_id, pending, lines)
        statuses, derived = self.engine.run(lab_id, facts, chain, fire)
        self.derived[lab_id] = {
            name: _CODE_TRUTH[derived[i]] if i in derived else None
            for i, name in enumerate(self.derived_names)
        }
        expected = len(facts) + sum(1 for i in chain if self.chain[i].rule.kind == "commitment")
        if statuses.keys() != pending.keys() or len(statuses) != expected:
            missing = expected - len(statuses)
            raise EngineError(f"lab {lab_id!r}: {missing} verdict(s) never produced by the engine")
        return sorted(
            (self._waive(pending[ref](status)) for ref, status in statuses.items()), key=lambda v: v.rule
        )

    def _lines(self, lab_id: str) -> dict[str, Location]:
        """Where each practice of a lab stands, one Location shared by all its verdicts."""
        lab = self.data.labs[lab_id]
        return {
            name: Location(lab.file, lab.lines.get(name, lab.practices_line)) for name in self.data.indicators
        }

    def _bar_fact(
        self, ref: int, lab_id: str, plan: _Plan, lines: dict[str, Location]
    ) -> tuple[engine.VerdictFact, Callable[[str], Verdict]]:
        cell = plan.cells[lab_id]
        if plan.absolute is None:
            bv = plan.ranking.bar(lab_id, plan.bar)
        else:  # only the count of disclosed peers depends on the lab
            a = plan.absolute
            bv = BarValue(
                a.binds, a.value, a.key, a.set_by, a.set_by_count, plan.ranking.peers_disclosed(lab_id)
            )
        has_value = cell.state >= bars.UNEVIDENCED
        fact = engine.VerdictFact(
            ref,
            cell.state,
            bv.binds,
            plan.ranks[plan.key(cell.value)] if has_value else 0,
            plan.ranks[bv.key] if bv.key is not None else 0,
        )
        result = BarResult(plan.bar.kind, bv.value, bv.set_by, bv.set_by_count, bv.peers_disclosed)
        gap = bars.gap(plan.indicator, cell.value, bv.value) if has_value and bv.binds else None
        location = lines[plan.name]

        def finish(status: str) -> Verdict:
            return self._verdict(lab_id, plan, cell, status, result, gap, location)

        return fact, finish

    def _verdict(
        self,
        lab_id: str,
        plan: _Plan,
        cell: Cell,
        status: str,
        bar: BarResult,
        gap: int | float | None,
        location: Location,
    ) -> Verdict:
        if status in SHORTFALLS and bar.set_by:
            cells = plan.cells
            setters = tuple([(peer, cells[peer].evidence) for peer in bar.set_by[:SETTER_EVIDENCE]])
            bar = BarResult(bar.kind, bar.value, bar.set_by, bar.set_by_count, bar.peers_disclosed, setters)
        return Verdict(
            lab_id,
            plan.rule_id,
            plan.area,
            plan.severity,
            status,
            "derived" if plan.indicator.derived and cell.state == DISCLOSED else bars.STATE_NAMES[cell.state],
            cell.value,
            bar,
            gap if status in ("surpasses", "meets", "below") else None,
            self._flags(plan.stale_before, cell),
            cell.evidence,
            location,
        )

    @staticmethod
    def _flags(stale_before: dt.date | None, cell: Cell) -> tuple[str, ...]:
        if cell.state == bars.UNEVIDENCED:
            return ("unevidenced",)
        if stale_before and cell.state == DISCLOSED and cell.newest and cell.newest < stale_before:
            return ("stale",)
        return ()

    def operand(self, cond: Condition) -> Any:
        """A condition's operand in its indicator's own terms (dates parsed), computed once."""
        key = id(cond)
        if key not in self._operands:
            raw = cond.operand
            plain = cond.op in ("meets", "disclosed")
            self._operands[key] = raw if plain else coerce(self.data.indicators[cond.indicator], raw)[0]
        return self._operands[key]

    def chain_plan(self, loaded: LoadedRule, name: str) -> _Plan:
        """The plan of a commitment (on its required indicator), computed once."""
        found = self._chain_plans.get(loaded.rule.id)
        if found is None:
            found = self._chain_plans[loaded.rule.id] = self.plan(loaded, name)
        return found

    def plan(self, loaded: LoadedRule, name: str) -> _Plan:
        """What every verdict of a rule on one indicator shares, computed once."""
        rule = loaded.rule
        indicator = self.data.indicators[name]
        max_age = rule.max_age_days or indicator.max_age_days
        bar = rule.bar or Bar(kind="best")
        ranking, absolute = (
            self._prepare(name, bar, rule.peers) if rule.bar else (self.ranking(name, None), None)
        )
        return _Plan(
            rule_id=rule.id,
            name=name,
            indicator=indicator,
            bar=bar,
            ranking=ranking,
            absolute=absolute,
            ranks=self.ranks.get(name, {}),
            key=self.keys[name],
            cells=self.cells[name],
            applies_to=frozenset(rule.applies_to) if rule.applies_to is not None else None,
            area=rule.area or indicator.area,
            severity=rule.severity or "info",
            stale_before=self.as_of - dt.timedelta(days=max_age) if max_age else None,
        )

    def _waive(self, verdict: Verdict) -> Verdict:
        found = self.waivers.get((verdict.rule, verdict.lab))
        if found is None or verdict.status not in SHORTFALLS:
            return verdict
        waiver = found.waiver
        if waiver.expires < self.as_of:
            return verdict._replace(flags=tuple(sorted((*verdict.flags, "waiver_expired"))))
        self.used_waivers.add((waiver.rule, waiver.lab))
        note = WaiverNote(verdict.status, waiver.reason, waiver.expires, Location(found.file, found.line))
        return verdict._replace(status="waived", waiver=note)

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

    def __init__(
        self,
        judge: _Judge,
        lab_id: str,
        pending: dict[int, Callable[[str], Verdict]],
        lines: dict[str, Location],
    ) -> None:
        self.judge, self.lab_id, self.pending, self.lines = judge, lab_id, pending, lines
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
        name, op = cond.indicator, cond.op
        cell = self.cell(name, derived)
        key = self.judge.keys[name]
        # The bar of a `meets` condition is reported even where the lab's own state decides the condition.
        bv = (
            self.judge.bar_value(self.lab_id, name, cond.operand, None, f"meets#{id(cond)}")
            if op == "meets"
            else None
        )

        def meets() -> Truth:
            if bv is None or not bv.binds or cell.state == UNDISCLOSED or bv.key is None:
                return None
            return bars.compare(key(cell.value), bv.key) != "below"

        return bars.condition(op, self.judge.operand(cond), cell, key, meets), bv

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
            operand = self.judge.operand(require)
            result = BarResult("require", operand)
            gap_to = operand if require.op == "at_least" else None
        has_value = cell.state >= bars.UNEVIDENCED
        gap = bars.gap(indicator, cell.value, gap_to) if has_value and gap_to is not None else None
        judge, lab_id = self.judge, self.lab_id

        plan = judge.chain_plan(loaded, name)
        location = self.lines[name]

        def finish(status: str) -> Verdict:
            return judge._verdict(lab_id, plan, cell, status, result, gap, location)

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
