"""The timeline `history` walks: the revisions of a git repository that touched the data, each with its
parents among them (parents before children, then by date), or a list of snapshot folders, each with the
date it is evaluated at. Only git's plumbing is used: the working tree is neither read nor touched.

Everything git says about a commit is checked here, where it enters: a subject is any text (cut at
`MAX_SUBJECT` characters), a committer date that is missing or out of range is a usage error naming the
commit, and `--since`/`--until` dates are compared by parity itself (git reads a date before 1970 as no
date at all).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import re
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from parity.errors import UsageError
from parity.loading.files import git_command, git_environment
from parity.vocabulary import EARLIEST_DATE, LATEST_DATE, parse_date

_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_FOLDER_DATE = re.compile(r"^([0-9]{4}-[0-9]{2}-[0-9]{2})")
_HEADER = re.compile(r"^commit ([0-9a-f]{40,64})((?: [0-9a-f]{40,64})*)$")
MAX_SUBJECT = 200  # a commit's title as history shows it: git cuts a longer one (and ends it with "..")
# One record per commit: git's own `commit ID PARENTS` line, then the committer date and the subject, each
# ended by a NUL (the one byte a subject cannot hold; control characters and line separators it can).
_FORMAT = f"--format=%x00%ct%x00%<({MAX_SUBJECT},trunc)%s%x00"


@dataclass(frozen=True)
class Revision:
    """One point of the timeline: a commit (`commit` set) or a snapshot folder (`folder` set)."""

    ref: str  # how it is named in the output: the commit's short id, or the folder as given
    date: dt.date  # the date it is evaluated at
    subject: str = ""
    commit: str | None = None
    folder: Path | None = None
    committed: dt.date | None = None  # the commit's own date, when --as-of overrides it
    # The revisions this one is compared with: a commit's parents in the data's history (the nearest
    # ancestors that touched it; with --first-parent only the first), a folder's the folder before it.
    parents: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """What `parents` name a revision by: its commit's full id, or its folder as given."""
        return self.commit or self.ref


@dataclass(frozen=True)
class Timeline:
    """The revisions to walk, oldest first and parents before children; and `bases`, the parents of those
    revisions that the range leaves out: loaded only to compare their children with, never reported."""

    revisions: list[Revision]
    bases: list[Revision] = field(default_factory=list)


class GitError(UsageError):
    """git ran and refused (not a repository, an unknown revision); the message is its last line."""


def _git(repo: Path, *args: str) -> str:
    try:
        done = subprocess.run(
            git_command(repo, *args), capture_output=True, check=False, env=git_environment()
        )
    except OSError as e:
        raise UsageError(f"cannot run git: {e.strerror} (history reads the revisions through git)") from None
    if done.returncode != 0:
        lines = done.stderr.decode(errors="replace").strip().splitlines()
        raise GitError(f"git: {lines[-1] if lines else 'failed'} (in {repo})")
    return done.stdout.decode("utf-8", errors="replace")


def _commit(repo: Path, rev: str) -> str:
    """The commit `rev` names, or "" when it names none."""
    try:
        return _git(repo, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}").strip()
    except GitError:
        return ""


def _day(text: str, option: str) -> dt.date:
    try:
        return parse_date(text)
    except ValueError:
        raise UsageError(f"{option} {text!r} is not a date (YYYY-MM-DD) nor a revision") from None


def top_level(repo: Path) -> Path:
    """The folder whose git repository `repo` is in: the top of its working tree, or the repository itself
    when it is bare (history reads only its objects). A UsageError says which of these it is not."""
    try:
        bare = _git(repo, "rev-parse", "--is-bare-repository").strip() == "true"
        if bare:
            return Path(_git(repo, "rev-parse", "--absolute-git-dir").strip())
        return Path(_git(repo, "rev-parse", "--show-toplevel").strip())
    except GitError as e:
        raise UsageError(
            f"{repo} is not inside a git repository (history reads its revisions): {e}"
        ) from None


@dataclass(frozen=True)
class _Listed:
    """One commit as `rev-list` gives it: its id, its parents in the data's history, its date, its title."""

    commit: str
    parents: tuple[str, ...]
    stamp: str
    subject: str


