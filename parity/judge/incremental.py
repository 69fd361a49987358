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
import datetime as dt
import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from parity._gc import paused_gc
from parity.dataset import Dataset, Lab, LoadedRule
from parity.errors import EngineError
from parity.judge import engine, scores, waivers
from parity.judge.bars import BarValue, Cell, Ranking, compare
from parity.judge.classify import BarFact, bar_fact, classify, judge_lab
from parity.judge.evaluation import indicators_catalog, rules_catalog
from parity.judge.replies import with_replies
from parity.judge.scope import scope
from parity.judge.tables import Moved, Plan, Tables, lab_bar
from parity.judge.verdicts import SETTER_EVIDENCE, rebar, redate, reflag
from parity.models import Bar
from parity.report import LabSummary, Location, Report, Verdict
from parity.vocabulary import SHORTFALLS, Truth, has_value, rank_k, today

Pair = tuple[str, str]  # (lab, rule)
Reached = tuple[Plan, BarValue, BarValue]  # a bar rule's plan, the lab's bar before and now


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
        data = data.at(as_of)  # a lab whose states did not change on the way is the same object
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


def _what_labs_see(ranking: Ranking, bar: Bar, absolute: bool) -> tuple[Any, ...] | None:
    """All of a ranking that the bar any lab sees can depend on (bars.Ranking.bar), or None when that is
    not worth working out (`all`, which reads every member). Equal for two rankings: no lab's bar moved.

    A lab sees the k-th best value of the others (the k+1-th when it is among the first k itself), its
    setters (the labs of that value, but itself), and how many others disclose: so the number disclosed,
    the first k+1 values with their labs and raw values, settle it (k for all n disclosed is an upper
    bound of the k a lab sees among the n or n-1 others)."""
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
    order of value and bar (docs/engine.md, "What the engine sees"). Equal before and after: the engine
    would give the same status, so the verdict is rebuilt without it."""
    if not has_value(cell.state) or not bv.binds or bv.key is None:
        return cell.state, bv.binds
    return cell.state, True, compare(key(cell.value), bv.key)


class _State:
    """One evaluation's tables and verdicts, brought up to date by `update`."""

    def __init__(self, data: Dataset, as_of: dt.date, lab_ids: list[str], rule_ids: set[str]) -> None:
        self.data, self.as_of, self.lab_ids, self.rule_ids = data, as_of, lab_ids, rule_ids
        self.in_force = _in_force(data, as_of)
        self.tables = tables = Tables(data, as_of, rule_ids)
        self.pre: dict[str, dict[str, Verdict]] = {}  # per lab, by rule: the verdicts before waivers
        self.final: dict[str, list[Verdict]] = {}  # per lab, in rule order: after waivers
        self.index: dict[str, dict[str, int]] = {}  # per lab: where each rule's verdict stands in `final`
        self.derived: dict[str, dict[str, Truth]] = {}
        self.rescore: set[str] = set()  # labs whose statuses changed since the last report
        with engine.compiled(tables.chain_rules()) as compiled:
            for lab in lab_ids:
                verdicts, self.derived[lab] = judge_lab(tables, lab, compiled)
                self.replace(lab, verdicts)
        self.lines: dict[str, dict[str, Location]] = {}
        self.summaries: dict[str, LabSummary] = {}
        self.named: set[Pair] = set()  # the (lab, rule) pairs the waivers named last time
        self.by_newest: dict[str, list[tuple[dt.date, str]]] = {}  # per indicator, labs by newest evidence
        self.rules_info = rules_catalog(data, rule_ids)
        self.indicators_info = indicators_catalog(data, self.rules_info)

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
        tags = self.tables.tags
        if any(
            frozenset(lab.profile.tags) != tags[i] for i, lab in data.labs.items() if lab is not old.labs[i]
        ):
            return False
        return _in_force(data, as_of) == self.in_force

    # --- bringing the verdicts up to date ---------------------------------------------------------------

    def update(self, data: Dataset, as_of: dt.date) -> Stats:
        """The verdicts of `data` at `as_of`: the tables carried forward (`Tables.advance`), then only the
        verdicts a change reaches made again."""
        old = self.data
        moved = self.tables.advance(data, as_of)
        self.data, self.as_of = data, as_of
        changed = moved.changed
        for lab in changed:
            self.lines.pop(lab, None)
            for name in moved.evidence:
                self.by_newest.pop(name, None)
        # A changed lab whose practices stand where they stood is judged pair by pair like the others,
        # its changed cells sent to the engine; one whose lines moved is judged whole.
        whole = {lab for lab in changed if not _same_place(old.labs[lab], data.labs[lab])}
        kept = [lab for lab in self.lab_ids if lab not in whole]
        reached: dict[str, dict[str, Reached]] = {}
        redated = 0
        for new, before in zip(self.tables.plans, moved.plans, strict=True):
            if _only_date_moved(new, before):
                redated += self.rebuild_dated(new, before, kept, changed, reached)
            else:
                self.find_reached(new, before, kept, moved.evidence, reached)
        rechain = self.chains_to_run(moved, kept) | (changed - whole)
        self.refresh_flags(moved, set(kept))
        stats = Stats(full=False, labs_changed=len(changed & set(self.lab_ids)), pairs_reached=redated)
        self.judge_reached(whole, reached, rechain, moved, stats)
        return stats

    def judge_reached(
        self,
        whole: set[str],
        reached: dict[str, dict[str, Reached]],
        rechain: set[str],
        moved: Moved,
        stats: Stats,
    ) -> None:
        """The engine sessions of the update: labs judged whole, and the reached pairs and chains of the
        others (a changed lab's own changed cells among them)."""
        tables, changed = self.tables, moved.changed
        own_names = moved.by_lab()
        plans_on: dict[str, list[Plan]] = {}
        for plan in tables.plans:
            plans_on.setdefault(plan.name, []).append(plan)
        with engine.compiled(tables.chain_rules()) as compiled:
            for lab in self.lab_ids:
                if lab in whole:
                    verdicts, self.derived[lab] = judge_lab(tables, lab, compiled)
                    self.replace(lab, verdicts)
                    stats.sessions += 1
                elif lab in reached or lab in rechain:
                    if lab not in changed:
                        stats.pairs_reached += len(reached.get(lab, ()))
                    own = [p for name in own_names.get(lab, ()) for p in plans_on.get(name, ())]
                    mine = reached.get(lab, {})
                    stats.sessions += self.judge_again(lab, compiled, mine, lab in rechain, own)
                    if lab in changed:
                        self.rescore.add(lab)

    def rebuild_dated(
        self,
        new: Plan,
        old: Plan,
        kept: list[str],
        changed: frozenset[str],
        reached: dict[str, dict[str, Reached]],
    ) -> int:
        """An absolute bar that moved only with the date: a lab whose classification reads the same keeps
        its status, and its verdict is redated (`verdicts.redate`; staleness is `refresh_flags`'). The
        others, and changed labs, are reached, for the engine. Returns the number of verdicts of unchanged
        labs made again (as Stats counts them)."""
        assert new.absolute is not None and old.absolute is not None
        now, before, key = new.absolute.key, old.absolute.key, new.key
        assert now is not None and before is not None  # an absolute bar's key is its value's
        count = 0
        for lab in kept:
            if not new.judges(lab):
                continue
            count += lab not in changed
            cell = new.cells[lab]
            if lab in changed or (
                has_value(cell.state) and compare(key(cell.value), now) != compare(key(cell.value), before)
            ):
                reached.setdefault(lab, {})[new.rule_id] = (new, old.bar_for(lab), new.bar_for(lab))
                continue
            self.set_verdict(lab, redate(self.pre[lab][new.rule_id], new, cell))
        return count

    def find_reached(
        self,
        new: Plan,
        old: Plan,
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
            if not new.judges(lab):
                continue
            before, now = old.bar_for(lab), new.bar_for(lab)
            cites = setters is not None and _cites(self.pre[lab][new.rule_id], setters)
            if cites or (moved and not _same_bar(before, now)):
                reached.setdefault(lab, {})[new.rule_id] = (new, before, now)

    def chains_to_run(self, moved: Moved, unchanged: list[str]) -> set[str]:
        """The unchanged labs whose commitments and derive rules must run again: the bar of one of their
        `meets` conditions moved, or a commitment's shortfall cites a lab whose evidence changed."""
        tables, labs = self.tables, set[str]()
        for key, before in moved.meets_bars.items():
            now = tables.meets_bars[key]
            if now[0] is before[0] and _same_bar(now[1], before[1]):
                continue
            bar = tables.meets_conditions[key].operand
            labs.update(
                lab for lab in unchanged if not _same_bar(lab_bar(before, lab, bar), lab_bar(now, lab, bar))
            )
        for rule_id, plan in tables.chain_plans.items():
            setters = moved.evidence.get(plan.name)
            if setters:
                labs.update(lab for lab in unchanged if _cites(self.pre[lab].get(rule_id), setters))
        return labs

    def refresh_flags(self, moved: Moved, unchanged: set[str]) -> None:
        """Where the date moved a rule's staleness cut-off, the flags of the unchanged labs whose newest
        evidence lies between the two cut-offs are read again."""
        tables = self.tables
        befores = [*moved.plans, *moved.chain_plans.values()]
        for new, before in zip([*tables.plans, *tables.chain_plans.values()], befores, strict=True):
            if before.stale_before is None or new.stale_before == before.stale_before:
                continue
            if new.indicator.derived or new.stale_before is None:  # a derived value is never stale
                continue
            cells = tables.cells[new.name]
            ordered = self.by_newest.get(new.name)
            if ordered is None:
                ordered = self.by_newest[new.name] = sorted(
                    (c.newest, lab) for lab, c in cells.items() if c.newest is not None
                )
            low, high = sorted((before.stale_before, new.stale_before))
            start = bisect.bisect_left(ordered, (low, ""))
            for newest, lab in itertools.islice(ordered, start, None):
                if newest >= high:
                    break
                verdict = self.pre[lab].get(new.rule_id) if lab in unchanged else None
                if verdict is not None:
                    self.set_verdict(lab, reflag(verdict, new, cells[lab]))

    def judge_again(
        self,
        lab: str,
        compiled: Any,
        reached: dict[str, Reached],
        chain: bool,
        own: list[Plan],
    ) -> int:
        """Make the reached verdicts of a lab again (and, with `chain`, its commitments and derived
        values); `own` are the bar rules on the lab's own changed cells, which go to the engine. A reached
        pair whose cell did not change and whose classification reads the same as before keeps its status
        (`verdicts.rebar`); the others, and the chain, go to the engine. Returns the number of engine
        sessions run (0 or 1)."""
        tables = self.tables
        lines = self.lines.get(lab) or self.lines.setdefault(lab, tables.lines(lab))
        facts: list[BarFact] = []
        pre = self.pre[lab]
        mine = {plan.rule_id for plan in own if plan.judges(lab)}
        facts += [bar_fact(lab, plan) for plan in own if plan.rule_id in mine]
        for plan, before, bv in reached.values():
            if plan.rule_id in mine:
                continue
            cell = plan.cells[lab]
            if _classified(cell, bv, plan.key) == _classified(cell, before, plan.key):
                self.set_verdict(lab, rebar(pre[plan.rule_id], plan, cell, bv))
            else:
                facts.append(bar_fact(lab, plan, bv))
        if not facts and not chain:
            return 0
        verdicts, derived = classify(tables, lab, compiled, facts, lines, chain)
        if chain:
            assert derived is not None
            self.derived[lab] = derived
        for verdict in verdicts:
            if verdict.rule not in pre:
                raise EngineError(f"lab {lab!r}: a verdict on rule {verdict.rule!r} it had none on before")
            self.set_verdict(lab, verdict)
        return 1

    def replace(self, lab: str, verdicts: list[Verdict]) -> None:
        """All the verdicts of a lab, judged afresh (sorted by rule)."""
        self.pre[lab] = {v.rule: v for v in verdicts}
        self.final[lab] = list(verdicts)
        self.index[lab] = {v.rule: i for i, v in enumerate(verdicts)}
        self.rescore.add(lab)

    def set_verdict(self, lab: str, verdict: Verdict) -> None:
        """One verdict made again (before waivers, which `report` applies again to the pairs they name).
        The lab's summary is of `final`: a status that differs from the one there is scored again (for a
        waived pair, `final` held the waived verdict, not `pre`'s)."""
        i = self.index[lab][verdict.rule]
        if self.final[lab][i].status != verdict.status:
            self.rescore.add(lab)
        self.pre[lab][verdict.rule] = verdict
        self.final[lab][i] = verdict

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
            self.summaries[lab] = scores.summary(self.data, lab, self.final[lab], self.tables.reads)
        self.named, self.rescore = pairs, set()
        report = Report(
            as_of=self.as_of,
            packs=self.data.packs,
            verdicts=list(itertools.chain.from_iterable(self.final[lab] for lab in self.lab_ids)),
            labs={lab: self.summaries[lab] for lab in self.lab_ids},
            derived={lab: self.derived[lab] for lab in self.lab_ids},
            waiver_issues=issues,
            rules=self.rules_info,
            indicators=self.indicators_info,
        )
        return with_replies(report, self.data)  # a pass over the result: `final` stays as judged


def _only_date_moved(new: Plan, old: Plan) -> bool:
    """Whether only an absolute bar's value moved (a `within_days` bar, with the date): every lab it
    judges then sees the same bar as before but for its value, and how many peers disclose is the same
    for every unchanged lab."""
    if new.absolute is None or old.absolute is None or _same_bar(new.absolute, old.absolute):
        return False
    return new.ranking is old.ranking or len(new.ranking.keys) == len(old.ranking.keys)


def _same_place(a: Lab, b: Lab) -> bool:
    """Whether two versions of a lab's profile put every practice on the same line of the same file."""
    return bool(a.file == b.file and a.lines == b.lines and a.practices_line == b.practices_line)


def _cites(verdict: Verdict | None, setters: set[str]) -> bool:
    """Whether a shortfall cites the evidence of one of `setters` (as a lab that sets its bar)."""
    if verdict is None or verdict.status not in SHORTFALLS or not verdict.bar.evidence:
        return False
    return bool(setters.intersection(verdict.bar.set_by[:SETTER_EVIDENCE]))


def _same_rule(a: LoadedRule, b: LoadedRule) -> bool:
    where = (a.pack, a.file, a.line, a.in_force, a.until)
    return a.rule is b.rule and where == (b.pack, b.file, b.line, b.in_force, b.until)


def _in_force(data: Dataset, as_of: dt.date) -> frozenset[str]:
    return frozenset(r for r, loaded in data.rules.items() if loaded.judges_on(as_of))


__all__ = ["Evaluator", "Stats"]
