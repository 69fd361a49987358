"""Property test: the engine's JSON report and the independent reference evaluator agree on random data.

For each generated data set the files are written as a user keeps them, loaded and evaluated by parity,
rendered as JSON, and compared field by field with tests/reference.py (the rule book: docs/verdicts.md;
the report's shape: docs/report.md). Numbers are parsed as exact decimals, so a gap of 0.19999999999999998
where the rule book says 0.2 is a disagreement.
"""

from __future__ import annotations

import json
import os
import tempfile
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from reference import STATUSES, report
from strategies import DataSet, datasets

import parity

MAX_PROBLEMS = 60  # a failure lists at most this many disagreements (hypothesis shrinks the data first)
VERDICT_FIELDS = (
    "title",
    "pack",
    "indicator",
    "area",
    "severity",
    "status",
    "state",
    "value",
    "gap",
    "flags",
    "evidence",
    "location",
)
BAR_FIELDS = ("kind", "value", "set_by", "set_by_count", "peers_disclosed")
MISSING = "<missing>"


def write_dataset(ds: DataSet, root: Path) -> Path | None:
    """Lay the data set out as a user keeps it; returns the waivers path (None if no file)."""
    (root / "lab_profiles").mkdir()
    (root / "rules").mkdir()
    for rel, text in ds.texts.items():
        (root / rel).write_text(text, encoding="utf-8")
    return root / "waivers.yaml" if ds.waivers_text is not None else None


def engine_report(ds: DataSet) -> dict[str, Any]:
    """parity.load, parity.evaluate and parity.render(..., "json"), read back with exact decimals."""
    with tempfile.TemporaryDirectory() as d:
        root = Path(d)
        waivers = write_dataset(ds, root)
        try:
            data = parity.load(profiles=root / "lab_profiles", rules=root / "rules", waivers=waivers)
        except parity.LoadError as exc:
            listed = "\n".join(f"  {p}" for p in exc.problems)
            raise AssertionError(
                f"LoadError on generated data:\n{listed}\n--- data set ---\n{ds.to_yaml()}"
            ) from exc
        result = parity.evaluate(data, as_of=ds.as_of)
        text = parity.render(result, "json")
    doc: dict[str, Any] = json.loads(text, parse_float=Decimal)
    return doc


