"""`parity history` on a git repository built here, one scripted commit at a time: a sudden regression, a
slow erosion, a race to the bottom that `ratchet` catches, a broken revision, unrelated commits, a change
of methodology; and what `check` does with a ratchet when there is no history."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from helpers import GIT_ENV, Result, git, parity_process

import parity
from parity.formats import render_history
from parity.history import Alarm, History
from parity.history import run as history
from parity.loading import load_alarms

LEVELS = ["l0", "l1", "l2", "l3", "l4", "l5"]
PACK: dict[str, Any] = {
    "pack": "watch",
    "version": "1.0.0",
    "indicators": {
        "maturity": {"title": "Safety maturity", "area": "governance", "type": "level", "levels": LEVELS},
        "report": {"title": "Publishes a risk report", "area": "reporting", "type": "boolean"},
        "evals": {"title": "Evaluations published", "area": "evals", "type": "number", "better": "higher"},
    },
    "rules": [
        {"id": "maturity-best", "indicator": "maturity", "bar": "best", "severity": "medium"},
        {"id": "report-threshold", "indicator": "report", "bar": {"threshold": True}, "severity": "high"},
        {"id": "evals-best", "indicator": "evals", "bar": "best", "severity": "low"},
        {"id": "evals-held", "indicator": "evals", "bar": "best", "ratchet": 365, "severity": "low"},
        {
            "id": "alpha-pledge",
            "indicator": "evals",
            "bar": {"threshold": 5},
            "severity": "high",
            "applies_to": ["alpha"],
        },
    ],
}


def _practice(value: Any) -> dict[str, Any]:
    if value == "unknown":
        return {"value": "unknown", "evidence": [{"url": "https://example.org/none", "date": "2025-01-01"}]}
    return {"value": value, "evidence": [{"url": "https://example.org/e", "date": "2025-01-01"}]}


class Repo:
    """A watchdog's data repository, committed one dated step at a time."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.labs: dict[str, dict[str, Any]] = {
            "alpha": {"maturity": "l5", "report": True, "evals": 6},
            "beta": {"maturity": "l3", "report": True, "evals": 9},
            "gamma": {"maturity": "l2", "report": True, "evals": 8},
            "delta": {"maturity": "l1", "report": True, "evals": 7},
        }
        self.pack = json.loads(json.dumps(PACK))
        root.mkdir()
        self._git("init", "-q", "-b", "main")

    def _git(self, *args: str, date: str | None = None) -> str:
        return git(self.root, *args, date=date)

    def write(self) -> None:
        (self.root / "lab_profiles").mkdir(exist_ok=True)
        (self.root / "rules").mkdir(exist_ok=True)
        for lab, values in self.labs.items():
            profile = {
                "id": lab,
                "name": lab.title(),
                "practices": {k: _practice(v) for k, v in values.items()},
            }
            (self.root / "lab_profiles" / f"{lab}.yaml").write_text(yaml.safe_dump(profile), encoding="utf-8")
        (self.root / "rules" / "watch.yaml").write_text(yaml.safe_dump(self.pack), encoding="utf-8")

    def commit(self, date: str, message: str, write: bool = True) -> str:
        if write:
            self.write()
        self._git("add", "-A")
        self._git("commit", "-q", "--allow-empty", "-m", message, date=date)
        return self._git("rev-parse", "HEAD").strip()[:12]


@pytest.fixture
def watchdog(tmp_path: Path) -> Repo:
    repo = Repo(tmp_path / "watchdog")
    repo.commit("2025-01-10", "start")
    return repo


def _kinds(result: History, kind: str) -> list[Alarm]:
    return [a for a in result.alarms if a.kind == kind]


