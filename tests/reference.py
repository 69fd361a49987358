"""An independent reference evaluator for parity, written only from SPEC.md and docs/semantics.md.

It takes plain YAML-shaped data (lists of dicts) and favours obviously-correct code over speed:
every bar recomputes its peers and sorts them from scratch; derived values are computed by memoised
recursion. It must never import `parity`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

Value = Any  # bool | int | float | str | date
Tri = bool | None  # three-valued logic: None is unknown

SHORTFALLS = ("below", "undisclosed")
SET_BY_LIMIT = 20


@dataclass(frozen=True)
class RefVerdict:
    status: str
    value: Value
    bar_value: Value
    set_by: tuple[str, ...]
    set_by_count: int
    peers_disclosed: int
    gap: int | float | None
    flags: tuple[str, ...]
    is_commitment: bool = False
    area: str = ""
    underlying: str | None = None  # the status hidden by an active waiver
    meets_bar: bool = False  # a commitment whose `require` is `meets: <bar>`: its bar is reported


@dataclass(frozen=True)
class RefBar:
    binds: bool
    value: Value
    set_by: tuple[str, ...]
    set_by_count: int
    peers_disclosed: int


@dataclass(frozen=True)
class RefScore:
    score: float | None
    areas: dict[str, float | None]
    counts: dict[str, int]


def bar_kind(bar: str | dict[str, Any]) -> tuple[str, Any]:
    """`best` -> ("best", None); `{quorum: 3}` -> ("quorum", 3)."""
    if isinstance(bar, str):
        return bar, None
    ((kind, arg),) = bar.items()
    return kind, arg


class Reference:
    def __init__(self, packs: list[dict], profiles: list[dict], as_of: date) -> None:
        self.as_of = as_of
        self.indicators: dict[str, dict] = {}
        self.rules: list[dict] = []
        for pack in packs:
            self.indicators.update(pack.get("indicators") or {})
            self.rules.extend(pack.get("rules") or [])
        self.profiles = {p["id"]: p for p in profiles}
        self.labs = sorted(self.profiles)
        self.derive_rules = {r["derive"]: r for r in self.rules if "derive" in r}
        self._derived_memo: dict[tuple[str, str], Tri] = {}

    # ---- practices and order -------------------------------------------------------------
    def state(self, lab: str, ind: str) -> tuple[str, Value]:
        """(state, value): disclosed | unevidenced | undisclosed | not_applicable."""
        if self.indicators[ind].get("derived"):
            value = self.derived(lab, ind)
            return ("undisclosed", None) if value is None else ("disclosed", value)
        practice = (self.profiles[lab].get("practices") or {}).get(ind)
        if practice is None:
            return "undisclosed", None
        if "not_applicable" in practice:
            return "not_applicable", None
        if "value" not in practice or practice["value"] == "unknown":
            return "undisclosed", None
        if practice.get("evidence"):
            return "disclosed", practice["value"]
        return "unevidenced", practice["value"]

    def rank(self, ind: str, value: Value) -> Any:
        """A key where larger means better."""
        spec = self.indicators[ind]
        kind = spec["type"]
        if kind == "number":
            return value if spec["better"] == "higher" else -value
        if kind == "boolean":
            return int(value) if spec.get("better", "higher") != "lower" else -int(value)
        if kind == "level":
            return spec["levels"].index(value)
        return value.toordinal()  # date: later is better

    def compare(self, ind: str, a: Value, b: Value) -> int:
        """+1 when a is better than b, 0 when equal, -1 when worse."""
        ra, rb = self.rank(ind, a), self.rank(ind, b)
        return (ra > rb) - (ra < rb)

    def gap(self, ind: str, value: Value, bar: Value) -> int | float | None:
        """How far value is below bar: positive when below, negative when it surpasses."""
        spec = self.indicators[ind]
        kind = spec["type"]
        if kind == "boolean":
            return None
        if kind == "level":
            return spec["levels"].index(bar) - spec["levels"].index(value)
        if kind == "date":
            return (bar - value).days
        diff = Decimal(str(bar)) - Decimal(str(value))
        if spec["better"] == "lower":
            diff = -diff
        return int(diff) if diff == diff.to_integral_value() else float(diff)

    # ---- bars ------------------------------------------------------------------------------
    def selected(self, lab: str, peers: dict | None) -> bool:
        if not peers:
            return True
        tags = set(self.profiles[lab].get("tags") or [])
        if "tags" in peers and not set(peers["tags"]) <= tags:
            return False
        return "labs" not in peers or lab in peers["labs"]

    def bar(self, lab: str, ind: str, bar: str | dict, peers: dict | None) -> RefBar:
        group = [
            other
            for other in self.labs
            if other != lab and self.selected(other, peers) and self.state(other, ind)[0] != "not_applicable"
        ]
        states = {other: self.state(other, ind) for other in group}
        disclosed = [(o, value) for o, (state, value) in states.items() if state == "disclosed"]
        n = len(disclosed)
        kind, arg = bar_kind(bar)
        if kind == "threshold":
            return RefBar(True, arg, (), 0, n)
        if kind == "within_days":
            return RefBar(True, self.as_of - timedelta(days=arg), (), 0, n)
        k = {"best": 1, "quorum": arg, "median": math.ceil(n / 2), "all": len(group)}[kind]
        binds = 1 <= k <= n
        if kind == "all":
            binds = binds and n == len(group)
        if not binds:
            return RefBar(False, None, (), 0, n)
        values = sorted((v for _, v in disclosed), key=lambda v: self.rank(ind, v), reverse=True)
        bar_value = values[k - 1]
        setters = sorted(o for o, v in disclosed if self.compare(ind, v, bar_value) == 0)
        return RefBar(True, bar_value, tuple(setters[:SET_BY_LIMIT]), len(setters), n)

    def bar_status(self, lab: str, ind: str, bar: RefBar) -> str:
        state, value = self.state(lab, ind)
        if state == "not_applicable":
            return "not_applicable"
        if not bar.binds:
            return "no_bar"
        if state == "undisclosed":
            return "undisclosed"
        return {1: "surpasses", 0: "meets", -1: "below"}[self.compare(ind, value, bar.value)]

    # ---- conditions and derived values -----------------------------------------------------
    def condition(self, lab: str, cond: dict) -> Tri:
        ind = cond["indicator"]
        state, value = self.state(lab, ind)
        if state == "not_applicable":
            return False
        if "disclosed" in cond:
            return (state == "disclosed") == cond["disclosed"]
        if state == "undisclosed":
            return None
        if "meets" in cond:
            status = self.bar_status(lab, ind, self.bar(lab, ind, cond["meets"], None))
            return {"meets": True, "surpasses": True, "below": False}.get(status)
        if "equals" in cond:
            return self.compare(ind, value, cond["equals"]) == 0
        if "at_least" in cond:
            return self.compare(ind, value, cond["at_least"]) >= 0
        return self.compare(ind, value, cond["at_most"]) <= 0

    def when(self, lab: str, when: dict | None) -> Tri:
        if when is None:
            return True
        if "all" in when:
            results = [self.condition(lab, c) for c in when["all"]]
            if any(r is False for r in results):
                return False
            return None if any(r is None for r in results) else True
        results = [self.condition(lab, c) for c in when["any"]]
        if any(r is True for r in results):
            return True
        return None if any(r is None for r in results) else False

    def derived(self, lab: str, ind: str) -> Tri:
        key = (lab, ind)
        if key not in self._derived_memo:
            self._derived_memo[key] = self.when(lab, self.derive_rules[ind].get("when"))
        return self._derived_memo[key]

    # ---- verdicts --------------------------------------------------------------------------
    def flags(self, lab: str, ind: str, rule: dict) -> list[str]:
        if self.indicators[ind].get("derived"):
            return []
        state, _ = self.state(lab, ind)
        if state == "unevidenced":
            return ["unevidenced"]
        max_age = rule.get("max_age_days", self.indicators[ind].get("max_age_days"))
        if state == "disclosed" and max_age is not None:
            practice = self.profiles[lab]["practices"][ind]
            newest = max(e["date"] for e in practice["evidence"])
            if newest < self.as_of - timedelta(days=max_age):
                return ["stale"]
        return []

    def bar_verdict(self, lab: str, rule: dict) -> RefVerdict:
        ind = rule["indicator"]
        bar = self.bar(lab, ind, rule["bar"], rule.get("peers"))
        status = self.bar_status(lab, ind, bar)
        _, value = self.state(lab, ind)
        gap = self.gap(ind, value, bar.value) if value is not None and bar.binds else None
        return RefVerdict(
            status,
            value,
            bar.value,
            bar.set_by,
            bar.set_by_count,
            bar.peers_disclosed,
            gap,
            tuple(sorted(self.flags(lab, ind, rule))),
            False,
            self.area(rule),
        )

    def commitment_verdict(self, lab: str, rule: dict) -> RefVerdict:
        req = rule["require"]
        ind = req["indicator"]
        state, value = self.state(lab, ind)
        when = self.when(lab, rule.get("when"))
        bar = RefBar(False, None, (), 0, 0)
        if "meets" in req:
            bar = self.bar(lab, ind, req["meets"], None)
        if when is False:
            status = "not_applicable"
        elif when is None:
            status = "undisclosed"
        elif state == "not_applicable":
            status = "not_applicable"
        elif state == "undisclosed":
            status = "undisclosed"
        else:
            status = {None: "no_bar", True: "meets", False: "below"}[self.condition(lab, req)]
        return RefVerdict(
            status,
            value,
            bar.value,
            bar.set_by,
            bar.set_by_count,
            bar.peers_disclosed,
            None,
            tuple(sorted(self.flags(lab, ind, rule))),
            True,
            self.area(rule),
            meets_bar="meets" in req,
        )

    def area(self, rule: dict) -> str:
        ind = rule["indicator"] if "indicator" in rule else rule["require"]["indicator"]
        return rule.get("area", self.indicators[ind]["area"])

    def verdicts(self, waivers: list[dict]) -> dict[tuple[str, str], RefVerdict]:
        by_pair = {(w["rule"], w["lab"]): w for w in waivers}
        out: dict[tuple[str, str], RefVerdict] = {}
        for rule in self.rules:
            if "derive" in rule:
                continue
            for lab in rule.get("applies_to", self.labs):
                judge = self.bar_verdict if "bar" in rule else self.commitment_verdict
                verdict = judge(lab, rule)
                waiver = by_pair.get((rule["id"], lab))
                if waiver is not None and verdict.status in SHORTFALLS:
                    if self.as_of <= waiver["expires"]:
                        verdict = _replace(verdict, status="waived", underlying=verdict.status)
                    else:
                        flags = tuple(sorted((*verdict.flags, "waiver_expired")))
                        verdict = _replace(verdict, flags=flags)
                out[(lab, rule["id"])] = verdict
        return dict(sorted(out.items()))


def _replace(verdict: RefVerdict, **changes: Any) -> RefVerdict:
    fields = {**verdict.__dict__, **changes}
    return RefVerdict(**fields)


def _ratio(statuses: list[str]) -> float | None:
    good = sum(s in ("meets", "surpasses") for s in statuses)
    total = good + sum(s in SHORTFALLS for s in statuses)
    return None if total == 0 else round(good / total, 4)


# ---- public functions --------------------------------------------------------------------------
def evaluate(
    packs: list[dict], profiles: list[dict], waivers: list[dict], as_of: date
) -> dict[tuple[str, str], RefVerdict]:
    """One verdict per (lab, rule id) for every bar rule and commitment."""
    return Reference(packs, profiles, as_of).verdicts(waivers)


def derived_values(packs: list[dict], profiles: list[dict], as_of: date) -> dict[str, dict[str, Tri]]:
    """{lab: {derived indicator: True | False | None}} for every lab and derive rule."""
    ref = Reference(packs, profiles, as_of)
    names = sorted(ref.derive_rules)
    return {lab: {ind: ref.derived(lab, ind) for ind in names} for lab in ref.labs}


def scores(verdicts: dict[tuple[str, str], RefVerdict]) -> dict[str, RefScore]:
    """Per-lab score, per-area scores and status counts, from the given verdicts."""
    out: dict[str, RefScore] = {}
    for lab in sorted({lab for lab, _ in verdicts}):
        mine = [v for (vlab, _), v in verdicts.items() if vlab == lab]
        areas = {a: _ratio([v.status for v in mine if v.area == a]) for a in {v.area for v in mine}}
        counts: dict[str, int] = {}
        for v in mine:
            counts[v.status] = counts.get(v.status, 0) + 1
        out[lab] = RefScore(_ratio([v.status for v in mine]), dict(sorted(areas.items())), counts)
    return out
