"""The parse cache: keyed by git blob id, results identical with and without it, bad entries ignored and
rebuilt, an unusable folder never an error (docs/cache.md)."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import WORLD, Result, git, report_json

import parity
import parity._version
from parity.loading import yamldoc as source
from parity.loading.cache import FORMAT, ParseCache, blob_id, default_dir, fingerprint
from parity.loading.files import GitRevision

Run = Callable[..., Result]


def _world(cache: ParseCache | None, root: Path = WORLD) -> parity.Dataset:
    return parity.load(root / "lab_profiles", root / "rules", root / "waivers.yaml", cache=cache)


def _entries(directory: Path) -> list[Path]:
    return sorted(directory.rglob("*.json"))


def _problems(load: Callable[[], object]) -> list[str]:
    with pytest.raises(parity.LoadError) as caught:
        load()
    return [str(p) for p in caught.value.problems]


def test_the_key_is_gits_blob_id(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_bytes(b"id: x\nname: \xc3\x9c\n")
    expected = subprocess.run(["git", "hash-object", str(path)], capture_output=True, text=True, check=True)
    assert blob_id(path.read_bytes()) == expected.stdout.strip()


def test_a_cached_load_gives_the_same_report_and_the_same_objects(tmp_path: Path) -> None:
    cache = ParseCache(tmp_path / "cache")
    fresh = _world(None)
    first, second = _world(cache), _world(cache)
    assert report_json(first) == report_json(second) == report_json(fresh)
    assert cache.hits > 0
    assert all(second.labs[lab] is first.labs[lab] for lab in first.labs)  # nothing changed: `is` says so
    assert all(second.rules[r].rule is first.rules[r].rule for r in first.rules)
    assert len(_entries(tmp_path / "cache")) == 6  # 3 profiles, 2 packs, the waivers


def test_a_new_process_reads_the_entries_instead_of_parsing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = report_json(_world(ParseCache(tmp_path / "cache")))

    def no_parse(*args: object, **kwargs: object) -> None:
        raise AssertionError("parsed although every file is cached")

    monkeypatch.setattr(source, "parse", no_parse)
    cache = ParseCache(tmp_path / "cache")  # an empty memory, the same folder
    assert report_json(_world(cache)) == expected
    assert cache.misses == 0


def _write_world(root: Path) -> Path:
    shutil.copytree(WORLD, root)
    return root


@pytest.mark.parametrize(
    "damage",
    [
        lambda text: text[: len(text) // 2],  # truncated
        lambda text: b"",
        lambda text: b"\x80\x81 not json at all",
        lambda text: text.replace(b'"Alpha AI"', b'"Forged AI"'),  # the checksum no longer matches
        lambda text: text.replace(b'"format": %d' % FORMAT, b'"format": 99'),  # another format
        lambda text: text.partition(b"\n")[0] + b"\n",  # a header without its body
        lambda text: b"\n".join([text.partition(b"\n")[0], b"[1, 2, 3]"]),
    ],
    ids=["truncated", "empty", "garbage", "tampered", "other-format", "no-body", "wrong-body"],
)
def test_a_damaged_entry_is_ignored_and_rebuilt(tmp_path: Path, damage: Callable[[bytes], bytes]) -> None:
    folder = tmp_path / "cache"
    expected = report_json(_world(None))
    _world(ParseCache(folder))
    alpha = blob_id((WORLD / "lab_profiles/alpha.yaml").read_bytes())
    (entry,) = [p for p in _entries(folder) if p.name.startswith(alpha)]
    entry.write_bytes(damage(entry.read_bytes()))
    cache = ParseCache(folder)
    assert report_json(_world(cache)) == expected
    assert cache.misses == 1  # that one file was parsed again...
    again = ParseCache(folder)
    _world(again)
    assert again.misses == 0  # ...and its entry written again, whole


def _forged(folder: Path, blob: str, body: object) -> None:
    """An entry with a valid header and checksum but a body parity would never write."""
    import hashlib

    text = json.dumps(body).encode()
    head = {
        "format": 1,
        "fingerprint": fingerprint(),
        "blob": blob,
        "depth": 2,
        "sha256": hashlib.sha256(text).hexdigest(),
    }
    (folder / fingerprint() / f"{blob}.2.json").write_bytes(json.dumps(head).encode() + b"\n" + text)


@pytest.mark.parametrize(
    "body",
    [
        {"data": {"id": "alpha"}, "marks": [0, 1, None]},  # a line 0
        {"data": {"id": "alpha"}, "marks": [1, 1, {"id": "not an entry"}]},
        {"data": {"id": "alpha"}, "marks": [1, 1, None], "extra": 1},
        {"data": {"id": "alpha"}, "marks": [True, 1, None]},
        {"marks": [1, 1, None]},
    ],
)
def test_an_entry_of_the_wrong_shape_is_ignored(tmp_path: Path, body: object) -> None:
    folder = tmp_path / "cache"
    expected = report_json(_world(None))
    _world(ParseCache(folder))
    _forged(folder, blob_id((WORLD / "lab_profiles/alpha.yaml").read_bytes()), body)
    cache = ParseCache(folder)
    assert report_json(_world(cache)) == expected
    assert cache.misses == 1


def test_nan_in_an_entry_is_not_a_value(tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    _world(ParseCache(folder))
    blob = blob_id((WORLD / "lab_profiles/alpha.yaml").read_bytes())
    entry = folder / fingerprint() / f"{blob}.2.json"
    head, _, body = entry.read_bytes().partition(b"\n")
    body = body.replace(b":6,", b":NaN,", 1)
    assert b"NaN" in body
    header = json.loads(head)
    import hashlib

    header["sha256"] = hashlib.sha256(body).hexdigest()
    entry.write_bytes(json.dumps(header).encode() + b"\n" + body)
    cache = ParseCache(folder)
    assert report_json(_world(cache)) == report_json(_world(None))
    assert cache.misses == 1


def test_a_new_parity_version_starts_a_new_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "cache"
    _world(ParseCache(folder))
    before = fingerprint()
    monkeypatch.setattr(parity._version, "__version__", "99.0.0")
    fingerprint.cache_clear()
    try:
        assert fingerprint() != before
        cache = ParseCache(folder)
        _world(cache)
        assert cache.hits == 0
        assert sorted(p.name for p in folder.iterdir()) == sorted([before, fingerprint()])
    finally:
        monkeypatch.undo()
        fingerprint.cache_clear()


def test_a_file_with_problems_is_not_cached_and_reports_the_same(tree: Callable[..., Path]) -> None:
    root = tree({"lab_profiles/alpha.yaml": "id: alpha\nname: A\nname: B\nvalue: 0x58\n"})
    shutil.copytree(WORLD / "rules", root / "rules")
    cache = ParseCache(root / "cache")

    def load() -> object:
        return parity.load(root / "lab_profiles", root / "rules", cache=cache)

    without = _problems(lambda: parity.load(root / "lab_profiles", root / "rules"))
    assert _problems(load) == _problems(load) == without
    assert "duplicate key 'name'" in without[0]
    alpha = blob_id((root / "lab_profiles/alpha.yaml").read_bytes())
    assert not [p for p in _entries(root / "cache") if p.name.startswith(alpha)]


def test_the_same_content_elsewhere_is_named_by_its_own_path(tmp_path: Path) -> None:
    """A cached document carries no path: the same bytes under another name report that name."""
    cache = ParseCache(tmp_path / "cache")
    first = _write_world(tmp_path / "first")
    _world(cache, first)
    second = _write_world(tmp_path / "second")
    (second / "lab_profiles/alpha.yaml").rename(second / "lab_profiles/delta.yaml")
    bad = (
        (second / "lab_profiles/beta.yaml").read_text(encoding="utf-8").replace("value: 3\n", "value: x\n", 1)
    )
    (second / "lab_profiles/beta.yaml").write_text(bad, encoding="utf-8")
    problems = _problems(lambda: _world(cache, second))
    assert problems == _problems(lambda: _world(None, second))
    assert any(p.startswith(f"{second}/lab_profiles/delta.yaml:1:") and "'alpha'" in p for p in problems)
    assert any(p.startswith(f"{second}/lab_profiles/beta.yaml:") for p in problems)


def test_a_deep_problem_in_a_cached_git_blob_is_located_as_without_cache(repo: Path) -> None:
    """The cache holds positions two levels deep; a problem deeper than that is located by reading the
    blob from git again, so it stands where it would without a cache."""
    cache = ParseCache(repo.parent / "cache")
    parity.load_revision(repo, "HEAD", cache=cache)  # beta's blob is now cached
    pack = repo / "rules/transparency.yaml"
    pack.write_text(pack.read_text(encoding="utf-8").replace("type: number", "type: boolean", 1))
    git(repo, "commit", "-q", "-am", "a number indicator becomes boolean")

    def load(with_cache: ParseCache | None) -> object:
        return parity.load_revision(repo, "HEAD", cache=with_cache)

    without = _problems(lambda: load(None))
    assert any(".value: expected true or false" in p for p in without)
    assert _problems(lambda: load(cache)) == without


def test_a_cached_revision_reads_no_blob_from_git(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = ParseCache(repo.parent / "cache")
    expected = report_json(parity.load_revision(repo, "HEAD", waivers="waivers.yaml", cache=cache))
    reads: list[str] = []
    original = GitRevision.read

    def counted(self: GitRevision, file: object) -> bytes:
        reads.append(str(file))
        return original(self, file)  # type: ignore[arg-type]

    monkeypatch.setattr(GitRevision, "read", counted)
    assert (
        report_json(
            parity.load_revision(repo, "HEAD", waivers="waivers.yaml", cache=ParseCache(cache.directory))
        )
        == expected
    )
    assert reads == []
    assert (
        report_json(parity.load(repo / "lab_profiles", repo / "rules", repo / "waivers.yaml", cache=cache))
        == expected
    )


def test_a_symlink_in_a_revision_is_refused_with_a_cache_too(repo: Path) -> None:
    (repo / "lab_profiles/link.yaml").symlink_to("/etc/passwd")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "link")
    with pytest.raises(parity.LoadError, match=r"HEAD:lab_profiles/link\.yaml:1:1: is a symlink"):
        parity.load_revision(repo, "HEAD", cache=ParseCache(repo.parent / "cache"))


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root writes anywhere")
def test_an_unwritable_folder_is_no_cache_and_no_error(tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    folder.mkdir(mode=0o500)
    try:
        cache = ParseCache(folder / "sub")
        assert report_json(_world(cache)) == report_json(_world(None))
        assert not (folder / "sub").exists()
    finally:
        folder.chmod(0o700)


def test_a_read_only_entries_folder_is_no_error(tmp_path: Path) -> None:
    """The entries folder exists but nothing can be written into it (as for a read-only mount)."""
    folder = tmp_path / "cache"
    ParseCache(folder).entries()
    (folder / fingerprint()).chmod(0o500)
    try:
        cache = ParseCache(folder)
        if os.access(folder / fingerprint(), os.W_OK):  # root: make the write fail another way
            (folder / fingerprint()).chmod(0o700)
            (folder / fingerprint()).rmdir()
            (folder / fingerprint()).write_text("a file where the folder should be")
        assert report_json(_world(cache)) == report_json(_world(None))
    finally:
        target = folder / fingerprint()
        if target.is_dir():
            target.chmod(0o700)


def test_a_file_where_the_folder_should_be_is_no_cache(tmp_path: Path) -> None:
    (tmp_path / "cache").write_text("not a folder")
    cache = ParseCache(tmp_path / "cache")
    assert report_json(_world(cache)) == report_json(_world(None))
    assert (tmp_path / "cache").read_text() == "not a folder"


def test_a_folder_others_can_write_is_not_used(tmp_path: Path) -> None:
    folder = tmp_path / "shared"
    folder.mkdir()
    folder.chmod(0o777)
    _world(ParseCache(folder))
    assert _entries(folder) == []
    folder.chmod(0o700)
    _world(ParseCache(folder))
    assert len(_entries(folder)) == 6
    assert stat.S_IMODE(os.stat(folder / fingerprint()).st_mode) == 0o700


def test_the_default_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PARITY_CACHE_DIR", str(tmp_path / "a"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_dir() == tmp_path / "a"
    monkeypatch.delenv("PARITY_CACHE_DIR")
    assert default_dir() == tmp_path / "xdg/parity"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_dir() == tmp_path / "home/.cache/parity"


def test_check_uses_the_cache_by_default(run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PARITY_CACHE_DIR", str(tmp_path / "env"))
    plain = run("check", "--as-of", "2026-11-26", "--format", "json", "--no-cache")
    assert not (tmp_path / "env").exists()
    cold = run("check", "--as-of", "2026-11-26", "--format", "json")
    warm = run("check", "--as-of", "2026-11-26", "--format", "json")
    assert plain.out == cold.out == warm.out and plain.code == cold.code == warm.code
    assert len(_entries(tmp_path / "env")) == 6
    run("validate", "--cache-dir", str(tmp_path / "given"))
    assert len(_entries(tmp_path / "given")) == 6


@pytest.mark.parametrize("command", ["check", "validate"])
def test_a_cache_dir_that_is_a_file_is_a_usage_error(run: Run, tmp_path: Path, command: str) -> None:
    (tmp_path / "file").write_text("x")
    result = run(command, "--cache-dir", str(tmp_path / "file"))
    assert result.code == 2
    assert result.err == f"parity: error: --cache-dir {tmp_path / 'file'}: not a directory\n"
    both = run(command, "--no-cache", "--cache-dir", str(tmp_path / "x"))
    assert (both.code, both.err) == (2, "parity: error: --cache-dir and --no-cache exclude each other\n")


def test_an_unusable_env_folder_never_fails_check(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "file").write_text("x")
    monkeypatch.setenv("PARITY_CACHE_DIR", str(tmp_path / "file"))
    result = run("check", "--as-of", "2026-11-26", "--format", "json")
    assert result.code == 0 and result.err == ""
    assert result.out == run("check", "--as-of", "2026-11-26", "--format", "json", "--no-cache").out


def test_diff_takes_the_cache_options(run: Run, repo: Path, tmp_path: Path) -> None:
    args = ("diff", "main", "--as-of", "2026-11-26", "--format", "json")
    cached = run(*args, "--cache-dir", str(tmp_path / "c"), cwd=repo)
    assert cached.code == 0 and len(_entries(tmp_path / "c")) == 6
    assert cached.out == run(*args, "--no-cache", cwd=repo).out


def test_concurrent_runs_share_one_folder(tmp_path: Path) -> None:
    env = {**os.environ, "PARITY_CACHE_DIR": str(tmp_path / "cache")}
    argv = [sys.executable, "-m", "parity", "check", "--as-of", "2026-11-26", "--format", "json"]
    procs = [
        subprocess.Popen(argv, cwd=WORLD, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(4)
    ]
    outs = [p.communicate() for p in procs]
    assert {p.returncode for p in procs} == {0}
    assert len({out for out, _ in outs}) == 1 and all(err == b"" for _, err in outs)
    assert len(_entries(tmp_path / "cache")) == 6
    assert not list((tmp_path / "cache").rglob(".tmp-*"))  # no temporary file left behind
    cache = ParseCache(tmp_path / "cache")
    _world(cache)
    assert cache.misses == 0  # every entry written whole
