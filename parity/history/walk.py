"""History: every revision of the data evaluated in turn, and what no single edit shows (docs/history.md).

The timeline (`timeline`) gives the revisions; each is loaded and evaluated at its own date. Between two
revisions that load, `changes` finds the regressions (a practice that got worse, a level lowered, a
disclosed value turned unknown, a lab's own commitment removed or weakened) and their losses; `alarms`
adds them up over a window (erosion), flags single steps that are large on their own (sudden), and follows
each relative bar to see whether it fell because the competitors slipped together (race to the bottom).
A revision that does not load is reported with its problems and skipped.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import functools
import itertools
import operator
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from parity._gc import paused_walk
from parity.errors import LoadError, Problem, UsageError
from parity.history import timeline
from parity.history.timeline import Revision
from parity.judge import bars, ratchet
from parity.judge.ratchet import Held
from parity.loading import Dataset, RevisionLoader, load, load_alarms
from parity.loading.cache import ParseCache
from parity.models import (
    REGRESSION_KINDS,
    Alarms,
    Bar,
    Indicator,
    Peers,
    RegressionKind,
    Rule,
    Severity,
)
from parity.report.records import Report, Verdict, changed_packs
from parity.vocabulary import (
    NOT_APPLICABLE,
    RELATIVE_BARS,
    STATE_NAMES,
    UNASSESSED,
    UNDISCLOSED,
    has_value,
    severity_rank,
    window_start,
)


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


@dataclass(frozen=True)
class Alarm:
    """What a reader must look at: a sudden regression, a slow erosion, or a race to the bottom."""

    kind: str  # sudden, erosion, race
    subject: str  # a lab (sudden, erosion) or a rule (race)
    revision: Revision
    loss: float | None  # sudden and erosion: the losses that add up
    steps: tuple[tuple[Revision, float], ...]  # the revisions that add up, with each one's loss
    message: str


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

    source: str  # the repository or "snapshots"
    revisions: list[Revision] = field(default_factory=list)  # those that loaded, oldest first
    skipped: list[Skipped] = field(default_factory=list)
    points: dict[str, list[Point]] = field(default_factory=dict)  # by lab
    regressions: list[Regression] = field(default_factory=list)
    alarms: list[Alarm] = field(default_factory=list)
    bars: dict[str, list[BarPoint]] = field(default_factory=dict)  # by rule, relative bars only
    declines: list[Decline] = field(default_factory=list)
    config: Alarms = field(default_factory=Alarms)
    as_of: dt.date | None = None  # --as-of, when it overrode the commit dates
    ratchets: dict[str, int] = field(default_factory=dict)  # rule -> its ratchet window, as last defined
    methodology: dict[Revision, tuple[tuple[str, str], ...]] = field(default_factory=dict)  # packs' versions
    top_bars: _TopBars = field(default_factory=lambda: _TopBars(), repr=False)
    last: Report | None = None  # the newest revision's report

    def to_dict(self) -> dict[str, Any]:
        from parity._version import __version__
        from parity.history.document import history_to_dict

        return history_to_dict(self, __version__)

    def failing(self) -> bool:
        return bool(self.alarms)


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
            _bar_points(history, revision, data, report)
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


def run(
    repo: Path = Path("."),
    snapshots: Sequence[Path] = (),
    since: str | None = None,
    until: str | None = None,
    first_parent: bool = False,
    profiles: str = "lab_profiles",
    rules: str = "rules",
    waivers: str | None = "waivers.yaml",
    as_of: dt.date | None = None,
    alarms: Path | None = None,
    window: int | None = None,
    cache: ParseCache | None = None,
) -> History:
    """`parity history`: the revisions of `repo` that touched the profiles or the rules (or the snapshot
    folders), each evaluated at its date (or at `as_of`), and what got worse."""
    from parity.judge.evaluation import evaluate
    from parity.judge.incremental import Evaluator

    cache = cache if cache is not None else ParseCache(None)  # at least in memory, for the whole walk
    if snapshots:
        if since or until or first_parent:
            raise UsageError("--since, --until and --first-parent select git revisions, not snapshot folders")
        source = Source(None, profiles, rules, waivers, cache)
        revisions = timeline.folders(snapshots, as_of)
        config_root = Path(".")
    else:
        top = timeline.top_level(repo)
        source = Source(top, profiles, rules, waivers, cache)
        revisions = timeline.commits(top, [profiles, rules], since, until, first_parent, as_of)
        config_root = top
    config = _config(alarms, config_root, window)
    incremental = Evaluator()

    def judge(data: Dataset, date: dt.date, held: Held) -> Report:
        # Incremental evaluation reuses the revision before; a ratcheted bar moves with the window of
        # the past, which it does not follow, so data with a ratchet is evaluated whole.
        if ratchet.ratcheted(data):
            return evaluate(data, as_of=date, held=held)
        return incremental.evaluate(data, as_of=date)

    with source.opened() as opened:
        return walk(opened, revisions, judge, config, as_of)


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


def _config(path: Path | None, root: Path, window: int | None) -> Alarms:
    default = root / "alarms.yaml"
    if path is None and default.exists():
        path = default
    config = load_alarms(path) if path is not None else Alarms()
    if window is not None:
        config = config.model_copy(update={"window_days": window})
    return config


# --- regressions -------------------------------------------------------------------------------------------


_Side = tuple[Revision, Dataset, Report]


def changes(before: _Side, after: _Side, config: Alarms) -> list[Regression]:
    """Every regression from one loaded revision to the next, by lab, then kind, then subject."""
    step = _Step(before, after, config)
    found = [*step.practices(), *step.commitments()]
    return sorted(found, key=lambda r: (r.lab, REGRESSION_KINDS.index(r.kind), r.subject))


class _Step:
    """One step of the walk: the two sides, and the severity at which each lab's practices are read."""

    def __init__(self, before: _Side, after: _Side, config: Alarms) -> None:
        self.previous, self.old, self.old_report = before
        self.revision, self.new, self.new_report = after
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
        shown_a, shown_b = _shown(a), _shown(b)
        if has_value(a.state) and has_value(b.state):
            key = bars.key_function(indicator)
            if key(b.value) >= key(a.value):
                return None
            if indicator.type == "level":
                steps = int(key(a.value) - key(b.value))
                return self.regression(lab, "level_lowered", name, shown_a, shown_b, steps=steps)
            return self.regression(lab, "worse", name, shown_a, shown_b)
        if has_value(a.state) and b.state == UNDISCLOSED:
            return self.regression(lab, "undisclosed", name, shown_a, shown_b)
        if a.state >= UNDISCLOSED and b.state == NOT_APPLICABLE:  # a value, or silence
            return self.regression(lab, "not_applicable", name, shown_a, shown_b)
        if a.state >= UNDISCLOSED and b.state == UNASSESSED:
            return self.regression(lab, "coverage_lost", name, shown_a, shown_b)
        return None

    def commitments(self) -> Iterator[Regression]:
        """A lab's own commitments: rules whose `applies_to` names labs. Rules for every lab (or a tag) are
        the watchdog's methodology, reported as the pack's change, not as any one lab's loss."""
        for rule_id, loaded in sorted(self.old.rules.items()):
            rule = loaded.rule
            if rule.kind == "derive" or not isinstance(rule.applies_to, list):
                continue
            methodology = loaded.pack in self.repacked
            later = self.new.rules.get(rule_id)
            for lab in sorted(set(rule.applies_to) & self.new.labs.keys()):
                severity = rule.severity or "info"
                if later is None or not later.rule.selects(lab, frozenset(self.new.labs[lab].profile.tags)):
                    yield self.regression(
                        lab, "commitment_removed", rule_id, rule.title or rule_id, None,
                        severity=severity, methodology=methodology,
                    )  # fmt: skip
                    continue
                weaker = _weakened(rule, later.rule, loaded.in_force, later.in_force, _Peers(self.new, lab))
                if weaker is not None:
                    yield self.regression(
                        lab, "commitment_weakened", rule_id, weaker[0], weaker[1],
                        severity=severity, methodology=methodology,
                    )  # fmt: skip