def test_a_sudden_regression_is_one_alarm_at_its_commit(watchdog: Repo) -> None:
    watchdog.labs["gamma"]["report"] = "unknown"  # a high-severity practice turned unknown: 2 x 2 = 4
    sha = watchdog.commit("2025-02-01", "gamma stops publishing")
    result = history(watchdog.root)
    [regression] = result.regressions
    assert (regression.lab, regression.kind, regression.subject) == ("gamma", "undisclosed", "report")
    assert (regression.before, regression.after, regression.severity, regression.loss) == (
        True,
        "unknown",
        "high",
        4.0,
    )
    assert regression.revision.ref == sha and regression.revision.date == dt.date(2025, 2, 1)
    [sudden] = _kinds(result, "sudden")
    assert (sudden.subject, sudden.revision.ref, sudden.loss) == ("gamma", sha, 4.0)
    assert not _kinds(result, "erosion")


def test_five_small_steps_raise_the_erosion_alarm_no_single_step_does(watchdog: Repo) -> None:
    (watchdog.root / "alarms.yaml").write_text("window_threshold: 5\n", encoding="utf-8")
    steps = []
    for i, date in enumerate(["2025-02-01", "2025-04-01", "2025-06-01", "2025-08-01", "2025-10-01"]):
        watchdog.labs["alpha"]["maturity"] = LEVELS[4 - i]  # l5 -> l4 -> ... -> l0, one level a step
        steps.append(watchdog.commit(date, f"alpha step {i}"))
    result = history(watchdog.root)
    losses = [r.loss for r in result.regressions if r.lab == "alpha"]
    assert losses == [1.0] * 5  # medium (x1), one level each: every step below the step threshold of 3
    assert not _kinds(result, "sudden")
    [erosion] = _kinds(result, "erosion")
    assert erosion.subject == "alpha" and erosion.revision.ref == steps[-1]  # raised when the sum crosses
    assert [rev.ref for rev, _ in erosion.steps] == steps  # and it names every step that adds up
    assert erosion.loss == 5.0 and result.config.window_threshold == 5.0
    # The same steps spread over more than the window add up to nothing.
    assert not _kinds(history(watchdog.root, window=100), "erosion")


def test_a_race_to_the_bottom_is_reported_and_the_ratchet_holds_the_bar(watchdog: Repo) -> None:
    for i, date in enumerate(["2025-03-01", "2025-05-01", "2025-07-01"]):
        for lab, start in (("beta", 9), ("gamma", 8), ("delta", 7)):
            watchdog.labs[lab]["evals"] = start - 2 * (i + 1)  # everyone does a little less, together
        watchdog.commit(date, f"competitors slip {i}")
    result = history(watchdog.root)
    bars = [p.value for p in result.bars["evals-best"]]
    assert bars == [9, 7, 6, 6]  # the industry bar: the best value any lab holds (alpha's 6 at the end)
    [decline] = [d for d in result.declines if d.rule == "evals-best"]
    assert (decline.peak.value, decline.low.value, decline.cause) == (9, 6, "peers")
    assert [p.value for p in decline.steps] == [7, 6]
    assert "evals-best" in {a.subject for a in _kinds(result, "race")}
    # alpha's 6 was below the best competitor's 9; the plain bar fell under it, the ratchet did not.
    assert result.last is not None
    verdicts = {v.rule: v for v in result.last.verdicts if v.lab == "alpha"}
    assert verdicts["evals-best"].status == "surpasses" and verdicts["evals-best"].bar.value == 3
    held = verdicts["evals-held"]
    assert (held.status, held.bar.value, held.bar.set_by, held.flags) == ("below", 9, ("beta",), ("held",))
    assert [p.value for p in result.bars["evals-held"]] == [9, 9, 9, 9]
    # check, in the repository, reads the same history and holds the same bar.
    report = _check_json(watchdog.root, "2025-07-02")
    held_verdict = _verdict(report, "alpha", "evals-held")
    assert (held_verdict["status"], held_verdict["bar"]["value"], held_verdict["flags"]) == (
        "below",
        9,
        ["held"],
    )
    # A year after the slip, what beta held has left the window: the ratchet lets the bar go.
    later = _verdict(_check_json(watchdog.root, "2026-08-01"), "alpha", "evals-held")
    assert (later["status"], later["bar"]["value"], later["flags"]) == ("surpasses", 3, [])


