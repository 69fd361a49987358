"""Incremental evaluation: a sequence of Datasets (the revisions of one repository, each at its own date),
each report identical to `parity.evaluate` of the same arguments, judging again only what changed.

What a verdict depends on, and so what a change reaches (docs/cache.md, "Incremental evaluation"):

- a bar rule's verdict on lab L: L's practice (its cell, and where it stands in L's file), the bar L sees
  (computed from the peer group's ranking, or an absolute bar that may move with the date), the evidence of
  the labs that set a shortfall's bar, and the date (staleness);
- a lab's commitments and derived values: L's own practices, and the bars of its `meets` conditions;
- waivers, scores and coverage: passes over the finished verdicts, redone for the labs they touch.

A lab whose profile changed is judged again whole. For every other lab, a bar rule is looked at only when
its ranking or absolute bar is not the one used last time, and then the lab's bar is computed again and
compared with the last one: a bar "moved" when its computed value did, whatever moved it. Anything this
module does not reason about (rules, indicators, tags, the set of labs or rules in scope, which rules are
in force) makes it evaluate everything afresh, exactly as `parity.evaluate` does.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from parity import bars, engine, scores, waivers
from parity.bars import BarValue, Cell, Ranking
from parity.dataset import Dataset, Lab, LoadedRule
from parity.errors import EngineError
from parity.evaluate import (
    SETTER_EVIDENCE,
    _bar_result,
    _indicators_catalog,
    _Judge,
    _Plan,
    _rules_catalog,
    bar_gap,
    cited,
    flags,
    lab_bar,
    meets_value,
    scope,
)
from parity.gcpause import paused_gc
from parity.models import Bar
from parity.results import BarResult, LabSummary, Location, Report, Verdict
from parity.vocabulary import COMPARED, SHORTFALLS, Truth, rank_k, same, today

Pair = tuple[str, str]  # (lab, rule)
Reached = tuple[_Plan, BarValue, BarValue]  # a bar rule's plan, the lab's bar before and now


@dataclass
class Stats:
    """What the last `Evaluator.evaluate` did (for tests and benchmarks; never part of a result)."""

    full: bool = True
    labs_changed: int = 0  # labs whose profile changed, judged again whole
    pairs_reached: int = 0  # other (lab, rule) pairs whose verdict was made again
    sessions: int = 0  # engine sessions run


class Evaluator:
    """Evaluates Dataset after Dataset; each report equals `parity.evaluate(data, ...)` for the same
    arguments, and reuses what the previous call computed. Load the Datasets through one shared
    `ParseCache`, so that unchanged files are the same objects: a lab that is not the same object as last
    time is judged again whole (correct, only slower)."""

    def __init__(self) -> None:
        self._state: _State | None = None
        self.stats = Stats()

    def evaluate(
        self,
        data: Dataset,
        as_of: dt.date | None = None,
        labs: Iterable[str] | None = None,
        rules: Iterable[str] | None = None,
        packs: Iterable[str] | None = None,
        waiver_horizon: int = waivers.DEFAULT_HORIZON,
    ) -> Report:
        """As `parity.evaluate`."""
        as_of = as_of or today()
        lab_ids, rule_ids = scope(data, labs, rules, packs)
        state, self._state = self._state, None  # a call that fails leaves nothing half updated behind
        with paused_gc():
            if state is None or not state.reusable(data, as_of, lab_ids, rule_ids):
                state = _State(data, as_of, lab_ids, rule_ids)
                self.stats = Stats(full=True, labs_changed=len(lab_ids), sessions=len(lab_ids))
            else:
                self.stats = state.update(data, as_of)
            report = state.report(waiver_horizon)
        self._state = state
        return report


def _same_bar(a: BarValue | None, b: BarValue | None) -> bool:
    if a is None or b is None:
        return a is b
    return a == b and type(a.value) is type(b.value)


def _same_ranking(a: Ranking, b: Ranking) -> bool:
    """Whether every lab sees the same bar in both: the same members, order, silent peers and values."""
    if (a.keys, a.position, a.silent, a.members) != (b.keys, b.position, b.silent, b.members):
        return False
    return a.raw.keys() == b.raw.keys() and all(same(v, b.raw[k]) for k, v in a.raw.items())


def _what_labs_see(ranking: Ranking, bar: Bar, absolute: bool) -> tuple[Any, ...] | None:
    """All of a ranking that the bar any lab sees can depend on (bars.Ranking.bar), or None when that is
    not worth working out (`all`, which reads every member). Equal for two rankings: no lab's bar moved.

    A lab sees the k-th best value of the others (the k+1-th when it is among the first k itself), its
    setters (the labs of that value, but itself), and how many others disclose: so the number disclosed,
    the first k+1 values with their labs and raw values, settle it; for `median` k is at most n/2 + 1."""
    n = len(ranking.keys)
    if absolute:
        return (n,)
    if bar.kind == "all":
        return None
    k = rank_k(bar.kind, bar.k, n, n)
    top = ranking.keys if k is None else ranking.keys[: k + 1]
    distinct = sorted(set(top), reverse=True)
    return (
        n,
        tuple(top),
        tuple(tuple(ranking.groups[key]) for key in distinct),
        tuple((type(ranking.raw[key]), ranking.raw[key]) for key in distinct),
    )


def _classified(cell: Cell, bv: BarValue, key: Any) -> tuple[Any, ...]:
    """All the engine's classification of a bar fact reads: the state, whether the bar binds, and the
    order of value and bar (docs/engine.md, "What the engine sees")."""
    if cell.state < bars.UNEVIDENCED or not bv.binds or bv.key is None:
        return cell.state, bv.binds
    return cell.state, True, bars.compare(key(cell.value), bv.key)


class _State:
    """One evaluation's tables and verdicts, brought up to date by `update`."""

    def __init__(self, data: Dataset, as_of: dt.date, lab_ids: list[str], rule_ids: set[str]) -> None:
        self.data, self.as_of, self.lab_ids, self.rule_ids = data, as_of, lab_ids, rule_ids
        self.in_force = _in_force(data, as_of)
        self.judge = judge = _Judge(data, as_of, rule_ids)
        self.pre: dict[str, dict[str, Verdict]] = {}  # per lab, by rule: the verdicts before waivers
        self.final: dict[str, list[Verdict]] = {}  # per lab, in rule order: after waivers
        self.index: dict[str, dict[str, int]] = {}  # per lab: where each rule's verdict stands in `final`
        self.derived: dict[str, dict[str, Truth]] = {}
        self.rescore: set[str] = set()  # labs whose statuses changed since the last report
        with engine.compiled(judge.chain_rules()) as compiled:
            for lab in lab_ids:
                verdicts, self.derived[lab] = judge.lab(lab, compiled)
                self.replace(lab, verdicts)
        self.lines: dict[str, dict[str, Location]] = {}
        self.summaries: dict[str, LabSummary] = {}
        self.named: set[Pair] = set()  # the (lab, rule) pairs the waivers named last time
        self.by_newest: dict[str, list[tuple[dt.date, str]]] = {}  # per indicator, labs by newest evidence
        self.rules_info = _rules_catalog(data, rule_ids)
        self.indicators_info = _indicators_catalog(data, self.rules_info)
        self.meets_conditions = {id(c): c for r in judge.chain for c in r.rule.conditions if c.op == "meets"}

    # --- what can be reused ---------------------------------------------------------------------------

    def reusable(self, data: Dataset, as_of: dt.date, lab_ids: list[str], rule_ids: set[str]) -> bool:
        """Whether only what `update` reasons about changed: profiles (not their tags), the date (not which
        rules are in force), waivers."""
        old = self.data
        if lab_ids != self.lab_ids or rule_ids != self.rule_ids or list(data.labs) != list(old.labs):
            return False
        if (
            data.packs != old.packs
            or data.tags != old.tags
            or data.indicators.keys() != old.indicators.keys()
        ):
            return False
        if any(data.indicators[n] is not old.indicators[n] for n in data.indicators):
            return False
        if data.rules.keys() != old.rules.keys() or not all(
            _same_rule(data.rules[r], old.rules[r]) for r in data.rules
        ):
            return False
        tags = self.judge.tags
        if any(
            frozenset(lab.profile.tags) != tags[i] for i, lab in data.labs.items() if lab is not old.labs[i]
        ):
            return False
        return _in_force(data, as_of) == self.in_force

    # --- bringing the tables up to date ---------------------------------------------------------------

    def update(self, data: Dataset, as_of: dt.date) -> Stats:
        judge, old = self.judge, self.data
        changed = {lab for lab, found in data.labs.items() if found is not old.labs[lab]}
        date_moved = as_of != self.as_of
        self.data, self.as_of, judge.data, judge.as_of = data, as_of, data, as_of
        for lab in changed:
            self.lines.pop(lab, None)
        values, evidence = self.recell(changed)
        self.rerank(values, date_moved)
        old_plans, old_chain_plans, old_meets = judge.plans, judge.chain_plans, judge.meets_bars
        judge.plans = [
            self.replan(r, p, values, date_moved) for r, p in zip(judge.bar_rules, old_plans, strict=True)
        ]
        judge.chain_plans = {
            r: judge.plan(judge.data.rules[r], p.name, None) for r, p in old_chain_plans.items()
        }
        judge.meets_bars = {}
        # A changed lab whose practices stand where they stood is judged pair by pair like the others,
        # its changed cells sent to the engine; one whose lines moved is judged whole.
        whole = {lab for lab in changed if not _same_place(old.labs[lab], data.labs[lab])}
        moved = _by_lab(values, evidence)
        kept = [lab for lab in self.lab_ids if lab not in whole]
        reached: dict[str, dict[str, Reached]] = {}
        redated = 0
        for new, before in zip(judge.plans, old_plans, strict=True):
            if self.dated(new, before):
                redated += self.redate(new, before, kept, changed, reached)
            else:
                self.reach(new, before, kept, evidence, reached)
        rechain = self.rechain(old_meets, kept, evidence) | (changed - whole)
        kept_labs = set(kept)
        for new, before in zip(
            [*judge.plans, *judge.chain_plans.values()], [*old_plans, *old_chain_plans.values()], strict=True
        ):
            if before.stale_before is not None and new.stale_before != before.stale_before:
                self.reflag(new, before.stale_before, kept_labs)
        stats = Stats(full=False, labs_changed=len(changed & set(self.lab_ids)), pairs_reached=redated)
        plans_on: dict[str, list[_Plan]] = {}
        for plan in judge.plans:
            plans_on.setdefault(plan.name, []).append(plan)
        with engine.compiled(judge.chain_rules()) as compiled:
            for lab in self.lab_ids:
                if lab in whole:
                    verdicts, self.derived[lab] = judge.lab(lab, compiled)
                    self.replace(lab, verdicts)
                    stats.sessions += 1
                elif lab in reached or lab in rechain:
                    if lab not in changed:
                        stats.pairs_reached += len(reached.get(lab, ()))
                    own = [p for name in moved.get(lab, ()) for p in plans_on.get(name, ())]
                    stats.sessions += self.rejudge(lab, compiled, reached.get(lab, {}), lab in rechain, own)
                    if lab in changed:
                        self.rescore.add(lab)
        return stats

    def replan(
        self, loaded: LoadedRule, before: _Plan, values: dict[str, set[str]], date_moved: bool
    ) -> _Plan:
        """A bar rule's plan for this revision: the one before while nothing it holds moved (its ranking,
        rank table and absolute bar are the same objects), with the staleness cut-off of the new date."""
        judge = self.judge
        dated = date_moved and before.bar.kind == "within_days"
        if before.name in values or dated or judge.ranks.get(before.name) is not before.ranks:
            return judge.plan(loaded, before.name, loaded.rule.bar)
        if date_moved and before.stale_before is not None:
            return dataclasses.replace(before, stale_before=judge.stale_before(loaded, before.name))
        return before

    def recell(self, changed: set[str]) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
        """The cells of the changed labs made again; per indicator, the labs whose state or value moved,
        and those whose evidence did."""
        values: dict[str, set[str]] = {}
        evidence: dict[str, set[str]] = {}
        for lab in changed:
            practices = self.data.labs[lab].profile.practices
            for name in self.data.indicators:
                cells = self.judge.cells[name]
                before, cell = cells[lab], bars.cell_of(practices.get(name))
                cells[lab] = cell
                if before.state != cell.state or not same(before.value, cell.value):
                    values.setdefault(name, set()).add(lab)
                if before.evidence != cell.evidence or before.newest != cell.newest:
                    evidence.setdefault(name, set()).add(lab)
                    self.by_newest.pop(name, None)
        return values, evidence

    def rerank(self, values: dict[str, set[str]], date_moved: bool) -> None:
        """Rank again every peer group on an indicator whose values moved; a ranking that comes out the
        same is kept, so that `is` says which bars may have moved. Rank tables follow."""
        judge = self.judge
        for key, ranking in list(judge._rankings.items()):
            if key[0] in values:
                fresh = judge.rank(key[0], judge.peer_groups[key])
                if not _same_ranking(fresh, ranking):
                    judge._rankings[key] = fresh
        for name in judge.data.indicators:
            dated = date_moved and any(
                r.rule.bar and r.rule.bar.kind == "within_days" for r in judge.bar_rules_on.get(name, ())
            )
            if name in values or dated:
                judge.ranks[name] = judge.rank_table(name)

    def dated(self, new: _Plan, old: _Plan) -> bool:
        """Whether only an absolute bar's value moved (a `within_days` bar, with the date): every lab it
        judges then sees the same bar as before but for its value (an absolute bar always binds, and
        nobody sets it, so no evidence is cited), and how many peers disclose is the same for every
        unchanged lab."""
        if new.absolute is None or old.absolute is None or _same_bar(new.absolute, old.absolute):
            return False
        return new.ranking is old.ranking or len(new.ranking.keys) == len(old.ranking.keys)

    def redate(
        self,
        new: _Plan,
        old: _Plan,
        kept: list[str],
        changed: set[str],
        reached: dict[str, dict[str, Reached]],
    ) -> int:
        """An absolute bar that moved only with the date: a lab whose classification reads the same keeps
        its status, and its verdict gets the bar's new value and gap (all of `bar_verdict`'s verdict that
        reads the bar; staleness is `reflag`'s). The others, and changed labs, are reached, for the engine.
        Returns the number of verdicts of unchanged labs made again (as Stats counts them)."""
        assert new.absolute is not None and old.absolute is not None
        value, now, before, key = new.absolute.value, new.absolute.key, old.absolute.key, new.key
        assert now is not None and before is not None  # an absolute bar's key is its value's
        count = 0
        for lab in kept:
            if new.applies_to is not None and lab not in new.applies_to:
                continue
            count += lab not in changed
            cell = new.cells[lab]
            has_value = cell.state >= bars.UNEVIDENCED
            if lab in changed or (
                has_value and bars.compare(key(cell.value), now) != bars.compare(key(cell.value), before)
            ):
                reached.setdefault(lab, {})[new.rule_id] = (new, lab_bar(old, lab), lab_bar(new, lab))
                continue
            verdict = self.pre[lab][new.rule_id]
            bar = BarResult._make((verdict.bar[0], value, *verdict.bar[2:]))
            self.keep(lab, new.rule_id, _rebarred(verdict, bar, bar_gap(new, cell, new.absolute)))
        return count

    def reach(
        self,
        new: _Plan,
        old: _Plan,
        unchanged: list[str],
        evidence: dict[str, set[str]],
        reached: dict[str, dict[str, Reached]],
    ) -> None:
        """The unchanged labs whose verdict on this bar rule must be made again: their bar moved, or a lab
        whose evidence they cite changed. Each is recorded with the bar it was judged against before.

        The seam for bars that move with no profile change (a bar remembering past revisions): such a bar
        must come with a new ranking (or absolute bar) whenever it may have moved; the per-lab comparison
        below then finds the labs it reaches."""
        moved = new.ranking is not old.ranking or not _same_bar(new.absolute, old.absolute)
        setters = evidence.get(new.name)
        if moved and _same_bar(new.absolute, old.absolute):
            seen = _what_labs_see(new.ranking, new.bar, new.absolute is not None)
            if seen is not None and seen == _what_labs_see(old.ranking, old.bar, old.absolute is not None):
                moved = False  # the ranking moved below where any lab's bar is read (a value of the tail)
        if not moved and not setters:
            return
        for lab in unchanged:
            if new.applies_to is not None and lab not in new.applies_to:
                continue
            before, now = lab_bar(old, lab), lab_bar(new, lab)
            cites = setters is not None and _cites(self.pre[lab][new.rule_id], setters)
            if cites or (moved and not _same_bar(before, now)):
                reached.setdefault(lab, {})[new.rule_id] = (new, before, now)

    def rechain(
        self,
        old_meets: dict[int, tuple[Ranking, BarValue | None]],
        unchanged: list[str],
        evidence: dict[str, set[str]],
    ) -> set[str]:
        """The unchanged labs whose commitments and derive rules must run again: the bar of one of their
        `meets` conditions moved, or a commitment's shortfall cites a lab whose evidence changed."""
        judge, labs = self.judge, set[str]()
        for key, before in old_meets.items():
            cond = self.meets_conditions[key]
            assert isinstance(cond.operand, Bar)
            now = judge.meets_bars[key] = judge.prepare(cond.indicator, cond.operand, None)
            if now[0] is before[0] and _same_bar(now[1], before[1]):
                continue
            labs.update(
                lab
                for lab in unchanged
                if not _same_bar(meets_value(before, lab, cond.operand), meets_value(now, lab, cond.operand))
            )
        for rule_id, plan in judge.chain_plans.items():
            setters = evidence.get(plan.name)
            if setters:
                labs.update(lab for lab in unchanged if _cites(self.pre[lab].get(rule_id), setters))
        return labs

    def reflag(self, plan: _Plan, before: dt.date, unchanged: set[str]) -> None:
        """The date moved this rule's staleness cut-off from `before`: the flags of the labs whose newest
        evidence lies between the two cut-offs are made again."""
        if plan.indicator.derived or plan.stale_before is None:  # a derived value is never stale
            return
        cells = self.judge.cells[plan.name]
        ordered = self.by_newest.get(plan.name)
        if ordered is None:
            ordered = self.by_newest[plan.name] = sorted(
                (c.newest, lab) for lab, c in cells.items() if c.newest is not None
            )
        low, high = sorted((before, plan.stale_before))
        start = bisect.bisect_left(ordered, (low, ""))
        for newest, lab in itertools.islice(ordered, start, None):
            if newest >= high:
                break
            verdict = self.pre[lab].get(plan.rule_id) if lab in unchanged else None
            if verdict is not None:
                self.put(lab, verdict._replace(flags=flags(plan.stale_before, cells[lab])))

    def rejudge(
        self,
        lab: str,
        compiled: Any,
        reached: dict[str, Reached],
        chain: bool,
        own: list[_Plan],
    ) -> int:
        """Make the reached verdicts of a lab again (and, with `chain`, its commitments and
        derived values); `own` are the bar rules on the lab's own changed cells, which go to the engine.
        A bar fact whose cell did not change and whose classification reads the same as before keeps its
        status; the others, and the chain, go to the engine. Returns the number of engine sessions run (0
        or 1)."""
        judge = self.judge
        lines = self.lines.get(lab) or self.lines.setdefault(lab, judge.lines(lab))
        items: list[tuple[engine.VerdictFact, Any]] = []
        pre = self.pre[lab]
        mine = {plan.rule_id for plan in own if plan.applies_to is None or lab in plan.applies_to}
        for plan in own:
            if plan.rule_id in mine:
                items.append(judge.bar_fact(len(items), lab, plan, lines))
        for plan, before, bv in reached.values():
            if plan.rule_id in mine:
                continue
            cell = plan.cells[lab]
            if _classified(cell, bv, plan.key) == _classified(cell, before, plan.key):
                self.put(lab, _rebarred_to(pre[plan.rule_id], plan, cell, bv))
            else:
                items.append(judge.bar_fact(len(items), lab, plan, lines, bv))
        if not items and not chain:
            return 0
        verdicts, derived = judge.classify(lab, compiled, items, lines, chain)
        if chain:
            assert derived is not None
            self.derived[lab] = derived
        for verdict in verdicts:
            if verdict.rule not in pre:
                raise EngineError(f"lab {lab!r}: a verdict on rule {verdict.rule!r} it had none on before")
            self.put(lab, verdict)
        return 1

    def replace(self, lab: str, verdicts: list[Verdict]) -> None:
        """All the verdicts of a lab, judged afresh (sorted by rule)."""
        self.pre[lab] = {v.rule: v for v in verdicts}
        self.final[lab] = list(verdicts)
        self.index[lab] = {v.rule: i for i, v in enumerate(verdicts)}
        self.rescore.add(lab)

    def keep(self, lab: str, rule: str, verdict: Verdict) -> None:
        """`put` of a verdict made again with the status it had."""
        self.pre[lab][rule] = self.final[lab][self.index[lab][rule]] = verdict

    def put(self, lab: str, verdict: Verdict) -> None:
        """One verdict made again (before waivers, which `report` applies again to the pairs they name)."""
        if self.pre[lab][verdict.rule].status != verdict.status:
            self.rescore.add(lab)
        self.pre[lab][verdict.rule] = verdict
        self.final[lab][self.index[lab][verdict.rule]] = verdict

    # --- the report -----------------------------------------------------------------------------------

    def report(self, horizon: int) -> Report:
        """Waivers applied to the verdicts they name, scores of the labs whose verdicts changed, and the
        report, as `parity.evaluate` assembles it."""
        pairs = {(w.waiver.lab, w.waiver.rule) for w in self.data.waivers}
        pairs = {(lab, rule) for lab, rule in pairs if lab in self.pre and rule in self.pre[lab]}
        named = [self.pre[lab][rule] for lab, rule in sorted(pairs)]
        out, issues = waivers.apply(
            named, self.data.waivers, self.as_of, set(self.lab_ids), self.rule_ids, horizon
        )
        applied = {(v.lab, v.rule): w for v, w in zip(named, out, strict=True)}
        for lab, rule in pairs | self.named:  # a pair no longer named gets its own verdict back
            verdict = applied.get((lab, rule)) or self.pre[lab][rule]
            i = self.index[lab][rule]
            if self.final[lab][i].status != verdict.status:
                self.rescore.add(lab)
            self.final[lab][i] = verdict
        for lab in self.rescore:
            self.summaries[lab] = scores.summary(self.data, lab, self.final[lab], self.judge.reads)
        self.named, self.rescore = pairs, set()
        return Report(
            as_of=self.as_of,
            packs=self.data.packs,
            verdicts=list(itertools.chain.from_iterable(self.final[lab] for lab in self.lab_ids)),
            labs={lab: self.summaries[lab] for lab in self.lab_ids},
            derived={lab: self.derived[lab] for lab in self.lab_ids},
            waiver_issues=issues,
            rules=self.rules_info,
            indicators=self.indicators_info,
        )


