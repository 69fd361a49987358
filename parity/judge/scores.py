"""Scores and coverage of each lab, from its finished verdicts (docs/verdicts.md, "Scores and coverage").

A score counts only what judges the lab: (meets + surpasses) / (meets + surpasses + below + undisclosed).
Coverage says how much of what the rules read the profile records at all, so that a high score on a thin
profile never passes for a good one.
"""

from __future__ import annotations

from collections.abc import Iterable

from parity.dataset import Dataset
from parity.report import LabSummary, Verdict
from parity.vocabulary import GOOD, SCORED, STATUSES


def base_reads(data: Dataset) -> dict[str, frozenset[str]]:
    """For each rule, the profile practices it reads: a derived indicator stands for the practices its
    derive rule reads, transitively (derived indicators are never counted themselves)."""
    indicators = data.indicators
    derivers = {r.rule.derive: r.rule for r in data.rules.values() if r.rule.derive}
    expanded: dict[str, frozenset[str]] = {}

    def practices(names: Iterable[str]) -> frozenset[str]:
        out: set[str] = set()
        todo = list(names)
        seen: set[str] = set()
        while todo:  # iterative: a chain of derive rules may be thousands long
            name = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            if name in indicators and indicators[name].derived:
                if name in expanded:
                    out |= expanded[name]
                elif name in derivers:
                    todo.extend(derivers[name].reads())
            else:
                out.add(name)
        return frozenset(out)

    for name in sorted(derivers):
        expanded[name] = practices(derivers[name].reads())
    return {rule_id: practices(loaded.rule.reads()) for rule_id, loaded in data.rules.items()}


def summaries(
    data: Dataset, lab_ids: list[str], verdicts: list[Verdict], reads: dict[str, frozenset[str]]
) -> dict[str, LabSummary]:
    """Per lab: score overall, per area and per pack; coverage overall and per pack; counts."""
    by_lab: dict[str, list[Verdict]] = {lab: [] for lab in lab_ids}
    for v in verdicts:
        by_lab[v.lab].append(v)
    return {lab: summary(data, lab, by_lab[lab], reads) for lab in lab_ids}


def summary(data: Dataset, lab: str, verdicts: list[Verdict], reads: dict[str, frozenset[str]]) -> LabSummary:
    """One lab's summary, from its verdicts alone (and its profile's recorded practices)."""
    counts: dict[str, int] = dict.fromkeys(STATUSES, 0)
    areas: dict[str, list[int]] = {}
    packs: dict[str, list[int]] = {}
    read: dict[str, set[str]] = {}
    for v in verdicts:
        counts[v.status] += 1
        for tally in (areas.setdefault(v.area, [0, 0]), packs.setdefault(v.pack, [0, 0])):
            tally[0] += v.status in GOOD
            tally[1] += v.status in SCORED
        read.setdefault(v.pack, set()).update(reads[v.rule])
    recorded = data.labs[lab].profile.practices
    everything = set().union(*read.values()) if read else set()
    return LabSummary(
        name=data.labs[lab].profile.name,
        score=ratio(sum(t[0] for t in areas.values()), sum(t[1] for t in areas.values())),
        coverage=_coverage(everything, recorded),
        areas={area: ratio(*t) for area, t in sorted(areas.items())},
        packs={pack: ratio(*t) for pack, t in sorted(packs.items())},
        pack_coverage={pack: _coverage(names, recorded) for pack, names in sorted(read.items())},
        unassessed=tuple(sorted(n for n in everything if n not in recorded)),
        counts=counts,
    )


def _coverage(names: set[str], recorded: Iterable[str]) -> float | None:
    return ratio(sum(1 for n in names if n in recorded), len(names))


def ratio(good: int, total: int) -> float | None:
    """A share rounded to 4 decimals; None when there is nothing to count."""
    return round(good / total, 4) if total else None
