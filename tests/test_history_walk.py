"""History's walk on hostile repositories: each revision compared with its parent (side branches
interleaved in time, merges, a revision before the range), `--repo` over GIT_DIR, a shallow clone, dates
outside any range, and commits whose fields no ordinary `git commit` writes."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import GIT_ENV, Result, git, parity_process

from parity.history import History
from parity.history import run as history

PACK: dict[str, Any] = {
    "pack": "walk",
    "version": "1.0.0",
    "indicators": {
        "evals": {"title": "Evaluations published", "area": "evals", "type": "number", "better": "higher"},
        "maturity": {
            "title": "Maturity",
            "area": "governance",
            "type": "level",
            "levels": ["l0", "l1", "l2"],
        },
    },
    "rules": [
        {"id": "evals-best", "indicator": "evals", "bar": "best", "severity": "high"},
        {"id": "maturity-best", "indicator": "maturity", "bar": "best", "severity": "low"},
    ],
}
RATCHET = {"id": "evals-held", "indicator": "evals", "bar": "best", "ratchet": 365, "severity": "low"}


class Data:
    """A data repository: three labs, one pack, each commit dated (noon UTC)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.labs = {"alpha": {"evals": 6, "maturity": "l1"}, "beta": {"evals": 9, "maturity": "l1"}}
        self.labs["gamma"] = {"evals": 8, "maturity": "l1"}
        self.rules = list(PACK["rules"])
        root.mkdir()
        git(root, "init", "-q", "-b", "main")

    def write(self) -> None:
        for folder in ("lab_profiles", "rules"):
            (self.root / folder).mkdir(exist_ok=True)
        evidence = [{"url": "https://example.org/e", "date": "2025-01-01"}]
        for lab, values in self.labs.items():
            practices = {k: {"value": v, "evidence": evidence} for k, v in values.items()}
            profile = {"id": lab, "name": lab.title(), "practices": practices}
            (self.root / "lab_profiles" / f"{lab}.yaml").write_text(yaml.safe_dump(profile), encoding="utf-8")
        pack = {**PACK, "rules": self.rules}
        (self.root / "rules" / "walk.yaml").write_text(yaml.safe_dump(pack), encoding="utf-8")

    def commit(self, date: str, message: str) -> str:
        self.write()
        git(self.root, "add", "-A")
        git(self.root, "commit", "-q", "--allow-empty", "-m", message, date=date)
        return git(self.root, "rev-parse", "HEAD").strip()[:12]

    def checkout(self, branch: str, new: bool = False) -> None:
        git(self.root, "checkout", "-q", *(["-b"] if new else []), branch)
        self.labs = {lab: dict(v) for lab, v in self.read_labs().items()}

    def read_labs(self) -> dict[str, dict[str, Any]]:
        labs = {}
        for path in sorted((self.root / "lab_profiles").glob("*.yaml")):
            profile = yaml.safe_load(path.read_text(encoding="utf-8"))
            labs[profile["id"]] = {k: p["value"] for k, p in profile["practices"].items()}
        return labs


@pytest.fixture
def data(tmp_path: Path) -> Data:
    repo = Data(tmp_path / "data")
    repo.commit("2025-01-10", "start")
    return repo


def _regressions(result: History) -> list[tuple[str, str, str, str, str]]:
    return [(r.lab, r.kind, r.subject, r.revision.subject, r.previous.subject) for r in result.regressions]


def _interleaved(data: Data) -> dict[str, str]:
    """A side branch that lowers beta's evals (the best, so the bar of the others), with commits on main
    between its own, then merged: one lowered value."""
    refs = {}
    data.checkout("side", new=True)
    data.labs["beta"]["evals"] = 5
    refs["lowered"] = data.commit("2025-02-01", "side: beta publishes fewer evals")
    data.checkout("main")
    data.labs["gamma"]["maturity"] = "l2"
    refs["main1"] = data.commit("2025-02-10", "main: gamma matures")
    data.checkout("side")
    data.labs["alpha"]["maturity"] = "l2"
    refs["side2"] = data.commit("2025-02-20", "side: alpha matures")
    data.checkout("main")
    data.labs["alpha"]["evals"] = 7
    refs["main2"] = data.commit("2025-03-01", "main: unrelated edit")
    _merge(data, "side", "2025-03-10")
    return refs


def _merge(data: Data, branch: str, date: str, *args: str) -> None:
    env = {**GIT_ENV, "GIT_AUTHOR_DATE": f"{date}T12:00:00Z", "GIT_COMMITTER_DATE": f"{date}T12:00:00Z"}
    command = ["git", "-C", str(data.root), "merge", "-q", "--no-ff", "-m", f"merge {branch}", *args, branch]
    subprocess.run(command, env=env, check=True, capture_output=True)


