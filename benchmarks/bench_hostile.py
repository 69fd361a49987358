"""Hostile and huge inputs: every one must end fast, in bounded memory, with the right exit code.

Each case writes its data set into a temporary folder and runs one `parity` command in a fresh process,
measuring wall time and that process's peak RSS. Run from the repository root:

    .venv/bin/python benchmarks/bench_hostile.py [--only NAME ...] [--practices N]

Exit status: 0 when every case exited with its expected code; 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

EVIDENCE = "evidence: [{url: 'https://lab.example/x', date: 2026-01-01}]"
PACK = (
    "pack: p\nversion: '1'\ntags: {frontier: Frontier labs}\nindicators:\n"
    "  cadence: {title: Cadence, area: risk, type: number, better: lower}\n"
    "rules:\n  - {id: cadence-best, indicator: cadence, bar: best, severity: high}\n"
)
LABS = "a"  # one lab: the size of one profile is what is bounded
LAB = f"id: a\nname: A\ntags: [frontier]\npractices:\n  cadence: {{value: 6, {EVIDENCE}}}\n"


@dataclass
class Case:
    name: str
    what: str
    expect: int
    build: Callable[[Path, int], list[str]]  # writes the data set, returns the parity arguments


def _base(root: Path, profile: str = LAB, pack: str = PACK) -> None:
    (root / "lab_profiles").mkdir()
    (root / "rules").mkdir()
    (root / "lab_profiles/a.yaml").write_text(profile, encoding="utf-8")
    (root / "rules/p.yaml").write_text(pack, encoding="utf-8")


def alias_bomb(root: Path, n: int) -> list[str]:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [{', '.join([f'*{p}'] * 10)}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    )
    _base(root, bomb)
    return ["validate"]


def oversized(root: Path, n: int) -> list[str]:
    _base(root)
    with (root / "lab_profiles/a.yaml").open("r+b") as f:
        f.truncate(65 * 1024 * 1024)  # sparse: 65 MiB that nobody should read
    return ["validate"]


def device_waivers(root: Path, n: int) -> list[str]:
    _base(root)
    return ["check", "--waivers", "/dev/zero"]


def deep_nesting(root: Path, n: int) -> list[str]:
    _base(root, "id: a\nname: A\nnote: " + "[" * 100_000 + "]" * 100_000 + "\n")
    return ["validate"]


def misspelled(root: Path, n: int) -> list[str]:
    practices = "".join(f"  cadnce{i}: {{value: 1, {EVIDENCE}}}\n" for i in range(n))
    _base(root, "id: a\nname: A\ntags: [frontier]\npractices:\n" + practices)
    return ["validate"]


def huge_valid(root: Path, n: int) -> list[str]:
    indicators = "".join(
        f"  p{i}: {{title: P{i}, area: a, type: number, better: higher}}\n" for i in range(n)
    )
    rules = "".join(f"  - {{id: r{i}, indicator: p{i}, bar: best, severity: low}}\n" for i in range(100))
    pack = "pack: p\nversion: '1'\ntags: {frontier: F}\nindicators:\n" + indicators + "rules:\n" + rules
    _base(root, pack=pack)
    for lab in LABS:
        practices = "".join(f"  p{i}: {{value: {i % 7}, {EVIDENCE}}}\n" for i in range(n))
        text = f"id: {lab}\nname: {lab.upper()}\ntags: [frontier]\npractices:\n" + practices
        (root / f"lab_profiles/{lab}.yaml").write_text(text, encoding="utf-8")
    return ["check", "--as-of", "2026-12-01", "--format", "json"]


CASES = [
    Case("alias-bomb", "9 levels of 10 aliases (10^9 nodes expanded)", 2, alias_bomb),
    Case("oversized", "a 65 MiB profile (sparse)", 2, oversized),
    Case("dev-zero", "--waivers /dev/zero", 2, device_waivers),
    Case("deep-nesting", "100,000 nested lists", 2, deep_nesting),
    Case("misspelled", "N misspelled practices in one profile", 2, misspelled),
    Case("huge-valid", "a lab of N valid practices, N indicators, 100 rules", 0, huge_valid),
]


def run(case: Case, n: int) -> tuple[int, float, float, int]:
    """(exit code, seconds, peak RSS in MB, bytes of input) of the case's command in a fresh process."""
    with tempfile.TemporaryDirectory() as d:
        root = Path(d)
        args = case.build(root, n)
        size = sum(p.stat().st_size for p in root.rglob("*.yaml") if p.is_file())
        wrapper = (
            "import resource, subprocess, sys, time\n"
            "t = time.perf_counter()\n"
            "quiet = subprocess.DEVNULL\n"
            "code = subprocess.run(sys.argv[1:], stdout=quiet, stderr=quiet).returncode\n"
            "dt = time.perf_counter() - t\n"
            "print(code, dt, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
        )
        parity = str(Path(sys.executable).parent / "parity")
        done = subprocess.run(
            [sys.executable, "-c", wrapper, parity, *args],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        )
        code, seconds, rss_kb = done.stdout.split()
        return int(code), float(seconds), int(rss_kb) / 1024, size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", nargs="*", help="run only these cases")
    parser.add_argument("--practices", type=int, default=100_000, help="N for the cases that take one")
    args = parser.parse_args()
    print(f"{'case':14} {'what':55} {'input':>9} {'exit':>4} {'time':>8} {'peak RSS':>9}")
    ok = True
    for case in CASES:
        if args.only and case.name not in args.only:
            continue
        code, seconds, rss, size = run(case, args.practices)
        what = case.what.replace("N", f"{args.practices:,}")
        flag = "" if code == case.expect else f"  UNEXPECTED (expected {case.expect})"
        ok &= code == case.expect
        print(f"{case.name:14} {what:55} {size / 1e6:7.1f}MB {code:>4} {seconds:7.2f}s {rss:7.0f}MB{flag}")
    return 0 if ok else 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    sys.exit(main())
