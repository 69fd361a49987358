"""The tables of one evaluation, computed once and shared by every lab: each indicator's cells (every lab's
standing on it), its better-is-larger key, each peer group's ranking, the rank tables the engine's facts
are written in, and a `Plan` per rule. `Tables.advance` carries them to the next revision of a history,
recomputing only what a change reaches; no other module changes them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from parity.dataset import Dataset, LoadedRule
from parity.judge import bars, engine, scores
from parity.judge.bars import BarValue, Cell, Key, Ranking
from parity.judge.ratchet import Held
from parity.models import Bar, Condition, Indicator, Peers, Rule
from parity.report import Location
from parity.vocabulary import ABSOLUTE_BARS, DISCLOSED, Severity, has_value, same, window_start

RankingKey = tuple[str, str, int | None]  # (indicator, the peer group as JSON, ratchet window)


@dataclass(frozen=True, slots=True)
class Plan:
    """What every verdict of one rule shares: its indicator, its bar (the ranking of its peers, or an
    absolute value), its rank table and its staleness cut-off. A commitment's plan is that of its
    `require` indicator: its cells (the lab's practice, and a `meets` setter's evidence), title, area,
    severity and staleness; its bar and ranking are never read (a `best` bar over every lab fills them,
    from the ranking shared with every other rule on that indicator)."""

    rule_id: str
    title: str
    pack: str
    name: str  # the indicator
    indicator: Indicator
    bar: Bar
    ranking: Ranking
    absolute: BarValue | None  # a threshold or recency bar, the same for every lab (but peers_disclosed)
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
    # The bars its verdicts report, one object per equal bar (judge.verdicts.cited).
    pool: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)

    def judges(self, lab: str) -> bool:
        return self.applies_to is None or lab in self.applies_to

    def bar_for(self, lab: str) -> BarValue:
        """The bar one lab is judged against."""
        return lab_bar((self.ranking, self.absolute), lab, self.bar)


def lab_bar(prepared: tuple[Ranking, BarValue | None], lab: str, bar: Bar) -> BarValue:
    """The bar one lab sees, from a ranking and (for an absolute bar) its value: a bar rule's, or a `meets`
    condition's."""
    ranking, absolute = prepared
    if absolute is None:
        return ranking.bar(lab, bar)
    return absolute._replace(peers_disclosed=ranking.peers_disclosed(lab))  # only this varies by lab


@dataclass(frozen=True)
class Moved:
    """What `Tables.advance` found changed since the revision before, and the tables it replaced."""

    changed: frozenset[str]  # labs whose profile is not the same object
    values: dict[str, set[str]]  # per indicator: labs whose state or value moved
    evidence: dict[str, set[str]]  # per indicator: labs whose evidence moved
    date_moved: bool
    plans: list[Plan]  # the bar rules' plans before, in the order of `Tables.plans`
    chain_plans: dict[str, Plan]  # the commitments' plans before
    meets_bars: dict[int, tuple[Ranking, BarValue | None]]  # each `meets` condition's bar before

    def by_lab(self) -> dict[str, set[str]]:
        """The indicators on which each lab's value or evidence moved."""
        out: dict[str, set[str]] = {}
        for table in (self.values, self.evidence):
            for name, labs in table.items():
                for lab in labs:
                    out.setdefault(lab, set()).add(name)
        return out


