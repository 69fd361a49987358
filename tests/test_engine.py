"""The durable_rules engine in its narrow role: classification, chaining, isolation, and its limits."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

import parity
from parity import engine
from parity.engine import ChainRule, Engine, VerdictFact

AS_OF = dt.date(2026, 11, 26)


def _classify(facts: list[VerdictFact]) -> dict[int, str]:
    eng = Engine([])
    try:
        statuses, derived = eng.run("lab", facts, [], lambda i, inputs: 0)
    finally:
        eng.close()
    assert derived == {}
    return statuses


def test_generic_rules_classify_every_state_exactly_once() -> None:
    facts = [
        VerdictFact(0, 0, True, 5, 5),  # not applicable, whatever the values
        VerdictFact(1, 0, False),  # not applicable beats no bar
        VerdictFact(2, 1, False),  # undisclosed, bar does not bind: no_bar
        VerdictFact(3, 3, False, 9, 0),  # a value but no bar: no_bar
        VerdictFact(4, 1, True, 0, 3),  # undisclosed against a binding bar
        VerdictFact(5, 3, True, 2, 3),
        VerdictFact(6, 3, True, 3, 3),
        VerdictFact(7, 2, True, 4, 3),  # unevidenced values are judged too
    ]
    assert _classify(facts) == {
        0: "not_applicable",
        1: "not_applicable",
        2: "no_bar",
        3: "no_bar",
        4: "undisclosed",
        5: "below",
        6: "meets",
        7: "surpasses",
    }


def test_many_facts_in_one_session_are_all_classified() -> None:
    facts = [VerdictFact(i, 3, True, i % 7, 3) for i in range(12_000)]  # more than one `cap` batch
    statuses = _classify(facts)
    assert len(statuses) == 12_000
    assert statuses[3] == "meets" and statuses[2] == "below" and statuses[4] == "surpasses"


def test_chain_rules_wait_for_their_derived_inputs() -> None:
    # rule 0 derives #0 from nothing; rule 1 derives #1 from #0; rule 2 is a commitment reading #1.
    chain = [ChainRule((), 0), ChainRule((0,), 1), ChainRule((1,), None)]
    seen: list[tuple[int, dict[int, int]]] = []

    def fire(i: int, inputs: dict[int, int]) -> int | VerdictFact:
        seen.append((i, inputs))
        if i == 2:
            return VerdictFact(100, 3, True, int(inputs[1] == 2), 1)
        return 2  # true

    eng = Engine(chain)
    try:
        statuses, derived = eng.run("lab", [], [2, 1, 0], fire)
    finally:
        eng.close()
    assert [i for i, _ in seen] == [0, 1, 2]
    assert seen[1][1] == {0: 2} and seen[2][1] == {1: 2}
    assert derived == {0: 2, 1: 2}
    assert statuses == {100: "meets"}


def test_sessions_are_isolated_and_deleted() -> None:
    eng = Engine([])
    try:
        first = eng.run("same-sid", [VerdictFact(0, 3, True, 1, 2)], [], lambda i, x: 0)
        second = eng.run("same-sid", [VerdictFact(0, 3, True, 2, 1)], [], lambda i, x: 0)
    finally:
        eng.close()
    assert first[0] == {0: "below"}
    assert second[0] == {0: "surpasses"}  # nothing left over from the first run


def test_evaluation_starts_no_threads() -> None:
    data = parity.load(
        Path(__file__).parent / "data/world/lab_profiles", Path(__file__).parent / "data/world/rules"
    )
    before = threading.active_count()
    for _ in range(5):
        parity.evaluate(data, as_of=AS_OF)
    assert threading.active_count() == before


def test_compiled_engines_are_reused_and_bounded() -> None:
    a = engine.compiled([ChainRule((), 0)])
    assert engine.compiled([ChainRule((), 0)]) is a
    for n in range(engine._CACHE_SIZE + 2):
        engine.compiled([ChainRule((), 0)] * (n + 2))
    assert len(engine._CACHE) <= engine._CACHE_SIZE
    assert engine.compiled([ChainRule((), 0)]) is not a  # evicted and freed, then compiled anew


def test_more_than_512_chain_rules_do_not_hang_ruleset_creation(tree: Callable[..., Path]) -> None:
    # durable_rules hangs creating a ruleset with more than 512 distinct constants under one node;
    # parity splits rule numbers into two constants below 256. Run in a subprocess so a hang fails fast.
    n = 700
    rules = "\n".join(
        f"  - {{id: c{i}, when: {{all: [{{indicator: lead, equals: true}}]}}, "
        f"require: {{indicator: flag, equals: true}}, severity: low}}"
        for i in range(n)
    )
    root = tree(
        {
            "rules/p.yaml": "pack: p\nversion: '1'\nindicators:\n"
            "  flag: {title: F, area: a, type: boolean}\n  score: {title: S, area: a, type: number, better: higher}\n"
            "  lead: {title: L, area: a, type: boolean, derived: true}\nrules:\n"
            "  - {id: leader, derive: lead, when: {all: [{indicator: score, meets: best}]}}\n" + rules + "\n",
            "lab_profiles/a.yaml": "id: a\nname: A\npractices:\n  flag: {value: false}\n  score: {value: 2, evidence: [{url: 'https://e.org', date: 2026-01-01}]}\n",
            "lab_profiles/b.yaml": "id: b\nname: B\npractices:\n  flag: {value: true}\n  score: {value: 1, evidence: [{url: 'https://e.org', date: 2026-01-01}]}\n",
        }
    )
    script = textwrap.dedent(f"""
        import datetime, parity
        report = parity.evaluate(parity.load({str(root / "lab_profiles")!r}, {str(root / "rules")!r}),
                                 as_of=datetime.date(2026, 11, 26))
        print(sorted({{(v.lab, v.status) for v in report.verdicts}}), len(report.verdicts))
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"[('a', 'below'), ('b', 'not_applicable')] {2 * n}"


