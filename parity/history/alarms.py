"""Alarms: per lab, a sudden regression (one step whose loss reaches the step threshold) and erosion (losses
that add up within the window though no step did); per relative rule, a race to the bottom (its top bar
fell below its peak because competitors did less)."""

from __future__ import annotations

from collections.abc import Sequence

from parity.history.bar_series import declines
from parity.history.records import Alarm, Decline, History
from parity.history.timeline import Revision
from parity.models import Alarms
from parity.vocabulary import window_start

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
    ancestry = history.ancestry()
    for rule_id in sorted(history.bars):
        ratchet = history.ratchets.get(rule_id)
        for decline in declines(rule_id, history.bars[rule_id], window, ratchet, history, ancestry):
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
