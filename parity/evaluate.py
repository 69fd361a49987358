"""Evaluation: a Dataset and an evaluation date in, a Report out. Orchestration only.

For each lab, the bars come from `bars` and the conditions from `conditions`; they are turned into small
integer facts and classified by the engine (`engine`), which also runs the chain of derive rules and
commitments. Verdicts then get what a reader needs to check them (values, setters, gaps, evidence, flags);
`waivers` and `scores` are passes over the finished verdicts. Nothing is kept between calls.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from parity import bars, engine, scores, waivers
from parity.bars import DISCLOSED, NOT_APPLICABLE, UNASSESSED, UNDISCLOSED, BarValue, Cell, Key, Ranking
from parity.catalog import rule_target
from parity.conditions import commitment_status, condition, fold
from parity.dataset import Dataset, LoadedRule
from parity.errors import EngineError, UsageError
from parity.gcpause import paused_gc
from parity.models import Bar, Condition, Indicator, Peers, Rule, Severity, suggest
from parity.ratchet import Held
from parity.results import (
    BarResult,
    IndicatorInfo,
    Location,
    Report,
    RuleInfo,
    Status,
    Truth,
    Verdict,
)
from parity.vocabulary import COMPARED, STATUSES, today, window_start

SETTER_EVIDENCE = 3  # a shortfall cites the evidence of this many of the labs that set its bar
TRUTH_CODE: dict[Truth, int] = {False: 0, "undisclosed": 1, True: 2, "unassessed": 3}
CODE_TRUTH: dict[int, Truth] = {code: truth for truth, code in TRUTH_CODE.items()}
# How a commitment's status is put to the engine's classifier: (state code, bar binds, value, bar).
_STATUS_FACT: dict[str, tuple[int, bool, int, int]] = {
    "not_applicable": (NOT_APPLICABLE, True, 0, 0),
    "unassessed": (UNASSESSED, True, 0, 0),
    "undisclosed": (UNDISCLOSED, True, 0, 0),
    "no_bar": (bars.UNEVIDENCED, False, 0, 0),
    "meets": (bars.UNEVIDENCED, True, 1, 1),
    "below": (bars.UNEVIDENCED, True, 0, 1),
}


def evaluate(
    data: Dataset,
    as_of: dt.date | None = None,
    labs: Iterable[str] | None = None,
    rules: Iterable[str] | None = None,
    packs: Iterable[str] | None = None,
    waiver_horizon: int = waivers.DEFAULT_HORIZON,
    held: Held | None = None,
) -> Report:
    """Judge every lab against every rule that applies to it.

    `labs`, `rules` and `packs` narrow the verdicts reported (and the scores and coverage computed from
    them); bars always see every lab. `as_of` (default: today, UTC) is the one date all time-dependent
    logic uses. `held`: what peers disclosed in the past, for ratcheted bars (`parity.ratchet`); without
    it (or with an incomplete one) a ratcheted bar ranks present values and its verdicts are flagged
    `no_history`.
    """
    as_of = as_of or today()
    lab_ids, rule_ids = scope(data, labs, rules, packs)
    with paused_gc():
        judge = _Judge(data, as_of, rule_ids, held)
        with engine.compiled(judge.chain_rules()) as compiled:
            results = [judge.lab(lab, compiled) for lab in lab_ids]
    verdicts = [v for lab_verdicts, _ in results for v in lab_verdicts]
    verdicts, issues = waivers.apply(verdicts, data.waivers, as_of, set(lab_ids), rule_ids, waiver_horizon)
    rules_info = _rules_catalog(data, rule_ids)
    return Report(
        as_of=as_of,
        packs=data.packs,
        verdicts=verdicts,
        labs=scores.summaries(data, lab_ids, verdicts, judge.reads),
        derived={lab: derived for lab, (_, derived) in zip(lab_ids, results, strict=True)},
        waiver_issues=issues,
        rules=rules_info,
        indicators=_indicators_catalog(data, rules_info),
    )


def scope(
    data: Dataset, labs: Iterable[str] | None, rules: Iterable[str] | None, packs: Iterable[str] | None
) -> tuple[list[str], set[str]]:
    """The labs (in order) and the rules whose verdicts are reported; raises UsageError for unknown ids."""
    lab_ids = select(labs, data.labs, "lab")
    rule_ids = set(select(rules, data.rules, "rule"))
    if packs is not None:
        chosen = set(select(packs, dict(data.packs), "pack"))
        rule_ids &= {r for r, loaded in data.rules.items() if loaded.pack in chosen}
    return lab_ids, rule_ids


def _rules_catalog(data: Dataset, rule_ids: set[str]) -> dict[str, RuleInfo]:
    """What a reader of the report needs of each rule in scope, so that a saved report stands alone."""
    out = {}
    for rule_id in sorted(rule_ids):
        loaded = data.rules[rule_id]
        rule = loaded.rule
        name = loaded.subject
        indicator = data.indicators.get(name) if name else None
        out[rule_id] = RuleInfo(
            title=rule.title or (indicator.title if indicator else rule_target(rule)),
            pack=loaded.pack,
            kind=rule.kind,
            area=loaded.area(data.indicators),
            severity=rule.severity,
            indicator=name,
            checks=rule_target(rule),
            rationale=" ".join(rule.rationale.split()) if rule.rationale else None,
            location=Location(loaded.file, loaded.line),
            digest=_digest(rule, loaded),
        )
    return out


def _digest(rule: Rule, loaded: LoadedRule) -> str:
    """A short fingerprint of everything that decides a rule's verdicts (its definition, when in force)."""
    import hashlib

    words = {"title", "description", "rationale"}
    unset = {"ratchet"} if rule.ratchet is None else set()  # newer fields, left out while unset: digests stay
    text = rule.model_dump_json(exclude=words | unset) + f"|{loaded.in_force}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _indicators_catalog(data: Dataset, rules_info: dict[str, RuleInfo]) -> dict[str, IndicatorInfo]:
    """The indicators the rules in scope judge or read."""
    names = {n for rule_id in rules_info for n in data.rules[rule_id].rule.reads()}
    names |= {r.indicator for r in rules_info.values() if r.indicator}
    names |= {r.rule.derive for r in data.rules.values() if r.rule.derive and r.rule.id in rules_info}
    out = {}
    for name in sorted(n for n in names if n in data.indicators):
        ind = data.indicators[name]
        levels = tuple(ind.levels) if ind.levels else None
        out[name] = IndicatorInfo(ind.title, ind.area, ind.type, ind.unit, levels)
    return out