def _shown(cell: bars.Cell) -> Any:
    """A practice as a regression names it: its value, `unknown`, or its state."""
    if has_value(cell.state):
        return cell.value
    name = STATE_NAMES[cell.state]
    return {"undisclosed": "unknown"}.get(name, name)


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


# --- bars over time ----------------------------------------------------------------------------------------


class _TopBars:
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


def _bar_points(history: History, revision: Revision, data: Dataset, report: Report) -> None:
    """Each relative rule's top bar at this revision, and why it is lower than before, if it is."""
    best = history.top_bars.update(data, report)
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
        series = history.bars.setdefault(rule_id, [])
        cause = ""
        if series and _k(top) < _k(series[-1].key):
            cause = _why_lower(series[-1], digest, data, rule.indicator or "")
        series.append(BarPoint(revision, value, top, set_by, digest, cause))


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


def _k(key: bars.Key | None) -> float:
    return float("-inf") if key is None else float(key)


def _declines(rule: str, series: Sequence[BarPoint], window: int, ratchet: int | None) -> Iterator[Decline]:
    """Each time the bar falls below the highest it stood within the window before: from that peak down to
    the lowest point, until it is back at the peak."""
    peak: BarPoint | None = None
    steps: list[BarPoint] = []
    for i, point in enumerate(series):
        if peak is not None:
            if _k(point.key) >= _k(peak.key):
                yield _decline(rule, peak, steps, ratchet)
                peak, steps = None, []
            else:
                if _k(point.key) < _k(steps[-1].key):
                    steps.append(point)
                continue
        start = window_start(point.revision.date, window)
        earlier = [p for p in series[:i] if p.revision.date >= start]
        top = max(earlier, key=lambda p: _k(p.key), default=None)  # max keeps the earliest of equals
        if top is not None and _k(point.key) < _k(top.key):
            peak, steps = top, [point]
    if peak is not None:
        yield _decline(rule, peak, steps, ratchet)


