"""An independent reference evaluator for parity, written only from docs/verdicts.md and docs/report.md.

It takes plain YAML-shaped data (lists of dicts, as `yaml.safe_load` gives them) and favours
obviously-correct code over speed: every bar recomputes its peers and sorts them from scratch; derived
values are computed by memoised recursion. Its output has the shape of the JSON report (dates as
`YYYY-MM-DD`, gaps and scores as exact `int` or `Decimal`), so that it can be compared field by field
with `json.loads(parity.render(report, "json"))`. It must never import `parity`.

The section numbers in the comments are those of docs/verdicts.md.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import yaml

Value = Any  # bool | int | float | str | date
# A condition or derived value: True, False, "undisclosed" or "unassessed".
Truth = bool | str

UNDISCLOSED = "undisclosed"
UNASSESSED = "unassessed"
STATUSES = ("surpasses", "meets", "below", "undisclosed", "unassessed", "not_applicable", "no_bar", "waived")
SHORTFALLS = ("below", "undisclosed")
LIST_LIMIT = 20  # set_by and blocked_by list at most this many labs
SETTER_EVIDENCE = 3  # a shortfall's bar cites the evidence of this many setters
FOUR_DECIMALS = Decimal("0.0001")


def jsonable(value: Any) -> Any:
    """The value as the JSON report writes it: dates as YYYY-MM-DD, containers recursively."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def bar_kind(bar: str | dict[str, Any]) -> tuple[str, Any]:
    """`best` -> ("best", None); `{quorum: 3}` -> ("quorum", 3)."""
    if isinstance(bar, str):
        return bar, None
    ((kind, arg),) = bar.items()
    return kind, arg


def ratio(good: int, total: int) -> Decimal | None:
    """good / total rounded to 4 decimals (half up), None when total is 0."""
    if total == 0:
        return None
    return (Decimal(good) / Decimal(total)).quantize(FOUR_DECIMALS, rounding=ROUND_HALF_UP)


# ---- locations in the YAML text -----------------------------------------------------------------
_TOP_KEY = re.compile(r"^[^\s#-][^:]*:")
_PRACTICE_KEY = re.compile(r"^  ([^\s#-][^:]*):")
_FIELD = re.compile(r"^    ([^\s#-][^:]*):")  # a practice's own field
_EARLIER_ITEM = re.compile(r"^    - ")  # an item of the list under a practice's field, as PyYAML writes it


def practice_lines(text: str) -> tuple[int, dict[str, int], dict[str, list[int]]]:
    """(line of `practices:`, {indicator: line of its key}, {indicator: line of each `earlier` item}) in a
    profile's YAML text, 1-based.

    Reads block-style YAML as PyYAML writes it: top-level keys at column 0, practice keys indented by
    two spaces under `practices:`, a practice's fields by four, the items of its `earlier:` list at four
    (PyYAML does not indent a list under a key). Comment and blank lines are skipped but counted.
    """
    practices_line = 0
    lines: dict[str, int] = {}
    earlier: dict[str, list[int]] = {}
    current, field = "", ""
    for number, line in enumerate(text.splitlines(), start=1):
        if not practices_line:
            if line.startswith("practices:"):
                practices_line = number
            continue
        if _TOP_KEY.match(line) or line.startswith("- "):
            break  # the next top-level key: practices are over
        match = _PRACTICE_KEY.match(line)
        if match:
            current, field = match.group(1).strip(), ""
            lines[current] = number
        elif found := _FIELD.match(line):
            field = found.group(1).strip()
        elif field == "earlier" and _EARLIER_ITEM.match(line):
            earlier.setdefault(current, []).append(number)
    if not practices_line:
        raise ValueError("no `practices:` key at column 0 in the profile text")
    return practices_line, lines, earlier


def waiver_lines(text: str) -> list[int]:
    """The 1-based line of each waiver (its `- ` list item) in a waivers file, in order."""
    return [n for n, line in enumerate(text.splitlines(), start=1) if line.startswith("- ")]


