"""Hand-checked examples for the reference evaluator (tests/reference.py)."""

from __future__ import annotations

from datetime import date
from typing import Any

from reference import Reference, RefVerdict, derived_values, evaluate, scores

AS_OF = date(2026, 7, 1)
EVIDENCE = [{"url": "https://example.org/x", "date": date(2026, 6, 1)}]
NUM_HIGH = {"title": "n", "area": "alpha", "type": "number", "better": "higher"}
NUM_LOW = {"title": "n", "area": "alpha", "type": "number", "better": "lower"}
BOOL = {"title": "b", "area": "beta", "type": "boolean"}
BOOL_LOW = {"title": "b", "area": "beta", "type": "boolean", "better": "lower"}
LEVEL = {"title": "l", "area": "beta", "type": "level", "levels": ["L0", "L1", "L2", "L3"]}
DATE = {"title": "d", "area": "gamma", "type": "date"}
DERIVED = {"title": "x", "area": "beta", "type": "boolean", "derived": True}
NA = {"not_applicable": "no hosted API"}
UNKNOWN = {"value": "unknown"}


def shown(value: Any) -> dict:
    return {"value": value, "evidence": EVIDENCE}


def claimed(value: Any) -> dict:
    return {"value": value}


def lab(lab_id: str, tags: tuple[str, ...] = (), **practices: Any) -> dict:
    return {"id": lab_id, "name": lab_id, "tags": list(tags), "practices": practices}


def run(
    indicators: dict, rules: list[dict], profiles: list[dict], waivers: list[dict] | None = None
) -> dict[tuple[str, str], RefVerdict]:
    packs = [{"pack": "p", "version": "1.0.0", "indicators": indicators, "rules": rules}]
    return evaluate(packs, profiles, waivers or [], AS_OF)


def bar_rule(bar: Any, **extra: Any) -> dict:
    return {"id": "r", "indicator": "n", "bar": bar, "severity": "high", **extra}


def test_best_with_ties_lists_every_setter() -> None:
    profiles = [
        lab("a", n=shown(5)),
        lab("b", n=shown(7)),
        lab("c", n=shown(7)),
        lab("d", n=shown(3)),
    ]
    out = run({"n": NUM_HIGH}, [bar_rule("best")], profiles)
    assert out["a", "r"] == RefVerdict("below", 5, 7, ("b", "c"), 2, 3, 2, (), area="alpha")
    assert out["b", "r"].status == "meets" and out["b", "r"].set_by == ("c",)
    assert out["b", "r"].gap == 0


def test_quorum_keeps_ties_and_needs_k_disclosed_peers() -> None:
    profiles = [
        lab("a", n=shown(4)),
        lab("b", n=shown(5)),
        lab("c", n=shown(5)),
        lab("d", n=shown(3)),
    ]
    two = run({"n": NUM_HIGH}, [bar_rule({"quorum": 2})], profiles)["a", "r"]
    assert (two.status, two.bar_value, two.set_by, two.gap) == ("below", 5, ("b", "c"), 1)
    three = run({"n": NUM_HIGH}, [bar_rule({"quorum": 3})], profiles)["a", "r"]
    assert (three.status, three.bar_value, three.set_by, three.gap) == ("surpasses", 3, ("d",), -1)
    four = run({"n": NUM_HIGH}, [bar_rule({"quorum": 4})], profiles)["a", "r"]
    assert (four.status, four.bar_value, four.set_by_count, four.gap) == ("no_bar", None, 0, None)


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
    # a's peers disclosed, best (lowest) first: 3, 5, 7, 9 -> k = 2 -> 5
    assert out["a", "r"] == RefVerdict("below", 6, 5, ("d",), 1, 4, 1, (), area="alpha")
    # e's peers: 5, 6, 7, 9 -> k = 2 -> 6; e has 3, better by 3
    e = out["e", "r"]
    assert (e.bar_value, e.gap, e.status) == (6, -3, "surpasses")
    # the undisclosed lab f is judged against peers 3, 5, 6, 7, 9 -> k = 3 -> 6
    assert (out["f", "r"].status, out["f", "r"].bar_value, out["f", "r"].value) == (
        "undisclosed",
        6,
        None,
    )


