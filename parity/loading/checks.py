"""Cross-file checks, each problem located: indicators named by profiles and rules exist, tags are declared,
peer groups select someone, lab ids are real, derive rules form no cycle and stay within the engine's
limits, waivers name real pairs; and, with `--strict`, every value carries evidence and every profile was
reviewed recently."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from parity.dataset import Lab, LoadedRule, LoadedWaiver, Strict
from parity.errors import Problem
from parity.loading import yamldoc
from parity.loading.cache import ParseCache
from parity.loading.messages import Problems, mapping
from parity.models import (
    UNKNOWN,
    Bar,
    Condition,
    Indicator,
    LabProfile,
    Peers,
    Practice,
    PracticeState,
    Response,
    Rule,
    RulePack,
    Waiver,
    suggest,
)

MAX_CHAIN_RULES = 4000  # durable_rules refuses a ruleset of more than 4,096 rules
MAX_DERIVED_INPUTS = 15  # durable_rules fails at run time on rules joining more than 16 facts
_SUGGESTIONS = 1000  # unknown practices given a "did you mean" per load; past that, thousands are no typo
S = TypeVar("S", bound=PracticeState)


def relative(doc: yamldoc.Located) -> str:
    return doc.relative or doc.path


@dataclass(frozen=True)
class PackDoc:
    """A rule pack and its file. A pack that failed validation keeps its valid rules (others None)."""

    doc: yamldoc.Located
    pack: RulePack

    def declared(self) -> set[str]:
        """Every indicator name the file declares, valid or not: references to an invalid one are not
        reported again as unknown."""
        return set(mapping(mapping(self.doc.data).get("indicators")))

    def problem_free_tags(self) -> bool:
        """Whether the `tags:` mapping as written is what the pack declares (nothing dropped)."""
        return len(mapping(mapping(self.doc.data).get("tags"))) == len(self.pack.tags)

    def rules(self) -> Iterable[tuple[int, Rule]]:
        rules: list[Rule | None] = list(self.pack.rules)
        return ((i, rule) for i, rule in enumerate(rules) if rule is not None)


def declared_indicators(
    packs: list[PackDoc], problems: Problems
) -> tuple[dict[str, Indicator], dict[str, yamldoc.Located]]:
    out: dict[str, Indicator] = {}
    where: dict[str, yamldoc.Located] = {}
    pack_at: dict[str, str] = {}
    for doc, pack in ((p.doc, p.pack) for p in packs):
        if pack.pack in pack_at:
            problems.at(doc, ("pack",), f"pack {pack.pack!r} is also defined in {pack_at[pack.pack]}")
        pack_at[pack.pack] = doc.path
        for name, indicator in pack.indicators.items():
            if name in where:
                problems.at(doc, ("indicators", name), f"indicator already defined in {where[name].path}")
                continue
            out[name] = indicator
            where[name] = doc
    return out, where


def declared_tags(packs: list[PackDoc]) -> dict[str, str]:
    """Every declared tag and what it means (a tag may be declared by several packs; the first wins)."""
    out: dict[str, str] = {}
    for p in packs:
        for tag, meaning in p.pack.tags.items():
            out.setdefault(tag, meaning)
    return out


# --- lab profiles -----------------------------------------------------------------------------------------


class LabChecker:
    """Checks each profile against the packs (and, with `strict`, its evidence and review date)."""

    def __init__(
        self,
        indicators: dict[str, Indicator],
        declared: set[str],
        tags: dict[str, str] | None,
        strict: Strict | None,
        problems: Problems,
        rules: dict[str, Rule] | None = None,
    ) -> None:
        self.indicators, self.declared, self.tags = indicators, declared, tags
        self.strict, self.problems = strict, problems
        self.rules = rules  # every rule of the packs, for the responses' `about`; None: not all could be read
        self.suggestions = _SUGGESTIONS  # "did you mean" costs a string match: only for the first many
        self.paths: dict[str, str] = {}  # lab id -> the file that first used it, as problems show paths
        self.memo: tuple[ParseCache, Any] | None = None  # the cache, and what else a checked lab depends on

    def again(self, problems: Problems) -> LabChecker:
        """A checker of the same settings, for another load's profiles."""
        twin = LabChecker(self.indicators, self.declared, self.tags, self.strict, problems, self.rules)
        twin.memo = self.memo
        return twin

    def check_all(self, labs: Iterable[tuple[yamldoc.Located, LabProfile]]) -> dict[str, Lab]:
        out: dict[str, Lab] = {}
        for doc, profile in labs:
            stem = Path(doc.path).stem  # the link's own name, never its target's
            if profile.id != stem:
                self.problems.at(doc, ("id",), f"id {profile.id!r} must equal the file name {stem!r}")
            if profile.id in out:
                message = f"lab id {profile.id!r} is also used by {self.paths[profile.id]}"
                self.problems.at(doc, ("id",), message)
                continue
            out[profile.id] = self.checked(doc, profile)
            self.paths[profile.id] = doc.path
        return out

    def checked(self, doc: yamldoc.Located, profile: LabProfile) -> Lab:
        """`check`, or the Lab it gave before for the same file at the same place against the same packs
        (only while no problem was found: then every message is produced afresh). The place is the path
        relative to the data root, so one profile in every revision of a history is one Lab."""
        if self.memo is None or not doc.blob or self.problems.items:
            return self.check(doc, profile)
        cache, context = self.memo
        key = (doc.relative, context)
        found = cache.recall(doc.blob, "Lab", key)
        if found is None:
            found = self.check(doc, profile)
            if not self.problems.items:
                cache.remember(doc.blob, "Lab", found, key)
        return found

    def check(self, doc: yamldoc.Located, profile: LabProfile) -> Lab:
        if self.tags is not None:
            for i, tag in enumerate(profile.tags):
                if tag not in self.tags:
                    hint = suggest(tag, self.tags)
                    self.problems.at(
                        doc, ("tags", i), f"undeclared tag {tag!r}{hint}; declare it in a pack's tags:"
                    )
        practices = dict(profile.practices)
        earlier_lines: dict[str, tuple[int, ...]] = {}
        for name, practice in profile.practices.items():
            practices[name] = self.practice(doc, name, practice)
            if practice.earlier:
                earlier = ("practices", name, "earlier")
                earlier_lines[name] = tuple(
                    doc.position((*earlier, i))[0] for i in range(len(practice.earlier))
                )
        for i, response in enumerate(profile.responses):
            self.response(doc, profile, i, response)
        if self.strict is not None:
            self.check_strict(doc, profile, self.strict)
        return Lab(
            profile=profile.model_copy(update={"practices": practices}),
            file=relative(doc),
            lines=doc.key_lines(("practices",)),
            practices_line=doc.position(("practices",))[0],
            earlier_lines=earlier_lines,
        )

    def practice(self, doc: yamldoc.Located, name: str, practice: Practice) -> Practice:
        """The practice with its values in its indicator's terms (dates arrive as text), its earlier states
        checked too: each a value of the indicator, their `since` falling strictly from top to bottom."""
        loc: tuple[str | int, ...] = ("practices", name)
        indicator = self.indicators.get(name)
        if indicator is None:
            if name not in self.declared:
                self.suggestions -= 1
                hint = suggest(name, self.indicators) if self.suggestions >= 0 else ""
                self.problems.at(doc, loc, f"unknown indicator {name!r}{hint}")
            return practice
        if indicator.derived:
            self.problems.at(doc, loc, f"{name!r} is derived by a rule and cannot be set in a profile")
            return practice
        earlier = [
            self.state(doc, (*loc, "earlier", i), indicator, entry)
            for i, entry in enumerate(practice.earlier or ())
        ]
        newer = practice.since
        for i, entry in enumerate(practice.earlier or ()):
            if newer is not None and entry.since >= newer:
                message = (
                    f"{entry.since} is not before {newer}: earlier states go newest first, dates falling"
                )
                self.problems.at(doc, (*loc, "earlier", i, "since"), message)
            newer = entry.since
        current = self.state(doc, loc, indicator, practice)
        if earlier and any(a is not b for a, b in zip(earlier, practice.earlier or (), strict=True)):
            current = current.model_copy(update={"earlier": earlier})
        return current

    def response(self, doc: yamldoc.Located, profile: LabProfile, i: int, response: Response) -> None:
        """A response answers something that can be found against this lab: a rule that judges it, or a
        practice (an indicator a profile may record)."""
        loc: tuple[str | int, ...] = ("responses", i, "about")
        about = response.about
        if about.practice is not None:
            found = self.indicators.get(about.practice)
            if found is None and about.practice not in self.declared:
                hint = suggest(about.practice, self.indicators)
                self.problems.at(doc, (*loc, "practice"), f"unknown practice {about.practice!r}{hint}")
            elif found is not None and found.derived:
                message = f"{about.practice!r} is derived by a rule, not a practice: answer the rule"
                self.problems.at(doc, (*loc, "practice"), message)
        if about.rule is None or self.rules is None:
            return
        rule = self.rules.get(about.rule)
        if rule is None:
            self.problems.at(
                doc, (*loc, "rule"), f"unknown rule {about.rule!r}{suggest(about.rule, self.rules)}"
            )
        elif rule.kind == "derive":
            self.problems.at(doc, (*loc, "rule"), f"rule {about.rule!r} derives a value and finds nothing")
        elif self.tags is not None and not rule.selects(profile.id, frozenset(profile.tags)):
            message = f"rule {about.rule!r} does not judge {profile.id!r} (its applies_to leaves it out)"
            self.problems.at(doc, (*loc, "rule"), message)

    def state(self, doc: yamldoc.Located, loc: tuple[str | int, ...], indicator: Indicator, state: S) -> S:
        """One state of a practice with its value in the indicator's terms (itself when that is the same)."""
        if state.value is None or state.value == UNKNOWN:
            return state
        value, error = indicator.coerce(state.value)
        if error:
            self.problems.at(doc, (*loc, "value"), error)
            return state
        return state if value is state.value else state.model_copy(update={"value": value})

    def check_strict(self, doc: yamldoc.Located, profile: LabProfile, strict: Strict) -> None:
        as_of = strict.as_of
        if profile.reviewed is None:
            self.problems.at(
                doc,
                ("id",),
                "--strict: the profile needs 'reviewed: YYYY-MM-DD' (when a person last checked it)",
            )
        elif profile.reviewed > as_of:
            message = f"--strict: reviewed {profile.reviewed} is after the evaluation date {as_of}"
            self.problems.at(doc, ("reviewed",), message)
        elif (as_of - profile.reviewed).days > strict.max_review_age:
            days = (as_of - profile.reviewed).days
            message = (
                f"--strict: reviewed {profile.reviewed}, {days} days before {as_of}; at most "
                f"{strict.max_review_age} allowed (--max-review-age)"
            )
            self.problems.at(doc, ("reviewed",), message)
        for i, response in enumerate(profile.responses):
            for field_name in ("asked", "date"):
                when = getattr(response, field_name)
                if when is not None and when > as_of:
                    message = f"--strict: {field_name} {when} is after the evaluation date {as_of}"
                    self.problems.at(doc, ("responses", i, field_name), message)
        for name, practice in profile.practices.items():
            loc: tuple[str | int, ...] = ("practices", name)
            states: list[tuple[tuple[str | int, ...], PracticeState]] = [(loc, practice)]
            states += [((*loc, "earlier", i), entry) for i, entry in enumerate(practice.earlier or ())]
            for where, state in states:
                self.strict_state(doc, where, state, as_of)

    def strict_state(
        self, doc: yamldoc.Located, loc: tuple[str | int, ...], state: PracticeState, as_of: dt.date
    ) -> None:
        """`--strict` on one state of a practice (the current one or an earlier one): sourced, and no source
        dated after the evaluation date."""
        if state.not_applicable is None and not state.evidence:
            what = "where you looked and when" if state.value == UNKNOWN else "its source"
            self.problems.at(doc, loc, f"--strict: no evidence; give {what}")
        for i, evidence in enumerate(state.evidence):
            if evidence.date > as_of:
                message = f"--strict: evidence dated {evidence.date}, after the evaluation date {as_of}"
                self.problems.at(doc, (*loc, "evidence", i, "date"), message)


