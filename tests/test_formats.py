"""The CI formats: SARIF validated against its official schema, JUnit parsed back, annotations matched."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest
from helpers import AS_OF_ARG, WORLD, Result

ROOT = Path(__file__).parents[1]
SARIF_SCHEMA = json.loads(
    (Path(__file__).parent / "fixtures/sarif-schema-2.1.0.json").read_text(encoding="utf-8")
)
Run = Callable[..., Result]


def _shortfalls(run: Run, *args: str, cwd: Path = WORLD) -> list[dict[str, object]]:
    report = json.loads(run("check", AS_OF_ARG, "--format=json", *args, cwd=cwd).out)
    return [v for v in report["verdicts"] if v["status"] in ("below", "undisclosed")]


@pytest.mark.parametrize("fmt", ["sarif", "junit", "github"])
def test_ci_formats_match_golden(run: Run, golden: Callable[[str, str], None], fmt: str) -> None:
    result = run("check", AS_OF_ARG, f"--format={fmt}")
    assert result.code == 0, result.err
    golden(f"check.{fmt}", result.out)


@pytest.mark.parametrize("cwd", [WORLD, ROOT], ids=["world", "shipped"])
def test_sarif_is_valid_against_the_official_schema(run: Run, cwd: Path) -> None:
    sarif = json.loads(run("check", "--as-of=2026-12-01", "--format=sarif", cwd=cwd).out)
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(sarif)
    (run_,) = sarif["runs"]
    rules = run_["tool"]["driver"]["rules"]
    for result in run_["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        region = result["locations"][0]["physicalLocation"]
        assert (cwd / region["artifactLocation"]["uri"]).is_file()
        assert region["region"]["startLine"] >= 1
    assert run_["properties"]["as_of"] == "2026-12-01"


def test_sarif_has_one_result_per_unwaived_shortfall_with_stable_fingerprints(run: Run) -> None:
    sarif = json.loads(run("check", AS_OF_ARG, "--format=sarif").out)
    results = sarif["runs"][0]["results"]
    shortfalls = _shortfalls(run)
    assert sorted((r["properties"]["lab"], r["ruleId"]) for r in results) == sorted(
        (v["lab"], v["rule"]) for v in shortfalls
    )
    prints = [r["partialFingerprints"]["parity/lab-rule/v1"] for r in results]
    assert len(set(prints)) == len(prints)
    again = json.loads(run("check", AS_OF_ARG, "--format=sarif", "--lab=gamma").out)["runs"][0]["results"]
    assert {r["partialFingerprints"]["parity/lab-rule/v1"] for r in again} <= set(prints)
    waived = json.loads(run("check", "--as-of=2026-06-30", "--format=sarif").out)["runs"][0]["results"]
    assert ("gamma", "security-floor") not in {(r["properties"]["lab"], r["ruleId"]) for r in waived}


def test_junit_parses_back_with_a_case_per_lab_and_rule(run: Run) -> None:
    root = ET.fromstring(run("check", AS_OF_ARG, "--format=junit").out)
    report = json.loads(run("check", AS_OF_ARG, "--format=json").out)
    cases = [
        (suite.get("name"), case.get("name"), case)
        for suite in root
        for case in suite
        if suite.get("name") != "waivers"
    ]
    waivers = [case.get("name") for suite in root if suite.get("name") == "waivers" for case in suite]
    assert waivers == ["roadmap-best / beta", "security-floor / gamma", "risk-report-cadence-norm / beta"]
    assert sorted((lab, rule) for lab, rule, _ in cases) == sorted(
        (v["lab"], v["rule"]) for v in report["verdicts"]
    )
    failed = {(lab, rule) for lab, rule, case in cases if case.find("failure") is not None}
    assert failed == {(v["lab"], v["rule"]) for v in _shortfalls(run)}
    assert root.get("failures") == str(len(failed) + len(waivers))
    assert int(root.get("tests") or 0) == len(report["verdicts"]) + len(waivers)
    assert "pledges 0.3.0" in (root.get("name") or "")


def test_github_annotations_one_per_shortfall_then_a_notice(run: Run) -> None:
    lines = run("check", AS_OF_ARG, "--format=github").out.splitlines()
    shortfalls = _shortfalls(run)
    assert len(lines) == len(shortfalls) + 3 + 1  # three waivers need attention at 2026-11-26
    assert (
        lines[-2]
        == "::warning file=waivers.yaml,line=9,title=waiver::waiver for risk-report-cadence-norm / beta matches no shortfall"
    )
    assert lines[-1].startswith(
        "::notice title=parity::parity 0.2.0 as of 2026-11-26 (pledges 0.3.0, transparency 1.2.0)"
    )
    first = lines[0]
    assert first.startswith(
        "::error file=lab_profiles/alpha.yaml,line=26,title=delay-when-leading (critical)::"
    )


def test_github_escapes_what_would_break_a_workflow_command(run: Run, tree: Callable[..., Path]) -> None:
    pack = (
        "pack: p\nversion: '1'\nindicators:\n  x: {title: 'X, 100% : done', area: a, type: boolean}\n"
        "rules:\n  - {id: r, indicator: x, bar: {threshold: true}, severity: high}\n"
    )
    root = tree(
        {"rules/p.yaml": pack, "lab_profiles/a.yaml": "id: a\nname: A\npractices:\n  x: {value: false}\n"}
    )
    (line, _) = run("check", AS_OF_ARG, "--format=github", cwd=root).out.splitlines()
    assert line.startswith("::error file=lab_profiles/a.yaml,line=4,title=r (high)::")
    assert "100%25" in line and "\n" not in line


def test_github_is_the_default_in_github_actions(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    assert run("check", AS_OF_ARG).out.startswith("::")
    assert run("check", AS_OF_ARG, "--format=table").out.startswith("parity ")


def test_several_outputs_in_one_run_each_written_whole(run: Run, tmp_path: Path) -> None:
    args = [f"-o=sarif:{tmp_path}/r.sarif", f"-o=junit:{tmp_path}/r.xml", f"-o=json:{tmp_path}/r.json"]
    result = run("check", AS_OF_ARG, "--format=markdown", *args)
    assert result.code == 0, result.err
    assert result.out.startswith("# parity report")
    assert json.loads((tmp_path / "r.sarif").read_text())["version"] == "2.1.0"
    ET.fromstring((tmp_path / "r.xml").read_text())
    assert json.loads((tmp_path / "r.json").read_text())["schema"] == "parity/report/v1"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json", "r.sarif", "r.xml"]  # no temporary files


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("sarif", "expected FORMAT:PATH"),
        ("xml:out.xml", "unknown format 'xml'"),
        ("sarif:/nonexistent/dir/r.sarif", "cannot write the output"),
    ],
)
def test_bad_outputs_are_input_errors(run: Run, spec: str, message: str) -> None:
    result = run("check", AS_OF_ARG, f"-o={spec}")
    assert result.code == 2
    assert message in result.err


def test_validate_reports_problems_as_annotations_and_json(run: Run, tree: Callable[..., Path]) -> None:
    root = tree(
        {
            "rules/p.yaml": "pack: p\nversion: '1'\nindicators:\n  x: {title: X, area: a, type: boolean}\n"
            "rules:\n  - {id: r, indicator: x, bar: best, severity: low}\n",
            "lab_profiles/a.yaml": "id: a\nname: A\npractices:\n  x: {value: yes}\n",
        }
    )
    github = run("validate", "--format=github", cwd=root)
    assert github.code == 2
    first = github.out.splitlines()[0]
    assert first.startswith("::error file=lab_profiles/a.yaml,line=4,col=")
    assert ",title=practices.x.value::'yes' is not a boolean here: write true or false" in first
    doc = json.loads(run("validate", "--format=json", cwd=root).out)
    assert doc["ok"] is False
    assert [{k: v for k, v in p.items() if k != "column"} for p in doc["problems"]] == [
        {
            "file": "lab_profiles/a.yaml",
            "line": 4,
            "field": "practices.x.value",
            "message": "'yes' is not a boolean here: write true or false (or quote it for text)",
        }
    ]
    ok = json.loads(run("validate", "--format=json").out)
    assert ok == {
        "ok": True,
        "strict": False,
        "labs": 3,
        "rules": 10,
        "packs": 2,
        "waivers": 3,
        "problems": [],
    }


def test_waivers_beyond_the_horizon_are_not_applied(run: Run, tree: Callable[..., Path]) -> None:
    pack = (
        "pack: p\nversion: '1'\nindicators:\n  x: {title: X, area: a, type: boolean}\n"
        "rules:\n  - {id: r, indicator: x, bar: {threshold: true}, severity: high}\n"
    )
    root = tree(
        {
            "rules/p.yaml": pack,
            "lab_profiles/a.yaml": "id: a\nname: A\npractices:\n  x: {value: false}\n",
            "waivers.yaml": "- {rule: r, lab: a, reason: forever, expires: 2030-01-01}\n",
        }
    )
    report = json.loads(run("check", AS_OF_ARG, "--format=json", cwd=root).out)
    assert report["verdicts"][0]["status"] == "below"
    assert report["waivers"][0]["problem"] == "expires in 1132 days, beyond the 365-day horizon; not applied"
    longer = json.loads(run("check", AS_OF_ARG, "--format=json", "--max-waiver-days=2000", cwd=root).out)
    assert longer["verdicts"][0]["status"] == "waived" and longer["waivers"] == []


def test_strict_waivers_and_the_waivers_command(run: Run) -> None:
    assert run("check", AS_OF_ARG).code == 0
    assert run("check", AS_OF_ARG, "--strict-waivers").code == 1  # two unused waivers and one expired
    listing = json.loads(run("waivers", AS_OF_ARG, "--format=json").out)
    assert [(w["rule"], w["days_left"], w["status"]) for w in listing["waivers"]] == [
        ("roadmap-best", 35, "matches no shortfall"),
        ("security-floor", -149, "expired on 2026-06-30"),
        ("risk-report-cadence-norm", 66, "matches no shortfall"),
    ]
    assert run("waivers", AS_OF_ARG, "--strict-waivers").code == 1


def test_waived_verdicts_stay_visible_in_the_tables(run: Run) -> None:
    table = run("check", "--as-of=2026-06-30", "--lab=gamma").out
    assert "waived (below, until 2026-06-30)" in table
    markdown = run("check", "--as-of=2026-06-30", "--lab=gamma", "--format=markdown").out
    assert "waived (below, until 2026-06-30)" in markdown
