"""The scorecard's cost, tested by its structure, not by a clock: the Python calls it makes and the bytes
it writes grow as the labs do (doubling the labs at most doubles them, give or take), and a long name or
quote is written a bounded number of times, however many labs it is shown beside.

The timings (the site against `check` at 2,000 labs and at 4,000) are measured by
benchmarks/bench_site.py: a clock in a test would fail on a busy machine and pass a regression on a fast
one. Counting calls is exact, and a scan of every verdict for each lab (the quadratic site this replaces)
shows at once in the cost of one lab's page."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from helpers import ROOT

import parity
from parity.site import build
from parity.site.view import Pages

AS_OF = dt.date(2026, 11, 26)
FORMATS = ("report.json", "scorecard.md")  # the formats' output, as `check` prints it


def _data(root: Path, labs: int) -> Path:
    folder = root / f"labs-{labs}"
    generate = ROOT / "benchmarks" / "generate.py"
    command = [
        sys.executable,
        str(generate),
        str(folder),
        "--labs",
        str(labs),
        "--indicators",
        "12",
        "--rules",
        "24",
    ]
    subprocess.run(command, check=True, capture_output=True)
    return folder


def _site(folder: Path) -> tuple[parity.Report, parity.Dataset]:
    data = parity.load(folder / "lab_profiles", folder / "rules")
    return parity.evaluate(data, as_of=AS_OF), data


def _calls(work: Callable[[], Any]) -> tuple[int, Any]:
    """The Python calls `work` makes (each function or generator frame entered), and its result."""
    count = 0

    def profile(frame: Any, event: str, arg: Any) -> None:
        nonlocal count
        if event == "call":
            count += 1

    sys.setprofile(profile)
    try:
        result = work()
    finally:
        sys.setprofile(None)
    return count, result


def _lines(work: Callable[[], Any]) -> int:
    """The lines of Python `work` runs: a loop over every verdict counts each turn, even inside a
    generator that yields few of them."""
    count = 0

    def trace(frame: Any, event: str, arg: Any) -> Any:
        nonlocal count
        if event == "line":
            count += 1
        return trace

    sys.settrace(trace)
    try:
        work()
    finally:
        sys.settrace(None)
    return count


@pytest.fixture(scope="module")
def worlds(tmp_path_factory: pytest.TempPathFactory) -> dict[int, tuple[parity.Report, parity.Dataset]]:
    root = tmp_path_factory.mktemp("cost")
    return {labs: _site(_data(root, labs)) for labs in (60, 240)}


def test_a_labs_page_costs_the_same_however_many_labs_there_are(
    worlds: dict[int, tuple[parity.Report, parity.Dataset]],
) -> None:
    """A lab's page reads its own verdicts through an index: before, it scanned every verdict of the
    report, so its cost grew with the labs (x1.9 from 60 labs to 240) and the site's with their square."""
    costs = {}
    for labs, (report, data) in worlds.items():
        pages = Pages(report, data, {})
        first, last = sorted(report.labs)[0], sorted(report.labs)[-1]
        pages.lab(first)  # what every page shares is made once, by the first: each pack's area scores
        costs[labs] = _lines(lambda pages=pages, lab=last: pages.lab(lab))
    assert costs[240] / costs[60] < 1.5


def test_the_sites_work_grows_as_the_labs_do(worlds: dict[int, tuple[parity.Report, parity.Dataset]]) -> None:
    found = {}
    for labs, (report, data) in worlds.items():
        calls, files = _calls(lambda report=report, data=data: build(report, data))
        found[labs] = (calls, sum(len(body) for body in files.values()), len(report.verdicts))
    (calls, _, verdicts), (calls4, size4, verdicts4) = found[60], found[240]
    assert 3.8 < verdicts4 / verdicts < 4.2  # the data set grows four times
    assert calls4 / calls < 4.4  # before: x4.8
    assert calls4 / verdicts4 < 1_000  # about 700 calls per verdict, rendering included (before: 1,600)
    # The bytes per verdict grow only until the lists of setters and blockers reach their twenty.
    assert size4 / verdicts4 < 6_000


def _long(folder: Path, what: str, text: str) -> None:
    """Give the first lab a long name, or a long quote on every piece of its evidence."""
    first = sorted((folder / "lab_profiles").glob("*.yaml"))[0]
    lines = first.read_text(encoding="utf-8").splitlines()
    key = "name:" if what == "name" else "quote:"
    lines = [
        line.split(key)[0] + f"{key} {text}" if line.lstrip().startswith(key) else line for line in lines
    ]
    first.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.parametrize("what", ["name", "quote"])
def test_a_long_text_is_written_a_bounded_number_of_times(tmp_path: Path, what: str) -> None:
    """The bytes a longer name (or quote) adds, per character: how many times it is written in full. The
    first lab sets bars for the others: before, its name was written whole beside each of their verdicts,
    and its quotes beside each verdict it set the bar of.

    The site's pages are measured: `report.json` and `scorecard.md` are the formats' bytes, embedded as
    `check` prints them (the JSON report repeats the setters' evidence in every shortfall's bar; the
    Markdown table pads every row to the longest name): reported to those formats' owners."""
    folder = _data(tmp_path, 120)
    grown = []
    for chars in (2_000, 4_000):
        _long(folder, what, "x" * chars)
        files = build(*_site(folder))
        grown.append(sum(len(body) for name, body in files.items() if name not in FORMATS))
    written = (grown[1] - grown[0]) / 2_000
    assert written < 40, f"a lab's {what} is written {written:.0f} times"
