"""History: every revision of the data evaluated in turn, and what no single edit shows (docs/history.md).

The timeline (`timeline`) gives the revisions; the walk (`walk`) loads and evaluates each at its own date.
Between two revisions that load, `regressions` finds what got worse (a practice worse, a level lowered, a
disclosed value turned unknown, a lab's own commitment removed or weakened) and its loss; `alarms` adds the
losses up over a window (erosion), flags single steps that are large on their own (sudden), and follows each
relative rule's top bar (`bar_series`) to see whether it fell because the competitors slipped together (a
race to the bottom). `document` is the `parity/history/v1` JSON.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from pathlib import Path

from parity.errors import UsageError
from parity.history import timeline
from parity.history.dates import by_dates
from parity.history.records import Alarm, BarPoint, Decline, History, Point, Regression, Skipped
from parity.history.walk import Source, held_for, walk
from parity.judge import ratchet
from parity.judge.ratchet import Held
from parity.loading import Dataset, load_alarms
from parity.loading.cache import ParseCache
from parity.models import Alarms
from parity.report import Report

__all__ = [
    "Alarm",
    "BarPoint",
    "Decline",
    "History",
    "Point",
    "Regression",
    "Skipped",
    "alarm_settings",
    "by_dates",
    "held_for",
    "run",
]


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
    allow_shallow: bool = True,
) -> History:
    """`parity history`: the revisions of `repo` that touched the profiles or the rules (or the snapshot
    folders), each evaluated at its date (or at `as_of`) and compared with its parent, and what got worse.
    A shallow clone is walked as far as it goes and marked `shallow`; with `allow_shallow=False` it is a
    UsageError instead (a gate must not pass on a history it cannot see)."""
    from parity.judge.evaluation import evaluate
    from parity.judge.incremental import Evaluator

    cache = cache if cache is not None else ParseCache(None)  # at least in memory, for the whole walk
    shallow = False
    if snapshots:
        if since or until or first_parent:
            raise UsageError("--since, --until and --first-parent select git revisions, not snapshot folders")
        source = Source(None, profiles, rules, waivers, cache)
        revisions = timeline.folders(snapshots, as_of)
        config_root = Path(".")
    else:
        top = timeline.top_level(repo)
        shallow = timeline.shallow(top)
        if shallow and not allow_shallow:
            raise UsageError(
                f"{repo} is a shallow clone: its history is cut off, and alarms over part of it prove "
                "nothing; fetch it whole (git fetch --unshallow; actions/checkout: fetch-depth: 0), or "
                "pass --allow-shallow to walk what there is"
            )
        source = Source(top, profiles, rules, waivers, cache)
        revisions = timeline.commits(top, [profiles, rules], since, until, first_parent, as_of)
        config_root = top
    config = alarm_settings(alarms, config_root, window)
    incremental = Evaluator()

    def judge(data: Dataset, date: dt.date, held: Held) -> Report:
        # Incremental evaluation reuses the revision before; a ratcheted bar moves with the window of
        # the past, which it does not follow, so data with a ratchet is evaluated whole.
        if ratchet.ratcheted(data):
            return evaluate(data, as_of=date, held=held)
        return incremental.evaluate(data, as_of=date)

    label = "snapshots" if snapshots else repo.as_posix()  # as given: two clones give the same output
    with source.opened() as opened:
        result = walk(opened, revisions, judge, config, as_of, label)
    result.shallow = shallow
    return result


def alarm_settings(path: Path | None, root: Path, window: int | None) -> Alarms:
    """The alarm settings: `path`, else alarms.yaml in `root` if there is one, else the defaults; `window`
    overrides the erosion window."""
    default = root / "alarms.yaml"
    found = path is None and os.path.lexists(default)
    if found:
        path = default
    config = load_alarms(path, root if found else None) if path is not None else Alarms()
    if window is not None:
        config = config.model_copy(update={"window_days": window})
    return config
