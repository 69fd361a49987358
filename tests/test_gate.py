"""The gate tells the whole truth (docs/cli.md, "parity diff"; docs/ci.md): every format of `diff` says what
changed (the value and the bar before and after) and why in words; a reviewer is told of a shortfall
waived in the change that introduces it, of a rule redefined under an unchanged pack version, and of a
shortfall that ended only because competitors did less. Each test scripts a change in a git repository of
the test world, as a pull request would make it."""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import AS_OF_ARG, WORLD, Result, edit_file, git

Run = Callable[..., Result]

# beta reports every 9 months instead of 3: a new high shortfall for beta on the best bar (alpha's 6 now
# sets it), and alpha's shortfall on it ends only because beta, who set the bar, did less.
BETA_SLIPS = ("lab_profiles/beta.yaml", "value: 3\n", "value: 9\n")
WAIVER = (
    "- {rule: risk-report-cadence-parity, lab: beta, reason: Report due in January., expires: 2027-01-31}\n"
)


def _slip(repo: Path) -> None:
    edit_file(repo / BETA_SLIPS[0], *BETA_SLIPS[1:])


def _waive(repo: Path, line: str = WAIVER) -> None:
    with (repo / "waivers.yaml").open("a", encoding="utf-8") as f:
        f.write(line)


def _diff(run: Run, repo: Path, fmt: str, *args: str) -> Result:
    result = run("diff", "main", AS_OF_ARG, f"--format={fmt}", *args, cwd=repo)
    assert result.code in (0, 1), result.err
    return result


def _json(run: Run, repo: Path, *args: str) -> dict[tuple[str, str], dict[str, object]]:
    doc = json.loads(_diff(run, repo, "json", *args).out)
    return {(c["lab"], c["rule"]): c for c in doc["changes"]}


# --- 1. what changed, in every format ----------------------------------------------------------------------

NEW = "beta on risk-report-cadence-parity (Publishes risk reports as often as the most transparent competitor): "
SAID = (
    "new shortfall; was surpasses (value 3; bar best: 6, set by alpha; gap -3 months); "
    "now below (value 9; bar best: 6, set by alpha; gap 3 months). "
    "Why: the lab's own profile changed (risk_report_cadence_months 3 -> 9)."
)


def _sarif_messages(text: str) -> dict[str, str]:
    results = json.loads(text)["runs"][0]["results"]
    return {f"{r['properties']['lab']} {r['ruleId']}": r["message"]["text"] for r in results}


def test_every_format_says_the_value_and_the_bar_before_and_after_and_why(run: Run, repo: Path) -> None:
    _slip(repo)
    assert _json(run, repo)["beta", "risk-report-cadence-parity"]["message"] == NEW + SAID
    assert _sarif_messages(_diff(run, repo, "sarif").out)["beta risk-report-cadence-parity"] == NEW + SAID
    junit = ET.fromstring(_diff(run, repo, "junit").out)
    (failure,) = junit.iter("failure")
    assert failure.get("message") == NEW + SAID
    github = [line for line in _diff(run, repo, "github").out.splitlines() if line.startswith("::error")]
    assert github == [
        "::error file=lab_profiles/beta.yaml,line=5,title=new shortfall%3A risk-report-cadence-parity "
        f"(high)::{NEW}{SAID}"
    ]
    for fmt, cells in (
        ("table", ["new shortfall", "surpasses -> below", "3 -> 9", "best: 6", "3 months"]),
        ("markdown", ["new shortfall", "surpasses -\\> below", "3 -\\> 9", "best: 6", "3 months"]),
    ):
        rows = _diff(run, repo, fmt).out.splitlines()
        row = next(line for line in rows if line.lstrip("| ").startswith("new shortfall"))
        assert "beta" in row and "risk-report-cadence-parity" in row
        assert all(cell in row for cell in cells), row
        assert "the lab's own profile changed (risk" in row  # the cause in words, not "own"


def test_a_bar_that_stops_binding_is_no_bar_never_none(run: Run, repo: Path) -> None:
    # alpha no longer discloses its security level: the `all` bar of the others stops binding.
    edit_file(repo / "lab_profiles/alpha.yaml", "value: SL3\n", "value: unknown\n")
    for fmt in ("table", "markdown", "json", "github", "sarif", "junit"):
        assert "None" not in _diff(run, repo, fmt).out, fmt
    change = _json(run, repo)["gamma", "security-all"]
    assert change["after"]["bar"] is None  # null in the data
    assert (
        "it no longer binds (all: SL2 -> all: no bar; weight_security_level: alpha SL3 -> undisclosed)"
        in str(change["message"])
    )


# --- 2. what a reviewer must see ------------------------------------------------------------------------------


