"""Every piece of evidence a Dataset cites, by URL: the one walk `parity sources` checks, so that it is the
one place that knows where evidence lives.

The walk goes through every field of every profile's practices and of every rule, however deep, and takes
each `Evidence` it meets: a practice's `evidence`, and whatever else holds evidence (a practice's earlier
entries, a rule's `source` or `withdrawn`) as soon as the models give it, with no change here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from pydantic import BaseModel

from parity.dataset import Dataset
from parity.models import Evidence

Path = tuple[str | int, ...]


class Cited(NamedTuple):
    """One piece of evidence and who cites it: a lab's practice, or a rule of a pack; `field` is where in
    that practice or rule it stands (`evidence[0]`, `earlier[1].evidence[0]`, `source[0]`)."""

    evidence: Evidence
    field: str
    lab: str | None = None
    practice: str | None = None
    pack: str | None = None
    rule: str | None = None


def citations(data: Dataset) -> dict[str, list[Cited]]:
    """Every URL the data cites, sorted, with each citation of it (in file order)."""
    found: dict[str, list[Cited]] = {}
    for lab_id, lab in sorted(data.labs.items()):
        for name, practice in lab.profile.practices.items():
            for path, e in _walk(practice, ()):
                found.setdefault(e.url, []).append(Cited(e, _field(path), lab=lab_id, practice=name))
    for rule_id, loaded in sorted(data.rules.items()):
        for path, e in _walk(loaded.rule, ()):
            found.setdefault(e.url, []).append(Cited(e, _field(path), pack=loaded.pack, rule=rule_id))
    return dict(sorted(found.items()))


def _walk(node: object, path: Path) -> Iterator[tuple[Path, Evidence]]:
    """Every Evidence in a model, with its path."""
    if isinstance(node, Evidence):
        yield path, node
    elif isinstance(node, BaseModel):
        for name in type(node).model_fields:
            yield from _walk(getattr(node, name), (*path, name))
    elif isinstance(node, (list, tuple)):
        for i, item in enumerate(node):
            yield from _walk(item, (*path, i))
    elif isinstance(node, dict):
        for key, item in node.items():
            yield from _walk(item, (*path, str(key)))


def _field(path: Path) -> str:
    """`('earlier', 1, 'evidence', 0)` as `earlier[1].evidence[0]`."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def quotes(cited: list[Cited]) -> list[str]:
    """The distinct quotes cited at one URL, sorted."""
    return sorted({c.evidence.quote for c in cited if c.evidence.quote})