def test_a_side_branch_interleaved_in_time_is_one_regression_at_the_commit_that_made_it(data: Data) -> None:
    _interleaved(data)
    result = history(data.root)
    assert _regressions(result) == [
        ("beta", "worse", "evals", "side: beta publishes fewer evals", "start")
    ]  # before: 5 (the walk compared main's commits with the side's, and the merge with main)
    assert [(a.kind, a.subject) for a in result.alarms] == [("race", "evals-best")]
    [decline] = result.declines  # before: 3, each a race alarm (and an erosion alarm for beta)
    assert (decline.peak.revision.subject, decline.low.revision.subject) == (
        "start",
        "side: beta publishes fewer evals",
    )
    merge = result.revisions[-1]
    assert [p.subject for p in result.parents[merge]] == ["main: unrelated edit", "side: alpha matures"]
    # Each lab's previous point is its parent's: no methodology change, and the points follow the lines.
    assert all(not p.methodology_changed for points in result.points.values() for p in points)


def test_with_first_parent_a_merge_brings_the_whole_branch_at_once(data: Data) -> None:
    _interleaved(data)
    result = history(data.root, first_parent=True)
    assert _regressions(result) == [("beta", "worse", "evals", "merge side", "main: unrelated edit")]


def test_a_merge_that_lowers_a_value_itself_is_a_regression_of_the_merge(data: Data) -> None:
    data.checkout("side", new=True)
    data.labs["alpha"]["maturity"] = "l2"
    data.commit("2025-02-01", "side: alpha matures")
    data.checkout("main")
    data.labs["gamma"]["maturity"] = "l2"
    data.commit("2025-02-10", "main: gamma matures")
    _merge(data, "side", "2025-03-10", "--no-commit")
    data.labs = data.read_labs()
    data.labs["beta"]["evals"] = 4  # lowered in the merge itself (as a conflict's resolution can)
    data.write()
    git(data.root, "add", "-A")
    git(data.root, "commit", "-q", "-m", "evil merge", date="2025-03-10")
    result = history(data.root)
    assert _regressions(result) == [("beta", "worse", "evals", "evil merge", "main: gamma matures")]


def test_the_first_revision_of_a_range_is_compared_with_its_parent_before_the_range(data: Data) -> None:
    data.labs["beta"]["evals"] = 5
    data.commit("2025-02-01", "beta lowered")
    data.labs["gamma"]["maturity"] = "l2"
    data.commit("2025-03-01", "gamma matures")
    for since in ("2025-01-11", "main~2"):
        result = history(data.root, since=since)
        assert [r.subject for r in result.revisions] == ["beta lowered", "gamma matures"]
        assert _regressions(result) == [("beta", "worse", "evals", "beta lowered", "start")]


def test_a_revision_that_does_not_load_on_a_branch_hands_its_parent_to_its_child(data: Data) -> None:
    data.checkout("side", new=True)
    (data.root / "rules" / "walk.yaml").write_text("pack: [\n", encoding="utf-8")
    git(data.root, "add", "-A")
    git(data.root, "commit", "-q", "-m", "broken", date="2025-02-01")
    data.labs["beta"]["evals"] = 5
    data.commit("2025-02-05", "beta lowered, fixed")
    data.checkout("main")
    data.labs["gamma"]["maturity"] = "l2"
    data.commit("2025-02-03", "main: gamma matures")
    _merge(data, "side", "2025-03-01")
    result = history(data.root)
    assert [s.revision.subject for s in result.skipped] == ["broken"]
    assert _regressions(result) == [("beta", "worse", "evals", "beta lowered, fixed", "start")]


def test_repo_wins_over_git_dir_in_the_environment(data: Data, tmp_path: Path) -> None:
    other = Data(tmp_path / "other")
    other.labs["beta"]["evals"] = 1
    other.commit("2024-06-01", "another repository")
    data.labs["beta"]["evals"] = 5
    data.commit("2025-02-01", "beta lowered")
    env = {**os.environ, "GIT_DIR": str(other.root / ".git"), "GIT_WORK_TREE": str(other.root)}
    env["GIT_INDEX_FILE"] = str(other.root / ".git" / "index")  # as a hook runs
    done = parity_process(
        "history", "--revisions", "--repo", str(data.root), "--format", "json", cwd=tmp_path, env=env
    )
    assert done.code == 0, done.err
    doc = json.loads(done.out)
    assert [r["title"] for r in doc["revisions"]] == ["start", "beta lowered"]  # before: "another repository"