def _listed(repo: Path, head: str, paths: Sequence[str], first_parent: bool = False) -> list[_Listed]:
    """The commits from `head` that touched `paths`, parents before children (and otherwise by commit
    date), each with its parents rewritten to the nearest ancestors that touched them, as `git log
    --parents -- PATHS` shows them: a commit that did not touch the data is no one's parent."""
    options = ["--reverse", "--date-order", "--parents", *(["--first-parent"] if first_parent else [])]
    out = _git(repo, "rev-list", *options, _FORMAT, head, "--", *paths)
    fields = out.split("\0")
    found = []
    for at in range(0, len(fields) - 1, 3):
        header, stamp, subject = fields[at].strip("\n"), fields[at + 1], fields[at + 2 : at + 3]
        match = _HEADER.match(header)
        if match is None or not subject:
            raise UsageError(f"git rev-list gave a record parity cannot read: {header[:60]!r} (in {repo})")
        found.append(_Listed(match.group(1), tuple(match.group(2).split()), stamp, subject[0].rstrip(" ")))
    return found


def _committed(listed: _Listed) -> dt.date | None:
    """A commit's date (UTC), or None when git's is missing or outside the dates parity evaluates at."""
    if not listed.stamp.isdigit() or len(listed.stamp) > 12:
        return None
    try:
        day = dt.datetime.fromtimestamp(int(listed.stamp), dt.UTC).date()
    except (OverflowError, OSError, ValueError):
        return None
    return day if EARLIEST_DATE <= day <= LATEST_DATE else None


def _revision(listed: _Listed, as_of: dt.date | None, parents: tuple[str, ...]) -> Revision:
    committed = _committed(listed)
    date = as_of or committed
    if date is None:
        raise UsageError(
            f"commit {listed.commit[:12]} ({listed.subject[:60]!r}): its committer date "
            f"({listed.stamp or 'none'}) is missing or not from {EARLIEST_DATE} to {LATEST_DATE}; "
            "history evaluates each revision at its commit date: give --as-of DATE to use one date for all"
        )
    return Revision(listed.commit[:12], date, listed.subject, listed.commit, None, committed, parents)


def commits(
    repo: Path,
    paths: Sequence[str],
    since: str | None = None,
    until: str | None = None,
    first_parent: bool = False,
    as_of: dt.date | None = None,
) -> Timeline:
    """The commits that touched `paths`, parents before children, and the parents the range leaves out.
    `since`/`until` are a date (YYYY-MM-DD, by commit date, both inclusive) or a revision (`since`
    exclusive, as in `since..until`; `until` inclusive). A range that holds no commit is a UsageError that
    says which commits there are: an empty walk would pass any gate having looked at nothing."""
    start = _day(since, "--since") if since is not None and _DATE.match(since) else None
    end = _day(until, "--until") if until is not None and _DATE.match(until) else None
    if start is not None and end is not None and start > end:
        raise UsageError(f"--since {since} is after --until {until}: the range holds no day")
    head = _resolve(repo, until, "--until") if until is not None and end is None else "HEAD"
    listed = _listed(repo, head, paths, first_parent)
    left_out = set()
    if since is not None and start is None:
        left_out = {c.commit for c in _listed(repo, _resolve(repo, since, "--since"), paths, first_parent)}
    chosen, kept = [], {}
    for commit in listed:
        parents = commit.parents[:1] if first_parent else commit.parents
        if commit.commit in left_out:
            kept[commit.commit] = (commit, parents)
            continue
        if start is not None or end is not None:
            day = _committed(commit)
            if day is None:
                _revision(commit, None, parents)  # raises: a commit with no date is in no date range
            assert day is not None
            if (start is not None and day < start) or (end is not None and day > end):
                kept[commit.commit] = (commit, parents)
                continue
        chosen.append(_revision(commit, as_of, parents))
    if not chosen:
        raise UsageError(_nothing(listed, paths, since, until))
    walked = {r.commit for r in chosen}
    wanted = {p for r in chosen for p in r.parents if p not in walked}
    bases = [_revision(c, as_of, p) for c, p in kept.values() if c.commit in wanted]
    return Timeline(chosen, bases)


