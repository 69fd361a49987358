"""Hypothesis strategies for random, valid parity data sets (packs, profiles, waivers, as_of).

Values come from small pools so that ties, equal bars and shared tags happen often. Every data set is
one that parity must accept: every tag a profile carries is declared in exactly one pack's `tags:`,
every `peers` and `applies_to` selection names declared tags and selects at least one lab, scalars are strict (booleans
true/false, plain decimals that YAML reads as such, YYYY-MM-DD dates), derive rules form no cycle, and
derived indicators appear only in `equals`/`at_least`/`at_most`/`disclosed` conditions.
Each data set also carries the exact YAML text of every file, from which the expected locations are read
(docs/report.md: `location`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import yaml
from hypothesis import strategies as st

LAB_IDS = [f"lab-{c}" for c in "abcdefgh"]
TAGS = ["frontier", "us", "eu", "open"]
AREAS = ["risk-reporting", "security", "governance"]
SEVERITIES = ["info", "low", "medium", "high", "critical"]
# 2 and 2.0 are equal values of different YAML types; 0.3 - 0.1 must give a gap of exactly 0.2.
# All are plain decimals that YAML reads as such (no exponents).
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
# every as_of is also in DATES, so waiver expiry, in_force and within_days / max_age_days cut-offs
# (2026-01-01 - 365 days, 2026-12-31 - 183 days) land exactly on a value
AS_OF = [date(2026, 1, 1), date(2026, 7, 1), date(2026, 12, 31)]
IN_FORCE = [date(2025, 6, 30), date(2026, 1, 1), date(2026, 7, 1), date(2026, 12, 31), date(2027, 6, 1)]
LEVELS = ["L0", "L1", "L2", "L3"]
AGES = [30, 180, 365, 730]
WITHIN_DAYS = [30, 183, 365, 540]
INDICATOR_TYPES = ["number", "boolean", "level", "date"]
# "unknown" is `value: unknown`; "absent" leaves the indicator out of the profile (unassessed)
PRACTICE_STATES = ["disclosed"] * 4 + [
    "unevidenced",
    "unknown",
    "unknown",
    "absent",
    "absent",
    "not_applicable",
]


class _PlainDumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """Writes shared objects (the same date twice) out in full: no &anchors or *aliases."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def dump_yaml(data: Any) -> str:
    return yaml.dump(data, Dumper=_PlainDumper, sort_keys=False, default_flow_style=False, width=1000)


@dataclass
class DataSet:
    packs: list[dict]
    profiles: list[dict]
    waivers: list[dict]
    as_of: date
    # the exact text of each file, by path relative to the data root
    texts: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for profile in self.profiles:
            self.texts.setdefault(f"lab_profiles/{profile['id']}.yaml", dump_yaml(profile))
        for pack in self.packs:
            self.texts.setdefault(f"rules/{pack['pack']}.yaml", dump_yaml(pack))
        if self.waivers:
            self.texts.setdefault("waivers.yaml", dump_yaml(self.waivers))

    @property
    def profile_texts(self) -> dict[str, str]:
        return {p["id"]: self.texts[f"lab_profiles/{p['id']}.yaml"] for p in self.profiles}

    @property
    def waivers_text(self) -> str | None:
        return self.texts.get("waivers.yaml")

    def to_yaml(self) -> str:
        """Every file of the data set, for a failure message."""
        parts = [f"as_of: {self.as_of.isoformat()}"]
        parts += [f"# ---- {path}\n{text.rstrip()}" for path, text in sorted(self.texts.items())]
        return "\n".join(parts)

    def __repr__(self) -> str:
        return f"DataSet(<<<\n{self.to_yaml()}\n>>>)"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """How hypothesis shows a failing example: the files, as written."""
        printer.text(repr(self))


