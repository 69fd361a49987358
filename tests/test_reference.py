"""Hand-checked examples for the reference evaluator (tests/reference.py), from docs/verdicts.md.

Each expected value below was worked out by hand from the rule book, not by running the code.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from reference import Reference, derived_values, evaluate, practice_lines, report, waiver_lines

DAY = date(2026, 7, 1)  # the day the reference's own scenarios are judged
EVIDENCE = [{"url": "https://example.org/x", "date": date(2026, 6, 1)}]
NUM_HIGH = {"title": "Number up", "area": "alpha", "type": "number", "better": "higher"}
NUM_LOW = {"title": "Number down", "area": "alpha", "type": "number", "better": "lower"}
BOOL = {"title": "Bool", "area": "beta", "type": "boolean"}
BOOL_LOW = {"title": "Bool down", "area": "beta", "type": "boolean", "better": "lower"}
LEVEL = {"title": "Level", "area": "beta", "type": "level", "levels": ["L0", "L1", "L2", "L3"]}
DATE = {"title": "Date", "area": "gamma", "type": "date"}
DERIVED = {"title": "Derived", "area": "beta", "type": "boolean", "derived": True}
NA = {"not_applicable": "no hosted API"}
UNKNOWN = {"value": "unknown"}


def shown(value: Any, url: str = "https://example.org/x") -> dict:
    return {"value": value, "evidence": [{"url": url, "date": date(2026, 6, 1)}]}


def claimed(value: Any) -> dict:
    return {"value": value}


def lab(lab_id: str, tags: tuple[str, ...] = (), **practices: Any) -> dict:
    return {"id": lab_id, "name": lab_id.upper(), "tags": list(tags), "practices": practices}


def pack(indicators: dict, rules: list[dict], **extra: Any) -> list[dict]:
    return [{"pack": "p", "version": "1.0.0", "indicators": indicators, "rules": rules, **extra}]


def run(
    indicators: dict, rules: list[dict], profiles: list[dict], waivers: list[dict] | None = None
) -> dict[tuple[str, str], dict]:
    return evaluate(pack(indicators, rules), profiles, waivers or [], DAY)


def bar_rule(bar: Any, **extra: Any) -> dict:
    return {"id": "r", "indicator": "n", "bar": bar, "severity": "high", **extra}


def statuses(out: dict[tuple[str, str], dict], rule: str = "r") -> dict[str, str]:
    return {lab_id: v["status"] for (lab_id, rule_id), v in out.items() if rule_id == rule}


# ---- bars ------------------------------------------------------------------------------------------------
def test_best_with_ties_lists_every_setter_and_cites_their_evidence() -> None:
    profiles = [
        lab("a", n=shown(5)),
        lab("b", n=shown(7, "https://b.example")),
        lab("c", n=shown(7, "https://c.example")),
        lab("d", n=shown(3)),
    ]
    out = run({"n": NUM_HIGH}, [bar_rule("best")], profiles)
    a = out["a", "r"]
    assert (a["status"], a["state"], a["value"], a["gap"]) == ("below", "disclosed", 5, 2)
    assert a["bar"] == {
        "kind": "best",
        "value": 7,
        "set_by": ["b", "c"],
        "set_by_count": 2,
        "peers_disclosed": 3,
        "evidence": {
            "b": [{"url": "https://b.example", "date": "2026-06-01"}],
            "c": [{"url": "https://c.example", "date": "2026-06-01"}],
        },
    }
    b = out["b", "r"]
    assert (b["status"], b["bar"]["set_by"], b["gap"]) == ("meets", ["c"], 0)
    assert "evidence" not in b["bar"] and "blocked_by" not in b["bar"]  # not a shortfall; not `all`


def test_quorum_keeps_ties_and_needs_k_disclosed_peers() -> None:
    profiles = [lab("a", n=shown(4)), lab("b", n=shown(5)), lab("c", n=shown(5)), lab("d", n=shown(3))]

    def judged(k: int) -> tuple:
        v = run({"n": NUM_HIGH}, [bar_rule({"quorum": k})], profiles)["a", "r"]
        return v["status"], v["bar"]["value"], v["bar"]["set_by"], v["gap"]

    assert judged(2) == ("below", 5, ["b", "c"], 1)
    assert judged(3) == ("surpasses", 3, ["d"], -1)
    assert judged(4) == ("no_bar", None, [], None)


def test_median_uses_ceil_half_of_disclosed_peers_and_lower_is_better() -> None:
    profiles = [
        lab("a", n=shown(6)),
        lab("b", n=shown(9)),
        lab("c", n=shown(7)),
        lab("d", n=shown(5)),
        lab("e", n=shown(3)),
        lab("f", n=UNKNOWN),
    ]
    out = run({"n": NUM_LOW}, [bar_rule("median")], profiles)
    # a's disclosed peers, best (lowest) first: 3, 5, 7, 9 -> k = 2 -> 5
    assert (out["a", "r"]["status"], out["a", "r"]["bar"]["value"], out["a", "r"]["gap"]) == ("below", 5, 1)
    # e's peers: 5, 6, 7, 9 -> k = 2 -> 6; e has 3, better by 3
    assert (out["e", "r"]["bar"]["value"], out["e", "r"]["gap"], out["e", "r"]["status"]) == (
        6,
        -3,
        "surpasses",
    )
    # the undisclosed lab f: peers 3, 5, 6, 7, 9 -> k = 3 -> 6 (set by a)
    f = out["f", "r"]
    assert (f["status"], f["state"], f["value"], f["gap"], f["bar"]["value"]) == (
        "undisclosed",
        "undisclosed",
        None,
        None,
        6,
    )
    assert f["bar"]["evidence"] == {"a": [{"url": "https://example.org/x", "date": "2026-06-01"}]}


def test_all_binds_only_when_every_peer_is_disclosed_and_lists_who_blocks_it() -> None:
    base = [lab("a", n=shown(1)), lab("b", n=shown(4)), lab("c", n=shown(2))]
    # d is unevidenced, e undisclosed, f unassessed, g not applicable: d, e, f block; g is no peer
    out = run(
        {"n": NUM_HIGH},
        [bar_rule("all")],
        [*base, lab("d", n=claimed(0)), lab("e", n=UNKNOWN), lab("f"), lab("g", n=NA)],
    )
    a = out["a", "r"]
    assert (a["status"], a["bar"]["value"], a["bar"]["peers_disclosed"]) == ("no_bar", None, 2)
    assert (a["bar"]["blocked_by"], a["bar"]["blocked_by_count"]) == (["d", "e", "f"], 3)
    assert out["d", "r"]["bar"]["blocked_by"] == ["e", "f"]  # never its own peer
    assert out["g", "r"]["status"] == "not_applicable"
    # with every peer disclosed it binds at the weakest peer value, and blocked_by is empty
    out = run({"n": NUM_HIGH}, [bar_rule("all")], [*base, lab("g", n=NA)])
    a = out["a", "r"]
    assert (a["status"], a["bar"]["value"], a["bar"]["set_by"], a["gap"]) == ("below", 2, ["c"], 1)
    assert (a["bar"]["blocked_by"], a["bar"]["blocked_by_count"]) == ([], 0)
    assert (out["g", "r"]["status"], out["g", "r"]["bar"]["value"]) == ("not_applicable", 1)
    # no peer at all: it does not bind, and nobody blocks it
    alone = run({"n": NUM_HIGH}, [bar_rule("all")], [lab("a", n=shown(1)), lab("b", n=NA)])["a", "r"]
    assert (alone["status"], alone["bar"]["blocked_by"], alone["bar"]["blocked_by_count"]) == (
        "no_bar",
        [],
        0,
    )


def test_unevidenced_is_judged_and_flagged_but_never_sets_a_bar() -> None:
    profiles = [lab("a", n=claimed(9)), lab("b", n=shown(5)), lab("c", n=shown(2))]
    out = run({"n": NUM_HIGH}, [bar_rule("best")], profiles)
    a = out["a", "r"]
    assert (a["status"], a["state"], a["gap"], a["flags"], a["evidence"]) == (
        "surpasses",
        "unevidenced",
        -4,
        ["unevidenced"],
        [],
    )
    assert (
        out["b", "r"]["status"],
        out["b", "r"]["bar"]["value"],
        out["b", "r"]["bar"]["peers_disclosed"],
    ) == (
        "surpasses",
        2,
        1,
    )


def test_bar_status_precedence() -> None:
    """not_applicable, no_bar, unassessed, undisclosed, then the comparison."""
    # nobody discloses: not_applicable first, then no_bar for everybody else, whatever their state
    profiles = [lab("na", n=NA), lab("silent", n=UNKNOWN), lab("absent"), lab("claim", n=claimed(1))]
    out = run({"n": NUM_HIGH}, [bar_rule("best")], profiles)
    assert statuses(out) == {
        "na": "not_applicable",
        "silent": "no_bar",
        "absent": "no_bar",
        "claim": "no_bar",
    }
    # one lab discloses: the bar binds for the others; unassessed and undisclosed are told apart
    out = run({"n": NUM_HIGH}, [bar_rule("best")], [*profiles, lab("shown", n=shown(1))])
    assert statuses(out) == {
        "na": "not_applicable",
        "silent": "undisclosed",
        "absent": "unassessed",
        "claim": "meets",
        "shown": "no_bar",  # its peers disclose nothing
    }
    na, absent = out["na", "r"], out["absent", "r"]
    assert (na["bar"]["value"], na["state"], na["gap"]) == (1, "not_applicable", None)
    assert (absent["state"], absent["value"], absent["gap"], absent["bar"]["value"]) == (
        "unassessed",
        None,
        None,
        1,
    )
    assert "evidence" not in absent["bar"]  # unassessed is not a shortfall: nothing to cite
    # an absolute bar always binds: unassessed comes before undisclosed, both before the comparison
    out = run({"n": NUM_HIGH}, [bar_rule({"threshold": 1})], profiles)
    assert statuses(out) == {
        "na": "not_applicable",
        "silent": "undisclosed",
        "absent": "unassessed",
        "claim": "meets",
    }
    assert out["silent", "r"]["bar"]["evidence"] == {}  # a shortfall, but nobody sets an absolute bar


def test_threshold_within_days_levels_booleans_and_decimal_gaps() -> None:
    profiles = [
        lab("a", n=shown(0.1), d=shown(date(2026, 1, 1)), l=shown("L1"), b=shown(False)),
        lab("b", n=shown(0.3), d=claimed(date(2026, 6, 1)), l=shown("L3"), b=shown(True)),
    ]
    rules = [
        bar_rule({"threshold": 0.3}, id="num"),
        {"id": "recent", "indicator": "d", "bar": {"within_days": 30}, "severity": "low"},
        {"id": "lvl", "indicator": "l", "bar": "best", "severity": "low"},
        {"id": "bool", "indicator": "b", "bar": {"threshold": False}, "severity": "low"},
    ]
    out = run({"n": NUM_HIGH, "d": DATE, "l": LEVEL, "b": BOOL_LOW}, rules, profiles)
    num = out["a", "num"]
    assert (num["status"], num["gap"], num["bar"]["set_by"], num["bar"]["set_by_count"]) == (
        "below",
        Decimal("0.2"),
        [],
        0,
    )
    assert (out["b", "num"]["gap"], out["b", "num"]["status"]) == (0, "meets")
    recent = out["a", "recent"]
    assert (recent["bar"]["value"], recent["gap"], recent["value"]) == ("2026-06-01", 151, "2026-01-01")
    assert out["b", "recent"]["status"] == "meets" and out["b", "recent"]["flags"] == ["unevidenced"]
    assert (out["a", "lvl"]["status"], out["a", "lvl"]["gap"]) == ("below", 2)
    assert (out["b", "lvl"]["status"], out["b", "lvl"]["gap"]) == ("surpasses", -2)
    assert (out["a", "bool"]["status"], out["a", "bool"]["gap"]) == ("meets", None)
    assert out["b", "bool"]["status"] == "below"  # better: lower, so true is worse than false


def test_peers_by_tags_and_labs_intersect() -> None:
    profiles = [
        lab("a", ("x",), n=shown(1)),
        lab("b", ("x", "y"), n=shown(9)),
        lab("c", ("x",), n=shown(5)),
        lab("d", ("y",), n=shown(7)),
    ]
    rule = bar_rule("best", peers={"tags": ["x"], "labs": ["a", "c", "d"]})
    out = run({"n": NUM_HIGH}, [rule], profiles)
    # peers of a: tagged x and listed -> c only; b (not listed) and d (not tagged x) are out
    assert (out["a", "r"]["bar"]["value"], out["a", "r"]["bar"]["set_by"]) == (5, ["c"])
    assert (out["b", "r"]["bar"]["value"], out["b", "r"]["status"]) == (5, "surpasses")
    assert (out["c", "r"]["bar"]["value"], out["c", "r"]["bar"]["peers_disclosed"]) == (1, 1)


# ---- rules in force, rules that apply ----------------------------------------------------------------------
def test_applies_to_and_in_force_on_rules_and_packs() -> None:
    profiles = [lab("a", n=shown(1)), lab("b", n=shown(2))]
    rules = [
        bar_rule("best", id="only-a", applies_to=["a"], in_force=date(2025, 1, 1)),
        bar_rule("best", id="today", in_force=DAY),  # in force on its first day
        bar_rule("best", id="tomorrow", in_force=date(2026, 7, 2)),
        bar_rule("best", id="pack-date"),  # the pack's in_force
    ]
    packs = pack({"n": NUM_HIGH}, rules, in_force=date(2026, 12, 31))  # a rule's own date overrides it
    out = evaluate(packs, profiles, [], DAY)
    assert sorted(out) == [("a", "only-a"), ("a", "today"), ("b", "today")]
    later = evaluate(packs, profiles, [], date(2026, 12, 31))
    assert sorted(later) == [
        ("a", "only-a"),
        ("a", "pack-date"),
        ("a", "today"),
        ("a", "tomorrow"),
        ("b", "pack-date"),
        ("b", "today"),
        ("b", "tomorrow"),
    ]


def test_applies_to_tag_selection_judges_the_labs_with_every_tag() -> None:
    profiles = [
        lab("a", ("x",), n=shown(1)),
        lab("b", ("x", "y"), n=shown(4)),
        lab("c", ("y",), n=shown(9)),
        lab("d", n=UNKNOWN),
        lab("e", ("x",), n=NA),
    ]
    rules = [
        bar_rule("best", applies_to={"tags": ["x"]}),
        bar_rule("best", id="xy", applies_to={"tags": ["x", "y"]}),
        {
            "id": "c-y",
            "require": {"indicator": "n", "at_least": 5},
            "severity": "low",
            "applies_to": {"tags": ["y"]},
        },
    ]
    waivers = [{"rule": "r", "lab": "c", "reason": "not judged", "expires": date(2027, 1, 1)}]
    got = report(pack({"n": NUM_HIGH}, rules), profiles, waivers, DAY)
    out = got["verdicts"]
    # r judges the labs tagged x: a, b and e (e's practice is not applicable, but the selection is by tags:
    # e is judged, and its verdict says so); c and d get no verdict
    assert statuses(out) == {"a": "below", "b": "below", "e": "not_applicable"}
    # a bar still sees every peer: c, which r does not judge, sets it (a's peers: b, c, d; e is n/a)
    a = out["a", "r"]
    assert (a["bar"]["value"], a["bar"]["set_by"], a["bar"]["peers_disclosed"], a["gap"]) == (9, ["c"], 2, 8)
    assert (out["b", "r"]["bar"]["value"], out["b", "r"]["gap"]) == (9, 5)
    assert statuses(out, "xy") == {"b": "below"}  # only b carries both x and y
    # the commitment judges b (4: below) and c (9: meets); a, d and e are not tagged y
    assert statuses(out, "c-y") == {"b": "below", "c": "meets"}
    assert (out["c", "c-y"]["gap"], out["b", "c-y"]["gap"]) == (-4, 1)
    labs = got["labs"]
    # c: one verdict (meets); it reads n, recorded -> coverage 1. d: judged by no rule -> nothing counts
    assert (labs["c"]["score"], labs["c"]["coverage"], sum(labs["c"]["counts"].values())) == (
        Decimal("1"),
        Decimal("1"),
        1,
    )
    assert (
        labs["d"]["score"],
        labs["d"]["coverage"],
        labs["d"]["packs"],
        sum(labs["d"]["counts"].values()),
    ) == (
        None,
        None,
        {},
        0,
    )
    # b: below (r), below (xy), below (c-y) -> 0 of 3; e: not_applicable counts in neither part
    assert (labs["b"]["score"], labs["b"]["counts"]["below"]) == (Decimal("0"), 3)
    assert (labs["e"]["score"], labs["e"]["coverage"], labs["e"]["counts"]["not_applicable"]) == (
        None,
        Decimal("1"),
        1,
    )
    assert got["waivers"] == [("r", "c", "2027-01-01")]  # c gets no verdict from r: the waiver is unused


def test_applies_to_tags_and_labs_intersect_with_peers_and_in_force() -> None:
    profiles = [
        lab("a", ("x",), n=shown(1)),
        lab("b", ("x", "y"), n=shown(4)),
        lab("c", ("y",), n=shown(9)),
        lab("d", ("x",), n=shown(6)),
        lab("f", ("x",)),
    ]
    selection = {"tags": ["x"], "labs": ["b", "c", "d", "f"]}
    rules = [
        # judged: the listed labs tagged x -> b, d, f (a is tagged x but not listed; c is listed, not tagged x)
        bar_rule("best", applies_to=selection, peers={"tags": ["y"]}),
        bar_rule("median", id="same-labs", applies_to={"labs": ["a", "c"]}),  # labs alone: as a list
        bar_rule("best", id="later", applies_to=selection, in_force=date(2026, 7, 2)),
    ]
    out = evaluate(pack({"n": NUM_HIGH}, rules), profiles, [], DAY)
    assert statuses(out) == {"b": "below", "d": "below", "f": "unassessed"}
    # b's peers are the other labs tagged y: c (9). d's and f's: b (4) and c (9) -> best 9
    b, d = out["b", "r"], out["d", "r"]
    assert (b["bar"]["value"], b["bar"]["set_by"], b["bar"]["peers_disclosed"], b["gap"]) == (9, ["c"], 1, 5)
    assert (d["bar"]["value"], d["bar"]["peers_disclosed"], d["gap"]) == (9, 2, 3)
    # a's peers: b, c, d disclosed (f unassessed) -> 9, 6, 4, k = 2 -> 6; c's: 6, 4, 1 -> k = 2 -> 4
    assert (out["a", "same-labs"]["status"], out["a", "same-labs"]["bar"]["value"]) == ("below", 6)
    assert (out["c", "same-labs"]["status"], out["c", "same-labs"]["gap"]) == ("surpasses", -5)
    assert statuses(out, "same-labs") == {"a": "below", "c": "surpasses"}
    assert statuses(out, "later") == {}  # not yet in force: nobody, selected or not
    later = evaluate(pack({"n": NUM_HIGH}, rules), profiles, [], date(2026, 7, 2))
    assert statuses(later, "later") == {"b": "below", "d": "below", "f": "unassessed"}
    # the pack's in_force is the default of a rule with a selection as of any other rule
    packed = evaluate(pack({"n": NUM_HIGH}, rules[:1], in_force=date(2026, 12, 31)), profiles, [], DAY)
    assert packed == {}


# ---- conditions ------------------------------------------------------------------------------------------
def test_conditions_are_four_valued_in_the_listed_order() -> None:
    profiles = [
        lab("a", b=shown(True), n=UNKNOWN, l=NA, c=claimed(2)),
        lab("z", c=shown(3)),
    ]
    inds = {"b": BOOL, "n": NUM_HIGH, "l": LEVEL, "c": NUM_HIGH, "m": NUM_HIGH}
    ref = Reference(pack(inds, []), profiles, DAY)

    def cond(ind: str, **op: Any) -> Any:
        return ref.condition("a", {"indicator": ind, **op})

    # 1. not applicable: false for every operator
    assert [cond("l", at_least="L0"), cond("l", disclosed=False), cond("l", meets="best")] == [False] * 3
    # 2. unassessed (m is absent): unassessed for every operator, disclosed: included
    assert [cond("m", equals=1), cond("m", disclosed=False), cond("m", meets="best")] == ["unassessed"] * 3
    # 3. disclosed: evaluated, undisclosed and unevidenced are not disclosed
    assert [cond("n", disclosed=False), cond("n", disclosed=True)] == [True, False]
    assert [cond("c", disclosed=False), cond("b", disclosed=True)] == [True, True]
    # 4. undisclosed: undisclosed for the value operators and meets
    assert [cond("n", at_least=1), cond("n", meets="best")] == ["undisclosed"] * 2
    # 5. meets: a bar that does not bind is undisclosed; else compared (unevidenced values count)
    assert cond("c", meets={"quorum": 2}) == "undisclosed"
    assert [cond("c", meets="best"), cond("c", meets={"threshold": 2})] == [False, True]
    # 6. equals, at_least, at_most on the value
    assert [cond("b", equals=True), cond("c", at_least=3), cond("c", at_most=2)] == [True, False, True]


def test_all_and_any_folds() -> None:
    profiles = [lab("a", b=shown(True), n=UNKNOWN, l=NA)]
    ref = Reference(pack({"b": BOOL, "n": NUM_HIGH, "l": LEVEL, "m": NUM_HIGH}, []), profiles, DAY)
    t = {"indicator": "b", "equals": True}
    f = {"indicator": "l", "at_least": "L0"}  # not applicable: false
    d = {"indicator": "n", "at_least": 1}  # undisclosed
    s = {"indicator": "m", "at_least": 1}  # unassessed
    assert [ref.condition("a", c) for c in (t, f, d, s)] == [True, False, "undisclosed", "unassessed"]
    all_cases = [
        ([t, t], True),
        ([t, d], "undisclosed"),
        ([d, s], "unassessed"),
        ([s, f], False),
        ([t, s, d], "unassessed"),
    ]
    assert [ref.when("a", {"all": conditions}) for conditions, _ in all_cases] == [
        want for _, want in all_cases
    ]
    any_cases = [
        ([f, f], False),
        ([f, d], "undisclosed"),
        ([d, s], "unassessed"),
        ([s, t], True),
        ([f, d, s], "unassessed"),
    ]
    assert [ref.when("a", {"any": conditions}) for conditions, _ in any_cases] == [
        want for _, want in any_cases
    ]
    assert ref.when("a", None) is True


# ---- commitments ------------------------------------------------------------------------------------------
WHEN_B = {"all": [{"indicator": "b", "equals": True}]}


def commitment(require: dict, when: dict | None = WHEN_B, **extra: Any) -> dict:
    rule = {"id": "c", "require": require, "severity": "critical", **extra}
    if when is not None:
        rule["when"] = when
    return rule


def test_commitment_precedence() -> None:
    inds = {"b": BOOL, "n": NUM_HIGH}
    rule = commitment({"indicator": "n", "meets": {"quorum": 2}})
    profiles = [
        lab("w-false", b=shown(False), n=shown(0)),  # 1. when false
        lab("w-false-na", b=NA, n=UNKNOWN),  # 1. when false (not applicable)
        lab("w-unassessed", n=UNKNOWN),  # 2. when unassessed, before the required practice
        lab("w-undisclosed", b=UNKNOWN, n=NA),  # 2. when undisclosed, before 3.
        lab("req-na", b=shown(True), n=NA),  # 3.
        lab("req-unassessed", b=shown(True)),  # 4.
        lab("req-undisclosed", b=claimed(True), n=UNKNOWN),  # 5.
        lab("below", b=shown(True), n=claimed(1)),  # 7.
        lab("meets", b=shown(True), n=shown(3)),  # 7.
        lab("zz-1", n=shown(3)),
        lab("zz-2", n=shown(2)),
    ]
    out = run(inds, [rule], profiles)
    expected = {
        "w-false": "not_applicable",
        "w-false-na": "not_applicable",
        "w-unassessed": "unassessed",
        "w-undisclosed": "undisclosed",
        "req-na": "not_applicable",
        "req-unassessed": "unassessed",
        "req-undisclosed": "undisclosed",
        "below": "below",
        "meets": "meets",
    }
    assert {k: v for k, v in statuses(out, "c").items() if k in expected} == expected
    below = out["below", "c"]
    assert (below["value"], below["flags"], below["state"], below["indicator"]) == (
        1,
        ["unevidenced"],
        "unevidenced",
        "n",
    )
    # below's disclosed peers, best first: 3 (meets), 3 (zz-1), 2 (zz-2), 0 (w-false) -> k = 2 -> 3
    assert (below["bar"]["kind"], below["bar"]["value"], below["bar"]["set_by"], below["gap"]) == (
        "quorum",
        3,
        ["meets", "zz-1"],
        2,
    )
    # meets's: 3 (zz-1), 2 (zz-2), 0 (w-false); "below" is unevidenced, never a setter -> k = 2 -> 2
    met = out["meets", "c"]
    assert (met["bar"]["value"], met["bar"]["set_by"], met["bar"]["peers_disclosed"], met["gap"]) == (
        2,
        ["zz-2"],
        3,
        -1,
    )
    # the bar is reported whatever the status, without a gap (req-na's peers: as below's, plus "below")
    na = out["req-na", "c"]
    assert (na["bar"]["value"], na["gap"], na["value"], na["state"]) == (3, None, None, "not_applicable")
    # 6. a `meets` bar that does not bind: no_bar
    few = run(inds, [rule], [lab("a", b=shown(True), n=shown(3)), lab("b", n=shown(9))])
    assert few["a", "c"]["status"] == "no_bar" and few["a", "c"]["bar"]["value"] is None


def test_commitment_when_false_beats_unknowns_and_unassessed_beats_undisclosed() -> None:
    inds = {"b": BOOL, "n": NUM_HIGH, "m": NUM_HIGH}
    when = {"all": [{"indicator": "b", "equals": True}, {"indicator": "m", "at_least": 1}]}
    rule = commitment({"indicator": "n", "at_least": 2}, when)
    profiles = [
        lab("false-and-unassessed", b=shown(False)),  # all: false beats unassessed
        lab("undisclosed-and-unassessed", b=UNKNOWN),  # all: unassessed beats undisclosed
        lab("true-and-undisclosed", b=shown(True), m=UNKNOWN, n=shown(5)),
    ]
    assert statuses(run(inds, [rule], profiles), "c") == {
        "false-and-unassessed": "not_applicable",
        "undisclosed-and-unassessed": "unassessed",
        "true-and-undisclosed": "undisclosed",
    }


def test_commitment_disclosed_requirement_is_evaluated_when_undisclosed_but_not_when_unassessed() -> None:
    inds = {"n": NUM_HIGH}
    silent, absent, claim, shown3 = (
        lab("s", n=UNKNOWN),
        lab("u"),
        lab("c", n=claimed(1)),
        lab("d", n=shown(3)),
    )
    must_not_hide = commitment({"indicator": "n", "disclosed": True}, when=None)
    out = run(inds, [must_not_hide], [silent, absent, claim, shown3])
    assert statuses(out, "c") == {"s": "below", "u": "unassessed", "c": "below", "d": "meets"}
    s = out["s", "c"]
    assert (s["bar"], s["gap"], s["value"]) == (
        {
            "kind": "require",
            "value": True,
            "set_by": [],
            "set_by_count": 0,
            "peers_disclosed": 0,
            "evidence": {},
        },
        None,
        None,
    )
    must_hide = commitment({"indicator": "n", "disclosed": False}, when=None)
    assert statuses(run(inds, [must_hide], [silent, absent, claim, shown3]), "c") == {
        "s": "meets",
        "u": "unassessed",
        "c": "meets",
        "d": "below",
    }


def test_commitment_gap_only_for_at_least_and_meets() -> None:
    inds = {"n": NUM_HIGH, "l": LEVEL}
    rules = [
        commitment({"indicator": "n", "at_least": 2.5}, when=None, id="least"),
        commitment({"indicator": "n", "at_most": 2.5}, when=None, id="most"),
        commitment({"indicator": "l", "equals": "L2"}, when=None, id="eq"),
        commitment({"indicator": "l", "meets": {"threshold": "L2"}}, when=None, id="meets"),
    ]
    out = run(inds, rules, [lab("a", n=shown(1), l=shown("L3"))])
    got = {
        rule: (out["a", rule]["status"], out["a", rule]["gap"], out["a", rule]["bar"]["value"])
        for rule in ("least", "most", "eq", "meets")
    }
    assert got == {
        "least": ("below", Decimal("1.5"), 2.5),
        "most": ("meets", None, 2.5),
        "eq": ("below", None, "L2"),
        "meets": ("meets", -1, "L2"),
    }
    assert out["a", "meets"]["bar"]["kind"] == "threshold"
    assert (out["a", "eq"]["bar"]["kind"], out["a", "eq"]["title"], out["a", "eq"]["area"]) == (
        "require",
        "Level",
        "beta",
    )


def test_commitment_meets_all_reports_blocked_by() -> None:
    inds = {"n": NUM_HIGH}
    rule = commitment({"indicator": "n", "meets": "all"}, when=None)
    out = run(inds, [rule], [lab("a", n=shown(3)), lab("b", n=shown(1)), lab("c", n=UNKNOWN), lab("d")])
    a = out["a", "c"]
    assert (a["status"], a["bar"]["kind"], a["bar"]["blocked_by"], a["bar"]["blocked_by_count"]) == (
        "no_bar",
        "all",
        ["c", "d"],
        2,
    )
    assert (out["c", "c"]["status"], out["d", "c"]["status"]) == ("undisclosed", "unassessed")


# ---- derive rules -----------------------------------------------------------------------------------------
def test_derived_values_are_four_valued_chain_and_feed_commitments() -> None:
    inds = {"n": NUM_HIGH, "b": BOOL, "lead": DERIVED, "act": DERIVED}
    rules = [
        {"id": "d1", "derive": "lead", "when": {"all": [{"indicator": "n", "meets": "best"}]}},
        {
            "id": "d2",
            "derive": "act",
            "when": {"any": [{"indicator": "lead", "equals": True}, {"indicator": "b", "equals": True}]},
        },
        {"id": "c", "require": {"indicator": "act", "equals": False}, "severity": "low"},
    ]
    profiles = [
        lab("a", n=shown(9), b=shown(False)),
        lab("b", n=shown(3), b=NA),
        lab("c", n=UNKNOWN, b=shown(False)),
        lab("d", n=shown(1), b=shown(True)),
        lab("e", b=UNKNOWN),
    ]
    packs = pack(inds, rules)
    # e: lead unassessed (n absent); act = any(unassessed, undisclosed) = unassessed
    assert derived_values(packs, profiles, DAY) == {
        "a": {"act": True, "lead": True},
        "b": {"act": False, "lead": False},
        "c": {"act": "undisclosed", "lead": "undisclosed"},
        "d": {"act": True, "lead": False},
        "e": {"act": "unassessed", "lead": "unassessed"},
    }
    out = evaluate(packs, profiles, [], DAY)
    assert set(out) == {(x, "c") for x in "abcde"}
    assert statuses(out, "c") == {
        "a": "below",
        "b": "meets",
        "c": "undisclosed",
        "d": "below",
        "e": "unassessed",
    }
    a, c = out["a", "c"], out["c", "c"]
    assert (a["state"], a["value"], a["evidence"], a["flags"]) == ("derived", True, [], [])
    assert (c["state"], c["value"], out["e", "c"]["state"]) == ("undisclosed", None, "unassessed")
    # a derived practice is never in a profile: its location is the `practices:` line
    assert a["location"] == {"file": "lab_profiles/a.yaml", "line": 4}


# ---- flags, waivers ----------------------------------------------------------------------------------------
def test_stale_also_for_undisclosed_practices_with_evidence() -> None:
    inds = {"n": {**NUM_HIGH, "max_age_days": 10}}
    looked_long_ago = {
        "value": "unknown",
        "evidence": [{"url": "https://a.example", "date": date(2026, 6, 20), "note": "nothing"}],
    }
    looked_lately = {
        "value": "unknown",
        "evidence": [{"url": "https://b.example", "date": date(2026, 6, 21)}],
    }
    profiles = [
        lab("a", n=looked_long_ago),
        lab("b", n=looked_lately),
        lab("c", n=UNKNOWN),
        lab("d", n=shown(1)),
    ]
    out = run(inds, [bar_rule({"threshold": 1})], profiles)
    # as_of - 10 days = 2026-06-21: evidence of 06-20 is before it, 06-21 is not
    assert {x: out[x, "r"]["flags"] for x in "abcd"} == {"a": ["stale"], "b": [], "c": [], "d": ["stale"]}
    assert out["a", "r"]["status"] == "undisclosed"
    assert out["a", "r"]["evidence"] == [
        {"url": "https://a.example", "date": "2026-06-20", "note": "nothing"}
    ]


def test_waivers_and_stale_flags() -> None:
    inds = {"n": {**NUM_HIGH, "max_age_days": 10}, "b": BOOL}
    old = {
        "value": 1,
        "evidence": [
            {"url": "https://example.org/x", "date": date(2026, 1, 1)},
            {"url": "https://example.org/y", "date": date(2026, 6, 25)},
        ],
    }
    rules = [
        bar_rule("best"),
        bar_rule("best", id="r2", max_age_days=1000),
        {"id": "rb", "indicator": "b", "bar": {"threshold": True}, "severity": "low"},
    ]
    profiles = [
        lab("a", n=old, b=shown(False)),
        lab("b", n=shown(3), b=UNKNOWN),
        lab("c", n=shown(2), b=shown(True)),
    ]
    waivers = [
        {"rule": "r", "lab": "a", "reason": "ok", "expires": date(2026, 7, 1)},
        {"rule": "rb", "lab": "a", "reason": "old", "expires": date(2026, 6, 30)},
        {"rule": "r", "lab": "b", "reason": "not a shortfall", "expires": date(2027, 1, 1)},
    ]
    got = report(pack(inds, rules), profiles, waivers, DAY)
    out = got["verdicts"]
    a = out["a", "r"]
    assert (a["status"], a["gap"]) == ("waived", 2)  # active on its expiry date; the gap stays
    assert a["waiver"] == {
        "underlying": "below",
        "reason": "ok",
        "expires": "2026-07-01",
        "location": {"file": "waivers.yaml", "line": 1},
    }
    assert a["flags"] == [] and out["a", "r2"]["flags"] == []  # newest evidence: 6 days old
    assert out["c", "r"]["flags"] == ["stale"] and out["c", "r2"]["flags"] == []
    assert (out["a", "rb"]["status"], out["a", "rb"]["flags"]) == ("below", ["waiver_expired"])
    assert "waiver" not in out["a", "rb"]
    assert (out["b", "r"]["status"], "waiver" in out["b", "r"]) == ("surpasses", False)
    assert got["waivers"] == [("r", "b", "2027-01-01"), ("rb", "a", "2026-06-30")]


# ---- scores and coverage ---------------------------------------------------------------------------------
def test_scores_per_area_and_pack_counts_and_coverage() -> None:
    inds = {"n": NUM_HIGH, "b": BOOL, "m": NUM_HIGH, "der": DERIVED}
    first = {
        "pack": "first",
        "version": "1.0.0",
        "indicators": inds,
        "rules": [
            bar_rule({"threshold": 2}, id="n-floor"),  # area alpha
            {"id": "b-on", "indicator": "b", "bar": {"threshold": True}, "severity": "low"},  # beta
            {"id": "d", "derive": "der", "when": {"all": [{"indicator": "m", "at_least": 1}]}},
        ],
    }
    second = {
        "pack": "second",
        "version": "2.0.0",
        "indicators": {"q": LEVEL},
        "rules": [
            {"id": "q-best", "indicator": "q", "bar": "best", "severity": "low", "area": "alpha"},
            {"id": "uses-der", "require": {"indicator": "der", "equals": True}, "severity": "low"},
            {
                "id": "future",
                "indicator": "q",
                "bar": "best",
                "severity": "low",
                "in_force": date(2027, 1, 1),
            },
        ],
    }
    profiles = [
        lab("a", n=shown(3), b=UNKNOWN, q=shown("L1")),
        lab("b", n=shown(1), b=shown(True), m=claimed(2), q=shown("L2")),
    ]
    waivers = [{"rule": "n-floor", "lab": "b", "reason": "ok", "expires": date(2027, 1, 1)}]
    got = report([second, first], profiles, waivers, DAY)
    assert got["packs"] == [{"pack": "first", "version": "1.0.0"}, {"pack": "second", "version": "2.0.0"}]
    assert statuses(got["verdicts"], "n-floor") == {"a": "surpasses", "b": "waived"}
    assert statuses(got["verdicts"], "b-on") == {"a": "undisclosed", "b": "meets"}
    assert statuses(got["verdicts"], "q-best") == {"a": "below", "b": "surpasses"}
    assert statuses(got["verdicts"], "uses-der") == {"a": "unassessed", "b": "meets"}
    a, b = got["labs"]["a"], got["labs"]["b"]
    # a: surpasses, undisclosed, below, unassessed -> 1 / 3
    assert (a["name"], a["score"]) == ("A", Decimal("0.3333"))
    assert a["areas"] == {"alpha": Decimal("0.5"), "beta": Decimal("0")}
    assert a["packs"] == {"first": Decimal("0.5"), "second": Decimal("0")}
    assert a["counts"] == {
        "surpasses": 1,
        "meets": 0,
        "below": 1,
        "undisclosed": 1,
        "unassessed": 1,
        "not_applicable": 0,
        "no_bar": 0,
        "waived": 0,
    }
    # a's rules read n, b, q and (through der) m; "future" is not in force; m is unassessed
    assert (a["coverage"], a["unassessed"]) == (Decimal("0.75"), ["m"])
    assert a["pack_coverage"] == {"first": Decimal("1"), "second": Decimal("0.5")}
    # b: waived counts in neither part -> meets, surpasses, meets = 1
    assert (b["score"], b["areas"], b["coverage"], b["unassessed"]) == (
        Decimal("1"),
        {"alpha": Decimal("1"), "beta": Decimal("1")},
        Decimal("1"),
        [],
    )
    assert b["counts"]["waived"] == 1
    assert got["derived"] == {"a": {"der": "unassessed"}, "b": {"der": True}}
    # a lab with no verdict: nothing counts
    lone = report([first], [*profiles, lab("c")], [], DAY)["labs"]
    assert (lone["c"]["coverage"], lone["c"]["unassessed"]) == (Decimal("0"), ["b", "n"])
    only_a = report([{**first, "rules": [bar_rule("best", applies_to=["a"])]}], profiles, [], DAY)["labs"][
        "b"
    ]
    assert (
        only_a["score"],
        only_a["coverage"],
        only_a["areas"],
        only_a["packs"],
        sum(only_a["counts"].values()),
    ) == (None, None, {}, {}, 0)


def test_score_is_null_when_nothing_counts() -> None:
    got = report(pack({"n": NUM_HIGH}, [bar_rule("best")]), [lab("a"), lab("b")], [], DAY)["labs"]["a"]
    assert (got["score"], got["areas"], got["packs"], got["coverage"]) == (
        None,
        {"alpha": None},
        {"p": None},
        Decimal("0"),
    )


# ---- what a verdict says about itself, and where ------------------------------------------------------------
def test_title_pack_indicator_area_severity_and_location() -> None:
    inds = {"n": NUM_HIGH, "b": BOOL}
    rules = [
        bar_rule("best", title="Own title", area="zeta"),
        {"id": "plain", "indicator": "b", "bar": "best", "severity": "info"},
    ]
    text = "# a comment\n\nid: a\nname: A\ntags: []\npractices:\n  # b first\n  b:\n    value: unknown\n  n:\n    value: 1\n"
    profiles = [{"id": "a", "name": "A", "tags": [], "practices": {"b": UNKNOWN, "n": claimed(1)}}, lab("z")]
    out = report(pack(inds, rules), profiles, [], DAY, profile_texts={"a": text})["verdicts"]
    r, plain = out["a", "r"], out["a", "plain"]
    assert (r["title"], r["pack"], r["indicator"], r["area"], r["severity"]) == (
        "Own title",
        "p",
        "n",
        "zeta",
        "high",
    )
    assert (plain["title"], plain["area"], plain["severity"]) == ("Bool", "beta", "info")
    assert (r["location"], plain["location"]) == (
        {"file": "lab_profiles/a.yaml", "line": 10},
        {"file": "lab_profiles/a.yaml", "line": 8},
    )
    # z's profile (a plain dump: id, name, tags, practices) records neither: the `practices:` line
    assert out["z", "r"]["location"] == {"file": "lab_profiles/z.yaml", "line": 4}


def test_practice_and_waiver_lines() -> None:
    text = "id: a\nname: A\ntags:\n- x\npractices:\n  n:\n    value: 1\n    evidence:\n    - url: u\n      date: 2026-01-01\n  m:\n    not_applicable: no\n"
    assert practice_lines(text) == (5, {"n": 6, "m": 11}, {})
    assert practice_lines("id: a\npractices: {}\n") == (2, {}, {})
    with pytest.raises(ValueError):
        practice_lines("id: a\n")
    assert waiver_lines("# header\n- rule: r\n  lab: a\n- rule: s\n  lab: b\n") == [2, 4]
