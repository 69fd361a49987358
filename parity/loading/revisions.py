"""A history's walk loads revision after revision of one repository: `RevisionLoader` reads only the
profiles that changed when nothing else did, and loads the revision whole otherwise."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from parity._gc import paused_gc
from parity.dataset import Dataset, Strict
from parity.errors import LoadError
from parity.loading.cache import ParseCache
from parity.loading.checks import LabChecker
from parity.loading.files import GitObjects, GitRevision, InputProblem
from parity.loading.stages import Load
from parity.models import LabProfile


@dataclass(frozen=True)
class Clean:
    """What a clean load of a revision leaves for the next: the ids of its trees and the Dataset."""

    rules_tree: str | None
    waivers_blob: str | None
    profiles_tree: str | None
    profiles: dict[str, str]  # each profile file's path -> its blob id, in order
    data: Dataset
    checker: LabChecker


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
        self._last: Clean | None = None
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
                load = Load(tree, self.profiles, self.rules, waivers, self.strict, self.cache)
                data, checker = load.run(), load.checker
                profiles = tree.yaml_blobs(self.profiles)  # listed by the load already: no git asked
        self._last = Clean(*ids, tree.tree_id(self.profiles), profiles, data, checker)
        return data

    def _reuse(self, tree: GitRevision, last: Clean) -> tuple[Dataset, dict[str, str]] | None:
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
        load = Load(tree, self.profiles, self.rules, None, self.strict, self.cache)
        parsed = [load.read_model(f, LabProfile) for f in changed]
        if load.problems.items or None in parsed:
            return None
        labs = last.checker.again(load.problems).check_all(p for p in parsed if p is not None)
        if load.problems.items or not labs.keys() <= last.data.labs.keys():
            return None
        return dataclasses.replace(last.data, labs={**last.data.labs, **labs}), profiles
