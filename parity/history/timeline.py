"""The timeline `history` walks: the revisions of a git repository that touched the data, oldest first, or a
list of snapshot folders, each with the date it is evaluated at. Only git's plumbing is used: the working
tree is neither read nor touched.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from parity.errors import UsageError
from parity.vocabulary import parse_date

_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_FOLDER_DATE = re.compile(r"^([0-9]{4}-[0-9]{2}-[0-9]{2})")


@dataclass(frozen=True)
class Revision:
    """One point of the timeline: a commit (`commit` set) or a snapshot folder (`folder` set)."""

    ref: str  # how it is named in the output: the commit's short id, or the folder as given
    date: dt.date  # the date it is evaluated at
    subject: str = ""
    commit: str | None = None
    folder: Path | None = None
    committed: dt.date | None = None  # the commit's own date, when --as-of overrides it


def _git(repo: Path, *args: str) -> str:
    try:
        done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, check=False)
    except OSError as e:
        raise UsageError(f"cannot run git: {e.strerror}") from None
    if done.returncode != 0:
        lines = done.stderr.decode(errors="replace").strip().splitlines()
        raise UsageError(f"git: {lines[-1] if lines else 'failed'} (in {repo})")
    return done.stdout.decode("utf-8", errors="replace")


def _commit(repo: Path, rev: str) -> str:
    """The commit `rev` names, or "" when it names none."""
    try:
        return _git(repo, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}").strip()
    except UsageError:
        return ""


def _day(text: str, option: str) -> dt.date:
    try:
        return parse_date(text)
    except ValueError:
        raise UsageError(f"{option} {text!r} is not a date (YYYY-MM-DD) nor a revision") from None


def top_level(repo: Path) -> Path:
    """The repository's top folder, or a UsageError that says `repo` is not in a git repository."""
    try:
        return Path(_git(repo, "rev-parse", "--show-toplevel").strip())
    except UsageError:
        raise UsageError(f"{repo} is not inside a git repository (history reads its revisions)") from None


def commits(
    repo: Path,
    paths: Sequence[str],
    since: str | None = None,
    until: str | None = None,
    first_parent: bool = False,
    as_of: dt.date | None = None,
) -> list[Revision]:
    """The commits that touched `paths`, oldest first. `since`/`until` are a date (YYYY-MM-DD, by commit
    date, both inclusive) or a revision (`since` exclusive, as in `since..until`; `until` inclusive)."""
    args = ["rev-list", "--reverse", "--format=%H%x00%ct%x00%s"]
    if first_parent:
        args.append("--first-parent")
    head = "HEAD"
    if until is not None:
        if _DATE.match(until):
            end = _day(until, "--until") + dt.timedelta(days=1)
            args.append(f"--until={end.isoformat()}T00:00:00Z")
        else:
            head = _resolve(repo, until, "--until")
    if since is not None:
        if _DATE.match(since):
            args.append(f"--since={_day(since, '--since').isoformat()}T00:00:00Z")
        else:
            args.append(f"^{_resolve(repo, since, '--since')}")
    out = _git(repo, *args, head, "--", *paths)
    revisions = []
    for line in out.splitlines():
        if line.startswith("commit ") or not line:
            continue
        sha, stamp, subject = line.split("\0", 2)
        committed = dt.datetime.fromtimestamp(int(stamp), dt.UTC).date()
        revisions.append(Revision(sha[:12], as_of or committed, subject, sha, None, committed))
    return revisions


def _resolve(repo: Path, rev: str, option: str) -> str:
    sha = _commit(repo, rev)
    if not sha:
        raise UsageError(f"{option} {rev!r}: no such revision (or date YYYY-MM-DD) in {repo}")
    return sha


def folders(paths: Sequence[Path], as_of: dt.date | None = None) -> list[Revision]:
    """Snapshot folders, each holding lab_profiles/ and rules/, in date order. A folder is evaluated at the
    date its name starts with (`2026-03-01`, `2026-03-01-after-rsp`), or at `as_of`."""
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
            try:
                date = parse_date(match.group(1))
            except ValueError:
                raise UsageError(f"{path}: {match.group(1)} is not a date") from None
        else:
            raise UsageError(
                f"{path}: a snapshot folder's name must start with its date (YYYY-MM-DD), or give --as-of"
            )
        out.append(Revision(str(path), date, "", None, path))
    return sorted(out, key=lambda r: (r.date, r.ref))


def shallow(top: Path) -> bool:
    """Whether the repository is a shallow clone (its history cut off: a ratchet cannot see it all)."""
    return _git(top, "rev-parse", "--is-shallow-repository").strip() == "true"


def window(top: Path, paths: Sequence[str], start: dt.date, end: dt.date) -> list[Revision]:
    """The commits that touched `paths` from `start` to `end` (by commit date), oldest first, preceded by
    the last one before `start`: its values still stood when the window opened."""
    before = _git(
        top, "rev-list", "-1", f"--until={start.isoformat()}T00:00:00Z", "HEAD", "--", *paths
    ).strip()
    inside = commits(top, paths, since=start.isoformat(), until=end.isoformat())
    if before:
        stamp = _git(top, "show", "-s", "--format=%ct%x00%s", before).strip()
        seconds, _, subject = stamp.partition("\0")
        date = dt.datetime.fromtimestamp(int(seconds), dt.UTC).date()
        inside.insert(0, Revision(before[:12], date, subject, before, None, date))
    return inside


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
