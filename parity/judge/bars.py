"""The industry bar, computed in Python and only here: practice states, a better-is-larger key for every
value, the k-th best disclosed peer value (and, for `all`, who keeps it from binding), absolute bars and
gaps. Aggregates live here and not in the engine: a Rete network would need a join over every pair of labs
to find "the best competitor"."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

from parity.models import UNKNOWN, Bar, Evidence, Indicator, Peers, Practice
from parity.vocabulary import (
    DISCLOSED,
    NOT_APPLICABLE,
    STATE_NAMES,
    UNASSESSED,
    UNDISCLOSED,
    UNEVIDENCED,
    State,
    Truth,
    rank_k,
    window_start,
)

__all__ = [
    "ABSENT",
    "LISTED",
    "SILENT",
    "BarValue",
    "Cell",
    "Key",
    "Ranking",
    "absolute_bar",
    "cell_of",
    "compare",
    "derived_cell",
    "gap",
    "key_function",
    "select_peers",
]

LISTED = 20  # set_by and blocked_by list at most this many labs
Key = int | float


@dataclass(frozen=True, slots=True)
class Cell:
    """One lab's standing on one indicator."""

    state: int
    value: Any = None
    practice: Practice | None = None
    evidence: tuple[Evidence, ...] = ()  # one tuple per practice, shared by every verdict that cites it
    newest: dt.date | None = None  # publication date of the newest evidence


ABSENT = Cell(UNASSESSED)
SILENT = Cell(UNDISCLOSED)


def cell_of(practice: Practice | None) -> Cell:
    """The state and value of a practice (docs/verdicts.md, "The state of a practice")."""
    if practice is None:
        return ABSENT
    if practice.not_applicable is not None:
        return Cell(NOT_APPLICABLE, None, practice, tuple(practice.evidence))
    evidence = tuple(practice.evidence)
    newest = max(e.date for e in evidence) if evidence else None
    if practice.value == UNKNOWN:
        return Cell(UNDISCLOSED, None, practice, evidence, newest)
    return Cell(DISCLOSED if evidence else UNEVIDENCED, practice.value, practice, evidence, newest)


def derived_cell(value: Truth) -> Cell:
    """A derived value: true or false counts as disclosed; unknown keeps its kind."""
    if value == "unassessed":
        return ABSENT
    if value == "undisclosed":
        return SILENT
    return Cell(DISCLOSED, value)


def key_function(indicator: Indicator) -> Callable[[Any], Key]:
    """Maps a value to a number that is larger when the value is better; exact, never rounded."""
    if indicator.type == "level":
        index = {level: i for i, level in enumerate(indicator.levels or [])}
        return index.__getitem__
    if indicator.type == "date":
        return dt.date.toordinal
    if indicator.better == "lower":
        return lambda v: -v
    return lambda v: v if not isinstance(v, bool) else int(v)


def gap(indicator: Indicator, value: Any, bar: Any) -> int | float | None:
    """How far `value` is below `bar`: positive when below, negative when it surpasses."""
    if indicator.type == "boolean":
        return None
    if indicator.type == "level":
        levels = indicator.levels or []
        return levels.index(bar) - levels.index(value)
    if indicator.type == "date":
        return (bar - value).days
    diff = Decimal(str(bar)) - Decimal(str(value))  # str() keeps 0.3 - 0.1 from printing 0.19999...
    if indicator.better == "lower":
        diff = -diff
    return int(diff) if diff == diff.to_integral_value() else float(diff)


class BarValue(NamedTuple):
    """The bar one lab is judged against."""

    binds: bool
    value: Any
    key: Key | None
    set_by: tuple[str, ...]
    set_by_count: int
    peers_disclosed: int
    blocked_by: tuple[str, ...] | None = None  # `all` bars: the peers that are not disclosed
    blocked_by_count: int = 0
    blocked_states: tuple[State, ...] = ()  # the state of each peer in blocked_by, in its order


