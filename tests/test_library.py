"""The library and the CLI agree: the README's library example, run as written on the shipped data with a
waiver beside it, gives the very report `parity check` prints."""

from __future__ import annotations

import contextlib
import io
import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import ROOT, SHIPPED_AS_OF, Result

import parity

Run = Callable[..., Result]


def _readme_example() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## As a library", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)  # type: ignore[union-attr]


@pytest.fixture
def shipped(tmp_path: Path, run: Run) -> Path:
    """The shipped data with a waivers.yaml beside it, waiving the first shipped shortfall."""
    root = tmp_path / "data"
    for folder in ("lab_profiles", "rules"):
        shutil.copytree(ROOT / folder, root / folder)
    report = json.loads(run("check", f"--as-of={SHIPPED_AS_OF}", "--format=json", cwd=root).out)
    first = next(v for v in report["verdicts"] if v["status"] == "below")
    (root / "waivers.yaml").write_text(
        f"- {{rule: {first['rule']}, lab: {first['lab']}, reason: Under review., expires: 2027-03-01}}\n",
        encoding="utf-8",
    )
    return root


def test_the_readme_example_gives_the_cli_report(
    shipped: Path, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = run("check", f"--as-of={SHIPPED_AS_OF}", "--format=json", cwd=shipped).out
    monkeypatch.chdir(shipped)
    namespace: dict[str, object] = {}
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(_readme_example(), "README.md", "exec"), namespace)
    report = namespace["report"]
    assert isinstance(report, parity.Report) and report.as_of == SHIPPED_AS_OF
    assert parity.render(report, "json") == cli
    waived = [v for v in json.loads(cli)["verdicts"] if v["status"] == "waived"]
    assert len(waived) == 1  # the waiver beside the profiles applied, in the library as in the CLI
    below = [line for line in printed.getvalue().splitlines() if line.startswith(tuple(report.labs))]
    assert len(below) == sum(1 for v in json.loads(cli)["verdicts"] if v["status"] == "below")


def test_load_reads_the_waivers_beside_the_profiles_unless_told_otherwise(shipped: Path) -> None:
    default = parity.load(shipped / "lab_profiles", shipped / "rules")
    assert len(default.waivers) == 1
    assert parity.load(shipped / "lab_profiles", shipped / "rules", None).waivers == []
    other = shipped / "other.yaml"
    other.write_text("[]\n", encoding="utf-8")
    assert parity.load(shipped / "lab_profiles", shipped / "rules", other).waivers == []
    (shipped / "waivers.yaml").unlink()
    assert parity.load(shipped / "lab_profiles", shipped / "rules").waivers == []  # none there: none read


def test_a_folder_named_waivers_yaml_beside_the_profiles_is_reported(tmp_path: Path) -> None:
    for folder in ("lab_profiles", "rules"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    (tmp_path / "waivers.yaml").mkdir()
    with pytest.raises(parity.LoadError, match=r"waivers\.yaml:1:1: is a directory"):
        parity.load(tmp_path / "lab_profiles", tmp_path / "rules")