def _clone(source: Path, target: Path, *args: str) -> Path:
    git(source.parent, "clone", "-q", *args, f"file://{source}", str(target))
    return target


def test_a_shallow_clone_is_said_and_does_not_pass_an_alarm_gate(
    data: Data, tmp_path: Path, run: Callable[..., Result]
) -> None:
    for i, level in enumerate(["l0", "l1", "l0", "l1"]):
        data.labs["alpha"]["maturity"] = level
        data.commit(f"2025-0{i + 2}-01", f"step {i}")
    shallow = _clone(data.root, tmp_path / "shallow", "--depth", "2")
    walked = run("history", "--revisions", cwd=shallow)
    assert walked.code == 0 and "shallow clone: history walked only the 2 revisions" in walked.err
    gate = run(
        "history", "--revisions", "--fail-on-alarm", cwd=shallow
    )  # before: exit 0 on 2 of 5 revisions, silently
    assert gate.code == 2 and "is a shallow clone" in gate.err and "--allow-shallow" in gate.err
    allowed = run("history", "--revisions", "--fail-on-alarm", "--allow-shallow", cwd=shallow)
    assert allowed.code in (0, 1) and "shallow clone" in allowed.err
    assert "shallow" not in run("history", "--revisions", "--fail-on-alarm", cwd=data.root).err


@pytest.mark.parametrize(
    ("args", "code", "revisions", "message"),
    [
        (["--since", "1900-01-01"], 0, 2, ""),  # before: nothing
        (["--until", "9999-12-31"], 0, 2, ""),  # before: exit 3
        (
            ["--until", "1900-01-01"],
            2,
            0,
            "--until 1900-01-01 selects no commit: the 2 commits",
        ),  # before: all
        (["--since", "9999-12-31"], 2, 0, "from 2025-01-10 to 2025-02-01"),
        (["--since", "2025-03-01", "--until", "2025-02-01"], 2, 0, "is after --until"),
        (["--since", "HEAD"], 2, 0, "--since HEAD selects no commit"),
        (["--until", "0000-01-01"], 2, 0, "is not a date"),
    ],
)
def test_since_and_until_are_checked_by_parity(
    data: Data, run: Callable[..., Result], args: list[str], code: int, revisions: int, message: str
) -> None:
    data.labs["beta"]["evals"] = 5
    data.commit("2025-02-01", "beta lowered")
    result = run("history", "--revisions", "--format", "json", *args, cwd=data.root)
    assert result.code == code, result.err
    assert message in result.err and "Traceback" not in result.err
    if code == 0:
        assert len(json.loads(result.out)["revisions"]) == revisions


def _forge(data: Data, committer: str | None, subject: str = "forged") -> str:
    """A commit written by hand on top of HEAD, with the committer line given (None: no such line)."""
    data.labs["beta"]["evals"] = 5
    data.write()
    git(data.root, "add", "-A")
    tree = git(data.root, "write-tree").strip()
    head = git(data.root, "rev-parse", "HEAD").strip()
    lines = [f"tree {tree}", f"parent {head}", "author t <t@example.org> 1738411200 +0000"]
    if committer is not None:
        lines.append(f"committer t <t@example.org> {committer} +0000")
    body = ("\n".join(lines) + f"\n\n{subject}\n").encode()
    done = subprocess.run(
        ["git", "-C", str(data.root), "hash-object", "-t", "commit", "-w", "--literally", "--stdin"],
        input=body,
        capture_output=True,
        env=GIT_ENV,
        check=True,
    )
    sha = done.stdout.decode().strip()
    git(data.root, "update-ref", "HEAD", sha)
    return sha


@pytest.mark.parametrize(
    "committer",
    [None, "253402300800", "100000000000000000000000", "-5", "soon"],
    ids=["no-committer", "year-10000", "1e23", "negative", "text"],
)
def test_a_commit_date_that_cannot_be_read_is_exit_2_naming_it(
    data: Data, run: Callable[..., Result], committer: str | None
) -> None:
    sha = _forge(data, committer)
    result = run("history", "--revisions", cwd=data.root)  # before: exit 3 (ValueError, OverflowError)
    assert result.code == 2 and f"commit {sha[:12]}" in result.err and "--as-of" in result.err
    assert "Traceback" not in result.err
    at_one_date = run("history", "--revisions", "--as-of", "2025-06-01", "--format", "json", cwd=data.root)
    assert at_one_date.code == 0, at_one_date.err
    assert [r["title"] for r in json.loads(at_one_date.out)["revisions"]] == ["start", "forged"]


