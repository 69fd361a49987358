"""Property test: the engine and the independent reference evaluator agree on random data sets."""

from __future__ import annotations

import math
import os
import tempfile
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from reference import RefVerdict, derived_values, evaluate, scores
from strategies import DataSet, datasets, dump_yaml

import parity


def write_dataset(ds: DataSet, root: Path) -> Path | None:
    """Lay the data set out as a user keeps it; returns the waivers path (None if no file)."""
    (root / "lab_profiles").mkdir()
    (root / "rules").mkdir()
    for profile in ds.profiles:
        text = dump_yaml(profile)
        (root / "lab_profiles" / f"{profile['id']}.yaml").write_text(text)
    for pack in ds.packs:
        (root / "rules" / f"{pack['pack']}.yaml").write_text(dump_yaml(pack))
    if not ds.waivers:
        return None
    path = root / "waivers.yaml"
    path.write_text(dump_yaml(ds.waivers))
    return path


def same(a: Any, b: Any, exact: bool = False) -> bool:
    """Equality where numbers of different types compare by value.

    Floats compare with math.isclose, except when `exact`: gaps use decimal arithmetic
    (semantics.md: 0.3 - 0.1 is 0.2), so there a float must print as the same decimal.
    """
    numeric = (int, float, Decimal)
    if isinstance(a, bool) or isinstance(b, bool) or a is None or b is None:
        return type(a) is type(b) and a == b
    if isinstance(a, numeric) and isinstance(b, numeric):
        if exact:
            return Decimal(str(a)) == Decimal(str(b))
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
    return a == b


def verdict_diffs(ref: RefVerdict, got: Any) -> list[str]:
    bar = getattr(got, "bar", None)
    pairs: list[tuple[str, Any, Any]] = [
        ("status", ref.status, got.status),
        ("value", ref.value, got.value),
        ("flags", ref.flags, tuple(got.flags)),
    ]
    if not ref.is_commitment:
        pairs.append(("gap", ref.gap, got.gap))
    if not ref.is_commitment or ref.meets_bar:
        pairs += [
            ("bar.value", ref.bar_value, getattr(bar, "value", "<no bar>")),
            ("bar.set_by", ref.set_by, tuple(getattr(bar, "set_by", ("<no bar>",)))),
            ("bar.set_by_count", ref.set_by_count, getattr(bar, "set_by_count", None)),
            ("bar.peers_disclosed", ref.peers_disclosed, getattr(bar, "peers_disclosed", None)),
        ]
    if ref.status == "waived":
        waiver = getattr(got, "waiver", None)
        pairs.append(("waiver.underlying", ref.underlying, getattr(waiver, "underlying", None)))
    return [
        f"{name}: reference={r!r} engine={g!r}" for name, r, g in pairs if not same(r, g, exact=name == "gap")
    ]


def compare(ds: DataSet, report: Any) -> list[str]:
    problems: list[str] = []
    ref = evaluate(ds.packs, ds.profiles, ds.waivers, ds.as_of)
    keys = [(v.lab, v.rule) for v in report.verdicts]
    if keys != sorted(keys):
        problems.append("engine verdicts are not sorted by (lab, rule)")
    got = {(v.lab, v.rule): v for v in report.verdicts}
    if len(got) != len(keys):
        problems.append("engine returned duplicate (lab, rule) verdicts")
    for key in sorted(set(ref) - set(got)):
        problems.append(f"{key}: missing from engine; reference={ref[key]}")
    for key in sorted(set(got) - set(ref)):
        problems.append(f"{key}: engine only; engine={got[key]}")
    for key in sorted(set(ref) & set(got)):
        diffs = verdict_diffs(ref[key], got[key])
        if diffs:
            problems.append(
                f"{key}:\n    " + "\n    ".join(diffs) + f"\n    reference={ref[key]}\n    engine={got[key]}"
            )

    ref_derived = derived_values(ds.packs, ds.profiles, ds.as_of)
    for lab, values in ref_derived.items():
        engine_values = report.derived.get(lab, {})
        for name, expected in values.items():
            actual = engine_values.get(name)
            if not same(expected, actual):
                problems.append(f"derived {lab}.{name}: reference={expected!r} engine={actual!r}")

    for lab, ref_score in scores(ref).items():
        got_score = report.labs.get(lab)
        if got_score is None:
            problems.append(f"labs[{lab}] missing from engine report")
            continue
        if not same(ref_score.score, got_score.score):
            problems.append(f"labs[{lab}].score: reference={ref_score.score} engine={got_score.score}")
        # an area whose score is None may be listed or left out; counts of 0 likewise
        ref_areas = {a: s for a, s in ref_score.areas.items() if s is not None}
        got_areas = {a: s for a, s in got_score.areas.items() if s is not None}
        if set(ref_areas) != set(got_areas) or any(not same(s, got_areas[a]) for a, s in ref_areas.items()):
            problems.append(f"labs[{lab}].areas: reference={ref_areas} engine={got_areas}")
        got_counts = {s: n for s, n in got_score.counts.items() if n}
        if ref_score.counts != got_counts:
            problems.append(f"labs[{lab}].counts: reference={ref_score.counts} engine={got_counts}")
    return problems


