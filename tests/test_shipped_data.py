"""The data parity ships: it loads cleanly, every value is evidenced, and its output is pinned."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from helpers import AS_OF_ARG, SHIPPED_AS_OF, Result, parity_process

import parity

ROOT = Path(__file__).parents[1]


def _shipped() -> parity.Dataset:
    return parity.load(ROOT / "lab_profiles", ROOT / "rules")


def test_shipped_data_loads_cleanly(run: Callable[..., Result]) -> None:
    result = run("validate", cwd=ROOT)
    assert result.code == 0, result.err


def test_every_value_has_dated_http_evidence() -> None:
    for lab in _shipped().labs.values():
        for name, practice in lab.profile.practices.items():
            if practice.not_applicable is None and practice.value != "unknown":
                assert practice.evidence, f"{lab.file}: {name} has a value but no evidence"
            for evidence in practice.evidence:
                assert urlsplit(evidence.url).scheme in ("http", "https"), evidence.url
                assert evidence.date <= SHIPPED_AS_OF, f"{lab.file}: {name}: evidence from the future"
                assert evidence.quote or evidence.note, f"{lab.file}: {name}: evidence without quote or note"


def test_every_shipped_rule_says_why() -> None:
    for loaded in _shipped().rules.values():
        rule = loaded.rule
        assert rule.title and rule.rationale, f"{rule.id} needs a title and a rationale"


def _evidenced_values() -> list[parity.models.Practice]:
    return [
        practice
        for lab in _shipped().labs.values()
        for practice in lab.profile.practices.values()
        if practice.not_applicable is None and practice.value != "unknown" and practice.evidence
    ]


def test_at_most_a_tenth_of_the_values_rest_on_secondary_sources_only() -> None:
    # docs/profiles.md: `tier: secondary` is someone else's account (news, trackers, research notes, a
    # third-party copy whose fidelity is not shown). A value whose every piece of evidence is secondary is
    # only as good as the report it repeats: keep them rare.
    values = _evidenced_values()
    secondary_only = [p for p in values if all(e.tier == "secondary" for e in p.evidence)]
    assert len(secondary_only) <= 0.10 * len(values), f"{len(secondary_only)} of {len(values)}"


def test_a_note_that_says_secondary_is_marked_so() -> None:
    """The tier is data now: a note written in the older convention ("secondary: ...") agrees with it."""
    disagree = [
        e.url
        for p in _evidenced_values()
        for e in p.evidence
        if (e.note or "").lower().startswith("secondary") != (e.tier == "secondary")
    ]
    assert disagree == []


def test_the_code_of_practice_tag_matches_the_signatory_value() -> None:
    signed = {"safety-chapter-only", "all-chapters"}
    for lab in _shipped().labs.values():
        practice = lab.profile.practices.get("eu_gpai_code_signatory")
        tagged = "eu-cop-safety-signatory" in lab.profile.tags
        if tagged:
            assert practice is not None and practice.value in signed, f"{lab.file}: tagged but not signed"
        elif practice is not None:
            assert practice.value not in signed, f"{lab.file}: signed the chapter but not tagged"


def test_shipped_check_output_is_pinned(
    run: Callable[..., Result], golden: Callable[[str, str], None]
) -> None:
    result = run("check", "--as-of=2026-12-01", cwd=ROOT)
    assert result.code == 0, result.err
    golden("shipped-check.txt", result.out)


def test_shipped_data_passes_strict_validation(run: Callable[..., Result]) -> None:
    # Every value (unknown included) is sourced, nothing is dated after the check, every profile reviewed.
    result = run("validate", "--strict", "--as-of=2026-12-01", cwd=ROOT)
    assert result.code == 0, result.err


def _check_json(*args: str, cwd: Path, env: dict[str, str] | None = None) -> str:
    """`python -m parity check --as-of=2026-11-26 --format=json ARGS` in a fresh process; its stdout."""
    done = parity_process("check", AS_OF_ARG, "--format=json", *args, cwd=cwd, env=env)
    assert done.code == 0, done.err
    return done.out


def test_output_does_not_depend_on_hash_seeds() -> None:
    outputs = {
        _check_json(cwd=ROOT / "tests/data/world", env={**os.environ, "PYTHONHASHSEED": seed})
        for seed in ("0", "1", "12345")
    }
    assert len(outputs) == 1


def _pasted(line: str, output: list[str]) -> bool:
    """A README line is output as printed: a whole line, `[...]` for lines left out, or the start of a wide
    line followed by ` [...]` for the rest of it."""
    if line == "[...]" or line in output:
        return True
    start = line.removesuffix(" [...]")
    return start != line and any(printed.startswith(start) for printed in output)


def test_readme_excerpts_are_real_output(run: Callable[..., Result]) -> None:
    # Each block of "What the shipped data finds" is pasted from one command: `parity check` or, where its
    # first line says so, `parity history`, both as of 2026-12-01 on the shipped data.
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### What the shipped data finds") :]
    section = section[: section.index("\n## ")]
    blocks = [block.strip("\n").splitlines() for block in section.split("```")[1::2]]
    assert len(blocks) >= 2
    check = run("check", "--as-of=2026-12-01", cwd=ROOT).out.splitlines()
    history = run("history", "--as-of=2026-12-01", cwd=ROOT).out.splitlines()
    from_history = [block[0].startswith(f"parity {parity.__version__} history") for block in blocks]
    assert any(from_history), "the story by the data's dates is pasted from parity history"
    for block, is_history in zip(blocks, from_history, strict=True):
        command, output = ("history", history) if is_history else ("check", check)
        for line in block:
            assert _pasted(line, output), f"README line is not in the output of parity {command}: {line!r}"


def test_readme_library_example_runs_as_written(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## As a library") :]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "# parity report" in done.stdout


def test_no_tracked_file_refers_outside_the_repository() -> None:
    """The project stands alone: a user clones only this repository, so nothing tracked may point at the
    maintainers' working notes beside it (the research folder, its fact files, the product contract's
    draft). Every fact a test needs is a fixture here, and every source a public URL."""
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    outside = ("../shared", "shared/research", "/work/shared", "/work/notes", "lab_facts", "SPEC.md")
    for name in tracked.splitlines():
        path = ROOT / name
        if name == "tests/test_shipped_data.py" or not path.is_file() or path.suffix in (".json",):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        for needle in outside:
            assert needle not in text, (
                f"{name} refers to {needle!r}, which a user who clones the repository lacks"
            )


def test_report_locations_do_not_depend_on_where_parity_runs(tmp_path: Path) -> None:
    world = ROOT / "tests/data/world"
    outputs = {
        _check_json(
            f"--profiles={prefix}/lab_profiles",
            f"--rules={prefix}/rules",
            f"--waivers={prefix}/waivers.yaml",
            cwd=cwd,
        )
        for cwd, prefix in ((world, "."), (ROOT, "tests/data/world"), (tmp_path, str(world)))
    }
    assert len(outputs) == 1


def test_no_tracked_file_holds_a_merge_conflict() -> None:
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    marker = re.compile(r"^(<{7}|>{7}) ", re.M)
    for name in tracked.splitlines():
        path = ROOT / name
        if path.is_file() and path.suffix not in (".png",):
            text = path.read_text(encoding="utf-8", errors="replace")
            assert not marker.search(text), f"{name} holds an unresolved merge conflict"
