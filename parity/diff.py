"""What changed between two evaluations: verdicts matched by (lab, rule), never by line, each change with
its kind and its cause (docs/cli.md, "parity diff").

A side is a git revision of the repository, a folder holding `lab_profiles/` and `rules/`, or a saved JSON
report; both sides are compared as reports, so a saved report needs nothing else to be compared.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from parity.errors import LoadError, Problem, UsageError
from parity.loading.cache import ParseCache
from parity.report import Location, Report, Verdict, changed_packs
from parity.report.document import plain
from parity.vocabulary import SHORTFALLS, at_least

SCHEMA = "parity/diff/v1"


@dataclass(frozen=True)
class Side:
    """One side of a comparison: how it was named, the commit it resolved to (for a revision), its report."""

    ref: str
    kind: str  # revision, folder, report
    report: Report
    commit: str | None = None


@dataclass(frozen=True)
class Change:
    lab: str
    rule: str
    change: str
    cause: str
    severity: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    moved_by: tuple[str, ...] = ()
    pack_version_changed: bool = False
    location: Location | None = None  # the practice's place on the side that still has the verdict
    title: str = ""


@dataclass(frozen=True)
class Diff:
    base: Side
    head: Side
    changes: list[Change]
    packs: list[tuple[str, str | None, str | None]] = field(default_factory=list)

    def new(self, floor: str) -> list[Change]:
        """`new` shortfalls at or above the severity `floor` (a waived one is not a shortfall)."""
        return [c for c in self.changes if c.change == "new" and at_least(c.severity, floor)]

    def to_dict(self) -> dict[str, Any]:
        as_of = self.head.report.as_of
        return {
            "schema": SCHEMA,
            "base": _side(self.base),
            "head": _side(self.head),
            "as_of": as_of.isoformat(),
            "changes": [_change(c) for c in self.changes],
            "packs": [{"pack": p, "base": b, "head": h} for p, b, h in self.packs],
        }


def _side(side: Side) -> dict[str, Any]:
    out: dict[str, Any] = {"ref": side.ref, "kind": side.kind, "as_of": side.report.as_of.isoformat()}
    if side.commit:
        out["commit"] = side.commit
    return out


def _change(c: Change) -> dict[str, Any]:
    out: dict[str, Any] = {"lab": c.lab, "rule": c.rule, "change": c.change, "cause": c.cause}
    if c.moved_by:
        out["moved_by"] = list(c.moved_by)
    out.update({"before": c.before, "after": c.after, "severity": c.severity})
    if c.pack_version_changed:
        out["pack_version_changed"] = True
    return out


def _brief(v: Verdict) -> dict[str, Any]:
    return {
        "status": v.status,
        "value": plain(v.value),
        "bar": plain(v.bar.value),
        "waiver": v.waiver.underlying if v.waiver else None,
    }


def _own(v: Verdict) -> tuple[Any, ...]:
    """What the judged lab's own profile says, as the verdict records it."""
    return (v.state, plain(v.value), tuple((e.url, e.date, e.quote, e.note) for e in v.evidence))


def _practices(report: Report) -> dict[tuple[str, str], tuple[str, Any]]:
    """Each lab's recorded (state, value) per indicator, as far as the report's verdicts show them."""
    out: dict[tuple[str, str], tuple[str, Any]] = {}
    for v in report.verdicts:
        out.setdefault((v.lab, v.indicator), (v.state, plain(v.value)))
    return out


def compare(base: Side, head: Side) -> Diff:
    """Every verdict that differs between the two sides, with its kind and cause."""
    before = {(v.lab, v.rule): v for v in base.report.verdicts}
    after = {(v.lab, v.rule): v for v in head.report.verdicts}
    base_packs, head_packs = dict(base.report.packs), dict(head.report.packs)
    repacked = set(changed_packs(base.report.packs, head.report.packs))
    moved = _moved(base.report, head.report)
    changes = []
    for key in sorted(before.keys() | after.keys()):
        b, a = before.get(key), after.get(key)
        change = _one(key, b, a, base.report, head.report, moved)
        if change is not None:
            pack = (a or b).pack  # type: ignore[union-attr]
            if pack in repacked:
                change = Change(**{**change.__dict__, "pack_version_changed": True})
            changes.append(change)
    packs = [(p, base_packs.get(p), head_packs.get(p)) for p in sorted(repacked)]
    return Diff(base, head, changes, packs)


def _moved(base: Report, head: Report) -> dict[str, set[str]]:
    """Per indicator, the labs whose recorded practice differs between the sides."""
    b, a = _practices(base), _practices(head)
    out: dict[str, set[str]] = {}
    for lab, indicator in b.keys() | a.keys():
        if b.get((lab, indicator)) != a.get((lab, indicator)):
            out.setdefault(indicator, set()).add(lab)
    return out


