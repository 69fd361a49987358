"""What a history is made of: the revisions that loaded and those skipped, each lab's points, the
regressions between revisions, the alarms, and each relative rule's top bar over time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from parity._version import __version__
from parity.errors import Problem
from parity.history.document import history_to_dict
from parity.history.timeline import Revision
from parity.judge import bars
from parity.models import Alarms, Evidence
from parity.report import Report


@dataclass(frozen=True)
class Skipped:
    """A revision that did not load: named, with every problem found, and left out of the timeline."""

    revision: Revision
    problems: tuple[Problem, ...]


@dataclass(frozen=True)
class Point:
    """One lab at one revision: its score and coverage overall and per pack, under which methodology."""

    revision: Revision
    score: float | None
    coverage: float | None
    packs: dict[str, float | None]
    methodology: tuple[tuple[str, str], ...]  # the packs' (id, version) the scores count
    methodology_changed: tuple[str, ...] = ()  # packs whose version differs from the lab's previous point


@dataclass(frozen=True)
class Regression:
    """One thing that got worse for one lab between a revision and the one before it."""

    lab: str
    kind: str  # one of REGRESSION_KINDS
    subject: str  # the indicator (practices) or the rule (commitments)
    before: Any
    after: Any
    severity: str
    loss: float
    revision: Revision
    previous: Revision
    methodology: bool = False  # the rule's pack changed version in the same step
    title: str = ""  # the practice's indicator title, or the rule's title: the words for `subject`
    evidence_before: tuple[Evidence, ...] = ()  # the sources of the state before (or the pledge's text)
    evidence_after: tuple[Evidence, ...] = ()  # the sources of the state after (or of the withdrawal)


@dataclass(frozen=True)
class Recorded:
    """One change the watchdog recorded between a revision and its parent, classified: `lab`, `correction`,
    `research` or `methodology` (history/recorded.py)."""

    kind: str
    lab: str | None  # None for a pack's change
    subject: str  # the practice, or the pack
    what: str  # what changed, in words
    past: dt.date | None  # a correction: the date of the state it corrects (None: a state with no date)
    revision: Revision  # when it was recorded


@dataclass(frozen=True)
class Alarm:
    """What a reader must look at: a sudden regression, a slow erosion, or a race to the bottom."""

    kind: str  # sudden, erosion, race
    subject: str  # a lab (sudden, erosion) or a rule (race)
    revision: Revision
    loss: float | None  # sudden and erosion: the losses that add up
    steps: tuple[tuple[Revision, float], ...]  # the revisions that add up, with each one's loss
    message: str
    lost: tuple[Regression, ...] = ()  # sudden and erosion: what was lost, each with its evidence


@dataclass(frozen=True)
class BarPoint:
    """A rule's top bar at one revision: the most demanding bar any lab it judges faces (each lab's own bar
    leaves that lab out; the top is the highest of them)."""

    revision: Revision
    value: Any  # None: the bar does not bind
    key: bars.Key | None
    set_by: tuple[str, ...]
    digest: str  # the rule's definition; a change here is methodology, not a race
    cause: str = ""  # when lower than the point before: peers, coverage or rule


@dataclass(frozen=True)
class Decline:
    """A relative bar that fell below its peak within the window, and the revisions on the way down."""

    rule: str
    peak: BarPoint
    low: BarPoint
    steps: tuple[BarPoint, ...]
    cause: str  # peers (their values fell or went silent), coverage (research removed), rule (redefined)
    ratchet: int | None  # the rule's ratchet window, if it has one: then its verdicts did not fall


@dataclass
class History:
    """The whole walk; `to_dict` gives the `parity/history/v1` document (docs/history.md)."""

    source: str  # the repository, "snapshots", or the data's folder (by dates)
    mode: str = "revisions"  # "dates": the labs' story by the data's dates; "revisions": the commits
    revisions: list[Revision] = field(default_factory=list)  # those that loaded, oldest first
    skipped: list[Skipped] = field(default_factory=list)
    points: dict[str, list[Point]] = field(default_factory=dict)  # by lab
    regressions: list[Regression] = field(default_factory=list)
    recorded: list[Recorded] = field(default_factory=list)  # --revisions: each change, classified
    alarms: list[Alarm] = field(default_factory=list)
    bars: dict[str, list[BarPoint]] = field(default_factory=dict)  # by rule, relative bars only
    declines: list[Decline] = field(default_factory=list)
    config: Alarms = field(default_factory=Alarms)
    as_of: dt.date | None = None  # --as-of, when it overrode the commit dates
    ratchets: dict[str, int] = field(default_factory=dict)  # rule -> its ratchet window, as last defined
    methodology: dict[Revision, tuple[tuple[str, str], ...]] = field(default_factory=dict)  # packs' versions
    last: Report | None = None  # the newest revision's report
    # What each revision was compared with: its parents that loaded (for one that did not, what it was
    # compared with in turn), the first parent first; a revision the range left out may be among them.
    parents: dict[Revision, tuple[Revision, ...]] = field(default_factory=dict)
    shallow: bool = False  # the repository is a shallow clone: its history is cut off

    def line(self, revision: Revision) -> Iterator[Revision]:
        """The revisions before `revision` on its line of first parents, nearest first: where a lab's
        previous point, or a bar's, is looked for."""
        parents = self.parents.get(revision, ())
        while parents:
            yield parents[0]
            parents = self.parents.get(parents[0], ())

    def ancestry(self) -> dict[Revision, int]:
        """Each revision's ancestors among `revisions`, as a set of their indices in bits."""
        index = {r: i for i, r in enumerate(self.revisions)}
        out: dict[Revision, int] = {}
        for revision in self.revisions:
            bits = 0
            for parent in self.parents.get(revision, ()):
                if parent in out:
                    bits |= out[parent] | (1 << index[parent])
            out[revision] = bits
        return out

    def to_dict(self) -> dict[str, Any]:
        return history_to_dict(self, __version__)

    def failing(self) -> bool:
        return bool(self.alarms)
