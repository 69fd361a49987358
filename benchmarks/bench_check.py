"""Time `parity check` as a whole process against the floor of only parsing the same YAML.

    python benchmarks/bench_check.py --labs 300 --indicators 60 --rules 120 [--repeat 3] [--double]

Generates a synthetic data set (benchmarks/generate.py) into a temporary directory, then runs, each in a
fresh subprocess and interleaved, best of --repeat:

  floor  a fresh Python that only does yaml.load(f, Loader=yaml.CSafeLoader) on every YAML file;
  check  parity check --as-of 2026-11-26 --format json --profiles D/lab_profiles --rules D/rules,
         stdout to a file, using the `parity` console script next to sys.executable.

It prints wall time of both, the ratio check/floor and the peak RSS of each command (max over runs).
--double also measures 2x labs and prints the time ratio. Exit status: 0 done; 1 `parity check` failed
(any non-zero exit: the default --fail-on is never) or wrote no valid JSON report; 2 usage or setup error.
Target misses are reported, not turned into a failing exit status: timings are noisy (see README.md).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from generate import positive  # the same argument check; the script's folder is on sys.path

HERE = Path(__file__).resolve().parent
GENERATE = HERE / "generate.py"
RATIO_TARGET = 3.0  # check within 3x the parse time at 300 x 60 x 120
DOUBLING_TARGET = 2.3  # doubling the labs at most 2.3x the time
MEMORY_TARGET = 10**9  # peak RSS under 1 GB at 1,000 x 100 x 200

# Runs one command with stdout to a file and reports its wall time and peak RSS. It is a fresh process
# per command, so RUSAGE_CHILDREN holds that command (and its own children) only, never a sum of runs.
WRAPPER = r"""
import json, resource, subprocess, sys, time
out, timeout, cmd = sys.argv[1], float(sys.argv[2]), sys.argv[3:]
with open(out, "wb") as stdout:
    start = time.perf_counter()
    try:
        proc = subprocess.run(cmd, stdout=stdout, stderr=subprocess.PIPE, timeout=timeout)
        rc, err = proc.returncode, proc.stderr
    except subprocess.TimeoutExpired as exc:
        rc, err = -1, (exc.stderr or b"") + b"\ntimed out after %d s" % timeout
    wall = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = usage.ru_utime + usage.ru_stime
report = {"rc": rc, "wall": wall, "cpu": cpu, "maxrss": usage.ru_maxrss}
print(json.dumps({**report, "stderr": err.decode("utf-8", "replace")[-3000:]}))
"""

# The floor: start Python, import yaml, parse every YAML file of the data set with libyaml.
FLOOR = r"""
import sys
from pathlib import Path
import yaml
if not hasattr(yaml, "CSafeLoader"):
    sys.exit("PyYAML is built without libyaml: no yaml.CSafeLoader, so there is no fair floor")
for sub in ("lab_profiles", "rules"):
    for path in sorted(Path(sys.argv[1], sub).rglob("*")):
        if path.suffix in (".yaml", ".yml"):
            with open(path, encoding="utf-8") as f:
                yaml.load(f, Loader=yaml.CSafeLoader)
"""


class BenchError(Exception):
    """A command failed; `code` is the exit status bench_check should end with."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Run:
    """One measured run of one command."""

    wall: float  # seconds
    rss: int  # bytes
    cpu: float = 0.0  # user + system seconds: steadier than wall time on a shared virtual machine


@dataclass(frozen=True)
class Result:
    """Best-of-N timings for one data set."""

    labs: int
    indicators: int
    rules: int
    floor: Run
    check: Run | None
    verdicts: int | None
    cold: Run | None = None  # --cache: check with an empty parse cache
    warm: Run | None = None  # --cache: check with the cache the cold run filled (its run reused)
    parsed: Run | None = None  # --cache: the parse cache filled, no run kept (as after an edit)

    @property
    def label(self) -> str:
        return f"{self.labs} x {self.indicators} x {self.rules}"

    @property
    def ratio(self) -> float | None:
        return self.check.wall / self.floor.wall if self.check else None

    @property
    def cpu_ratio(self) -> float | None:
        return self.check.cpu / self.floor.cpu if self.check and self.floor.cpu else None