def _check_json(root: Path, as_of: str, cwd: Path | None = None) -> dict[str, Any]:
    done = parity_process("check", "--as-of", as_of, "--format", "json", cwd=cwd or root)
    assert done.code == 0, done.err
    doc: dict[str, Any] = json.loads(done.out)
    doc["stderr"] = done.err
    return doc


def _verdict(report: dict[str, Any], lab: str, rule: str) -> dict[str, Any]:
    found: dict[str, Any] = next(v for v in report["verdicts"] if (v["lab"], v["rule"]) == (lab, rule))
    return found


def test_check_without_history_ranks_present_values_and_says_so(watchdog: Repo, tmp_path: Path) -> None:
    for lab in ("beta", "gamma", "delta"):
        watchdog.labs[lab]["evals"] = 3
    watchdog.commit("2025-03-01", "competitors slip")
    copy = tmp_path / "copy"  # the same data, outside any repository: a download, a shallow export
    shutil.copytree(watchdog.root, copy, ignore=shutil.ignore_patterns(".git"))
    report = _check_json(copy, "2025-03-02")
    verdict = _verdict(report, "alpha", "evals-held")
    assert (verdict["status"], verdict["bar"]["value"], verdict["flags"]) == ("surpasses", 3, ["no_history"])
    assert "ratcheted bars rank present values only" in report["stderr"]
    assert _verdict(report, "alpha", "evals-best")["flags"] == []  # only ratcheted rules are flagged
    # A shallow clone has no history either.
    shallow = tmp_path / "shallow"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", f"file://{watchdog.root}", str(shallow)],
        check=True,
        env=GIT_ENV,
        capture_output=True,
    )
    assert _verdict(_check_json(shallow, "2025-03-02"), "alpha", "evals-held")["flags"] == ["no_history"]
    # The full repository has it.
    assert _verdict(_check_json(watchdog.root, "2025-03-02"), "alpha", "evals-held")["bar"]["value"] == 9


def test_a_broken_revision_is_reported_and_skipped(watchdog: Repo) -> None:
    watchdog.labs["beta"]["maturity"] = "l2"
    watchdog.commit("2025-02-01", "beta down a level")
    (watchdog.root / "lab_profiles" / "beta.yaml").write_text("id: beta\nname: [unclosed\n", encoding="utf-8")
    broken = watchdog.commit("2025-03-01", "a bad edit", write=False)
    watchdog.labs["beta"]["maturity"] = "l1"
    watchdog.commit("2025-04-01", "fixed, and down another level")
    result = history(watchdog.root)
    [skipped] = result.skipped
    assert skipped.revision.ref == broken
    [problem] = skipped.problems
    assert problem.file == f"{broken}:lab_profiles/beta.yaml" and problem.line > 1
    assert problem.message.startswith("YAML syntax error")
    assert broken not in {r.ref for r in result.revisions}
    steps = [(r.before, r.after, r.previous.ref) for r in result.regressions if r.lab == "beta"]
    assert [s[:2] for s in steps] == [("l3", "l2"), ("l2", "l1")]  # compared across the broken one
    assert steps[1][2] != broken


def test_a_revision_that_does_not_load_is_one_line_with_its_problems_on_request(
    watchdog: Repo, run: Callable[..., Result]
) -> None:
    for lab in ("beta", "gamma", "delta"):  # three problems in one revision
        profile = watchdog.root / "lab_profiles" / f"{lab}.yaml"
        profile.write_text(profile.read_text(encoding="utf-8").replace("name:", "tags: [typo]\nname:"))
    broken = watchdog.commit("2025-03-01", "tags before their pack declares them", write=False)
    watchdog.commit("2025-04-01", "fixed")
    for fmt in ("table", "markdown"):
        out = run("history", "--revisions", f"--format={fmt}", cwd=watchdog.root).out
        skipped = out.split("Skipped revisions (1)", 1)[1].strip().splitlines()
        assert len(skipped) == 2, out  # the revision, then how to see more
        assert skipped[0].startswith(f"{broken} (2025-03-01) tags before their pack declares them: skipped, ")
        assert "3 problems; the first: " in skipped[0] and "beta.yaml:2:8: tags.0" in skipped[0]
        assert "--details lists every problem" in skipped[1]
        detailed = run("history", "--revisions", f"--format={fmt}", "--details", cwd=watchdog.root).out
        lines = detailed.split("Skipped revisions (1)", 1)[1].strip().splitlines()
        assert len(lines) == 4 and all("undeclared tag 'typo'" in line for line in lines[1:])
    doc = json.loads(run("history", "--revisions", "--format=json", cwd=watchdog.root).out)
    assert [len(s["problems"]) for s in doc["skipped"]] == [3]  # the JSON always has every problem


