"""What changed since the last edition of the scorecard, as entries a reader (and a feed reader) can follow:
new and resolved shortfalls with their causes (`parity diff` of the two editions), the labs' regressions
and alarms dated between the editions (`parity history` by the data's dates), and the watchdog's
corrections of its own record (`parity history --revisions`). `edition` gathers them; `entries` turns
them into the list the changes page and the Atom feed both show, each entry with a stable key.

The previous edition is a saved report (the `report.json` it published: exact, it carries its own date)
or a git revision or folder of the data, evaluated at its commit's date (a folder: at this edition's).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from parity.models import Evidence
from parity.report import Report

if TYPE_CHECKING:
    from parity.dataset import Dataset
    from parity.diff import Change, Diff
    from parity.history.records import Alarm, Recorded, Regression
    from parity.loading.cache import ParseCache

KINDS = {
    "new": "New shortfall",
    "resolved": "Resolved shortfall",
    "regression": "Regression",
    "alarm": "Alarm",
    "correction": "Correction",
}


@dataclass(frozen=True)
class Entry:
    """One change, as the changes page and the feed show it."""

    kind: str  # new, resolved, regression, alarm, correction
    date: dt.date  # when it happened (a regression's date), or when it was found or recorded
    title: str
    text: str
    key: str  # stable: the same change gets the same key in every build
    lab: str | None = None
    rule: str | None = None
    evidence: tuple[tuple[str, tuple[Evidence, ...]], ...] = ()  # ("before", [...]), ("after", [...])


@dataclass(frozen=True)
class Changes:
    """An edition compared with the one before it."""

    previous: str  # the previous edition as given (a report's path, a revision, a folder)
    previous_as_of: dt.date
    previous_commit: str | None
    as_of: dt.date
    diff: Diff
    regressions: list[Regression] = field(default_factory=list)
    alarms: list[Alarm] = field(default_factory=list)
    corrections: list[Recorded] | None = None  # since the previous edition; None: no git history to read
    log: list[Recorded] | None = None  # every correction the repository's history records

    def entries(self, report: Report) -> list[Entry]:
        """Every change of the edition, newest first, then by kind and key."""
        out = [
            _shortfall(c, self.diff, report, self.as_of)
            for c in self.diff.changes
            if c.change in ("new", "resolved")
        ]
        out += [_regression(r, report) for r in self.regressions]
        out += [_alarm(a) for a in self.alarms]
        out += [correction_entry(r, report) for r in self.corrections or ()]
        order = list(KINDS)
        return sorted(out, key=lambda e: (-e.date.toordinal(), order.index(e.kind), e.key))

    def other_changes(self) -> int:
        """Verdicts that changed without becoming or ceasing to be a shortfall (or were added, removed)."""
        return sum(1 for c in self.diff.changes if c.change not in ("new", "resolved"))


def _name(report: Report, lab: str) -> str:
    found = report.labs.get(lab)
    return found.name if found else lab


def _shortfall(c: Change, diff: Diff, report: Report, as_of: dt.date) -> Entry:
    """A new or resolved shortfall, its cause worded as every format of `parity diff` words it."""
    from parity.formats.present import cause_text

    before, after = c.before or {}, c.after or {}
    name = _name(report, c.lab)
    info = report.rules.get(c.rule)
    title = c.title or (info.title if info else c.rule)
    cause = cause_text(c, diff)
    methodology = "; the pack's version changed" if c.pack_version_changed and c.cause != "rule" else ""
    was, now = before.get("status", "not judged"), after.get("status", "not judged")
    if c.change == "new":
        head, text = f"{name} now falls short: {title}", f"{now} ({c.severity}), was {was}"
    else:
        head, text = f"{name} no longer falls short: {title}", f"now {now}, was {was} ({c.severity})"
    text += f"; cause: {cause}{methodology}."
    return Entry(c.change, as_of, head, text, f"{c.change}/{c.lab}/{c.rule}/{as_of}", c.lab, c.rule)


def _regression(r: Regression, report: Report) -> Entry:
    from parity.history.regressions import described

    name = _name(report, r.lab)
    text = f"{described(r)} ({r.severity}; loss {r.loss:g})."
    key = f"regression/{r.lab}/{r.kind}/{r.subject}/{r.revision.date}"
    evidence = (("before", r.evidence_before), ("after", r.evidence_after))
    return Entry(
        "regression", r.revision.date, f"{name}: {r.title or r.subject}", text, key, r.lab, None, evidence
    )


def _alarm(a: Alarm) -> Entry:
    key = f"alarm/{a.kind}/{a.subject}/{a.revision.date}"
    return Entry("alarm", a.revision.date, f"{a.kind.capitalize()} alarm: {a.subject}", a.message, key)


def correction_entry(r: Recorded, report: Report) -> Entry:
    """A correction of the watchdog's record: what, about which past date, when recorded (and where)."""
    lab = _name(report, r.lab) if r.lab else "the packs"
    past = f"the state dated {r.past}" if r.past else "an undated state"
    recorded = r.revision.committed or r.revision.date
    text = f"{r.subject}: {r.what}; corrects {past}; recorded {recorded} ({r.revision.ref})."
    key = f"correction/{r.revision.key}/{r.lab}/{r.subject}/{r.past}/{r.what}"
    return Entry("correction", recorded, f"{lab}, {r.subject}", text, key, r.lab)


