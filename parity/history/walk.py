"""The walk: every revision of the timeline loaded and evaluated in turn, oldest first; for each, the labs'
points, the top bars, and the regressions since the revision before. A revision that does not load is
reported with its problems and skipped."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import functools
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from parity._gc import paused_walk
from parity.errors import LoadError, Problem, UsageError
from parity.history import timeline
from parity.history.alarms import erosion, races
from parity.history.bar_series import TopBars, bar_points
from parity.history.dates import held_from_timelines, timed
from parity.history.recorded import recorded
from parity.history.records import History, Point, Regression, Skipped
from parity.history.regressions import Side, changes
from parity.history.timeline import Revision, Timeline
from parity.judge import ratchet
from parity.judge.ratchet import Held
from parity.loading import Dataset, RevisionLoader, load
from parity.loading.cache import ParseCache
from parity.models import Alarms
from parity.report import Report, changed_packs
from parity.vocabulary import window_start

# --- the walk ----------------------------------------------------------------------------------------------

Evaluate = Callable[[Dataset, dt.date, Held], Report]


@dataclass(frozen=True)
class Source:
    """Where the revisions are read from, and the data's paths (relative to the repository's top)."""

    repo: Path | None
    profiles: str = "lab_profiles"
    rules: str = "rules"
    waivers: str | None = "waivers.yaml"
    cache: ParseCache | None = None  # one cache for the whole walk: unchanged files give the same objects
    revisions: RevisionLoader | None = None  # set by `opened`

    @functools.cache  # noqa: B019 (one Source per walk)
    def has_waivers(self) -> bool:
        """Whether any commit ever held the waivers file: if none did, no revision is asked (two git calls
        a revision saved)."""
        return bool(self.waivers and self.repo and timeline.ever(self.repo, self.waivers))

    def load(self, revision: Revision) -> Dataset:
        if revision.folder is not None:
            root = revision.folder
            file = root / self.waivers if self.waivers else None
            waivers_file = file if file and file.exists() else None
            return load(root / self.profiles, root / self.rules, waivers_file, cache=self.cache)
        assert self.revisions is not None and revision.commit is not None
        waivers = self.waivers if self.has_waivers() else None
        # A revision from before the waivers file existed is read without one.
        return self.revisions.load(revision.commit, waivers, waivers_optional=True)

    @contextlib.contextmanager
    def opened(self) -> Iterator[Source]:
        """This source with one RevisionLoader for the whole walk (its git processes ended after it)."""
        if self.repo is None:
            yield self
            return
        with RevisionLoader(self.repo, self.profiles, self.rules, cache=self.cache) as revisions:
            yield dataclasses.replace(self, revisions=revisions)


def loaded(
    source: Source, revisions: Iterable[Revision]
) -> Iterator[tuple[Revision, Dataset | None, tuple[Problem, ...]]]:
    """Each revision with its data, or with the problems that kept it from loading."""
    for revision in revisions:
        try:
            yield revision, source.load(revision), ()
        except LoadError as e:
            yield revision, None, tuple(_named(p, revision) for p in e.problems)


def _named(problem: Problem, revision: Revision) -> Problem:
    """A problem of a commit names its file `SHORT:path`, as the revision is named in the output."""
    if revision.commit and problem.file.startswith(revision.commit + ":"):
        return dataclasses.replace(problem, file=revision.ref + problem.file[len(revision.commit) :])
    return problem


def walk(
    source: Source,
    timeline: Timeline,
    evaluate: Evaluate,
    config: Alarms | None = None,
    as_of: dt.date | None = None,
    label: str | None = None,
) -> History:
    """Evaluate every revision that loads, parents before children, and find what got worse: each revision
    against its parent (docs/history.md, "What is compared"). `label` names the source in the output."""
    default = "snapshots" if source.repo is None else "."
    history = History(label or default, config=config or Alarms(), as_of=as_of)
    held = Held()  # what each lab disclosed so far, for ratcheted bars: the walk is the repository's history
    top_bars = TopBars()  # kept from one revision to the next: only changed verdicts are looked at again
    compared = _Compared(timeline)
    points: dict[str, dict[Revision, Point]] = {}  # each lab's point at each revision, to find its previous
    with paused_walk() as step:
        for revision, data, problems in loaded(source, [*timeline.bases, *timeline.revisions]):
            step()
            if data is None:
                if not compared.only_a_base(revision):
                    history.skipped.append(Skipped(revision, problems))
                compared.done(revision, None)
                continue
            ratchet.record(held, revision.committed or revision.date, data)
            report = evaluate(data, revision.date, held)
            side = (revision, data, report)
            if not compared.only_a_base(revision):
                before = compared.bases(revision)
                history.parents[revision] = tuple(b[0] for b in before)
                history.revisions.append(revision)
                methodology = history.methodology[revision] = tuple(sorted(report.packs))
                _points(history, points, revision, report, methodology)
                bar_points(history, top_bars, revision, data, report)
                if before:
                    changed = recorded(before[0][1], data, revision)
                    history.recorded.extend(changed)
                    lab_changes = {(r.lab, r.subject) for r in changed if r.kind == "lab"}
                    history.regressions.extend(
                        r for r in _regressions(before, side, history.config) if _the_labs(r, lab_changes)
                    )
                history.last = report
            compared.done(revision, side)
    history.alarms = [*erosion(history), *races(history)]
    return history


def _the_labs(r: Regression, lab_changes: set[tuple[str | None, str]]) -> bool:
    """Whether a regression is the lab's: a practice that got worse by a change classified `lab` (not the
    watchdog's correction of the past, nor research), or a commitment's (methodology, marked as such)."""
    return r.kind.startswith("commitment_") or (r.lab, r.subject) in lab_changes


def _regressions(bases: Sequence[Side], side: Side, config: Alarms) -> list[Regression]:
    """What got worse from a revision's parent to it. A merge counts only what it is worse at than every
    parent: a change it brings from a branch was counted on that branch, at the commit that made it."""
    if not bases:
        return []
    found = changes(bases[0], side, config)
    for other in bases[1:]:
        also = {(r.lab, r.kind, r.subject) for r in changes(other, side, config)}
        found = [r for r in found if (r.lab, r.kind, r.subject) in also]
    return found


class _Compared:
    """The loaded revisions that a revision still to walk is compared with, each kept (data and report)
    only until the last of its children is walked; and, for a revision that did not load, the loaded one
    its children are compared with instead (its own first parent's)."""

    def __init__(self, timeline: Timeline) -> None:
        self.pending = Counter(p for r in timeline.revisions for p in r.parents)  # children not yet walked
        self.sides: dict[str, Side] = {}
        self.instead: dict[str, str] = {}  # a revision's key -> the key of the loaded one that stands for it
        self.holders: Counter[str] = Counter()  # how many keys each kept side stands for
        self.bases_only = {r.key for r in timeline.bases}

    def only_a_base(self, revision: Revision) -> bool:
        """Whether `revision` is outside the range, walked only for its children to be compared with."""
        return revision.key in self.bases_only

    def bases(self, revision: Revision) -> list[Side]:
        """What `revision` is compared with: each parent's stand-in, the first parent's first, once each."""
        keys = dict.fromkeys(self.instead[p] for p in revision.parents if p in self.instead)
        return [self.sides[k] for k in keys]

    def done(self, revision: Revision, side: Side | None) -> None:
        """`revision` walked (`side` None: it did not load); let go of what no revision to come needs."""
        key = revision.key
        stand = (
            key
            if side is not None
            else next((self.instead[p] for p in revision.parents if p in self.instead), None)
        )
        if side is not None:
            self.sides[key] = side
        if stand is not None and self.pending[key] > 0:
            self.instead[key] = stand
            self.holders[stand] += 1
        if not self.only_a_base(revision):
            for parent in revision.parents:
                self.pending[parent] -= 1
                if self.pending[parent] == 0 and parent in self.instead:
                    self._release(self.instead.pop(parent))
        if side is not None and self.holders[key] == 0:
            del self.sides[key]

    def _release(self, stand: str) -> None:
        self.holders[stand] -= 1
        if self.holders[stand] == 0:
            del self.sides[stand]


def _points(
    history: History,
    points: dict[str, dict[Revision, Point]],
    revision: Revision,
    report: Report,
    methodology: tuple[tuple[str, str], ...],
) -> None:
    for lab, summary in report.labs.items():
        at = points.setdefault(lab, {})
        before = next((at[r] for r in history.line(revision) if r in at), None)
        changed = changed_packs(list(before.methodology), list(methodology)) if before else ()
        point = Point(revision, summary.score, summary.coverage, dict(summary.packs), methodology, changed)
        history.points.setdefault(lab, []).append(point)
        at[revision] = point


def held_for(
    data: Dataset, profiles: Path, rules: Path, as_of: dt.date, cache: ParseCache | None = None
) -> Held:
    """What `check` ranks ratcheted bars by: what each lab disclosed within the longest ratchet window
    before `as_of`. Where the data keeps the practices' timelines (a `since` on the indicator), from the
    data's own dates: a shallow clone loses nothing. Otherwise from the repository's revisions within the
    window (and the one standing at its start), then the data being checked; not in a git repository, or
    a shallow clone: an incomplete Held (verdicts `no_history`). A past revision that does not load adds
    nothing."""
    days = max((r.rule.ratchet or 0) for r in data.rules.values())
    if all(timed(data, name) for name in ratchet.ratcheted(data)):
        return held_from_timelines(data, as_of, days)
    held = Held()
    try:
        top, paths = timeline.data_in(profiles, rules)
        if timeline.shallow(top):
            raise UsageError("a shallow clone")
    except (UsageError, OSError):
        held.complete = False
        return held
    start = window_start(as_of, days)
    revisions = timeline.window(top, paths, start, as_of)
    source = Source(top, paths[0], paths[1], None, cache)
    with source.opened() as opened:
        for revision, past, _ in loaded(opened, revisions):
            if past is not None:
                ratchet.record(held, revision.committed or revision.date, past)
    ratchet.record(held, as_of, data)
    return held