def test_unrelated_commits_change_nothing(watchdog: Repo) -> None:
    (watchdog.root / "README.md").write_text("# our watchdog\n", encoding="utf-8")
    readme = watchdog.commit("2025-02-01", "docs only", write=False)
    profile = watchdog.root / "lab_profiles" / "beta.yaml"
    profile.write_text(profile.read_text(encoding="utf-8") + "note: reviewed again\n", encoding="utf-8")
    note = watchdog.commit("2025-03-01", "a note", write=False)
    result = history(watchdog.root)
    refs = [r.ref for r in result.revisions]
    assert readme not in refs and note in refs  # only commits that touch the data are evaluated
    assert result.regressions == [] and result.alarms == [] and result.declines == []
    scores = [[p.score for p in points] for points in result.points.values()]
    assert all(len(set(s)) == 1 for s in scores)


def test_a_pack_version_marks_a_change_of_methodology(watchdog: Repo) -> None:
    watchdog.pack["version"] = "2.0.0"
    watchdog.pack["rules"] = [r for r in watchdog.pack["rules"] if r["id"] != "alpha-pledge"]
    sha = watchdog.commit("2025-02-01", "pack 2.0.0 drops alpha's pledge")
    result = history(watchdog.root)
    alpha = result.points["alpha"]
    assert alpha[0].methodology_changed == () and alpha[1].methodology_changed == ("watch",)
    [removed] = result.regressions
    assert (removed.lab, removed.kind, removed.subject, removed.methodology) == (
        "alpha",
        "commitment_removed",
        "alpha-pledge",
        True,
    )
    assert removed.revision.ref == sha
    table = render_history(result, "table")
    assert "(methodology changed)" in table


def test_a_weakened_pledge_is_a_regression_of_the_lab_it_names(watchdog: Repo) -> None:
    pledge = next(r for r in watchdog.pack["rules"] if r["id"] == "alpha-pledge")
    pledge["bar"] = {"threshold": 3}
    watchdog.commit("2025-02-01", "alpha's pledge relaxed")
    [weakened] = history(watchdog.root).regressions
    assert (weakened.kind, weakened.before, weakened.after) == (
        "commitment_weakened",
        "threshold 5",
        "threshold 3",
    )


@pytest.mark.parametrize(
    ("before", "after", "weakened"),
    [
        ({"quorum": 3}, "median", False),  # 3 disclosed peers: k 3 -> 2, the median bar is stricter
        ("best", {"quorum": 1}, False),  # the same bar, spelled otherwise
        ("best", "median", True),  # k 1 -> 2: the second-best value, 8 instead of 9
        ("median", "all", True),  # k 2 -> 3: the weakest peer's 7
        ("all", "best", False),  # stricter
    ],
)
def test_a_relative_pledge_is_weakened_only_when_its_bar_is_lower_for_the_peers_at_hand(
    watchdog: Repo, before: Any, after: Any, weakened: bool
) -> None:
    """Whether a lab's own relative pledge weakened is decided by computing both bars on the data (the
    code that computes bars, for the number of peers at hand), never by an ordering of bar kinds."""
    rule = {"id": "alpha-relative", "indicator": "evals", "bar": before, "severity": "high"}
    watchdog.pack["rules"].append({**rule, "applies_to": ["alpha"]})
    watchdog.commit("2025-01-20", "alpha pledges a relative bar")
    watchdog.pack["rules"][-1]["bar"] = after
    watchdog.commit("2025-02-01", "alpha's relative pledge redefined")
    found = [r for r in history(watchdog.root).regressions if r.subject == "alpha-relative"]
    assert [(r.kind, r.lab) for r in found] == ([("commitment_weakened", "alpha")] if weakened else [])


