"""Rule-pack test cases (`parity test`): small worlds of labs, each judged by one rule, with the status
expected for each lab. Like `conftest verify`, they pin what a pack means, so a change to a rule that
changes a verdict fails a test before it changes a published scorecard.

A case file (YAML, read as strictly as any input):

    pack: seoul-commitments          # informational: the cases run against every pack of --rules
    as_of: 2026-11-26
    cases:
      - rule: seoul-framework-published
        name: optional words
        labs:
          anthropic: {frontier_safety_framework_published: true}     # a bare value: disclosed
          zhipu-ai: {frontier_safety_framework_published: unknown}   # unknown: undisclosed
          outsider: {tags: [us], practices: {x: {value: 1}}}         # tags and practices as written
        expect: {anthropic: meets, zhipu-ai: undisclosed, outsider: null}   # null: no verdict

Labs have the `frontier` tag unless their entry says `tags`. A lab that a rule names (in `applies_to` or
`peers.labs`) but a case leaves out is added as an untagged bystander that records nothing.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from parity.errors import LoadError, Problem
from parity.loading import Dataset, load
from parity.loading import yamldoc as source
from parity.loading.files import Folder, InputProblem, list_yaml
from parity.models import Peers
from parity.vocabulary import STATUSES, parse_date

EVIDENCE = [{"url": "https://example.org/evidence", "date": "2026-01-01"}]


@dataclass(frozen=True)
class Case:
    file: str
    line: int
    rule: str
    name: str
    labs: dict[str, Any]
    expect: dict[str, str | None]
    as_of: dt.date


@dataclass(frozen=True)
class Outcome:
    case: Case
    got: dict[str, str | None]

    @property
    def passed(self) -> bool:
        return self.got == self.case.expect

    def describe(self) -> str:
        where = f"{self.case.file}:{self.case.line}: {self.case.rule}" + (
            f" ({self.case.name})" if self.case.name else ""
        )
        wrong = [
            f"    {lab}: expected {_shown(self.case.expect[lab])}, got {_shown(self.got[lab])}"
            for lab in self.case.expect
            if self.got[lab] != self.case.expect[lab]
        ]
        return "\n".join([f"FAIL {where}", *wrong])


def _shown(status: str | None) -> str:
    return status or "no verdict"


def read_cases(directory: Path) -> list[Case]:
    """Every case of every file of a folder; raises LoadError with every problem found."""
    problems: list[Problem] = []
    cases: list[Case] = []
    try:
        files = list_yaml(directory, "rule cases", Path("."))  # no link out of the working folder
    except InputProblem as e:
        raise LoadError([e.problem]) from None
    if not files:
        raise LoadError([Problem(str(directory), 1, 1, "", "no rule cases (*.yaml) found")])
    for file in files:
        try:
            doc = source.parse(Folder().read(file), file.name)
        except (InputProblem, LoadError) as e:
            problems += [e.problem] if isinstance(e, InputProblem) else e.problems
            continue
        problems += doc.problems
        cases += _cases(doc, problems)
    if problems:
        raise LoadError(problems)
    return cases


def _cases(doc: source.Located, problems: list[Problem]) -> list[Case]:
    def fail(loc: tuple[str | int, ...], message: str) -> None:
        line, column = doc.position(loc)
        problems.append(Problem(doc.path, line, column, ".".join(map(str, loc)), message))

    data = doc.data if isinstance(doc.data, dict) else {}
    try:
        as_of = parse_date(data.get("as_of"))
    except ValueError as e:
        fail(("as_of",), str(e))
        return []
    out = []
    for i, case in enumerate(data.get("cases") or []):
        if not isinstance(case, dict) or not isinstance(case.get("rule"), str):
            fail(("cases", i), "a case needs `rule`, `labs` and `expect`")
            continue
        expect = case.get("expect")
        labs = case.get("labs")
        if not isinstance(expect, dict) or not isinstance(labs, dict):
            fail(("cases", i), "a case needs `labs` and `expect` mappings")
            continue
        for lab, status in expect.items():
            if status is not None and status not in STATUSES:
                fail(
                    ("cases", i, "expect", lab),
                    f"unknown status {status!r}; one of {', '.join(STATUSES)} or null",
                )
        line = doc.position(("cases", i))[0]
        out.append(Case(doc.path, line, case["rule"], str(case.get("name") or ""), labs, expect, as_of))
    return out


def _practice(spec: Any) -> dict[str, Any]:
    if isinstance(spec, dict):
        return spec
    if spec == "unknown":
        return {"value": "unknown"}
    return {"value": spec, "evidence": EVIDENCE}


def _profile(lab: str, spec: dict[str, Any]) -> dict[str, Any]:
    explicit = "practices" in spec
    practices = spec.get("practices", {}) if explicit else spec
    return {
        "id": lab,
        "name": lab,
        "tags": spec.get("tags", ["frontier"]) if explicit else ["frontier"],
        "practices": {name: _practice(value) for name, value in practices.items()},
    }


def _named_labs(packs: Dataset) -> set[str]:
    named: set[str] = set()
    for loaded in packs.rules.values():
        target = loaded.rule.applies_to
        named.update(
            target if isinstance(target, list) else (target.labs or []) if isinstance(target, Peers) else []
        )
        named.update(loaded.rule.peers.labs or [] if loaded.rule.peers else [])
    return named


def run_cases(cases: list[Case], rules: Path) -> list[Outcome]:
    """Each case judged in a world of its own, against every pack of `rules`."""
    from parity.judge.evaluation import evaluate

    packs = load(None, rules)
    named = _named_labs(packs)
    outcomes = []
    for case in cases:
        with tempfile.TemporaryDirectory() as d:
            root = Path(d)
            (root / "lab_profiles").mkdir()
            labs = {**{lab: {"tags": [], "practices": {}} for lab in named - case.labs.keys()}, **case.labs}
            for lab, spec in labs.items():
                text = yaml.safe_dump(_profile(lab, spec if isinstance(spec, dict) else {}), sort_keys=False)
                (root / "lab_profiles" / f"{lab}.yaml").write_text(text, encoding="utf-8")
            data = load(root / "lab_profiles", rules)
            report = evaluate(data, as_of=case.as_of, rules=[case.rule])
        got = {v.lab: v.status for v in report.verdicts}
        outcomes.append(Outcome(case, {lab: got.get(lab) for lab in case.expect}))
    return outcomes