# --- the previous edition -----------------------------------------------------------------------------------


def edition(
    data: Dataset,
    report: Report,
    previous: str,
    profiles: Path,
    rules: Path,
    cache: ParseCache | None = None,
) -> Changes:
    """This edition (`data`, `report`) compared with `previous`: a saved report, a folder, or a revision of
    the git repository that holds the data."""
    from parity.diff import Side, compare, load_side
    from parity.history import alarm_settings, by_dates

    repo = _repository(profiles, rules)
    as_of = _previous_date(previous, repo, report.as_of)
    side = load_side(previous, repo[0] if repo else Path("."), as_of, cache)
    diff = compare(side, Side("this edition", "worktree", report))
    since = side.report.as_of
    root = profiles.parent
    story = by_dates(data, report.as_of, None, alarm_settings(None, root, None), root.as_posix())
    between = [
        r for r in story.regressions if since < r.revision.date <= report.as_of and r.lab in report.labs
    ]
    alarms = [a for a in story.alarms if since < a.revision.date <= report.as_of]
    log = corrections = None
    if repo is not None:
        top, paths = repo
        log = _corrections(top, paths, cache)
        earlier = _ancestors(top, paths, side.commit) if side.commit else None
        corrections = [
            r
            for r in log
            if (r.revision.key not in earlier if earlier is not None else since < r.revision.date)
        ]
    return Changes(previous, since, side.commit, report.as_of, diff, between, alarms, corrections, log)


def _repository(profiles: Path, rules: Path) -> tuple[Path, list[str]] | None:
    """The git repository that holds the data, or None when it is in none."""
    from parity.errors import UsageError
    from parity.history.timeline import data_in

    try:
        return data_in(profiles, rules)
    except UsageError:
        return None


def _previous_date(previous: str, repo: tuple[Path, list[str]] | None, default: dt.date) -> dt.date:
    """The date a previous edition named by a revision is evaluated at: its commit's date. A side written
    as a path (a saved report or a folder) is never a revision, as for `parity diff`."""
    from parity.diff import spelled_as_path
    from parity.history.timeline import commit_date

    if spelled_as_path(previous) or repo is None:
        return default
    return commit_date(repo[0], previous) or default


def _corrections(top: Path, paths: list[str], cache: ParseCache | None) -> list[Recorded]:
    """Every correction of its own record the watchdog made, commit by commit, newest first."""
    from parity.history import run

    walked = run(top, profiles=paths[0], rules=paths[1], cache=cache)
    found = [r for r in walked.recorded if r.kind == "correction"]
    return sorted(
        found, key=lambda r: (-(r.revision.committed or r.revision.date).toordinal(), r.revision.key)
    )


def _ancestors(top: Path, paths: list[str], commit: str) -> set[str]:
    """The commits that touched the data up to `commit`, itself included: the previous edition's."""
    from parity.errors import UsageError
    from parity.history.timeline import commits

    try:
        timeline = commits(top, paths, None, commit, False, None)
    except UsageError:  # no commit touched the data up to it
        return set()
    return {r.key for r in timeline.revisions}
