"""Time what people wait for at every start: `parity --version`, `--help`, and a `parity check` (and
`validate --strict`) of the shipped data whose run is kept (docs/cache.md, "Runs"), each against the floor
`python -c "import yaml"`, measured in turn (A B A B ...) so that each ratio is taken pair by pair.

    python benchmarks/bench_startup.py [--rounds 20] [--parity PATH]

Every command runs in a fresh process from the repository's top, with a private cache folder that one
untimed run of each command fills first. It prints, for each command, the median wall and CPU (user +
system) seconds of it and of the floor, and the median of the pair-by-pair ratios; exit status 1 when a
command exits otherwise than it should (0), 2 on a usage error.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AS_OF = "2026-12-01"
COMMANDS = {
    "--version": ["--version"],
    "--help": ["--help"],
    "check (kept run)": ["check", "--as-of", AS_OF],
    "validate --strict (kept run)": ["validate", "--strict", "--as-of", AS_OF],
}


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall, cpu) seconds of one command in a fresh process; exits 1 when it fails."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        sys.exit(f"{' '.join(cmd)} exited {done.returncode}: {done.stderr.decode(errors='replace')[-500:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--parity", type=Path, default=Path(sys.executable).parent / "parity")
    args = ap.parse_args()
    if not args.parity.exists():
        ap.error(f"{args.parity}: no such program (install parity, or give --parity)")
    floor = [sys.executable, "-c", "import yaml"]
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "PARITY_CACHE_DIR": cache}
        env.pop("GITHUB_ACTIONS", None)
        print(f"{args.rounds} rounds; floor: python -c 'import yaml'; medians")
        print(f"{'command':30} {'wall':>8} {'floor':>8} {'ratio':>6}   {'cpu':>8} {'floor':>8} {'ratio':>6}")
        for name, argv in COMMANDS.items():
            cmd = [str(args.parity), *argv]
            timed(cmd, env)  # fills the cache, and the operating system's
            pairs = [(timed(cmd, env), timed(floor, env)) for _ in range(args.rounds)]
            walls = [a[0] for a, _ in pairs], [b[0] for _, b in pairs]
            cpus = [a[1] for a, _ in pairs], [b[1] for _, b in pairs]
            wall_ratio = statistics.median(a[0] / b[0] for a, b in pairs)
            cpu_ratio = statistics.median(a[1] / b[1] for a, b in pairs if b[1] > 0)
            print(
                f"{name:30} {statistics.median(walls[0]):7.3f}s {statistics.median(walls[1]):7.3f}s "
                f"{wall_ratio:5.2f}x   {statistics.median(cpus[0]):7.3f}s {statistics.median(cpus[1]):7.3f}s "
                f"{cpu_ratio:5.2f}x"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