def test_a_shortfall_waived_in_the_change_that_introduces_it_is_flagged_and_fails(
    run: Run, repo: Path
) -> None:
    _slip(repo)
    _waive(repo)
    change = _json(run, repo)["beta", "risk-report-cadence-parity"]
    assert (change["change"], change["waived_new"], change["waiver_on_base"]) == ("changed", True, False)
    assert str(change["message"]).startswith(f"{NEW}new shortfall, waived in this change; was surpasses")
    assert "now waived (below, until 2027-01-31) (value 9; bar best: 6" in str(change["message"])
    github = _diff(run, repo, "github").out
    assert "::error file=lab_profiles/beta.yaml,line=5,title=new shortfall%2C waived in this change" in github
    assert "needs a reviewer: 1 new shortfall waived at once" in github
    sarif = json.loads(_diff(run, repo, "sarif").out)["runs"][0]["results"]
    waived = next(r for r in sarif if r["properties"]["lab"] == "beta")
    assert (waived["level"], waived["baselineState"], waived["properties"]["waived_new"]) == (
        "error",
        "new",
        True,
    )
    junit = ET.fromstring(_diff(run, repo, "junit").out)
    assert [f.get("type") for f in junit.iter("failure")] == ["waived-new"]
    assert "## Needs a reviewer" in _diff(run, repo, "markdown").out
    # Under --fail-on-new the gate does not pass; a repository whose waivers get a review of their own
    # says so with --accept-new-waivers.
    assert run("diff", "main", AS_OF_ARG, "--fail-on-new=high", cwd=repo).code == 1
    assert run("diff", "main", AS_OF_ARG, "--fail-on-new=critical", cwd=repo).code == 0
    assert run("diff", "main", AS_OF_ARG, "--fail-on-new=high", "--accept-new-waivers", cwd=repo).code == 0


def test_a_waiver_of_an_existing_shortfall_acknowledges_it(run: Run, repo: Path) -> None:
    _slip(repo)
    git(repo, "commit", "-qam", "beta slips")  # the shortfall is on the base already
    _waive(repo)
    change = _json(run, repo)["beta", "risk-report-cadence-parity"]
    assert (change["change"], change["cause"], change.get("waived_new")) == ("resolved", "waiver", None)
    assert "a waiver now covers it (waivers.yaml:13, until 2027-01-31: Report due in January.)" in str(
        change["message"]
    )
    assert run("diff", "main", AS_OF_ARG, "--fail-on-new=info", cwd=repo).code == 0


def test_a_waiver_the_base_carried_unused_is_said_to_be_so(run: Run, repo: Path) -> None:
    # The world's waivers.yaml already waives beta on risk-report-cadence-norm, unused: beta met the bar.
    edit_file(repo / BETA_SLIPS[0], "value: 3\n", "value: 13\n")  # now below the 2nd-best (12)
    change = _json(run, repo)["beta", "risk-report-cadence-norm"]
    assert (change["waived_new"], change["waiver_on_base"]) == (True, True)
    assert "new shortfall, waived by a waiver the base carried but did not apply" in str(change["message"])
    assert run("diff", "main", AS_OF_ARG, "--fail-on-new=medium", cwd=repo).code == 1


def test_a_rule_redefined_under_the_same_pack_version_is_reported(run: Run, repo: Path) -> None:
    edit_file(repo / "rules/transparency.yaml", "bar: {threshold: SL3}", "bar: {threshold: SL2}")
    doc = json.loads(_diff(run, repo, "json").out)
    (redefined,) = doc["redefined"]
    assert (redefined["rule"], redefined["pack"], redefined["version"]) == (
        "security-floor",
        "transparency",
        "1.2.0",
    )
    assert redefined["location"] == {"file": "rules/transparency.yaml", "line": 55}
    beta = next(c for c in doc["changes"] if (c["lab"], c["rule"]) == ("beta", "security-floor"))
    assert (beta["change"], beta["cause"], beta["rule_redefined"]) == ("resolved", "rule", True)
    assert "the rule changed while its pack transparency kept its version" in beta["message"]
    github = _diff(run, repo, "github").out
    assert (
        "::warning file=rules/transparency.yaml,line=55,title=rule redefined%3A security-floor::rule security-floor "
        "(Model-weight security level) changed its definition, but pack transparency kept version 1.2.0: bump the "
        "pack's version, so that the change of methodology shows"
    ) in github
    junit = ET.fromstring(_diff(run, repo, "junit").out)
    assert [f.get("type") for f in junit.iter("failure")] == ["redefined"]
    sarif = json.loads(_diff(run, repo, "sarif").out)["runs"][0]["results"]
    assert [r["level"] for r in sarif if r["properties"].get("redefined")] == ["warning"]
    assert (
        run("diff", "main", AS_OF_ARG, "--fail-on-new=high", cwd=repo).code == 1
    )  # weakened: no new shortfall
    # With a new version the change of methodology is visible and versioned: no longer flagged.
    edit_file(repo / "rules/transparency.yaml", 'version: "1.2.0"', 'version: "1.3.0"')
    doc = json.loads(_diff(run, repo, "json").out)
    assert doc["redefined"] == [] and doc["packs"] == [
        {"pack": "transparency", "base": "1.2.0", "head": "1.3.0"}
    ]
    assert run("diff", "main", AS_OF_ARG, "--fail-on-new=high", cwd=repo).code == 0