class Ranking:
    """The disclosed values of one peer group on one indicator, sorted once, best first.

    It answers "the k-th best peer value, leaving out lab L" for any L in constant time, so a rule costs
    one sort however many labs it judges.
    """

    def __init__(self, members: Iterable[str], cells: dict[str, Cell], key: Callable[[Any], Key]) -> None:
        self.members = {lab for lab in members if cells.get(lab, ABSENT).state != NOT_APPLICABLE}
        ranked = sorted(
            ((key(cells[lab].value), lab) for lab in self.members if cells[lab].state == DISCLOSED),
            key=lambda pair: (-pair[0], pair[1]),
        )
        self.keys = [k for k, _ in ranked]
        self.position = {lab: i for i, (_, lab) in enumerate(ranked)}
        self.silent = sorted(lab for lab in self.members if cells[lab].state != DISCLOSED)
        self.states = {lab: STATE_NAMES[cells[lab].state] for lab in self.silent}  # why each is silent
        self.groups: dict[Key, list[str]] = {}
        self.raw: dict[Key, Any] = {}
        self._one: dict[BarValue, BarValue] = {}  # equal bars, one object: most peers see the same one
        for k, lab in ranked:
            self.groups.setdefault(k, []).append(lab)
            self.raw.setdefault(k, cells[lab].value)

    def peers_disclosed(self, lab: str) -> int:
        return len(self.keys) - (lab in self.position)

    def rank(self, lab: str, bar: Bar) -> int | None:
        """k for this bar as seen by `lab`, or None when the bar cannot bind."""
        peers = len(self.members) - (lab in self.members)
        return rank_k(bar.kind, bar.k, self.peers_disclosed(lab), peers)

    def blocked(self, lab: str) -> tuple[tuple[str, ...], int]:
        """The peers of `lab` that are not disclosed: they keep an `all` bar from binding."""
        listed = tuple([x for x in self.silent[: LISTED + 1] if x != lab][:LISTED])
        return listed, len(self.silent) - (lab in self.members and lab not in self.position)

    def bar(self, lab: str, bar: Bar) -> BarValue:
        n = self.peers_disclosed(lab)
        k = self.rank(lab, bar)
        blocked, blocked_count = self.blocked(lab) if bar.kind == "all" else (None, 0)
        states = tuple([self.states[x] for x in blocked]) if blocked else ()
        if k is None:
            return self._shared(BarValue(False, None, None, (), 0, n, blocked, blocked_count, states))
        # The k-th best value of the others: the k-th of all, unless the lab itself is among the first k,
        # which shifts the others' k-th best one place down (index k instead of k - 1).
        own = self.position.get(lab)
        key = self.keys[k - 1 if own is None or own > k - 1 else k]
        group = self.groups[key]
        set_by = tuple([x for x in group[: LISTED + 1] if x != lab][:LISTED])
        ties_with_lab = (
            own is not None and self.keys[own] == key
        )  # the lab holds the same value: not a setter
        count = len(group) - int(ties_with_lab)
        found = BarValue(True, self.raw[key], key, set_by, count, n, blocked, blocked_count, states)
        return self._shared(found)

    def _shared(self, bar: BarValue) -> BarValue:
        return self._one.setdefault(bar, bar)


def absolute_bar(bar: Bar, key: Callable[[Any], Key], as_of: dt.date) -> BarValue:
    """A threshold or recency bar: it always binds and nobody sets it (the caller fills in how many peers
    disclosed, the only part that depends on the judged lab)."""
    value = window_start(as_of, bar.value) if bar.kind == "within_days" else bar.value
    return BarValue(True, value, key(value), (), 0, 0)


def select_peers(tags: dict[str, frozenset[str]], peers: Peers | None) -> list[str]:
    """The labs (given as lab -> its tags) a `peers:` block selects: all listed tags carried, and/or
    listed by id."""
    if peers is None:
        return list(tags)
    return [lab for lab, carried in tags.items() if peers.selects(lab, carried)]


def compare(lab_key: Key, bar_key: Key) -> str:
    """surpasses, meets or below: a value against a bar, both as keys. A bar rule's verdict is classified
    by the engine (`engine._CLASSIFY`, over ranks of these keys); this is the same order in Python, for
    conditions (`meets:`) and for telling whether a classification moved (`incremental`). The property
    tests hold the engine's verdicts to the reference evaluator's, which compares values on its own."""
    if lab_key > bar_key:
        return "surpasses"
    return "meets" if lab_key == bar_key else "below"
