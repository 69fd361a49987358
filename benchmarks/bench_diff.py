"""Time `parity diff main` (the CI gate) against `parity check` of the same data, as whole processes.

    python benchmarks/bench_diff.py --labs 300 --indicators 60 --rules 120 [--repeat 3]
    python benchmarks/bench_diff.py --shipped [--repeat 3]

Builds a git repository in a temporary directory holding a synthetic data set (benchmarks/generate.py),
or a copy of this repository's lab_profiles/ and rules/ with --shipped, commits it on `main`, then edits
one lab's profile in the working tree (as a pull request would). It then runs, each in a fresh subprocess,
interleaved, best of --repeat:

  check  parity check --as-of D --format json                (one evaluation, from the working tree)
  diff   parity diff main --as-of D --format json            (the base read from git, both evaluated)

and prints wall time, CPU time and peak RSS of each, and diff/check. Exit status: 0 done; 1 a command
failed; 2 usage or setup error.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

from bench_check import BenchError, Run, best, find_parity, generate, in_workdir, mb, measure

ROOT = Path(__file__).resolve().parent.parent


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.invalid", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


def build(args: argparse.Namespace, repo: Path) -> str:
    """The repository with the data committed on main and one profile edited; returns what was edited."""
    if args.shipped:
        repo.mkdir()
        for folder in ("lab_profiles", "rules"):
            shutil.copytree(ROOT / folder, repo / folder)
    else:
        generate(repo, args.labs, args.indicators, args.rules, args.seed)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    edited = sorted((repo / "lab_profiles").glob("*.yaml"))[0]
    text = edited.read_text(encoding="utf-8")
    # Flip the first boolean value: a real change that moves this lab's verdicts, and perhaps others' bars.
    flip = {"true": "false", "false": "true"}
    changed, count = re.subn(r"\bvalue: (true|false)\b", lambda m: f"value: {flip[m[1]]}", text, count=1)
    if count != 1:
        raise BenchError(f"no boolean value to edit in {edited}", 2)
    edited.write_text(changed, encoding="utf-8")
    return edited.name


def count_changes(out: Path) -> int:
    doc = json.loads(out.read_text(encoding="utf-8"))
    if doc.get("schema") != "parity/diff/v1":
        raise BenchError(f"parity diff wrote no diff document ({out})")
    return len(doc["changes"])


def run(args: argparse.Namespace, root: Path) -> int:
    parity = str(find_parity())
    repo = root / "repo"
    edited = build(args, repo)
    check = [parity, "check", "--as-of", args.as_of, "--format", "json"]
    diff = [parity, "diff", "main", "--as-of", args.as_of, "--format", "json", "--repo", str(repo)]
    # Both commands read the working tree of `repo`: run them from there, as CI does.
    check = ["sh", "-c", 'cd "$0" && exec "$@"', str(repo), *check]
    diff = ["sh", "-c", 'cd "$0" && exec "$@"', str(repo), *diff]
    measure(diff, root / "warm.json", args.timeout, "parity diff")  # untimed warm-up
    runs: dict[str, list[Run]] = {"check": [], "diff": []}
    for _ in range(args.repeat):
        runs["check"].append(measure(check, root / "check.json", args.timeout, "parity check"))
        runs["diff"].append(measure(diff, root / "diff.json", args.timeout, "parity diff"))
    fast = {name: best(r) for name, r in runs.items()}
    size = "shipped data" if args.shipped else f"{args.labs} x {args.indicators} x {args.rules}"
    print(f"{size}; edited {edited}; diff found {count_changes(root / 'diff.json')} change(s)")
    print(f"best of {args.repeat}     wall s   cpu s   peak RSS")
    for name, r in fast.items():
        print(f"  {name:<14} {r.wall:7.2f} {r.cpu:7.2f}   {mb(r.rss)}")
    print(f"  diff/check     {fast['diff'].wall / fast['check'].wall:7.2f}")
    return 0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shipped", action="store_true", help="use this repository's shipped data")
    parser.add_argument("--labs", type=int, default=300, help="lab profiles (default 300)")
    parser.add_argument("--indicators", type=int, default=60, help="indicators (default 60)")
    parser.add_argument("--rules", type=int, default=120, help="rules (default 120)")
    parser.add_argument("--seed", type=int, default=0, help="data set seed (default 0)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each command (default 3)")
    parser.add_argument("--as-of", default="2026-12-01", help="evaluation date (default 2026-12-01)")
    parser.add_argument("--timeout", type=float, default=600, help="seconds per command (default 600)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    return in_workdir(run, parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
