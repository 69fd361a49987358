"""What the tests share: the test world and its evaluation date, golden files, a git with no user
configuration, an in-place file edit, the JSON report of a Dataset, parity run in a fresh process."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import parity

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
WORLD = TESTS / "data" / "world"  # three labs, two packs, waivers: the data most tests judge
GOLDEN = TESTS / "golden"
# The date the world is judged at (its goldens are pinned to it), as a date and as the CLI option.
AS_OF = dt.date(2026, 11, 26)
AS_OF_ARG = f"--as-of={AS_OF.isoformat()}"
# The date the shipped data's figures in README.md and its goldens are pinned to.
SHIPPED_AS_OF = dt.date(2026, 12, 1)
# A source for a value written in a test's YAML (a practice needs evidence to be disclosed).
EVIDENCE_YAML = "evidence: [{url: 'https://e.org', date: 2026-01-01}]"

# git with a fixed identity and no user or system configuration, so the tests run the same anywhere.
GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.org",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.org",
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_CONFIG_SYSTEM": "/dev/null",
    "PATH": "/usr/bin:/bin:/usr/local/bin",
}


def git(repo: Path, *args: str, date: str | None = None) -> str:
    """Run git in `repo`; with `date` (YYYY-MM-DD), as the author and committer date at noon UTC."""
    env = dict(GIT_ENV)
    if date:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = f"{date}T12:00:00Z"
    done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout


@dataclass
class Result:
    """A finished command: its exit code, stdout and stderr."""

    code: int
    out: str
    err: str


def edit_file(path: Path, old: str, new: str) -> None:
    """Replace the first `old` in a text file with `new`; `old` must be there."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def report_json(data: parity.Dataset, as_of: dt.date = AS_OF) -> str:
    """The JSON report of a Dataset evaluated at `as_of`."""
    return parity.render(parity.evaluate(data, as_of=as_of), "json")


def parity_process(*args: str, cwd: Path, env: dict[str, str] | None = None) -> Result:
    """`python -m parity ARGS` in a fresh process."""
    done = subprocess.run(
        [sys.executable, "-m", "parity", *args], cwd=cwd, env=env, capture_output=True, text=True
    )
    return Result(done.returncode, done.stdout, done.stderr)