def select(wanted: Iterable[str] | None, known: dict[str, Any], what: str) -> list[str]:
    """The ids asked for, sorted; every one must exist (with a "did you mean" when it does not)."""
    if wanted is None:
        return list(known)
    chosen = sorted(set(wanted))
    for x in chosen:
        if x not in known:
            raise UsageError(f"unknown {what} {x!r}{suggest(x, known)}")
    return chosen


@dataclass(frozen=True, slots=True)
class _Plan:
    """What every verdict of one rule on one indicator shares, computed once."""

    rule_id: str
    title: str
    pack: str
    name: str
    indicator: Indicator
    bar: Bar
    ranking: Ranking
    absolute: BarValue | None
    ranks: dict[Key, int]
    key: Callable[[Any], Key]
    cells: dict[str, Cell]
    applies_to: frozenset[str] | None  # the labs the rule judges; None: every lab
    area: str
    severity: Severity
    stale_before: dt.date | None
    # Ratcheted bars: the held cells the bar ranks (setters' evidence comes from them), the ranking of
    # present values (a verdict whose bar the ratchet holds higher is flagged `held`), and `no_history`.
    setter_cells: dict[str, Cell] | None = None
    present: Ranking | None = None
    ratchet_flag: str | None = None


class _Judge:
    """Per-evaluation tables: cells, rankings and ranks, computed once and shared by every lab."""

    def __init__(self, data: Dataset, as_of: dt.date, selected: set[str], held: Held | None = None) -> None:
        self.data, self.as_of = data, as_of
        self.held = held if held is not None and held.complete else None
        self.cells = {
            name: {lab_id: bars.cell_of(lab.profile.practices.get(name)) for lab_id, lab in data.labs.items()}
            for name in data.indicators
        }
        self.keys = {name: bars.key_function(ind) for name, ind in data.indicators.items()}
        self.tags = {lab_id: frozenset(lab.profile.tags) for lab_id, lab in data.labs.items()}
        self._rankings: dict[tuple[str, str, int | None], Ranking] = {}
        self._held_cells: dict[tuple[str, int], dict[str, Cell]] = {}
        self.peer_groups: dict[tuple[str, str, int | None], Peers | None] = {}
        judging = {r for r, loaded in data.rules.items() if loaded.judges_on(as_of)}
        self.bar_rules = [
            r for r in data.rules.values() if r.rule.kind == "bar" and r.rule.id in selected & judging
        ]
        # Every derive rule runs (commitments read them); commitments only when selected and in force.
        self.chain = [
            r
            for r in data.rules.values()
            if r.rule.kind == "derive" or (r.rule.kind == "commitment" and r.rule.id in selected & judging)
        ]
        self.derived_names = sorted(n for n, ind in data.indicators.items() if ind.derived)
        self.bar_rules_on: dict[str, list[LoadedRule]] = {}
        for loaded in self.bar_rules:
            self.bar_rules_on.setdefault(loaded.rule.indicator or "", []).append(loaded)
        self.ranks = self._rank_tables()
        self.plans = [self.plan(r, r.rule.indicator or "", r.rule.bar) for r in self.bar_rules]
        self.chain_plans = {
            r.rule.id: self.plan(r, r.rule.require.indicator, None) for r in self.chain if r.rule.require
        }
        self.meets_bars: dict[int, tuple[Ranking, BarValue | None]] = {}
        self.operands: dict[int, Any] = {}
        self.reads = scores.base_reads(data)

    def chain_rules(self) -> list[engine.ChainRule]:
        number = {name: i for i, name in enumerate(self.derived_names)}
        return [
            engine.ChainRule(
                tuple(number[x] for x in r.rule.derived_inputs(self.data.indicators)),
                number[r.rule.derive] if r.rule.derive else None,
            )
            for r in self.chain
        ]

    def ranking(self, indicator: str, peers: Peers | None, ratchet: int | None = None) -> Ranking:
        key = (indicator, peers.model_dump_json() if peers else "", ratchet)
        found = self._rankings.get(key)
        if found is None:
            found = self._rankings[key] = self.rank(indicator, peers, ratchet)
            self.peer_groups[key] = peers
        return found

    def rank(self, indicator: str, peers: Peers | None, ratchet: int | None = None) -> Ranking:
        """A fresh ranking of the peer group on the indicator (`ranking` keeps one per group)."""
        members = bars.select_peers(self.tags, peers)
        return Ranking(members, self.ranked_cells(indicator, ratchet), self.keys[indicator])

    def ranked_cells(self, indicator: str, ratchet: int | None) -> dict[str, Cell]:
        """The cells a bar ranks: present ones, or for a ratcheted bar each lab's best held in the window."""
        if ratchet is None or self.held is None:
            return self.cells[indicator]
        key = (indicator, ratchet)  # asked by the ranking, the rank table and the setters' evidence
        found = self._held_cells.get(key)
        if found is None:
            now, order = self.cells[indicator], self.keys[indicator]
            found = self._held_cells[key] = self.held.best(indicator, ratchet, self.as_of, now, order)
        return found

    def prepare(self, indicator: str, bar: Bar, peers: Peers | None) -> tuple[Ranking, BarValue | None]:
        """The ranking of a bar's peers and, for an absolute bar, its value (the same for every lab)."""
        ranking = self.ranking(indicator, peers)
        if bar.kind not in ("threshold", "within_days"):
            return ranking, None
        if bar.kind == "threshold":
            bar = bar.model_copy(update={"value": self.data.indicators[indicator].coerce(bar.value)[0]})
        return ranking, bars.absolute_bar(bar, self.keys[indicator], self.as_of)

    def _rank_tables(self) -> dict[str, dict[Key, int]]:
        """Dense integer ranks of every value and absolute bar, per indicator, for the engine's facts."""
        return {name: self.rank_table(name) for name in self.data.indicators}

    def rank_table(self, name: str) -> dict[Key, int]:
        key = self.keys[name]
        found = {key(c.value) for c in self.cells[name].values() if c.state >= bars.UNEVIDENCED}
        for loaded in self.bar_rules_on.get(name, ()):
            assert loaded.rule.bar
            if loaded.rule.ratchet is not None and self.held is not None:  # a held bar nobody holds now
                held = self.ranked_cells(name, loaded.rule.ratchet).values()
                found.update(key(c.value) for c in held if c.state == bars.DISCLOSED)
            absolute = self.prepare(name, loaded.rule.bar, None)[1]
            if absolute is not None and absolute.key is not None:
                found.add(absolute.key)
        return {k: i for i, k in enumerate(sorted(found))}

    def judged(self, rule: Rule) -> frozenset[str] | None:
        """The labs a rule judges (`applies_to`), or None for every lab."""
        if rule.applies_to is None:
            return None
        return frozenset(lab for lab, tags in self.tags.items() if rule.selects(lab, tags))

    def plan(self, loaded: LoadedRule, name: str, bar: Bar | None) -> _Plan:
        rule = loaded.rule
        indicator = self.data.indicators[name]
        ratchet: dict[str, Any] = {}
        if bar is None:
            ranking, absolute = self.ranking(name, None), None
        elif rule.ratchet is not None:
            ranking, absolute = self.ranking(name, rule.peers, rule.ratchet), None
            if self.held is None:
                ratchet["ratchet_flag"] = "no_history"
            else:
                ratchet["setter_cells"] = self.ranked_cells(name, rule.ratchet)
                ratchet["present"] = self.ranking(name, rule.peers)
        else:
            ranking, absolute = self.prepare(name, bar, rule.peers)
        return _Plan(
            rule_id=rule.id,
            title=rule.title or indicator.title,
            pack=loaded.pack,
            name=name,
            indicator=indicator,
            bar=bar or Bar(kind="best"),
            ranking=ranking,
            absolute=absolute,
            ranks=self.ranks.get(name, {}),
            key=self.keys[name],
            cells=self.cells[name],
            applies_to=self.judged(rule),
            area=loaded.area(self.data.indicators),
            severity=rule.severity or "info",
            stale_before=self.stale_before(loaded, name),
            **ratchet,
        )

    def stale_before(self, loaded: LoadedRule, name: str) -> dt.date | None:
        """The date before which a rule's evidence is stale (its own `max_age_days`, else its indicator's)."""
        max_age = loaded.rule.max_age_days or self.data.indicators[name].max_age_days
        return window_start(self.as_of, max_age) if max_age else None

    def lab(self, lab_id: str, compiled: Any) -> tuple[list[Verdict], dict[str, Truth]]:
        """Every verdict of one lab, sorted by rule id, and its derived values."""
        lines = self.lines(lab_id)
        items = [self.bar_fact(ref, lab_id, plan, lines) for ref, plan in enumerate(self.applicable(lab_id))]
        verdicts, values = self.classify(lab_id, compiled, items, lines, chain=True)
        assert values is not None
        return verdicts, values

    def applicable(self, lab_id: str) -> list[_Plan]:
        """The bar rules that judge this lab."""
        return [plan for plan in self.plans if plan.applies_to is None or lab_id in plan.applies_to]

    def classify(
        self,
        lab_id: str,
        compiled: Any,
        items: list[tuple[engine.VerdictFact, Callable[[Status], Verdict]]],
        lines: dict[str, Location],
        chain: bool,
    ) -> tuple[list[Verdict], dict[str, Truth] | None]:
        """One engine session for one lab: its bar facts `items` (refs 0, 1, ...) and, with `chain`, every
        commitment and derive rule that applies to it. The verdicts sorted by rule id, and the derived
        values (None without the chain)."""
        pending = {fact.ref: finish for fact, finish in items}
        facts = [fact for fact, _ in items]
        tags = self.tags[lab_id]
        rules = self.chain if chain else []
        numbers = [i for i, r in enumerate(rules) if r.rule.kind == "derive" or _applies(r, lab_id, tags)]
        fire = _ChainFire(self, lab_id, pending, lines)
        statuses, derived = compiled.run(lab_id, facts, numbers, fire)
        commitments = sum(1 for i in numbers if self.chain[i].rule.kind == "commitment")
        if statuses.keys() != pending.keys() or len(statuses) != len(facts) + commitments:
            missing = len(facts) + commitments - len(statuses)
            raise EngineError(f"lab {lab_id!r}: {missing} verdict(s) never produced by the engine")
        values = {name: CODE_TRUTH[derived[i]] for i, name in enumerate(self.derived_names) if i in derived}
        if chain and len(values) != len(self.derived_names):
            raise EngineError(
                f"lab {lab_id!r}: {len(self.derived_names) - len(values)} derived value(s) missing"
            )
        verdicts = sorted((pending[ref](_status(name)) for ref, name in statuses.items()), key=_by_rule)
        return verdicts, values if chain else None

    def lines(self, lab_id: str) -> dict[str, Location]:
        """Where each practice of a lab stands, one Location shared by all its verdicts."""
        lab = self.data.labs[lab_id]
        return {
            name: Location(lab.file, lab.lines.get(name, lab.practices_line)) for name in self.data.indicators
        }

    def bar_fact(
        self, ref: int, lab_id: str, plan: _Plan, lines: dict[str, Location], bv: BarValue | None = None
    ) -> tuple[engine.VerdictFact, Callable[[Status], Verdict]]:
        """The engine fact of one (lab, bar rule) pair, and what makes its verdict of the status the engine
        gives it; `bv` is the lab's bar when the caller has it already."""
        cell = plan.cells[lab_id]
        bv = bv if bv is not None else lab_bar(plan, lab_id)
        has_value = cell.state >= bars.UNEVIDENCED
        fact = engine.VerdictFact(
            ref,
            cell.state,
            bv.binds,
            plan.ranks[plan.key(cell.value)] if has_value else 0,
            plan.ranks[bv.key] if bv.key is not None else 0,
        )
        return fact, functools.partial(self.bar_verdict, lab_id, plan, lines, bv)

    def bar_verdict(
        self, lab_id: str, plan: _Plan, lines: dict[str, Location], bv: BarValue, status: Status
    ) -> Verdict:
        """The verdict of one (lab, bar rule) pair, judged against `bv`, of the status the engine gave."""
        cell = plan.cells[lab_id]
        result = _bar_result(plan.bar.kind, bv)
        gap = bar_gap(plan, cell, bv)
        extra = (plan.ratchet_flag,) if plan.ratchet_flag else ()
        if plan.present is not None and plan.present.bar(lab_id, plan.bar).value != bv.value:
            extra = ("held",)
        return self.verdict(lab_id, plan, cell, status, result, gap, lines[plan.name], extra)

    def verdict(
        self,
        lab_id: str,
        plan: _Plan,
        cell: Cell,
        status: Status,
        bar: BarResult,
        gap: int | float | None,
        location: Location,
        extra: tuple[str, ...] = (),
    ) -> Verdict:
        bar = cited(plan, status, bar)
        return Verdict(
            lab_id,
            plan.rule_id,
            plan.title,
            plan.pack,
            plan.name,
            plan.area,
            plan.severity,
            status,
            "derived" if plan.indicator.derived and cell.state == DISCLOSED else bars.STATE_NAMES[cell.state],
            cell.value,
            bar,
            gap if status in COMPARED else None,
            flags(plan.stale_before, cell) + extra,
            cell.evidence,
            location,
        )

    def operand(self, cond: Condition) -> Any:
        """A condition's operand in its indicator's own terms (dates parsed), computed once."""
        key = id(cond)
        if key not in self.operands:
            raw = cond.operand
            plain = cond.op in ("meets", "disclosed")
            self.operands[key] = raw if plain else self.data.indicators[cond.indicator].coerce(raw)[0]
        return self.operands[key]

    def meets_bar(self, lab_id: str, cond: Condition) -> BarValue:
        """The bar of a `meets` condition (peers: every other lab) as `lab_id` sees it."""
        key = id(cond)
        if key not in self.meets_bars:
            self.meets_bars[key] = self.prepare(cond.indicator, cond.operand, None)
        return meets_value(self.meets_bars[key], lab_id, cond.operand)