def test_outputs_are_deterministic_and_the_json_matches_its_schema(
    watchdog: Repo, run: Callable[..., Result], tmp_path: Path
) -> None:
    watchdog.labs["gamma"]["report"] = "unknown"
    watchdog.commit("2025-02-01", "gamma stops publishing")
    first = run("history", "--revisions", "--format", "json", cwd=watchdog.root)
    assert first.code == 0, first.err
    assert run("history", "--revisions", "--format", "json", cwd=watchdog.root).out == first.out
    doc = json.loads(first.out)
    schema = json.loads(run("schema", "history").out)
    jsonschema.Draft202012Validator(schema).validate(doc)
    assert doc["schema"] == "parity/history/v1" and doc["alarms"][0]["kind"] == "sudden"
    for fmt in ("table", "markdown"):
        out = run("history", "--revisions", "--format", fmt, cwd=watchdog.root)
        assert out.code == 0 and "gamma" in out.out and "sudden" in out.out
    charts = tmp_path / "charts"
    assert (
        run("history", "--revisions", "--charts", str(charts), "--fail-on-alarm", cwd=watchdog.root).code == 1
    )
    svg = (charts / "gamma.svg").read_text(encoding="utf-8")
    assert (
        svg.startswith("<svg")
        and "<script" not in svg
        and "Publishes a risk report no longer disclosed" in svg
    )
    assert sorted(p.name for p in charts.iterdir()) == [f"{lab}.svg" for lab in sorted(watchdog.labs)]


def test_history_of_snapshot_folders(watchdog: Repo, tmp_path: Path) -> None:
    first = tmp_path / "2025-01-10"
    shutil.copytree(watchdog.root, first, ignore=shutil.ignore_patterns(".git"))
    watchdog.labs["gamma"]["report"] = "unknown"
    watchdog.write()
    second = tmp_path / "2025-02-01-after"
    shutil.copytree(watchdog.root, second, ignore=shutil.ignore_patterns(".git"))
    result = history(snapshots=[second, first])
    assert [r.date for r in result.revisions] == [dt.date(2025, 1, 10), dt.date(2025, 2, 1)]
    assert [a.kind for a in result.alarms] == ["sudden"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "no-such-rev"], "--since 'no-such-rev': no such revision"),
        (["--until", "2025-13-01"], "--until '2025-13-01' is not a date"),
        (["--alarms", "alarms.yaml"], "alarms.yaml:1:1: window_days: expected"),
        (["--alarms", "missing.yaml"], "missing.yaml"),
        (["snapshots-that-do-not-exist"], "not a folder"),
    ],
)
def test_bad_history_input_is_exit_2_with_one_clear_line(
    watchdog: Repo, run: Callable[..., Result], args: list[str], message: str
) -> None:
    (watchdog.root / "alarms.yaml").write_text("window_days: soon\n", encoding="utf-8")
    result = run("history", "--revisions", *args, cwd=watchdog.root)
    assert result.code == 2 and message in result.err and "Traceback" not in result.err


def test_history_outside_a_repository_is_exit_2(run: Callable[..., Result], tmp_path: Path) -> None:
    result = run("history", "--revisions", "--repo", str(tmp_path))
    assert result.code == 2 and "not inside a git repository" in result.err