# Strategies are built once: building them inside every draw costs more than the draws.
_BOOL = st.booleans()
_AREA = st.sampled_from(AREAS)
_SEVERITY = st.sampled_from(SEVERITIES)
_AGE = st.sampled_from(AGES)
_STATE = st.sampled_from(PRACTICE_STATES)
_KIND = st.sampled_from(INDICATOR_TYPES)
_EVIDENCE_DATES = st.lists(st.sampled_from(DATES), min_size=1, max_size=2)
_EVIDENCE_TEXT = st.sampled_from(["none", "none", "note", "quote"])
_DOMAINS: dict[Any, st.SearchStrategy[Any]] = {
    "number": st.sampled_from(NUMBERS),
    "boolean": _BOOL,
    "date": st.sampled_from(DATES),
}
_DOMAINS.update({n: st.sampled_from(LEVELS[:n]) for n in range(2, len(LEVELS) + 1)})
_RELATIVE_BAR = st.sampled_from(["best", "median", "all", "all", "quorum", "threshold"])
_DATE_BAR = st.sampled_from(["best", "median", "all", "quorum", "threshold", "within_days"])
_QUORUM = st.integers(1, 4)
_WITHIN_DAYS = st.sampled_from(WITHIN_DAYS)
_IN_FORCE = st.sampled_from(IN_FORCE)
_OPS = st.sampled_from(["equals", "at_least", "at_most", "disclosed", "meets"])
# derived indicators appear only in conditions, never in a bar or a `meets`
_DERIVED_OPS = st.sampled_from(["equals", "at_least", "at_most", "disclosed"])
_REQUIRE_OPS = st.sampled_from(["equals", "at_least", "at_most", "disclosed"] + ["meets"] * 3)
_PEER_KIND = st.sampled_from(["none", "none", "tags", "labs", "both"])
# applies_to: a list of lab ids two times in three, else a selection (tags twice as often as the others)
_APPLIES_KIND = st.sampled_from(["list"] * 8 + ["tags", "tags", "labs", "both"])
_ALL_ANY = st.sampled_from(["all", "any"])


def values_of(spec: dict) -> st.SearchStrategy[Any]:
    """A value in the indicator's own domain."""
    if spec["type"] == "level":
        return _DOMAINS[len(spec["levels"])]
    return _DOMAINS[spec["type"]]


def draw_indicator(draw: st.DrawFn, name: str, kind: str) -> dict:
    spec: dict[str, Any] = {"title": f"Practice {name} ({kind})", "area": draw(_AREA), "type": kind}
    if kind == "number":
        spec["better"] = "lower" if draw(_BOOL) else "higher"
    elif kind == "boolean" and draw(_BOOL):
        spec["better"] = "lower"
    elif kind == "level":
        spec["levels"] = LEVELS[: draw(st.integers(2, 4))]
    if draw(st.integers(0, 3)) == 3:
        spec["max_age_days"] = draw(_AGE)
    return spec


def draw_evidence(draw: st.DrawFn, lab: str, ind: str, looked: bool) -> list[dict]:
    """1-2 evidence entries with distinct URLs, so that citing the wrong lab's evidence shows."""
    entries = []
    for i, day in enumerate(draw(_EVIDENCE_DATES)):
        entry: dict[str, Any] = {"url": f"https://example.org/{lab}/{ind}/{i}", "date": day}
        text = "note" if looked else draw(_EVIDENCE_TEXT)
        if text == "note":
            entry["note"] = "nothing published on the page" if looked else "as stated"
        elif text == "quote":
            entry["quote"] = f"we do {ind}"
        entries.append(entry)
    return entries


def draw_practice(draw: st.DrawFn, lab: str, ind: str, spec: dict) -> dict | None:
    """One practice in a random state; None means absent from the profile (unassessed). A third of them
    have a timeline: a `since`, and sometimes `earlier` states, each a whole state, dates falling."""
    practice = draw_state(draw, lab, ind, spec, draw(_STATE))
    if practice is None or draw(st.integers(0, 2)) != 2:
        return practice
    dates = sorted(draw(st.lists(st.sampled_from(DATES), min_size=1, max_size=3, unique=True)), reverse=True)
    practice["since"] = dates[0]
    earlier = []
    for day in dates[1:]:
        state = draw_state(draw, lab, ind, spec, draw(_STATE.filter(lambda s: s != "absent")))
        assert state is not None
        earlier.append({**state, "since": day})
    if earlier:
        practice["earlier"] = earlier
    return practice


def draw_state(draw: st.DrawFn, lab: str, ind: str, spec: dict, state: str) -> dict | None:
    """One state of a practice: a value with or without evidence, `unknown`, not applicable, or absent."""
    if state == "absent":
        return None
    if state == "not_applicable":
        return {"not_applicable": "not relevant for this lab"}
    if state == "unknown":
        practice: dict[str, Any] = {"value": "unknown"}
        if draw(_BOOL):  # where the watchdog looked: evidence on an undisclosed practice
            practice["evidence"] = draw_evidence(draw, lab, ind, looked=True)
        return practice
    practice = {"value": draw(values_of(spec))}
    if state == "disclosed":
        practice["evidence"] = draw_evidence(draw, lab, ind, looked=False)
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


