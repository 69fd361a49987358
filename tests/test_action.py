"""The GitHub Action (action.yml) and the pre-commit hooks run every gate docs/ci.md lists. The Action's
shell steps are run here as a runner would run them (bash -eo pipefail, the step's env, GITHUB_STEP_SUMMARY
and RUNNER_TEMP set), on a pull-request branch of a scripted repository whose `origin` is a local bare
clone; `uses:` steps (setup-python, the SARIF upload) and the install are left out: parity is installed."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import GIT_ENV, ROOT, edit_file, git

ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
HOOKS = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
CASES = """\
pack: transparency
as_of: 2026-11-26
cases:
  - rule: security-floor
    labs: {a: {weight_security_level: SL3}}
    expect: {a: meets}
"""


def _gates() -> list[str]:
    """The commands of docs/ci.md's table of gates."""
    text = (ROOT / "docs/ci.md").read_text(encoding="utf-8")
    table = text.split("| gate | command |", 1)[1].split("\n\n", 1)[0]
    return re.findall(r"^\| [^|]+ \| `(parity [^`]+)` \|", table, re.M)


def test_the_action_runs_every_gate_docs_ci_lists() -> None:
    scripts = "\n".join(step.get("run", "") for step in ACTION["runs"]["steps"])
    gates = _gates()
    assert len(gates) == 5, gates
    for gate in gates:
        words = gate.split()[:2] + [
            w for w in gate.split()[2:] if w.startswith("--") and w != "--fail-on-new"
        ]
        assert all(w in scripts for w in words), f"action.yml does not run {gate}"


def test_the_hooks_run_what_docs_ci_says() -> None:
    entries = {hook["id"]: hook["entry"] for hook in HOOKS}
    assert entries == {
        "parity-validate": "parity validate --strict",
        "parity-check": "parity check --strict-waivers",
        "parity-test": "parity test",
    }
    ci = (ROOT / "docs/ci.md").read_text(encoding="utf-8")
    assert all(f"id: {hook}" in ci for hook in entries)
    assert (
        "CPPFLAGS='-DPyEval_CallObject=PyObject_CallObject' PIP_NO_CACHE_DIR=1 pre-commit install-hooks" in ci
    )


@dataclass
class Step:
    name: str
    code: int
    out: str
    err: str


def _env_value(expression: Any, inputs: dict[str, str]) -> str:
    """The value of a step's env entry, for the expressions action.yml uses."""
    text = str(expression)
    if "inputs.base" in text:
        return inputs["base"] or "main"
    found = re.fullmatch(r"\$\{\{ inputs\.([\w-]+) \}\}", text)
    return inputs[found.group(1)] if found else text


def _run_action(repo: Path, tmp: Path, **overrides: str) -> list[Step]:
    inputs = {name: str(spec.get("default", "")) for name, spec in ACTION["inputs"].items()} | overrides
    bin_dir = str(Path(sys.executable).parent)
    env = {**GIT_ENV, "PATH": f"{bin_dir}:{GIT_ENV['PATH']}", "HOME": str(tmp)}
    env |= {"GITHUB_STEP_SUMMARY": str(tmp / "summary.md"), "RUNNER_TEMP": str(tmp)}
    env |= {"GITHUB_ACTIONS": "true", "PARITY_CACHE_DIR": os.environ.get("PARITY_CACHE_DIR", str(tmp))}
    steps = []
    for step in ACTION["runs"]["steps"]:
        if "run" not in step or step["name"] == "Install parity":
            continue
        if steps and steps[0].code != 0 and "steps.validate.outcome == 'success'" in step.get("if", ""):
            continue  # the runner skips the gates when the data is invalid
        step_env = env | {k: _env_value(v, inputs) for k, v in step.get("env", {}).items()}
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
            cwd=repo,
            env=step_env,
            capture_output=True,
            text=True,
        )
        steps.append(Step(step["name"], done.returncode, done.stdout, done.stderr))
    return steps


@pytest.fixture
def pull_request(repo: Path, tmp_path: Path) -> Path:
    """The test world on `main`, pushed to a bare `origin`, and a branch `pr` checked out (as a runner checks
    out a pull request, one commit deep does not matter: the base is fetched). Its waivers are none, so that
    the waivers gate does not depend on today's date."""
    (repo / "waivers.yaml").write_text("[]\n", encoding="utf-8")
    _strict(repo)
    (repo / "tests/rule_cases").mkdir(parents=True)
    (repo / "tests/rule_cases/transparency.yaml").write_text(CASES, encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "no waivers; a rule case")
    git(tmp_path, "clone", "-q", "--bare", str(repo), "origin.git")
    git(repo, "remote", "add", "origin", f"file://{tmp_path / 'origin.git'}")
    git(repo, "checkout", "-qb", "pr")
    return repo


