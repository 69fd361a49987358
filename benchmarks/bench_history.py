"""Time a history: every revision of a synthetic repository evaluated three ways, the results compared.

    python benchmarks/bench_history.py [--revisions 500] [--labs 300] [--indicators 60] [--rules 120]

Builds a git repository (with `git fast-import`) whose first commit is benchmarks/generate.py's world and
whose every later commit changes one or two lab profiles (one to three values each), one day after the
last. Then, revision after revision, oldest first, each evaluated at its commit date:

  full         a fresh load_revision (no cache) and parity.evaluate;
  reused       load_revision through a parse cache that holds every file of the revision already (an
               untimed load warms it), and parity.evaluate;
  incremental  what `parity history` does: a RevisionLoader through its own such cache (one pair of git
               processes; only the profiles that changed are read), incremental.Evaluator, and the
               collector paused for the walk (parity._gc.paused_walk).

It prints, per mode, the mean, median, 95th percentile and total time per revision. The verdicts, lab
summaries, derived values and waiver issues of the three must be equal on every revision measured, and the
rendered JSON byte-identical every --json-every revisions; exit status 1 when they are not, 2 on a usage or
setup error. Full and reused evaluation cost seconds per revision at full size: `--sample K` measures them
(and compares) on every K-th revision only, and their totals are then estimated from the mean.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import generate  # the same world as the other benchmarks; the script's folder is on sys.path

import parity
from parity._gc import paused_walk
from parity.judge.incremental import Evaluator
from parity.loading import RevisionLoader
from parity.loading.cache import ParseCache

START = dt.datetime(2025, 1, 1, 12, tzinfo=dt.UTC)
_VALUE = re.compile(r"^    value: (true|false|-?[0-9]+(?:\.[0-9]+)?)$", re.M)
GIT_ENV = {
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_CONFIG_SYSTEM": "/dev/null",
    "PATH": "/usr/bin:/bin:/usr/local/bin",
}


def edited(rng: random.Random, text: str) -> str:
    """The profile with one to three of its boolean or number values changed."""
    found = list(_VALUE.finditer(text))
    for match in sorted(rng.sample(found, min(len(found), rng.randint(1, 3))), key=lambda m: -m.start()):
        old = match.group(1)
        if old in ("true", "false"):
            new = "false" if old == "true" else "true"
        elif "." in old:
            new = repr(round(max(0.0, float(old) + rng.uniform(-5, 5)), 2))
        else:
            new = str(max(0, int(old) + rng.randint(-5, 5)))
        text = text[: match.start(1)] + new + text[match.end(1) :]
    return text


def history(args: argparse.Namespace, world: Path) -> list[dict[str, str]]:
    """What each commit writes: every file for the first, one or two changed profiles for the others."""
    generate.write(world, args.seed, args.labs, args.indicators, args.rules)
    files = {p.relative_to(world).as_posix(): p.read_text(encoding="utf-8") for p in world.rglob("*.yaml")}
    profiles = sorted(k for k in files if k.startswith("lab_profiles/"))
    rng = random.Random(f"{args.seed}-history")
    commits = [dict(sorted(files.items()))]
    for _ in range(args.revisions - 1):
        changes = {}
        for path in rng.sample(profiles, rng.choice((1, 1, 2))):
            files[path] = changes[path] = edited(rng, files[path])
        commits.append(changes)
    return commits


def fast_import(repo: Path, commits: list[dict[str, str]]) -> list[tuple[str, dt.date]]:
    """The commits written with `git fast-import`; each commit's id and date, oldest first."""
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True, env=GIT_ENV)
    stream: list[bytes] = []
    for i, changes in enumerate(commits):
        when = int((START + dt.timedelta(days=i)).timestamp())
        message = f"revision {i}".encode()
        stream.append(f"commit refs/heads/main\nmark :{i + 1}\n".encode())
        stream.append(f"committer bench <bench@example.org> {when} +0000\n".encode())
        stream.append(b"data %d\n%s\n" % (len(message), message))
        if i:
            stream.append(f"from :{i}\n".encode())
        for path, text in changes.items():
            data = text.encode()
            stream.append(b"M 100644 inline %s\ndata %d\n%s\n" % (path.encode(), len(data), data))
    subprocess.run(
        ["git", "-C", str(repo), "fast-import", "--quiet"], input=b"".join(stream), check=True, env=GIT_ENV
    )
    out = subprocess.run(
        ["git", "-C", str(repo), "log", "--reverse", "--format=%H %cs", "main"],
        capture_output=True,
        text=True,
        check=True,
        env=GIT_ENV,
    ).stdout
    return [(sha, dt.date.fromisoformat(day)) for sha, day in (line.split() for line in out.splitlines())]


def same(a: parity.Report, b: parity.Report) -> bool:
    return (a.verdicts, a.labs, a.derived, a.waiver_issues) == (
        b.verdicts,
        b.labs,
        b.derived,
        b.waiver_issues,
    )


def timed(work: Callable[[], parity.Report]) -> tuple[parity.Report, float]:
    start = time.perf_counter()
    report = work()
    return report, time.perf_counter() - start


def measure(args: argparse.Namespace, repo: Path, revisions: list[tuple[str, dt.date]]) -> int:
    failures = 0
    with RevisionLoader(repo, cache=ParseCache(None)) as loader, paused_walk() as step:
        modes = _Modes(args, repo, loader, step)
        for i, (sha, as_of) in enumerate(revisions):
            failures += not modes.revision(i, sha, as_of)
    print(summary(modes.times, len(revisions), args, modes.fallbacks))
    if failures:
        print(f"FAILED: {failures} revision(s) where the modes disagree")
        return 1
    print(f"verdicts identical on every revision compared ({len(modes.times['full'])})")
    return 0