@pytest.mark.parametrize("mark", ["\r", "\v", "\f", "\x1c", "\x85", "\u2028", "\x1b[31m"])
def test_a_subject_with_a_line_or_record_separator_is_read_whole(
    data: Data, run: Callable[..., Result], mark: str
) -> None:
    data.labs["beta"]["evals"] = 5
    data.commit("2025-02-01", f"beta{mark}lowered")
    result = run(
        "history", "--revisions", "--format", "json", cwd=data.root
    )  # before: exit 3 (a record split in two)
    assert result.code == 0, result.err
    titles = [r["title"] for r in json.loads(result.out)["revisions"]]
    assert titles == ["start", f"beta{mark}lowered"]
    data.rules.append(RATCHET)  # check reads the ratchet's past through the same timeline
    data.commit("2025-02-02", f"ratchet{mark}added")
    checked = run("check", "--as-of", "2025-03-01", cwd=data.root)
    assert checked.code == 0 and "Traceback" not in checked.err, checked.err


def test_a_long_subject_is_cut_by_git_not_read_whole(data: Data, run: Callable[..., Result]) -> None:
    data.labs["beta"]["evals"] = 5
    data.write()
    (data.root.parent / "message").write_text("x" * 1_000_000, encoding="utf-8")
    git(data.root, "commit", "-q", "-a", "-F", str(data.root.parent / "message"), date="2025-02-01")
    [_, revision] = json.loads(run("history", "--revisions", "--format", "json", cwd=data.root).out)[
        "revisions"
    ]
    assert len(revision["title"]) == 200 and revision["title"].endswith("..")


def test_a_bare_repository_is_walked(data: Data, tmp_path: Path, run: Callable[..., Result]) -> None:
    data.labs["beta"]["evals"] = 5
    data.commit("2025-02-01", "beta lowered")
    bare = _clone(data.root, tmp_path / "bare.git", "--bare")
    result = run(
        "history", "--revisions", "--repo", str(bare), "--format", "json"
    )  # before: "not inside a repository"
    assert result.code == 0, result.err
    assert len(json.loads(result.out)["regressions"]) == 1


def test_without_git_the_message_says_git_is_missing(data: Data, tmp_path: Path) -> None:
    env = {**os.environ, "PATH": str(tmp_path / "no-git-here")}
    done = parity_process("history", "--revisions", "--repo", str(data.root), cwd=tmp_path, env=env)
    assert done.code == 2 and "cannot run git" in done.err  # before: "not inside a git repository"


def test_two_clones_give_the_same_output(data: Data, tmp_path: Path, run: Callable[..., Result]) -> None:
    data.labs["beta"]["evals"] = 5
    data.commit("2025-02-01", "beta lowered")
    one, two = _clone(data.root, tmp_path / "one"), _clone(data.root, tmp_path / "clone-two")
    first = run("history", "--revisions", "--format", "json", cwd=one)
    assert (
        first.out == run("history", "--revisions", "--format", "json", cwd=two).out
    )  # before: each its absolute path
    assert json.loads(first.out)["source"] == "." and str(tmp_path) not in first.out


def test_snapshot_dates_out_of_range_and_repeats_are_exit_2(
    data: Data, tmp_path: Path, run: Callable[..., Result]
) -> None:
    early = tmp_path / "0001-01-01"
    early.mkdir()
    result = run(
        "history", "--revisions", str(early)
    )  # before: exit 3 (the erosion window left the calendar)
    assert result.code == 2 and "out of range" in result.err
    twice = run("history", "--revisions", str(data.root), str(data.root), "--as-of", "2025-06-01")
    assert twice.code == 2 and "given twice" in twice.err


def test_the_walk_keeps_only_the_revisions_still_to_be_compared_with(data: Data) -> None:
    """A long line with a branch: the walk's kept sides never outgrow the open branches."""
    from parity.history import timeline
    from parity.history.walk import _Compared

    _interleaved(data)
    line = timeline.commits(data.root, ["lab_profiles", "rules"])
    compared = _Compared(line)
    most = 0
    for revision in line.revisions:
        assert len(compared.bases(revision)) == len(revision.parents)
        compared.done(revision, (revision, None, None))  # type: ignore[arg-type]
        most = max(most, len(compared.sides))
    assert most == 2 and not compared.sides  # main and side at once, then nothing


def test_dates_are_evaluated_as_given_at_both_ends_of_the_calendar(data: Data) -> None:
    result = history(data.root, as_of=dt.date(9899, 12, 31))
    assert [r.date for r in result.revisions] == [dt.date(9899, 12, 31)]
