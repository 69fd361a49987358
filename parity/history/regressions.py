"""What got worse between two revisions that load, for each lab: a practice worse, a level lowered, a value
turned unknown or not applicable, research removed, a lab's own commitment removed or weakened; each with
its loss (the kind's weight times the severity of the rules that read it)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from parity.dataset import Dataset
from parity.history.records import Regression
from parity.history.timeline import Revision
from parity.judge import bars
from parity.models import REGRESSION_KINDS, Alarms, Bar, Indicator, Peers, RegressionKind, Rule, Severity
from parity.report import Report, changed_packs
from parity.vocabulary import (
    NOT_APPLICABLE,
    RELATIVE_BARS,
    STATE_NAMES,
    UNASSESSED,
    UNDISCLOSED,
    has_value,
    severity_rank,
    show,
)

Side = tuple[Revision, Dataset, Report]


def changes(before: Side, after: Side, config: Alarms, *, by_dates: bool = False) -> list[Regression]:
    """Every regression from one side to the next, by lab, then kind, then subject. Between two dates of
    the data's own timelines (`by_dates`), a rule that ends is the labs' loss only where it says they
    withdrew it; between two revisions, a lab's own commitment removed or weakened is reported."""
    step = _Step(before, after, config)
    found = [*step.practices(), *(step.withdrawn() if by_dates else step.commitments())]
    return sorted(found, key=lambda r: (r.lab, REGRESSION_KINDS.index(r.kind), r.subject))


class _Step:
    """One step: the two sides, and the severity at which each lab's practices are read."""

    def __init__(self, before: Side, after: Side, config: Alarms) -> None:
        self.previous, old, self.old_report = before
        self.revision, new, self.new_report = after
        self.old, self.new = old.at(self.previous.date), new.at(self.revision.date)  # as they stood then
        self.config = config
        self.severity = _Severities(self.new, self.revision.date, self.old, self.previous.date)
        self.repacked = set(changed_packs(self.old.packs, self.new.packs))

    def regression(
        self, lab: str, kind: RegressionKind, subject: str, before: Any, after: Any, **kw: Any
    ) -> Regression:
        severity: Severity = kw.pop("severity", None) or self.severity.of(lab, subject)
        steps = kw.pop("steps", 1)
        loss = self.config.weights[kind] * self.config.severity_weights[severity] * steps
        return Regression(
            lab, kind, subject, before, after, severity, loss, self.revision, self.previous, **kw
        )

    def practices(self) -> Iterator[Regression]:
        for lab_id in sorted(self.old.labs.keys() & self.new.labs.keys()):
            old, new = self.old.labs[lab_id].profile, self.new.labs[lab_id].profile
            if old is new or old.practices == new.practices:
                continue
            for name in sorted(old.practices.keys() | new.practices.keys()):
                indicator = self.new.indicators.get(name)
                if indicator is None or indicator != self.old.indicators.get(name):
                    continue  # a redefined indicator is a change of methodology, not of the lab
                a, b = bars.cell_of(old.practices.get(name)), bars.cell_of(new.practices.get(name))
                found = self.practice(lab_id, name, indicator, a, b)
                if found is not None:
                    yield found

    def practice(
        self, lab: str, name: str, indicator: Indicator, a: bars.Cell, b: bars.Cell
    ) -> Regression | None:
        kind, steps = _worse(indicator, a, b)
        if kind is None:
            return None
        return self.regression(
            lab, kind, name, _shown(a), _shown(b), steps=steps,
            title=indicator.title, evidence_before=a.evidence, evidence_after=b.evidence,
        )  # fmt: skip

    def commitments(self) -> Iterator[Regression]:
        """A lab's own commitments: rules whose `applies_to` names labs. Rules for every lab (or a tag) are
        the watchdog's methodology, reported as the pack's change, not as any one lab's loss."""
        for rule_id, loaded in sorted(self.old.rules.items()):
            rule = loaded.rule
            if rule.kind == "derive" or not isinstance(rule.applies_to, list):
                continue
            methodology = loaded.pack in self.repacked
            later = self.new.rules.get(rule_id)
            words = {"title": rule.title or rule_id, "evidence_before": tuple(rule.source or ())}
            for lab in sorted(set(rule.applies_to) & self.new.labs.keys()):
                severity = rule.severity or "info"
                if later is None or not later.rule.selects(lab, frozenset(self.new.labs[lab].profile.tags)):
                    yield self.regression(
                        lab, "commitment_removed", rule_id, "in force", "removed",
                        severity=severity, methodology=methodology, **words,
                    )  # fmt: skip
                    continue
                weaker = _weakened(rule, later.rule, loaded.in_force, later.in_force, _Peers(self.new, lab))
                if weaker is not None:
                    yield self.regression(
                        lab, "commitment_weakened", rule_id, weaker[0], weaker[1],
                        severity=severity, methodology=methodology,
                        evidence_after=tuple(later.rule.source or ()), **words,
                    )  # fmt: skip

    def withdrawn(self) -> Iterator[Regression]:
        """Pledges that stopped judging on this date because the labs they bind withdrew them (`withdrawn`):
        each lab's `commitment_withdrawn`, citing the pledge's text and the withdrawal. A rule that ends
        without `withdrawn` (a repeal, a retired reading) is nobody's loss."""
        before, now = self.previous.date, self.revision.date
        for rule_id, loaded in sorted(self.new.rules.items()):
            rule = loaded.rule
            if rule.withdrawn is None or rule.kind == "derive":
                continue
            if not loaded.judges_on(before) or loaded.judges_on(now):
                continue
            for lab_id, lab in sorted(self.new.labs.items()):
                if rule.selects(lab_id, frozenset(lab.profile.tags)):
                    yield self.regression(
                        lab_id, "commitment_withdrawn", rule_id, "in force", "withdrawn",
                        severity=rule.severity or "info", title=rule.title or rule_id,
                        evidence_before=tuple(rule.source or ()), evidence_after=tuple(rule.withdrawn),
                    )  # fmt: skip