class Tables:
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
        self.rankings: dict[RankingKey, Ranking] = {}
        self.peer_groups: dict[RankingKey, Peers | None] = {}
        self._held_cells: dict[tuple[str, int], dict[str, Cell]] = {}
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
        self.ranks = {name: self.rank_table(name) for name in data.indicators}
        self.plans = [self.plan(r, r.rule.indicator or "", r.rule.bar) for r in self.bar_rules]
        self.chain_plans = {
            r.rule.id: self.plan(r, r.rule.require.indicator, None) for r in self.chain if r.rule.require
        }
        self.meets_bars: dict[int, tuple[Ranking, BarValue | None]] = {}  # by the condition's id
        self.meets_conditions = {id(c): c for r in self.chain for c in r.rule.conditions if c.op == "meets"}
        self.operands: dict[int, Any] = {}
        self.reads = scores.base_reads(data)

    # --- rankings and bars ------------------------------------------------------------------------------

    def chain_rules(self) -> list[engine.ChainRule]:
        """The commitments and derive rules as the engine sees them: derived inputs and output, numbered."""
        number = {name: i for i, name in enumerate(self.derived_names)}
        return [
            engine.ChainRule(
                tuple(number[x] for x in r.rule.derived_inputs(self.data.indicators)),
                number[r.rule.derive] if r.rule.derive else None,
            )
            for r in self.chain
        ]

    def ranking(self, indicator: str, peers: Peers | None, ratchet: int | None = None) -> Ranking:
        """The ranking of a peer group on an indicator, one per group (and ratchet window)."""
        key = (indicator, peers.model_dump_json() if peers else "", ratchet)
        found = self.rankings.get(key)
        if found is None:
            found = self.rankings[key] = self.rank(indicator, peers, ratchet)
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
        if bar.kind not in ABSOLUTE_BARS:
            return ranking, None
        if bar.kind == "threshold":
            bar = bar.model_copy(update={"value": self.data.indicators[indicator].coerce(bar.value)[0]})
        return ranking, bars.absolute_bar(bar, self.keys[indicator], self.as_of)

    def rank_table(self, name: str) -> dict[Key, int]:
        """Dense integer ranks of every value and absolute bar on one indicator, for the engine's facts."""
        key = self.keys[name]
        found = {key(c.value) for c in self.cells[name].values() if has_value(c.state)}
        for loaded in self.bar_rules_on.get(name, ()):
            assert loaded.rule.bar
            if loaded.rule.ratchet is not None and self.held is not None:  # a held bar nobody holds now
                held = self.ranked_cells(name, loaded.rule.ratchet).values()
                found.update(key(c.value) for c in held if c.state == DISCLOSED)
            absolute = self.prepare(name, loaded.rule.bar, None)[1]
            if absolute is not None and absolute.key is not None:
                found.add(absolute.key)
        return {k: i for i, k in enumerate(sorted(found))}

    def judged(self, rule: Rule) -> frozenset[str] | None:
        """The labs a rule judges (`applies_to`), or None for every lab."""
        if rule.applies_to is None:
            return None
        return frozenset(lab for lab, tags in self.tags.items() if rule.selects(lab, tags))

    def plan(self, loaded: LoadedRule, name: str, bar: Bar | None) -> Plan:
        """A bar rule's plan (`bar` given), or a commitment's (the plan of its `require` indicator)."""
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
        return Plan(
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

    def applicable(self, lab_id: str) -> list[Plan]:
        """The bar rules that judge this lab."""
        return [plan for plan in self.plans if plan.judges(lab_id)]

    def lines(self, lab_id: str) -> dict[str, Location]:
        """Where each practice of a lab stands, one Location shared by all its verdicts."""
        lab = self.data.labs[lab_id]
        return {
            name: Location(lab.file, lab.lines.get(name, lab.practices_line)) for name in self.data.indicators
        }

    # --- conditions -------------------------------------------------------------------------------------

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
        return lab_bar(self.meets_bars[key], lab_id, cond.operand)

    # --- the next revision ------------------------------------------------------------------------------

    def advance(self, data: Dataset, as_of: dt.date) -> Moved:
        """Carry the tables to `data` at `as_of`, which differs from the last only in profiles (not their
        tags) and the date: the changed labs' cells made again; each ranking and rank table on an indicator
        whose values moved made again, and kept (the same object) when it comes out the same, so that `is`
        says which bars may have moved; each plan whose ranking, rank table or absolute bar moved made
        again; every `meets` bar computed again. Returns what moved, and the tables it replaced."""
        changed = frozenset(lab for lab, found in data.labs.items() if found is not self.data.labs[lab])
        date_moved = as_of != self.as_of
        self.data, self.as_of = data, as_of
        values, evidence = self._recell(changed)
        self._rerank(values, date_moved)
        moved = Moved(changed, values, evidence, date_moved, self.plans, self.chain_plans, self.meets_bars)
        self.plans = [
            self._replan(r, p, values, date_moved) for r, p in zip(self.bar_rules, moved.plans, strict=True)
        ]
        self.chain_plans = {r: self.plan(data.rules[r], p.name, None) for r, p in moved.chain_plans.items()}
        self.meets_bars = {}
        for key in moved.meets_bars:
            cond = self.meets_conditions[key]
            self.meets_bars[key] = self.prepare(cond.indicator, cond.operand, None)
        return moved

    def _recell(self, changed: frozenset[str]) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
        """The cells of the changed labs made again; per indicator, the labs whose state or value moved,
        and those whose evidence did."""
        values: dict[str, set[str]] = {}
        evidence: dict[str, set[str]] = {}
        for lab in changed:
            practices = self.data.labs[lab].profile.practices
            for name in self.data.indicators:
                cells = self.cells[name]
                before, cell = cells[lab], bars.cell_of(practices.get(name))
                cells[lab] = cell
                if before.state != cell.state or not same(before.value, cell.value):
                    values.setdefault(name, set()).add(lab)
                if before.evidence != cell.evidence or before.newest != cell.newest:
                    evidence.setdefault(name, set()).add(lab)
        return values, evidence

    def _rerank(self, values: dict[str, set[str]], date_moved: bool) -> None:
        """Rank again every peer group on an indicator whose values moved, keeping a ranking that comes out
        the same; rank tables follow (and move with the date where a recency bar reads the indicator)."""
        for key, ranking in list(self.rankings.items()):
            if key[0] in values:
                fresh = self.rank(key[0], self.peer_groups[key])
                if not same_ranking(fresh, ranking):
                    self.rankings[key] = fresh
        for name in self.data.indicators:
            dated = date_moved and any(
                r.rule.bar and r.rule.bar.kind == "within_days" for r in self.bar_rules_on.get(name, ())
            )
            if name in values or dated:
                self.ranks[name] = self.rank_table(name)

    def _replan(
        self, loaded: LoadedRule, before: Plan, values: dict[str, set[str]], date_moved: bool
    ) -> Plan:
        """A bar rule's plan for the new revision: the one before while nothing it holds moved (its
        ranking, rank table and absolute bar are the same objects), with the new date's staleness cut-off."""
        dated = date_moved and before.bar.kind == "within_days"
        if before.name in values or dated or self.ranks.get(before.name) is not before.ranks:
            return self.plan(loaded, before.name, loaded.rule.bar)
        if date_moved and before.stale_before is not None:
            return dataclasses.replace(before, stale_before=self.stale_before(loaded, before.name))
        return before


def same_ranking(a: Ranking, b: Ranking) -> bool:
    """Whether every lab sees the same bar in both: the same members, order, silent peers and values."""
    if (a.keys, a.position, a.silent, a.states, a.members) != (
        b.keys,
        b.position,
        b.silent,
        b.states,
        b.members,
    ):
        return False
    return a.raw.keys() == b.raw.keys() and all(same(v, b.raw[k]) for k, v in a.raw.items())