def _same_place(a: Lab, b: Lab) -> bool:
    """Whether two versions of a lab's profile put every practice on the same line of the same file."""
    return bool(a.file == b.file and a.lines == b.lines and a.practices_line == b.practices_line)


def _by_lab(*per_indicator: dict[str, set[str]]) -> dict[str, set[str]]:
    """{indicator: labs} turned into {lab: indicators}, merged."""
    out: dict[str, set[str]] = {}
    for table in per_indicator:
        for name, labs in table.items():
            for lab in labs:
                out.setdefault(lab, set()).add(name)
    return out


_BAR = Verdict._fields.index("bar")
assert Verdict._fields[_BAR + 1] == "gap" and BarResult._fields[1] == "value"


def _rebarred(verdict: Verdict, bar: BarResult, gap: int | float | None) -> Verdict:
    """The verdict with its bar and its gap replaced (built directly: `_replace` costs more than the rest
    of a revision's work on a moved date)."""
    return Verdict._make((*verdict[:_BAR], bar, gap, *verdict[_BAR + 2 :]))


def _rebarred_to(verdict: Verdict, plan: _Plan, cell: Cell, bv: BarValue) -> Verdict:
    """The verdict `bar_verdict` makes of the same status for a lab whose cell is as it was, judged against
    a bar that moved: its bar (with the setters' evidence of a shortfall) and its gap are all that read the
    bar; flags read the cell and the date (`reflag` keeps them), and a ratchet's `held` needs a past,
    which incremental evaluation never has."""
    bar = cited(plan, verdict.status, _bar_result(plan.bar.kind, bv))
    gap = bar_gap(plan, cell, bv) if verdict.status in COMPARED else None
    return _rebarred(verdict, bar, gap)


def _cites(verdict: Verdict | None, setters: set[str]) -> bool:
    """Whether a shortfall cites the evidence of one of `setters` (as a lab that sets its bar)."""
    if verdict is None or verdict.status not in SHORTFALLS or not verdict.bar.evidence:
        return False
    return bool(setters.intersection(verdict.bar.set_by[:SETTER_EVIDENCE]))


def _same_rule(a: Any, b: Any) -> bool:
    return a.rule is b.rule and (a.pack, a.file, a.line, a.in_force) == (b.pack, b.file, b.line, b.in_force)


def _in_force(data: Dataset, as_of: dt.date) -> frozenset[str]:
    return frozenset(r for r, loaded in data.rules.items() if loaded.judges_on(as_of))


__all__ = ["Evaluator", "Stats"]
