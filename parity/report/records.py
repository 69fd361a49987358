"""The records an evaluation's results are made of: verdicts and their bars, lab summaries, waiver notes and
statuses, what a validation found, and the report's own catalog of rules and indicators.

Nothing here imports the engine, so reading or rendering a report never loads durable_rules. Result records
are named tuples: immutable, typed, and several times cheaper to create than frozen dataclasses, which
matters at 200,000 verdicts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

from parity.errors import Problem
from parity.models import Evidence, Response
from parity.vocabulary import (
    FAIL_ON,
    SCORED,
    SHORTFALLS,
    STATUSES,
    Severity,
    Shortfall,
    State,
    Status,
    Truth,
)

__all__ = [
    "FAIL_ON",
    "SCORED",
    "SHORTFALLS",
    "STATUSES",
    "BarResult",
    "ConditionNote",
    "IndicatorInfo",
    "LabSummary",
    "Location",
    "RuleInfo",
    "Shortfall",
    "SourceNote",
    "State",
    "Status",
    "Truth",
    "Validation",
    "Verdict",
    "WaiverIssue",
    "WaiverNote",
    "WaiverStatus",
    "changed_packs",
]


class BarResult(NamedTuple):
    """The bar a verdict was judged against, and who sets it (or, for `all`, who keeps it from binding)."""

    kind: str
    value: Any
    set_by: tuple[str, ...] = ()
    set_by_count: int = 0
    peers_disclosed: int = 0
    # `all` bars only (None otherwise): the peers that are not disclosed, and why (each one's state).
    blocked_by: tuple[str, ...] | None = None
    blocked_by_count: int = 0
    blocked_states: tuple[State, ...] = ()
    # For shortfalls only: the evidence of each listed setter, so an accusation cites both sides.
    evidence: tuple[tuple[str, tuple[Evidence, ...]], ...] = ()


class ConditionNote(NamedTuple):
    """One `when` condition of a commitment, as it stood for the lab: whether it held, on what value and
    evidence (and, for a `meets` condition, against which bar); a derived indicator says which rule
    derived it and from what, so a reader sees why a pledge did or did not bind."""

    indicator: str
    condition: str  # the condition in words: "is_capability_leader equals true"
    holds: Truth
    state: State
    value: Any
    evidence: tuple[Evidence, ...] = ()
    bar: BarResult | None = None  # a `meets` condition's bar
    derived_by: str | None = None  # the derive rule of a derived indicator
    derived_from: tuple[ConditionNote, ...] = ()  # that rule's own conditions, for this lab
    of: str = "all"  # the list it belongs to: `all` (every one must hold) or `any`


class Location(NamedTuple):
    """Where a verdict's practice stands: a file relative to the data root, and a line."""

    file: str
    line: int


class WaiverNote(NamedTuple):
    """The waiver that turned a shortfall into `waived`; `underlying` is the status it covers."""

    underlying: Shortfall
    reason: str
    expires: dt.date
    location: Location


# The flag a verdict gets when evidence it cites no longer stands as cited (docs/sources.md).
SOURCE_FLAGS: dict[str, str] = {"drifted": "source_drifted", "gone": "source_gone"}


class SourceNote(NamedTuple):
    """What the source record (`parity sources`, docs/sources.md) says of a URL whose evidence no longer
    stands as cited: `gone` (404 or 410: every piece of evidence at it), or `drifted` (the page is there, but
    the quotes in `missing` are not, each with the closest passage found). `checked` is the day parity
    looked. `check` reads it from the record, never from the network."""

    status: Literal["drifted", "gone"]
    checked: dt.date
    missing: tuple[tuple[str, str | None], ...] = ()  # (quote as the evidence gives it, closest passage)

    def closest(self, e: Evidence) -> str | None:
        """The closest passage found for `e`'s quote, if it drifted."""
        return next((c for q, c in self.missing if q == e.quote), None)

    def marks(self, e: Evidence) -> bool:
        """Whether `e` (cited at this URL) no longer stands: its page is gone, or its quote drifted."""
        return self.status == "gone" or (e.quote is not None and any(q == e.quote for q, _ in self.missing))


