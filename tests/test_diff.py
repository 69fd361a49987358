"""parity diff: verdicts matched by (lab, rule) across revisions, folders and saved reports, each change with
its kind and cause."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import AS_OF_ARG, Result, edit_file, git

Run = Callable[..., Result]


def _changes(run: Run, repo: Path, *args: str) -> dict[tuple[str, str], dict[str, object]]:
    result = run("diff", *args, AS_OF_ARG, "--format=json", cwd=repo)
    assert result.code in (0, 1), result.err
    doc = json.loads(result.out)
    assert doc["schema"] == "parity/diff/v1"
    return {(c["lab"], c["rule"]): c for c in doc["changes"]}


def test_one_labs_edit_moves_another_labs_verdict(run: Run, repo: Path) -> None:
    # beta sets alpha's bar on risk-report-cadence-parity: beta's edit resolves alpha's shortfall.
    edit_file(repo / "lab_profiles/beta.yaml", "value: 3\n", "value: 9\n")
    changes = _changes(run, repo, "main")
    alpha = changes["alpha", "risk-report-cadence-parity"]
    assert (alpha["change"], alpha["cause"], alpha["moved_by"]) == ("resolved", "bar", ["beta"])
    assert alpha["before"] == {"status": "below", "value": 6, "bar": 3, "waiver": None}
    assert alpha["after"]["status"] == "surpasses"
    beta = changes["beta", "risk-report-cadence-parity"]
    assert (beta["change"], beta["cause"]) == ("new", "own")
    assert git(repo, "status", "--porcelain").strip() == "M lab_profiles/beta.yaml"  # nothing else touched


def test_two_revisions_and_a_saved_report_agree(run: Run, repo: Path, tmp_path: Path) -> None:
    saved = tmp_path / "base.json"
    saved.write_text(run("check", AS_OF_ARG, "--format=json", cwd=repo).out, encoding="utf-8")
    edit_file(repo / "lab_profiles/beta.yaml", "value: 3\n", "value: 9\n")
    git(repo, "commit", "-q", "-am", "beta reports less often")
    by_revision = _changes(run, repo, "HEAD~1", "HEAD")
    by_report = _changes(run, repo, str(saved), "HEAD")
    assert by_report == by_revision
    assert by_revision["alpha", "risk-report-cadence-parity"]["cause"] == "bar"


def test_a_rule_change_is_the_rule_not_the_lab(run: Run, repo: Path) -> None:
    edit_file(repo / "rules/transparency.yaml", "bar: {threshold: SL3}", "bar: {threshold: SL2}")
    changes = _changes(run, repo, "main")
    assert {c["cause"] for c in changes.values()} == {"rule"}
    assert changes["beta", "security-floor"]["change"] == "resolved"


def test_a_pack_version_change_is_flagged(run: Run, repo: Path) -> None:
    edit_file(repo / "rules/transparency.yaml", 'version: "1.2.0"', 'version: "1.3.0"')
    edit_file(repo / "rules/transparency.yaml", "bar: {threshold: SL3}", "bar: {threshold: SL2}")
    doc = json.loads(run("diff", "main", AS_OF_ARG, "--format=json", cwd=repo).out)
    assert doc["packs"] == [{"pack": "transparency", "base": "1.2.0", "head": "1.3.0"}]
    assert all(c["pack_version_changed"] for c in doc["changes"])


def test_a_waiver_is_a_cause(run: Run, repo: Path) -> None:
    waivers = repo / "waivers.yaml"
    waivers.write_text(
        waivers.read_text(encoding="utf-8")
        + "- {rule: risk-report-cadence-parity, lab: alpha, reason: report due, expires: 2027-01-31}\n",
        encoding="utf-8",
    )
    change = _changes(run, repo, "main")["alpha", "risk-report-cadence-parity"]
    assert (change["change"], change["cause"]) == ("resolved", "waiver")
    assert change["after"] == {"status": "waived", "value": 6, "bar": 3, "waiver": "below"}


def test_the_evaluation_date_is_a_cause(run: Run, repo: Path, tmp_path: Path) -> None:
    early, late = tmp_path / "early.json", tmp_path / "late.json"
    early.write_text(run("check", "--as-of=2026-04-01", "--format=json", cwd=repo).out, encoding="utf-8")
    late.write_text(run("check", "--as-of=2026-11-26", "--format=json", cwd=repo).out, encoding="utf-8")
    changes = _changes(run, repo, str(early), str(late))
    assert changes["alpha", "recent-risk-report"]["cause"] == "as_of"
    assert changes["alpha", "recent-risk-report"]["change"] == "new"


def test_a_new_lab_is_added(run: Run, repo: Path) -> None:
    shutil.copy(repo / "lab_profiles/gamma.yaml", repo / "lab_profiles/delta.yaml")
    edit_file(repo / "lab_profiles/delta.yaml", "id: gamma", "id: delta")
    changes = _changes(run, repo, "main")
    added = {key for key, c in changes.items() if c["change"] == "added"}
    assert added and all(lab == "delta" for lab, _ in added)


@pytest.mark.parametrize(("floor", "code"), [("never", 0), ("critical", 0), ("high", 1), ("info", 1)])
def test_fail_on_new(run: Run, repo: Path, floor: str, code: int) -> None:
    edit_file(repo / "lab_profiles/beta.yaml", "value: 3\n", "value: 9\n")  # a new high shortfall for beta
    assert run("diff", "main", AS_OF_ARG, f"--fail-on-new={floor}", cwd=repo).code == code


def test_no_change_is_exit_0_and_says_so(run: Run, repo: Path) -> None:
    result = run("diff", "main", AS_OF_ARG, cwd=repo)
    assert result.code == 0
    assert result.out == "parity diff main -> worktree as of 2026-11-26: no change\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["no-such-ref"], "'no-such-ref': no such revision in ."),
        (["main", "--format=xml"], "invalid choice"),
    ],
)
def test_diff_usage_errors(run: Run, repo: Path, args: list[str], message: str) -> None:
    result = run("diff", *args, cwd=repo)
    assert result.code == 2
    assert message in result.err


def test_every_format_renders_a_diff(run: Run, repo: Path) -> None:
    import xml.etree.ElementTree as ET

    import jsonschema

    edit_file(repo / "lab_profiles/beta.yaml", "value: 3\n", "value: 9\n")
    sarif = json.loads(run("diff", "main", AS_OF_ARG, "--format=sarif", cwd=repo).out)
    schema = json.loads(
        (Path(__file__).parent / "fixtures/sarif-schema-2.1.0.json").read_text(encoding="utf-8")
    )
    jsonschema.Draft4Validator(schema).validate(sarif)
    states = {(r["properties"]["lab"], r["ruleId"]): r["baselineState"] for r in sarif["runs"][0]["results"]}
    assert states == {
        ("beta", "risk-report-cadence-parity"): "new",
        ("alpha", "risk-report-cadence-parity"): "absent",
    }
    junit = ET.fromstring(run("diff", "main", AS_OF_ARG, "--format=junit", cwd=repo).out)
    assert junit.get("failures") == "1" and junit.get("tests") == "5"
    github = run("diff", "main", AS_OF_ARG, "--format=github", cwd=repo).out.splitlines()
    assert github[0].startswith(
        "::warning file=lab_profiles/alpha.yaml,line=6,title=the bar fell%3A risk-report-cadence-parity"
    )
    assert github[1].startswith(
        "::error file=lab_profiles/beta.yaml,line=5,title=new shortfall%3A risk-report-cadence-parity (high)::"
    )
    assert github[-1] == (
        "::notice title=parity diff::parity diff main -> worktree as of 2026-11-26: 1 new, 1 resolved, "
        "3 changed; needs a reviewer: 1 shortfall ended only because the bar fell"
    )
    markdown = run("diff", "main", AS_OF_ARG, "--format=markdown", cwd=repo).out
    assert (
        markdown.startswith("# parity diff\n") and "| shortfall ended only because the bar fell" in markdown
    )


def test_bad_input_in_a_revision_is_exit_2_with_its_location(run: Run, repo: Path) -> None:
    profile = repo / "lab_profiles" / "alpha.yaml"
    good = profile.read_bytes()
    edit_file(profile, "value: 6\n", "value: six\n")
    edit_file(profile, "tags: [frontier, us]", "tags: [frontier, us]\nmotto: typo")
    git(repo, "commit", "-qam", "broken")
    profile.write_bytes(good)  # the working tree is fine again; the revision is not
    before = {p: p.read_bytes() for p in repo.rglob("*") if p.is_file() and ".git" not in p.parts}
    result = run("diff", "HEAD", "main~1", AS_OF_ARG, cwd=repo)
    assert result.code == 2, result.out + result.err
    lines = result.err.splitlines()
    assert any(line.startswith("HEAD:lab_profiles/alpha.yaml:4:1: motto:") for line in lines), result.err
    assert any(
        "HEAD:lab_profiles/alpha.yaml:" in line and "risk_report_cadence_months" in line for line in lines
    ), result.err
    assert "Traceback" not in result.err
    after = {p: p.read_bytes() for p in repo.rglob("*") if p.is_file() and ".git" not in p.parts}
    assert after == before


def test_one_diff_writes_several_formats(run: Run, repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    edit_file(repo / "lab_profiles/beta.yaml", "value: 3\n", "value: 9\n")
    expected = {
        fmt: run("diff", "main", AS_OF_ARG, f"--format={fmt}", cwd=repo).out for fmt in ("sarif", "markdown")
    }
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    result = run(
        "diff",
        "main",
        AS_OF_ARG,
        "--fail-on-new=high",
        "-o",
        "sarif:out.sarif",
        "-o",
        "markdown:sum.md",
        cwd=repo,
    )
    assert result.code == 1  # the new high shortfall fails the gate, and the files are written all the same
    assert result.out.startswith("::warning file=lab_profiles/alpha.yaml")  # github under GITHUB_ACTIONS
    assert (repo / "out.sarif").read_text(encoding="utf-8") == expected["sarif"]
    assert (repo / "sum.md").read_text(encoding="utf-8") == expected["markdown"]
    bad = run("diff", "main", "-o", "sarif", cwd=repo)
    assert bad.code == 2 and "expected FORMAT:PATH" in bad.err