# --------------------------------------------------------------------------------------------------
# Running commands


def rss_bytes(maxrss: int) -> int:
    """ru_maxrss is in kilobytes on Linux and in bytes on macOS."""
    return maxrss if sys.platform == "darwin" else maxrss * 1024


def measure(cmd: Sequence[str], out: Path, timeout: float, what: str) -> Run:
    """Run cmd once inside the wrapper; raise BenchError when it fails."""
    wrapped = [sys.executable, "-c", WRAPPER, str(out), str(timeout), *cmd]
    proc = subprocess.run(wrapped, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise BenchError(f"the measuring wrapper failed for {what}:\n{proc.stderr.strip()}", 2)
    report = json.loads(proc.stdout)
    if report["rc"] != 0:
        raise BenchError(
            f"{what} failed with exit status {report['rc']}: {' '.join(cmd)}\n{report['stderr'].rstrip()}"
        )
    return Run(wall=report["wall"], rss=rss_bytes(report["maxrss"]), cpu=report["cpu"])


def floor_cmd(data: Path) -> list[str]:
    return [sys.executable, "-c", FLOOR, str(data)]


def check_cmd(parity: Path, data: Path, as_of: str, cache: Path | None = None) -> list[str]:
    """parity check of the data set; with no parse cache unless `cache` names its folder."""
    return [
        str(parity),
        "check",
        "--as-of",
        as_of,
        "--format",
        "json",
        "--profiles",
        str(data / "lab_profiles"),
        "--rules",
        str(data / "rules"),
        *(["--cache-dir", str(cache)] if cache else ["--no-cache"]),
    ]


def best(runs: list[Run]) -> Run:
    """Fastest wall time; peak RSS over all runs (the conservative figure for a memory target)."""
    return Run(wall=min(r.wall for r in runs), rss=max(r.rss for r in runs), cpu=min(r.cpu for r in runs))


def count_verdicts(report: Path) -> int:
    """Check the JSON report is one and return how many verdicts it holds."""
    try:
        with open(report, encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, ValueError) as exc:
        raise BenchError(f"parity check wrote no valid JSON to stdout ({report}): {exc}") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("verdicts"), list):
        raise BenchError(f"parity check's JSON report has no 'verdicts' list ({report})")
    return len(doc["verdicts"])


# --------------------------------------------------------------------------------------------------
# Data sets


