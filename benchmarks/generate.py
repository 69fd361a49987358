"""Write a synthetic but valid parity data set for benchmarks.

    python benchmarks/generate.py OUTDIR --labs N --indicators M --rules R [--seed S]

writes `OUTDIR/rules/bench.yaml` (M indicators of all four types and R rules: bar rules of every bar kind,
a few derive rules and commitments chained on them) and `OUTDIR/lab_profiles/lab-00001.yaml` ... (N lab
profiles with practices in all four states). The same arguments always give byte-identical files. Each
lab's profile depends only on the seed, its number and the indicators, and the rules only on the seed,
M, R and the first labs, so a data set with 2N labs extends the one with N labs: that is what a
"doubling the labs" measurement needs.

YAML is written by hand, block style as a person would write it (short scalar lists inline, as in
docs/profiles.md), because PyYAML's pure-Python emitter would dominate the time of a 1,000-lab run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

AS_OF = dt.date(2026, 11, 26)
OLDEST = dt.date(2023, 1, 1)
AREAS = ("risk-reporting", "evaluations", "security", "governance", "safeguards", "transparency")
UNITS = ("months", "days", "percent", "reports", "people", "USD millions")
LEVEL_SETS = (
    ("none", "SL1", "SL2", "SL3", "SL4", "SL5"),
    ("none", "partial", "full"),
    ("absent", "basic", "standard", "strong"),
    ("none", "internal", "external", "public"),
)
# Tag sets of lab archetypes. The first labs take one archetype each, so every tag set below is carried
# by some lab once there are at least len(ARCHETYPES) labs; rules draw peer tags from these sets only.
ARCHETYPES = (
    ("frontier", "us"),
    ("frontier", "us", "open-weights"),
    ("frontier", "uk"),
    ("frontier", "cn", "open-weights"),
    ("eu", "open-weights"),
    ("us", "api-only"),
    ("frontier", "eu"),
    ("cn",),
)
NA_REASONS = (
    "weights-only release; no hosted API",
    "no frontier model deployed yet",
    "research lab without commercial products",
    "practice covers a product line the lab does not offer",
)
SEVERITIES = ("info", "low", "medium", "high", "critical")
SEVERITY_WEIGHTS = (1, 3, 4, 3, 1)
# Indicator types in realistic proportions: most number or boolean, some level or date.
TYPE_WEIGHTS = {"number": 40, "boolean": 35, "level": 15, "date": 10}
# Practice states: (state, weight).
STATE_WEIGHTS = {"disclosed": 78, "unevidenced": 6, "unknown": 6, "absent": 6, "not_applicable": 4}


@dataclass(frozen=True)
class Indicator:
    """One generated indicator and the value range its practices draw from."""

    name: str
    type: str
    area: str
    better: str | None = None
    levels: tuple[str, ...] = ()
    low: float = 0.0
    high: float = 1.0
    integer: bool = True
    derived: bool = False


@dataclass
class Plan:
    """Everything generated, before it is written."""

    indicators: list[Indicator]
    derived: list[Indicator]
    lab_ids: list[str]
    lab_tags: list[tuple[str, ...]]
    rules: list[dict[str, Any]] = field(default_factory=list)


# --------------------------------------------------------------------------------------------------
# Values


def random_date(rng: random.Random, start: dt.date = OLDEST, end: dt.date = AS_OF) -> dt.date:
    """A date between start and end, both included."""
    return start + dt.timedelta(days=rng.randint(0, (end - start).days))


def random_value(rng: random.Random, ind: Indicator) -> Any:
    """A value of the indicator's type: ints or floats with at most 2 decimals, levels, dates."""
    if ind.type == "boolean":
        return rng.random() < 0.6
    if ind.type == "level":
        return rng.choice(ind.levels)
    if ind.type == "date":
        return random_date(rng)
    if ind.integer:
        return rng.randint(int(ind.low), int(ind.high))
    return round(rng.uniform(ind.low, ind.high), 2)


# --------------------------------------------------------------------------------------------------
# Indicators


def make_indicator(rng: random.Random, index: int, kind: str) -> Indicator:
    """Indicator number `index` of type `kind`."""
    name = f"ind_{index:03d}_{kind}"
    area = AREAS[index % len(AREAS)]
    if kind == "number":
        integer = rng.random() < 0.5
        high = float(rng.choice((12, 30, 100, 365))) if integer else round(rng.uniform(1.0, 100.0), 2)
        return Indicator(
            name, kind, area, better=rng.choice(("higher", "lower")), low=0.0, high=high, integer=integer
        )
    if kind == "boolean":
        return Indicator(name, kind, area, better="lower" if rng.random() < 0.1 else None)
    if kind == "level":
        return Indicator(name, kind, area, levels=rng.choice(LEVEL_SETS))
    return Indicator(name, kind, area)


