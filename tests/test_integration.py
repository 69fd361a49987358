"""What a data repository wires in: the GitHub Action, the pre-commit hooks and `schema --out`."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import jsonschema
import yaml
from helpers import Result, git

from parity.cli import parser

ROOT = Path(__file__).resolve().parent.parent
Run = Callable[..., Result]
PLACEHOLDERS = {
    '"refs/remotes/origin/$BASE"': "refs/remotes/origin/main",
    '"$FAIL_ON_NEW"': "high",
    '"sarif:$SARIF"': "sarif:parity.sarif",
    '"markdown:$RUNNER_TEMP/parity-summary.md"': "markdown:/tmp/parity-summary.md",
    '"${accept[@]}"': "",
    '"$CASES"': "tests/rule_cases",
}


def _parity_commands(script: str) -> list[list[str]]:
    """Every `parity ...` command line in a shell script, with `"$VAR"` placeholders filled in."""
    commands = []
    for line in script.splitlines():
        line = line.strip()
        if line.startswith("parity "):
            line = re.sub(r"\s*(>>?\s*\S+|\|\| status=\$\?)$", "", line)  # drop a redirection or ||
            for placeholder, value in PLACEHOLDERS.items():
                line = line.replace(placeholder, value)
            commands.append(shlex.split(line)[1:])
    return commands


def test_every_command_in_the_action_parses() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    assert action["runs"]["using"] == "composite"
    commands = [argv for step in action["runs"]["steps"] for argv in _parity_commands(step.get("run", ""))]
    assert [argv[0] for argv in commands] == ["validate", "diff", "waivers", "test", "check"]
    parsed = {}
    for argv in commands:
        parsed[argv[0]] = parser().parse_args(argv)  # an unknown option would exit 2 here
        assert "$" not in " ".join(argv), argv
    args = parsed["diff"]
    assert args.fail_on_new == "high" and args.format == "github"
    assert parsed["waivers"].strict_waivers and parsed["waivers"].format == "github"
    assert parsed["check"].strict_sources
    assert args.output == [("sarif", Path("parity.sarif")), ("markdown", Path("/tmp/parity-summary.md"))]
    assert action["inputs"]["fail-on-new"]["default"] in {
        "never",
        "info",
        "low",
        "medium",
        "high",
        "critical",
    }


def test_pre_commit_hooks_parse_and_pass_on_the_shipped_data(run: Run) -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert {hook["id"] for hook in hooks} == {"parity-validate", "parity-check", "parity-test"}
    for hook in hooks:
        argv = shlex.split(hook["entry"])
        assert argv[0] == "parity" and hook["pass_filenames"] is False
        parser().parse_args(argv[1:])
        if hook["id"] != "parity-test":  # the rule cases' hook runs on packs and cases, not profiles
            assert re.search(hook["files"], "lab_profiles/anthropic.yaml")
        assert re.search(hook["files"], "rules/pledges.yaml")
        assert not re.search(hook["files"], "README.md")
        dated = ["--as-of=2026-12-01"] if argv[1] != "test" else []
        result = run(*argv[1:], *dated, cwd=ROOT)
        assert result.code == 0, result.out + result.err


def test_schema_out_writes_one_file_per_schema(run: Run, tmp_path: Path) -> None:
    result = run("schema", "--out", str(tmp_path))
    assert result.code == 0, result.err
    names = sorted(p.name for p in tmp_path.iterdir())
    expected = ("alarms", "history", "profile", "report", "rule-pack", "sources", "waivers")
    assert names == [f"{n}.schema.json" for n in expected]
    assert result.out.splitlines() == [str(tmp_path / name) for name in names]
    for name in names:
        schema = json.loads((tmp_path / name).read_text(encoding="utf-8"))
        jsonschema.Draft202012Validator.check_schema(schema)
        assert schema == json.loads(run("schema", name.removesuffix(".schema.json")).out)


def test_schema_out_one_schema_and_a_missing_folder(run: Run, tmp_path: Path) -> None:
    assert run("schema", "profile", "--out", str(tmp_path)).code == 0
    assert [p.name for p in tmp_path.iterdir()] == ["profile.schema.json"]
    missing = run("schema", "--out", str(tmp_path / "nowhere"))
    assert missing.code == 2
    assert "not a directory" in missing.err and "Traceback" not in missing.err


def test_the_actions_compare_step_runs_as_github_would(repo: Path, tmp_path: Path) -> None:
    """The step's own script, under GitHub's `bash -e -o pipefail`, on a pull request adding a shortfall."""
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    (step,) = [s for s in action["runs"]["steps"] if s.get("name") == "Compare with the base"]
    git(repo, "update-ref", "refs/remotes/origin/main", "main")  # what the fetch step leaves
    profile = repo / "lab_profiles/beta.yaml"
    profile.write_text(
        profile.read_text(encoding="utf-8").replace("value: 3\n", "value: 9\n", 1), encoding="utf-8"
    )
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n", encoding="utf-8")
    env = {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "BASE": "main",
        "FAIL_ON_NEW": "high",
        "SARIF": "parity.sarif",
        "RUNNER_TEMP": str(tmp_path),
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_ACTIONS": "true",
        "PARITY_CACHE_DIR": os.environ["PARITY_CACHE_DIR"],
    }
    done = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", step["run"]], cwd=repo, env=env, capture_output=True, text=True
    )
    assert done.returncode == 1, done.stderr  # the new high shortfall fails the job
    assert "::error file=lab_profiles/beta.yaml" in done.stdout
    assert json.loads((repo / "parity.sarif").read_text(encoding="utf-8"))["version"] == "2.1.0"
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("earlier step\n") and "risk-report-cadence-parity" in text
