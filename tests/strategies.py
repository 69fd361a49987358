"""Hypothesis strategies for random, valid parity data sets (packs, profiles, waivers, as_of).

Values come from small pools so that ties, equal bars and shared tags happen often.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import yaml
from hypothesis import strategies as st

LAB_IDS = [f"lab-{c}" for c in "abcdefgh"]
TAGS = ["frontier", "us", "eu", "open"]
AREAS = ["risk-reporting", "security", "governance"]
SEVERITIES = ["info", "low", "medium", "high", "critical"]
# 2 and 2.0 are equal values of different YAML types; 0.3 - 0.1 must give a gap of exactly 0.2
NUMBERS = [0, 1, 2, 3, 5, -1, 0.5, 1.5, 0.1, 0.3, 2.0]
DATES = [
    date(2025, 1, 1),
    date(2025, 6, 30),
    date(2025, 12, 31),
    date(2026, 3, 1),
    date(2026, 6, 15),
    date(2026, 7, 1),
    date(2026, 12, 31),
]
# every as_of is also in DATES, so waiver expiry and within_days / max_age_days cut-offs
# (2026-01-01 - 365 days, 2026-12-31 - 183 days) land exactly on a value
AS_OF = [date(2026, 1, 1), date(2026, 7, 1), date(2026, 12, 31)]
LEVELS = ["L0", "L1", "L2", "L3"]
AGES = [30, 180, 365, 730]
WITHIN_DAYS = [30, 183, 365, 540]
INDICATOR_TYPES = ["number", "boolean", "level", "date"]
PRACTICE_STATES = ["disclosed"] * 4 + ["unevidenced", "unknown", "absent", "not_applicable"]


class _PlainDumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """Writes shared objects (the same date twice) out in full: no &anchors or *aliases."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def dump_yaml(data: Any) -> str:
    return yaml.dump(data, Dumper=_PlainDumper, sort_keys=False)


@dataclass
class DataSet:
    packs: list[dict]
    profiles: list[dict]
    waivers: list[dict]
    as_of: date

    def to_yaml(self) -> str:
        data = {"as_of": self.as_of, "packs": self.packs, "profiles": self.profiles}
        return dump_yaml({**data, "waivers": self.waivers})


# Strategies are built once: building them inside every draw costs more than the draws.
_BOOL = st.booleans()
_AREA = st.sampled_from(AREAS)
_SEVERITY = st.sampled_from(SEVERITIES)
_AGE = st.sampled_from(AGES)
_STATE = st.sampled_from(PRACTICE_STATES)
_KIND = st.sampled_from(INDICATOR_TYPES)
_EVIDENCE_DATES = st.lists(st.sampled_from(DATES), min_size=1, max_size=2)
_DOMAINS: dict[Any, st.SearchStrategy[Any]] = {
    "number": st.sampled_from(NUMBERS),
    "boolean": _BOOL,
    "date": st.sampled_from(DATES),
}
_DOMAINS.update({n: st.sampled_from(LEVELS[:n]) for n in range(2, len(LEVELS) + 1)})
_RELATIVE_BAR = st.sampled_from(["best", "median", "all", "quorum", "threshold"])
_DATE_BAR = st.sampled_from(["best", "median", "all", "quorum", "threshold", "within_days"])
_QUORUM = st.integers(1, 4)
_WITHIN_DAYS = st.sampled_from(WITHIN_DAYS)
_OPS = st.sampled_from(["equals", "at_least", "at_most", "disclosed", "meets"])
_DERIVED_OPS = st.sampled_from(["equals", "at_least", "at_most", "disclosed"])
_REQUIRE_OPS = st.sampled_from(["equals", "at_least", "at_most", "disclosed"] + ["meets"] * 3)
_PEER_KIND = st.sampled_from(["none", "none", "tags", "labs", "both"])
_ALL_ANY = st.sampled_from(["all", "any"])


def values_of(spec: dict) -> st.SearchStrategy[Any]:
    """A value in the indicator's own domain."""
    if spec["type"] == "level":
        return _DOMAINS[len(spec["levels"])]
    return _DOMAINS[spec["type"]]


def draw_indicator(draw: st.DrawFn, kind: str) -> dict:
    spec: dict[str, Any] = {"title": f"A {kind} practice", "area": draw(_AREA), "type": kind}
    if kind == "number":
        spec["better"] = "lower" if draw(_BOOL) else "higher"
    elif kind == "boolean" and draw(_BOOL):
        spec["better"] = "lower"
    elif kind == "level":
        spec["levels"] = LEVELS[: draw(st.integers(2, 4))]
    if draw(st.integers(0, 3)) == 3:
        spec["max_age_days"] = draw(_AGE)
    return spec


def draw_practice(draw: st.DrawFn, spec: dict) -> dict | None:
    """One practice in a random state; None means absent from the profile."""
    state = draw(_STATE)
    if state == "absent":
        return None
    if state == "not_applicable":
        return {"not_applicable": "not relevant for this lab"}
    if state == "unknown":
        return {"value": "unknown"}
    practice: dict[str, Any] = {"value": draw(values_of(spec))}
    if state == "disclosed":
        dates = draw(_EVIDENCE_DATES)
        practice["evidence"] = [{"url": "https://example.org/x", "date": d} for d in dates]
    elif draw(_BOOL):
        practice["evidence"] = []
    return practice


def draw_bar(draw: st.DrawFn, spec: dict) -> Any:
    kind = draw(_DATE_BAR if spec["type"] == "date" else _RELATIVE_BAR)
    if kind == "quorum":
        return {"quorum": draw(_QUORUM)}
    if kind == "threshold":
        return {"threshold": draw(values_of(spec))}
    if kind == "within_days":
        return {"within_days": draw(_WITHIN_DAYS)}
    return kind


