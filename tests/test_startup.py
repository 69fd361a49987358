"""What the command line imports before it does anything: `--version`, `--help` and a usage error must
import no pydantic, no engine, no YAML parser and no renderer (a pre-commit hook and an editor pay every
start). Imports, not time: time is measured by benchmarks/bench_startup.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("pydantic", "pydantic_core", "durable_rules", "durable_rules_engine", "yaml", "tabulate", "jinja2")

PROBE = f"""
import json, sys
from parity.cli import main
code = main(sys.argv[1:])
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in {set(HEAVY)})), file=sys.stderr)
"""


def _imported(*argv: str, env: dict[str, str] | None = None) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, timeout=60, cwd=ROOT, env=env
    )
    return json.loads(done.stderr.strip().splitlines()[-1])


@pytest.mark.parametrize(
    "argv",
    [("--version",), ("--help",), ("check", "--help"), ("history", "--help"), ("check", "--no-such-option")],
)
def test_starting_imports_nothing_heavy(argv: tuple[str, ...]) -> None:
    assert _imported(*argv) == []


@pytest.mark.parametrize("command", ["check", "validate"])
def test_a_kept_run_is_replayed_without_importing_anything_heavy(command: str, tmp_path: Path) -> None:
    """docs/cache.md, "Runs": the whole point is a start that costs no parser, no models, no engine."""
    env = {**os.environ, "PARITY_CACHE_DIR": str(tmp_path)}
    args = (
        (command, "--strict", "--as-of", "2026-12-01")
        if command == "validate"
        else (command, "--as-of", "2026-12-01")
    )
    assert "pydantic" in _imported(*args, env=env)  # the first run computes and keeps its output
    assert _imported(*args, env=env) == []


def test_the_probe_sees_what_a_command_imports() -> None:
    """The probe itself: a command that reads data does import them (else the test above proves nothing)."""
    assert {"pydantic", "yaml"} <= set(_imported("rules", "--rules", "rules"))


def test_the_package_names_its_api_without_importing_it() -> None:
    probe = (
        "import parity, sys; print(parity.__version__, 'pydantic' in sys.modules, callable(parity.evaluate))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    version, early, late = done.stdout.split()
    assert (early, late) == ("False", "True")
    import parity

    assert version == parity.__version__
    assert set(parity.__all__) == {*parity._MODULE_OF, "__version__"}
    assert set(parity.__all__) <= set(dir(parity))
    with pytest.raises(AttributeError):
        parity.no_such_name  # noqa: B018