def _strict(repo: Path) -> None:
    """The world made to pass `validate --strict` today (the Action validates strictly, at today's date):
    every value sourced, every profile reviewed today."""
    from parity.vocabulary import today

    seen = "\n    evidence: [{url: 'https://watchdog.example/looked', date: 2026-01-01}]\n"
    edit_file(repo / "lab_profiles/alpha.yaml", "reviewed: 2026-10-01", f"reviewed: {today()}")
    edit_file(
        repo / "lab_profiles/alpha.yaml",
        "frontier_safety_roadmap:\n    value: true\n",
        f"frontier_safety_roadmap:\n    value: true{seen}",
    )
    edit_file(
        repo / "lab_profiles/alpha.yaml",
        "development_delayed:\n    value: unknown\n",
        f"development_delayed:\n    value: unknown{seen}",
    )
    edit_file(
        repo / "lab_profiles/gamma.yaml",
        "frontier_safety_roadmap:\n    value: unknown\n",
        f"frontier_safety_roadmap:\n    value: unknown{seen}",
    )
    for lab in ("beta", "gamma"):
        edit_file(repo / f"lab_profiles/{lab}.yaml", "\npractices:", f"\nreviewed: {today()}\npractices:")


def _by_name(steps: list[Step]) -> dict[str, Step]:
    return {s.name: s for s in steps}


def test_a_clean_pull_request_passes_every_gate(pull_request: Path, tmp_path: Path) -> None:
    edit_file(pull_request / "lab_profiles/alpha.yaml", "name: Alpha AI", "name: Alpha AI Inc.")
    git(pull_request, "commit", "-qam", "rename")
    steps = _by_name(_run_action(pull_request, tmp_path))
    assert list(steps) == [
        "Validate the data",
        "Fetch the base",
        "Compare with the base",
        "Check the waivers",
        "Run the rule-pack test cases",
        "Check the sources record",
    ]
    assert {name: s.code for name, s in steps.items()} == dict.fromkeys(steps, 0), steps
    assert steps["Check the sources record"].out.startswith("::notice title=parity sources::no sources.json")
    assert "1 passed, 0 failed" in steps["Run the rule-pack test cases"].out
    assert (tmp_path / "summary.md").read_text(encoding="utf-8").startswith("# parity diff\n")
    assert (pull_request / "parity.sarif").is_file()


def test_a_waiver_beyond_the_horizon_added_with_its_shortfall_does_not_count_and_says_why(
    pull_request: Path, tmp_path: Path
) -> None:
    edit_file(pull_request / "lab_profiles/beta.yaml", "value: 3\n", "value: 9\n")
    (pull_request / "waivers.yaml").write_text(
        "- {rule: risk-report-cadence-parity, lab: beta, reason: Report due., expires: 2099-01-31}\n",
        encoding="utf-8",
    )
    git(pull_request, "commit", "-qam", "beta slips, and is waived until 2099")
    steps = _by_name(_run_action(pull_request, tmp_path))
    compare = steps["Compare with the base"]
    assert compare.code == 1
    new = r"^::error file=lab_profiles/beta\.yaml,line=\d+,title=new shortfall%3A risk-report-cadence-parity"
    assert re.search(new, compare.out, re.M), compare.out
    waivers = steps["Check the waivers"]
    assert waivers.code == 1
    assert "::warning file=waivers.yaml,line=1,title=waiver%3A risk-report-cadence-parity::" in waivers.out
    assert "beyond the 365-day horizon; not applied" in waivers.out
    assert "| new shortfall" in (tmp_path / "summary.md").read_text(encoding="utf-8")