def test_all_binds_only_when_every_applicable_peer_is_disclosed() -> None:
    base = [lab("a", n=shown(1)), lab("b", n=shown(4)), lab("c", n=shown(2))]
    out = run({"n": NUM_HIGH}, [bar_rule("all")], [*base, lab("d", n=claimed(0))])
    assert (out["a", "r"].status, out["a", "r"].peers_disclosed) == ("no_bar", 2)
    out = run({"n": NUM_HIGH}, [bar_rule("all")], [*base, lab("d", n=NA)])
    assert (out["a", "r"].status, out["a", "r"].bar_value, out["a", "r"].set_by) == (
        "below",
        2,
        ("c",),
    )
    assert out["d", "r"].status == "not_applicable" and out["d", "r"].bar_value == 1
    alone = run({"n": NUM_HIGH}, [bar_rule("all")], [lab("a", n=shown(1)), lab("b", n=NA)])
    assert alone["a", "r"].status == "no_bar"


def test_unevidenced_is_judged_and_flagged_but_never_sets_a_bar() -> None:
    profiles = [lab("a", n=claimed(9)), lab("b", n=shown(5)), lab("c", n=shown(2))]
    out = run({"n": NUM_HIGH}, [bar_rule("best")], profiles)
    assert out["a", "r"] == RefVerdict("surpasses", 9, 5, ("b",), 1, 2, -4, ("unevidenced",), area="alpha")
    assert (out["b", "r"].status, out["b", "r"].bar_value, out["b", "r"].peers_disclosed) == (
        "surpasses",
        2,
        1,
    )


def test_not_applicable_removes_peer_and_status_order() -> None:
    profiles = [lab("a", n=UNKNOWN), lab("b", n=NA), lab("c")]
    out = run({"n": NUM_HIGH}, [bar_rule("best")], profiles)
    # nobody discloses: no_bar comes before undisclosed; not applicable comes first of all
    assert [out[x, "r"].status for x in "abc"] == ["no_bar", "not_applicable", "no_bar"]
    out = run({"n": NUM_HIGH}, [bar_rule("best")], [*profiles, lab("d", n=shown(1))])
    assert [out[x, "r"].status for x in "abcd"] == [
        "undisclosed",
        "not_applicable",
        "undisclosed",
        "no_bar",
    ]
    assert out["b", "r"].bar_value == 1 and out["d", "r"].peers_disclosed == 0


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
    assert (num.status, num.gap, num.set_by, num.set_by_count) == ("below", 0.2, (), 0)
    assert out["b", "num"].gap == 0 and out["b", "num"].status == "meets"
    assert out["a", "recent"].bar_value == date(2026, 6, 1) and out["a", "recent"].gap == 151
    assert out["b", "recent"].status == "meets" and out["b", "recent"].flags == ("unevidenced",)
    assert (out["a", "lvl"].status, out["a", "lvl"].gap) == ("below", 2)
    assert (out["b", "lvl"].status, out["b", "lvl"].gap) == ("surpasses", -2)
    assert (out["a", "bool"].status, out["a", "bool"].gap) == ("meets", None)
    assert out["b", "bool"].status == "below"  # better: lower, so True is worse than False


def test_peers_by_tags_and_labs_intersect_and_applies_to_limits_verdicts() -> None:
    profiles = [
        lab("a", ("x",), n=shown(1)),
        lab("b", ("x", "y"), n=shown(9)),
        lab("c", ("x",), n=shown(5)),
        lab("d", ("y",), n=shown(7)),
    ]
    rule = bar_rule("best", peers={"tags": ["x"], "labs": ["a", "c", "d"]}, applies_to=["a", "b"])
    out = run({"n": NUM_HIGH}, [rule], profiles)
    assert set(out) == {("a", "r"), ("b", "r")}
    assert (out["a", "r"].bar_value, out["a", "r"].set_by) == (5, ("c",))
    assert (out["b", "r"].bar_value, out["b", "r"].status) == (5, "surpasses")


def test_three_valued_all_and_any() -> None:
    profiles = [lab("a", b=shown(True), n=UNKNOWN, l=NA)]
    packs = [{"pack": "p", "version": "1", "indicators": {"b": BOOL, "n": NUM_HIGH, "l": LEVEL}}]
    ref = Reference(packs, profiles, AS_OF)
    t = {"indicator": "b", "equals": True}
    u = {"indicator": "n", "at_least": 1}
    f = {"indicator": "l", "at_least": "L0"}  # not applicable: false
    assert [ref.condition("a", c) for c in (t, u, f)] == [True, None, False]
    assert ref.condition("a", {"indicator": "n", "disclosed": False}) is True
    assert ref.condition("a", {"indicator": "l", "disclosed": False}) is False
    assert [ref.when("a", {"all": c}) for c in ([t, u], [u, f], [t, t])] == [None, False, True]
    assert [ref.when("a", {"any": c}) for c in ([t, u], [u, f], [f, f])] == [True, None, False]


