"""One load, its stages in order: read every file of the tree (a folder or a git revision), parse it,
validate it against its model, then run the cross-file checks (`checks`). All problems in all files are
collected and raised together as one `LoadError`."""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel

from parity.dataset import Dataset, Strict
from parity.errors import LoadError, Problem
from parity.loading import yamldoc
from parity.loading.cache import ParseCache, blob_id
from parity.loading.checks import (
    LabChecker,
    PackDoc,
    checked_rules,
    checked_waivers,
    declared_indicators,
    declared_tags,
)
from parity.loading.files import Folder, GitRevision, InputFile, InputProblem
from parity.loading.messages import SALVAGE, Problems, validated
from parity.models import LabProfile, RulePack, Waiver, shown

M = TypeVar("M", bound=BaseModel)


class Load:
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
        # The folder that holds the data: locations are relative to it. Absolute first, so that `--profiles .`
        # (run inside the profiles' folder) has the folder above it as its root, not `.` again.
        self.root = Path(os.path.abspath(self.profiles or self.rules_dir)).parent
        self.problems = Problems()
        self.unread: set[str] = set()  # the kinds of input of which some file could not be read at all

    def run(self) -> Dataset:
        packs = [PackDoc(doc, pack) for doc, pack in self.read_dir(self.rules_dir, RulePack, "rule packs")]
        # Tags are checked only when every pack could be read: else a pack that could not be read would
        # make every tag it declares look undeclared (and likewise, below, for peer groups and profiles).
        packs_clean = "rule packs" not in self.unread and all(p.problem_free_tags() for p in packs)
        indicators, declared_in = declared_indicators(packs, self.problems)
        declared = set().union(*(p.declared() for p in packs))
        tags = declared_tags(packs)
        labs_read = self.read_dir(self.profiles, LabProfile, "lab profiles") if self.profiles else iter(())
        every_rule = {rule.id: rule for p in reversed(packs) for _, rule in p.rules()}  # the first file wins
        checker = LabChecker(
            indicators,
            declared,
            tags if packs_clean else None,
            self.strict,
            self.problems,
            every_rule if packs_clean else None,
        )
        if self.cache is not None and packs_clean and all(p.doc.blob for p in packs):
            # A checked profile depends on its own file and on every pack: reuse it while neither changed.
            checker.memo = (self.cache, (tuple((p.doc.relative, p.doc.blob) for p in packs), self.strict))
        labs = checker.check_all(labs_read)
        self.checker = checker  # what a later revision's changed profiles are checked with (RevisionLoader)
        waiver_doc, waiver_list = self.read_waivers()
        lab_map = labs if self.profiles is not None and "lab profiles" not in self.unread else None
        rule_map = checked_rules(packs, indicators, declared, declared_in, tags, lab_map, self.problems)
        if packs and not rule_map and not self.problems.items:  # nothing to judge must not pass as clean
            self.problems.add(Problem(str(self.rules_dir), 1, 1, "", "the rule packs hold no rules"))
        loaded_waivers = checked_waivers(waiver_doc, waiver_list, rule_map, labs, self.problems)
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
    ) -> Iterator[tuple[yamldoc.Located, M]]:
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

    def parse(self, file: InputFile, marks_depth: int | None = None) -> yamldoc.Located | None:
        try:
            doc = (
                self.parse_cached(file, marks_depth)
                if self.cache
                else yamldoc.parse(self.tree.read(file), file.name, marks_depth)
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

    def parse_cached(self, file: InputFile, marks_depth: int | None) -> yamldoc.Located:
        """`yamldoc.parse` through the cache: a document that parsed cleanly before is not parsed again
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
            doc = yamldoc.parse(raw if raw is not None else self.tree.read(file), file.name, marks_depth)
            if not doc.problems:
                self.cache.store(blob, marks_depth, doc.data, doc.marks)
        else:
            doc = yamldoc.Located(file.name, found[0], found[1])
            if marks_depth is not None:  # as `yamldoc.parse` keeps them: for positions deeper than recorded
                doc.raw = raw
                doc.reread = functools.partial(self.reread, file) if raw is None else None
        doc.blob = blob
        return doc

    def reread(self, file: InputFile) -> bytes | None:
        try:
            return self.tree.read(file)
        except InputProblem:
            return None

    def read_model(self, file: InputFile, model: type[M]) -> tuple[yamldoc.Located, M] | None:
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
        checked = validated(doc, model, doc.data, (), self.problems)
        if checked is None:
            # Keep the parts that are valid, so cross-file checks still report their problems too.
            return doc, SALVAGE[model](doc.data)  # type: ignore[return-value]
        if self.cache and doc.blob and not doc.problems:
            self.cache.remember(doc.blob, model.__name__, checked)
        if model is LabProfile:
            doc.data = None  # the validated profile holds it all now: a large profile is not kept twice
        return doc, checked

    def read_waivers(self) -> tuple[yamldoc.Located | None, list[tuple[int, Waiver]]]:
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
        found = [(i, validated(doc, Waiver, item, (i,), self.problems)) for i, item in enumerate(doc.data)]
        return doc, [(i, w) for i, w in found if w is not None]