def _worse(indicator: Indicator, a: bars.Cell, b: bars.Cell) -> tuple[RegressionKind | None, int]:
    """What kind of regression going from `a` to `b` is (None: none), and how many levels it fell."""
    if has_value(a.state) and has_value(b.state):
        key = bars.key_function(indicator)
        if key(b.value) >= key(a.value):
            return None, 1
        if indicator.type == "level":
            return "level_lowered", int(key(a.value) - key(b.value))
        return "worse", 1
    if has_value(a.state) and b.state == UNDISCLOSED:
        return "undisclosed", 1
    if a.state >= UNDISCLOSED and b.state == NOT_APPLICABLE:  # a value, or silence
        return "not_applicable", 1
    if a.state >= UNDISCLOSED and b.state == UNASSESSED:
        return "coverage_lost", 1
    return None, 1


def _shown(cell: bars.Cell) -> Any:
    """A practice as a regression names it: its value, `unknown`, or its state."""
    if has_value(cell.state):
        return cell.value
    name = STATE_NAMES[cell.state]
    return {"undisclosed": "unknown"}.get(name, name)


def described(r: Regression) -> str:
    """A regression in words a reader can quote: what was lost, from what to what."""
    title, before, after = r.title or r.subject, show(r.before), show(r.after)
    pledge = f"its pledge \u201c{title}\u201d ({r.subject})"
    words = {
        "worse": f"{title} got worse, from {before} to {after}",
        "level_lowered": f"{title} lowered from {before} to {after}",
        "undisclosed": f"{title} no longer disclosed (it was {before})",
        "not_applicable": f"{title} now said not to apply (it was {before})",
        "coverage_lost": f"{title} no longer recorded by the watchdog (it was {before})",
        "commitment_withdrawn": f"withdrew {pledge}",
        "commitment_removed": f"{pledge} was removed from the rules",
        "commitment_weakened": f"{pledge} weakened from {before} to {after}",
    }
    return words.get(r.kind, f"{title}: {r.kind}, from {before} to {after}")


