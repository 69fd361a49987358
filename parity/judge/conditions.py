"""Many-valued conditions, and what a commitment's conditions make of its status (docs/verdicts.md).

A condition is true, false, "undisclosed" (the lab is silent) or "unassessed" (nobody has looked), so that
keeping quiet is never a way out of a commitment and missing research is never an accusation. Pure
functions over cells; the bars they need come from `bars`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from parity.judge.bars import BarValue, Cell, Key, compare
from parity.vocabulary import DISCLOSED, NOT_APPLICABLE, UNASSESSED, UNDISCLOSED, Status, Truth

UNDISCLOSED_T: Truth = "undisclosed"
UNASSESSED_T: Truth = "unassessed"


def fold(mode: str, values: Iterable[Truth]) -> Truth:
    """`all`: false if any is false, else unassessed, else undisclosed, else true; `any` the mirror image
    (missing research could still settle it, so it dominates silence)."""
    seen = list(values)
    decisive = mode != "all"  # `all` is decided by a false, `any` by a true
    if any(v is decisive for v in seen):
        return decisive
    if UNASSESSED_T in seen:
        return UNASSESSED_T
    if UNDISCLOSED_T in seen:
        return UNDISCLOSED_T
    return not decisive


def condition(op: str, operand: Any, cell: Cell, key: Callable[[Any], Key], bar: BarValue | None) -> Truth:
    """One condition `op: operand` (operand in the indicator's own terms) on one lab's cell; `bar` is the
    lab's bar for a `meets` condition."""
    if cell.state == NOT_APPLICABLE:
        return False
    if cell.state == UNASSESSED:
        return UNASSESSED_T
    if op == "disclosed":
        return (cell.state == DISCLOSED) == operand
    if cell.state == UNDISCLOSED:
        return UNDISCLOSED_T
    if op == "meets":
        if bar is None or not bar.binds or bar.key is None:
            return UNDISCLOSED_T
        return compare(key(cell.value), bar.key) != "below"
    lab_key, operand_key = key(cell.value), key(operand)
    if op == "equals":
        return lab_key == operand_key
    return lab_key >= operand_key if op == "at_least" else lab_key <= operand_key


def commitment_status(when: Truth, op: str, cell: Cell, held: Truth) -> Status:
    """A commitment's status, first match wins: its `when`, the state of the required practice, then
    whether the requirement holds."""
    if when is False:
        return "not_applicable"
    if when == UNASSESSED_T:
        return "unassessed"
    if when == UNDISCLOSED_T:
        return "undisclosed"
    if cell.state == NOT_APPLICABLE:
        return "not_applicable"
    if cell.state == UNASSESSED:
        return "unassessed"
    if cell.state == UNDISCLOSED and op != "disclosed":
        return "undisclosed"
    if held == UNDISCLOSED_T:  # only a `meets` requirement whose bar does not bind gets here
        return "no_bar"
    return "meets" if held is True else "below"