MODES = ("full", "reused", "incremental", "incremental load")


class _Modes:
    """The three ways of evaluating, revision after revision, with their times."""

    def __init__(
        self, args: argparse.Namespace, repo: Path, loader: RevisionLoader, step: Callable[[], None]
    ) -> None:
        self.args, self.repo, self.loader, self.step = args, repo, loader, step
        self.times: dict[str, list[float]] = {m: [] for m in MODES}
        self.reused_cache, self.evaluator = ParseCache(None), Evaluator()
        self.fallbacks = 0

    def revision(self, i: int, sha: str, as_of: dt.date) -> bool:
        """Incremental, timed; on every --sample-th revision full and reused too, and all compared.
        False when they differ."""
        times, repo = self.times, self.repo
        start = time.perf_counter()
        self.step()
        data = self.loader.load(sha)
        times["incremental load"].append(time.perf_counter() - start)
        incremental = self.evaluator.evaluate(data, as_of=as_of)
        times["incremental"].append(time.perf_counter() - start)
        self.fallbacks += self.evaluator.stats.full
        if i % self.args.sample:
            return True
        parity.load_revision(repo, sha, cache=self.reused_cache)  # untimed: every file of it is now parsed
        start = time.perf_counter()
        warm = parity.load_revision(repo, sha, cache=self.reused_cache)
        reused = parity.evaluate(warm, as_of=as_of)
        times["reused"].append(time.perf_counter() - start)
        full, seconds = timed(lambda: parity.evaluate(parity.load_revision(repo, sha), as_of=as_of))
        times["full"].append(seconds)
        ok = same(full, incremental) and same(full, reused)
        if ok and i % self.args.json_every == 0:
            rendered = {parity.render(report, "json") for report in (full, incremental, reused)}
            ok = len(rendered) == 1
        print(
            f"  revision {i + 1}: full {seconds:.3f} s, incremental {times['incremental'][-1] * 1000:.0f} ms",
            file=sys.stderr,
        )
        if not ok:
            print(f"revision {i} ({sha[:12]}, as of {as_of}): incremental or reused differs", file=sys.stderr)
        return ok


def summary(modes: dict[str, list[float]], revisions: int, args: argparse.Namespace, fallbacks: int) -> str:
    lines = [
        f"{revisions} revisions of {args.labs} labs x {args.indicators} indicators x {args.rules} rules, "
        f"each changing 1-2 profiles; full and reused measured on every {args.sample}. revision",
        f"{'mode':<17}{'revisions':>10}{'mean':>11}{'median':>11}{'p95':>11}{'total':>12}",
    ]
    for mode, times in modes.items():
        ordered = sorted(times)
        p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
        total = statistics.fmean(times) * revisions  # estimated from the mean where sampled
        mark = "" if len(times) == revisions else " (est.)"
        lines.append(
            f"{mode:<17}{len(times):>10}{statistics.fmean(times) * 1000:>9.0f}ms"
            f"{statistics.median(times) * 1000:>9.0f}ms{p95 * 1000:>9.0f}ms{total:>10.1f} s{mark}"
        )
    lines.append(f"incremental fell back to a full evaluation on {fallbacks} revision(s) (the first is one)")
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--revisions", type=generate.positive, default=500, help="commits (default 500)")
    parser.add_argument("--labs", type=generate.positive, default=300, help="lab profiles (default 300)")
    parser.add_argument("--indicators", type=generate.positive, default=60, help="indicators (default 60)")
    parser.add_argument("--rules", type=generate.positive, default=120, help="rules (default 120)")
    parser.add_argument("--seed", type=int, default=0, help="data set and history seed (default 0)")
    parser.add_argument(
        "--sample",
        type=generate.positive,
        default=1,
        help="measure full and reused every K-th revision (default 1)",
    )
    parser.add_argument(
        "--json-every",
        type=generate.positive,
        default=1,
        help="compare rendered JSON every N-th compared revision",
    )
    parser.add_argument(
        "--keep", type=Path, metavar="DIR", help="build the repository in DIR (must not exist)"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.keep is not None and args.keep.exists():
        print(f"error: {args.keep} already exists", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="parity-history-") as tmp:
        root = args.keep or Path(tmp)
        print(f"building {args.revisions} revisions in {root / 'repo'} ...", file=sys.stderr)
        start = time.perf_counter()
        revisions = fast_import(root / "repo", history(args, root / "world"))
        print(f"built in {time.perf_counter() - start:.1f} s", file=sys.stderr)
        code = measure(args, root / "repo", revisions)
        return code or command(root / "repo", len(revisions))


def command(repo: Path, revisions: int) -> int:
    """`parity history` itself, end to end: the timeline, every load and evaluation, the regressions,
    alarms and bars; the figure a user sees."""
    from parity.history import run

    start = time.perf_counter()
    result = run(repo)
    total = time.perf_counter() - start
    walked = len(result.revisions)
    if result.skipped or not walked:
        print(f"history skipped {len(result.skipped)} of {revisions} revisions", file=sys.stderr)
        return 1
    # An edit that happens to change nothing makes a commit that touches no data: history leaves it out.
    print(
        f"parity history: {walked} revisions that touched the data (of {revisions} commits), {total:.1f} s; "
        f"{1000 * total / walked:.0f} ms per revision; {len(result.regressions)} regressions, "
        f"{len(result.alarms)} alarms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
