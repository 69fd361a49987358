"""Time as data: practices with `since` and `earlier`, rules that end (`until`, `withdrawn`), and `due`.

The world as it stood on a date is what `--as-of` judges: each practice the state in force that day,
unassessed before its earliest `since`; a rule judges from `in_force` up to the day before `until`."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import Result, edit_file, git

import parity

Run = Callable[..., Result]

PACK = """
pack: p
version: "1"
indicators:
  pause_commitment:
    title: Pause commitment
    area: governance
    type: level
    levels: [none, conditional-delay, competitor-contingent-pause, unconditional-pause]
  last_report:
    title: Latest risk report
    area: reporting
    type: date
rules:
  - {id: pause-best, indicator: pause_commitment, bar: best, severity: high}
  - id: pause-pledge
    title: Pause when safeguards lag
    indicator: pause_commitment
    bar: {threshold: unconditional-pause}
    applies_to: [a]
    severity: critical
    in_force: 2023-09-19
    until: 2026-02-24
    source: [{url: "https://a.example/rsp-v1", date: 2023-09-19, quote: "we commit to pause"}]
    withdrawn: [{url: "https://news.example/dropped", date: 2026-02-24, quote: "dropped its pledge"}]
  - {id: report-recent, indicator: last_report, bar: {within_days: 183}, severity: high}
"""

A = """
id: a
name: A
practices:
  pause_commitment:
    value: conditional-delay
    since: 2026-02-24
    evidence: [{url: "https://news.example/dropped", date: 2026-02-24}]
    earlier:
      - value: competitor-contingent-pause
        since: 2024-10-15
        evidence: [{url: "https://a.example/rsp-v2", date: 2024-10-15}]
      - value: unconditional-pause
        since: 2023-09-19
        evidence: [{url: "https://a.example/rsp-v1", date: 2023-09-19}]
  last_report:
    value: 2026-08-14
    evidence: [{url: "https://a.example/report", date: 2026-08-14}]
"""

B = """
id: b
name: B
practices:
  pause_commitment:
    value: competitor-contingent-pause
    evidence: [{url: "https://b.example/", date: 2025-01-01}]
