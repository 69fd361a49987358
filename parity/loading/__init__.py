"""Loading: a tree of files (a folder, or a git revision) to a validated, cross-checked `Dataset`.

`files` reads bounded regular files from a folder or from git's object store; `yamldoc` turns bytes into
plain data with the position of every key; `cache` keeps parsed documents by blob id; `stages` runs one
load (read, validate, cross-check: `messages`, `checks`); `revisions` loads a history's revisions one
after another.
"""

from __future__ import annotations

import enum
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from parity._gc import paused_gc
from parity.dataset import DEFAULT_MAX_REVIEW_AGE, Dataset, Lab, LoadedRule, LoadedWaiver, Strict
from parity.errors import LoadError
from parity.vocabulary import MAX_DAYS

if TYPE_CHECKING:
    from parity.loading.cache import ParseCache
    from parity.loading.files import GitObjects
    from parity.loading.revisions import RevisionLoader
    from parity.models import Alarms

# The stages below (the YAML parser, pydantic's models) are imported when a load runs, so that a module
# that needs only `files` or `cache` (the command line's reuse of a run) does not pay for them.


def __getattr__(name: str) -> Any:
    if name == "RevisionLoader":
        from parity.loading.revisions import RevisionLoader

        return RevisionLoader
    raise AttributeError(f"module 'parity.loading' has no attribute {name!r}")


__all__ = [
    "BESIDE_PROFILES",
    "DEFAULT_MAX_REVIEW_AGE",
    "MAX_DAYS",
    "Dataset",
    "Lab",
    "LoadedRule",
    "LoadedWaiver",
    "RevisionLoader",
    "Strict",
    "default_waivers",
    "load",
    "load_alarms",
    "load_revision",
]


class _Default(enum.Enum):
    BESIDE_PROFILES = "waivers.yaml beside the profiles folder"


BESIDE_PROFILES = _Default.BESIDE_PROFILES  # `load`'s default waivers: as `parity check` finds them


def default_waivers(profiles: str | Path | None) -> Path | None:
    """The waivers `parity check` reads when none is named: `waivers.yaml` in the folder that holds the
    profiles folder (beside the data it waives, not in the working directory), where anything of that name
    exists. A folder or a broken link of that name is returned, so that the load reports it rather than
    skipping it; None when there is nothing of that name, or no profiles."""
    if profiles is None:
        return None
    path = Path(profiles).parent / "waivers.yaml"
    return path if os.path.lexists(path) else None


def load(
    profiles: str | Path | None = "lab_profiles",
    rules: str | Path = "rules",
    waivers: str | Path | _Default | None = BESIDE_PROFILES,
    *,
    strict: Strict | None = None,
    cache: ParseCache | None = None,
) -> Dataset:
    """Load and cross-check profiles, rule packs and waivers; raise LoadError.

    `waivers` is, by default, `waivers.yaml` beside the profiles folder where one exists, as the CLI reads
    it (`default_waivers`), so the library and `parity check` judge alike; pass a path to read another
    file, or None to read none. With `profiles=None` only the rule packs are read, and checks that need
    labs are skipped. Report locations are relative to the folder that holds the profiles (or the rules).
    With a `cache`, documents parsed before (by content) are not parsed again; the result is the same
    (docs/cache.md).
    """
    from parity.loading.files import Folder
    from parity.loading.stages import Load

    if waivers is BESIDE_PROFILES:
        waivers = default_waivers(profiles)
    with paused_gc():
        return Load(Folder(), profiles, rules, waivers, strict, cache).run()


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
    from parity.loading.files import GitRevision, InputProblem
    from parity.loading.stages import Load

    try:
        tree = GitRevision(Path(repo), rev, objects)
    except InputProblem as e:
        raise LoadError([e.problem]) from None
    try:
        with paused_gc():
            return Load(tree, profiles, rules, waivers, strict, cache).run()
    finally:
        tree.close()


def load_alarms(path: str | Path, root: Path | None = None) -> Alarms:
    """`history`'s alarm settings from a YAML file (docs/history.md); raise LoadError with every problem.
    A file found within `root` (the repository's `alarms.yaml`) is not read through a link out of it."""
    from parity.loading import yamldoc
    from parity.loading.files import Folder, InputProblem
    from parity.loading.messages import Problems, validated
    from parity.models import Alarms, shown

    problems = Problems()
    folder = Folder()
    try:
        file = folder.file(Path(path), root)
        doc = yamldoc.parse(folder.read(file), file.name)
    except InputProblem as e:
        raise LoadError([e.problem]) from None
    problems.items.extend(doc.problems)
    found = None
    if not isinstance(doc.data, dict):
        problems.at(doc, (), f"the alarms file must be a mapping of settings, not {shown(doc.data)}")
    else:
        found = validated(doc, Alarms, doc.data, (), problems)
    if problems.items or found is None:
        raise LoadError(problems.items)
    return found
