"""The pass/fail cases of every shipped rule pack (tests/rule_cases/<pack>.yaml), one test each."""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path
from typing import Any

import pytest
import yaml

import parity
from parity import source
from parity.models import parse_date

ROOT = Path(__file__).parents[1]
CASES = Path(__file__).parent / "rule_cases"
EVIDENCE = [{"url": "https://example.org/evidence", "date": dt.date(2026, 1, 1)}]


def _cases() -> list[tuple[str, dict[str, Any], dt.date]]:
    """Every case, read by parity's own strict reader: a typo in a case must not pass as a value."""
    out = []
    for path in sorted(CASES.glob("*.yaml")):
        located = source.parse(path.read_bytes(), str(path))
        assert not located.problems, "\n".join(map(str, located.problems))
        doc = located.data
        for i, case in enumerate(doc["cases"]):
            out.append((f"{doc['pack']}:{case['rule']}:{i}", case, parse_date(doc["as_of"])))
    return out


def _practice(spec: Any) -> dict[str, Any]:
    if isinstance(spec, dict):
        return spec
    if spec == "unknown":
        return {"value": "unknown"}
    return {"value": spec, "evidence": EVIDENCE}


def _profile(lab: str, spec: dict[str, Any]) -> dict[str, Any]:
    practices = spec.get("practices", spec)
    tags = spec.get("tags", ["frontier"]) if "practices" in spec else ["frontier"]
    return {
        "id": lab,
        "name": lab,
        "tags": tags,
        "practices": {name: _practice(value) for name, value in practices.items()},
    }


@functools.cache
def _named_labs() -> frozenset[str]:
    """Lab ids the shipped rules name (applies_to, peers.labs): every case world must hold them."""
    shipped = parity.load(None, ROOT / "rules")
    named: set[str] = set()
    for loaded in shipped.rules.values():
        target = loaded.rule.applies_to
        named.update(target if isinstance(target, list) else (target.labs or []) if target else [])
        named.update(loaded.rule.peers.labs or [] if loaded.rule.peers else [])
    return frozenset(named)


@pytest.mark.parametrize(("case", "as_of"), [c[1:] for c in _cases()], ids=[c[0] for c in _cases()])
def test_rule_case(case: dict[str, Any], as_of: dt.date, tmp_path: Path) -> None:
    profiles = tmp_path / "lab_profiles"
    profiles.mkdir()
    # Labs a rule names but the case leaves out stand by: untagged (nobody's peer), disclosing nothing.
    bystanders = {lab: {"tags": [], "practices": {}} for lab in _named_labs() - case["labs"].keys()}
    for lab, spec in {**bystanders, **case["labs"]}.items():
        (profiles / f"{lab}.yaml").write_text(yaml.safe_dump(_profile(lab, spec)), encoding="utf-8")
    data = parity.load(profiles, ROOT / "rules")
    report = parity.evaluate(data, as_of=as_of, rules=[case["rule"]])
    got = {v.lab: v.status for v in report.verdicts}
    assert {lab: got.get(lab) for lab in case["expect"]} == case["expect"], case.get("name", "")


def test_every_shipped_rule_has_a_passing_and_a_failing_case() -> None:
    shipped = parity.load(None, ROOT / "rules")
    outcomes: dict[str, set[str]] = {
        rule: set() for rule, r in shipped.rules.items() if r.rule.kind != "derive"
    }
    for _, case, _ in _cases():
        assert case["rule"] in outcomes, f"case for unknown rule {case['rule']}"
        outcomes[case["rule"]].update(case["expect"].values())
    for rule, statuses in outcomes.items():
        assert statuses & {"meets", "surpasses"}, f"{rule} has no passing case"
        assert statuses & {"below", "undisclosed"}, f"{rule} has no failing case"