def bar_gap(plan: _Plan, cell: Cell, bv: BarValue) -> int | float | None:
    """How far a bar rule's value is below the bar it was judged against (None without a value or a
    binding bar; `verdict` keeps it for the COMPARED statuses only)."""
    if cell.state < bars.UNEVIDENCED or not bv.binds:
        return None
    return bars.gap(plan.indicator, cell.value, bv.value)


def cited(plan: _Plan, status: Status, bar: BarResult) -> BarResult:
    """A shortfall's bar with the evidence of the labs that set it, so an accusation cites both sides."""
    if status in ("below", "undisclosed") and bar.set_by:
        cells = plan.setter_cells or plan.cells
        setters = tuple([(peer, cells[peer].evidence) for peer in bar.set_by[:SETTER_EVIDENCE]])
        return bar._replace(evidence=setters)
    return bar


def lab_bar(plan: _Plan, lab_id: str) -> BarValue:
    """The bar of a bar rule as one lab sees it."""
    if plan.absolute is None:
        return plan.ranking.bar(lab_id, plan.bar)
    return plan.absolute._replace(peers_disclosed=plan.ranking.peers_disclosed(lab_id))  # only this varies


def meets_value(prepared: tuple[Ranking, BarValue | None], lab_id: str, bar: Bar) -> BarValue:
    """The bar of a `meets` condition as one lab sees it, from what `_Judge.prepare` gave for it."""
    ranking, absolute = prepared
    if absolute is not None:
        return absolute._replace(peers_disclosed=ranking.peers_disclosed(lab_id))
    return ranking.bar(lab_id, bar)