def generate(data: Path, labs: int, indicators: int, rules: int, seed: int) -> None:
    """Write a data set with benchmarks/generate.py in a subprocess."""
    cmd = [
        sys.executable,
        str(GENERATE),
        str(data),
        "--labs",
        str(labs),
        "--indicators",
        str(indicators),
        "--rules",
        str(rules),
        "--seed",
        str(seed),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise BenchError(f"generate.py failed:\n{proc.stderr.strip()}", 2)


def bench(args: argparse.Namespace, parity: Path | None, root: Path, labs: int) -> Result:
    """Generate one data set and measure floor and check on it, interleaved, best of --repeat."""
    data = root / f"labs-{labs}"
    print(f"generating {labs} x {args.indicators} x {args.rules} in {data} ...", file=sys.stderr)
    generate(data, labs, args.indicators, args.rules, args.seed)
    floor_runs: list[Run] = []
    check_runs: list[Run] = []
    cold_runs: list[Run] = []
    warm_runs: list[Run] = []
    parsed_runs: list[Run] = []
    verdicts = None
    report = root / f"report-{labs}.json"
    if parity is not None and args.warmup:
        measure(check_cmd(parity, data, args.as_of), report, args.timeout, "parity check (warm-up)")
    for i in range(args.repeat):
        print(f"  run {i + 1}/{args.repeat}", file=sys.stderr)
        floor_runs.append(measure(floor_cmd(data), root / "floor.out", args.timeout, "the floor"))
        if parity is not None:
            cmd = check_cmd(parity, data, args.as_of)
            check_runs.append(measure(cmd, report, args.timeout, "parity check"))
            verdicts = count_verdicts(report)
            if args.cache:
                cold_runs.append(cached_check(args, parity, data, report, root / "cache", cold=True))
                warm_runs.append(cached_check(args, parity, data, report, root / "cache", cold=False))
                parsed_runs.append(cached_check(args, parity, data, report, root / "cache", runs=False))
    return Result(
        labs,
        args.indicators,
        args.rules,
        best(floor_runs),
        best(check_runs) if check_runs else None,
        verdicts,
        best(cold_runs) if cold_runs else None,
        best(warm_runs) if warm_runs else None,
        best(parsed_runs) if parsed_runs else None,
    )


def cached_check(
    args: argparse.Namespace,
    parity: Path,
    data: Path,
    report: Path,
    cache: Path,
    cold: bool = False,
    runs: bool = True,
) -> Run:
    """parity check with the parse cache in `cache`: emptied first when `cold`; without the runs it kept
    (docs/cache.md, "Runs") unless `runs`; the report must hold the same bytes as without a cache."""
    if cold:
        shutil.rmtree(cache, ignore_errors=True)
    if not runs:
        for kept in cache.glob("runs-*"):
            shutil.rmtree(kept)
    expected = report.read_bytes()
    run = measure(check_cmd(parity, data, args.as_of, cache), report, args.timeout, "parity check (cache)")
    if report.read_bytes() != expected:
        raise BenchError("parity check with the parse cache printed another report than without it")
    return run


# --------------------------------------------------------------------------------------------------
# Output


def mb(n: int) -> str:
    """Bytes as decimal megabytes (the targets are in GB = 1,000 MB)."""
    return f"{n / 10**6:,.0f} MB"


def table(results: list[Result], repeat: int) -> str:
    """A compact table of the results."""
    header = (
        "data (labs x ind x rules)",
        "verdicts",
        "floor",
        "check",
        "check/floor",
        "cpu check/floor",
        "floor RSS",
        "check RSS",
    )
    rows = [header]
    for r in results:
        rows.append(
            (
                r.label,
                f"{r.verdicts:,}" if r.verdicts is not None else "-",
                f"{r.floor.wall:.3f} s",
                f"{r.check.wall:.3f} s" if r.check else "-",
                f"{r.ratio:.2f}x" if r.ratio is not None else "-",
                f"{r.cpu_ratio:.2f}x" if r.cpu_ratio is not None else "-",
                mb(r.floor.rss),
                mb(r.check.rss) if r.check else "-",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [f"wall and cpu time best of {repeat}; peak RSS is the max over runs"]
    for row in rows:
        lines.append(
            "  ".join(
                cell.ljust(w) if i == 0 else cell.rjust(w)
                for i, (cell, w) in enumerate(zip(row, widths, strict=True))
            )
        )
    return "\n".join(lines)


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def cache_lines(results: list[Result]) -> list[str]:
    """--cache: check with an empty and with a filled parse cache, against the floor."""
    lines = []
    for r in results:
        if r.cold and r.warm and r.check:
            lines.append(
                f"{r.label}: check without cache {r.check.wall:.3f} s ({r.ratio:.2f}x floor), "
                f"cold cache {r.cold.wall:.3f} s ({r.cold.wall / r.floor.wall:.2f}x), "
                f"warm cache {r.warm.wall:.3f} s ({r.warm.wall / r.floor.wall:.2f}x); "
                f"cpu warm/floor {r.warm.cpu / r.floor.cpu:.2f}x"
                + (
                    f"; parses cached, no run kept {r.parsed.wall:.3f} s "
                    f"({r.parsed.wall / r.floor.wall:.2f}x)"
                    if r.parsed
                    else ""
                )
            )
    return lines


def target_lines(results: list[Result]) -> list[str]:
    """How the run compares with the targets in README.md (which sizes the targets are set at)."""
    base = results[0]
    lines = []
    if base.check is None:
        return ["(floor only: no targets to compare)"]
    ratio = base.ratio or 0.0
    lines.append(
        f"check/floor {ratio:.2f}x (cpu {base.cpu_ratio or 0.0:.2f}x): target <= {RATIO_TARGET:.1f}x "
        f"(at 300 x 60 x 120) {verdict(ratio <= RATIO_TARGET)}"
    )
    if len(results) > 1 and results[1].check is not None:
        growth = results[1].check.wall / base.check.wall
        floor_growth = results[1].floor.wall / base.floor.wall
        cpu_growth = results[1].check.cpu / base.check.cpu if base.check.cpu else 0.0
        lines.append(
            f"doubling labs: check time x{growth:.2f} (cpu x{cpu_growth:.2f}; floor x{floor_growth:.2f}): "
            f"target <= {DOUBLING_TARGET:.1f}x {verdict(growth <= DOUBLING_TARGET)}"
        )
    peak = max(r.check.rss for r in results if r.check)
    lines.append(
        f"check peak RSS {mb(peak)}: target < 1 GB (at 1,000 x 100 x 200) {verdict(peak < MEMORY_TARGET)}"
    )
    return lines


# --------------------------------------------------------------------------------------------------
# Main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labs", type=positive, default=300, help="lab profiles (default 300)")
    parser.add_argument("--indicators", type=positive, default=60, help="indicators (default 60)")
    parser.add_argument("--rules", type=positive, default=120, help="rules (default 120)")
    parser.add_argument(
        "--repeat", type=positive, default=3, help="runs of each command; the best counts (default 3)"
    )
    parser.add_argument("--double", action="store_true", help="also measure 2x labs and print the time ratio")
    parser.add_argument(
        "--cache", action="store_true", help="also time check with an empty and with a filled parse cache"
    )
    parser.add_argument("--seed", type=int, default=0, help="data set seed (default 0)")
    parser.add_argument("--as-of", default="2026-11-26", help="evaluation date for parity check")
    parser.add_argument(
        "--timeout", type=float, default=1800.0, help="seconds allowed per command (default 1800)"
    )
    parser.add_argument(
        "--no-warmup", dest="warmup", action="store_false", help="skip the untimed first run of parity check"
    )
    parser.add_argument(
        "--floor-only",
        action="store_true",
        help="measure only the floor (for when the parity CLI is not installed)",
    )
    parser.add_argument(
        "--keep",
        type=Path,
        metavar="DIR",
        help="write the data sets and reports under DIR (must not exist) and keep them",
    )
    return parser.parse_args(argv)


def find_parity() -> Path:
    """The `parity` console script of this interpreter's environment."""
    path = Path(sys.executable).parent / "parity"
    if not path.exists():
        raise BenchError(
            f"no parity console script at {path}; install the package (pip install -e .) "
            "or run with --floor-only",
            2,
        )
    return path


def run(args: argparse.Namespace, root: Path) -> int:
    parity = None if args.floor_only else find_parity()
    sizes = [args.labs, 2 * args.labs] if args.double else [args.labs]
    results = [bench(args, parity, root, labs) for labs in sizes]
    print(table(results, args.repeat))
    for line in cache_lines(results) + target_lines(results):
        print(line)
    return 0


def in_workdir(run: Callable[[argparse.Namespace, Path], int], args: argparse.Namespace) -> int:
    """Call run(args, folder) in --keep DIR or a temporary folder; a BenchError becomes its exit status."""
    keep = getattr(args, "keep", None)
    if keep is not None and keep.exists():
        print(f"error: {keep} already exists", file=sys.stderr)
        return 2
    try:
        if keep is not None:
            keep.mkdir(parents=True)
            return run(args, keep)
        with tempfile.TemporaryDirectory(prefix="parity-bench-") as tmp:
            return run(args, Path(tmp))
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.code


def main(argv: list[str] | None = None) -> int:
    return in_workdir(run, parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
