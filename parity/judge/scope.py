"""What a command reports: the labs and rules in scope (`scope`), and which rules `--rule`/`--skip-rule`
(ids or globs), `--pack`, `--area` and `--min-severity` select (`select_rules`).

Selection narrows what is reported, never what a bar sees. Precedence: start from every rule; keep those
matching any `--rule`, then those of any `--pack`, then those of any `--area`, then those at or above
`--min-severity`; finally drop those matching any `--skip-rule`. An id or glob that matches no rule is a
usage error (with a "did you mean"), because a typo must not silently report nothing.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from typing import Any

from parity.dataset import Dataset
from parity.errors import UsageError
from parity.models import suggest
from parity.vocabulary import at_least

_GLOB = set("*?[")


def _matching(patterns: Iterable[str], ids: list[str], what: str) -> set[str]:
    chosen: set[str] = set()
    for pattern in patterns:
        found = {i for i in ids if fnmatch.fnmatchcase(i, pattern)}
        if not found:
            hint = "" if _GLOB & set(pattern) else suggest(pattern, ids)
            raise UsageError(f"{what} {pattern!r} matches no rule{hint}")
        chosen |= found
    return chosen


def select_rules(
    data: Dataset,
    rules: Iterable[str] | None = None,
    skip: Iterable[str] | None = None,
    packs: Iterable[str] | None = None,
    areas: Iterable[str] | None = None,
    min_severity: str | None = None,
) -> list[str]:
    """The ids of the rules to report, sorted."""
    ids = sorted(data.rules)
    chosen = set(ids) if rules is None else _matching(rules, ids, "--rule")
    if packs is not None:
        wanted = set(select(packs, dict(data.packs), "pack"))
        chosen = {r for r in chosen if data.rules[r].pack in wanted}
    if areas is not None:
        area_of = {r: data.rules[r].area(data.indicators) for r in ids}
        known = sorted(set(area_of.values()))
        for area in areas:
            if area not in known:
                raise UsageError(f"unknown area {area!r}{suggest(area, known)}")
        chosen = {r for r in chosen if area_of[r] in set(areas)}
    if min_severity is not None:
        chosen = {r for r in chosen if at_least(data.rules[r].rule.severity, min_severity)}
    if skip is not None:
        chosen -= _matching(skip, ids, "--skip-rule")
    return sorted(chosen)


def scope(
    data: Dataset, labs: Iterable[str] | None, rules: Iterable[str] | None, packs: Iterable[str] | None
) -> tuple[list[str], set[str]]:
    """The labs (in order) and the rules whose verdicts are reported; raises UsageError for unknown ids."""
    lab_ids = select(labs, data.labs, "lab")
    rule_ids = set(select(rules, data.rules, "rule"))
    if packs is not None:
        chosen = set(select(packs, dict(data.packs), "pack"))
        rule_ids &= {r for r, loaded in data.rules.items() if loaded.pack in chosen}
    return lab_ids, rule_ids


def select(wanted: Iterable[str] | None, known: dict[str, Any], what: str) -> list[str]:
    """The ids asked for, sorted; every one must exist (with a "did you mean" when it does not)."""
    if wanted is None:
        return list(known)
    chosen = sorted(set(wanted))
    for x in chosen:
        if x not in known:
            raise UsageError(f"unknown {what} {x!r}{suggest(x, known)}")
    return chosen
