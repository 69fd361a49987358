"""The labs' story by the data's own dates (`parity history`): one Dataset, evaluated as it stood on every
date on which something changed for the labs: a practice's state took effect (`since`), a rule came into
force or ended (`in_force`, `until`), or a recency bar's `due` passed. No git is needed: the dates are data.

Between two dates, what got worse is the labs' own doing (a watchdog's corrections of the past live in
the repository's revisions: `parity history --revisions`). A rule that ends is the labs' loss only where
it says they withdrew it (`withdrawn`); a rule that starts or ends marks a change of methodology for the
labs it applies to, and only for them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from parity._gc import paused_walk
from parity.dataset import Dataset, LoadedRule
from parity.history.alarms import erosion, races
from parity.history.bar_series import TopBars, bar_points
from parity.history.records import History, Point
from parity.history.regressions import changes
from parity.history.timeline import Revision
from parity.judge import ratchet
from parity.judge.evaluation import evaluate
from parity.judge.incremental import Evaluator
from parity.judge.ratchet import Held
from parity.models import Alarms
from parity.report import Report


def by_dates(
    data: Dataset,
    until: dt.date,
    since: dt.date | None = None,
    config: Alarms | None = None,
    source: str = "the data's dates",
) -> History:
    """The data evaluated as it stood on each date it changed, from its first date (or `since`) to
    `until` (the present, by default today), and what got worse between them."""
    history = History(source, mode="dates", config=config or Alarms(), as_of=until)
    dates = moments(data, since, until)
    evaluator, held, top_bars = Evaluator(), Held(), TopBars()
    previous: tuple[Revision, Dataset, Report] | None = None
    with paused_walk() as step:
        for day in dates:
            step()
            at = data.at(day)
            ratchet.record(held, day, at)
            report = (
                evaluate(at, as_of=day, held=held)
                if ratchet.ratcheted(at)
                else evaluator.evaluate(at, as_of=day)
            )
            revision = Revision(day.isoformat(), day, _what_changed(data, day))
            history.revisions.append(revision)
            history.parents[revision] = (previous[0],) if previous else ()  # one line of dates
            history.methodology[revision] = tuple(sorted(report.packs))
            _points(history, revision, report, data, previous[0].date if previous else None)
            bar_points(history, top_bars, revision, at, report)
            if previous is not None:
                history.regressions.extend(
                    changes(previous, (revision, at, report), history.config, by_dates=True)
                )
            previous = (revision, at, report)
            history.last = report
    history.alarms = [*erosion(history), *races(history)]
    return history


def moments(data: Dataset, since: dt.date | None, until: dt.date) -> list[dt.date]:
    """The dates to evaluate: each date the data changes (a state's `since`, a rule's `in_force` and
    `until`), each day a recency bar's `due` has passed (the day a value falls below it), within
    [since, until]; the first day of the range and its last (the present) always."""
    found = set(data.change_dates()) | set(_overdue_days(data))
    first = since if since is not None else min(found, default=until)
    return sorted({first, until, *(d for d in found if first <= d <= until)})


def _overdue_days(data: Dataset) -> Iterable[dt.date]:
    """The first day each recorded date value falls below each `within_days` bar on its indicator."""
    for loaded in data.rules.values():
        bar = loaded.rule.bar
        if bar is None or bar.kind != "within_days" or loaded.rule.indicator is None:
            continue
        for lab in data.labs.values():
            practice = lab.profile.practices.get(loaded.rule.indicator)
            states = [practice, *(practice.earlier or ())] if practice is not None else []
            for state in states:
                if state.value is not None and state.value != "unknown" and state.not_applicable is None:
                    yield state.value + dt.timedelta(days=bar.value + 1)


def _what_changed(data: Dataset, day: dt.date) -> str:
    """What the data says changed on `day`, in a few words (the point's subject)."""
    parts = []
    for lab_id, lab in data.labs.items():
        for name, practice in lab.profile.practices.items():
            if day in (practice.since, *(entry.since for entry in practice.earlier or ())):
                parts.append(f"{lab_id} {name}")
    for rule_id, loaded in data.rules.items():
        if loaded.in_force == day:
            parts.append(f"{rule_id} in force")
        if loaded.until == day:
            parts.append(f"{rule_id} {'withdrawn' if loaded.rule.withdrawn else 'ended'}")
    return "; ".join(parts)


def _points(
    history: History, revision: Revision, report: Report, data: Dataset, before: dt.date | None
) -> None:
    """Each lab's point at this date; the rules that started or ended since the date before, for the labs
    they apply to, mark a change of methodology for those labs only."""
    methodology = history.methodology[revision]
    moved = _rules_moved(data, before, revision.date) if before is not None else []
    for lab, summary in report.labs.items():
        tags = frozenset(data.labs[lab].profile.tags)
        changed = tuple(sorted(r.rule.id for r in moved if r.rule.selects(lab, tags)))
        point = Point(revision, summary.score, summary.coverage, dict(summary.packs), methodology, changed)
        history.points.setdefault(lab, []).append(point)


def _rules_moved(data: Dataset, before: dt.date, now: dt.date) -> list[LoadedRule]:
    """The rules that judge on one of the two dates and not on the other."""
    return [
        loaded
        for loaded in data.rules.values()
        if loaded.rule.kind != "derive" and loaded.judges_on(before) != loaded.judges_on(now)
    ]


def held_from_timelines(data: Dataset, as_of: dt.date, days: int) -> Held:
    """What each lab held within the longest ratchet window before `as_of`, from the data's own dates:
    recorded at the window's first day and at every date something changed within it."""
    held = Held()
    start = as_of - dt.timedelta(days=days)
    for day in moments(data, start, as_of):
        ratchet.record(held, day, data.at(day))
    return held


def timed(data: Dataset, indicator: str) -> bool:
    """Whether any lab's practice on `indicator` has a timeline (its history is in the data, not only in
    the repository's commits)."""
    return any(
        (p := lab.profile.practices.get(indicator)) is not None and p.since is not None
        for lab in data.labs.values()
    )
