"""The walk: every revision of the timeline loaded and evaluated in turn, oldest first; for each, the labs'
points, the top bars, and the regressions since the revision before. A revision that does not load is
reported with its problems and skipped."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import functools
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from parity._gc import paused_walk
from parity.errors import LoadError, Problem, UsageError
from parity.history import timeline
from parity.history.alarms import erosion, races
from parity.history.bar_series import TopBars, bar_points
from parity.history.records import History, Point, Skipped
from parity.history.regressions import changes
from parity.history.timeline import Revision
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
    revisions: Sequence[Revision],
    evaluate: Evaluate,
    config: Alarms | None = None,
    as_of: dt.date | None = None,
) -> History:
    """Evaluate every revision that loads, oldest first, and find what got worse."""
    history = History(
        str(source.repo) if source.repo else "snapshots", config=config or Alarms(), as_of=as_of
    )
    previous: tuple[Revision, Dataset, Report] | None = None
    held = Held()  # what each lab disclosed so far, for ratcheted bars: the walk is the repository's history
    top_bars = TopBars()  # kept from one revision to the next: only changed verdicts are looked at again
    with paused_walk() as step:
        for revision, data, problems in loaded(source, revisions):
            step()
            if data is None:
                history.skipped.append(Skipped(revision, problems))
                continue
            ratchet.record(held, revision.committed or revision.date, data)
            report = evaluate(data, revision.date, held)
            history.revisions.append(revision)
            methodology = history.methodology[revision] = tuple(sorted(report.packs))
            _points(history, revision, report, methodology)
            bar_points(history, top_bars, revision, data, report)
            if previous is not None:
                history.regressions.extend(changes(previous, (revision, data, report), history.config))
            previous = (revision, data, report)
            history.last = report
    history.alarms = [*erosion(history), *races(history)]
    return history


def _points(
    history: History, revision: Revision, report: Report, methodology: tuple[tuple[str, str], ...]
) -> None:
    for lab, summary in report.labs.items():
        series = history.points.setdefault(lab, [])
        changed = changed_packs(list(series[-1].methodology), list(methodology)) if series else ()
        series.append(
            Point(revision, summary.score, summary.coverage, dict(summary.packs), methodology, changed)
        )


def held_for(
    data: Dataset, profiles: Path, rules: Path, as_of: dt.date, cache: ParseCache | None = None
) -> Held:
    """What `check` ranks ratcheted bars by: the values every lab disclosed in the repository's revisions
    within the longest ratchet window before `as_of` (and the one standing at its start), then the data
    being checked. Not in a git repository, or a shallow clone: an incomplete Held (verdicts `no_history`).
    A past revision that does not load adds nothing."""
    days = max((r.rule.ratchet or 0) for r in data.rules.values())
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