def test_alarms_file_problems_are_all_reported_with_their_place(tmp_path: Path) -> None:
    path = tmp_path / "alarms.yaml"
    path.write_text("window_days: 0\nweights:\n  worse: -1\n  wrose: 2\nstep_treshold: 3\n", encoding="utf-8")
    with pytest.raises(parity.LoadError) as e:
        load_alarms(path)
    fields = [p.field for p in e.value.problems]
    assert fields == ["window_days", "weights.worse", "weights.wrose", "step_treshold"]
    assert all(p.file == str(path) and p.line > 0 for p in e.value.problems)


def test_top_bars_kept_between_revisions_equal_each_revisions_own_verdicts(watchdog: Repo) -> None:
    """History keeps each rule's top bar from one revision to the next (only changed verdicts looked at
    again); at every revision it must be the highest bar among that revision's own verdicts."""
    for i, date in enumerate(["2025-03-01", "2025-05-01", "2025-07-01", "2025-09-01"]):
        watchdog.labs["beta"]["evals"] = 9 - 3 * i  # the best competitor slips, then others lead
        watchdog.labs["gamma"]["evals"] = 8 - i
        watchdog.labs["alpha"]["maturity"] = LEVELS[5 - i]
        watchdog.commit(date, f"step {i}")
    result = history(watchdog.root)
    for rule in ("evals-best", "maturity-best"):
        for point in result.bars[rule]:
            assert point.revision.commit is not None
            data = parity.load_revision(watchdog.root, point.revision.commit)
            report = parity.evaluate(data, as_of=point.revision.date)
            key = (lambda v: LEVELS.index(v)) if rule == "maturity-best" else (lambda v: v)
            bars = [v.bar.value for v in report.verdicts if v.rule == rule and v.bar.value is not None]
            assert point.value == max(bars, key=key), (rule, point.revision.date)
    assert [p.value for p in result.bars["evals-best"]] == [9, 7, 7, 7]  # delta's 7 holds it from step 1


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"bar": {"threshold": 5}, "ratchet": 30}, "'ratchet' holds a relative bar only"),
        ({"bar": "best", "ratchet": 0}, "ratchet"),
        ({"bar": "best", "ratchet": "a year"}, "ratchet"),
    ],
)
def test_a_bad_ratchet_is_a_located_error(
    watchdog: Repo, run: Callable[..., Result], rule: dict[str, Any], message: str
) -> None:
    watchdog.pack["rules"][2].update(rule)  # evals-best
    watchdog.write()
    result = run("validate", cwd=watchdog.root)
    assert result.code == 2 and message in result.err and "rules/watch.yaml:" in result.err


def test_snapshots_take_no_revision_range(watchdog: Repo, run: Callable[..., Result]) -> None:
    result = run("history", "--revisions", str(watchdog.root), "--since", "2025-01-01", cwd=watchdog.root)
    assert result.code == 2 and "select git revisions, not snapshot folders" in result.err


def test_a_waivers_file_applies_from_the_revision_that_adds_it(watchdog: Repo) -> None:
    watchdog.labs["gamma"]["report"] = "unknown"
    watchdog.commit("2025-02-01", "gamma stops publishing")
    waiver = "- rule: report-threshold\n  lab: gamma\n  reason: Report announced.\n  expires: 2025-06-30\n"
    (watchdog.root / "waivers.yaml").write_text(waiver, encoding="utf-8")
    watchdog.labs["delta"]["evals"] = 8
    watchdog.commit("2025-03-01", "waive gamma's report; delta publishes more")
    result = history(watchdog.root)
    assert len(result.revisions) == 3 and not result.skipped
    assert result.last is not None
    gamma = next(v for v in result.last.verdicts if (v.lab, v.rule) == ("gamma", "report-threshold"))
    assert gamma.status == "waived" and gamma.waiver is not None


def test_charts_onto_a_file_is_exit_2(watchdog: Repo, run: Callable[..., Result]) -> None:
    result = run("history", "--revisions", "--charts", "rules/watch.yaml", cwd=watchdog.root)
    assert result.code == 2 and "cannot write the output: rules/watch.yaml" in result.err
    assert (watchdog.root / "rules" / "watch.yaml").read_text(encoding="utf-8").startswith("indicators")