def indicator_types(rng: random.Random, count: int) -> list[str]:
    """`count` types in TYPE_WEIGHTS proportions, each type at least once when count >= 4."""
    kinds = list(TYPE_WEIGHTS)
    exact = [count * w / sum(TYPE_WEIGHTS.values()) for w in TYPE_WEIGHTS.values()]
    counts = [max(1, round(x)) if count >= len(kinds) else round(x) for x in exact]
    while sum(counts) > count:
        counts[counts.index(max(counts))] -= 1
    while sum(counts) < count:
        counts[0] += 1
    out = [k for k, n in zip(kinds, counts, strict=True) for _ in range(n)]
    rng.shuffle(out)
    return out


def make_indicators(rng: random.Random, count: int) -> list[Indicator]:
    """The M ordinary indicators."""
    return [make_indicator(rng, i + 1, kind) for i, kind in enumerate(indicator_types(rng, count))]


def make_derived(count: int) -> list[Indicator]:
    """Derived boolean indicators, one per derive rule."""
    return [
        Indicator(f"derived_{i + 1:03d}", "boolean", AREAS[i % len(AREAS)], derived=True)
        for i in range(count)
    ]


def indicator_doc(ind: Indicator, rng: random.Random) -> dict[str, Any]:
    """The YAML mapping that declares an indicator."""
    doc: dict[str, Any] = {
        "title": f"Synthetic {ind.type} indicator {ind.name}",
        "area": ind.area,
        "type": ind.type,
    }
    if ind.derived:
        doc["derived"] = True
        return doc
    if ind.better is not None:
        doc["better"] = ind.better
    if ind.type == "number":
        doc["unit"] = rng.choice(UNITS)
    if ind.levels:
        doc["levels"] = list(ind.levels)
    doc["description"] = f"Generated for benchmarks; values of type {ind.type}."
    if rng.random() < 0.2:
        doc["max_age_days"] = rng.choice((365, 730, 1095))
    return doc


# --------------------------------------------------------------------------------------------------
# Rules


def threshold_for(rng: random.Random, ind: Indicator) -> Any:
    """An absolute bar or condition operand in the indicator's own terms."""
    return random_value(rng, ind)


def pick_bar(rng: random.Random, ind: Indicator) -> Any:
    """A bar suited to the indicator: best, median, all, quorum, threshold, or within_days for dates."""
    if ind.type == "date" and rng.random() < 0.5:
        return {"within_days": rng.choice((90, 183, 365, 730))}
    kind = rng.choices(("best", "median", "quorum", "all", "threshold"), weights=(25, 20, 20, 10, 20))[0]
    if kind == "quorum":
        return {"quorum": rng.randint(1, 5)}
    if kind == "threshold":
        return {"threshold": threshold_for(rng, ind)}
    return kind


def pick_peer_tags(rng: random.Random, tag_sets: list[tuple[str, ...]]) -> list[str]:
    """One or two tags that some lab carries together."""
    tags = list(rng.choice(tag_sets))
    return sorted(rng.sample(tags, min(len(tags), rng.choice((1, 1, 2)))))


def bar_rule(rng: random.Random, number: int, ind: Indicator, plan: Plan) -> dict[str, Any]:
    """A bar rule on an ordinary indicator."""
    bar = pick_bar(rng, ind)
    bar_name = bar if isinstance(bar, str) else next(iter(bar))
    rule: dict[str, Any] = {
        "id": f"bench-{number:04d}-{bar_name.replace('_', '-')}",
        "title": f"{ind.name} against the {bar_name} bar",
        "indicator": ind.name,
        "bar": bar,
    }
    if rng.random() < 1 / 3:
        rule["peers"] = {"tags": pick_peer_tags(rng, plan.lab_tags)}
    if rng.random() < 0.05:
        rule["applies_to"] = sorted(rng.sample(plan.lab_ids, min(len(plan.lab_ids), rng.randint(1, 3))))
    if rng.random() < 0.05:
        rule["max_age_days"] = rng.choice((180, 365))
    rule["severity"] = rng.choices(SEVERITIES, weights=SEVERITY_WEIGHTS)[0]
    rule["rationale"] = f"Synthetic rule {number} for benchmarks."
    return rule


def base_condition(rng: random.Random, ind: Indicator) -> dict[str, Any]:
    """A condition on an ordinary indicator, of an operator suited to its type."""
    roll = rng.random()
    if roll < 0.15:
        return {"indicator": ind.name, "meets": rng.choice(("best", "median", {"quorum": 2}))}
    if roll < 0.25:
        return {"indicator": ind.name, "disclosed": True}
    if ind.type == "boolean":
        return {"indicator": ind.name, "equals": rng.random() < 0.7}
    operator = "at_least" if rng.random() < 0.7 else "at_most"
    return {"indicator": ind.name, operator: threshold_for(rng, ind)}


