"""The validated inputs of an evaluation: a `Dataset` of labs, indicators, rules and waivers, each with its
place in its file. `parity.load` builds one; the evaluator, the formats and the site read it.

Plain frozen dataclasses over the input models: importing this module costs nothing (the models are named
for type checkers only), so the stages that only read a Dataset do not pull in the loading stack.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from parity.vocabulary import in_force

if TYPE_CHECKING:
    from parity.models import EarlierState, Indicator, LabProfile, Practice, Rule, Waiver

DEFAULT_MAX_REVIEW_AGE = 365  # days: `--strict` wants every profile reviewed within a year


@dataclass(frozen=True)
class Lab:
    """A lab profile and where its practices stand in its file (`file` is relative to the data root).

    A practice may have a timeline (`since`, `earlier`): `at(date)` is the lab as it stood that day, each
    practice the state in force then, or absent (unassessed) before its earliest `since`."""

    profile: LabProfile
    file: str
    lines: dict[str, int]
    practices_line: int
    earlier_lines: dict[str, tuple[int, ...]] = field(default_factory=dict)  # each earlier state's line
    # The lab as of each selection of states, made once: the same selection is the same object, so that
    # incremental evaluation sees a lab whose states did not change as unchanged.
    _states: dict[tuple[int, ...], Lab] = field(default_factory=dict, compare=False, repr=False)

    @property
    def id(self) -> str:
        return self.profile.id

    @property
    def timed(self) -> tuple[str, ...]:
        """The practices that have a `since`: those whose state depends on the date."""
        return tuple(name for name, p in self.profile.practices.items() if p.since is not None)

    def at(self, as_of: dt.date) -> Lab:
        """The lab as it stood on `as_of` (itself when no practice has a timeline)."""
        timed = self.timed
        if not timed:
            return self
        practices = self.profile.practices
        selection = tuple(state_at(practices[name], as_of) for name in timed)
        found = self._states.get(selection)
        if found is None:
            found = self._states[selection] = self._resolved(dict(zip(timed, selection, strict=True)))
        return found

    def _resolved(self, chosen: dict[str, int]) -> Lab:
        """The lab with each timed practice replaced by the chosen state: 0 the current one, i the i-th
        earlier one, -1 none (absent: unassessed)."""
        practices: dict[str, Practice] = {}
        lines = dict(self.lines)
        for name, practice in self.profile.practices.items():
            index = chosen.get(name, 0)
            if index == 0:
                practices[name] = practice
            elif index > 0:
                assert practice.earlier is not None
                practices[name] = _as_practice(practice.earlier[index - 1], type(practice))
                where = self.earlier_lines.get(name, ())
                if len(where) >= index:  # the earlier state's own line, where the loader recorded it
                    lines[name] = where[index - 1]
            else:
                lines.pop(name, None)
        profile = self.profile.model_copy(update={"practices": practices})
        return Lab(profile, self.file, lines, self.practices_line)


def state_at(practice: Practice, as_of: dt.date) -> int:
    """Which state of a practice is in force at `as_of`: 0 the current one (also when it has no `since`),
    i for `earlier[i - 1]`, -1 none (before its earliest `since`: nobody recorded what it was)."""
    if practice.since is None or practice.since <= as_of:
        return 0
    for i, entry in enumerate(practice.earlier or (), start=1):
        if entry.since <= as_of:
            return i
    return -1


def _as_practice(entry: EarlierState, kind: type[Practice]) -> Practice:
    """An earlier state as the practice it was then (its `since` kept, no `earlier` of its own)."""
    fields = {name: getattr(entry, name) for name in entry.model_fields_set}
    return kind.model_construct(_fields_set=set(fields), **fields)


@dataclass(frozen=True)
class LoadedRule:
    """A rule with its pack, its place in that file, and the date from which it is in force."""

    rule: Rule
    pack: str
    file: str
    line: int
    in_force: dt.date | None = None
    until: dt.date | None = None  # the first day it no longer judges

    @property
    def subject(self) -> str | None:
        """The indicator whose verdicts the rule gives: a bar rule's, a commitment's `require`'s; None for a
        derive rule (it gives no verdict)."""
        rule = self.rule
        return rule.indicator or (rule.require.indicator if rule.require else None)

    def area(self, indicators: dict[str, Indicator]) -> str:
        """The rule's area, else its subject indicator's."""
        subject = indicators.get(self.subject) if self.subject else None
        return self.rule.area or (subject.area if subject else "")

    def judges_on(self, as_of: dt.date) -> bool:
        """Whether the rule is in force at `as_of`: in_force <= as_of < until (a derive rule always is)."""
        return in_force(self.in_force, as_of, self.until)


@dataclass(frozen=True)
class LoadedWaiver:
    """A waiver with its place in the waivers file."""

    waiver: Waiver
    file: str
    line: int


@dataclass(frozen=True)
class Dataset:
    """Everything `evaluate` needs, validated and cross-checked."""

    labs: dict[str, Lab]
    indicators: dict[str, Indicator]
    rules: dict[str, LoadedRule]
    packs: list[tuple[str, str]]
    waivers: list[LoadedWaiver] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)

    def at(self, as_of: dt.date) -> Dataset:
        """The data as it stood on `as_of`: each lab's practices the states in force that day (rules say
        themselves when they judge: `LoadedRule.judges_on`). Itself when nothing has a timeline."""
        labs = {lab_id: lab.at(as_of) for lab_id, lab in self.labs.items()}
        if all(labs[lab_id] is lab for lab_id, lab in self.labs.items()):
            return self
        return dataclasses.replace(self, labs=labs)

    def change_dates(self) -> list[dt.date]:
        """Every date on which the data says something changed: a practice's state took effect, a rule
        came into force or ended. Sorted, each once."""
        found: set[dt.date] = set()
        for lab in self.labs.values():
            for practice in lab.profile.practices.values():
                if practice.since is not None:
                    found.add(practice.since)
                found.update(entry.since for entry in practice.earlier or ())
        for loaded in self.rules.values():
            found.update(d for d in (loaded.in_force, loaded.until) if d is not None)
        return sorted(found)


@dataclass(frozen=True)
class Strict:
    """`--strict`: evidence everywhere, none dated after `as_of`, every profile reviewed recently."""

    as_of: dt.date
    max_review_age: int = DEFAULT_MAX_REVIEW_AGE