@pytest.mark.parametrize("value", ["1.0e-05", "2.5e+20", "0.30000000000000004", "0.3", str(10**30), "-0.0"])
def test_values_durable_cannot_represent_are_ranked_first(tree: Callable[..., Path], value: str) -> None:
    # Exponent floats, huge ints and float noise never reach the C engine: only integer ranks do.
    root = tree(
        {
            "rules/p.yaml": "pack: p\nversion: '1'\nindicators:\n  x: {title: X, area: a, type: number, better: higher}\n"
            "rules:\n  - {id: r, indicator: x, bar: best, severity: low}\n",
            "lab_profiles/a.yaml": f"id: a\nname: A\npractices:\n  x: {{value: {value}, evidence: [{{url: 'https://e.org', date: 2026-01-01}}]}}\n",
            "lab_profiles/b.yaml": "id: b\nname: B\npractices:\n  x: {value: 0.3, evidence: [{url: 'https://e.org', date: 2026-01-01}]}\n",
        }
    )
    report = parity.evaluate(parity.load(root / "lab_profiles", root / "rules"), as_of=AS_OF)
    a = next(v for v in report.verdicts if v.lab == "a")
    number = float(value)
    expected = "surpasses" if number > 0.3 else "meets" if number == 0.3 else "below"
    assert a.status == expected
    assert a.value == (int(value) if value.isdigit() else float(value))


def test_exponent_without_a_dot_gets_a_hint(tree: Callable[..., Path]) -> None:
    root = tree(
        {
            "rules/p.yaml": "pack: p\nversion: '1'\nindicators:\n  x: {title: X, area: a, type: number, better: higher}\n",
            "lab_profiles/a.yaml": "id: a\nname: A\npractices:\n  x: {value: 1e-05}\n",
        }
    )
    with pytest.raises(
        parity.LoadError,
        match=r"not '1e-05' \(YAML reads an exponent as a number only after a dot: write 1.0e-05\)",
    ):
        parity.load(root / "lab_profiles", root / "rules")


def test_a_commitment_the_engine_never_fires_is_an_internal_error(monkeypatch: pytest.MonkeyPatch) -> None:
    # Simulate a chain that loses a commitment's action: the verdict must not silently vanish.
    world = Path(__file__).parent / "data/world"
    data = parity.load(world / "lab_profiles", world / "rules")
    real_run = engine.Engine.run

    def lossy(
        self: Engine, sid: str, facts: list[VerdictFact], chain: list[int], fire: engine.Fire
    ) -> object:
        return real_run(self, sid, facts, [i for i in chain if self.chain[i].output is not None], fire)

    monkeypatch.setattr(engine.Engine, "run", lossy)
    with pytest.raises(parity.EngineError, match="never produced by the engine"):
        parity.evaluate(data, as_of=AS_OF)