def draw_condition(draw: st.DrawFn, ind: str, spec: dict, require: bool = False) -> dict:
    op = draw(_DERIVED_OPS if spec.get("derived") else _REQUIRE_OPS if require else _OPS)
    if op == "disclosed":
        return {"indicator": ind, "disclosed": draw(_BOOL)}
    if op == "meets":
        return {"indicator": ind, "meets": draw_bar(draw, spec)}
    return {"indicator": ind, op: draw(values_of(spec))}


def draw_when(draw: st.DrawFn, usable: dict[str, dict]) -> dict:
    chosen = draw(st.lists(st.sampled_from(sorted(usable)), min_size=1, max_size=3))
    return {draw(_ALL_ANY): [draw_condition(draw, ind, usable[ind]) for ind in chosen]}


def draw_peers(draw: st.DrawFn, labs: list[str], carried: list[str]) -> dict | None:
    kind = draw(_PEER_KIND)
    peers: dict[str, list[str]] = {}
    if kind in ("tags", "both") and carried:
        peers["tags"] = draw(st.lists(st.sampled_from(carried), min_size=1, max_size=2, unique=True))
    if kind in ("labs", "both"):
        chosen = draw(st.lists(st.sampled_from(labs), min_size=1, max_size=4, unique=True))
        peers["labs"] = sorted(chosen)
    return peers or None


@st.composite
def datasets(draw: st.DrawFn) -> DataSet:
    labs = LAB_IDS[: draw(st.integers(2, 8))]
    tag_lists = st.lists(st.sampled_from(TAGS), max_size=3, unique=True)
    lab_tags = {lab: draw(tag_lists) for lab in labs}
    carried = sorted({t for tags in lab_tags.values() for t in tags})

    plain: dict[str, dict] = {}
    for i in range(draw(st.integers(1, 6))):
        plain[f"ind_{i}"] = draw_indicator(draw, draw(_KIND))
    derived = {
        f"der_{i}": {
            "title": f"Derived {i}",
            "area": draw(_AREA),
            "type": "boolean",
            "derived": True,
        }
        for i in range(draw(st.integers(0, 3)))
    }

    def optional(rule: dict) -> dict:
        if draw(st.integers(0, 2)) == 2:
            rule["applies_to"] = sorted(draw(st.lists(st.sampled_from(labs), min_size=1, unique=True)))
        if draw(st.integers(0, 4)) == 4:
            rule["max_age_days"] = draw(_AGE)
        if draw(st.integers(0, 5)) == 5:
            rule["area"] = draw(_AREA)
        return rule

    rules: list[dict] = []
    for _ in range(draw(st.integers(1, 5))):
        ind = draw(st.sampled_from(sorted(plain)))
        rule: dict[str, Any] = {"indicator": ind, "bar": draw_bar(draw, plain[ind])}
        peers = draw_peers(draw, labs, carried)
        if peers:
            rule["peers"] = peers
        rule["severity"] = draw(_SEVERITY)
        rules.append(optional(rule))
    # derive rules: der_i may use plain indicators and der_j for j < i, so there is no cycle
    for i, name in enumerate(derived):
        usable = {**plain, **{d: derived[d] for d in list(derived)[:i]}}
        rules.append({"derive": name, "when": draw_when(draw, usable)})
    everything = {**plain, **derived}
    for _ in range(draw(st.integers(0, 3))):
        rule = {}
        if draw(st.integers(0, 3)) > 0:
            rule["when"] = draw_when(draw, everything)
        req = draw(st.sampled_from(sorted(everything)))
        rule["require"] = draw_condition(draw, req, everything[req], require=True)
        rule["severity"] = draw(_SEVERITY)
        rules.append(optional(rule))
    rules = draw(st.permutations(rules))
    for n, rule in enumerate(rules):
        rule["id"] = f"r-{n}"
    rules = [{"id": r.pop("id"), **r} for r in rules]

    profiles = []
    for lab in labs:
        practice_map = {}
        for ind, spec in plain.items():
            practice = draw_practice(draw, spec)
            if practice is not None:
                practice_map[ind] = practice
        profiles.append(
            {
                "id": lab,
                "name": lab.replace("-", " ").title(),
                "tags": lab_tags[lab],
                "practices": practice_map,
            }
        )

    verdict_rules = [r["id"] for r in rules if "derive" not in r]
    pairs = draw(
        st.lists(
            st.tuples(st.sampled_from(verdict_rules), st.sampled_from(labs)),
            max_size=4,
            unique=True,
        )
    )
    waivers = [
        {
            "rule": rule_id,
            "lab": lab,
            "reason": "accepted for now",
            "expires": draw(_DOMAINS["date"]),
        }
        for rule_id, lab in pairs
    ]

    all_indicators = {**plain, **derived}
    if len(all_indicators) >= 2 and len(rules) >= 2 and draw(st.booleans()):
        ind_split = draw(st.integers(1, len(all_indicators) - 1))
        rule_split = draw(st.integers(1, len(rules) - 1))
        names = list(all_indicators)
        packs = [
            {
                "pack": "pack-1",
                "version": "1.0.0",
                "indicators": {k: all_indicators[k] for k in names[:ind_split]},
                "rules": rules[:rule_split],
            },
            {
                "pack": "pack-2",
                "version": "0.2.0",
                "indicators": {k: all_indicators[k] for k in names[ind_split:]},
                "rules": rules[rule_split:],
            },
        ]
    else:
        packs = [{"pack": "pack-1", "version": "1.0.0", "indicators": all_indicators, "rules": rules}]
    return DataSet(packs, profiles, waivers, draw(st.sampled_from(AS_OF)))
