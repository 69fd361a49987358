"""Time a history by the data's dates: one data set whose timelines hold many change dates, told whole.

    python benchmarks/bench_dates.py [--labs 300] [--indicators 60] [--rules 120]
        [--changes 500] [--sample 25]

Writes benchmarks/generate.py's world, then gives it timelines: `--changes` distinct dates between
2023-01-01 and 2026-10-31, each a new state of one practice of one lab (random lab, random practice with a
value; the state before it kept as an `earlier` one, so a practice may hold several). Then:

  history      what `parity history` does (parity.history.by_dates): the data evaluated as it stood on
               every date something changed, incrementally (judge.incremental.Evaluator), with the
               regressions, the top bars and the alarms;
  full         on every `--sample`-th date, parity.evaluate of the data as it stood that day, whole.

It prints the dates walked, the time of the whole history and per date (mean), and the full evaluation's
mean per date. On every sampled date the history's report must equal the full evaluation's (verdicts, lab
summaries, derived values): exit status 1 when it does not, 2 on a usage or setup error.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import generate  # the same world as the other benchmarks; the script's folder is on sys.path
import yaml

import parity
from parity.history import by_dates
from parity.history.dates import moments
from parity.judge.incremental import Evaluator

FIRST, LAST = dt.date(2023, 1, 1), dt.date(2026, 10, 31)
AS_OF = dt.date(2026, 11, 26)


def timelines(root: Path, changes: int, seed: int) -> int:
    """Give `changes` distinct dates to the world's practices; returns how many practices got a timeline."""
    rng = random.Random(seed)
    span = (LAST - FIRST).days
    dates = sorted(FIRST + dt.timedelta(days=d) for d in rng.sample(range(span), changes))
    pack = yaml.load((root / "rules/bench.yaml").read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    kinds = {name: spec for name, spec in pack["indicators"].items() if not spec.get("derived")}
    files = sorted((root / "lab_profiles").glob("*.yaml"))
    profiles = {f: yaml.load(f.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader) for f in files}
    picked: dict[tuple[Path, str], list[dt.date]] = {}
    for day in dates:
        path = rng.choice(files)
        names = [n for n, p in profiles[path]["practices"].items() if n in kinds and "value" in p]
        picked.setdefault((path, rng.choice(names)), []).append(day)
    for (path, name), days in picked.items():
        practice = profiles[path]["practices"][name]
        practice["since"] = days[-1]
        practice["earlier"] = [
            {
                "value": _other(rng, kinds[name], practice["value"]),
                "since": day,
                "evidence": _evidence(path, day),
            }
            for day in reversed(days[:-1])
        ] or None
        if practice["earlier"] is None:
            del practice["earlier"]
    for path, doc in profiles.items():
        path.write_text(generate.to_yaml(doc), encoding="utf-8")
    return len(picked)


def _other(rng: random.Random, spec: dict[str, Any], value: Any) -> Any:
    """A value of the indicator's type for an earlier state (any: it may be better or worse)."""
    if value == "unknown":
        return value
    kind = spec["type"]
    if kind == "boolean":
        return rng.choice([True, False])
    if kind == "level":
        return rng.choice(spec["levels"])
    if kind == "date":
        return FIRST + dt.timedelta(days=rng.randrange((LAST - FIRST).days))
    return rng.randrange(0, 100)


def _evidence(path: Path, day: dt.date) -> list[dict[str, Any]]:
    return [{"url": f"https://example.org/{path.stem}/{day.isoformat()}", "date": day}]


def same(a: parity.Report, b: parity.Report) -> bool:
    return (a.verdicts, a.labs, a.derived) == (b.verdicts, b.labs, b.derived)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--labs", type=generate.positive, default=300)
    p.add_argument("--indicators", type=generate.positive, default=60)
    p.add_argument("--rules", type=generate.positive, default=120)
    p.add_argument("--changes", type=generate.positive, default=500)
    p.add_argument("--sample", type=generate.positive, default=25, help="compare with full every K-th date")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="parity-dates-") as tmp:
        root = Path(tmp)
        generate.write(root, args.seed, args.labs, args.indicators, args.rules)
        timed_practices = timelines(root, args.changes, args.seed)
        data = parity.load(root / "lab_profiles", root / "rules")
        days = moments(data, None, AS_OF)
        start = time.perf_counter()
        history = by_dates(data, AS_OF)
        total = time.perf_counter() - start
        evaluator, full_times, failures = Evaluator(), [], 0
        for i, day in enumerate(days):  # the same walk again, each sampled date compared with a full one
            incremental = evaluator.evaluate(data.at(day), as_of=day)
            if i % args.sample:
                continue
            began = time.perf_counter()
            full = parity.evaluate(data.at(day), as_of=day)
            full_times.append(time.perf_counter() - began)
            if not same(incremental, full):
                failures += 1
                print(f"  {day}: the history's report differs from a full evaluation", file=sys.stderr)
    verdicts = len(history.last.verdicts) if history.last else 0
    print(
        f"{args.labs} labs x {args.indicators} indicators x {args.rules} rules, {verdicts} verdicts a date; "
        f"{args.changes} change dates on {timed_practices} practices"
    )
    print(f"dates walked: {len(days)} (the change dates, the days recency bars fell due, the first and last)")
    print(f"history by dates: {total:.1f} s in all, {total / len(days) * 1000:.0f} ms per date (mean)")
    print(
        f"full evaluation: {statistics.mean(full_times) * 1000:.0f} ms per date (mean of {len(full_times)}); "
        f"regressions {len(history.regressions)}, alarms {len(history.alarms)}"
    )
    if failures:
        print(f"{failures} sampled date(s) differ from a full evaluation")
        return 1
    print(f"reports identical to a full evaluation on every sampled date ({len(full_times)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
