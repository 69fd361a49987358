"""Each relative rule's top bar over time (the most demanding bar any lab it judges faces), why it fell
when it did, and the declines from a peak within the window."""

from __future__ import annotations

import itertools
import operator
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from parity.dataset import Dataset
from parity.history.records import BarPoint, Decline, History
from parity.history.timeline import Revision
from parity.judge import bars
from parity.report import Report, Verdict
from parity.vocabulary import RELATIVE_BARS, window_start

# --- bars over time ----------------------------------------------------------------------------------------


class TopBars:
    """Each relative rule's top bar at each revision: the most demanding bar among its verdicts (for
    `best`, the best competitor's value; for a quorum of k, the k-th best), so it is computed where every
    bar is. Between revisions judged alike (the same labs and rules), only the rules with a verdict that is
    not the very object of the revision before are looked at again: incremental evaluation keeps those."""

    def __init__(self) -> None:
        self.verdicts: list[Verdict] = []
        self.scope: tuple[Any, ...] = ()
        self.by_rule: dict[str, list[int]] = {}
        self.best: dict[str, tuple[bars.Key, Any, tuple[str, ...], int]] = {}  # and the verdict's index
        self.keys: dict[str, Callable[[Any], bars.Key]] = {}
        self.points: dict[str, dict[Revision, BarPoint]] = {}  # each rule's point at each revision

    def update(self, data: Dataset, report: Report) -> dict[str, tuple[bars.Key, Any, tuple[str, ...]]]:
        verdicts = report.verdicts
        scope = (tuple(report.labs), tuple(report.rules), len(verdicts))
        self.keys = {name: bars.key_function(ind) for name, ind in data.indicators.items()}
        if scope != self.scope:
            self.scope, self.by_rule, self.best = scope, {}, {}
            for i, v in enumerate(verdicts):
                self.by_rule.setdefault(v.rule, []).append(i)
            self.verdicts = verdicts
            for rule in self.by_rule:
                self.rescan(rule)
            return self.answer()
        changed: dict[str, list[int]] = {}
        # The positions whose verdict is not the object it was, found in C: a revision changes a few
        # hundred of tens of thousands.
        for i in itertools.compress(itertools.count(), map(operator.is_not, verdicts, self.verdicts)):
            changed.setdefault(verdicts[i].rule, []).append(i)
        self.verdicts = verdicts
        for rule, indices in changed.items():
            held = self.best.get(rule)
            if held is not None and held[3] in indices:
                self.rescan(rule)  # the verdict that held the bar changed: look at them all again
                continue
            for i in indices:
                self.consider(rule, i)
        return self.answer()

    def key(self, i: int) -> bars.Key | None:
        v = self.verdicts[i]
        if v.bar.value is None or v.bar.kind not in RELATIVE_BARS:
            return None
        return self.keys[v.indicator](v.bar.value)

    def consider(self, rule: str, i: int) -> None:
        """The first verdict (in report order) with the highest bar holds it, as a full scan would find."""
        key = self.key(i)
        if key is None:
            return
        held = self.best.get(rule)
        if held is None or key > held[0] or (key == held[0] and i < held[3]):
            bar = self.verdicts[i].bar
            self.best[rule] = (key, bar.value, bar.set_by, i)

    def rescan(self, rule: str) -> None:
        self.best.pop(rule, None)
        for i in self.by_rule.get(rule, ()):
            self.consider(rule, i)

    def answer(self) -> dict[str, tuple[bars.Key, Any, tuple[str, ...]]]:
        return {rule: held[:3] for rule, held in self.best.items()}


def bar_points(
    history: History, top_bars: TopBars, revision: Revision, data: Dataset, report: Report
) -> None:
    """Each relative rule's top bar at this revision, and why it is lower than before, if it is."""
    best = top_bars.update(data, report)
    for rule_id, loaded in sorted(data.rules.items()):
        rule = loaded.rule
        if rule.bar is None or rule.bar.kind not in RELATIVE_BARS:
            continue
        if rule.ratchet is not None:
            history.ratchets[rule_id] = rule.ratchet
        else:
            history.ratchets.pop(rule_id, None)
        top: bars.Key | None
        top, value, set_by = best.get(rule_id, (None, None, ()))
        digest = report.rules[rule_id].digest if rule_id in report.rules else ""
        at = top_bars.points.setdefault(rule_id, {})
        before = next((at[r] for r in history.line(revision) if r in at), None)  # its parent's point
        cause = ""
        if before is not None and key_of(top) < key_of(before.key):
            cause = _why_lower(before, digest, data, rule.indicator or "")
        point = at[revision] = BarPoint(revision, value, top, set_by, digest, cause)
        history.bars.setdefault(rule_id, []).append(point)


def _why_lower(before: BarPoint, digest: str, data: Dataset, indicator: str) -> str:
    """Why a bar is lower than at the point before: the rule was redefined; or every lab that set it is now
    unassessed or gone (research removed: coverage); or a setter's value fell or went silent (peers)."""
    if digest != before.digest:
        return "rule"
    for lab in before.set_by:
        held = data.labs.get(lab)
        practice = held.profile.practices.get(indicator) if held else None
        if practice is not None:
            return "peers"
    return "coverage"


def key_of(key: bars.Key | None) -> float:
    return float("-inf") if key is None else float(key)


@dataclass
class _Falling:
    """A decline under way: the peak it fell from, and the points on the way down, lowest last."""

    peak: BarPoint
    steps: list[BarPoint]


def declines(
    rule: str,
    series: Sequence[BarPoint],
    window: int,
    ratchet: int | None,
    history: History,
    ancestry: dict[Revision, int],
) -> Iterator[Decline]:
    """Each time the bar falls below the highest it stood within the window before, on its own line of
    history (its ancestors, not a branch beside it): from that peak down to the lowest point, until it is
    back at the peak. A revision continues the decline its parent is in (a merge, the first of its parents
    that is in one), so a branch merged back does not start the same decline again. `ancestry` is
    `history.ancestry()`."""
    index = {r: i for i, r in enumerate(history.revisions)}
    at = {p.revision: p for p in series}
    falling: dict[Revision, _Falling] = {}
    found: list[_Falling] = []
    for i, point in enumerate(series):
        revision = point.revision
        heads = (next((r for r in (p, *history.line(p)) if r in at), None) for p in history.parents[revision])
        carried = next((falling[r] for r in heads if r in falling), None)
        if carried is not None and key_of(point.key) < key_of(carried.peak.key):
            if key_of(point.key) < key_of(carried.steps[-1].key):
                carried.steps.append(point)
            falling[revision] = carried
            continue
        start = window_start(revision.date, window)
        mine = ancestry[revision]
        earlier = [p for p in series[:i] if p.revision.date >= start and mine >> index[p.revision] & 1]
        top = max(earlier, key=lambda p: key_of(p.key), default=None)  # max keeps the earliest of equals
        if top is not None and key_of(point.key) < key_of(top.key):
            falling[revision] = _Falling(top, [point])
            found.append(falling[revision])
    for decline in found:
        yield decline_of(rule, decline.peak, decline.steps, ratchet)


def decline_of(rule: str, peak: BarPoint, steps: list[BarPoint], ratchet: int | None) -> Decline:
    causes = {p.cause for p in steps}
    cause = "rule" if "rule" in causes else "peers" if "peers" in causes else "coverage"
    return Decline(rule, peak, steps[-1], tuple(steps), cause, ratchet)
