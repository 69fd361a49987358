"""Ratcheted bars against the reference evaluator: random present profiles and random dated snapshots of
their past, judged by the engine (with what `parity.judge.ratchet.Held` records) and by tests/reference.py,
which reads the rule book's definition (docs/history.md) straight from the snapshots."""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from agreement import verdict_diffs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reference import report

import parity
from parity.judge import ratchet

DAY = dt.date(2026, 6, 1)  # the day the ratchet scenarios are judged
LABS = ["a", "b", "c", "d", "e"]
LEVELS = ["none", "some", "most", "all"]
INDICATORS = {
    "n": {"title": "A number", "area": "x", "type": "number", "better": "higher"},
    "lv": {"title": "A level", "area": "y", "type": "level", "levels": LEVELS},
}
BARS: list[Any] = ["best", {"quorum": 2}, "median", "all"]

states = st.one_of(
    st.none(),  # unassessed
    st.just("unknown"),
    st.just("n/a"),
    st.tuples(st.integers(0, 4), st.booleans()),  # (value index, with evidence)
)


def _practice(ind: str, state: Any, day: int) -> dict[str, Any] | None:
    if state is None:
        return None
    evidence = [{"url": f"https://example.org/{ind}/{day}", "date": "2025-01-01"}]
    if state == "unknown":
        return {"value": "unknown", "evidence": evidence}
    if state == "n/a":
        return {"not_applicable": "does not apply"}
    index, evidenced = state
    value = index if ind == "n" else LEVELS[index % len(LEVELS)]
    return {"value": value, "evidence": evidence} if evidenced else {"value": value}


def _profiles(snapshot: dict[str, dict[str, Any]], day: int) -> list[dict[str, Any]]:
    out = []
    for lab in LABS:
        practices = {
            ind: p for ind in INDICATORS if (p := _practice(ind, snapshot[lab][ind], day)) is not None
        }
        out.append({"id": lab, "name": lab.upper(), "practices": practices})
    return out


snapshot = st.fixed_dictionaries(
    {lab: st.fixed_dictionaries(dict.fromkeys(INDICATORS, states)) for lab in LABS}
)


@st.composite
def worlds(draw: st.DrawFn) -> tuple[dict[str, Any], list[tuple[dt.date, list[dict]]], list[dict]]:
    days = draw(st.sampled_from([30, 90, 200, 400]))
    rules = [
        {"id": f"{ind}-{i}", "indicator": ind, "bar": bar, "ratchet": days, "severity": "low"}
        for ind in INDICATORS
        for i, bar in enumerate(BARS)
    ]
    rules.append({"id": "n-plain", "indicator": "n", "bar": "best", "severity": "low"})
    pack = {"pack": "p", "version": "1", "indicators": INDICATORS, "rules": rules}
    offsets = sorted(draw(st.sets(st.integers(1, 500), max_size=3)), reverse=True)
    past = [(DAY - dt.timedelta(days=o), _profiles(draw(snapshot), o)) for o in offsets]
    return pack, past, _profiles(draw(snapshot), 0)


def _load(root: Path, pack: dict[str, Any], profiles: list[dict]) -> parity.Dataset:
    (root / "lab_profiles").mkdir(parents=True)
    (root / "rules").mkdir()
    (root / "rules" / "p.yaml").write_text(yaml.safe_dump(pack), encoding="utf-8")
    for p in profiles:
        (root / "lab_profiles" / f"{p['id']}.yaml").write_text(
            yaml.safe_dump(p, sort_keys=False), encoding="utf-8"
        )
    return parity.load(root / "lab_profiles", root / "rules")


@settings(
    max_examples=int(os.environ.get("PARITY_PROPERTY_EXAMPLES", "200")) // 2,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(world=worlds())
def test_ratcheted_bars_agree_with_the_reference(world: tuple[dict, list, list]) -> None:
    pack, past, present = world
    held = ratchet.Held()
    with tempfile.TemporaryDirectory() as d:
        for i, (date, profiles) in enumerate(past):
            ratchet.record(held, date, _load(Path(d) / str(i), pack, profiles))
        data = _load(Path(d) / "now", pack, present)
        ratchet.record(held, DAY, data)
        doc = json.loads(
            parity.render(parity.evaluate(data, as_of=DAY, held=held), "json"), parse_float=Decimal
        )
    expected = report([pack], present, [], DAY, past=past)["verdicts"]
    got = {(v["lab"], v["rule"]): v for v in doc["verdicts"]}
    assert got.keys() == expected.keys()
    problems = [f"{key}: {d}" for key in sorted(expected) for d in verdict_diffs(expected[key], got[key])]
    assert not problems, "\n".join(problems[:20]) + f"\npast={past}\npresent={present}"


def test_no_history_ranks_present_values_and_flags_the_verdict(tmp_path: Path) -> None:
    pack = {
        "pack": "p",
        "version": "1",
        "indicators": INDICATORS,
        "rules": [{"id": "n-held", "indicator": "n", "bar": "best", "ratchet": 90, "severity": "low"}],
    }
    present = _profiles({lab: {"n": (i, True), "lv": None} for i, lab in enumerate(LABS)}, 0)
    data = _load(tmp_path, pack, present)
    for held in (None, ratchet.Held(complete=False)):
        result = parity.evaluate(data, as_of=DAY, held=held)
        verdict = next(v for v in result.verdicts if v.lab == "a")
        assert (verdict.bar.value, verdict.flags) == (4, ("no_history",))