def _nothing(listed: list[_Listed], paths: Sequence[str], since: str | None, until: str | None) -> str:
    where = " or ".join(f"{p}/" for p in paths)
    if not listed:
        return f"no commit touched {where}: there is no history to walk"
    dates = [d for d in map(_committed, listed) if d is not None]
    span = f"from {min(dates)} to {max(dates)}" if dates else "with no readable date"
    asked = " ".join(f"{o} {v}" for o, v in (("--since", since), ("--until", until)) if v is not None)
    return f"{asked} selects no commit: the {len(listed)} commits that touched {where} are {span}"


def _resolve(repo: Path, rev: str, option: str) -> str:
    sha = _commit(repo, rev)
    if not sha:
        raise UsageError(f"{option} {rev!r}: no such revision (or date YYYY-MM-DD) in {repo}")
    return sha


def folders(paths: Sequence[Path], as_of: dt.date | None = None) -> Timeline:
    """Snapshot folders, each holding lab_profiles/ and rules/, in date order, each compared with the one
    before. A folder is evaluated at the date its name starts with (`2026-03-01`, `2026-03-01-after-rsp`),
    or at `as_of`."""
    out = []
    for path in paths:
        if not path.is_dir():
            raise UsageError(
                f"{path}: not a folder (a snapshot is a folder holding lab_profiles/ and rules/)"
            )
        match = _FOLDER_DATE.match(path.name)
        if as_of is not None:
            date = as_of
        elif match:
            date = _folder_date(path, match.group(1))
        else:
            raise UsageError(
                f"{path}: a snapshot folder's name must start with its date (YYYY-MM-DD), or give --as-of"
            )
        out.append(Revision(str(path), date, "", None, path))
    ordered = sorted(out, key=lambda r: (r.date, r.ref))
    for before, after in itertools.pairwise(ordered):
        if before.ref == after.ref:
            raise UsageError(f"{after.ref}: the same snapshot folder is given twice")
    parents = [(), *[(r.key,) for r in ordered[:-1]]]
    return Timeline([dataclasses.replace(r, parents=p) for r, p in zip(ordered, parents, strict=True)])


def _folder_date(path: Path, text: str) -> dt.date:
    try:
        date = parse_date(text)
    except ValueError:
        raise UsageError(f"{path}: {text} is not a date") from None
    if not EARLIEST_DATE <= date <= LATEST_DATE:
        dates = f"from {EARLIEST_DATE} to {LATEST_DATE}"
        raise UsageError(f"{path}: {text} is out of range: a snapshot is dated {dates}")
    return date


def shallow(top: Path) -> bool:
    """Whether the repository is a shallow clone (its history cut off: a ratchet cannot see it all)."""
    return _git(top, "rev-parse", "--is-shallow-repository").strip() == "true"


def window(top: Path, paths: Sequence[str], start: dt.date, end: dt.date) -> list[Revision]:
    """The commits that touched `paths` from `start` to `end` (by commit date), oldest first, preceded by
    the last one before `start`: its values still stood when the window opened. A commit with no readable
    date is left out."""
    dated = [(day, c) for c in _listed(top, "HEAD", paths) if (day := _committed(c)) is not None]
    before = [pair for pair in dated if pair[0] < start]
    inside = [pair for pair in dated if start <= pair[0] <= end]
    chosen = before[-1:] + inside  # the newest before the window: the list is oldest first
    return [Revision(c.commit[:12], day, c.subject, c.commit, None, day, c.parents) for day, c in chosen]


def ever(top: Path, path: str) -> bool:
    """Whether any commit of the repository touched `path`."""
    return bool(_git(top, "log", "--all", "--format=%H", "-1", "--", path).strip())


def data_in(profiles: Path, rules: Path) -> tuple[Path, list[str]]:
    """The top of the git repository that holds the profiles, and the two folders' paths from it; a
    UsageError when they are not in a repository, or not both inside it."""
    top = top_level(profiles if profiles.is_dir() else Path("."))
    try:
        return top, [p.resolve().relative_to(top).as_posix() for p in (profiles, rules)]
    except ValueError:
        raise UsageError(f"{profiles} and {rules} must both be inside the git repository {top}") from None


def commit_date(repo: Path, rev: str) -> dt.date | None:
    """The date (UTC) of the commit `rev` names; None when it names none or git's date is unusable."""
    commit = _commit(repo, rev)
    if not commit:
        return None
    stamp = _git(repo, "show", "-s", "--format=%ct", commit).strip()
    return _committed(_Listed(commit, (), stamp, ""))
