"""Time as data: practices with `since` and `earlier`, rules that end (`until`, `withdrawn`), and `due`.

The world as it stood on a date is what `--as-of` judges: each practice the state in force that day,
unassessed before its earliest `since`; a rule judges from `in_force` up to the day before `until`."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import Result

import parity

Run = Callable[..., Result]

PACK = """
pack: p
version: "1"
indicators:
  pause_commitment:
    title: Pause commitment
    area: governance
    type: level
    levels: [none, conditional-delay, competitor-contingent-pause, unconditional-pause]
  last_report:
    title: Latest risk report
    area: reporting
    type: date
rules:
  - {id: pause-best, indicator: pause_commitment, bar: best, severity: high}
  - id: pause-pledge
    indicator: pause_commitment
    bar: {threshold: unconditional-pause}
    applies_to: [a]
    severity: critical
    in_force: 2023-09-19
    until: 2026-02-24
    source: [{url: "https://a.example/rsp-v1", date: 2023-09-19, quote: "we commit to pause"}]
    withdrawn: [{url: "https://news.example/dropped", date: 2026-02-24, quote: "dropped its pledge"}]
  - {id: report-recent, indicator: last_report, bar: {within_days: 183}, severity: high}
"""

A = """
id: a
name: A
practices:
  pause_commitment:
    value: conditional-delay
    since: 2026-02-24
    evidence: [{url: "https://news.example/dropped", date: 2026-02-24}]
    earlier:
      - value: competitor-contingent-pause
        since: 2024-10-15
        evidence: [{url: "https://a.example/rsp-v2", date: 2024-10-15}]
      - value: unconditional-pause
        since: 2023-09-19
        evidence: [{url: "https://a.example/rsp-v1", date: 2023-09-19}]
  last_report:
    value: 2026-08-14
    evidence: [{url: "https://a.example/report", date: 2026-08-14}]
"""

B = """
id: b
name: B
practices:
  pause_commitment:
    value: competitor-contingent-pause
    evidence: [{url: "https://b.example/", date: 2025-01-01}]