# --- rules --------------------------------------------------------------------------------------------------


class RuleChecker:
    """Cross-file checks of one rule against the indicators, tags and labs."""

    def __init__(
        self,
        doc: yamldoc.Located,
        index: int,
        indicators: dict[str, Indicator],
        declared: set[str],
        tags: dict[str, str],
        labs: dict[str, Lab] | None,
        problems: Problems,
    ) -> None:
        self.doc, self.index, self.indicators, self.labs = doc, index, indicators, labs
        self.declared, self.tags = declared, tags
        self.problems = problems

    def fail(self, loc: tuple[str | int, ...], message: str) -> None:
        self.problems.at(self.doc, ("rules", self.index, *loc), message)

    def indicator(self, name: str, loc: tuple[str | int, ...]) -> Indicator | None:
        found = self.indicators.get(name)
        if found is None and name not in self.declared:  # declared but invalid: already reported
            self.fail(loc, f"unknown indicator {name!r}{suggest(name, self.indicators)}")
        return found

    def bar(self, indicator: Indicator, bar: Bar, loc: tuple[str | int, ...]) -> None:
        if indicator.derived:
            self.fail(
                loc, "a derived indicator cannot be compared with a bar: bar rules and meets: take practices"
            )
        elif bar.kind == "within_days" and indicator.type != "date":
            self.fail(loc, f"within_days applies to date indicators, not {indicator.type}")
        elif bar.kind == "threshold":
            error = indicator.coerce(bar.value)[1]
            if error:
                self.fail((*loc, "threshold"), error)

    def condition(self, cond: Condition, loc: tuple[str | int, ...]) -> None:
        indicator = self.indicator(cond.indicator, (*loc, "indicator"))
        if indicator is None:
            return
        if cond.op == "meets":
            self.bar(indicator, cond.operand, (*loc, "meets"))
        elif cond.op != "disclosed":
            error = indicator.coerce(cond.operand)[1]
            if error:
                self.fail((*loc, cond.op), error)

    def lab_ids(self, ids: list[str], loc: tuple[str | int, ...]) -> None:
        assert self.labs is not None
        for i, lab in enumerate(ids):
            if lab not in self.labs:
                self.fail((*loc, i), f"unknown lab {lab!r}{suggest(lab, self.labs)}")

    def dates(self, rule: Rule, in_force: dt.date | None) -> None:
        """A rule's end: after its start (its own `in_force`, else its pack's), and `withdrawn` only where it
        ends (the labs withdrew the pledge on `until`)."""
        if rule.until is not None and in_force is not None and rule.until <= in_force:
            self.fail(
                ("until",), f"{rule.until} is not after the rule's in_force {in_force}: it would never judge"
            )
        if rule.withdrawn is not None and rule.until is None:
            self.fail(("withdrawn",), "a withdrawn pledge needs 'until': the first day it no longer judges")

    def check(self, rule: Rule) -> None:
        if rule.kind == "bar" and rule.indicator and rule.bar:
            indicator = self.indicator(rule.indicator, ("indicator",))
            if indicator is not None:
                self.bar(indicator, rule.bar, ("bar",))
        for i, cond in enumerate(rule.when.conditions if rule.when else []):
            self.condition(cond, ("when", rule.when.mode if rule.when else "all", i))
        if rule.require is not None:
            self.condition(rule.require, ("require",))
        if rule.derive is not None:
            target = self.indicator(rule.derive, ("derive",))
            if target is not None and not target.derived:
                self.fail(("derive",), f"{rule.derive!r} must be declared with derived: true")
        if rule.peers is not None:
            self.selection(rule.peers, ("peers",), must_select=True)
        if isinstance(rule.applies_to, Peers):
            # A law may bind nobody yet; a typo in a tag is caught by the declaration check.
            self.selection(rule.applies_to, ("applies_to",), must_select=False)
        elif self.labs is not None:
            self.lab_ids(rule.applies_to or [], ("applies_to",))

    def selection(self, selection: Peers, loc: tuple[str | int, ...], must_select: bool) -> None:
        """A `{tags, labs}` selection: declared tags, known labs, and (for peers) a lab selected."""
        for i, tag in enumerate(selection.tags or []):
            if tag not in self.tags:
                self.fail((*loc, "tags", i), f"undeclared tag {tag!r}{suggest(tag, self.tags)}")
        if self.labs is None:  # rule packs read alone: no labs to select
            return
        self.lab_ids(selection.labs or [], (*loc, "labs"))
        if not must_select:
            return
        wanted = set(selection.tags or [])
        listed = set(selection.labs) if selection.labs is not None else set(self.labs)
        if not any(wanted <= set(lab.profile.tags) for lab_id, lab in self.labs.items() if lab_id in listed):
            self.fail(loc, "this peer group selects no lab: no listed lab carries all of its tags")


