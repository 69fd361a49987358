"""Alarms: per lab, a sudden regression (one step whose loss reaches the step threshold) and erosion (losses
that add up within the window though no step did); per relative rule, a race to the bottom (its top bar
fell below its peak because competitors did less)."""

from __future__ import annotations

from collections.abc import Sequence

from parity.history.bar_series import declines
from parity.history.records import Alarm, Decline, History, Regression
from parity.history.regressions import described
from parity.history.timeline import Revision
from parity.models import Alarms
from parity.vocabulary import plural, show, window_start

# --- alarms ------------------------------------------------------------------------------------------------


def erosion(history: History) -> list[Alarm]:
    """Per lab: a step whose loss reaches the step threshold (sudden), and a slide of several steps within
    the window whose losses add up to the window threshold (erosion), whether or not one of its steps was
    also sudden: a slide that ends in a drop is still a slide. An erosion alarm is raised once, when the
    sum first crosses, and again only after the sum has fallen back below the threshold."""
    config = history.config
    by_lab: dict[str, dict[Revision, list[Regression]]] = {}
    for r in history.regressions:
        by_lab.setdefault(r.lab, {}).setdefault(r.revision, []).append(r)
    alarms = []
    order = {rev: i for i, rev in enumerate(history.revisions)}
    for lab in sorted(by_lab):
        name = _name(history, lab)
        steps = sorted(by_lab[lab].items(), key=lambda s: order[s[0]])
        lost = [(rev, sum(r.loss for r in regs), tuple(regs)) for rev, regs in steps]
        lost = [step for step in lost if step[1] > 0]
        armed = True
        for i, (revision, loss, regs) in enumerate(lost):
            if loss >= config.step_threshold:
                message = _sudden(name, revision, loss, regs, config)
                alarms.append(Alarm("sudden", lab, revision, loss, ((revision, loss),), message, regs))
            start = window_start(revision.date, config.window_days)
            window = [s for s in lost[: i + 1] if s[0].date >= start]
            total = sum(s[1] for s in window)
            if total < config.window_threshold:
                armed = True
                continue
            if armed and len(window) > 1:
                message = _eroded(name, total, window, config)
                what = tuple(r for s in window for r in s[2])
                alarms.append(
                    Alarm("erosion", lab, revision, total, tuple(s[:2] for s in window), message, what)
                )
                armed = False
    return alarms


def _name(history: History, lab: str) -> str:
    """A lab as a reader names it: its name, and its id."""
    summary = history.last.labs.get(lab) if history.last else None
    return f"{summary.name} ({lab})" if summary and summary.name != lab else lab


def _sudden(name: str, revision: Revision, loss: float, lost: Sequence[Regression], config: Alarms) -> str:
    what = "; ".join(described(r) for r in lost)
    return (
        f"{name}, {revision.date}: {what} (a loss of {_n(loss)} in one step; "
        f"the step threshold is {_n(config.step_threshold)})"
    )


def _eroded(
    name: str, total: float, window: Sequence[tuple[Revision, float, tuple[Regression, ...]]], config: Alarms
) -> str:
    first, last = window[0][0].date, window[-1][0].date
    what = "; ".join(f"{rev.date}: " + ", ".join(described(r) for r in regs) for rev, _, regs in window)
    return (
        f"{name} slid in {len(window)} steps from {first} to {last}: {what} (losses add up to {_n(total)} "
        f"within {config.window_days} days; the window threshold is {_n(config.window_threshold)})"
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
    peak = "no bar" if d.peak.value is None else show(d.peak.value)
    low = "no bar" if d.low.value is None else show(d.low.value)
    setters = f", set by {', '.join(d.peak.set_by)}" if d.peak.set_by else ""
    held = f"; ratchet {plural(d.ratchet, 'day')} holds verdicts at the peak" if d.ratchet else ""
    return (
        f"{d.rule}: the bar competitors set fell from {peak} ({d.peak.revision.date}{setters}) to {low} "
        f"({d.low.revision.date}){held}"
    )