def draw_selection(draw: st.DrawFn, kind: str, labs: list[str], lab_tags: dict[str, list[str]]) -> dict:
    """A selection `{tags: [...]}`, `{labs: [...]}` or both (`kind`: "tags", "labs" or "both") that names
    only carried (so declared) tags and selects at least one lab; {} when kind is "tags" and no lab
    carries a tag."""
    selection: dict[str, list[str]] = {}
    tagged = [lab for lab in labs if lab_tags[lab]]
    if kind in ("tags", "both") and tagged:
        # the tags of one lab, so that at least that lab carries them all
        base = lab_tags[draw(st.sampled_from(tagged))]
        selection["tags"] = draw(st.lists(st.sampled_from(base), min_size=1, max_size=2, unique=True))
    matching = [lab for lab in labs if set(selection.get("tags", [])) <= set(lab_tags[lab])]
    if kind in ("labs", "both"):
        chosen = set(draw(st.lists(st.sampled_from(labs), min_size=1, max_size=4, unique=True)))
        if not chosen & set(matching):
            chosen.add(draw(st.sampled_from(matching)))
        selection["labs"] = sorted(chosen)
    return selection


def draw_peers(draw: st.DrawFn, labs: list[str], lab_tags: dict[str, list[str]]) -> dict | None:
    """A peer group that names only carried (so declared) tags and selects at least one lab."""
    kind = draw(_PEER_KIND)
    return (draw_selection(draw, kind, labs, lab_tags) if kind != "none" else None) or None


def draw_applies_to(draw: st.DrawFn, labs: list[str], lab_tags: dict[str, list[str]]) -> list[str] | dict:
    """`applies_to`: a list of lab ids, or (a third of the time) a selection like `peers` that selects at
    least one lab (docs/verdicts.md: Rules in force, rules that apply)."""
    kind = draw(_APPLIES_KIND)
    if kind != "list":
        selection = draw_selection(draw, kind, labs, lab_tags)
        if selection:
            return selection
    return sorted(draw(st.lists(st.sampled_from(labs), min_size=1, unique=True)))


def profile_text(draw: st.DrawFn, profile: dict) -> str:
    """The profile as YAML, sometimes after comment and blank lines, so that lines are not trivial."""
    text = dump_yaml(profile)
    header = draw(st.sampled_from(["", "", "# generated profile\n", "# generated\n\n# profile\n"]))
    if profile["practices"] and draw(_BOOL):
        text = text.replace("\npractices:\n", "\npractices:\n  # the practices, one per indicator\n\n", 1)
    return header + text