def checked_rules(
    packs: list[PackDoc],
    indicators: dict[str, Indicator],
    declared: set[str],
    declared_in: dict[str, yamldoc.Located],
    tags: dict[str, str],
    labs: dict[str, Lab] | None,
    problems: Problems,
) -> dict[str, LoadedRule]:
    out: dict[str, LoadedRule] = {}
    first_doc: dict[str, str] = {}  # rule id -> the file that first used it, as problems show paths
    for pack in packs:
        doc = pack.doc
        for i, rule in pack.rules():
            if rule.id in out:
                first = first_doc[rule.id]
                problems.at(doc, ("rules", i, "id"), f"rule id {rule.id!r} is also used in {first}")
                continue
            checker = RuleChecker(doc, i, indicators, declared, tags, labs, problems)
            checker.check(rule)
            line = doc.position(("rules", i))[0]
            in_force = (rule.in_force or pack.pack.in_force) if rule.kind != "derive" else None
            checker.dates(rule, in_force)
            out[rule.id] = LoadedRule(rule, pack.pack.pack, relative(doc), line, in_force, rule.until)
            first_doc[rule.id] = doc.path
    check_chain(out, indicators, declared_in, problems)
    return out


def check_chain(
    rules: dict[str, LoadedRule],
    indicators: dict[str, Indicator],
    declared_in: dict[str, yamldoc.Located],
    problems: Problems,
) -> None:
    """Each derived indicator has one derive rule, no cycles, and the engine's limits hold."""

    def fail(rule: LoadedRule, message: str) -> None:
        problems.add(Problem(rule.file, rule.line, 1, f"rules.{rule.rule.id}", message))

    derivers: dict[str, LoadedRule] = {}
    for loaded in rules.values():
        target = loaded.rule.derive
        if target is None:
            continue
        if target in derivers:
            fail(loaded, f"{target!r} is already derived by rule {derivers[target].rule.id!r}")
        derivers.setdefault(target, loaded)
    for name, indicator in sorted(indicators.items()):
        if indicator.derived and name not in derivers:
            problems.at(
                declared_in[name], ("indicators", name), "declared derived: true but no rule derives it"
            )
    chain = [r for r in rules.values() if r.rule.kind != "bar"]
    if len(chain) > MAX_CHAIN_RULES:
        fail(chain[MAX_CHAIN_RULES], f"more than {MAX_CHAIN_RULES} commitment and derive rules")
    for loaded in chain:
        if len(loaded.rule.derived_inputs(indicators)) > MAX_DERIVED_INPUTS:
            fail(loaded, f"a rule may use at most {MAX_DERIVED_INPUTS} derived indicators")
    check_cycles(derivers, indicators, fail)