def _bar_result(kind: str, bv: BarValue) -> BarResult:
    return BarResult(
        kind, bv.value, bv.set_by, bv.set_by_count, bv.peers_disclosed, bv.blocked_by, bv.blocked_by_count
    )


_STATUS: dict[str, Status] = {status: status for status in STATUSES}  # the engine names statuses as text


def _status(name: str) -> Status:
    """A status the engine named, checked: a name that is none is the engine's error, never a verdict."""
    found = _STATUS.get(name)
    if found is None:
        raise EngineError(f"the engine classified a fact as {name!r}, which is no status")
    return found


def _by_rule(v: Verdict) -> str:
    return v.rule


def flags(stale_before: dt.date | None, cell: Cell) -> tuple[str, ...]:
    if cell.state == bars.UNEVIDENCED:
        return ("unevidenced",)
    if stale_before and cell.newest and cell.newest < stale_before:  # evidence exists and is old
        return ("stale",)
    return ()


def _applies(loaded: LoadedRule, lab_id: str, tags: frozenset[str]) -> bool:
    return loaded.rule.selects(lab_id, tags)


class _ChainFire:
    """The action of a commitment or derive rule for one lab: many-valued logic over its conditions."""

    def __init__(
        self,
        judge: _Judge,
        lab_id: str,
        pending: dict[int, Callable[[Status], Verdict]],
        lines: dict[str, Location],
    ) -> None:
        self.judge, self.lab_id, self.pending, self.lines = judge, lab_id, pending, lines

    def __call__(self, i: int, inputs: dict[int, int]) -> int | engine.VerdictFact:
        loaded = self.judge.chain[i]
        rule = loaded.rule
        names = self.judge.derived_names
        derived = {names[x]: bars.derived_cell(CODE_TRUTH[code]) for x, code in inputs.items()}
        when: Truth = (
            fold(rule.when.mode, (self.truth(c, derived)[0] for c in rule.when.conditions))
            if rule.when
            else True
        )
        if rule.require is None:
            return TRUTH_CODE[when]
        return self.commitment(loaded, when, rule.require, derived)

    def cell(self, name: str, derived: dict[str, Cell]) -> Cell:
        return derived.get(name) or self.judge.cells[name][self.lab_id]

    def truth(self, cond: Condition, derived: dict[str, Cell]) -> tuple[Truth, BarValue | None]:
        name = cond.indicator
        cell = self.cell(name, derived)
        # The bar of a `meets` condition is reported even where the lab's own state decides the condition.
        bv = self.judge.meets_bar(self.lab_id, cond) if cond.op == "meets" else None
        return condition(cond.op, self.judge.operand(cond), cell, self.judge.keys[name], bv), bv

    def commitment(
        self, loaded: LoadedRule, when: Truth, require: Condition, derived: dict[str, Cell]
    ) -> engine.VerdictFact:
        name = require.indicator
        cell = self.cell(name, derived)
        held, bv = self.truth(require, derived)
        status = commitment_status(when, require.op, cell, held)
        ref = len(self.pending)
        fact = engine.VerdictFact(ref, *_STATUS_FACT[status])
        if bv is not None:
            result = _bar_result(require.operand.kind, bv)
            gap_to = bv.value if bv.binds else None
        else:
            operand = self.judge.operand(require)
            result = BarResult("require", operand)
            gap_to = operand if require.op == "at_least" else None
        indicator = self.judge.data.indicators[name]
        has_value = cell.state >= bars.UNEVIDENCED
        gap = bars.gap(indicator, cell.value, gap_to) if has_value and gap_to is not None else None
        judge, lab_id = self.judge, self.lab_id
        plan = judge.chain_plans[loaded.rule.id]
        location = self.lines[name]

        def finish(engine_status: Status) -> Verdict:
            return judge.verdict(lab_id, plan, cell, engine_status, result, gap, location)

        self.pending[ref] = finish
        return fact