class _Severities:
    """The severity at which a lab's practice is read: the highest of the rules in force on either side of
    the step that judge the lab and read the practice. Asked only for practices that regressed."""

    def __init__(self, new: Dataset, new_date: dt.date, old: Dataset, old_date: dt.date) -> None:
        self.sides = [(new, new_date), (old, old_date)]
        self.readers: list[dict[str, list[Rule]]] = []
        for data, date in self.sides:
            readers: dict[str, list[Rule]] = {}
            for loaded in data.rules.values():
                if loaded.rule.kind != "derive" and loaded.judges_on(date):
                    for name in loaded.rule.reads():
                        readers.setdefault(name, []).append(loaded.rule)
            self.readers.append(readers)

    def of(self, lab: str, indicator: str) -> Severity:
        found: Severity = "info"
        for (data, _), readers in zip(self.sides, self.readers, strict=True):
            held = data.labs.get(lab)
            tags = frozenset(held.profile.tags) if held else frozenset()
            for rule in readers.get(indicator, ()):
                if severity_rank(rule.severity) > severity_rank(found) and rule.selects(lab, tags):
                    found = rule.severity or found
        return found


@dataclass(frozen=True)
class _Peers:
    """The data at hand and the lab a pledge binds: what a rule's bar is for that lab is computed on it, by
    the code that computes every bar (`bars.Ranking`), so two bars are compared as the lab faces them."""

    data: Dataset
    lab: str

    def bar(self, indicator: str, bar: Bar, peers: Peers | None) -> bars.BarValue:
        data = self.data
        key = bars.key_function(data.indicators[indicator])
        tags = {lab_id: frozenset(lab.profile.tags) for lab_id, lab in data.labs.items()}
        cells = {
            lab_id: bars.cell_of(lab.profile.practices.get(indicator)) for lab_id, lab in data.labs.items()
        }
        return bars.Ranking(bars.select_peers(tags, peers), cells, key).bar(self.lab, bar)


def _weakened(
    old: Rule,
    new: Rule,
    old_in_force: dt.date | None,
    new_in_force: dt.date | None,
    at_hand: _Peers,
) -> tuple[str, str] | None:
    """(before, after) in words when the rule now asks less of the lab it judges, else None."""
    indicators = at_hand.data.indicators
    if severity_rank(new.severity) < severity_rank(old.severity):
        return f"severity {old.severity}", f"severity {new.severity}"
    if new_in_force and (old_in_force is None or new_in_force > old_in_force):
        return f"in force {old_in_force or 'always'}", f"in force {new_in_force}"
    if old.bar is not None and new.bar is not None and old.indicator == new.indicator:
        name = old.indicator or ""
        if _weaker_bar(old.bar, new.bar, name, at_hand, (old.peers, new.peers)):
            return old.bar.describe(), new.bar.describe()
    if old.require is not None and new.require is not None and old.when == new.when:
        a, b = old.require, new.require
        same = a.indicator == b.indicator
        if same and a.meets and b.meets and _weaker_bar(a.meets, b.meets, a.indicator, at_hand, (None, None)):
            return f"meets {a.meets.describe()}", f"meets {b.meets.describe()}"
        indicator = indicators.get(a.indicator)
        for op in ("at_least", "at_most"):
            x, y = getattr(a, op), getattr(b, op)
            if a.indicator == b.indicator and x is not None and y is not None and indicator is not None:
                key = bars.key_function(indicator)
                kx, ky = key(indicator.coerce(x)[0]), key(indicator.coerce(y)[0])
                if (ky < kx) if op == "at_least" else (ky > kx):
                    return f"{op} {x}", f"{op} {y}"
    return None


def _weaker_bar(
    old: Bar, new: Bar, name: str, at_hand: _Peers, peers: tuple[Peers | None, Peers | None]
) -> bool:
    """Whether the lab faces a lower bar under `new` than under `old`. Relative bars are computed on the
    data at hand, each with its own peers: `best` and `{quorum: 1}` are the same bar, and with 12 peers
    disclosing the median (the 6th best) asks more than `{quorum: 10}`. A bar that binds no longer is
    lower; one that did not bind before cannot have been lowered."""
    indicator = at_hand.data.indicators.get(name)
    if indicator is None:
        return False
    if old.kind in RELATIVE_BARS and new.kind in RELATIVE_BARS:
        before, after = at_hand.bar(name, old, peers[0]), at_hand.bar(name, new, peers[1])
        if not before.binds or before.key is None:
            return False
        return not after.binds or after.key is None or after.key < before.key
    if old.kind == new.kind == "within_days":
        return bool(new.value > old.value)
    if old.kind == new.kind == "threshold":
        key = bars.key_function(indicator)
        return bool(key(indicator.coerce(new.value)[0]) < key(indicator.coerce(old.value)[0]))
    return False
