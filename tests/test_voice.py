"""One voice in every output: no Python `None` or `True`, ranks and counts in words ("2nd-best", "1 pack"),
and a unit on every gap ("95 days", "2 steps", "3 months")."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import AS_OF_ARG, Result, edit_file, git

from parity.formats.present import amount, gap_text
from parity.report import IndicatorInfo
from parity.vocabulary import ordinal, plural

Run = Callable[..., Result]

# What a person never reads in parity's output: Python's words, "(s)", "2th".
_PYTHON = re.compile(r"\bNone\b|\bTrue\b|\bFalse\b|\(s\)|(?<![0-9]1)(?<![0-9])(?:[0-9]*[02-9])?[123]th\b")


def _clean(text: str) -> list[str]:
    return [line for line in text.splitlines() if _PYTHON.search(line)]


ORDINALS = "1st 2nd 3rd 4th 11th 12th 13th 21st 22nd 23rd 101st 111th 112th"


def test_ordinals_are_written_as_a_person_writes_them() -> None:
    expected = ORDINALS.split()
    assert [ordinal(int(text[:-2])) for text in expected] == expected


def test_counts_agree_with_their_noun() -> None:
    assert [plural(n, "pack") for n in (0, 1, 2)] == ["0 packs", "1 pack", "2 packs"]
    assert plural(-1, "step") == "-1 step"
    assert plural(1, "lab profile") == "1 lab profile"
    assert plural(2, "analysis", "analyses") == "2 analyses"


def test_a_gap_carries_its_unit() -> None:
    date, level = IndicatorInfo("d", "a", "date"), IndicatorInfo("l", "a", "level", levels=("a", "b"))
    months = IndicatorInfo("m", "a", "number", unit="months")
    score = IndicatorInfo("s", "a", "number", unit="points of 100")
    bare = IndicatorInfo("n", "a", "number")
    assert [gap_text(95, date), gap_text(1, date)] == ["95 days", "1 day"]
    assert [gap_text(2, level), gap_text(1, level), gap_text(-1, level)] == ["2 steps", "1 step", "-1 step"]
    assert [gap_text(3, months), gap_text(1, months), gap_text(0.5, months)] == [
        "3 months",
        "1 month",
        "0.5 months",
    ]
    assert [gap_text(1, score), gap_text(2, score)] == ["1 point of 100", "2 points of 100"]
    assert gap_text(2, bare) == "2 points"  # no unit declared: points
    assert gap_text(None, months) == ""  # booleans and commitments have no gap
    assert amount(1, "percent") == "1 percent" and amount(1, "address") == "1 address"


def test_the_pattern_catches_what_it_is_for() -> None:
    bad = ["bar: None", "waived True", "3 pack(s)", "the 2th-best", "3th", "the 22th-best", "1th"]
    good = ["bar: none", "the 2nd-best", "11th", "12th", "13th", "111th", "the 3rd-best", "2026-05-27"]
    assert [b for b in bad if not _PYTHON.search(b)] == []
    assert [g for g in good if _PYTHON.search(g)] == []


FORMATS = {
    "check": ["table", "markdown", "github", "sarif", "junit", "scorecard"],
    "explain": ["table", "markdown"],
    "rules": ["table", "markdown"],
    "validate": ["table", "github"],
    "waivers": ["table", "markdown"],
}


@pytest.mark.parametrize(("command", "fmt"), [(c, f) for c, fs in FORMATS.items() for f in fs])
def test_no_output_speaks_python(run: Run, command: str, fmt: str) -> None:
    args = ["security-all"] if command == "explain" else []
    as_of = [AS_OF_ARG] if command != "rules" else []
    result = run(command, *args, *as_of, f"--format={fmt}")
    assert result.code == 0, result.err
    assert _clean(result.out) == []


def test_every_rule_explained_speaks_no_python(run: Run) -> None:
    for rule in ("capability-leader", "delay-when-leading", "risk-report-cadence-norm", "recent-risk-report"):
        assert _clean(run("explain", rule, AS_OF_ARG).out) == []


def test_problems_are_counted_in_words(run: Run, repo: Path) -> None:
    edit_file(repo / "lab_profiles/alpha.yaml", "value: 6\n", "value: six\n")
    result = run("validate", cwd=repo)
    assert result.code == 2
    assert result.err.splitlines()[-1] == "parity: 1 problem; nothing was evaluated"


def test_a_history_and_a_diff_speak_no_python(run: Run, repo: Path) -> None:
    # alpha stops three practices (true -> false) and beta reports less often: regressions, a sudden
    # alarm, and race alarms on bars that fell from true to false (before: "fell from True ... to False").
    profile = repo / "lab_profiles/alpha.yaml"
    profile.write_text(profile.read_text(encoding="utf-8").replace("value: true", "value: false"), "utf-8")
    edit_file(repo / "lab_profiles/beta.yaml", "value: 3\n", "value: 9\n")
    git(repo, "commit", "-qam", "alpha and beta do less", date="2026-06-01")
    walked = run("history", "--revisions", AS_OF_ARG, cwd=repo)
    assert "the bar competitors set fell from true" in walked.out and "true -> false" in walked.out
    outputs = [walked.out]
    outputs += [run("history", "--revisions", AS_OF_ARG, "--format=markdown", cwd=repo).out]
    outputs += [run("history", AS_OF_ARG, f"--format={fmt}", cwd=repo).out for fmt in ("table", "markdown")]
    outputs += [
        run("diff", "HEAD~1", "HEAD", AS_OF_ARG, f"--format={fmt}", cwd=repo).out
        for fmt in ("table", "markdown", "github", "sarif", "junit", "json")
    ]
    outputs += [run("due", AS_OF_ARG, "--within=1", cwd=repo).out]
    assert [line for out in outputs for line in _clean(out)] == []
