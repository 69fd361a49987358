"""The command line: outputs (golden files), exit codes, narrowing, determinism, no tracebacks."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest
from agreement import BAR_FIELDS, VERDICT_FIELDS
from helpers import AS_OF_ARG, WORLD, Result

from parity import UsageError

Run = Callable[..., Result]


@pytest.mark.parametrize("fmt", ["table", "json", "markdown"])
def test_check_output_matches_golden(run: Run, golden: Callable[[str, str], None], fmt: str) -> None:
    result = run("check", AS_OF_ARG, f"--format={fmt}")
    assert result.code == 0, result.err
    golden(f"check.{ {'table': 'txt', 'json': 'json', 'markdown': 'md'}[fmt] }", result.out)


def test_json_report_follows_the_contract(run: Run) -> None:
    report = json.loads(run("check", AS_OF_ARG, "--format=json").out)
    assert report["schema"] == "parity/report/v1"
    assert report["as_of"] == "2026-11-26"
    assert report["packs"] == [
        {"pack": "pledges", "version": "0.3.0"},
        {"pack": "transparency", "version": "1.2.0"},
    ]
    keys = [(v["lab"], v["rule"]) for v in report["verdicts"]]
    assert keys == sorted(keys)
    required = {"lab", "rule", "bar", *VERDICT_FIELDS}
    for verdict in report["verdicts"]:
        assert required <= verdict.keys()
        assert set(BAR_FIELDS) <= verdict["bar"].keys()
        assert {"file", "line"} == verdict["location"].keys()
    alpha = report["labs"]["alpha"]
    assert {"score", "coverage", "areas", "packs", "pack_coverage", "unassessed", "counts"} <= alpha.keys()


def test_json_report_validates_against_its_published_schema(run: Run) -> None:
    schema = json.loads(run("schema", "report").out)
    jsonschema.Draft202012Validator.check_schema(schema)
    for args in ([], ["--lab=gamma"], ["--as-of=2026-06-30"], ["--pack=pledges"]):
        report = json.loads(run("check", AS_OF_ARG, "--format=json", *args).out)
        errors = list(jsonschema.Draft202012Validator(schema).iter_errors(report))
        assert errors == [], [e.message for e in errors[:3]]


def test_waived_verdict_keeps_its_underlying_status(run: Run, tree: Callable[..., Path]) -> None:
    report = json.loads(run("check", AS_OF_ARG, "--format=json", "--lab=gamma").out)
    floor = next(v for v in report["verdicts"] if v["rule"] == "security-floor")
    assert floor["status"] == "below" and "waiver_expired" in floor["flags"]
    report = json.loads(run("check", "--as-of=2026-06-30", "--format=json", "--lab=gamma").out)
    floor = next(v for v in report["verdicts"] if v["rule"] == "security-floor")
    assert floor["status"] == "waived"
    assert floor["waiver"]["underlying"] == "below"
    assert floor["waiver"]["location"] == {"file": "waivers.yaml", "line": 5}


def test_same_inputs_give_byte_identical_output(run: Run) -> None:
    first = run("check", AS_OF_ARG, "--format=json").out
    second = run("check", AS_OF_ARG, "--format=json").out
    assert first == second


def test_narrowing_never_changes_a_bar(run: Run) -> None:
    full = json.loads(run("check", AS_OF_ARG, "--format=json").out)["verdicts"]
    narrow = json.loads(run("check", AS_OF_ARG, "--format=json", "--lab=gamma", "--rule=security-all").out)
    assert narrow["verdicts"] == [v for v in full if v["lab"] == "gamma" and v["rule"] == "security-all"]
    assert list(narrow["labs"]) == ["gamma"]


@pytest.mark.parametrize(("fail_on", "code"), [("never", 0), ("critical", 1), ("high", 1), ("info", 1)])
def test_fail_on(run: Run, fail_on: str, code: int) -> None:
    assert run("check", AS_OF_ARG, f"--fail-on={fail_on}").code == code


def test_fail_on_ignores_waived_and_lower_severities(run: Run) -> None:
    # beta's only shortfalls are medium/low/high below; at critical nothing of beta's fails.
    assert run("check", AS_OF_ARG, "--lab=beta", "--fail-on=critical").code == 0
    assert run("check", AS_OF_ARG, "--lab=beta", "--fail-on=high").code == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["check", "--lab=nobody"], "unknown lab 'nobody'"),
        (["check", "--rule=nope"], "--rule 'nope' matches no rule"),
        (["explain", "nope"], "unknown rule 'nope'"),
        (["check", "--lab=alpah"], "unknown lab 'alpah'; did you mean 'alpha'?"),
        (
            ["check", "--rule=security-medain"],
            "--rule 'security-medain' matches no rule; did you mean 'security-median'?",
        ),
        (["check", "--pack=pledge"], "unknown pack 'pledge'; did you mean 'pledges'?"),
        (["explain", "security-medain"], "unknown rule 'security-medain'; did you mean 'security-median'?"),
        (["check", "--as-of=2026-02-30"], "'2026-02-30' is not a real date"),
        (["check", "--as-of=yesterday"], "expected a date YYYY-MM-DD, got 'yesterday'"),
        (["check", "--as-of=20260301"], "expected a date YYYY-MM-DD, got '20260301'"),
        (["check", "--as-of=2026-W09-7"], "expected a date YYYY-MM-DD, got '2026-W09-7'"),
        (["check", "--as-of=2026-03-01T00:00"], "expected a date YYYY-MM-DD"),
        (["check", "--as-of=0001-01-01"], "out of range: parity evaluates at dates from 1900-01-01"),
        (["check", "--as-of=9999-01-01"], "out of range: parity evaluates at dates from 1900-01-01 to 9899"),
        (["check", "--strict", "--max-review-age=0"], "expected a whole number of days from 1 to 36500"),
        (["check", "--strict", "--max-review-age=99999999999"], "expected a whole number of days"),
        (["validate", "--waivers=/dev/zero"], "/dev/zero:1:1: is a device or socket, not a regular file"),
        (["check", "--format=xml"], "invalid choice"),
        (["check", "--fail-on=severe"], "invalid choice"),
        (["check", "--waivers=missing.yaml"], "missing.yaml:1:1: cannot read: no such file or directory"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_usage_errors_exit_2_without_traceback(run: Run, args: list[str], message: str) -> None:
    result = run(*args)
    assert result.code == 2
    assert message in result.err
    assert "Traceback" not in result.err + result.out


def test_bad_input_exits_2_and_lists_every_problem(run: Run, tree: Callable[..., Path]) -> None:
    root = tree(
        {
            "rules/p.yaml": "pack: p\nversion: '1'\nindicators:\n  x: {title: X, area: a, type: boolean}\n"
            "rules:\n  - {id: r, indicator: x, bar: bset, severity: low}\n",
            "lab_profiles/a.yaml": "id: a\nname: A\npractices:\n  y: {value: true}\n",
            "lab_profiles/b.yaml": "id: b\nname: B\nname: B\n",
        }
    )
    for command in ("check", "validate"):
        result = run(command, cwd=root)
        assert result.code == 2
        assert result.out == ""
        assert "lab_profiles/a.yaml:4:3: practices.y: unknown indicator 'y'" in result.err
        assert "lab_profiles/b.yaml:3:1: name: duplicate key 'name'" in result.err
        assert "rules/p.yaml:6:27: rules.0.bar: unknown bar 'bset'" in result.err
        assert "3 problems; nothing was evaluated" in result.err
        assert "Traceback" not in result.err


def test_no_profiles_directory_is_an_error_not_a_pass(run: Run, tree: Callable[..., Path]) -> None:
    root = tree({"rules/p.yaml": "pack: p\nversion: '1'\n"})
    result = run("check", cwd=root)
    assert result.code == 2
    assert "lab_profiles:1:1: cannot read the lab profiles: no such directory" in result.err


def test_rule_packs_without_rules_are_an_error_not_a_pass(run: Run, tree: Callable[..., Path]) -> None:
    root = tree(
        {
            "rules/p.yaml": "pack: p\nversion: '1'\nindicators:\n  x: {title: X, area: a, type: boolean}\n",
            "lab_profiles/a.yaml": "id: a\nname: A\n",
        }
    )
    result = run("check", cwd=root)
    assert result.code == 2
    assert "rules:1:1: the rule packs hold no rules" in result.err


def test_validate_ok(run: Run) -> None:
    result = run("validate")
    assert result.code == 0
    assert result.out == "ok: 3 lab profiles, 10 rules in 2 packs, 3 waivers\n"


def test_explicit_waivers_option_replaces_the_default(run: Run, tree: Callable[..., Path]) -> None:
    other = tree({"w.yaml": "[]\n"}) / "w.yaml"
    report = json.loads(run("check", AS_OF_ARG, "--format=json", f"--waivers={other}").out)
    assert report["waivers"] == []
    assert not any(v["status"] == "waived" for v in report["verdicts"])


def test_rules_and_explain_match_golden(run: Run, golden: Callable[[str, str], None]) -> None:
    golden("rules.txt", run("rules").out)
    golden("explain-bar.txt", run("explain", "security-median", AS_OF_ARG).out)
    golden("explain-derive.txt", run("explain", "capability-leader", AS_OF_ARG).out)
    golden("explain-commitment.txt", run("explain", "delay-when-leading", AS_OF_ARG).out)


def test_explain_json_lists_every_lab(run: Run) -> None:
    doc = json.loads(run("explain", "security-median", AS_OF_ARG, "--format=json").out)
    assert [v["lab"] for v in doc["verdicts"]] == ["alpha", "beta", "gamma"]
    assert doc["rule"]["bar"] == {"kind": "median"}


def test_rules_json(run: Run) -> None:
    rows = json.loads(run("rules", "--format=json").out)
    assert [r["id"] for r in rows] == sorted(r["id"] for r in rows)
    assert {r["kind"] for r in rows} == {"bar", "commitment", "derive"}


def test_schema_prints_valid_json_schemas(run: Run) -> None:
    schemas = json.loads(run("schema").out)
    assert set(schemas) == {"profile", "rule-pack", "waivers", "report", "history", "alarms", "sources"}
    assert schemas["profile"]["additionalProperties"] is False
    assert "practices" in schemas["profile"]["properties"]
    assert json.loads(run("schema", "waivers").out)["type"] == "array"


def test_python_dash_m_and_console_script_agree() -> None:
    args = ["check", AS_OF_ARG, "--format=json"]
    module = subprocess.run(
        [sys.executable, "-m", "parity", *args], cwd=WORLD, capture_output=True, text=True
    )
    script = Path(sys.executable).parent / "parity"
    console = subprocess.run([str(script), *args], cwd=WORLD, capture_output=True, text=True)
    assert module.returncode == console.returncode == 0, module.stderr + console.stderr
    assert module.stdout == console.stdout


def test_internal_errors_exit_3(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(sys.modules["parity.judge.evaluation"], "evaluate", boom)
    result = run("check")
    assert result.code == 3
    assert "internal error: RuntimeError: simulated bug" in result.err
    assert "Traceback" not in result.err


def test_docs_describe_every_command_and_option() -> None:
    import argparse

    from parity.cli import parser

    root = Path(__file__).parents[1]
    readme = (root / "README.md").read_text(encoding="utf-8")
    reference = (root / "docs/cli.md").read_text(encoding="utf-8")
    subcommands = next(a for a in parser()._actions if isinstance(a, argparse._SubParsersAction))
    for name, sub in subcommands.choices.items():
        assert f"parity {name}" in readme, f"README does not list `parity {name}`"
        assert f"## `parity {name}" in reference, f"docs/cli.md has no section for `parity {name}`"
        for action in sub._actions:
            for flag in action.option_strings:
                assert flag in reference, f"docs/cli.md does not describe {name} {flag}"


def test_shortfalls_cite_the_evidence_of_who_sets_the_bar(run: Run) -> None:
    verdicts = json.loads(run("check", AS_OF_ARG, "--format=json").out)["verdicts"]
    below = next(v for v in verdicts if (v["lab"], v["rule"]) == ("alpha", "risk-report-cadence-parity"))
    assert below["bar"]["set_by"] == ["beta"]
    assert below["bar"]["evidence"] == {
        "beta": [{"url": "https://beta.example/reports", "date": "2026-06-30"}]
    }
    assert all("evidence" not in v["bar"] for v in verdicts if v["status"] in ("meets", "surpasses"))


# --- robustness: signals, pipes, encodings, hostile text -----------------------------------------------------

PARITY = [sys.executable, "-m", "parity"]


def test_ctrl_c_exits_130_with_one_line(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(sys.modules["parity.judge.evaluation"], "evaluate", interrupted)
    result = run("check")
    assert result.code == 130
    assert result.err == "parity: interrupted\n"


def test_a_closed_pipe_keeps_the_exit_code() -> None:
    # `parity check --fail-on high | head -1` must still fail the pipeline under pipefail.
    command = f"set -o pipefail; {' '.join(PARITY)} check {AS_OF_ARG} --fail-on high | head -1"
    done = subprocess.run(["bash", "-c", command], cwd=WORLD, capture_output=True, text=True)
    assert done.returncode == 1
    assert done.stdout.startswith("parity ")
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr
    ok = subprocess.run(
        ["bash", "-c", command.replace("high", "never")], cwd=WORLD, capture_output=True, text=True
    )
    assert ok.returncode == 0, ok.stderr


def test_an_output_the_terminal_cannot_encode_is_an_input_error(tree: Callable[..., Path]) -> None:
    root = tree({"lab_profiles/a.yaml": "id: a\nname: Über-KI ✓\n", "rules/p.yaml": MINIMAL_PACK})
    env = {**os.environ, "PYTHONIOENCODING": "ascii"}
    done = subprocess.run([*PARITY, "check", AS_OF_ARG], cwd=root, capture_output=True, text=True, env=env)
    assert done.returncode == 2
    assert "parity: cannot write the output: the output encoding (ascii) cannot show" in done.stderr
    assert "PYTHONIOENCODING=utf-8" in done.stderr and "Traceback" not in done.stderr


def test_a_full_disk_is_an_input_error() -> None:
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [*PARITY, "check", AS_OF_ARG, "--format=json"],
            cwd=WORLD,
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
        )
    assert done.returncode == 2
    assert "parity: cannot write the output: No space left on device" in done.stderr


HOSTILE = 'id: a\nname: "Evil \\e[2J\\e]0;pwned\\a Lab | **bold** [x](javascript:alert(1)) <script>"\n'
MINIMAL_PACK = (
    "pack: p\nversion: '1'\nindicators:\n  x: {title: X, area: a, type: boolean}\n"
    "rules:\n  - {id: r, indicator: x, bar: best, severity: low}\n"
)


def test_terminal_control_characters_never_reach_the_terminal(run: Run, tree: Callable[..., Path]) -> None:
    root = tree({"lab_profiles/a.yaml": HOSTILE, "rules/p.yaml": MINIMAL_PACK})
    for args in (
        ["check"],
        ["explain", "r"],
        ["check", "--format=markdown"],
        ["explain", "r", "--format=markdown"],
    ):
        out = run(*args, AS_OF_ARG, cwd=root).out
        assert "\x1b" not in out and "\x07" not in out
    assert "(Evil \\x1b[2J\\x1b]0;pwned\\x07 Lab" in run("check", AS_OF_ARG, cwd=root).out
    broken = tree({"lab_profiles/\x1b[31mred.yaml": "id: x\n", "rules/p.yaml": MINIMAL_PACK})
    err = run("validate", cwd=broken).err
    assert "\x1b" not in err and "\\x1b[31mred.yaml" in err


def test_profile_text_never_forms_markdown_structure(run: Run, tree: Callable[..., Path]) -> None:
    root = tree({"lab_profiles/a.yaml": HOSTILE, "rules/p.yaml": MINIMAL_PACK})
    out = run("check", AS_OF_ARG, "--format=markdown", cwd=root).out
    heading = next(line for line in out.splitlines() if line.startswith("## "))
    # rendered, it reads: Evil \x1b[2J\x1b]0;pwned\x07 Lab | **bold** [x](javascript:alert(1)) <script> (a)
    assert heading == (
        "## Evil \\\\x1b\\[2J\\\\x1b\\]0;pwned\\\\x07 Lab \\| \\*\\*bold\\*\\* \\[x\\](javascript:alert(1)) \\<script\\> (a)"
    )
    for structure in (r"(?<!\\)<script", r"(?<!\\)\*\*bold", r"(?<!\\)\]\(javascript", r"(?<!\\)\| \*"):
        assert not re.search(structure, out), structure


def test_pack_narrows_like_rule(run: Run) -> None:
    full = json.loads(run("check", AS_OF_ARG, "--format=json").out)
    narrow = json.loads(run("check", AS_OF_ARG, "--format=json", "--pack=pledges").out)
    assert narrow["verdicts"] == [v for v in full["verdicts"] if v["pack"] == "pledges"]
    assert set(narrow["labs"]["alpha"]["packs"]) == {"pledges"}


def test_validate_and_check_strict(run: Run) -> None:
    # The test world has unevidenced values and no `reviewed`: fine by default, refused under --strict.
    assert run("validate").code == 0
    for command in ("validate", "check"):
        result = run(command, "--strict", AS_OF_ARG)
        assert result.code == 2
        assert "--strict: the profile needs 'reviewed: YYYY-MM-DD'" in result.err
        assert "--strict: no evidence" in result.err


def _without_engine(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """parity run as if durable_rules_engine did not import (as when built on 3.13 without the define)."""
    script = (
        "import sys; sys.modules['durable_rules_engine'] = None\n"
        "from parity.cli import main\n"
        f"sys.exit(main({list(args)!r}))\n"
    )
    return subprocess.run([sys.executable, "-c", script], cwd=WORLD, capture_output=True, text=True, env=env)


@pytest.mark.parametrize("command", [["check"], ["explain", "security-all"], ["diff", "."], ["waivers"]])
def test_a_missing_engine_is_an_installation_problem_with_its_fix(command: list[str]) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PRE_COMMIT"}
    done = _without_engine(*command, AS_OF_ARG, env=env)
    assert done.returncode == 4  # not 3: nothing is wrong with parity, only with how it was installed
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("parity: installation problem: the durable_rules engine does not import (")
    fix = f"CPPFLAGS='-DPyEval_CallObject=PyObject_CallObject' {sys.executable} -m pip install --force-reinstall"
    assert fix in line
    assert "bug" not in line


def test_a_missing_engine_in_a_pre_commit_hook_says_how_to_rebuild_the_hook() -> None:
    done = _without_engine("check", AS_OF_ARG, env={**os.environ, "PRE_COMMIT": "1"})
    assert done.returncode == 4
    assert done.stderr.strip().endswith(
        "reinstall it: pre-commit clean && CPPFLAGS='-DPyEval_CallObject=PyObject_CallObject' "
        "PIP_NO_CACHE_DIR=1 pre-commit install-hooks"
    )


def test_validate_needs_no_engine_and_says_nothing_about_it() -> None:
    done = _without_engine("validate")
    assert (done.returncode, done.stdout, done.stderr) == (
        0,
        "ok: 3 lab profiles, 10 rules in 2 packs, 3 waivers\n",
        "",
    )


def test_validate_never_imports_the_engine() -> None:
    script = "import sys; from parity.cli import main; main(['validate']); print('durable_rules_engine' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", script], cwd=WORLD, capture_output=True, text=True)
    assert done.stdout.strip().endswith("False"), done.stdout + done.stderr


def test_default_waivers_are_the_ones_beside_the_profiles(run: Run, tmp_path: Path) -> None:
    # Run from elsewhere: the world's own waivers.yaml applies, not one in the working directory.
    (tmp_path / "waivers.yaml").write_text("not: a list\n", encoding="utf-8")
    args = ["check", AS_OF_ARG, "--format=json", f"--profiles={WORLD}/lab_profiles", f"--rules={WORLD}/rules"]
    report = json.loads(run(*args, cwd=tmp_path).out)
    assert [w["lab"] for w in report["waivers"]] == ["beta", "gamma", "beta"]


def test_a_folder_named_waivers_yaml_is_reported_not_skipped(run: Run, tree: Callable[..., Path]) -> None:
    root = tree({"lab_profiles/a.yaml": "id: a\nname: A\n", "rules/p.yaml": MINIMAL_PACK})
    (root / "waivers.yaml").mkdir()
    result = run("check", cwd=root)
    assert result.code == 2
    assert "waivers.yaml:1:1: is a directory, not a YAML file" in result.err


def test_max_review_age_goes_with_strict(run: Run) -> None:
    result = run("validate", "--max-review-age=30")
    assert result.code == 2
    assert "--max-review-age goes with --strict" in result.err


def test_formats_say_which_commands_they_render() -> None:
    from parity import formats

    assert {name: f.commands for name, f in formats.FORMATS.items()} == {
        "table": ("check", "diff", "explain", "rules", "history", "validate", "waivers", "due", "sources"),
        "markdown": ("check", "diff", "explain", "rules", "history", "waivers", "due", "sources"),
        "json": ("check", "diff", "explain", "rules", "history", "validate", "waivers", "due", "sources"),
        "scorecard": ("check",),
        "csv": ("check", "diff"),
        "sarif": ("check", "diff"),
        "junit": ("check", "diff"),
        "github": ("check", "diff", "validate", "waivers"),
    }
    only_check = formats.Format("check-only", "a format that renders reports only", check=lambda r: ["x"])
    formats.FORMATS["check-only"] = only_check
    try:
        assert formats.names("rules") == ["json", "markdown", "table"]
        with pytest.raises(
            UsageError, match="format 'check-only' cannot render `rules`; one of json, markdown, table"
        ):
            formats.get("check-only", "rules")
    finally:
        del formats.FORMATS["check-only"]
    with pytest.raises(UsageError, match="format 'xml' cannot render `check`"):
        formats.get("xml", "check")


def test_selection_by_glob_area_severity_and_skip(run: Run) -> None:
    full = json.loads(run("check", AS_OF_ARG, "--format=json").out)["verdicts"]

    def rules(*args: str) -> set[str]:
        return {
            v["rule"] for v in json.loads(run("check", AS_OF_ARG, "--format=json", *args).out)["verdicts"]
        }

    assert rules("--rule=security-*") == {v["rule"] for v in full if v["rule"].startswith("security-")}
    assert rules("--rule=security-*", "--skip-rule=*-all") == rules("--rule=security-*") - {"security-all"}
    assert rules("--area=security") == {v["rule"] for v in full if v["area"] == "security"}
    assert rules("--min-severity=high") == {v["rule"] for v in full if v["severity"] in ("high", "critical")}
    narrow = json.loads(
        run("check", AS_OF_ARG, "--format=json", "--rule=security-*", "--min-severity=medium").out
    )
    for v in narrow["verdicts"]:  # narrowing never moves a bar
        assert v == next(w for w in full if (w["lab"], w["rule"]) == (v["lab"], v["rule"]))