@settings(
    max_examples=int(os.environ.get("PARITY_PROPERTY_EXAMPLES", "200")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(ds=datasets())
def test_engine_agrees_with_reference(ds: DataSet) -> None:
    with tempfile.TemporaryDirectory() as d:
        waivers = write_dataset(ds, Path(d))
        try:
            data = parity.load(profiles=Path(d) / "lab_profiles", rules=Path(d) / "rules", waivers=waivers)
        except parity.LoadError as exc:
            listed = "\n".join(f"  {p}" for p in exc.problems)
            raise AssertionError(
                f"LoadError on generated data:\n{listed}\n--- data set ---\n{ds.to_yaml()}"
            ) from exc
        report = parity.evaluate(data, as_of=ds.as_of)
    problems = compare(ds, report)
    assert not problems, (
        f"engine and reference disagree (as_of {ds.as_of}):\n"
        + "\n".join(problems)
        + f"\n--- data set ---\n{ds.to_yaml()}"
    )


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ds=datasets())
def test_reference_is_total_on_generated_data(ds: DataSet) -> None:
    """Every (lab, rule) pair in scope gets one verdict with a known status."""
    verdicts = evaluate(ds.packs, ds.profiles, ds.waivers, ds.as_of)
    labs = [p["id"] for p in ds.profiles]
    expected = {
        (lab, r["id"])
        for pack in ds.packs
        for r in pack.get("rules", [])
        if "derive" not in r
        for lab in r.get("applies_to", labs)
    }
    assert set(verdicts) == expected
    statuses = {"surpasses", "meets", "below", "undisclosed", "not_applicable", "no_bar", "waived"}
    assert {v.status for v in verdicts.values()} <= statuses


def test_set_by_lists_at_most_20_of_many_tied_peers() -> None:
    """The random data sets have at most 8 labs; this one has 24 tied peers plus one below."""
    evidence = [{"url": "https://example.org/x", "date": date(2026, 1, 1)}]
    indicator = {"title": "n", "area": "security", "type": "number", "better": "higher"}
    rules = [
        {"id": "r-best", "indicator": "n", "bar": "best", "severity": "high"},
        {"id": "r-all", "indicator": "n", "bar": "all", "severity": "high"},
    ]
    packs = [{"pack": "p", "version": "1.0.0", "indicators": {"n": indicator}, "rules": rules}]
    labs = [f"lab-{i:02d}" for i in range(25)]
    profiles = [
        {
            "id": lab,
            "name": lab,
            "tags": [],
            "practices": {"n": {"value": 1 if i == 0 else 4, "evidence": evidence}},
        }
        for i, lab in enumerate(labs)
    ]
    ds = DataSet(packs, profiles, [], date(2026, 7, 1))
    with tempfile.TemporaryDirectory() as d:
        waivers = write_dataset(ds, Path(d))
        data = parity.load(profiles=Path(d) / "lab_profiles", rules=Path(d) / "rules", waivers=waivers)
        report = parity.evaluate(data, as_of=ds.as_of)
    ref = evaluate(ds.packs, ds.profiles, ds.waivers, ds.as_of)
    assert (ref["lab-00", "r-best"].set_by, ref["lab-00", "r-best"].set_by_count) == (
        tuple(labs[1:21]),
        24,
    )
    problems = compare(ds, report)
    assert not problems, "\n".join(problems)
