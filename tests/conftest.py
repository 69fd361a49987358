"""Shared fixtures: a CLI runner, a tree writer, golden-file comparison, a git repository of the world
(plain helpers live in helpers.py)."""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import GOLDEN, WORLD, Result, git

from parity.cli import main


@pytest.fixture(scope="session")
def shared_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("parity-cache")


@pytest.fixture(autouse=True)
def _cache_in_tmp(shared_cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test's parse cache lives in one temporary folder, never in the user's home: shared by the
    whole session, so that most tests also run against entries other tests wrote (results must not
    depend on it)."""
    monkeypatch.setenv("PARITY_CACHE_DIR", str(shared_cache_dir))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", help="rewrite tests/golden/* from the output")


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    """Run the CLI in-process in a given directory; returns exit code, stdout, stderr."""

    def invoke(*args: str, cwd: Path = WORLD) -> Result:
        monkeypatch.chdir(cwd)
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return invoke


@pytest.fixture
def tree(tmp_path: Path) -> Callable[[dict[str, str | bytes]], Path]:
    """Write {relative path: text or bytes} under a fresh directory; text is dedented."""

    def write(files: dict[str, str | bytes]) -> Path:
        for rel, content in files.items():
            path = tmp_path / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")
        return tmp_path

    return write


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Callable[[str, str], None]:
    """Compare text with tests/golden/<name>, or rewrite it under --update-golden."""

    def compare(name: str, text: str) -> None:
        path = GOLDEN / name
        if request.config.getoption("--update-golden"):
            path.write_text(text, encoding="utf-8")
        assert path.exists(), f"missing golden file {path}; run pytest --update-golden"
        assert text == path.read_text(encoding="utf-8"), f"output differs from {path}"

    return compare


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository holding a copy of the world, committed on `main`."""
    root = tmp_path / "watchdog"
    shutil.copytree(WORLD, root)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    return root