def derive_rule(rng: random.Random, index: int, plan: Plan) -> dict[str, Any]:
    """Derive rule number `index`; it may chain on an earlier derived indicator (never a cycle)."""
    target = plan.derived[index]
    conditions = [base_condition(rng, rng.choice(plan.indicators)) for _ in range(rng.randint(1, 3))]
    if index > 0 and rng.random() < 0.5:
        conditions.append({"indicator": plan.derived[rng.randrange(index)].name, "equals": True})
    mode = "all" if rng.random() < 0.75 else "any"
    return {
        "id": f"bench-derive-{index + 1:03d}",
        "title": f"Derives {target.name}",
        "derive": target.name,
        "when": {mode: conditions},
    }


def commitment_rule(rng: random.Random, index: int, plan: Plan) -> dict[str, Any]:
    """A commitment whose `when` chains on a derived indicator."""
    derived = plan.derived[index % len(plan.derived)]
    conditions: list[dict[str, Any]] = [{"indicator": derived.name, "equals": True}]
    if rng.random() < 0.5:
        conditions.append(base_condition(rng, rng.choice(plan.indicators)))
    required = rng.choice(plan.indicators)
    return {
        "id": f"bench-commit-{index + 1:03d}",
        "title": f"If {derived.name}, then {required.name}",
        "when": {"all": conditions},
        "require": base_condition(rng, required),
        "severity": rng.choices(SEVERITIES, weights=SEVERITY_WEIGHTS)[0],
        "rationale": f"Synthetic commitment {index + 1} for benchmarks.",
    }


