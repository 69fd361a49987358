"""Time the scorecard against `check` on the same data, at N labs and at 2N, and a long lab name.

    python benchmarks/bench_site.py [--labs 2000] [--indicators 30] [--rules 60] [--repeat 1] [--name-chars 0]

Generates the data set with benchmarks/generate.py, then runs, each in a fresh process (`python -m parity`,
start-up included), `parity check --format json` (stdout to a file) and `parity scorecard -o DIR`, at
--labs and at twice as many. It prints each command's best wall time and peak RSS, the site's size, and
two ratios: scorecard / check at each size (the site's cost against the evaluation's), and the
scorecard's time at 2N / at N (2.0 is linear in labs). With --name-chars C, the first lab's name is made C
characters long, then 2C, and the bytes the site grows by, per character, say how many times the name is
written whole: in the site's pages, and in the whole site (report.json and scorecard.md are the formats'
output, embedded as `check` prints them).

Exit status: 0 when every command exited 0; 1 otherwise; 2 on a usage error.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
AS_OF = "2026-11-26"
MEASURE = (
    "import resource, subprocess, sys, time, json\n"
    "t = time.perf_counter(); rc = subprocess.call(sys.argv[2:], stdout=open(sys.argv[1], 'wb'))\n"
    "print(json.dumps({'rc': rc, 'wall': time.perf_counter() - t,"
    " 'rss': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024}))\n"
)


def measure(command: list[str], out: Path, cwd: Path) -> dict[str, float]:
    argv = [sys.executable, "-c", MEASURE, str(out), *command]
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=True)
    result: dict[str, float] = json.loads(done.stdout)
    return result


def generate(root: Path, labs: int, args: argparse.Namespace) -> Path:
    data = root / f"data-{labs}"
    subprocess.run(
        [sys.executable, str(HERE / "generate.py"), str(data), "--labs", str(labs),
         "--indicators", str(args.indicators), "--rules", str(args.rules)],
        check=True, capture_output=True,
    )  # fmt: skip
    return data


FORMATS = ("report.json", "scorecard.md")  # the formats' output, embedded as `check` prints it


def site_bytes(folder: Path, pages_only: bool = False) -> int:
    files = [p for p in folder.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files if not (pages_only and p.name in FORMATS))


def run_both(data: Path, root: Path, repeat: int) -> dict[str, float]:
    parity = [sys.executable, "-m", "parity"]
    check_args = [*parity, "check", f"--as-of={AS_OF}", "--format=json", "--no-cache"]
    site = root / "site"
    site_args = [*parity, "scorecard", f"--as-of={AS_OF}", "-o", str(site), "--no-cache"]
    best: dict[str, float] = {}
    failed = 0
    for _ in range(repeat):
        check = measure(check_args, root / "r.json", data)
        shutil.rmtree(site, ignore_errors=True)
        card = measure(site_args, root / "o", data)
        failed += int(check["rc"] != 0) + int(card["rc"] != 0)
        best["check"] = min(best.get("check", float("inf")), check["wall"])
        best["site"] = min(best.get("site", float("inf")), card["wall"])
        best["check_rss"] = max(best.get("check_rss", 0.0), check["rss"])
        best["site_rss"] = max(best.get("site_rss", 0.0), card["rss"])
        best["bytes"] = site_bytes(site)
        best["pages"] = site_bytes(site, pages_only=True)
    best["failed"] = failed
    return best


def lengthen(data: Path, chars: int) -> None:
    first = sorted((data / "lab_profiles").glob("*.yaml"))[0]
    lines = first.read_text(encoding="utf-8").splitlines()
    lines = [f"name: {'N' * chars}" if line.startswith("name:") else line for line in lines]
    first.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--labs", type=int, default=2000)
    p.add_argument("--indicators", type=int, default=30)
    p.add_argument("--rules", type=int, default=60)
    p.add_argument("--repeat", type=int, default=1)
    p.add_argument("--name-chars", type=int, default=0)
    args = p.parse_args(argv)
    failed = 0
    with tempfile.TemporaryDirectory() as temp:
        root = Path(temp)
        rows = []
        for labs in (args.labs, 2 * args.labs):
            started = time.perf_counter()
            data = generate(root, labs, args)
            generated = time.perf_counter() - started
            found = run_both(data, root, args.repeat)
            failed += int(found["failed"])
            rows.append((labs, found))
            print(
                f"{labs:>6} labs: check {found['check']:6.1f} s ({found['check_rss'] / 2**20:5.0f} MiB), "
                f"scorecard {found['site']:6.1f} s ({found['site_rss'] / 2**20:5.0f} MiB, site "
                f"{found['bytes'] / 1e6:6.1f} MB); scorecard / check {found['site'] / found['check']:4.1f} "
                f"(data generated in {generated:.0f} s)"
            )
        (_, small), (_, large) = rows
        check_x, site_x = large["check"] / small["check"], large["site"] / small["site"]
        print(f"doubling the labs: check x{check_x:.2f}, scorecard x{site_x:.2f}")
        if args.name_chars:
            data = root / f"data-{args.labs}"
            found = []
            for chars in (args.name_chars, 2 * args.name_chars):
                lengthen(data, chars)
                found.append(run_both(data, root, 1))
                failed += int(found[-1]["failed"])
            for key, what in (("pages", "the site's pages"), ("bytes", "the whole site")):
                times = (found[1][key] - found[0][key]) / args.name_chars
                print(f"a lab's name is written whole {times:.0f} times in {what}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
