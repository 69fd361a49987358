"""parity's JSON report held against the independent reference evaluator's (tests/reference.py), field by
field: numbers as exact decimals, so a gap of 0.19999999999999998 where the rule book says 0.2 is a
disagreement. Used by the property tests of the engine, the ratchet and the round trip."""

from __future__ import annotations

import json
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

from reference import report
from strategies import DataSet

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
    # due and overdue: on `within_days` bars with a value only (absent otherwise)
    for name in ("due", "overdue"):
        out += diff(name, ref.get(name, MISSING), got.get(name, MISSING))
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