def chain_counts(total: int) -> tuple[int, int]:
    """How many of the R rules are derive rules and commitments (a few of each)."""
    if total < 4:
        return 0, 0
    derive = max(1, total // 40)
    return derive, derive


def make_rules(rng: random.Random, total: int, plan: Plan) -> list[dict[str, Any]]:
    """R rules: bar rules over every indicator in turn, then derive rules and commitments."""
    n_derive, n_commit = chain_counts(total)
    order = plan.indicators[:]
    rng.shuffle(order)
    rules = [bar_rule(rng, i + 1, order[i % len(order)], plan) for i in range(total - n_derive - n_commit)]
    rules += [derive_rule(rng, i, plan) for i in range(n_derive)]
    rules += [commitment_rule(rng, i, plan) for i in range(n_commit)]
    return rules


# --------------------------------------------------------------------------------------------------
# Lab profiles


def lab_tags(rng: random.Random, number: int) -> tuple[str, ...]:
    """The tags of lab `number` (1-based); the first labs cover every archetype."""
    if number <= len(ARCHETYPES):
        return ARCHETYPES[number - 1]
    return rng.choice(ARCHETYPES)


def evidence(rng: random.Random, lab_id: str, ind: Indicator) -> list[dict[str, Any]]:
    """One or two pieces of evidence."""
    entries = []
    for i in range(1 if rng.random() < 0.7 else 2):
        entry: dict[str, Any] = {
            "url": f"https://example.org/{lab_id}/{ind.name}/{i + 1}",
            "date": random_date(rng),
        }
        if rng.random() < 0.2:
            entry["quote"] = f"Synthetic quote about {ind.name}."
        entries.append(entry)
    return entries


def practice(rng: random.Random, lab_id: str, ind: Indicator) -> dict[str, Any] | None:
    """A practice in one of the four states, or None when it is absent from the profile."""
    state = rng.choices(list(STATE_WEIGHTS), weights=list(STATE_WEIGHTS.values()))[0]
    if state == "absent":
        return None
    if state == "unknown":
        return {"value": "unknown"}
    if state == "not_applicable":
        return {"not_applicable": rng.choice(NA_REASONS)}
    doc: dict[str, Any] = {"value": random_value(rng, ind)}
    if state == "disclosed":
        doc["evidence"] = evidence(rng, lab_id, ind)
    elif rng.random() < 0.5:
        doc["evidence"] = []
    return doc


def profile_doc(seed: int, number: int, indicators: list[Indicator]) -> dict[str, Any]:
    """The profile of lab `number`; it depends only on the seed, the number and the indicators."""
    rng = random.Random(f"{seed}-lab-{number}")
    lab_id = lab_name(number)
    practices = {}
    for ind in indicators:
        doc = practice(rng, lab_id, ind)
        if doc is not None:
            practices[ind.name] = doc
    return {
        "id": lab_id,
        "name": f"Synthetic Lab {number:05d}",
        "tags": list(lab_tags(rng, number)),
        "reviewed": random_date(rng, dt.date(2026, 6, 1)),
        "practices": practices,
    }


def lab_name(number: int) -> str:
    """The id (and file stem) of lab `number`."""
    return f"lab-{number:05d}"


# --------------------------------------------------------------------------------------------------
# YAML writing

_PLAIN = re.compile(r"[A-Za-z][A-Za-z0-9 _.,/()'$-]*")
_RESERVED = {"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"}


def scalar(value: Any) -> str:
    """A YAML scalar that loads back as the same Python value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    if text.startswith(("http://", "https://")) and " " not in text and "#" not in text:
        return text
    if _PLAIN.fullmatch(text) and not text.endswith(" ") and text.lower() not in _RESERVED:
        return text
    return json.dumps(text)


def is_scalar(value: Any) -> bool:
    return not isinstance(value, (dict, list))


def emit(value: Any, indent: int, lines: list[str]) -> None:
    """Append the block-style lines of a mapping or list at `indent` spaces."""
    pad = " " * indent
    if isinstance(value, dict):
        for key, item in value.items():
            emit_entry(f"{pad}{key}:", item, indent, lines)
    else:
        for item in value:
            if isinstance(item, dict) and item:
                first, *rest = item.items()
                emit_entry(f"{pad}- {first[0]}:", first[1], indent + 2, lines)
                emit(dict(rest), indent + 2, lines)
            else:
                emit_entry(f"{pad}-", item, indent + 2, lines)


def emit_entry(head: str, value: Any, indent: int, lines: list[str]) -> None:
    """`head` followed by a value: inline when scalar or a short scalar list, else a nested block."""
    if is_scalar(value):
        lines.append(f"{head} {scalar(value)}")
    elif isinstance(value, list) and all(is_scalar(v) for v in value):
        lines.append(f"{head} [{', '.join(scalar(v) for v in value)}]")
    elif isinstance(value, dict) and not value:
        lines.append(f"{head} {{}}")
    else:
        lines.append(head)
        emit(value, indent + 2, lines)


def to_yaml(doc: dict[str, Any], header: str = "") -> str:
    lines = [header] if header else []
    emit(doc, 0, lines)
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------------
# Main


def build_plan(seed: int, labs: int, indicators: int, rules: int) -> Plan:
    """Indicators and rules; rules see only the first labs, so they do not change with N."""
    ind_rng = random.Random(f"{seed}-indicators")
    base = make_indicators(ind_rng, indicators)
    n_derive, _ = chain_counts(rules)
    plan = Plan(
        indicators=base,
        derived=make_derived(n_derive),
        lab_ids=[lab_name(i) for i in range(1, min(labs, 50) + 1)],
        lab_tags=list(ARCHETYPES[: min(labs, len(ARCHETYPES))]),
    )
    plan.rules = make_rules(random.Random(f"{seed}-rules"), rules, plan)
    return plan


def pack_doc(plan: Plan, seed: int) -> dict[str, Any]:
    decl_rng = random.Random(f"{seed}-declarations")
    return {
        "pack": "bench",
        "version": "0.1.0",
        "description": "Synthetic rule pack for benchmarks (benchmarks/generate.py).",
        "tags": {tag: f"Synthetic tag {tag}" for tag in sorted({t for tags in ARCHETYPES for t in tags})},
        "indicators": {ind.name: indicator_doc(ind, decl_rng) for ind in plan.indicators + plan.derived},
        "rules": plan.rules,
    }


def write(outdir: Path, seed: int, labs: int, indicators: int, rules: int) -> None:
    """Write the whole data set under outdir."""
    plan = build_plan(seed, labs, indicators, rules)
    rules_dir, labs_dir = outdir / "rules", outdir / "lab_profiles"
    rules_dir.mkdir(parents=True, exist_ok=True)
    labs_dir.mkdir(parents=True, exist_ok=True)
    header = f"# Generated by benchmarks/generate.py (seed {seed}); do not edit."
    (rules_dir / "bench.yaml").write_text(to_yaml(pack_doc(plan, seed), header), encoding="utf-8")
    for number in range(1, labs + 1):
        doc = profile_doc(seed, number, plan.indicators)
        (labs_dir / f"{doc['id']}.yaml").write_text(to_yaml(doc, header), encoding="utf-8")


def positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir", type=Path, help="where to write rules/ and lab_profiles/")
    parser.add_argument("--labs", type=positive, required=True, help="number of lab profiles")
    parser.add_argument("--indicators", type=positive, required=True, help="number of indicators")
    parser.add_argument("--rules", type=positive, required=True, help="number of rules")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    for sub in ("rules", "lab_profiles"):
        if (args.outdir / sub).exists() and any((args.outdir / sub).iterdir()):
            print(f"error: {args.outdir / sub} is not empty", file=sys.stderr)
            return 2
    write(args.outdir, args.seed, args.labs, args.indicators, args.rules)
    return 0


if __name__ == "__main__":
    sys.exit(main())
