"""What reading one YAML document keeps in memory, for every shape of YAML: the peak measured with
tracemalloc around `yamldoc.parse` (as a profile is read: positions two levels deep; as a pack is read:
every position), as a multiple of the file's size. Run from the repository root:

    .venv/bin/python benchmarks/bench_yaml.py [--size BYTES] [--only SHAPE ...] [--cli]

Each shape is a document of about `--size` bytes (default 8 MB, the size of the profile that once took
288 MB to reject). A hostile shape is refused once it would keep more than `yamldoc.KEPT_RATIO` times its
size; a real document keeps far less. With `--cli`, each shape is instead the practice value of a lab profile
(or the profile itself, for the shapes that are whole documents) checked by `parity validate` in a fresh
process, and the figure is that process's peak RSS (the interpreter with parity imported is about 35 MB).
Exit status 0; it measures, it does not judge.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from parity.errors import LoadError
from parity.loading import yamldoc

HEAD = "id: a\nname: A\npractices:\n  x:\n    value: "
_PRACTICE = "  p{i}: {{value: 1, evidence: [{{url: https://e.org/{i}, date: 2026-01-01}}]}}\n"
SHAPES: dict[str, Callable[[int], str]] = {
    "flow-numbers": lambda n: HEAD + "[" + "1, " * (n // 3) + "1]\n",
    "flow-numbers-top": lambda n: "[" + "1, " * (n // 3) + "1]\n",
    "flow-strings": lambda n: "tags: [" + ", ".join(f"t{i}" for i in range(n // 9)) + "]\n",
    "empty-mappings": lambda n: "rules: [" + "{}, " * (n // 4) + "{}]\n",
    "empty-sequences": lambda n: "rules: [" + "[], " * (n // 4) + "[]]\n",
    "nested-sequences": lambda n: "rules: [" + "[1], " * (n // 5) + "[1]]\n",
    "one-key-mappings": lambda n: "rules: [" + "{a: 1}, " * (n // 8) + "{a: 1}]\n",
    "flow-mapping": lambda n: "{" + ", ".join(f"k{i}: 1" for i in range(n // 10)) + "}\n",
    "block-mapping": lambda n: "".join(f"k{i}: v\n" for i in range(n // 10)),
    "block-sequence": lambda n: "".join(f"- s{i}\n" for i in range(n // 8)),
    "long-strings": lambda n: "".join(f"k{i}: {'x' * 200}\n" for i in range(n // 210)),
    "practices": lambda n: (
        "practices:\n"
        + "".join(
            f"  p{i}: {{value: 1, evidence: [{{url: https://e.org/{i}, date: 2026-01-01}}]}}\n"
            for i in range(n // 70)
        )
    ),
}


def measure(raw: bytes, depth: int | None) -> tuple[float, float, str]:
    tracemalloc.start()
    started = time.perf_counter()
    try:
        yamldoc.parse(raw, "f.yaml", depth)
        outcome = "read"
    except LoadError as e:
        outcome = "refused: " + e.problems[0].message.split(":")[0].split(";")[0]
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak, seconds, outcome


PACK = (
    "pack: p\nversion: '1'\ntags: {frontier: Frontier labs}\nindicators:\n"
    "  x: {title: X, area: risk, type: number, better: lower}\n"
    "rules:\n  - {id: x-best, indicator: x, bar: best, severity: high}\n"
)
RSS = (
    "import resource, subprocess, sys; done = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
    "print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, "
    "(done.stderr.splitlines() or [''])[0][:90])"
)


def measure_cli(text: str) -> tuple[int, int, str, float]:
    """(exit code, peak RSS in bytes, first line of stderr, seconds) of `parity validate` on a lab whose
    profile is `text`."""
    with tempfile.TemporaryDirectory() as d:
        root = Path(d)
        (root / "lab_profiles").mkdir()
        (root / "rules").mkdir()
        (root / "rules/p.yaml").write_text(PACK, encoding="utf-8")
        (root / "lab_profiles/a.yaml").write_text(text, encoding="utf-8")
        parity = Path(sys.executable).parent / "parity"
        started = time.perf_counter()
        argv = [sys.executable, "-c", RSS, str(parity), "validate", "--no-cache"]
        out = subprocess.run(argv, cwd=root, capture_output=True, text=True).stdout
        code, rss, first = out.rstrip("\n").split(" ", 2)
        return int(code), int(rss) * 1024, first, time.perf_counter() - started


def main_cli(args: argparse.Namespace) -> int:
    ratio = getattr(yamldoc, "KEPT_RATIO", None)
    print(f"parity validate on one lab profile; peak RSS of the process; KEPT_RATIO {ratio}")
    print(f"{'shape':18} {'input':>8} {'peak RSS':>9} {'x input':>8} {'time':>6}  exit, first line")
    for name in args.only or list(SHAPES):
        text = SHAPES[name](args.size)
        if text.startswith(("tags:", "rules:", "practices:", "k0:", "- ")):
            text = "id: a\nname: A\n" + text  # the shapes that are a profile's key: in a profile
        code, rss, first, seconds = measure_cli(text)
        size = len(text.encode())
        figures = f"{size / 1e6:6.1f}MB {rss / 1e6:7.0f}MB {rss / size:7.1f}x {seconds:5.1f}s"
        print(f"{name:18} {figures}  {code}, {first}", flush=True)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=8 * 1024 * 1024)
    parser.add_argument("--only", nargs="*", choices=sorted(SHAPES))
    parser.add_argument("--cli", action="store_true", help="peak RSS of `parity validate` instead")
    args = parser.parse_args()
    if args.cli:
        return main_cli(args)
    ratio, floor = getattr(yamldoc, "KEPT_RATIO", None), getattr(yamldoc, "MIN_KEPT", 0) // 2**20
    print(f"KEPT_RATIO {ratio}, MIN_KEPT {floor} MB; peak by tracemalloc; time under tracemalloc")
    print(
        f"{'shape':18} {'input':>8}  {'as a profile (2 levels of positions)':40}  as a pack (every position)"
    )
    for name in args.only or list(SHAPES):
        raw = SHAPES[name](args.size).encode()
        size = len(raw)
        cells = []
        for depth in (2, None):
            peak, seconds, outcome = measure(raw, depth)
            cells.append(f"{peak / 1e6:6.1f}MB {peak / size:4.1f}x {outcome[:20]:20} {seconds:4.0f}s")
        print(f"{name:18} {size / 1e6:6.1f}MB  {cells[0]:40}  {cells[1]}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
