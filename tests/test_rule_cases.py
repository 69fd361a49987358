"""The pass/fail cases of every shipped rule pack (tests/rule_cases/*.yaml), one test each, run by the same
library code as `parity test`; and `parity test` itself."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import Result

import parity
from parity.casetest import Case, read_cases, run_cases

ROOT = Path(__file__).parents[1]
CASES = read_cases(Path(__file__).parent / "rule_cases")


@pytest.mark.parametrize("case", CASES, ids=[f"{Path(c.file).stem}:{c.rule}:{c.line}" for c in CASES])
def test_rule_case(case: Case) -> None:
    (outcome,) = run_cases([case], ROOT / "rules")
    assert outcome.passed, outcome.describe()


def test_every_shipped_rule_has_a_passing_and_a_failing_case() -> None:
    shipped = parity.load(None, ROOT / "rules")
    outcomes: dict[str, set[str | None]] = {
        rule: set() for rule, r in shipped.rules.items() if r.rule.kind != "derive"
    }
    for case in CASES:
        assert case.rule in outcomes, f"case for unknown rule {case.rule}"
        outcomes[case.rule].update(case.expect.values())
    for rule, statuses in outcomes.items():
        assert statuses & {"meets", "surpasses"}, f"{rule} has no passing case"
        assert statuses & {"below", "undisclosed"}, f"{rule} has no failing case"


def test_parity_test_passes_on_the_shipped_cases(run: Callable[..., Result]) -> None:
    result = run("test", cwd=ROOT)
    assert result.code == 0, result.out + result.err
    assert result.out == f"{len(CASES)} passed, 0 failed\n"


def test_parity_test_shows_a_mismatch_and_exits_1(
    run: Callable[..., Result], tree: Callable[..., Path]
) -> None:
    root = tree(
        {
            "cases/c.yaml": """\
            pack: frontier-transparency
            as_of: 2026-12-01
            cases:
              - rule: ai-bug-bounty-best
                name: wrong on purpose
                labs:
                  a: {ai_bug_bounty: limited}
                  b: {ai_bug_bounty: public}
                expect: {a: meets, b: meets}
            """,
        }
    )
    result = run("test", str(root / "cases"), f"--rules={ROOT / 'rules'}", cwd=root)
    assert result.code == 1
    assert "c.yaml:4: ai-bug-bounty-best (wrong on purpose)" in result.out
    assert "    a: expected meets, got below" in result.out
    assert "    b: expected meets, got surpasses" in result.out
    assert result.out.endswith("0 passed, 1 failed\n")


def test_a_bad_case_file_is_an_input_error(run: Callable[..., Result], tree: Callable[..., Path]) -> None:
    root = tree(
        {
            "cases/c.yaml": "as_of: 2026-13-01\ncases: []\n",
            "cases/d.yaml": "as_of: 2026-12-01\ncases:\n  - {rule: x, labs: {}, expect: {a: sucess}}\n",
        }
    )
    result = run("test", str(root / "cases"), f"--rules={ROOT / 'rules'}", cwd=root)
    assert result.code == 2
    assert "c.yaml:1:1: as_of: '2026-13-01' is not a real date" in result.err
    assert "d.yaml:3:34: cases.0.expect.a: unknown status 'sucess'" in result.err
