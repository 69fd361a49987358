"""What changed between two evaluations: verdicts matched by (lab, rule), never by line, each change with
its kind and its cause (docs/cli.md, "parity diff").

A side is a git revision of the repository, a folder holding `lab_profiles/` and `rules/`, or a saved JSON
report; both sides are compared as reports, so a saved report needs nothing else to be compared.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field, replace
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


Practice = tuple[str, Any]  # a lab's recorded (state, value) of one indicator, as its verdicts show it


@dataclass(frozen=True)
class Move:
    """A competitor whose practice changed between the sides: what moved a bar (cause `bar`)."""

    lab: str
    indicator: str
    before: Practice | None  # None: the lab had no verdict reading it on that side
    after: Practice | None


@dataclass(frozen=True)
class Change:
    """One (lab, rule) pair whose verdict differs between the sides, with its kind and cause; `was` and
    `now` are the verdicts themselves, so that every format can say what changed in words."""

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
    was: Verdict | None = None
    now: Verdict | None = None
    moves: tuple[Move, ...] = ()  # cause `bar`: what each competitor in `moved_by` did
    # A shortfall this change introduces that a waiver covers: one the base did not apply (added in this
    # change unless `waiver_on_base`). A reviewer must see it; `--fail-on-new` counts it (docs/cli.md).
    waived_new: bool = False
    waiver_on_base: bool = False
    # The rule's definition changed while its pack kept its version (cause `rule`).
    rule_redefined: bool = False

    @property
    def bar_fell(self) -> bool:
        """A shortfall that ended only because competitors' data moved the bar (the lab did nothing)."""
        return self.change == "resolved" and self.cause == "bar"


@dataclass(frozen=True)
class Redefined:
    """A rule whose definition differs between the sides while its pack's version does not: a change of
    methodology nobody versioned (compared by the rule's digest)."""

    rule: str
    title: str
    pack: str
    version: str
    severity: str | None
    location: Location  # the rule's place on the head side