@st.composite
def datasets(draw: st.DrawFn) -> DataSet:
    labs = LAB_IDS[: draw(st.integers(2, 8))]
    tag_lists = st.lists(st.sampled_from(TAGS), max_size=3, unique=True)
    lab_tags = {lab: draw(tag_lists) for lab in labs}
    carried = sorted({t for tags in lab_tags.values() for t in tags})
    uncarried = [t for t in TAGS if t not in carried]
    # a declared tag that no lab carries is allowed (nothing selects by it)
    declared = carried + draw(st.lists(st.sampled_from(uncarried), max_size=1)) if uncarried else carried

    plain: dict[str, dict] = {}
    for i in range(draw(st.integers(1, 6))):
        plain[f"ind_{i}"] = draw_indicator(draw, f"ind_{i}", draw(_KIND))
    derived = {
        f"der_{i}": {"title": f"Derived {i}", "area": draw(_AREA), "type": "boolean", "derived": True}
        for i in range(draw(st.integers(0, 3)))
    }

    def optional(rule: dict) -> dict:
        if draw(st.integers(0, 2)) == 2:
            rule["applies_to"] = draw_applies_to(draw, labs, lab_tags)
        if draw(st.integers(0, 4)) == 4:
            rule["max_age_days"] = draw(_AGE)
        if draw(st.integers(0, 5)) == 5:
            rule["area"] = draw(_AREA)
        if draw(st.integers(0, 4)) == 4:
            rule["in_force"] = draw(_IN_FORCE)
        if draw(st.integers(0, 5)) == 5:  # a rule that ends: after it starts; sometimes a withdrawn pledge
            ends = [d for d in IN_FORCE if "in_force" not in rule or d > rule["in_force"]]
            if ends:
                rule["until"] = draw(st.sampled_from(ends))
                if draw(_BOOL):
                    rule["withdrawn"] = [{"url": "https://example.org/withdrawn", "date": rule["until"]}]
        return rule

    verdict_rules: list[dict] = []
    for _ in range(draw(st.integers(1, 5))):
        ind = draw(st.sampled_from(sorted(plain)))
        rule: dict[str, Any] = {"indicator": ind, "bar": draw_bar(draw, plain[ind])}
        peers = draw_peers(draw, labs, lab_tags)
        if peers:
            rule["peers"] = peers
        rule["severity"] = draw(_SEVERITY)
        verdict_rules.append(optional(rule))
    # derive rules: der_i may use plain indicators and der_j for j < i, so there is no cycle
    derive_rules: list[dict] = []
    for i, name in enumerate(derived):
        usable = {**plain, **{d: derived[d] for d in list(derived)[:i]}}
        derive_rules.append({"derive": name, "when": draw_when(draw, usable)})
    everything = {**plain, **derived}
    for _ in range(draw(st.integers(0, 3))):
        rule = {}
        if draw(st.integers(0, 3)) > 0:
            rule["when"] = draw_when(draw, everything)
        req = draw(st.sampled_from(sorted(everything)))
        rule["require"] = draw_condition(draw, req, everything[req], require=True)
        rule["severity"] = draw(_SEVERITY)
        verdict_rules.append(optional(rule))
    for rule in verdict_rules:
        if draw(st.integers(0, 2)) == 2:
            rule["title"] = f"Rule about {rule.get('indicator') or rule['require']['indicator']}"
    rules = draw(st.permutations(verdict_rules + derive_rules))
    rules = [{"id": f"r-{n}", **rule} for n, rule in enumerate(rules)]

    profiles = []
    for lab in labs:
        practice_map = {}
        for ind, spec in plain.items():
            practice = draw_practice(draw, lab, ind, spec)
            if practice is not None:
                practice_map[ind] = practice
        name = lab.replace("-", " ").title()
        profiles.append({"id": lab, "name": name, "tags": lab_tags[lab], "practices": practice_map})

    verdict_ids = [r["id"] for r in rules if "derive" not in r]
    pairs = draw(
        st.lists(st.tuples(st.sampled_from(verdict_ids), st.sampled_from(labs)), max_size=6, unique=True)
    )
    waivers = [
        {"rule": rule_id, "lab": lab, "reason": f"accepted for now ({n})", "expires": draw(_DOMAINS["date"])}
        for n, (rule_id, lab) in enumerate(pairs)
    ]

    packs = _packs(draw, everything, rules, declared)
    texts = {f"lab_profiles/{p['id']}.yaml": profile_text(draw, p) for p in profiles}
    if waivers:
        texts["waivers.yaml"] = draw(st.sampled_from(["", "# accepted exceptions\n"])) + dump_yaml(waivers)
    return DataSet(packs, profiles, waivers, draw(st.sampled_from(AS_OF)), texts)


def _packs(draw: st.DrawFn, indicators: dict[str, dict], rules: list[dict], tags: list[str]) -> list[dict]:
    """One pack, or two. Derive rules stay in pack-1, which never has a pack-wide in_force: what
    in_force means for a derive rule (which gives no verdict) is left open by docs/verdicts.md."""
    tag_docs = {t: f"Labs that are {t}" for t in tags}
    verdict_rules = [r for r in rules if "derive" not in r]
    if len(indicators) < 2 or len(verdict_rules) < 2 or not draw(_BOOL):
        pack: dict[str, Any] = {"pack": "pack-1", "version": "1.0.0"}
        if tag_docs:
            pack["tags"] = tag_docs
        return [{**pack, "indicators": indicators, "rules": rules}]
    names = list(indicators)
    split = draw(st.integers(1, len(names) - 1))
    second = set(draw(st.lists(st.sampled_from([r["id"] for r in verdict_rules]), min_size=1, unique=True)))
    if len(second) == len(verdict_rules) and not any("derive" in r for r in rules):
        second.discard(verdict_rules[0]["id"])  # pack-1 keeps at least one rule
    in_second = {t for t in tags if draw(_BOOL)}
    packs: list[dict] = []
    for pack_id, version, mine, pack_tags in (
        (
            "pack-1",
            "1.0.0",
            [r for r in rules if r["id"] not in second],
            [t for t in tags if t not in in_second],
        ),
        ("pack-2", "0.2.0", [r for r in rules if r["id"] in second], [t for t in tags if t in in_second]),
    ):
        pack = {"pack": pack_id, "version": version}
        if pack_tags:
            pack["tags"] = {t: tag_docs[t] for t in pack_tags}
        if pack_id == "pack-2" and draw(st.integers(0, 2)) == 2:
            start = draw(_IN_FORCE)
            # a rule's end comes after its start: the pack's start applies to rules without their own
            if all(r["until"] > start for r in mine if "until" in r and "in_force" not in r):
                pack["in_force"] = start
        section = names[:split] if pack_id == "pack-1" else names[split:]
        pack["indicators"] = {k: indicators[k] for k in section}
        pack["rules"] = mine
        packs.append(pack)
    return packs
