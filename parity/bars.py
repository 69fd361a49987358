"""The industry bar, computed in Python: practice states, a better-is-larger key for every value, the k-th
best disclosed peer value, gaps, and three-valued conditions. Aggregates live here and not in the engine:
a Rete network would need a join over every pair of labs to find "the best competitor"."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

from parity.loader import Lab
from parity.models import UNKNOWN, Bar, Evidence, Indicator, Peers, Practice

# Practice states, ordered so that "has a value" is `state >= UNEVIDENCED`; the engine uses these codes.
NOT_APPLICABLE, UNDISCLOSED, UNEVIDENCED, DISCLOSED = 0, 1, 2, 3
STATE_NAMES = {
    NOT_APPLICABLE: "not_applicable",
    UNDISCLOSED: "undisclosed",
    UNEVIDENCED: "unevidenced",
    DISCLOSED: "disclosed",
}
Key = int | float
Truth = bool | None  # three-valued: None is unknown


@dataclass(frozen=True, slots=True)
class Cell:
    """One lab's standing on one indicator."""

    state: int
    value: Any = None
    practice: Practice | None = None
    evidence: tuple[Evidence, ...] = ()  # one tuple per practice, shared by every verdict that cites it
    newest: dt.date | None = None  # publication date of the newest evidence


ABSENT = Cell(UNDISCLOSED)


def cell_of(practice: Practice | None) -> Cell:
    """The state and value of a practice as SPEC.md defines them."""
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
    """A derived value: true or false counts as disclosed, unknown as undisclosed."""
    return ABSENT if value is None else Cell(DISCLOSED, value)


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
        self.groups: dict[Key, list[str]] = {}
        self.raw: dict[Key, Any] = {}
        for k, lab in ranked:
            self.groups.setdefault(k, []).append(lab)
            self.raw.setdefault(k, cells[lab].value)

    def peers_disclosed(self, lab: str) -> int:
        return len(self.keys) - (lab in self.position)

    def rank(self, lab: str, bar: Bar) -> int | None:
        """k for this bar as seen by `lab`, or None when the bar cannot bind."""
        n = self.peers_disclosed(lab)
        if bar.kind == "best":
            k = 1
        elif bar.kind == "quorum":
            k = bar.k or 1
        elif bar.kind == "median":
            k = math.ceil(n / 2)
        else:  # all: every peer must be disclosed
            peers = len(self.members) - (lab in self.members)
            k = peers if n == peers else 0
        return k if 1 <= k <= n else None

    def bar(self, lab: str, bar: Bar) -> BarValue:
        n = self.peers_disclosed(lab)
        k = self.rank(lab, bar)
        if k is None:
            return BarValue(False, None, None, (), 0, n)
        own = self.position.get(lab)
        key = self.keys[k - 1 if own is None or own > k - 1 else k]
        group = self.groups[key]
        set_by = tuple([x for x in group[:21] if x != lab][:20])
        count = len(group) - (own is not None and self.keys[own] == key)
        return BarValue(True, self.raw[key], key, set_by, count, n)


def absolute_bar(bar: Bar, key: Callable[[Any], Key], as_of: dt.date) -> BarValue:
    """A threshold or recency bar: it always binds and nobody sets it (the caller fills in how many peers
    disclosed, the only part that depends on the judged lab)."""
    value = as_of - dt.timedelta(days=bar.value) if bar.kind == "within_days" else bar.value
    return BarValue(True, value, key(value), (), 0, 0)


def select_peers(labs: dict[str, Lab], peers: Peers | None) -> list[str]:
    """The labs a `peers:` block selects: all listed tags carried, and/or listed by id."""
    if peers is None:
        return list(labs)
    wanted = set(peers.tags or [])
    listed = set(peers.labs) if peers.labs is not None else None
    return [
        lab_id
        for lab_id, lab in labs.items()
        if wanted <= set(lab.profile.tags) and (listed is None or lab_id in listed)
    ]


def compare(lab_key: Key, bar_key: Key) -> str:
    """surpasses, meets or below: used by conditions; verdicts are classified by the engine."""
    if lab_key > bar_key:
        return "surpasses"
    return "meets" if lab_key == bar_key else "below"


def fold(mode: str, values: Iterable[Truth]) -> Truth:
    """SPEC.md's three-valued `all` / `any`."""
    seen = list(values)
    decisive = mode != "all"  # `all` is decided by a False, `any` by a True
    if decisive in seen:
        return decisive
    return None if None in seen else not decisive


def condition(
    op: str, operand: Any, cell: Cell, key: Callable[[Any], Key], meets: Callable[[], Truth]
) -> Truth:
    """A condition `op: operand` (operand in the indicator's own terms) on one lab's cell; `meets`
    computes the lab's standing against a bar on demand."""
    if cell.state == NOT_APPLICABLE:
        return False
    if op == "disclosed":
        return (cell.state == DISCLOSED) == operand
    if op == "meets":
        return meets()
    if cell.state == UNDISCLOSED:
        return None
    lab_key, operand_key = key(cell.value), key(operand)
    if op == "equals":
        return lab_key == operand_key
    return lab_key >= operand_key if op == "at_least" else lab_key <= operand_key
