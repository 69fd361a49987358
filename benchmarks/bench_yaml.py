"""What reading one YAML document keeps in memory, for every shape of YAML: the peak measured with
tracemalloc around `yamldoc.parse` (as a profile is read: positions two levels deep; as a pack is read:
every position), as a multiple of the file's size. Run from the repository root:

    .venv/bin/python benchmarks/bench_yaml.py [--size BYTES] [--only SHAPE ...]

Each shape is a document of about `--size` bytes (default 8 MB, the size of the profile that once took
288 MB to reject). A hostile shape is refused once it would keep more than `yamldoc.KEPT_RATIO` times its
size; a real document keeps far less. Exit status 0; it measures, it does not judge.
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from parity.errors import LoadError
from parity.loading import yamldoc

HEAD = "id: a\npractices:\n  x:\n    value: "
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=8 * 1024 * 1024)
    parser.add_argument("--only", nargs="*", choices=sorted(SHAPES))
    args = parser.parse_args()
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
