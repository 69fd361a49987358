"""Folders to a validated `Dataset`: every file read, every model checked, every cross-file reference
resolved. All problems in all files are collected and raised together as one `LoadError`.

Cross-file checks live here: indicators named by profiles and rules exist, tags are declared, peer groups
select someone, lab ids are real, derive rules form no cycle and stay within the engine's limits, waivers
name real pairs; and, with `strict`, that every value carries evidence and every profile was reviewed.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from parity._gc import paused_gc
from parity.dataset import DEFAULT_MAX_REVIEW_AGE, Dataset, Lab, LoadedRule, LoadedWaiver, Strict
from parity.errors import LoadError, Problem
from parity.loading import yamldoc as source
from parity.loading.cache import ParseCache, blob_id
from parity.loading.files import Folder, GitObjects, GitRevision, InputFile, InputProblem
from parity.models import (
    MAX_DAYS,
    UNKNOWN,
    Alarms,
    Bar,
    Condition,
    Evidence,
    Indicator,
    LabProfile,
    Peers,
    Practice,
    Rule,
    RulePack,
    Waiver,
    shown,
    suggest,
)

M = TypeVar("M", bound=BaseModel)
MAX_CHAIN_RULES = 4000  # durable_rules refuses a ruleset of more than 4,096 rules
MAX_DERIVED_INPUTS = 15  # durable_rules fails at run time on rules joining more than 16 facts
_SUGGESTIONS = 1000  # unknown practices given a "did you mean" per load; past that, thousands are no typo


class _Problems:
    """Collects problems; `at` places a message on a key path of a file."""

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def at(self, doc: source.Located, loc: tuple[str | int, ...], message: str) -> None:
        if loc in doc.refused:  # the parser already said what is wrong with this scalar
            return
        line, column = doc.position(loc)
        self.items.append(Problem(doc.path, line, column, ".".join(map(str, loc)), message))

    def add(self, problem: Problem) -> None:
        self.items.append(problem)


def load(
    profiles: str | Path | None = "lab_profiles",
    rules: str | Path = "rules",
    waivers: str | Path | None = None,
    *,
    strict: Strict | None = None,
    cache: ParseCache | None = None,
) -> Dataset:
    """Load and cross-check profiles, rule packs and (optionally) waivers; raise LoadError.

    With `profiles=None` only the rule packs are read, and checks that need labs are skipped. Report
    locations are relative to the folder that holds the profiles (or the rules). With a `cache`, documents
    parsed before (by content) are not parsed again; the result is the same (docs/cache.md).
    """
    with paused_gc():
        return _Load(Folder(), profiles, rules, waivers, strict, cache).run()


def load_revision(
    repo: str | Path,
    rev: str,
    profiles: str | None = "lab_profiles",
    rules: str = "rules",
    waivers: str | None = None,
    *,
    strict: Strict | None = None,
    cache: ParseCache | None = None,
    objects: GitObjects | None = None,
) -> Dataset:
    """Load the data as one git revision holds it (paths relative to the repository's top), through git's
    object store: the working tree is neither read nor touched. Problems name files `REV:path`. With a
    `cache`, a file whose blob was parsed before is not even read from git. Pass the repository's
    `GitObjects` to load many revisions through the same two git processes."""
    try:
        tree = GitRevision(Path(repo), rev, objects)
    except InputProblem as e:
        raise LoadError([e.problem]) from None
    try:
        with paused_gc():
            return _Load(tree, profiles, rules, waivers, strict, cache).run()
    finally:
        tree.close()


@dataclass(frozen=True)
class _Clean:
    """What a clean load of a revision leaves for the next: the ids of its trees and the Dataset."""

    rules_tree: str | None
    waivers_blob: str | None
    profiles_tree: str | None
    profiles: dict[str, str]  # each profile file's path -> its blob id, in order
    data: Dataset
    checker: _LabChecker


class RevisionLoader:
    """The revisions of one repository loaded one after another (a history's walk), through one pair of
    git processes; each Dataset is what `load_revision` gives for the same arguments.

    When the revision loaded last was clean and, since then, only profiles changed (the same profile
    files, the same rule packs, the same waivers file), only the changed profiles are read and checked.
    Every cross-file check reads the profiles only through the set of lab ids (rules' `applies_to` and
    peers' `labs`, waivers, duplicate ids), and that set cannot change: each id must equal its file's
    stem. Anything else, or a changed profile with a problem, loads the revision whole, so every problem
    is reported as `load_revision` reports it. Use it as a context manager (or `close` it)."""

    def __init__(
        self,
        repo: str | Path,
        profiles: str = "lab_profiles",
        rules: str = "rules",
        *,
        strict: Strict | None = None,
        cache: ParseCache | None = None,
    ) -> None:
        self.repo, self.profiles, self.rules = Path(repo), profiles, rules
        self.strict, self.cache = strict, cache
        self.objects = GitObjects(self.repo)
        self._last: _Clean | None = None
        self.reused = 0  # loads that read only changed profiles (for tests and benchmarks)

    def __enter__(self) -> RevisionLoader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.objects.close()

    def load(self, rev: str, waivers: str | None = None, *, waivers_optional: bool = False) -> Dataset:
        """`load_revision(repo, rev, profiles, rules, waivers)`; with `waivers_optional`, the waivers file is
        read only where the revision has one."""
        try:
            tree = GitRevision(self.repo, rev, self.objects)
        except InputProblem as e:
            raise LoadError([e.problem]) from None
        if waivers and waivers_optional and not tree.exists(waivers):
            waivers = None
        last = self._last
        self._last = None  # a load that fails leaves nothing to build on
        with paused_gc():
            ids = (tree.tree_id(self.rules), tree.blob_id(waivers) if waivers else None)
            reused = self._reuse(tree, last) if last and ids == (last.rules_tree, last.waivers_blob) else None
            if reused is not None and last is not None:
                self.reused += 1
                (data, profiles), checker = reused, last.checker
            else:
                load = _Load(tree, self.profiles, self.rules, waivers, self.strict, self.cache)
                data, checker = load.run(), load.checker
                profiles = tree.yaml_blobs(self.profiles)  # listed by the load already: no git asked
        self._last = _Clean(*ids, tree.tree_id(self.profiles), profiles, data, checker)
        return data

    def _reuse(self, tree: GitRevision, last: _Clean) -> tuple[Dataset, dict[str, str]] | None:
        """The Dataset of the last load with the changed profiles checked again (and each profile's blob),
        or None when this revision must be loaded whole."""
        if tree.tree_id(self.profiles) == last.profiles_tree:
            return last.data, last.profiles
        try:
            profiles = tree.yaml_blobs(self.profiles)
            if list(profiles) != list(last.profiles):
                return None
            changed = [tree.file(Path(p), None) for p, blob in profiles.items() if blob != last.profiles[p]]
        except InputProblem:
            return None
        load = _Load(tree, self.profiles, self.rules, None, self.strict, self.cache)
        parsed = [load.read_model(f, LabProfile) for f in changed]
        if load.problems.items or None in parsed:
            return None
        labs = last.checker.again(load.problems).check_all(p for p in parsed if p is not None)
        if load.problems.items or not labs.keys() <= last.data.labs.keys():
            return None
        return dataclasses.replace(last.data, labs={**last.data.labs, **labs}), profiles


class _Load:
    """One load: the stages in order, sharing the problems found so far."""

    def __init__(
        self,
        tree: Folder | GitRevision,
        profiles: str | Path | None,
        rules: str | Path,
        waivers: str | Path | None,
        strict: Strict | None,
        cache: ParseCache | None = None,
    ) -> None:
        self.tree = tree
        self.cache = cache
        self.profiles = Path(profiles) if profiles is not None else None
        self.rules_dir = Path(rules)
        self.waivers_path = Path(waivers) if waivers is not None else None
        self.strict = strict
        self.root = (self.profiles or self.rules_dir).parent
        self.problems = _Problems()
        self.unread: set[str] = set()  # the kinds of input of which some file could not be read at all

    def run(self) -> Dataset:
        packs = [_PackDoc(doc, pack) for doc, pack in self.read_dir(self.rules_dir, RulePack, "rule packs")]
        # Tags are checked only when every pack could be read: else a pack that could not be read would
        # make every tag it declares look undeclared (and likewise, below, for peer groups and profiles).
        packs_clean = "rule packs" not in self.unread and all(p.problem_free_tags() for p in packs)
        indicators, declared_in = _indicators(packs, self.problems)
        declared = set().union(*(p.declared() for p in packs))
        tags = _tags(packs)
        labs_read = self.read_dir(self.profiles, LabProfile, "lab profiles") if self.profiles else iter(())
        checker = _LabChecker(indicators, declared, tags if packs_clean else None, self.strict, self.problems)
        if self.cache is not None and packs_clean and all(p.doc.blob for p in packs):
            # A checked profile depends on its own file and on every pack: reuse it while neither changed.
            checker.memo = (self.cache, (tuple((p.doc.relative, p.doc.blob) for p in packs), self.strict))
        labs = checker.check_all(labs_read)
        self.checker = checker  # what a later revision's changed profiles are checked with (RevisionLoader)
        waiver_doc, waiver_list = self.read_waivers()
        lab_map = labs if self.profiles is not None and "lab profiles" not in self.unread else None
        rule_map = _rules(packs, indicators, declared, declared_in, tags, lab_map, self.problems)
        if packs and not rule_map and not self.problems.items:  # nothing to judge must not pass as clean
            self.problems.add(Problem(str(self.rules_dir), 1, 1, "", "the rule packs hold no rules"))
        loaded_waivers = _waivers(waiver_doc, waiver_list, rule_map, labs, self.problems)
        if self.problems.items:
            raise LoadError(self.problems.items)
        return Dataset(
            labs=dict(sorted(labs.items())),
            indicators=indicators,
            rules=dict(sorted(rule_map.items())),
            packs=sorted((p.pack.pack, p.pack.version) for p in packs),
            waivers=loaded_waivers,
            tags=dict(sorted(tags.items())),
        )

    def read_dir(
        self, directory: Path | None, model: type[M], what: str
    ) -> Iterator[tuple[source.Located, M]]:
        """Each file of a folder, read and validated, one at a time (a large profile is large: keep one)."""
        assert directory is not None
        try:
            files = self.tree.list_yaml(directory, what, self.root)
        except InputProblem as e:
            self.problems.add(e.problem)
            self.unread.add(what)
            return
        if not files:
            self.problems.add(Problem(str(directory), 1, 1, "", f"no {what} (*.yaml or *.yml) found"))
            self.unread.add(what)
        for file in files:
            parsed = self.read_model(file, model)
            if parsed is None:
                self.unread.add(what)
            else:
                yield parsed

    def parse(self, file: InputFile, marks_depth: int | None = None) -> source.Located | None:
        try:
            doc = (
                self.parse_cached(file, marks_depth)
                if self.cache
                else source.parse(self.tree.read(file), file.name, marks_depth)
            )
        except InputProblem as e:
            self.problems.add(e.problem)
            return None
        except LoadError as e:
            self.problems.items.extend(e.problems)
            return None
        self.problems.items.extend(doc.problems)
        doc.relative = file.relative
        return doc

    def parse_cached(self, file: InputFile, marks_depth: int | None) -> source.Located:
        """`source.parse` through the cache: a document that parsed cleanly before is not parsed again
        (nor, from a git revision, even read), one with problems is parsed again to report them."""
        assert self.cache is not None
        raw: bytes | None = None
        if file.blob is not None and isinstance(self.tree, GitRevision):
            self.tree.check(file)  # the problems `read` would report, before the blob is trusted
            blob = file.blob
        else:
            raw = self.tree.read(file)
            blob = blob_id(raw)
        found = self.cache.parsed(blob, marks_depth)
        if found is None:
            doc = source.parse(raw if raw is not None else self.tree.read(file), file.name, marks_depth)
            if not doc.problems:
                self.cache.store(blob, marks_depth, doc.data, doc.marks)
        else:
            doc = source.Located(file.name, found[0], found[1])
            if marks_depth is not None:  # as `source.parse` keeps them: for positions deeper than recorded
                doc.raw = raw
                doc.reread = functools.partial(self.reread, file) if raw is None else None
        doc.blob = blob
        return doc

    def reread(self, file: InputFile) -> bytes | None:
        try:
            return self.tree.read(file)
        except InputProblem:
            return None

    def read_model(self, file: InputFile, model: type[M]) -> tuple[source.Located, M] | None:
        # Keys are located two levels deep up front (a practice, a rule); deeper only when a problem asks.
        doc = self.parse(file, marks_depth=2)
        if doc is None:
            return None
        known = self.cache.recall(doc.blob, model.__name__) if self.cache and doc.blob else None
        if known is not None:  # validated before: the same model object, for `is` comparisons
            if model is LabProfile:
                doc.data = None
            return doc, known
        if not isinstance(doc.data, dict):
            self.problems.at(doc, (), f"the file must be a mapping of keys to values, not {shown(doc.data)}")
            return None
        validated = _validate(doc, model, doc.data, (), self.problems)
        if validated is None:
            # Keep the parts that are valid, so cross-file checks still report their problems too.
            return doc, _SALVAGE[model](doc.data)  # type: ignore[return-value]
        if self.cache and doc.blob and not doc.problems:
            self.cache.remember(doc.blob, model.__name__, validated)
        if model is LabProfile:
            doc.data = None  # the validated profile holds it all now: a large profile is not kept twice
        return doc, validated

    def read_waivers(self) -> tuple[source.Located | None, list[tuple[int, Waiver]]]:
        if self.waivers_path is None:
            return None, []
        try:
            file = self.tree.file(self.waivers_path, self.root)
        except InputProblem as e:
            self.problems.add(e.problem)
            return None, []
        doc = self.parse(file)
        if doc is None:
            return None, []
        if not isinstance(doc.data, list):
            self.problems.at(doc, (), f"the waivers file must be a list of waivers, not {shown(doc.data)}")
            return doc, []
        found = [(i, _validate(doc, Waiver, item, (i,), self.problems)) for i, item in enumerate(doc.data)]
        return doc, [(i, w) for i, w in found if w is not None]


def _relative(doc: source.Located) -> str:
    return doc.relative or doc.path


# --- models, and what survives a failed validation ------------------------------------------------------


def _validate(
    doc: source.Located, model: type[M], data: Any, prefix: tuple[str | int, ...], problems: _Problems
) -> M | None:
    try:
        return model.model_validate(data)
    except ValidationError as e:
        for err in e.errors():
            # "[key]" (a bad key is located at the key) and "[ids]"-like names of union forms are not fields
            loc = tuple(part for part in err["loc"] if not (isinstance(part, str) and part.startswith("[")))
            problems.at(doc, prefix + loc, _message(err))
        return None


_FIELD_NAMES = sorted(
    {
        name
        for m in (LabProfile, Practice, Evidence, RulePack, Indicator, Rule, Condition, Peers, Waiver, Alarms)
        for name in m.model_fields
    }
    | {"all", "any"}
)


def _message(err: Any) -> str:
    """A validation error in a watchdog's words, not the validation library's."""
    kind, raw, ctx = err["type"], err.get("input"), err.get("ctx") or {}
    last = err["loc"][-1] if err["loc"] else ""
    messages: dict[str, Callable[[], str]] = {
        "missing": lambda: "required, but missing",
        "extra_forbidden": lambda: (
            f"unknown field {last!r}" + suggest(str(last), [n for n in _FIELD_NAMES if n != last])
        ),
        "string_type": lambda: f"expected text, got {shown(raw)}",
        "bool_type": lambda: f"expected true or false, got {shown(raw)}",
        "int_type": lambda: f"expected a whole number, got {shown(raw)}",
        "list_type": lambda: f"expected a list, got {shown(raw)}",
        "dict_type": lambda: f"expected a mapping of keys to values, got {shown(raw)}",
        "model_type": lambda: f"expected a mapping of keys to values, got {shown(raw)}",
        "literal_error": lambda: (
            f"expected one of {ctx.get('expected', '')}, got {shown(raw)}"
            + (suggest(raw, _literals(ctx)) if isinstance(raw, str) else "")
        ),
        "string_pattern_mismatch": lambda: (
            f"{shown(raw)} is not a valid id: use letters, digits, '_', '.' and "
            "'-', starting with a letter or digit"
        ),
        "string_too_long": lambda: f"too long: at most {ctx.get('max_length')} characters",
        "string_too_short": lambda: "must not be empty",
        "too_short": lambda: "must not be empty",
        "greater_than": lambda: f"must be more than {ctx.get('gt')}, got {shown(raw)}",
        "less_than_equal": lambda: f"must be at most {ctx.get('le')}, got {shown(raw)}",
    }
    if kind in messages:
        return messages[kind]()
    return str(err["msg"]).removeprefix("Value error, ")


def _literals(ctx: dict[str, Any]) -> list[str]:
    return [x.strip().strip("'") for x in str(ctx.get("expected", "")).replace(" or ", ", ").split(",")]


def _quiet(model: type[M], data: Any) -> M | None:
    try:
        return model.model_validate(data)
    except ValidationError:
        return None


def _mapping(data: Any) -> dict[str, Any]:
    return {k: v for k, v in data.items() if isinstance(k, str)} if isinstance(data, dict) else {}


def _salvage_pack(data: dict[str, Any]) -> RulePack:
    indicators = {k: i for k, v in _mapping(data.get("indicators")).items() if (i := _quiet(Indicator, v))}
    raw_rules = data.get("rules") if isinstance(data.get("rules"), list) else []
    rules: list[Any] = [_quiet(Rule, item) for item in raw_rules or []]  # None keeps the indices
    tags = {k: v for k, v in _mapping(data.get("tags")).items() if isinstance(v, str)}
    return RulePack.model_construct(
        pack=str(data.get("pack")),
        version=str(data.get("version")),
        indicators=indicators,
        rules=rules,
        tags=tags,
    )


def _salvage_profile(data: dict[str, Any]) -> LabProfile:
    practices = {k: p for k, v in _mapping(data.get("practices")).items() if (p := _quiet(Practice, v))}
    tags = data.get("tags") if isinstance(data.get("tags"), list) else []
    return LabProfile.model_construct(
        id=str(data.get("id")),
        name=str(data.get("name")),
        tags=[t for t in tags or [] if isinstance(t, str)],
        practices=practices,
        reviewed=None,
    )


_SALVAGE: dict[type[BaseModel], Callable[[dict[str, Any]], BaseModel]] = {
    RulePack: _salvage_pack,
    LabProfile: _salvage_profile,
}


@dataclass(frozen=True)
class _PackDoc:
    """A rule pack and its file. A pack that failed validation keeps its valid rules (others None)."""

    doc: source.Located
    pack: RulePack

    def declared(self) -> set[str]:
        """Every indicator name the file declares, valid or not: references to an invalid one are not
        reported again as unknown."""
        return set(_mapping(_mapping(self.doc.data).get("indicators")))

    def problem_free_tags(self) -> bool:
        """Whether the `tags:` mapping as written is what the pack declares (nothing dropped)."""
        return len(_mapping(_mapping(self.doc.data).get("tags"))) == len(self.pack.tags)

    def rules(self) -> Iterable[tuple[int, Rule]]:
        rules: list[Rule | None] = list(self.pack.rules)
        return ((i, rule) for i, rule in enumerate(rules) if rule is not None)


def _indicators(
    packs: list[_PackDoc], problems: _Problems
) -> tuple[dict[str, Indicator], dict[str, source.Located]]:
    out: dict[str, Indicator] = {}
    where: dict[str, source.Located] = {}
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


def _tags(packs: list[_PackDoc]) -> dict[str, str]:
    """Every declared tag and what it means (a tag may be declared by several packs; the first wins)."""
    out: dict[str, str] = {}
    for p in packs:
        for tag, meaning in p.pack.tags.items():
            out.setdefault(tag, meaning)
    return out


# --- lab profiles -----------------------------------------------------------------------------------------


class _LabChecker:
    """Checks each profile against the packs (and, with `strict`, its evidence and review date)."""

    def __init__(
        self,
        indicators: dict[str, Indicator],
        declared: set[str],
        tags: dict[str, str] | None,
        strict: Strict | None,
        problems: _Problems,
    ) -> None:
        self.indicators, self.declared, self.tags = indicators, declared, tags
        self.strict, self.problems = strict, problems
        self.suggestions = _SUGGESTIONS  # "did you mean" costs a string match: only for the first many
        self.paths: dict[str, str] = {}  # lab id -> the file that first used it, as problems show paths
        self.memo: tuple[ParseCache, Any] | None = None  # the cache, and what else a checked lab depends on

    def again(self, problems: _Problems) -> _LabChecker:
        """A checker of the same settings, for another load's profiles."""
        twin = _LabChecker(self.indicators, self.declared, self.tags, self.strict, problems)
        twin.memo = self.memo
        return twin

    def check_all(self, labs: Iterable[tuple[source.Located, LabProfile]]) -> dict[str, Lab]:
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

    def checked(self, doc: source.Located, profile: LabProfile) -> Lab:
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

    def check(self, doc: source.Located, profile: LabProfile) -> Lab:
        if self.tags is not None:
            for i, tag in enumerate(profile.tags):
                if tag not in self.tags:
                    hint = suggest(tag, self.tags)
                    self.problems.at(
                        doc, ("tags", i), f"undeclared tag {tag!r}{hint}; declare it in a pack's tags:"
                    )
        practices = dict(profile.practices)
        for name, practice in profile.practices.items():
            value = self.practice(doc, name, practice)
            if value is not None:
                practices[name] = practice.model_copy(update={"value": value})
        if self.strict is not None:
            self.check_strict(doc, profile, self.strict)
        return Lab(
            profile=profile.model_copy(update={"practices": practices}),
            file=_relative(doc),
            lines=doc.key_lines(("practices",)),
            practices_line=doc.position(("practices",))[0],
        )

    def practice(self, doc: source.Located, name: str, practice: Practice) -> Any:
        """The practice's value in its indicator's terms, when that differs (dates arrive as text)."""
        loc: tuple[str | int, ...] = ("practices", name)
        indicator = self.indicators.get(name)
        if indicator is None:
            if name not in self.declared:
                self.suggestions -= 1
                hint = suggest(name, self.indicators) if self.suggestions >= 0 else ""
                self.problems.at(doc, loc, f"unknown indicator {name!r}{hint}")
        elif indicator.derived:
            self.problems.at(doc, loc, f"{name!r} is derived by a rule and cannot be set in a profile")
        elif practice.value is not None and practice.value != UNKNOWN:
            value, error = indicator.coerce(practice.value)
            if error:
                self.problems.at(doc, (*loc, "value"), error)
            elif value is not practice.value:
                return value
        return None

    def check_strict(self, doc: source.Located, profile: LabProfile, strict: Strict) -> None:
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
        for name, practice in profile.practices.items():
            loc: tuple[str | int, ...] = ("practices", name)
            if practice.not_applicable is None and not practice.evidence:
                what = "where you looked and when" if practice.value == UNKNOWN else "its source"
                self.problems.at(doc, loc, f"--strict: no evidence; give {what}")
            for i, evidence in enumerate(practice.evidence):
                if evidence.date > as_of:
                    message = f"--strict: evidence dated {evidence.date}, after the evaluation date {as_of}"
                    self.problems.at(doc, (*loc, "evidence", i, "date"), message)


# --- rules --------------------------------------------------------------------------------------------------


class _RuleChecker:
    """Cross-file checks of one rule against the indicators, tags and labs."""

    def __init__(
        self,
        doc: source.Located,
        index: int,
        indicators: dict[str, Indicator],
        declared: set[str],
        tags: dict[str, str],
        labs: dict[str, Lab] | None,
        problems: _Problems,
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


def _rules(
    packs: list[_PackDoc],
    indicators: dict[str, Indicator],
    declared: set[str],
    declared_in: dict[str, source.Located],
    tags: dict[str, str],
    labs: dict[str, Lab] | None,
    problems: _Problems,
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
            _RuleChecker(doc, i, indicators, declared, tags, labs, problems).check(rule)
            line = doc.position(("rules", i))[0]
            in_force = (rule.in_force or pack.pack.in_force) if rule.kind != "derive" else None
            out[rule.id] = LoadedRule(rule, pack.pack.pack, _relative(doc), line, in_force)
            first_doc[rule.id] = doc.path
    _check_chain(out, indicators, declared_in, problems)
    return out


def _check_chain(
    rules: dict[str, LoadedRule],
    indicators: dict[str, Indicator],
    declared_in: dict[str, source.Located],
    problems: _Problems,
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
    _check_cycles(derivers, indicators, fail)


def _check_cycles(
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


def _waivers(
    doc: source.Located | None,
    waivers: list[tuple[int, Waiver]],
    rules: dict[str, LoadedRule],
    labs: dict[str, Lab],
    problems: _Problems,
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
        out.append(LoadedWaiver(waiver, _relative(doc), doc.position((i,))[0]))
    return out


__all__ = [
    "DEFAULT_MAX_REVIEW_AGE",
    "MAX_DAYS",
    "Dataset",
    "Lab",
    "LoadedRule",
    "LoadedWaiver",
    "RevisionLoader",
    "Strict",
    "load",
    "load_revision",
]


def load_alarms(path: str | Path) -> Alarms:
    """`history`'s alarm settings from a YAML file (docs/history.md); raise LoadError with every problem."""
    problems = _Problems()
    folder = Folder()
    try:
        file = folder.file(Path(path), None)
        doc = source.parse(folder.read(file), file.name)
    except InputProblem as e:
        raise LoadError([e.problem]) from None
    problems.items.extend(doc.problems)
    found = None
    if not isinstance(doc.data, dict):
        problems.at(doc, (), f"the alarms file must be a mapping of settings, not {shown(doc.data)}")
    else:
        found = _validate(doc, Alarms, doc.data, (), problems)
    if problems.items or found is None:
        raise LoadError(problems.items)
    return found