def check_cycles(
    derivers: dict[str, LoadedRule],
    indicators: dict[str, Indicator],
    fail: Callable[[LoadedRule, str], None],
) -> None:
    """Depth-first search without recursion: a valid chain may be thousands of rules long."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    for start in sorted(derivers):
        if start in state:
            continue
        path = [start]
        stack = [iter(derivers[start].rule.derived_inputs(indicators))]
        state[start] = 1
        while stack:
            dep = next(stack[-1], None)
            if dep is None:
                state[path.pop()] = 2
                stack.pop()
            elif dep in derivers and state.get(dep) == 1:
                cycle = [*path[path.index(dep) :], dep]
                fail(derivers[dep], "derive rules form a cycle: " + " -> ".join(cycle))
            elif dep in derivers and dep not in state:
                state[dep] = 1
                path.append(dep)
                stack.append(iter(derivers[dep].rule.derived_inputs(indicators)))


def checked_waivers(
    doc: yamldoc.Located | None,
    waivers: list[tuple[int, Waiver]],
    rules: dict[str, LoadedRule],
    labs: dict[str, Lab],
    problems: Problems,
) -> list[LoadedWaiver]:
    if doc is None:
        return []
    out: list[LoadedWaiver] = []
    seen: set[tuple[str, str]] = set()
    for i, waiver in waivers:
        rule = rules.get(waiver.rule)
        if rule is None:
            problems.at(doc, (i, "rule"), f"unknown rule {waiver.rule!r}{suggest(waiver.rule, rules)}")
        elif rule.rule.kind == "derive":
            problems.at(doc, (i, "rule"), "a derive rule has no verdicts to waive")
        if waiver.lab not in labs:
            problems.at(doc, (i, "lab"), f"unknown lab {waiver.lab!r}{suggest(waiver.lab, labs)}")
        if (waiver.rule, waiver.lab) in seen:
            problems.at(doc, (i,), "a second waiver for the same rule and lab")
        seen.add((waiver.rule, waiver.lab))
        out.append(LoadedWaiver(waiver, relative(doc), doc.position((i,))[0]))
    return out
