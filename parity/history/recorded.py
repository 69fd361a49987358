"""What the watchdog recorded between a revision and its parent, each change classified (docs/history.md,
"The watchdog's record"):

- `lab`: a new state of a lab's practice (newer than every state recorded before), or a changed value that
  carries no `since` on either side: the lab did something; only these are the lab's regressions;
- `correction`: the watchdog changed what it had recorded about a past date: a state's value, date or
  evidence, a state added before the newest one or removed, a practice removed;
- `research`: a practice nobody had recorded, now recorded (unassessed before);
- `methodology`: a pack changed (its version, its rules or its indicators).

A watchdog publishes its own corrections: they are listed as such, never counted as a lab's loss.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from parity.dataset import Dataset
from parity.history.records import Recorded
from parity.history.timeline import Revision
from parity.models import PracticeState
from parity.report import changed_packs
from parity.vocabulary import show

State = tuple[Any, PracticeState]  # (since, the state), newest first


def recorded(old: Dataset, new: Dataset, revision: Revision) -> list[Recorded]:
    """Every change recorded from `old` (the parent) to `new` (the revision), classified."""
    out = list(_methodology(old, new, revision))
    for lab in sorted(old.labs.keys() & new.labs.keys()):
        before, after = old.labs[lab].profile.practices, new.labs[lab].profile.practices
        if before is after or before == after:
            continue
        for name in sorted(before.keys() | after.keys()):
            a, b = before.get(name), after.get(name)
            if a == b:
                continue
            if a is None:
                assert b is not None
                out.append(Recorded("research", lab, name, f"recorded: {_state(b)}", None, revision))
            elif b is None:
                out.append(Recorded("correction", lab, name, "the record removed", a.since, revision))
            else:
                out.extend(_practice(lab, name, _states(a), _states(b), revision))
    return out


def _methodology(old: Dataset, new: Dataset, revision: Revision) -> Iterator[Recorded]:
    versions_before, versions_now = dict(old.packs), dict(new.packs)
    for pack in changed_packs(old.packs, new.packs):
        what = f"version {versions_before.get(pack, 'none')} -> {versions_now.get(pack, 'none')}"
        yield Recorded("methodology", None, pack, what, None, revision)


def _states(practice: Any) -> list[State]:
    """A practice's states, newest first: its current one, then each earlier one."""
    return [(practice.since, practice), *((entry.since, entry) for entry in practice.earlier or ())]


def _same(a: PracticeState, b: PracticeState) -> bool:
    """The same state but for its date: value, not applicable, evidence, note."""
    return (a.value, a.not_applicable, a.evidence, a.note) == (b.value, b.not_applicable, b.evidence, b.note)


def _practice(
    lab: str, name: str, old: list[State], new: list[State], revision: Revision
) -> Iterator[Recorded]:
    """A practice recorded before and now: a new newest state is the lab's; every other difference, a
    correction of the past."""
    (old_since, old_now), (new_since, new_now) = old[0], new[0]
    if old_since is None and new_since is None and len(old) == len(new) == 1:
        if not _same(old_now, new_now):
            kind = (
                "lab"
                if (old_now.value, old_now.not_applicable) != (new_now.value, new_now.not_applicable)
                else "correction"
            )
            # the same value with other sources: say what was corrected, not "SL2 -> SL2"
            what = f"{_state(old_now)} -> {_state(new_now)}" if kind == "lab" else "its evidence or note"
            yield Recorded(kind, lab, name, what, None, revision)
        return
    rest = new
    newer = new_since is not None and (old_since is None or new_since > old_since)
    if newer and (len(new) == 1 or _same(new[1][1], old_now)):
        what = f"{_state(old_now)} -> {_state(new_now)} since {new_since}"
        yield Recorded("lab", lab, name, what, None, revision)
        rest = new[1:] if len(new) > 1 else []
        if len(new) > 1 and old_since is None and rest[0][0] is not None:
            old = [(rest[0][0], old_now), *old[1:]]  # dating the state that stood until now corrects nothing
    yield from _corrections(lab, name, old, rest, revision)


def _corrections(
    lab: str, name: str, old: list[State], new: list[State], revision: Revision
) -> Iterator[Recorded]:
    """The past as recorded before and as recorded now, state by state by date; a state whose date alone
    changed is one correction of its date."""
    before, now = dict(old), dict(new)
    gone = [d for d in before if d not in now]
    added = [d for d in now if d not in before]
    for d in list(gone):
        moved = next((a for a in added if _same(before[d], now[a])), None)
        if moved is not None:
            gone.remove(d)
            added.remove(moved)
            what = f"the date of {_state(before[d])}, from {d} to {moved}"
            yield Recorded("correction", lab, name, what, d, revision)
    for since in sorted({*gone, *added, *(before.keys() & now.keys())}, key=_newest_first, reverse=True):
        a, b = before.get(since), now.get(since)
        if a is not None and b is not None and _same(a, b):
            continue
        if a is None:
            what = f"a state recorded for {since}: {_state(b)}"
        elif b is None:
            what = f"the state recorded for {since} removed (it was {_state(a)})"
        elif (a.value, a.not_applicable) != (b.value, b.not_applicable):
            what = f"{_state(a)} -> {_state(b)}"
        else:
            what = "its evidence"
        yield Recorded("correction", lab, name, what, since, revision)


def _newest_first(since: Any) -> tuple[bool, Any]:
    """A sort key: undated (a current state with no `since`) first, then the newest date."""
    return (since is None, since)


def _state(state: PracticeState | None) -> str:
    if state is None:
        return "nothing"
    if state.not_applicable is not None:
        return "not applicable"
    return show(state.value)