def test_accepting_new_waivers_is_an_input(pull_request: Path, tmp_path: Path) -> None:
    edit_file(pull_request / "lab_profiles/beta.yaml", "value: 3\n", "value: 9\n")
    today = subprocess.run(
        [sys.executable, "-c", "from parity.vocabulary import today; print(today())"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    expires = f"{int(today[:4]) + 1}-01-01"  # within the year's horizon, whatever today is
    (pull_request / "waivers.yaml").write_text(
        f"- {{rule: risk-report-cadence-parity, lab: beta, reason: Report due., expires: {expires}}}\n",
        encoding="utf-8",
    )
    git(pull_request, "commit", "-qam", "beta slips, and is waived at once")
    failing = _by_name(_run_action(pull_request, tmp_path))["Compare with the base"]
    assert failing.code == 1 and "title=new shortfall%2C waived in this change" in failing.out
    passing = _by_name(_run_action(pull_request, tmp_path, **{"accept-new-waivers": "true"}))
    assert passing["Compare with the base"].code == 0
    assert (
        "title=new shortfall%2C waived in this change" in passing["Compare with the base"].out
    )  # still told


def test_a_failing_rule_case_and_invalid_data(pull_request: Path, tmp_path: Path) -> None:
    edit_file(pull_request / "tests/rule_cases/transparency.yaml", "expect: {a: meets}", "expect: {a: below}")
    git(pull_request, "commit", "-qam", "a wrong case")
    steps = _by_name(_run_action(pull_request, tmp_path))
    assert steps["Run the rule-pack test cases"].code == 1
    assert steps["Compare with the base"].code == 0  # every gate ran and reported
    edit_file(pull_request / "lab_profiles/beta.yaml", "value: 3\n", "value: three\n")
    steps = _by_name(_run_action(pull_request, tmp_path))
    assert list(steps) == ["Validate the data"]  # invalid data: the other gates would only repeat it
    assert (
        steps["Validate the data"].code == 2
        and "::error file=lab_profiles/beta.yaml" in steps["Validate the data"].out
    )


def test_no_rule_cases_is_a_notice_not_a_failure(pull_request: Path, tmp_path: Path) -> None:
    git(pull_request, "rm", "-rq", "tests/rule_cases")
    git(pull_request, "commit", "-qm", "no cases")
    step = _by_name(_run_action(pull_request, tmp_path))["Run the rule-pack test cases"]
    assert step.code == 0 and step.out.startswith(
        "::notice title=parity test::no rule cases in tests/rule_cases"
    )


def test_a_shortfall_resting_on_a_drifted_source_fails_the_sources_gate(
    pull_request: Path, tmp_path: Path
) -> None:
    import json

    from test_sources_record import world_record

    (pull_request / "sources.json").write_text(json.dumps(world_record()), encoding="utf-8")
    git(pull_request, "add", "sources.json")
    git(pull_request, "commit", "-qm", "the weekly record")
    step = _by_name(_run_action(pull_request, tmp_path))["Check the sources record"]
    assert step.code == 1
    assert (
        "parity: --strict-sources: alpha below on risk-report-cadence-parity cites https://alpha.example/rsp"
        in (step.err)
    )
    assert step.out == ""  # the report went to a file, not to annotations


def _expression(text: str, context: dict[str, object]) -> object:
    """The value of a step's `if:` for the GitHub expression syntax action.yml uses (&&, ||, !, ==,
    quoted strings, always(), dotted names), with each name's value from `context`."""
    body = text.strip().removeprefix("${{").removesuffix("}}")
    body = re.sub(r"[a-z][\w-]*(?:\.[\w-]+)+", lambda m: repr(context[m.group(0)]), body)
    body = body.replace("always()", "True").replace("&&", " and ").replace("||", " or ")
    return eval(re.sub(r"!(?!=)", " not ", body), {})


@pytest.mark.parametrize(
    ("visibility", "upload", "compared", "uploads"),
    [
        ("public", "auto", "success", True),
        ("public", "auto", "failure", True),  # a failing gate still uploads its findings
        ("private", "auto", "success", False),  # code scanning there needs Advanced Security
        ("internal", "auto", "success", False),  # the same, although its `private` is false
        ("private", "true", "failure", True),
        ("public", "false", "success", False),
        ("public", "auto", "skipped", False),  # invalid data: no comparison, nothing to upload
    ],
)
def test_the_sarif_upload_asks_for_code_scanning_only_where_it_works(
    visibility: str, upload: str, compared: str, uploads: bool
) -> None:
    (step,) = [s for s in ACTION["runs"]["steps"] if s.get("name") == "Upload SARIF"]
    context = {
        "steps.compare.outcome": compared,
        "inputs.upload-sarif": upload,
        "github.event.repository.visibility": visibility,
        "github.event.repository.private": visibility != "public" and visibility != "internal",
    }
    assert _expression(step["if"], context) is uploads
    ci = " ".join((ROOT / "docs/ci.md").read_text(encoding="utf-8").split())
    assert "on a private or internal repository it needs GitHub Advanced Security" in ci
