"""Runs reused (docs/cache.md, "Runs"): a `check` or `validate` whose inputs, options and date are the same
as a kept run's prints that run's output, byte for byte, with its exit code, and evaluates nothing; any
change to what the output depends on computes it afresh; a damaged entry is never replayed; a run that
failed, was cut short or read git is never kept."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import AS_OF_ARG, WORLD, Result, edit_file

import parity.judge.evaluation
import parity.loading
from parity.cli import reuse

Run = Callable[..., Result]


@pytest.fixture
def world(tmp_path: Path) -> Path:
    shutil.copytree(WORLD, tmp_path / "world")
    return tmp_path / "world"


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    """Evaluating or loading from here on is an internal error (exit 3): only a replay can succeed."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise RuntimeError("computed, not reused")

    monkeypatch.setattr(parity.judge.evaluation, "evaluate", refuse)
    monkeypatch.setattr(parity.loading, "load", refuse)


def _check(run: Run, world: Path, cache: Path, *more: str) -> Result:
    return run("check", AS_OF_ARG, "--format", "json", "--cache-dir", str(cache), *more, cwd=world)


def _runs(cache: Path) -> list[Path]:
    return sorted(cache.glob(f"runs-{reuse.FORMAT}/*.head"))


def test_the_same_check_again_prints_the_kept_output_and_evaluates_nothing(
    run: Run, world: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    first = _check(run, world, tmp_path / "cache", "--fail-on", "high")
    assert first.code == 1 and len(_runs(tmp_path / "cache")) == 1
    request.getfixturevalue("frozen")
    again = _check(run, world, tmp_path / "cache", "--fail-on", "high")
    assert (again.code, again.out, again.err) == (first.code, first.out, first.err)


def test_validate_is_reused_too(
    run: Run, world: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    args = ("validate", AS_OF_ARG, "--cache-dir", str(tmp_path / "cache"))
    first = run(*args, cwd=world)
    assert first.code == 0
    request.getfixturevalue("frozen")
    assert run(*args, cwd=world) == first


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda w: edit_file(w / "lab_profiles/alpha.yaml", "name:", "name: "), id="a profile"),
        pytest.param(lambda w: (w / "rules/pledges.yaml").write_bytes(b""), id="a rule pack"),
        pytest.param(lambda w: (w / "waivers.yaml").unlink(), id="the default waivers file removed"),
        pytest.param(
            lambda w: shutil.copy(w / "lab_profiles/beta.yaml", w / "lab_profiles/delta.yml"), id="a new lab"
        ),
    ],
)
def test_a_changed_input_is_computed_afresh(
    run: Run, world: Path, tmp_path: Path, request: pytest.FixtureRequest, change: Callable[[Path], object]
) -> None:
    _check(run, world, tmp_path / "cache")
    change(world)
    request.getfixturevalue("frozen")
    assert _check(run, world, tmp_path / "cache").code == 3  # it computed: the frozen loader said so


@pytest.mark.parametrize(
    "options",
    [
        ("--as-of", "2026-11-27"),
        ("--format", "table"),
        ("--fail-on", "low"),
        ("--lab", "alpha"),
        ("--strict",),
    ],
)
def test_other_options_are_another_run(
    run: Run, world: Path, tmp_path: Path, request: pytest.FixtureRequest, options: tuple[str, ...]
) -> None:
    _check(run, world, tmp_path / "cache")
    request.getfixturevalue("frozen")
    assert _check(run, world, tmp_path / "cache", *options).code == 3


def test_a_hidden_file_beside_the_profiles_is_not_an_input(
    run: Run, world: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """An editor's swap file is no input of the loader, so it is none of the key either."""
    first = _check(run, world, tmp_path / "cache")
    (world / "lab_profiles/.alpha.yaml.swp").write_bytes(b"\x00junk")
    request.getfixturevalue("frozen")
    assert _check(run, world, tmp_path / "cache") == first


def test_output_files_are_replayed_whole(
    run: Run, world: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    args = ("-o", f"sarif:{out / 'r.sarif'}", "-o", f"markdown:{out / 'r.md'}")
    first = _check(run, world, tmp_path / "cache", *args)
    written = {p.name: p.read_bytes() for p in out.iterdir()}
    for path in out.iterdir():
        path.unlink()
    request.getfixturevalue("frozen")
    assert _check(run, world, tmp_path / "cache", *args) == first
    assert {p.name: p.read_bytes() for p in out.iterdir()} == written
    other = _check(run, world, tmp_path / "cache", "-o", f"sarif:{out / 'elsewhere.sarif'}")
    assert other.code == 3  # another destination is another run


@pytest.mark.parametrize("damage", ["flip", "truncate", "extend", "head"])
def test_a_damaged_entry_is_never_replayed(
    run: Run, world: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    cache = tmp_path / "cache"
    first = _check(run, world, cache)
    (head,) = _runs(cache)
    body = head.with_suffix(".body")
    data = body.read_bytes()
    if damage == "flip":
        body.write_bytes(data[:100] + bytes([data[100] ^ 1]) + data[101:])
    elif damage == "truncate":
        body.write_bytes(data[:-1])
    elif damage == "extend":
        body.write_bytes(data + b" ")
    else:
        head.write_text("{not json", encoding="utf-8")
    computed: list[bool] = []
    real = parity.judge.evaluation.evaluate
    monkeypatch.setattr(
        parity.judge.evaluation, "evaluate", lambda *a, **k: computed.append(True) or real(*a, **k)
    )
    assert _check(run, world, cache) == first
    assert computed == [True]
    assert body.read_bytes() == data  # and kept again, whole


def test_failed_runs_are_not_kept(run: Run, world: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    edit_file(world / "lab_profiles/alpha.yaml", "name:", "nmae:")
    assert _check(run, world, cache).code == 2
    edit_file(world / "lab_profiles/alpha.yaml", "nmae:", "name:")
    cut = _check(run, world, cache, "-o", f"json:{tmp_path / 'no-such-folder' / 'r.json'}")
    assert cut.code == 2
    assert _runs(cache) == []
    assert [p.name for p in (cache / f"runs-{reuse.FORMAT}").iterdir()] == []  # no temporary file left


def test_no_cache_keeps_nothing_and_reuses_nothing(
    run: Run, world: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home-cache"
    monkeypatch.setenv("PARITY_CACHE_DIR", str(home))
    assert run("check", AS_OF_ARG, "--no-cache", cwd=world).code == 0
    assert not home.exists()


def test_a_folder_others_may_write_is_not_used(run: Run, world: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o777)
    cache.chmod(0o777)
    _check(run, world, cache)
    assert not (cache / f"runs-{reuse.FORMAT}").exists()


def test_a_ratchet_reads_git_so_its_run_is_not_kept(run: Run, world: Path, tmp_path: Path) -> None:
    edit_file(world / "rules/transparency.yaml", "bar: best", "bar: best\n    ratchet: 365")
    result = _check(run, world, tmp_path / "cache")
    assert result.code == 0, result.err
    assert _runs(tmp_path / "cache") == []


def test_only_the_most_recent_runs_are_kept(
    run: Run, world: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reuse, "KEEP", 2)
    for day in ("2026-11-20", "2026-11-21", "2026-11-22"):
        _check(run, world, tmp_path / "cache", "--as-of", day)
    assert len(_runs(tmp_path / "cache")) == 2
    assert len(list(tmp_path.glob("cache/runs-*/*.body"))) == 2