def test_a_redefinition_that_moves_no_verdict_is_still_reported(run: Run, repo: Path) -> None:
    edit_file(
        repo / "rules/transparency.yaml",
        "bar: {quorum: 2}",
        "bar: {quorum: 2}\n    peers: {tags: [frontier]}",
    )
    doc = json.loads(_diff(run, repo, "json").out)
    assert [r["rule"] for r in doc["redefined"]] == ["risk-report-cadence-norm"]
    assert "needs a reviewer: 1 rule redefined under the same pack version" in _diff(run, repo, "table").out


def test_a_shortfall_ended_by_competitors_doing_less_is_never_only_resolved(run: Run, repo: Path) -> None:
    _slip(repo)
    git(repo, "commit", "-qam", "beta reports less often")
    change = _json(run, repo)  # the working tree is the commit: nothing changed
    assert change == {}
    changes = {
        (c["lab"], c["rule"]): c
        for c in json.loads(run("diff", "HEAD~1", "HEAD", AS_OF_ARG, "--format=json", cwd=repo).out)[
            "changes"
        ]
    }
    alpha = changes["alpha", "risk-report-cadence-parity"]
    assert (alpha["change"], alpha["cause"], alpha["bar_fell"]) == ("resolved", "bar", True)
    assert alpha["message"].endswith(
        "Why: competitors did less: the bar fell from best: 3 to best: 9 (risk_report_cadence_months: beta 3 -> 9)."
    )
    table = run("diff", "HEAD~1", "HEAD", AS_OF_ARG, cwd=repo).out
    assert "shortfall ended only because the bar fell" in table
    github = run("diff", "HEAD~1", "HEAD", AS_OF_ARG, "--format=github", cwd=repo).out
    assert (
        "::warning file=lab_profiles/alpha.yaml,line=6,title=the bar fell%3A risk-report-cadence-parity"
        in github
    )
    # gamma stays below, but its bar fell too: the why says so, in words.
    gamma = changes["gamma", "risk-report-cadence-parity"]
    assert "competitors did less: the bar fell from best: 3 to best: 6" in gamma["message"]
    # In code scanning too it is a warning, not a result of level none beside the fixed ones.
    sarif = run("diff", "HEAD~1", "HEAD", AS_OF_ARG, "--format=sarif", cwd=repo).out
    fell = [r for r in json.loads(sarif)["runs"][0]["results"] if r["properties"].get("bar_fell")]
    assert [(r["properties"]["lab"], r["level"], r["baselineState"]) for r in fell] == [
        ("alpha", "warning", "absent")
    ]


def test_a_resolution_by_the_lab_itself_is_plain_resolved(run: Run, repo: Path) -> None:
    edit_file(repo / "lab_profiles/gamma.yaml", "value: 12\n", "value: 3\n")
    change = _json(run, repo)["gamma", "risk-report-cadence-parity"]
    assert (change["change"], change["cause"], change.get("bar_fell")) == ("resolved", "own", None)
    assert re.search(r": shortfall resolved; was below .* now meets", str(change["message"]))


# --- 5. from a subdirectory, as git finds its repository ---------------------------------------------------


@pytest.mark.parametrize("sub", ["lab_profiles", "rules", "docs/notes"])
def test_diff_from_a_subdirectory_compares_the_same_data(run: Run, repo: Path, sub: str) -> None:
    (repo / sub).mkdir(parents=True, exist_ok=True)
    _slip(repo)
    top = run("diff", "main", AS_OF_ARG, "--format=github", "--fail-on-new=high", cwd=repo)
    below = run("diff", "main", AS_OF_ARG, "--format=github", "--fail-on-new=high", cwd=repo / sub)
    assert top.code == 1 and "new shortfall%3A risk-report-cadence-parity" in top.out
    assert (below.code, below.out) == (top.code, top.out)  # before: exit 2, "lab_profiles: no such directory"


def test_diff_reads_each_revision_where_the_working_tree_holds_the_data(run: Run, tmp_path: Path) -> None:
    root = tmp_path / "watchdog"
    shutil.copytree(WORLD, root / "data")
    (root / "notes").mkdir()
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    edit_file(root / "data" / BETA_SLIPS[0], *BETA_SLIPS[1:])
    for cwd in (root / "data", root / "data/lab_profiles"):
        result = run("diff", "main", AS_OF_ARG, "--format=json", cwd=cwd)
        assert result.code == 0, result.err  # before: main:lab_profiles: no such directory in this revision
        changes = {(c["lab"], c["rule"]): c["change"] for c in json.loads(result.out)["changes"]}
        assert changes["beta", "risk-report-cadence-parity"] == "new" and len(changes) == 5
    lost = run("diff", "main", AS_OF_ARG, cwd=root / "notes")  # no data here or above, up to .git
    assert lost.code == 2 and lost.err.startswith("parity: error: no folder holding lab_profiles/ and rules/")
    assert "give that side as a path: parity diff BASE ./DIR" in lost.err


@pytest.mark.parametrize("fmt", ["table", "markdown", "json", "github", "sarif", "junit"])
def test_no_change_renders_in_every_format(run: Run, repo: Path, fmt: str) -> None:
    assert run("diff", "main", AS_OF_ARG, f"--format={fmt}", cwd=repo).code == 0