def _one(
    key: tuple[str, str],
    b: Verdict | None,
    a: Verdict | None,
    base: Report,
    head: Report,
    moved: dict[str, set[str]],
) -> Change | None:
    lab, rule = key
    if b is None or a is None:
        present = a or b
        assert present is not None
        kind = "added" if b is None else "removed"
        before, after = _brief(b) if b else None, _brief(a) if a else None
        return Change(lab, rule, kind, "rule", present.severity, before, after, (), False, present.location)
    if (b.status, plain(b.value), plain(b.bar.value), b.waiver) == (
        a.status,
        plain(a.value),
        plain(a.bar.value),
        a.waiver,
    ):
        return None
    was, now = b.status in SHORTFALLS, a.status in SHORTFALLS
    kind = "new" if now and not was else "resolved" if was and not now else "changed"
    cause, moved_by = _cause(b, a, base, head, moved)
    return Change(
        lab, rule, kind, cause, a.severity, _brief(b), _brief(a), moved_by, False, a.location, a.title
    )


def _cause(
    b: Verdict, a: Verdict, base: Report, head: Report, moved: dict[str, set[str]]
) -> tuple[str, tuple[str, ...]]:
    rule_before, rule_after = base.rules.get(b.rule), head.rules.get(a.rule)
    if rule_before is None or rule_after is None or rule_before.digest != rule_after.digest:
        return "rule", ()
    if _own(b) != _own(a):
        return "own", ()
    if (b.waiver is None) != (a.waiver is None) or (b.status == "waived") != (a.status == "waived"):
        return "waiver", ()
    others = sorted(moved.get(a.indicator, set()) - {a.lab})
    if others:
        return "bar", tuple(others)
    return "as_of", ()


# --- the sides ---------------------------------------------------------------------------------------------


def spelled_as_path(spec: str) -> bool:
    """Whether a side is written as a path: `.`, `..`, or starting with `/`, `./` or `../`, or ending with
    `/`. No git revision can be written so; anything else is a revision (docs/cli.md, "parity diff")."""
    return spec in (".", "..") or spec.startswith(("/", "./", "../")) or spec.endswith("/")


def load_side(spec: str, repo: Path, as_of: dt.date, cache: ParseCache | None = None) -> Side:
    """A side of a comparison, evaluated at `as_of`: a side written as a path is a folder of data or a
    saved JSON report; anything else is a revision of `repo`, never a file that happens to have its name
    (a pull request that adds a folder `origin/main/` must not be compared with itself). Files are parsed
    through `cache` when one is given."""
    if spelled_as_path(spec):
        return _path_side(spec, as_of, cache)
    return _revision_side(spec, repo, as_of, cache)


def _path_side(spec: str, as_of: dt.date, cache: ParseCache | None) -> Side:
    from parity.judge.evaluation import evaluate
    from parity.loading import load

    path = Path(spec)
    if path.is_dir():
        waivers = path / "waivers.yaml"
        waivers_file = waivers if os.path.lexists(waivers) else None
        data = load(path / "lab_profiles", path / "rules", waivers_file, cache=cache)
        return Side(spec, "folder", evaluate(data, as_of=as_of))
    if os.path.lexists(path):
        return Side(spec, "report", read_report(path, spec))
    raise UsageError(f"{spec!r}: no such folder (holding lab_profiles/ and rules/) or saved report (*.json)")


def _revision_side(spec: str, repo: Path, as_of: dt.date, cache: ParseCache | None) -> Side:
    from parity.judge.evaluation import evaluate
    from parity.loading import load_revision
    from parity.loading.files import GitObjects, GitRevision, InputProblem

    with GitObjects(repo) as objects:
        try:
            tree = GitRevision(repo, spec, objects)
        except InputProblem as e:
            raise UsageError(_not_a_revision(spec, repo, e.problem.message)) from None
        waivers_name = "waivers.yaml" if tree.exists("waivers.yaml") else None
        data = load_revision(repo, spec, waivers=waivers_name, cache=cache, objects=objects)
    return Side(spec, "revision", evaluate(data, as_of=as_of), tree.commit)


def _not_a_revision(spec: str, repo: Path, why: str) -> str:
    """Why `spec` is no side: it names no revision (or git could not say); and how to write the folder
    or the file of that name, which a side not written as a path never is."""
    message = f"{spec!r}: {why}" if why.startswith("no such revision") else f"{spec!r}: not a revision: {why}"
    if os.path.lexists(spec):
        kind = "folder" if os.path.isdir(spec) else "saved report"
        return f"{message}; to compare the {kind} of that name, write it as a path: ./{spec}"
    return f"{message} (a folder or a saved report is written as a path: ./NAME, NAME/ or /...)"


def read_report(path: Path, name: str) -> Report:
    """A saved JSON report (`parity check --format json`), checked at the boundary before anything reads
    it (report/saved.py): read bounded, as every input file is."""
    from parity.loading.files import InputProblem, read_bytes
    from parity.report.saved import MAX_REPORT_BYTES, parse_report

    try:
        raw = read_bytes(path, name, MAX_REPORT_BYTES)
    except InputProblem as e:
        raise LoadError([e.problem]) from None
    doc = parse_report(raw, name)
    try:
        return Report.from_dict(doc)
    except ValueError as e:  # what the schema cannot say (an evidence URL the input model refuses...)
        raise LoadError([Problem(name, 1, 1, "", f"not a saved parity report: {e}")]) from None