"""


@pytest.fixture
def world(tree: Callable[..., Path]) -> Path:
    return tree({"rules/p.yaml": PACK, "lab_profiles/a.yaml": A, "lab_profiles/b.yaml": B})


def _verdicts(run: Run, root: Path, as_of: str) -> dict[tuple[str, str], dict]:
    result = run("check", f"--as-of={as_of}", "--format=json", cwd=root)
    assert result.code == 0, result.err
    return {(v["lab"], v["rule"]): v for v in json.loads(result.out)["verdicts"]}


def test_before_the_earliest_since_the_practice_is_unassessed(run: Run, world: Path) -> None:
    verdicts = _verdicts(run, world, "2023-01-01")
    assert verdicts["a", "pause-best"]["status"] == "unassessed"
    assert ("a", "pause-pledge") not in verdicts  # not in force yet


@pytest.mark.parametrize(
    ("as_of", "value", "line", "pledge"),
    [
        ("2023-09-19", "unconditional-pause", 12, "meets"),  # the first day of v1: its state's line
        ("2024-10-14", "unconditional-pause", 12, "meets"),
        ("2024-10-15", "competitor-contingent-pause", 9, "below"),  # the weakened pledge
        ("2026-02-23", "competitor-contingent-pause", 9, "below"),
        ("2026-02-24", "conditional-delay", 4, None),  # dropped: the pledge no longer judges
    ],
)
def test_each_date_judges_the_state_in_force_and_the_rules_in_force(
    run: Run, world: Path, as_of: str, value: str, line: int, pledge: str | None
) -> None:
    verdicts = _verdicts(run, world, as_of)
    best = verdicts["a", "pause-best"]
    assert (best["value"], best["location"]["line"]) == (value, line)
    assert verdicts.get(("a", "pause-pledge"), {}).get("status") == pledge


def test_a_practice_without_since_holds_at_every_date(run: Run, world: Path) -> None:
    for as_of in ("2020-01-01", "2030-01-01"):
        assert _verdicts(run, world, as_of)["b", "pause-best"]["value"] == "competitor-contingent-pause"


def test_due_is_the_last_day_within_the_bar_and_overdue_counts_from_the_next(run: Run, world: Path) -> None:
    # 2026-08-14 + 183 days = 2027-02-13: the last day the report is recent enough.
    last = _verdicts(run, world, "2027-02-13")["a", "report-recent"]
    assert (last["status"], last["due"], "overdue" in last) == ("meets", "2027-02-13", False)
    late = _verdicts(run, world, "2027-03-01")["a", "report-recent"]
    assert (late["status"], late["due"], late["overdue"]) == ("below", "2027-02-13", 16)


def test_the_library_judges_the_world_as_of_a_date(world: Path) -> None:
    import datetime as dt

    data = parity.load(world / "lab_profiles", world / "rules")
    then = parity.evaluate(data, as_of=dt.date(2024, 1, 1))
    assert {(v.lab, v.rule): v.value for v in then.verdicts}["a", "pause-best"] == "unconditional-pause"
    assert data.at(dt.date(2024, 1, 1)).labs["a"] is data.at(dt.date(2024, 6, 1)).labs["a"]  # same states
    assert data.at(dt.date(2030, 1, 1)).labs["b"] is data.labs["b"]  # no timeline: itself


@pytest.mark.parametrize(
    ("profile", "pack", "expected"),
    [
        (
            A.replace("        since: 2024-10-15", "        since: 2027-01-01"),
            PACK,
            "lab_profiles/a.yaml:10:9: practices.pause_commitment.earlier.0.since: 2027-01-01 is not "
            "before 2026-02-24: earlier states go newest first, dates falling",
        ),
        (
            A.replace("        since: 2023-09-19", "        since: 2024-10-15"),
            PACK,
            "lab_profiles/a.yaml:13:9: practices.pause_commitment.earlier.1.since: 2024-10-15 is not "
            "before 2024-10-15",
        ),
        (
            A.replace("    since: 2026-02-24\n", ""),
            PACK,
            "practices.pause_commitment: 'earlier' needs 'since' on the practice",
        ),
        (
            A.replace("      - value: competitor-contingent-pause", "      - value: nearly-paused"),
            PACK,
            "practices.pause_commitment.earlier.0.value: expected one of none, conditional-delay",
        ),
        (
            A.replace("        since: 2024-10-15\n", ""),
            PACK,
            "practices.pause_commitment.earlier.0.since: required, but missing",
        ),
        (
            A.replace("        since: 2024-10-15", "        since: 2024-10-15T00:00"),
            PACK,
            "practices.pause_commitment.earlier.0.since: expected a date YYYY-MM-DD",
        ),
        (
            A,
            PACK.replace("    until: 2026-02-24", "    until: 2023-01-01"),
            "rules.1.until: 2023-01-01 is not after",
        ),
        (
            A,
            PACK.replace("    until: 2026-02-24\n", ""),
            "rules.1.withdrawn: a withdrawn pledge needs 'until'",
        ),
    ],
)
def test_a_timeline_is_validated_like_every_other_field(
    run: Run, tree: Callable[..., Path], profile: str, pack: str, expected: str
) -> None:
    root = tree({"rules/p.yaml": pack, "lab_profiles/a.yaml": profile, "lab_profiles/b.yaml": B})
    result = run("validate", cwd=root)
    assert result.code == 2 and expected in result.err, result.err


def test_strict_asks_for_evidence_on_every_earlier_state(run: Run, tree: Callable[..., Path]) -> None:
    bare = A.replace('        evidence: [{url: "https://a.example/rsp-v2", date: 2024-10-15}]\n', "")
    root = tree({"rules/p.yaml": PACK, "lab_profiles/a.yaml": bare, "lab_profiles/b.yaml": B})
    result = run("validate", "--strict", "--as-of=2026-12-01", cwd=root)
    assert result.code == 2
    assert "practices.pause_commitment.earlier.0: --strict: no evidence; give its source" in result.err


def test_the_profile_schema_describes_timelines(run: Run) -> None:
    schema = json.loads(run("schema", "profile").out)
    practice = schema["$defs"]["Practice"]["properties"]
    assert {"since", "earlier"} <= practice.keys()
    rule = schema_rule = json.loads(run("schema", "rule-pack").out)["$defs"]["Rule"]["properties"]
    assert {"until", "source", "withdrawn"} <= rule.keys() and schema_rule is rule
