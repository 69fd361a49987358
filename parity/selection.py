"""Which rules a command reports: `--rule`/`--skip-rule` (ids or globs), `--pack`, `--area`, `--min-severity`.

Selection narrows what is reported, never what a bar sees. Precedence: start from every rule; keep those
matching any `--rule`, then those of any `--pack`, then those of any `--area`, then those at or above
`--min-severity`; finally drop those matching any `--skip-rule`. An id or glob that matches no rule is a
usage error (with a "did you mean"), because a typo must not silently report nothing.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable

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
        known = sorted({loaded.pack for loaded in data.rules.values()})
        for pack in packs:
            if pack not in known:
                raise UsageError(f"unknown pack {pack!r}{suggest(pack, known)}")
        chosen = {r for r in chosen if data.rules[r].pack in set(packs)}
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
