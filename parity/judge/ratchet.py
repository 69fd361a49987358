"""What each lab transparently held in the past, for ratcheted bars (`ratchet: DAYS`, docs/history.md).

A ratcheted relative bar ranks each peer by the best value it disclosed at any time within the window
before the evaluation date, not only by its value now: competitors slipping together cannot lower it.
`Held` records, per indicator and lab, the spans during which a disclosed value stood, from the revisions
`history` walks (or `check` reads from the repository); it is told the revisions oldest first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from parity.dataset import Dataset
from parity.judge.bars import Cell, Key, cell_of
from parity.vocabulary import DISCLOSED, NOT_APPLICABLE, same, window_start


@dataclass
class _Span:
    start: dt.date
    cell: Cell
    end: dt.date | None = None  # the date a later revision no longer showed it; None: still stands


@dataclass
class Held:
    """Spans of disclosed values per (indicator, lab); `complete` is False when the history is missing,
    and then ratcheted bars fall back to present values, their verdicts flagged `no_history`."""

    spans: dict[tuple[str, str], list[_Span]] = field(default_factory=dict)
    complete: bool = True
    revisions: int = 0

    def record(self, date: dt.date, indicator: str, lab: str, cell: Cell) -> None:
        """The lab's standing on the indicator as of a revision dated `date`."""
        spans = self.spans.setdefault((indicator, lab), [])
        last = spans[-1] if spans else None
        if last is not None and last.end is None:
            if cell.state == DISCLOSED and same(cell.value, last.cell.value):
                last.cell = cell  # the same value, its latest evidence
                return
            last.end = date
        if cell.state == DISCLOSED:
            spans.append(_Span(date, cell))

    def record_revision(self, date: dt.date, labs: dict[str, dict[str, Cell]]) -> None:
        """Every lab's cells (by indicator) at one revision; a lab or practice missing ends its span."""
        self.revisions += 1
        seen = set()
        for lab, cells in labs.items():
            for indicator, cell in cells.items():
                self.record(date, indicator, lab, cell)
                seen.add((indicator, lab))
        for key, spans in self.spans.items():
            if key not in seen and spans and spans[-1].end is None:
                spans[-1].end = date

    def best(
        self, indicator: str, days: int, as_of: dt.date, now: dict[str, Cell], key: Callable[[Any], Key]
    ) -> dict[str, Cell]:
        """Each lab's cell for ranking: the best disclosed value it held in [as_of - days, as_of], or its
        present cell when it held none better. A lab for which the practice does not apply now stays so."""
        start = window_start(as_of, days)
        out = {}
        for lab, cell in now.items():
            held: Cell | None = None
            if cell.state != NOT_APPLICABLE:
                for span in self.spans.get((indicator, lab), ()):
                    if span.start > as_of or (span.end is not None and span.end <= start):
                        continue
                    if held is None or key(span.cell.value) >= key(held.value):  # ties: the latest
                        held = span.cell
            if held is None or (cell.state == DISCLOSED and key(cell.value) >= key(held.value)):
                held = cell
            out[lab] = held
        return out


def ratcheted(data: Dataset) -> set[str]:
    """The indicators read by a ratcheted bar."""
    return {r.rule.indicator for r in data.rules.values() if r.rule.ratchet and r.rule.indicator}


def record(held: Held, date: dt.date, data: Dataset) -> None:
    """One revision's values of the ratcheted indicators, for every lab, as they stood on `date`."""
    names = ratcheted(data)
    labs = {
        lab_id: {name: cell_of(lab.profile.practices.get(name)) for name in names}
        for lab_id, lab in data.at(date).labs.items()
    }
    held.record_revision(date, labs)