@dataclass(frozen=True)
class Diff:
    base: Side
    head: Side
    changes: list[Change]
    packs: list[tuple[str, str | None, str | None]] = field(default_factory=list)
    redefined: list[Redefined] = field(default_factory=list)

    def new(self, floor: str) -> list[Change]:
        """`new` shortfalls at or above the severity `floor` (a waived one is not a shortfall)."""
        return [c for c in self.changes if c.change == "new" and at_least(c.severity, floor)]

    def failing(self, floor: str, accept_new_waivers: bool = False) -> list[Change | Redefined]:
        """What `--fail-on-new floor` fails on: new shortfalls; new shortfalls a waiver covers, unless the
        waivers of the head side are accepted; rules redefined under an unchanged pack version."""
        found: list[Change | Redefined] = list(self.new(floor))
        if not accept_new_waivers:
            found += [c for c in self.changes if c.waived_new and at_least(c.severity, floor)]
        found += [r for r in self.redefined if at_least(r.severity, floor)]
        return found

    def to_dict(self) -> dict[str, Any]:
        as_of = self.head.report.as_of
        return {
            "schema": SCHEMA,
            "base": _side(self.base),
            "head": _side(self.head),
            "as_of": as_of.isoformat(),
            "changes": [_change(c) for c in self.changes],
            "packs": [{"pack": p, "base": b, "head": h} for p, b, h in self.packs],
            "redefined": [_redefined(r) for r in self.redefined],
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
    if c.waived_new:
        out["waived_new"] = True
        out["waiver_on_base"] = c.waiver_on_base
    if c.bar_fell:
        out["bar_fell"] = True
    if c.rule_redefined:
        out["rule_redefined"] = True
    return out


def _redefined(r: Redefined) -> dict[str, Any]:
    return {
        "rule": r.rule,
        "pack": r.pack,
        "version": r.version,
        "severity": r.severity,
        "location": {"file": r.location.file, "line": r.location.line},
    }


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


def _practices(report: Report) -> dict[tuple[str, str], Practice]:
    """Each lab's recorded (state, value) per indicator, as far as the report's verdicts show them."""
    out: dict[tuple[str, str], Practice] = {}
    for v in report.verdicts:
        out.setdefault((v.lab, v.indicator), (v.state, plain(v.value)))
    return out


class _Sides:
    """What comparing two reports needs at hand for every pair: both catalogs and who moved what."""

    def __init__(self, base: Report, head: Report) -> None:
        self.base, self.head = base, head
        self.practices = (_practices(base), _practices(head))
        self.moved: dict[str, set[str]] = {}  # per indicator, the labs whose recorded practice differs
        b, a = self.practices
        for lab, indicator in b.keys() | a.keys():
            if b.get((lab, indicator)) != a.get((lab, indicator)):
                self.moved.setdefault(indicator, set()).add(lab)
        # Waivers the base side carried but did not apply: a new shortfall they now cover was waived ahead.
        self.unapplied = {(w.rule, w.lab) for w in base.waiver_issues}

    def moves(self, indicator: str, labs: tuple[str, ...]) -> tuple[Move, ...]:
        b, a = self.practices
        return tuple(Move(lab, indicator, b.get((lab, indicator)), a.get((lab, indicator))) for lab in labs)


def compare(base: Side, head: Side) -> Diff:
    """Every verdict that differs between the two sides, with its kind and cause; and every rule redefined
    under an unchanged pack version, whether or not a verdict moved."""
    before = {(v.lab, v.rule): v for v in base.report.verdicts}
    after = {(v.lab, v.rule): v for v in head.report.verdicts}
    base_packs, head_packs = dict(base.report.packs), dict(head.report.packs)
    repacked = set(changed_packs(base.report.packs, head.report.packs))
    redefined = _redefined_rules(base.report, head.report, repacked)
    sides = _Sides(base.report, head.report)
    changes = []
    for key in sorted(before.keys() | after.keys()):
        b, a = before.get(key), after.get(key)
        change = _one(key, b, a, sides)
        if change is not None:
            pack = (a or b).pack  # type: ignore[union-attr]
            redefined_here = change.cause == "rule" and key[1] in redefined
            changes.append(
                replace(change, pack_version_changed=pack in repacked, rule_redefined=redefined_here)
            )
    packs = [(p, base_packs.get(p), head_packs.get(p)) for p in sorted(repacked)]
    return Diff(base, head, changes, packs, sorted(redefined.values(), key=lambda r: r.rule))


def _redefined_rules(base: Report, head: Report, repacked: set[str]) -> dict[str, Redefined]:
    """Rules on both sides whose digests differ while their pack's version is the same on both."""
    versions = dict(head.packs)
    out = {}
    for rule_id, now in head.rules.items():
        was = base.rules.get(rule_id)
        if was is None or not was.digest or not now.digest or was.digest == now.digest:
            continue  # a saved report from before digests has none: nothing to compare
        if now.pack != was.pack or now.pack in repacked or now.pack not in versions:
            continue
        out[rule_id] = Redefined(rule_id, now.title, now.pack, versions[now.pack], now.severity, now.location)
    return out


def _one(key: tuple[str, str], b: Verdict | None, a: Verdict | None, sides: _Sides) -> Change | None:
    lab, rule = key
    if b is None or a is None:
        present = a or b
        assert present is not None
        kind = "added" if b is None else "removed"
        before, after = _brief(b) if b else None, _brief(a) if a else None
        return Change(
            lab, rule, kind, "rule", present.severity, before, after,
            location=present.location, title=present.title, was=b, now=a,
        )  # fmt: skip
    if (b.status, plain(b.value), plain(b.bar.value), b.waiver) == (
        a.status,
        plain(a.value),
        plain(a.bar.value),
        a.waiver,
    ):
        return None
    was, now = b.status in SHORTFALLS, a.status in SHORTFALLS
    kind = "new" if now and not was else "resolved" if was and not now else "changed"
    cause, moved_by = _cause(b, a, sides)
    # A shortfall introduced here and waived at once: neither side shows it as `new`, so it is flagged.
    waived_new = a.waiver is not None and b.waiver is None and not was
    return Change(
        lab, rule, kind, cause, a.severity, _brief(b), _brief(a), moved_by,
        location=a.location, title=a.title, was=b, now=a, moves=sides.moves(a.indicator, moved_by),
        waived_new=waived_new, waiver_on_base=waived_new and (rule, lab) in sides.unapplied,
    )  # fmt: skip


def _cause(b: Verdict, a: Verdict, sides: _Sides) -> tuple[str, tuple[str, ...]]:
    rule_before, rule_after = sides.base.rules.get(b.rule), sides.head.rules.get(a.rule)
    if rule_before is None or rule_after is None or rule_before.digest != rule_after.digest:
        return "rule", ()
    if _own(b) != _own(a):
        return "own", ()
    if (b.waiver is None) != (a.waiver is None) or (b.status == "waived") != (a.status == "waived"):
        return "waiver", ()
    others = sorted(sides.moved.get(a.indicator, set()) - {a.lab})
    if others:
        return "bar", tuple(others)
    return "as_of", ()


# --- the sides ---------------------------------------------------------------------------------------------


def spelled_as_path(spec: str) -> bool:
    """Whether a side is written as a path: `.`, `..`, or starting with `/`, `./` or `../`, or ending with
    `/`. No git revision can be written so; anything else is a revision (docs/cli.md, "parity diff")."""
    return spec in (".", "..") or spec.startswith(("/", "./", "../")) or spec.endswith("/")


def load_side(
    spec: str, repo: Path, as_of: dt.date, cache: ParseCache | None = None, where: str = ""
) -> Side:
    """A side of a comparison, evaluated at `as_of`: a side written as a path is a folder of data or a
    saved JSON report; anything else is a revision of `repo`, never a file that happens to have its name
    (a pull request that adds a folder `origin/main/` must not be compared with itself), whose data is read
    from the folder `where` of its tree ("" for its top, "data/" below it: `data_prefix`). Files are parsed
    through `cache` when one is given."""
    if spelled_as_path(spec):
        return _path_side(spec, as_of, cache)
    return _revision_side(spec, repo, as_of, cache, where)


def data_prefix(folder: Path) -> str:
    """Where a data folder of the working tree sits in its repository's revisions, as git says it
    (`rev-parse --show-prefix`: "" at the top, "data/" below it), so that a diff run from anywhere in the
    repository reads each revision's data where the working tree holds it; "" outside a repository (a
    revision side then says itself what is wrong)."""
    import subprocess

    from parity.loading.files import git_command, git_environment

    try:
        done = subprocess.run(
            git_command(folder, "rev-parse", "--show-prefix"),
            capture_output=True,
            check=False,
            env=git_environment(),
        )
    except OSError:
        return ""
    return done.stdout.decode("utf-8", errors="replace").strip() if done.returncode == 0 else ""


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


def _revision_side(spec: str, repo: Path, as_of: dt.date, cache: ParseCache | None, where: str) -> Side:
    from parity.judge.evaluation import evaluate
    from parity.loading import load_revision
    from parity.loading.files import GitObjects, GitRevision, InputProblem

    with GitObjects(repo) as objects:
        try:
            tree = GitRevision(repo, spec, objects)
        except InputProblem as e:
            raise UsageError(_not_a_revision(spec, repo, e.problem.message)) from None
        profiles, rules, waivers = (f"{where}{name}" for name in ("lab_profiles", "rules", "waivers.yaml"))
        waivers_name = waivers if tree.exists(waivers) else None
        data = load_revision(repo, spec, profiles, rules, waivers_name, cache=cache, objects=objects)
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
