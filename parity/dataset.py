"""The validated inputs of an evaluation: a `Dataset` of labs, indicators, rules and waivers, each with its
place in its file. `parity.load` builds one; the evaluator, the formats and the site read it.

Plain frozen dataclasses over the input models: importing this module costs nothing (the models are named
for type checkers only), so the stages that only read a Dataset do not pull in the loading stack.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from parity.vocabulary import in_force

if TYPE_CHECKING:
    from parity.models import Indicator, LabProfile, Rule, Waiver

DEFAULT_MAX_REVIEW_AGE = 365  # days: `--strict` wants every profile reviewed within a year


@dataclass(frozen=True)
class Lab:
    """A lab profile and where its practices stand in its file (`file` is relative to the data root)."""

    profile: LabProfile
    file: str
    lines: dict[str, int]
    practices_line: int

    @property
    def id(self) -> str:
        return self.profile.id


@dataclass(frozen=True)
class LoadedRule:
    """A rule with its pack, its place in that file, and the date from which it is in force."""

    rule: Rule
    pack: str
    file: str
    line: int
    in_force: dt.date | None = None

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
        """Whether the rule is in force at `as_of` (a derive rule always is)."""
        return in_force(self.in_force, as_of)


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


@dataclass(frozen=True)
class Strict:
    """`--strict`: evidence everywhere, none dated after `as_of`, every profile reviewed recently."""

    as_of: dt.date
    max_review_age: int = DEFAULT_MAX_REVIEW_AGE