"""


@pytest.fixture
def world(tree: Callable[..., Path]) -> Path:
    return tree({"rules/p.yaml": PACK, "lab_profiles/a.yaml": A, "lab_profiles/b.yaml": B})


def _verdicts(run: Run, root: Path, as_of: str) -> dict[tuple[str, str], dict]:
    result = run("check", f"--as-of={as_of}", "--format=json", cwd=root)
    assert result.code == 0, result.err
    return {(v["lab"], v["rule"]): v for v in json.loads(result.out)["verdicts"]}


def test_before_the_earliest_since_the_practice_is_unassessed(run: Run, world: Path) -> None:
    verdicts = _verdicts(run, world, "2023-01-01")
    assert verdicts["a", "pause-best"]["status"] == "unassessed"
    assert ("a", "pause-pledge") not in verdicts  # not in force yet


@pytest.mark.parametrize(
    ("as_of", "value", "line", "pledge"),
    [
        ("2023-09-19", "unconditional-pause", 12, "meets"),  # the first day of v1: its state's line
        ("2024-10-14", "unconditional-pause", 12, "meets"),
        ("2024-10-15", "competitor-contingent-pause", 9, "below"),  # the weakened pledge
        ("2026-02-23", "competitor-contingent-pause", 9, "below"),
        ("2026-02-24", "conditional-delay", 4, None),  # dropped: the pledge no longer judges
    ],
)
def test_each_date_judges_the_state_in_force_and_the_rules_in_force(
    run: Run, world: Path, as_of: str, value: str, line: int, pledge: str | None
) -> None:
    verdicts = _verdicts(run, world, as_of)
    best = verdicts["a", "pause-best"]
    assert (best["value"], best["location"]["line"]) == (value, line)
    assert verdicts.get(("a", "pause-pledge"), {}).get("status") == pledge


def test_a_practice_without_since_holds_at_every_date(run: Run, world: Path) -> None:
    for as_of in ("2020-01-01", "2030-01-01"):
        assert _verdicts(run, world, as_of)["b", "pause-best"]["value"] == "competitor-contingent-pause"


def test_due_is_the_last_day_within_the_bar_and_overdue_counts_from_the_next(run: Run, world: Path) -> None:
    # 2026-08-14 + 183 days = 2027-02-13: the last day the report is recent enough.
    last = _verdicts(run, world, "2027-02-13")["a", "report-recent"]
    assert (last["status"], last["due"], "overdue" in last) == ("meets", "2027-02-13", False)
    late = _verdicts(run, world, "2027-03-01")["a", "report-recent"]
    assert (late["status"], late["due"], late["overdue"]) == ("below", "2027-02-13", 16)


def test_the_library_judges_the_world_as_of_a_date(world: Path) -> None:
    import datetime as dt

    data = parity.load(world / "lab_profiles", world / "rules")
    then = parity.evaluate(data, as_of=dt.date(2024, 1, 1))
    assert {(v.lab, v.rule): v.value for v in then.verdicts}["a", "pause-best"] == "unconditional-pause"
    assert data.at(dt.date(2024, 1, 1)).labs["a"] is data.at(dt.date(2024, 6, 1)).labs["a"]  # same states
    assert data.at(dt.date(2030, 1, 1)).labs["b"] is data.labs["b"]  # no timeline: itself


@pytest.mark.parametrize(
    ("profile", "pack", "expected"),
    [
        (
            A.replace("        since: 2024-10-15", "        since: 2027-01-01"),
            PACK,
            "lab_profiles/a.yaml:10:9: practices.pause_commitment.earlier.0.since: 2027-01-01 is not "
            "before 2026-02-24: earlier states go newest first, dates falling",
        ),
        (
            A.replace("        since: 2023-09-19", "        since: 2024-10-15"),
            PACK,
            "lab_profiles/a.yaml:13:9: practices.pause_commitment.earlier.1.since: 2024-10-15 is not "
            "before 2024-10-15",
        ),
        (
            A.replace("    since: 2026-02-24\n", ""),
            PACK,
            "practices.pause_commitment: 'earlier' needs 'since' on the practice",
        ),
        (
            A.replace("      - value: competitor-contingent-pause", "      - value: nearly-paused"),
            PACK,
            "practices.pause_commitment.earlier.0.value: expected one of none, conditional-delay",
        ),
        (
            A.replace("        since: 2024-10-15\n", ""),
            PACK,
            "practices.pause_commitment.earlier.0.since: required, but missing",
        ),
        (
            A.replace("        since: 2024-10-15", "        since: 2024-10-15T00:00"),
            PACK,
            "practices.pause_commitment.earlier.0.since: expected a date YYYY-MM-DD",
        ),
        (
            A,
            PACK.replace("    until: 2026-02-24", "    until: 2023-01-01"),
            "rules.1.until: 2023-01-01 is not after",
        ),
        (
            A,
            PACK.replace("    until: 2026-02-24\n", ""),
            "rules.1.withdrawn: a withdrawn pledge needs 'until'",
        ),
    ],
)
def test_a_timeline_is_validated_like_every_other_field(
    run: Run, tree: Callable[..., Path], profile: str, pack: str, expected: str
) -> None:
    root = tree({"rules/p.yaml": pack, "lab_profiles/a.yaml": profile, "lab_profiles/b.yaml": B})
    result = run("validate", cwd=root)
    assert result.code == 2 and expected in result.err, result.err


def test_strict_asks_for_evidence_on_every_earlier_state(run: Run, tree: Callable[..., Path]) -> None:
    bare = A.replace('        evidence: [{url: "https://a.example/rsp-v2", date: 2024-10-15}]\n', "")
    root = tree({"rules/p.yaml": PACK, "lab_profiles/a.yaml": bare, "lab_profiles/b.yaml": B})
    result = run("validate", "--strict", "--as-of=2026-12-01", cwd=root)
    assert result.code == 2
    assert "practices.pause_commitment.earlier.0: --strict: no evidence; give its source" in result.err


def test_the_profile_schema_describes_timelines(run: Run) -> None:
    schema = json.loads(run("schema", "profile").out)
    practice = schema["$defs"]["Practice"]["properties"]
    assert {"since", "earlier"} <= practice.keys()
    rule = schema_rule = json.loads(run("schema", "rule-pack").out)["$defs"]["Rule"]["properties"]
    assert {"until", "source", "withdrawn"} <= rule.keys() and schema_rule is rule


# --- the story, by the data's dates and by the watchdog's record ----------------------------------------


def test_the_story_in_one_revision_names_what_was_lost_and_cites_both_sides(run: Run, world: Path) -> None:
    """The pause pledge: made 2023-09-19, weakened 2024-10-15, dropped 2026-02-24; no git needed."""
    result = run("history", "--as-of=2026-12-01", "--format=json", cwd=world)
    assert result.code == 0, result.err
    doc = json.loads(result.out)
    assert doc["mode"] == "dates"
    found = {(r["date"], r["kind"], r["subject"]) for r in doc["regressions"] if r["lab"] == "a"}
    assert found == {
        ("2024-10-15", "level_lowered", "pause_commitment"),
        ("2026-02-24", "level_lowered", "pause_commitment"),
        ("2026-02-24", "commitment_withdrawn", "pause-pledge"),
    }
    weakened = next(r for r in doc["regressions"] if r["date"] == "2024-10-15")
    assert (weakened["before"], weakened["after"]) == ("unconditional-pause", "competitor-contingent-pause")
    assert [e["url"] for e in weakened["evidence_before"]] == ["https://a.example/rsp-v1"]
    assert [e["url"] for e in weakened["evidence_after"]] == ["https://a.example/rsp-v2"]
    withdrawn = next(r for r in doc["regressions"] if r["kind"] == "commitment_withdrawn")
    assert withdrawn["evidence_before"][0]["quote"] == "we commit to pause"
    assert withdrawn["evidence_after"][0]["quote"] == "dropped its pledge"
    sudden = [a for a in doc["alarms"] if a["kind"] == "sudden" and a["date"] == "2026-02-24"]
    assert sudden and "withdrew its pledge \u201cPause when safeguards lag\u201d" in sudden[0]["message"]
    assert (
        "Pause commitment lowered from competitor-contingent-pause to conditional-delay"
        in sudden[0]["message"]
    )
    [erosion] = [a for a in doc["alarms"] if a["kind"] == "erosion"]  # 497 days apart: one slide
    assert [s["date"] for s in erosion["steps"]] == ["2024-10-15", "2026-02-24"]
    for fmt in ("table", "markdown"):
        text = run("history", "--as-of=2026-12-01", f"--format={fmt}", cwd=world).out
        assert "Pause when safeguards lag" in text and "withdrew" in text
        for source in ("rsp-v1", "rsp-v2", "dropped"):  # the evidence of both states, in every format
            assert source in text, (fmt, source)
        assert "we commit to pause" in text and "dropped its pledge" in text


def test_a_rule_that_ends_without_withdrawn_is_nobodys_loss(run: Run, tree: Callable[..., Path]) -> None:
    repealed = PACK.replace(
        '    withdrawn: [{url: "https://news.example/dropped", date: 2026-02-24, quote: "dropped its pledge"}]\n',
        "",
    )
    root = tree({"rules/p.yaml": repealed, "lab_profiles/a.yaml": A, "lab_profiles/b.yaml": B})
    doc = json.loads(run("history", "--as-of=2026-12-01", "--format=json", cwd=root).out)
    assert not [r for r in doc["regressions"] if r["kind"].startswith("commitment")]
    marked = [p for p in doc["labs"]["a"]["points"] if p.get("methodology_changed")]
    assert [(p["date"], p["methodology_changed"]) for p in marked] == [("2026-02-24", ["pause-pledge"])]
    assert not [p for p in doc["labs"]["b"]["points"] if p.get("methodology_changed")]  # not b's rule


def test_a_corrected_past_is_a_correction_and_a_new_state_is_the_labs_change(run: Run, world: Path) -> None:
    git(world, "init", "-q", "-b", "main")
    git(world, "add", "-A")
    git(world, "commit", "-q", "-m", "the story as first recorded", date="2026-03-01")
    # The watchdog corrects the date it had recorded for v2.0.
    edit_file(world / "lab_profiles/a.yaml", "        since: 2024-10-15", "        since: 2024-10-16")
    git(world, "commit", "-q", "-am", "v2.0 took effect a day later", date="2026-04-01")
    # The lab changes again: a new state, the one before it kept as it was.
    edit_file(
        world / "lab_profiles/a.yaml",
        "    value: conditional-delay\n    since: 2026-02-24\n",
        "    value: none\n    since: 2026-09-01\n",
    )
    edit_file(
        world / "lab_profiles/a.yaml",
        "    earlier:\n",
        "    earlier:\n      - value: conditional-delay\n        since: 2026-02-24\n"
        '        evidence: [{url: "https://news.example/dropped", date: 2026-02-24}]\n',
    )
    git(world, "commit", "-q", "-am", "a drops the delay too", date="2026-09-02")
    doc = json.loads(run("history", "--revisions", "--format=json", cwd=world).out)
    kinds = [(r["kind"], r["subject"], r["date"]) for r in doc["recorded"] if r["lab"] == "a"]
    assert kinds == [
        ("correction", "pause_commitment", "2026-04-01"),
        ("lab", "pause_commitment", "2026-09-02"),
    ]
    correction = doc["recorded"][0]
    assert correction["past"] == "2024-10-15"
    assert correction["what"] == "the date of competitor-contingent-pause, from 2024-10-15 to 2024-10-16"
    regressions = [(r["date"], r["kind"]) for r in doc["regressions"] if r["lab"] == "a"]
    assert regressions == [("2026-09-02", "level_lowered")]  # the correction is never the lab's loss
    table = run("history", "--revisions", cwd=world).out
    assert "Corrections (" in table and "2026-04-01" in table


# --- the obligation clock ------------------------------------------------------------------------------


def test_due_lists_what_falls_due_soon_and_what_is_overdue(run: Run, world: Path) -> None:
    soon = run("due", "--as-of=2027-01-20", "--within=30", cwd=world)
    assert soon.code == 0, soon.err
    assert "2027-02-13  24 days left" in soon.out and "report-recent" in soon.out
    assert "none" in run("due", "--as-of=2026-12-01", "--within=30", cwd=world).out  # 74 days away
    late = json.loads(run("due", "--as-of=2027-03-01", "--format=json", cwd=world).out)
    [verdict] = late["verdicts"]
    assert (verdict["rule"], verdict["status"], verdict["due"], verdict["overdue"]) == (
        "report-recent",
        "below",
        "2027-02-13",
        16,
    )
    assert "16 days overdue" in run("due", "--as-of=2027-03-01", "--format=markdown", cwd=world).out


def test_the_scorecard_marks_overdue_and_due_soon(world: Path) -> None:
    import datetime as dt

    from parity.site import build

    data = parity.load(world / "lab_profiles", world / "rules")
    for as_of, mark in ((dt.date(2027, 1, 20), "due soon"), (dt.date(2027, 3, 1), "overdue")):
        page = build(parity.evaluate(data, as_of=as_of), data)["labs/a.html"].decode()
        assert f'<span class="due due-{mark.split()[-1]}">{mark}: <time datetime="2027-02-13">' in page


def test_a_ratchet_reads_the_data_dates_so_no_git_history_is_needed(
    run: Run, tree: Callable[..., Path]
) -> None:
    pack = """
        pack: p
        version: "1"
        indicators:
          evals: {title: Evaluations published, area: evals, type: number, better: higher}
        rules:
          - {id: evals-held, indicator: evals, bar: best, ratchet: 365, severity: low}
    """
    evidence = '[{url: "https://e.org", date: 2026-01-01}]'
    a = f"id: a\nname: A\npractices:\n  evals: {{value: 3, evidence: {evidence}}}\n"
    b = (
        f"id: b\nname: B\npractices:\n  evals:\n    value: 2\n    since: 2026-06-01\n    evidence: {evidence}\n"
        f"    earlier:\n      - {{value: 9, since: 2025-01-01, evidence: {evidence}}}\n"
    )
    root = tree({"rules/p.yaml": pack, "lab_profiles/a.yaml": a, "lab_profiles/b.yaml": b})  # no git here
    verdicts = _verdicts(run, root, "2026-12-01")
    held = verdicts["a", "evals-held"]
    assert (held["status"], held["bar"]["value"], held["flags"]) == ("below", 9, ["held"])
    later = _verdicts(run, root, "2027-07-01")["a", "evals-held"]  # b's 9 left the window on 2027-06-01
    assert (later["status"], later["bar"]["value"], later["flags"]) == ("surpasses", 2, [])


def test_the_scorecards_history_is_the_story_by_dates_readable_in_print(
    run: Run, world: Path, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    result = run("scorecard", "-o", str(site), "--as-of=2026-12-01", "--history", cwd=world)
    assert result.code == 0, result.err
    svg = (site / "history/a.svg").read_text(encoding="utf-8")
    # the fall on the day it happened, and a legend (not only tooltips) that says what was lost
    assert "<text" in svg and "Key: line = score" in svg
    assert "2. 2026-02-24 (alarm): Pause commitment lowered from competitor-contingent-pause" in svg
    assert "1. 2024-10-15 (alarm): Pause commitment lowered" in svg


def test_a_rules_source_and_end_are_explained_and_become_sarifs_help_uri(run: Run, world: Path) -> None:
    explained = run("explain", "pause-pledge", "--as-of=2026-01-01", cwd=world)
    assert explained.code == 0, explained.err
    assert 'source: https://a.example/rsp-v1 (2023-09-19) "we commit to pause"' in explained.out
    assert "until: 2026-02-24: the first day it no longer judges (withdrawn by the labs it applies to)" in (
        explained.out
    )
    assert 'withdrawn: https://news.example/dropped (2026-02-24) "dropped its pledge"' in explained.out
    sarif = json.loads(run("check", "--as-of=2026-01-01", "--format=sarif", cwd=world).out)
    rules = {r["id"]: r for r in sarif["runs"][0]["tool"]["driver"]["rules"]}
    assert rules["pause-pledge"]["helpUri"] == "https://a.example/rsp-v1"
    assert "helpUri" not in rules["pause-best"]
    report = json.loads(run("check", "--as-of=2026-01-01", "--format=json", cwd=world).out)
    assert report["rules"]["pause-pledge"]["until"] == "2026-02-24"
    assert parity.Report.from_dict(report).rules["pause-pledge"].source[0].quote == "we commit to pause"