def _decline(rule: str, peak: BarPoint, steps: list[BarPoint], ratchet: int | None) -> Decline:
    causes = {p.cause for p in steps}
    cause = "rule" if "rule" in causes else "peers" if "peers" in causes else "coverage"
    return Decline(rule, peak, steps[-1], tuple(steps), cause, ratchet)


# --- alarms ------------------------------------------------------------------------------------------------


def erosion(history: History) -> list[Alarm]:
    """Per lab: a step whose loss reaches the step threshold (sudden), and a window whose losses add up to
    the window threshold though no step in it did (erosion). An erosion alarm is raised once, when the sum
    first crosses, and again only after the sum has fallen back below the threshold."""
    config = history.config
    by_lab: dict[str, dict[Revision, float]] = {}
    for r in history.regressions:
        per = by_lab.setdefault(r.lab, {})
        per[r.revision] = per.get(r.revision, 0.0) + r.loss
    alarms = []
    order = {rev: i for i, rev in enumerate(history.revisions)}
    for lab in sorted(by_lab):
        lost = sorted(((r, x) for r, x in by_lab[lab].items() if x > 0), key=lambda s: order[s[0]])
        armed = True
        for i, (revision, loss) in enumerate(lost):
            if loss >= config.step_threshold:
                alarms.append(
                    Alarm("sudden", lab, revision, loss, ((revision, loss),), _sudden(lab, loss, config))
                )
            start = window_start(revision.date, config.window_days)
            window = tuple(s for s in lost[: i + 1] if s[0].date >= start)
            total = sum(s[1] for s in window)
            if total < config.window_threshold:
                armed = True
                continue
            if armed and all(s[1] < config.step_threshold for s in window):
                alarms.append(
                    Alarm("erosion", lab, revision, total, window, _eroded(lab, total, window, config))
                )
                armed = False
    return alarms


def _sudden(lab: str, loss: float, config: Alarms) -> str:
    return f"{lab} lost {_n(loss)} in one revision (step threshold {_n(config.step_threshold)})"


def _eroded(lab: str, total: float, window: Sequence[tuple[Revision, float]], config: Alarms) -> str:
    return (
        f"{lab} lost {_n(total)} over {len(window)} revisions within {config.window_days} days "
        f"(window threshold {_n(config.window_threshold)}), though no single revision reached "
        f"{_n(config.step_threshold)}"
    )


def _n(x: float) -> str:
    return f"{x:g}"


def races(history: History) -> list[Alarm]:
    """Relative bars that fell below their peak within the window, each decline also recorded in
    `history.declines`; a decline the competitors caused (not a redefined rule, not research removed) is a
    race-to-the-bottom alarm."""
    alarms = []
    window = history.config.window_days
    for rule_id in sorted(history.bars):
        for decline in _declines(rule_id, history.bars[rule_id], window, history.ratchets.get(rule_id)):
            history.declines.append(decline)
            if decline.cause == "peers":
                alarms.append(
                    Alarm(
                        "race",
                        rule_id,
                        decline.low.revision,
                        None,
                        tuple((p.revision, 0.0) for p in decline.steps),
                        _raced(decline),
                    )
                )
    return alarms


def _raced(d: Decline) -> str:
    peak = "no bar" if d.peak.value is None else repr(d.peak.value)
    low = "no bar" if d.low.value is None else repr(d.low.value)
    held = f"; ratchet {d.ratchet} days holds verdicts at the peak" if d.ratchet else ""
    return (
        f"{d.rule}: the bar fell from {peak} ({d.peak.revision.date}) to {low} ({d.low.revision.date}){held}"
    )
