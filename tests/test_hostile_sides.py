"""The sides of `diff` when the other side is hostile: a folder named like the base (the gate compared the
change with itself), a branch named like a folder, and saved reports that are not what they say."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import AS_OF_ARG, ROOT, Result, edit_file, git

Run = Callable[..., Result]


def _new_high_shortfall(repo: Path) -> None:
    """The edit that gives the world a new high shortfall (the gate must fail on it)."""
    edit_file(repo / "lab_profiles/beta.yaml", "value: 3\n", "value: 9\n")


def _copy_data(repo: Path, folder: Path) -> None:
    folder.mkdir(parents=True)
    for name in ("lab_profiles", "rules"):
        shutil.copytree(repo / name, folder / name)
    shutil.copy(repo / "waivers.yaml", folder / "waivers.yaml")


def _action_diff() -> list[str]:
    """The `parity diff` command line of action.yml, as the runner runs it for a pull request on main."""
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    [script] = [s["run"] for s in action["runs"]["steps"] if "parity diff" in s.get("run", "")]
    [line] = [line.strip() for line in script.splitlines() if line.strip().startswith("parity diff")]
    line = line.split(" || ")[0].replace("$BASE", "main").replace("$FAIL_ON_NEW", "high")
    line = line.replace("$SARIF", "out.sarif").replace("$RUNNER_TEMP", ".")
    line = line.replace('"${accept[@]}"', "")  # accept-new-waivers: false (the default) adds nothing
    return [part.strip('"') for part in line.split()[2:]]


@pytest.mark.parametrize("base", ["origin/main", "refs/remotes/origin/main"])
def test_a_folder_named_like_the_base_cannot_stand_in_for_it(run: Run, repo: Path, base: str) -> None:
    git(repo, "update-ref", "refs/remotes/origin/main", "main")
    _new_high_shortfall(repo)
    _copy_data(repo, repo / base)  # the pull request adds its own data under the base's name
    result = run("diff", base, AS_OF_ARG, "--fail-on-new=high", cwd=repo)
    assert result.code == 1, result.out + result.err  # before: 0, "no change"
    assert "beta" in result.out and "no change" not in result.out


def test_the_action_passes_the_base_as_a_revision(run: Run, repo: Path) -> None:
    git(repo, "update-ref", "refs/remotes/origin/main", "main")
    _new_high_shortfall(repo)
    for name in ("origin/main", "refs/remotes/origin/main"):
        _copy_data(repo, repo / name)
    argv = _action_diff()
    assert argv[0] == "refs/remotes/origin/main"
    result = run("diff", *argv, AS_OF_ARG, cwd=repo)
    assert result.code == 1, result.out + result.err
    assert "::error" in result.out or "::warning" in result.out


def test_a_branch_named_like_a_folder_is_a_branch(run: Run, repo: Path) -> None:
    git(repo, "branch", "rules")
    _new_high_shortfall(repo)
    result = run("diff", "rules", AS_OF_ARG, "--format=json", cwd=repo)
    assert result.code == 0, result.err  # before: exit 2, rules/ read as a folder with no lab_profiles/
    doc = json.loads(result.out)
    assert doc["base"]["kind"] == "revision" and doc["changes"]


@pytest.mark.parametrize("spelled", ["./snap", "snap/", "{abs}"])
def test_a_folder_is_read_when_written_as_a_path(run: Run, repo: Path, spelled: str) -> None:
    _copy_data(repo, repo / "snap")
    _new_high_shortfall(repo)
    spec = spelled.format(abs=repo / "snap")
    result = run("diff", spec, AS_OF_ARG, "--format=json", cwd=repo)
    assert result.code == 0, result.err
    assert json.loads(result.out)["base"]["kind"] == "folder"


def test_a_folder_not_written_as_a_path_is_refused_with_the_way_to_write_it(run: Run, repo: Path) -> None:
    _copy_data(repo, repo / "snap")
    result = run("diff", "snap", AS_OF_ARG, cwd=repo)  # before: read as the folder
    assert result.code == 2
    assert (
        "'snap': no such revision in .; to compare the folder of that name, write it as a path: ./snap"
        in (result.err)
    )
    (repo / "base.json").write_text(run("check", AS_OF_ARG, "--format=json", cwd=repo).out, encoding="utf-8")
    report = run("diff", "base.json", AS_OF_ARG, cwd=repo)
    assert report.code == 2 and "write it as a path: ./base.json" in report.err
    assert run("diff", "./base.json", AS_OF_ARG, cwd=repo).code == 0
    missing = run("diff", "./nowhere", AS_OF_ARG, cwd=repo)
    assert missing.code == 2 and "no such folder" in missing.err


# --- saved reports -----------------------------------------------------------------------------------------


@pytest.fixture
def saved(run: Run, repo: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(run("check", AS_OF_ARG, "--format=json", cwd=repo).out)
    return doc


def _deep(depth: int) -> str:
    return "[" * depth + "]" * depth


# Each case: a change to a valid saved report, and what the error must say (its place in the document).
CASES: dict[str, tuple[Callable[[dict[str, Any]], Any], str]] = {
    "lab-a-list": (
        lambda d: d["verdicts"][0].update(lab=["a"]),
        "verdicts[0].lab: Input should be a valid string",
    ),
    "lab-an-int": (
        lambda d: d["verdicts"][1].update(lab=7),
        "verdicts[1].lab: Input should be a valid string",
    ),
    "unknown-status": (
        lambda d: d["verdicts"][0].update(status="fine"),
        "verdicts[0].status: Input should be",
    ),
    "unknown-severity": (lambda d: d["verdicts"][0].update(severity="dire"), "verdicts[0].severity"),
    "flags-a-string": (lambda d: d["verdicts"][0].update(flags="stale"), "verdicts[0].flags"),
    "gap-a-string": (lambda d: d["verdicts"][0].update(gap="3"), "verdicts[0].gap"),
    "score-above-one": (lambda d: d["labs"]["alpha"].update(score=2), "labs.alpha.score"),
    "labs-a-list": (lambda d: d.update(labs=[]), "labs: Input should be a valid dictionary"),
    "no-verdicts": (lambda d: d.pop("verdicts"), "verdicts"),
    "as-of-not-a-date": (lambda d: d.update(as_of="2026-02-30"), "as_of: '2026-02-30' is not a real date"),
    "as-of-year-9999": (lambda d: d.update(as_of="9999-12-31"), "as_of: 9999-12-31 is out of range"),
    "as-of-year-1": (lambda d: d.update(as_of="0001-01-01"), "as_of: 0001-01-01 is out of range"),
    "evidence-date": (
        lambda d: d["verdicts"][0]["evidence"].append({"url": "https://e.org", "date": "2026-13-01"}),
        "verdicts[0].evidence[",
    ),
    "waiver-expiry": (lambda d: d["waivers"][0].update(expires="tomorrow"), "waivers[0].expires"),
    "wrong-schema": (lambda d: d.update(schema="parity/report/v9"), "schema: is 'parity/report/v9'"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_saved_report_is_checked_against_its_schema(
    run: Run, repo: Path, saved: dict[str, Any], case: str
) -> None:
    change, message = CASES[case]
    change(saved)
    (repo / "base.json").write_text(json.dumps(saved), encoding="utf-8")
    result = run("diff", "./base.json", AS_OF_ARG, cwd=repo)  # before: exit 0, 1 or 3
    assert result.code == 2, result.err
    assert f"./base.json:1:1: {message}" in result.err, result.err
    assert "Traceback" not in result.err and "internal error" not in result.err


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('"gap": NaN', "NaN is not a JSON number"),
        ('"gap": Infinity', "Infinity is not a JSON number"),
        ('"gap": -Infinity', "-Infinity is not a JSON number"),
        ('"gap": 1e400', "1e400 is out of range for a number"),
        ('"gap": ' + "9" * 5000, "integer string conversion"),
        ('"gap": ' + _deep(200_000), "nested deeper than a report ever is"),
        ('"gap": 1, "extra": ' + _deep(200_000), "nested deeper than a report ever is"),
    ],
    ids=["nan", "infinity", "minus-infinity", "overflow", "5000-digits", "deep-value", "deep-extra"],
)
def test_a_saved_report_is_strict_json(
    run: Run, repo: Path, saved: dict[str, Any], text: str, message: str
) -> None:
    raw = json.dumps(saved).replace('"gap": ', '"gap": 0, "was": ', 1).replace('"gap": 0', text, 1)
    (repo / "base.json").write_text(raw, encoding="utf-8")
    result = run("diff", "./base.json", AS_OF_ARG, "--format=json", cwd=repo)  # before: 0/1 or exit 3
    assert result.code == 2 and message in result.err, result.err
    assert "NaN" not in result.out and "Infinity" not in result.out


@pytest.mark.parametrize("kind", ["huge", "fifo", "not-utf8", "not-json", "a-list"])
def test_a_saved_report_that_is_not_a_report_file(run: Run, repo: Path, kind: str) -> None:
    path = repo / "base.json"
    if kind == "huge":  # a sparse file: nothing is read past the size cap, so nothing is allocated
        with open(path, "wb") as f:
            f.truncate(300 * 1024 * 1024)
    elif kind == "fifo":
        os.mkfifo(path)
    else:
        path.write_bytes(
            {"not-utf8": b'{"schema": "\xff"}', "not-json": b"{\n  'x': 1}", "a-list": b"[]"}[kind]
        )
    result = run("diff", "./base.json", AS_OF_ARG, cwd=repo)  # before: 3.1 GB read for 1.5 GB; a FIFO hung
    expected = {
        "huge": "parity reads at most 268435456",
        "fifo": "is a FIFO, not a regular file",
        "not-utf8": "not UTF-8 text",
        "not-json": "./base.json:2:3: not a saved parity report: not JSON",
        "a-list": "a report is a JSON object, not list",
    }[kind]
    assert result.code == 2 and expected in result.err, result.err


def test_a_saved_report_parity_wrote_reads_back_as_the_same_side(run: Run, repo: Path) -> None:
    (repo / "base.json").write_text(run("check", AS_OF_ARG, "--format=json", cwd=repo).out, encoding="utf-8")
    _new_high_shortfall(repo)
    by_report = json.loads(run("diff", "./base.json", AS_OF_ARG, "--format=json", cwd=repo).out)
    by_revision = json.loads(run("diff", "main", AS_OF_ARG, "--format=json", cwd=repo).out)
    assert by_report["changes"] == by_revision["changes"] and by_report["changes"]