def same(a: Any, b: Any) -> bool:
    """JSON equality where numbers compare as exact decimals (2 == 2.0, 0.2 != 0.19999999999999998)
    and a boolean is never a number."""
    if isinstance(a, bool) or isinstance(b, bool) or a is None or b is None:
        return type(a) is type(b) and a == b
    if isinstance(a, int | float | Decimal) and isinstance(b, int | float | Decimal):
        return Decimal(str(a)) == Decimal(str(b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def show(value: Any) -> str:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {show(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(show(v) for v in value) + "]"
    return repr(value)


def diff(name: str, expected: Any, actual: Any) -> list[str]:
    return [] if same(expected, actual) else [f"{name}: reference={show(expected)} engine={show(actual)}"]


def nullable_map(entries: Any) -> Any:
    """areas / packs / pack_coverage: an entry whose value is null may be listed or left out."""
    if not isinstance(entries, dict):
        return entries
    return {k: v for k, v in entries.items() if v is not None}


def verdict_diffs(ref: dict, got: dict) -> list[str]:
    out: list[str] = []
    for name in VERDICT_FIELDS:
        out += diff(name, ref[name], got.get(name, MISSING))
    bar = got.get("bar")
    if not isinstance(bar, dict):
        return [*out, f"bar: reference={show(ref['bar'])} engine={show(bar)}"]
    for name in BAR_FIELDS:
        out += diff(f"bar.{name}", ref["bar"][name], bar.get(name, MISSING))
    # blocked_by: on `all` bars only (absent on every other kind)
    for name in ("blocked_by", "blocked_by_count", "blocked_by_state"):
        out += diff(f"bar.{name}", ref["bar"].get(name, MISSING), bar.get(name, MISSING))
    # bar.evidence: shortfalls only; with no setter to cite, {} and absent are the same
    out += diff("bar.evidence", ref["bar"].get("evidence") or None, bar.get("evidence") or None)
    out += diff("waiver", ref.get("waiver"), got.get("waiver"))
    return out


def compare(ds: DataSet, doc: dict[str, Any]) -> list[str]:
    ref = report(ds.packs, ds.profiles, ds.waivers, ds.as_of, ds.profile_texts, ds.waivers_text)
    problems: list[str] = []
    problems += diff("as_of", ref["as_of"], doc.get("as_of"))
    packs = [{k: p.get(k, MISSING) for k in ("pack", "version")} for p in doc.get("packs") or []]
    problems += diff("packs", ref["packs"], packs)

    verdicts = doc.get("verdicts", [])
    keys = [(v["lab"], v["rule"]) for v in verdicts]
    if keys != sorted(keys):
        problems.append(f"engine verdicts are not sorted by (lab, rule): {keys}")
    got = {(v["lab"], v["rule"]): v for v in verdicts}
    if len(got) != len(keys):
        problems.append("engine returned duplicate (lab, rule) verdicts")
    expected = ref["verdicts"]
    for key in sorted(set(expected) - set(got)):
        problems.append(f"{key}: missing from engine; reference={show(expected[key])}")
    for key in sorted(set(got) - set(expected)):
        problems.append(f"{key}: engine only (reference: no verdict); engine={show(got[key])}")
    for key in sorted(set(expected) & set(got)):
        diffs = verdict_diffs(expected[key], got[key])
        if diffs:
            problems.append(
                f"{key}:\n    "
                + "\n    ".join(diffs)
                + f"\n    reference={show(expected[key])}\n    engine={show(got[key])}"
            )

    derived = doc.get("derived") or {}
    for lab, values in ref["derived"].items():
        problems += diff(f"derived[{lab}]", values, derived.get(lab, {}))
    for lab in sorted(set(derived) - set(ref["derived"])):
        if derived[lab]:
            problems.append(f"derived[{lab}]: engine only: {show(derived[lab])}")

    labs = doc.get("labs") or {}
    for lab, want in ref["labs"].items():
        have = labs.get(lab)
        if not isinstance(have, dict):
            problems.append(f"labs[{lab}] missing from the engine's report; reference={show(want)}")
            continue
        for name, value in want.items():
            actual = have.get(name, MISSING)
            if name in ("areas", "packs", "pack_coverage"):
                value, actual = nullable_map(value), nullable_map(actual)
            problems += diff(f"labs[{lab}].{name}", value, actual)
    for lab in sorted(set(labs) - set(ref["labs"])):
        problems.append(f"labs[{lab}]: engine only")

    fields = ("rule", "lab", "expires")
    unused = sorted(tuple(str(w.get(k, MISSING)) for k in fields) for w in doc.get("waivers") or [])
    problems += diff("waivers (rule, lab, expires) that did not apply", ref["waivers"], unused)
    return problems


def assert_agree(ds: DataSet) -> None:
    problems = compare(ds, engine_report(ds))
    if problems:
        shown = problems[:MAX_PROBLEMS]
        if len(problems) > MAX_PROBLEMS:
            shown.append(f"... and {len(problems) - MAX_PROBLEMS} more")
        raise AssertionError(
            f"engine and reference disagree (as_of {ds.as_of}; {len(problems)} problems):\n"
            + "\n".join(shown)
            + f"\n--- data set ---\n{ds.to_yaml()}"
        )


@settings(
    max_examples=int(os.environ.get("PARITY_PROPERTY_EXAMPLES", "200")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(ds=datasets())
def test_engine_agrees_with_reference(ds: DataSet) -> None:
    assert_agree(ds)


def judged_labs(applies_to: list[str] | dict | None, profiles: list[dict]) -> list[str]:
    """The labs a rule judges, written again here so that the reference's reading is checked: every lab,
    the listed labs, or the labs that carry all of the selection's tags (and are listed, with `labs`)."""
    if applies_to is None:
        return [p["id"] for p in profiles]
    if isinstance(applies_to, list):
        return applies_to
    return [
        p["id"]
        for p in profiles
        if all(t in p["tags"] for t in applies_to.get("tags", []))
        and p["id"] in applies_to.get("labs", [p["id"]])
    ]


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ds=datasets())
def test_reference_is_total_on_generated_data(ds: DataSet) -> None:
    """Every (lab, rule) pair in force and in scope gets one verdict with a known status; the files'
    text reads back as exactly the data the reference judged."""
    sources: dict[str, Any] = {f"lab_profiles/{p['id']}.yaml": p for p in ds.profiles}
    sources.update({f"rules/{p['pack']}.yaml": p for p in ds.packs})
    if ds.waivers:
        sources["waivers.yaml"] = ds.waivers
    assert sources.keys() == ds.texts.keys()
    assert all(yaml.safe_load(ds.texts[path]) == data for path, data in sources.items())
    out = report(ds.packs, ds.profiles, ds.waivers, ds.as_of, ds.profile_texts, ds.waivers_text)
    expected = set()
    for pack in ds.packs:
        for r in pack["rules"]:
            start = r.get("in_force", pack.get("in_force"))
            if "derive" not in r and (start is None or start <= ds.as_of):
                expected |= {(lab, r["id"]) for lab in judged_labs(r.get("applies_to"), ds.profiles)}
    assert set(out["verdicts"]) == expected
    for pack in ds.packs:  # every applies_to selection selects a lab (else parity refuses the data set)
        for r in pack["rules"]:
            assert "applies_to" not in r or judged_labs(r["applies_to"], ds.profiles)
    assert {v["status"] for v in out["verdicts"].values()} <= set(STATUSES)
    for lab, summary in out["labs"].items():
        assert sum(summary["counts"].values()) == sum(k[0] == lab for k in expected)


EVIDENCE = [{"url": "https://example.org/x", "date": date(2026, 1, 1)}]
NUMBER = {"title": "n", "area": "security", "type": "number", "better": "higher"}


def many_labs(practices: list[dict | None], rules: list[dict]) -> DataSet:
    """lab-00, lab-01, ... with the given practice of indicator n (None: absent)."""
    packs = [{"pack": "p", "version": "1.0.0", "indicators": {"n": NUMBER}, "rules": rules}]
    profiles = [
        {"id": f"lab-{i:02d}", "name": f"Lab {i}", "tags": [], "practices": {} if p is None else {"n": p}}
        for i, p in enumerate(practices)
    ]
    return DataSet(packs, profiles, [], date(2026, 7, 1))


def test_set_by_lists_at_most_20_of_many_tied_peers() -> None:
    """The random data sets have at most 8 labs; this one has 24 tied peers plus one below."""
    rules = [
        {"id": "r-best", "indicator": "n", "bar": "best", "severity": "high"},
        {"id": "r-all", "indicator": "n", "bar": "all", "severity": "high"},
    ]
    ds = many_labs([{"value": 1 if i == 0 else 4, "evidence": EVIDENCE} for i in range(25)], rules)
    labs = [p["id"] for p in ds.profiles]
    verdict = report(ds.packs, ds.profiles, ds.waivers, ds.as_of)["verdicts"]["lab-00", "r-best"]
    bar = verdict["bar"]
    assert (bar["set_by"], bar["set_by_count"], verdict["status"]) == (labs[1:21], 24, "below")
    assert list(bar["evidence"]) == labs[1:4]  # the first three listed setters
    assert_agree(ds)


def test_blocked_by_lists_at_most_20_of_many_silent_peers() -> None:
    """An `all` bar kept from binding by 24 peers that are not disclosed, in all three ways."""
    silent: list[dict | None] = [
        {"value": "unknown"},
        {"value": 3},
        None,
    ]  # undisclosed, unevidenced, unassessed
    practices = [{"value": 2, "evidence": EVIDENCE}, {"value": 5, "evidence": EVIDENCE}]
    practices += [silent[i % 3] for i in range(24)]
    practices.append({"not_applicable": "no such thing here"})
    ds = many_labs(practices, [{"id": "r-all", "indicator": "n", "bar": "all", "severity": "high"}])
    labs = [p["id"] for p in ds.profiles]
    out = report(ds.packs, ds.profiles, ds.waivers, ds.as_of)["verdicts"]
    bar = out["lab-00", "r-all"]["bar"]
    assert (out["lab-00", "r-all"]["status"], bar["value"], bar["peers_disclosed"]) == ("no_bar", None, 1)
    assert (bar["blocked_by"], bar["blocked_by_count"]) == (labs[2:22], 24)
    assert out["lab-02", "r-all"]["bar"]["blocked_by_count"] == 23  # a silent lab is not its own peer
    assert out["lab-26", "r-all"]["status"] == "not_applicable"
    assert_agree(ds)


def test_applies_to_selections_agree_on_a_fixed_data_set() -> None:
    """Every form of `applies_to` side by side, with peers, a rule's and a pack's in_force, a commitment
    and waivers, so that the engine is compared on selections whatever the random draws give."""
    tags = {"x": "Labs that are x", "y": "Labs that are y"}
    shown = {"value": 3, "evidence": EVIDENCE}
    practices: list[dict | None] = [shown, {"value": 5, "evidence": EVIDENCE}, {"value": "unknown"}, None]
    practices += [{"not_applicable": "no such thing here"}, {"value": 4}]
    lab_tags = [["x"], ["x", "y"], ["y"], ["x"], ["x", "y"], []]
    rules: list[dict] = [
        {"id": "tags", "indicator": "n", "bar": "best", "severity": "high", "applies_to": {"tags": ["x"]}},
        {
            "id": "both",
            "indicator": "n",
            "bar": "all",
            "severity": "low",
            "peers": {"tags": ["y"]},
            "applies_to": {"tags": ["x"], "labs": ["lab-01", "lab-02", "lab-03"]},
        },
        {
            "id": "labs",
            "indicator": "n",
            "bar": "median",
            "severity": "low",
            "applies_to": {"labs": ["lab-05"]},
        },
        {
            "id": "commit",
            "require": {"indicator": "n", "at_least": 4},
            "severity": "medium",
            "applies_to": {"tags": ["y"]},
            "in_force": date(2026, 7, 1),
        },
        {
            "id": "later",
            "indicator": "n",
            "bar": "best",
            "severity": "low",
            "applies_to": {"tags": ["x", "y"]},
            "in_force": date(2026, 7, 2),
        },
    ]
    second = {
        "pack": "q",
        "version": "0.1.0",
        "in_force": date(2026, 1, 1),
        "rules": [{**rules[0], "id": "q-tags"}],
    }
    packs = [
        {"pack": "p", "version": "1.0.0", "tags": tags, "indicators": {"n": NUMBER}, "rules": rules},
        second,
    ]
    profiles = [
        {"id": f"lab-{i:02d}", "name": f"Lab {i}", "tags": t, "practices": {} if p is None else {"n": p}}
        for i, (p, t) in enumerate(zip(practices, lab_tags, strict=True))
    ]
    waivers = [
        {"rule": "tags", "lab": "lab-02", "reason": "not selected", "expires": date(2027, 1, 1)},
        {"rule": "commit", "lab": "lab-02", "reason": "silent", "expires": date(2027, 1, 1)},
    ]
    ds = DataSet(packs, profiles, waivers, date(2026, 7, 1))
    verdicts = report(ds.packs, ds.profiles, ds.waivers, ds.as_of)["verdicts"]
    judged = {
        rule: sorted(lab for lab, r in verdicts if r == rule) for rule in ("tags", "both", "labs", "commit")
    }
    assert judged == {
        "tags": ["lab-00", "lab-01", "lab-03", "lab-04"],
        "both": ["lab-01", "lab-03"],
        "labs": ["lab-05"],
        "commit": ["lab-01", "lab-02", "lab-04"],
    }
    assert verdicts["lab-02", "commit"]["status"] == "waived"
    assert_agree(ds)