@dataclass(frozen=True)
class Bar:
    kind: str
    binds: bool
    value: Value  # None when it does not bind
    setters: tuple[str, ...]  # every setter, sorted by id (not cut to LIST_LIMIT)
    peers_disclosed: int
    blocked: tuple[tuple[str, str], ...] | None  # `all` only: every peer not disclosed (id, state), by id


class Reference:
    def __init__(
        self,
        packs: list[dict],
        profiles: list[dict],
        as_of: date,
        waivers: list[dict] | None = None,
        profile_texts: dict[str, str] | None = None,
        waivers_text: str | None = None,
        past: list[tuple[date, list[dict]]] | None = None,
    ) -> None:
        self.as_of = as_of
        # Ratchet (docs/history.md): earlier snapshots of the profiles, oldest first, each dated; a value in
        # one stood until the next snapshot's date (the present profiles come last, at as_of).
        self.past = [(d, {p["id"]: p for p in ps}) for d, ps in (past or [])]
        self.indicators: dict[str, dict] = {}
        self.rules: list[dict] = []
        self.pack_of: dict[str, str] = {}
        self.in_force: dict[str, date | None] = {}
        self.until: dict[str, date | None] = {}
        self.pack_ids = sorted(p["pack"] for p in packs)
        self.pack_versions = {p["pack"]: str(p["version"]) for p in packs}
        for pack in packs:
            self.indicators.update(pack.get("indicators") or {})
            for rule in pack.get("rules") or []:
                rule_id = rule.get("id") or rule["derive"]
                self.rules.append(rule)
                self.pack_of[rule_id] = pack["pack"]
                # in_force: the rule's own date, else its pack's (the default of its rules)
                self.in_force[rule_id] = rule.get("in_force", pack.get("in_force"))
                self.until[rule_id] = rule.get("until")
        self.profiles = {p["id"]: p for p in profiles}
        self.labs = sorted(self.profiles)
        self.derive_rules = {r["derive"]: r for r in self.rules if "derive" in r}
        self.waivers = list(waivers or [])
        self._derived_memo: dict[tuple[str, str], Truth] = {}
        # locations: from the exact text of each file when given, else from a plain dump
        self._lines: dict[str, tuple[int, dict[str, int], dict[str, list[int]]]] = {}
        for lab, profile in self.profiles.items():
            text = (profile_texts or {}).get(lab)
            if text is None:
                text = yaml.safe_dump(profile, sort_keys=False)
            self._lines[lab] = practice_lines(text)
        if waivers_text is None:
            waivers_text = yaml.safe_dump(self.waivers, sort_keys=False) if self.waivers else ""
        self._waiver_lines = waiver_lines(waivers_text)

    # ---- practices and order (The state of a practice; Order of values) ---------------------------
    def practice(self, lab: str, ind: str) -> dict | None:
        """The practice as it stood at as_of (Timelines): of its states (the current one and each earlier
        one), the one whose `since` is the latest on or before as_of; a state with no `since` holds at every
        date; before the earliest `since`, nothing was recorded: absent."""
        return self.state_at(lab, ind)[0]

    def state_at(self, lab: str, ind: str) -> tuple[dict | None, int]:
        """(the state in force at as_of, 0 for the current one or i for the i-th earlier one)."""
        current = (self.profiles[lab].get("practices") or {}).get(ind)
        if current is None:
            return None, 0
        states = [
            (current, 0),
            *((entry, i) for i, entry in enumerate(current.get("earlier") or [], start=1)),
        ]
        started = [(s, i) for s, i in states if s.get("since") is None or s["since"] <= self.as_of]
        if not started:
            return None, 0
        return max(started, key=lambda pair: pair[0].get("since") or date.min)

    def state(self, lab: str, ind: str) -> tuple[str, Value]:
        """(state, value): disclosed | unevidenced | undisclosed | unassessed | not_applicable | derived."""
        if self.indicators[ind].get("derived"):
            truth = self.derived(lab, ind)
            return (truth, None) if isinstance(truth, str) else ("derived", truth)
        practice = self.practice(lab, ind)
        if practice is None:
            return UNASSESSED, None
        if "not_applicable" in practice:
            return "not_applicable", None
        if practice.get("value", "unknown") == "unknown":
            return UNDISCLOSED, None
        if practice.get("evidence"):
            return "disclosed", practice["value"]
        return "unevidenced", practice["value"]

    def evidence(self, lab: str, ind: str) -> list[dict]:
        if self.indicators[ind].get("derived"):
            return []
        practice = self.practice(lab, ind) or {}
        return list(practice.get("evidence") or [])

    def rank(self, ind: str, value: Value) -> Any:
        """A key where larger means better."""
        spec = self.indicators[ind]
        kind = spec["type"]
        if kind == "number":
            number = Decimal(str(value))
            return number if spec["better"] == "higher" else -number
        if kind == "boolean":
            return int(value) if spec.get("better", "higher") != "lower" else -int(value)
        if kind == "level":
            return spec["levels"].index(value)
        return value.toordinal()  # date: later is better

    def compare(self, ind: str, a: Value, b: Value) -> int:
        """+1 when a is better than b, 0 when equal, -1 when worse."""
        ra, rb = self.rank(ind, a), self.rank(ind, b)
        return (ra > rb) - (ra < rb)

    def gap(self, ind: str, value: Value, bar: Value) -> int | Decimal | None:
        """How far value is below bar (Bar rules 7): positive when below, negative when it surpasses."""
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
        return int(diff) if diff == diff.to_integral_value() else diff

    # ---- bars (Bar rules 1-3, 6) ---------------------------------------------------------------------
    def selected(self, lab: str, peers: dict | None) -> bool:
        if not peers:
            return True
        tags = set(self.profiles[lab].get("tags") or [])
        if "tags" in peers and not set(peers["tags"]) <= tags:
            return False
        return "labs" not in peers or lab in peers["labs"]

    def held(self, lab: str, ind: str, days: int) -> tuple[tuple[str, Value], list[dict]]:
        """Ratchet: the lab's best disclosed value in the window (the latest snapshot of equals; its present
        value when that is as good), with the evidence it was disclosed with."""
        now = self.state(lab, ind), self.evidence(lab, ind)
        start = self.as_of - timedelta(days=days)
        ends = [d for d, _ in self.past[1:]] + ([self.as_of] if self.past else [])
        best: tuple[Value, list[dict]] | None = None
        for (when, profiles), until in zip(self.past, ends, strict=True):
            practice = ((profiles.get(lab) or {}).get("practices") or {}).get(ind)
            if when > self.as_of or until <= start or practice is None or not practice.get("evidence"):
                continue
            if "not_applicable" in practice or practice.get("value", "unknown") == "unknown":
                continue
            value = practice["value"]
            if self.indicators[ind]["type"] == "date" and isinstance(value, str):
                value = date.fromisoformat(value)
            if best is None or self.compare(ind, value, best[0]) >= 0:
                best = (value, list(practice["evidence"]))
        (state, value), _ = now
        if best is None or (state == "disclosed" and self.compare(ind, value, best[0]) >= 0):
            return now
        return ("disclosed", best[0]), best[1]

    def bar(self, lab: str, ind: str, bar: str | dict, peers: dict | None, ratchet: int | None = None) -> Bar:
        group = [
            other
            for other in self.labs
            if other != lab and self.selected(other, peers) and self.state(other, ind)[0] != "not_applicable"
        ]
        if ratchet is not None:
            states = {other: self.held(other, ind, ratchet)[0] for other in group}
        else:
            states = {other: self.state(other, ind) for other in group}
        disclosed = [(o, value) for o, (state, value) in states.items() if state == "disclosed"]
        n = len(disclosed)
        kind, arg = bar_kind(bar)
        blocked = (
            tuple(sorted((o, s) for o, (s, _) in states.items() if s != "disclosed"))
            if kind == "all"
            else None
        )
        if kind == "threshold":
            return Bar(kind, True, arg, (), n, None)
        if kind == "within_days":
            return Bar(kind, True, self.as_of - timedelta(days=arg), (), n, None)
        k = {"best": 1, "quorum": arg, "median": math.ceil(n / 2), "all": len(group)}[kind]
        binds = 1 <= k <= n
        if kind == "all":
            binds = binds and n == len(group)
        if not binds:
            return Bar(kind, False, None, (), n, blocked)
        values = sorted((v for _, v in disclosed), key=lambda v: self.rank(ind, v), reverse=True)
        bar_value = values[k - 1]
        setters = tuple(sorted(o for o, v in disclosed if self.compare(ind, v, bar_value) == 0))
        return Bar(kind, True, bar_value, setters, n, blocked)

    def bar_status(self, lab: str, ind: str, bar: Bar) -> str:
        """Bar rules 4: not_applicable, no_bar, unassessed, undisclosed, then the comparison."""
        state, value = self.state(lab, ind)
        if state == "not_applicable":
            return "not_applicable"
        if not bar.binds:
            return "no_bar"
        if state == UNASSESSED:
            return "unassessed"
        if state == UNDISCLOSED:
            return "undisclosed"
        return {1: "surpasses", 0: "meets", -1: "below"}[self.compare(ind, value, bar.value)]

    # ---- conditions and derived values (Conditions; Derive rules) ---------------------------------------
    def condition(self, lab: str, cond: dict) -> Truth:
        ind = cond["indicator"]
        state, value = self.state(lab, ind)
        if state == "not_applicable":
            return False
        if state == UNASSESSED:
            return UNASSESSED
        if "disclosed" in cond:
            # a derived value that is true or false counts as disclosed: docs/verdicts.md gives a derived
            # indicator the state `derived`, and rule 3 does not say; read as a known value, so disclosed
            return (state in ("disclosed", "derived")) == cond["disclosed"]
        if state == UNDISCLOSED:
            return UNDISCLOSED
        if "meets" in cond:
            bar = self.bar(lab, ind, cond["meets"], None)
            if not bar.binds:
                return UNDISCLOSED
            return self.compare(ind, value, bar.value) >= 0
        if "equals" in cond:
            return self.compare(ind, value, cond["equals"]) == 0
        if "at_least" in cond:
            return self.compare(ind, value, cond["at_least"]) >= 0
        return self.compare(ind, value, cond["at_most"]) <= 0

    @staticmethod
    def fold(kind: str, results: list[Truth]) -> Truth:
        """`all`: false, else unassessed, else undisclosed, else true; `any`: true, else ..., else false."""
        decisive = kind == "any"  # the value that settles the fold: false for all, true for any
        if any(r is decisive for r in results):
            return decisive
        for unknown in (UNASSESSED, UNDISCLOSED):
            if unknown in results:
                return unknown
        return not decisive

    def when(self, lab: str, when: dict | None) -> Truth:
        if when is None:
            return True
        ((kind, conditions),) = when.items()
        return self.fold(kind, [self.condition(lab, c) for c in conditions])

    def derived(self, lab: str, ind: str) -> Truth:
        key = (lab, ind)
        if key not in self._derived_memo:
            self._derived_memo[key] = self.when(lab, self.derive_rules[ind].get("when"))
        return self._derived_memo[key]

    # ---- verdicts ---------------------------------------------------------------------------------------
    def flags(self, lab: str, ind: str, rule: dict) -> list[str]:
        """`unevidenced` and `stale` (Flags); `waiver_expired` is added with the waivers."""
        state, _ = self.state(lab, ind)
        flags = ["unevidenced"] if state == "unevidenced" else []
        max_age = rule.get("max_age_days", self.indicators[ind].get("max_age_days"))
        evidence = self.evidence(lab, ind)
        if evidence and max_age is not None:
            newest = max(e["date"] for e in evidence)
            if newest < self.as_of - timedelta(days=max_age):
                flags.append("stale")
        return sorted(flags)

    def location(self, lab: str, ind: str) -> dict:
        """The line of the practice's key, or of the earlier state in force (its list item), or of
        `practices:` when the profile does not record it."""
        practices_line, lines, earlier = self._lines[lab]
        state, index = self.state_at(lab, ind)
        if state is None:
            return {"file": f"lab_profiles/{lab}.yaml", "line": practices_line}
        if index > 0:
            return {"file": f"lab_profiles/{lab}.yaml", "line": earlier[ind][index - 1]}
        return {"file": f"lab_profiles/{lab}.yaml", "line": lines.get(ind, practices_line)}

    def bar_json(self, bar: Bar, ind: str, status: str, ratchet: int | None = None) -> dict:
        out: dict[str, Any] = {
            "kind": bar.kind,
            "value": jsonable(bar.value) if bar.binds else None,
            "set_by": list(bar.setters[:LIST_LIMIT]),
            "set_by_count": len(bar.setters),
            "peers_disclosed": bar.peers_disclosed,
        }
        if bar.blocked is not None:
            out["blocked_by"] = [o for o, _ in bar.blocked[:LIST_LIMIT]]
            out["blocked_by_count"] = len(bar.blocked)
            out["blocked_by_state"] = dict(bar.blocked[:LIST_LIMIT])
        if status in SHORTFALLS:
            listed = bar.setters[:LIST_LIMIT][:SETTER_EVIDENCE]
            if ratchet is not None:  # the setters' evidence is that of the values they held
                out["evidence"] = {s: jsonable(self.held(s, ind, ratchet)[1]) for s in listed}
            else:
                out["evidence"] = {s: jsonable(self.evidence(s, ind)) for s in listed}
        return out

    def verdict(self, lab: str, rule: dict) -> dict:
        """The verdict before waivers are applied."""
        commitment = "require" in rule
        ind = rule["require"]["indicator"] if commitment else rule["indicator"]
        state, value = self.state(lab, ind)
        held_flag: list[str] = []
        if commitment:
            status, bar, gap = self.commitment_status(lab, rule)
        else:
            ratchet = rule.get("ratchet")
            judged = self.bar(lab, ind, rule["bar"], rule.get("peers"), ratchet)
            status = self.bar_status(lab, ind, judged)
            bar = self.bar_json(judged, ind, status, ratchet)
            if (
                ratchet is not None
                and judged.value != self.bar(lab, ind, rule["bar"], rule.get("peers")).value
            ):
                held_flag = ["held"]
            gap = self.gap(ind, value, judged.value) if status in ("surpasses", "meets", "below") else None
        spec = self.indicators[ind]
        return {
            "lab": lab,
            "rule": rule["id"],
            "title": rule.get("title", spec["title"]),
            "pack": self.pack_of[rule["id"]],
            "indicator": ind,
            "area": rule.get("area", spec["area"]),
            "severity": rule["severity"],
            "status": status,
            "state": state,
            "value": jsonable(value),
            "bar": bar,
            "gap": gap,
            "flags": self.flags(lab, ind, rule) + held_flag,
            "evidence": jsonable(self.evidence(lab, ind)),
            "location": self.location(lab, ind),
            **self.due(rule, value),
        }

    def due(self, rule: dict, value: Value) -> dict:
        """`within_days` bars with a value: the last day it meets the bar (value + days), and from the day
        after, how many days overdue."""
        kind, days = bar_kind(rule["bar"]) if "bar" in rule else ("", None)
        if kind != "within_days" or value is None:
            return {}
        due = value + timedelta(days=days)
        out: dict[str, Any] = {"due": due.isoformat()}
        if self.as_of > due:
            out["overdue"] = (self.as_of - due).days
        return out

    def commitment_status(self, lab: str, rule: dict) -> tuple[str, dict, int | Decimal | None]:
        """(status, bar, gap) of a commitment (Commitments)."""
        req = rule["require"]
        ind = req["indicator"]
        state, value = self.state(lab, ind)
        when = self.when(lab, rule.get("when"))
        meets_bar = self.bar(lab, ind, req["meets"], None) if "meets" in req else None
        if when is False:
            status = "not_applicable"
        elif when in (UNASSESSED, UNDISCLOSED):
            status = str(when)
        elif state == "not_applicable":
            status = "not_applicable"
        elif state == UNASSESSED:
            status = "unassessed"
        elif state == UNDISCLOSED and "disclosed" not in req:
            status = "undisclosed"
        elif meets_bar is not None and not meets_bar.binds:
            status = "no_bar"
        else:
            status = "meets" if self.condition(lab, req) is True else "below"
        if meets_bar is not None:
            bar = self.bar_json(meets_bar, ind, status)
        else:
            ((_op, operand),) = ((k, v) for k, v in req.items() if k != "indicator")
            bar = {"kind": "require", "value": jsonable(operand), "set_by": [], "set_by_count": 0}
            bar["peers_disclosed"] = 0
            if status in SHORTFALLS:
                bar["evidence"] = {}
        gap = None
        if status in ("meets", "below"):
            if meets_bar is not None:
                gap = self.gap(ind, value, meets_bar.value)
            elif "at_least" in req:
                gap = self.gap(ind, value, req["at_least"])
        return status, bar, gap

    def in_scope(self, rule: dict, lab: str) -> bool:
        """Rules in force, rules that apply: the rule gives `lab` a verdict."""
        if "derive" in rule:
            return False
        start, end = self.in_force[rule["id"]], self.until[rule["id"]]
        if start is not None and self.as_of < start:
            return False
        if end is not None and self.as_of >= end:  # `until` is the first day it no longer judges
            return False
        return self.applies(rule, lab)

    def applies(self, rule: dict, lab: str) -> bool:
        """`applies_to`: absent (every lab), a list of lab ids, or a selection `{tags: [...], labs: [...]}`
        that picks the judged labs as `peers` picks competitors: the labs that carry all the tags, and with
        `labs` too, only the listed ones among them. Unlike peers, the judged lab is not left out (it is the
        one being selected) and neither is a lab whose practice is not applicable: that lab is judged, and
        its verdict says `not_applicable`."""
        scope = rule.get("applies_to")
        if scope is None:
            return True
        if isinstance(scope, list):
            return lab in scope
        carried = set(self.profiles[lab].get("tags") or [])
        if not set(scope.get("tags") or []) <= carried:
            return False
        return "labs" not in scope or lab in scope["labs"]

    def verdicts(self) -> dict[tuple[str, str], dict]:
        waivers = {(w["rule"], w["lab"]): (n, w) for n, w in enumerate(self.waivers)}
        out: dict[tuple[str, str], dict] = {}
        for rule in self.rules:
            for lab in self.labs:
                if not self.in_scope(rule, lab):
                    continue
                verdict = self.verdict(lab, rule)
                found = waivers.get((rule["id"], lab))
                if found is not None and verdict["status"] in SHORTFALLS:
                    n, waiver = found
                    if self.as_of <= waiver["expires"]:
                        # the waiver changes the status only: gap, bar and flags stay the underlying ones
                        verdict["waiver"] = {
                            "underlying": verdict["status"],
                            "reason": waiver["reason"],
                            "expires": jsonable(waiver["expires"]),
                            "location": {"file": "waivers.yaml", "line": self._waiver_lines[n]},
                        }
                        verdict["status"] = "waived"
                    else:
                        verdict["flags"] = sorted([*verdict["flags"], "waiver_expired"])
                out[(lab, rule["id"])] = verdict
        return dict(sorted(out.items()))

    def unused_waivers(self, verdicts: dict[tuple[str, str], dict]) -> list[tuple[str, str, str]]:
        """(rule, lab, expires) of every waiver that did not apply: expired, or matching no shortfall."""
        out = []
        for w in self.waivers:
            verdict = verdicts.get((w["lab"], w["rule"]))
            if verdict is None or verdict["status"] != "waived":
                out.append((w["rule"], w["lab"], jsonable(w["expires"])))
        return sorted(out)

    # ---- scores and coverage (Scores and coverage) ---------------------------------------------------
    def reads(self, rule: dict) -> set[str]:
        """The practices a rule reads, derived indicators replaced by what their derive rules read."""
        if "indicator" in rule:
            names = {rule["indicator"]}
        else:
            conditions = [rule["require"]] if "require" in rule else []
            if rule.get("when"):
                ((_, listed),) = rule["when"].items()
                conditions += listed
            names = {c["indicator"] for c in conditions}
        out: set[str] = set()
        for name in names:
            if self.indicators[name].get("derived"):
                out |= self.reads(self.derive_rules[name])
            else:
                out.add(name)
        return out

    def coverage(self, lab: str, rules: list[dict]) -> tuple[Decimal | None, list[str]]:
        read = set().union(*(self.reads(r) for r in rules)) if rules else set()
        missing = sorted(ind for ind in read if self.state(lab, ind)[0] == UNASSESSED)
        return ratio(len(read) - len(missing), len(read)), missing

    def labs_json(self, verdicts: dict[tuple[str, str], dict]) -> dict[str, dict]:
        def score(statuses: list[str]) -> Decimal | None:
            good = sum(s in ("meets", "surpasses") for s in statuses)
            return ratio(good, good + sum(s in SHORTFALLS for s in statuses))

        out = {}
        for lab in self.labs:
            mine = [v for (vlab, _), v in verdicts.items() if vlab == lab]
            rules = [r for r in self.rules if self.in_scope(r, lab)]
            coverage, unassessed = self.coverage(lab, rules)
            packs = sorted({self.pack_of[r["id"]] for r in rules})
            out[lab] = {
                "name": self.profiles[lab]["name"],
                "score": score([v["status"] for v in mine]),
                "coverage": coverage,
                "areas": {
                    a: score([v["status"] for v in mine if v["area"] == a])
                    for a in sorted({v["area"] for v in mine})
                },
                "packs": {p: score([v["status"] for v in mine if v["pack"] == p]) for p in packs},
                "pack_coverage": {
                    p: self.coverage(lab, [r for r in rules if self.pack_of[r["id"]] == p])[0] for p in packs
                },
                "unassessed": unassessed,
                "counts": {s: sum(v["status"] == s for v in mine) for s in STATUSES},
            }
        return out

    def derived_json(self) -> dict[str, dict[str, Truth]]:
        names = sorted(self.derive_rules)
        return {lab: {ind: self.derived(lab, ind) for ind in names} for lab in self.labs}

    def report(self) -> dict[str, Any]:
        verdicts = self.verdicts()
        return {
            "as_of": self.as_of.isoformat(),
            "packs": [{"pack": p, "version": self.pack_versions[p]} for p in self.pack_ids],
            "verdicts": verdicts,
            "labs": self.labs_json(verdicts),
            "derived": self.derived_json(),
            "waivers": self.unused_waivers(verdicts),
        }


# ---- public functions --------------------------------------------------------------------------------
def report(
    packs: list[dict],
    profiles: list[dict],
    waivers: list[dict],
    as_of: date,
    profile_texts: dict[str, str] | None = None,
    waivers_text: str | None = None,
    past: list[tuple[date, list[dict]]] | None = None,
) -> dict[str, Any]:
    """The whole report: `verdicts` keyed by (lab, rule id), `labs`, `derived`, unused `waivers`."""
    return Reference(packs, profiles, as_of, waivers, profile_texts, waivers_text, past).report()


def evaluate(
    packs: list[dict], profiles: list[dict], waivers: list[dict], as_of: date
) -> dict[tuple[str, str], dict]:
    """One JSON-shaped verdict per (lab, rule id) in scope, sorted."""
    return Reference(packs, profiles, as_of, waivers).verdicts()


def derived_values(packs: list[dict], profiles: list[dict], as_of: date) -> dict[str, dict[str, Truth]]:
    """{lab: {derived indicator: True | False | "undisclosed" | "unassessed"}}."""
    return Reference(packs, profiles, as_of).derived_json()