def test_commitment_precedence() -> None:
    inds = {"b": BOOL, "n": NUM_HIGH}
    rule = {
        "id": "c",
        "when": {"all": [{"indicator": "b", "equals": True}]},
        "require": {"indicator": "n", "meets": {"quorum": 2}},
        "severity": "critical",
    }
    profiles = [
        lab("w-false", b=shown(False), n=shown(0)),
        lab("w-unknown", n=shown(0)),
        lab("w-false-na", b=NA, n=UNKNOWN),
        lab("req-na", b=shown(True), n=NA),
        lab("req-unknown", b=claimed(True), n=UNKNOWN),
        lab("below", b=shown(True), n=claimed(1)),
        lab("meets", b=shown(True), n=shown(3)),
        lab("zz-1", n=shown(3)),
        lab("zz-2", n=shown(2)),
    ]
    out = run(inds, [rule], profiles)
    expected = {
        "w-false": "not_applicable",
        "w-unknown": "undisclosed",
        "w-false-na": "not_applicable",
        "req-na": "not_applicable",
        "req-unknown": "undisclosed",
        "below": "below",
        "meets": "meets",
    }
    assert {k: out[k, "c"].status for k in expected} == expected
    assert out["below", "c"].value == 1 and out["below", "c"].flags == ("unevidenced",)
    # peers disclosed, best first: 3 (zz-1), 2 (zz-2), 0, 0 ("below" is unevidenced) -> k = 2 -> 2
    met = out["meets", "c"]
    assert (met.bar_value, met.set_by, met.peers_disclosed) == (2, ("zz-2",), 4)
    # a `meets` bar that does not bind leaves the requirement unknown: no_bar
    few = run(inds, [rule], [lab("a", b=shown(True), n=shown(3)), lab("b", n=shown(9))])
    assert few["a", "c"].status == "no_bar"


def test_derive_chain_feeds_commitment_and_produces_no_verdicts() -> None:
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
    ]
    packs = [{"pack": "p", "version": "1", "indicators": inds, "rules": rules}]
    assert derived_values(packs, profiles, AS_OF) == {
        "a": {"act": True, "lead": True},
        "b": {"act": False, "lead": False},
        "c": {"act": None, "lead": None},
        "d": {"act": True, "lead": False},
    }
    out = evaluate(packs, profiles, [], AS_OF)
    assert set(out) == {(x, "c") for x in "abcd"}
    assert [out[x, "c"].status for x in "abcd"] == ["below", "meets", "undisclosed", "below"]
    assert out["a", "c"].value is True and out["c", "c"].value is None


def test_waivers_stale_flags_and_scores() -> None:
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
        {"rule": "rb", "lab": "a", "reason": "ok", "expires": date(2026, 6, 30)},
        {"rule": "r", "lab": "b", "reason": "not a shortfall", "expires": date(2027, 1, 1)},
    ]
    out = run(inds, rules, profiles, waivers)
    assert (out["a", "r"].status, out["a", "r"].underlying) == ("waived", "below")
    assert out["a", "r"].flags == () and out["a", "r2"].flags == ()  # newest evidence: 6 days
    assert out["c", "r"].flags == ("stale",) and out["c", "r2"].flags == ()
    assert (out["a", "rb"].status, out["a", "rb"].flags) == ("below", ("waiver_expired",))
    assert (out["b", "r"].status, out["b", "r"].underlying) == ("surpasses", None)
    got = scores(out)
    assert (got["a"].score, got["a"].areas) == (0.0, {"alpha": 0.0, "beta": 0.0})
    assert got["a"].counts == {"waived": 1, "below": 2}
    assert (got["b"].score, got["b"].areas) == (0.6667, {"alpha": 1.0, "beta": 0.0})
    assert scores(run(inds, [rules[0]], [lab("a"), lab("b")]))["a"].score is None


def test_set_by_lists_at_most_20_but_counts_all() -> None:
    profiles = [lab(f"lab-{i:02d}", n=shown(1 if i == 0 else 4)) for i in range(25)]
    verdict = run({"n": NUM_HIGH}, [bar_rule("best")], profiles)["lab-00", "r"]
    assert verdict.set_by == tuple(f"lab-{i:02d}" for i in range(1, 21))
    assert (verdict.set_by_count, verdict.peers_disclosed, verdict.gap) == (24, 24, 3)
