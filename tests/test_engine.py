"""The durable_rules engine in its narrow role: classification, chaining, isolation, and its limits."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import AS_OF
from helpers import EVIDENCE_YAML as EVIDENCE

import parity
from parity.judge import engine
from parity.judge.engine import ChainRule, Engine, VerdictFact

CHAIN_PACK = (
    "pack: p\nversion: '1'\nindicators:\n"
    "  flag: {title: F, area: a, type: boolean}\n  score: {title: S, area: a, type: number, better: higher}\n"
    "  lead: {title: L, area: a, type: boolean, derived: true}\nrules:\n"
    "  - {id: leader, derive: lead, when: {all: [{indicator: score, meets: best}]}}\n"
)
LAB_A = f"id: a\nname: A\npractices:\n  flag: {{value: false}}\n  score: {{value: 2, {EVIDENCE}}}\n"
LAB_B = f"id: b\nname: B\npractices:\n  flag: {{value: true}}\n  score: {{value: 1, {EVIDENCE}}}\n"


def _classify(facts: list[VerdictFact]) -> dict[int, str]:
    eng = Engine([])
    try:
        statuses, derived = eng.run("lab", facts, [], lambda i, inputs: 0)
    finally:
        eng.close()
    assert derived == {}
    return statuses


# The state codes of parity.judge.bars: 0 not applicable, 1 unassessed, 2 undisclosed, 3 unevidenced, 4 disclosed.


def test_generic_rules_classify_every_state_exactly_once() -> None:
    facts = [
        VerdictFact(0, 0, True, 5, 5),  # not applicable, whatever the values
        VerdictFact(1, 0, False),  # not applicable beats no bar
        VerdictFact(2, 2, False),  # undisclosed, bar does not bind: no_bar
        VerdictFact(3, 4, False, 9, 0),  # a value but no bar: no_bar
        VerdictFact(4, 2, True, 0, 3),  # undisclosed against a binding bar
        VerdictFact(5, 4, True, 2, 3),
        VerdictFact(6, 4, True, 3, 3),
        VerdictFact(7, 3, True, 4, 3),  # unevidenced values are judged too
        VerdictFact(8, 1, True, 0, 3),  # unassessed against a binding bar
        VerdictFact(9, 1, False),  # unassessed, bar does not bind: no_bar
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
        8: "unassessed",
        9: "no_bar",
    }


def test_many_facts_in_one_session_are_all_classified() -> None:
    facts = [VerdictFact(i, 4, True, i % 7, 3) for i in range(12_000)]  # more than one `cap` batch
    statuses = _classify(facts)
    assert len(statuses) == 12_000
    assert statuses[3] == "meets" and statuses[2] == "below" and statuses[4] == "surpasses"


def test_chain_rules_wait_for_their_derived_inputs() -> None:
    # rule 0 derives #0 from nothing; rule 1 derives #1 from #0; rule 2 is a commitment reading #1 (its
    # action is the caller's: it yields no value).
    chain = [ChainRule((), 0), ChainRule((0,), 1), ChainRule((1,), None)]
    seen: list[tuple[int, dict[int, int]]] = []

    def fire(i: int, inputs: dict[int, int]) -> int | None:
        seen.append((i, inputs))
        return None if i == 2 else 2  # true

    eng = Engine(chain)
    try:
        statuses, derived = eng.run("lab", [], [2, 1, 0], fire)
    finally:
        eng.close()
    assert [i for i, _ in seen] == [0, 1, 2]
    assert seen[1][1] == {0: 2} and seen[2][1] == {1: 2}
    assert derived == {0: 2, 1: 2}
    assert statuses == {}  # no bar fact was asserted; the commitment was fired, once, after its input


def test_sessions_are_isolated_and_deleted() -> None:
    eng = Engine([])
    try:
        first = eng.run("a", [VerdictFact(0, 4, True, 1, 2)], [], lambda i, x: 0)
        second = eng.run("b", [VerdictFact(0, 4, True, 2, 1)], [], lambda i, x: 0)
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
    with engine.compiled([ChainRule((), 0)]) as a, engine.compiled([ChainRule((), 0)]) as again:
        assert again is a
    for n in range(engine.CACHE_SIZE + 2):
        with engine.compiled([ChainRule((), 0)] * (n + 2)):
            pass
    assert engine.cached() <= engine.CACHE_SIZE
    assert a.closed  # evicted and freed once nobody used it
    with engine.compiled([ChainRule((), 0)]) as b:
        assert b is not a


def test_an_engine_in_use_is_not_freed_when_evicted() -> None:
    with engine.compiled([ChainRule((), 0), ChainRule((0,), None)]) as held:
        for n in range(engine.CACHE_SIZE + 2):  # evict it while it is held
            with engine.compiled([ChainRule((), 0)] * (n + 3)):
                pass
        assert held.evicted and not held.closed
        statuses, _ = held.run("a", [VerdictFact(0, 4, True, 1, 1)], [], lambda i, x: 0)
        assert statuses == {0: "meets"}
    assert held.closed


def test_threads_evaluating_different_rule_sets_share_no_ruleset(
    tree: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    # With a cache of one, every evaluation evicts the other thread's ruleset: it must stay usable.
    monkeypatch.setattr(engine, "CACHE_SIZE", 1)
    worlds = []
    for n in range(1, 4):
        rules = "".join(
            f"  - {{id: c{i}, when: {{all: [{{indicator: lead, equals: true}}]}}, "
            f"require: {{indicator: flag, equals: true}}, severity: low}}\n"
            for i in range(n)
        )
        root = tree(
            {
                f"w{n}/rules/p.yaml": CHAIN_PACK + rules,
                f"w{n}/lab_profiles/a.yaml": LAB_A,
                f"w{n}/lab_profiles/b.yaml": LAB_B,
            }
        )
        worlds.append(parity.load(root / f"w{n}/lab_profiles", root / f"w{n}/rules"))
    errors: list[BaseException] = []
    counts: list[int] = []

    def work(data: parity.Dataset) -> None:
        try:
            for _ in range(30):
                counts.append(len(parity.evaluate(data, as_of=AS_OF).verdicts))
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(w,)) for w in worlds for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert sorted(set(counts)) == [2, 4, 6]


# Two fact ids whose durable keys collide: FNV-1a of "40189" and of "797186" are both 270439499.
COLLIDING = (40189, 797186)


def test_the_hash_parity_checks_is_the_one_durable_uses() -> None:
    assert engine.fnv1a_32(str(COLLIDING[0])) == engine.fnv1a_32(str(COLLIDING[1]))
    # Given those two ids, durable_rules keeps one fact and silently drops the other:
    c = engine.durable()
    handle = c.create_ruleset("collide", '{"r": {"all": [{"m": {"t": "v"}}], "cap": 10}}')
    try:
        facts = [{"id": n, "sid": "1", "t": "v", "i": i} for i, n in enumerate((*COLLIDING, 5))]
        c.assert_facts(handle, engine.json.dumps(facts))
        seen: list[int] = []
        started = c.start_action(handle)
        while started:
            message = started[1]
            while message:
                seen += [m["m"]["i"] for m in engine.json.loads(message)["r"]]
                message = c.complete_and_start_action(handle, started[2])
            started = c.start_action(handle)
    finally:
        c.delete_ruleset(handle)
    assert sorted(seen) == [0, 2]  # fact 1 vanished without an error


def test_fact_ids_never_share_a_durable_key(monkeypatch: pytest.MonkeyPatch) -> None:
    # A crafted sequence of candidate ids that holds a colliding pair: parity skips the second.
    ids = engine.Ids(engine.RESERVED_IDS, candidates=[COLLIDING[0], COLLIDING[1], *range(10)])
    chosen = ids.first(8)
    assert COLLIDING[0] in chosen and COLLIDING[1] not in chosen
    assert len({engine.fnv1a_32(str(i)) for i in chosen}) == len(chosen)
    assert not {engine.fnv1a_32(r) for r in engine.RESERVED_IDS} & {engine.fnv1a_32(str(i)) for i in chosen}
    # ... so every fact of a session built on it is classified:
    monkeypatch.setattr(engine, "IDS", ids)
    assert len(_classify([VerdictFact(i, 4, True, 1, 1) for i in range(8)])) == 8


def test_a_lost_fact_is_an_engine_error_never_a_result(monkeypatch: pytest.MonkeyPatch) -> None:
    # Without the check, the crafted ids would lose a fact: the run must fail loudly, not return less.
    naive = engine.Ids((), candidates=[COLLIDING[0], COLLIDING[1], *range(10)])
    naive.taken = set()
    monkeypatch.setattr(naive, "first", lambda n: [COLLIDING[0], COLLIDING[1], *range(n)])
    monkeypatch.setattr(engine, "IDS", naive)
    with pytest.raises(parity.EngineError, match="never classified"):
        _classify([VerdictFact(i, 4, True, 1, 1) for i in range(3)])


def test_a_derive_rule_that_never_runs_is_an_engine_error(monkeypatch: pytest.MonkeyPatch) -> None:
    world = Path(__file__).parent / "data/world"
    data = parity.load(world / "lab_profiles", world / "rules")
    real = engine._Session.chain_action

    def drop_derives(self: engine._Session, i: int, matched: dict[str, object]) -> None:
        if self.engine.chain[i].output is None:
            real(self, i, matched)

    monkeypatch.setattr(engine._Session, "chain_action", drop_derives)
    with pytest.raises(parity.EngineError, match="never ran"):
        parity.evaluate(data, as_of=AS_OF)


def test_many_derive_rules_in_one_lab_give_the_right_values(tree: Callable[..., Path]) -> None:
    # 300 derive rules chained two by two, then commitments on each: every derived value is checked.
    n = 300
    indicators = "".join(f"  d{i}: {{title: D, area: a, type: boolean, derived: true}}\n" for i in range(n))
    derives = "".join(
        f"  - {{id: make-d{i}, derive: d{i}, when: {{all: [{{indicator: {'score' if i == 0 else f'd{i - 1}'}, "
        f"{'at_least: 2' if i == 0 else 'equals: true'}}}]}}}}\n"
        for i in range(n)
    )
    root = tree(
        {
            "rules/p.yaml": "pack: p\nversion: '1'\nindicators:\n"
            "  score: {title: S, area: a, type: number, better: higher}\n"
            + indicators
            + "rules:\n"
            + derives
            + "  - {id: last, when: {all: [{indicator: d299, equals: true}]}, require: {indicator: score, at_least: 3}, severity: low}\n",
            "lab_profiles/a.yaml": "id: a\nname: A\npractices:\n  score: {value: 2, evidence: [{url: 'https://e.org', date: 2026-01-01}]}\n",
            "lab_profiles/b.yaml": "id: b\nname: B\npractices:\n  score: {value: 1, evidence: [{url: 'https://e.org', date: 2026-01-01}]}\n",
            "lab_profiles/c.yaml": "id: c\nname: C\npractices: {}\n",
        }
    )
    report = parity.evaluate(parity.load(root / "lab_profiles", root / "rules"), as_of=AS_OF)
    assert set(report.derived["a"].values()) == {True}
    assert set(report.derived["b"].values()) == {False}
    assert set(report.derived["c"].values()) == {"unassessed"}
    assert {v.lab: v.status for v in report.verdicts} == {
        "a": "below",
        "b": "not_applicable",
        "c": "unassessed",
    }


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
            "rules/p.yaml": CHAIN_PACK + rules + "\n",
            "lab_profiles/a.yaml": LAB_A,
            "lab_profiles/b.yaml": LAB_B,
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


@pytest.mark.parametrize(
    "value", ["0.000001", "25000000000000.5", "0.300000000000001", "0.3", str(10**14), "-0.0"]
)
def test_values_durable_cannot_represent_are_ranked_first(tree: Callable[..., Path], value: str) -> None:
    # Tiny and large numbers and float noise never reach the C engine: only integer ranks do.
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


@pytest.mark.parametrize("value", ["1e-05", "1.0e-05", "2.5e+20"])
def test_exponents_are_refused_with_a_hint(tree: Callable[..., Path], value: str) -> None:
    root = tree(
        {
            "rules/p.yaml": "pack: p\nversion: '1'\nindicators:\n  x: {title: X, area: a, type: number, better: higher}\n",
            "lab_profiles/a.yaml": f"id: a\nname: A\npractices:\n  x: {{value: {value}}}\n",
        }
    )
    with pytest.raises(
        parity.LoadError, match=r"practices\.x\.value: .*(plain decimal|write it out in plain decimals)"
    ):
        parity.load(root / "lab_profiles", root / "rules")


def test_a_commitment_the_engine_never_fires_is_an_internal_error(monkeypatch: pytest.MonkeyPatch) -> None:
    # Simulate a chain that loses a commitment's action: the verdict must not silently vanish.
    world = Path(__file__).parent / "data/world"
    data = parity.load(world / "lab_profiles", world / "rules")
    real_run = engine.Engine.run

    def lossy(
        self: Engine, lab: str, facts: list[VerdictFact], chain: list[int], fire: engine.Fire
    ) -> object:
        return real_run(self, lab, facts, [i for i in chain if self.chain[i].output is not None], fire)

    monkeypatch.setattr(engine.Engine, "run", lossy)
    with pytest.raises(parity.EngineError, match="never produced by the engine"):
        parity.evaluate(data, as_of=AS_OF)