class Verdict(NamedTuple):
    """One (lab, rule) pair's status, with everything needed to check it by hand."""

    lab: str
    rule: str
    title: str
    pack: str
    indicator: str
    area: str
    severity: Severity
    status: Status
    state: State
    value: Any
    bar: BarResult
    gap: int | float | None
    flags: tuple[str, ...]
    evidence: tuple[Evidence, ...]
    location: Location
    waiver: WaiverNote | None = None
    # `within_days` bars only: the last day the value meets the bar (value + days); the next day it is below.
    due: dt.date | None = None
    # The lab's answers to this finding (its right of reply) as they stood at the evaluation date.
    responses: tuple[Response, ...] = ()
    # Commitments only: each `when` condition, whether it held and on what (why the pledge binds or not).
    conditions: tuple[ConditionNote, ...] = ()

    def overdue(self, as_of: dt.date) -> int | None:
        """How many days past `due` the value is at `as_of` (None when not due yet, or no due)."""
        if self.due is None or self.due >= as_of:
            return None
        return (as_of - self.due).days


@dataclass(frozen=True)
class LabSummary:
    """A lab's score and coverage, overall, per area and per pack, and its verdict counts."""

    name: str
    score: float | None
    coverage: float | None
    areas: dict[str, float | None]
    packs: dict[str, float | None]
    pack_coverage: dict[str, float | None]
    unassessed: tuple[str, ...]
    counts: dict[str, int]
    responses: tuple[Response, ...] = ()  # every response of the lab at the evaluation date, oldest first


@dataclass(frozen=True)
class WaiverIssue:
    """A waiver that did not apply: expired, or covering no shortfall."""

    rule: str
    lab: str
    expires: dt.date
    location: Location
    problem: str


class WaiverStatus(NamedTuple):
    """A waiver and where it stands at the evaluation date: `active` (covering a shortfall), or the problem
    that kept it from applying (expired, matches no shortfall, beyond the horizon)."""

    rule: str
    lab: str
    expires: dt.date
    days_left: int
    status: str
    reason: str
    location: Location


@dataclass(frozen=True)
class Validation:
    """What `parity validate` found: how much a valid load holds, or every problem of one that failed."""

    strict: bool
    labs: int = 0
    rules: int = 0
    packs: int = 0
    waivers: int = 0
    problems: tuple[Problem, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems


class RuleInfo(NamedTuple):
    """What a reader of a report needs to know of a rule, so that a saved report renders on its own."""

    title: str
    pack: str
    kind: str
    area: str
    severity: str | None
    indicator: str | None  # a bar rule's indicator; a commitment's `require` indicator; None for derive
    checks: str  # what it checks, in one short phrase
    rationale: str | None
    location: Location
    digest: str = ""  # changes whenever the rule's definition does (compared by `diff`)
    source: tuple[Evidence, ...] = ()  # the text the rule encodes: a pledge, a law's section, a measure
    until: dt.date | None = None  # the first day it no longer judges
    withdrawn: tuple[Evidence, ...] = ()  # the labs it applies to withdrew it
    page: str | None = None  # the rule's page on the published scorecard (`--site-url`)


class IndicatorInfo(NamedTuple):
    """What a reader needs to know of an indicator: what it is, and how its values are written."""

    title: str
    area: str
    type: str
    unit: str | None = None
    levels: tuple[str, ...] | None = None


def changed_packs(before: list[tuple[str, str]], after: list[tuple[str, str]]) -> tuple[str, ...]:
    """The packs, sorted, whose version differs between two lists of (pack, version), one side's only
    included: a change of methodology."""
    a, b = dict(before), dict(after)
    return tuple(sorted(p for p in a.keys() | b.keys() if a.get(p) != b.get(p)))
