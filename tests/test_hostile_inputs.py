"""Hostile inputs on disk and in git: links that lead out of the data (a token file quoted into a public CI
log), a `git replace` that poisons the parse cache, cache entries that are FIFOs or huge, output files'
modes, and paths however they are spelled (`--profiles .`, a run from a subdirectory)."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import stat
import subprocess
import sys
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from helpers import AS_OF_ARG, GIT_ENV, WORLD, Result, git

from parity.loading.cache import ParseCache, fingerprint
from parity.loading.files import object_id

Run = Callable[..., Result]
SECRET = "ghp_0123456789abcdefSECRET"


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A copy of the world, and beside it (outside it) a token file, as on a CI runner."""
    root = tmp_path / "data"
    shutil.copytree(WORLD, root)
    (tmp_path / "token.yaml").write_text(f"{SECRET}: yes\n", encoding="utf-8")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "hosts.yml").write_text(f"oauth_token: {SECRET}\n", encoding="utf-8")
    return root


def _link(path: Path, target: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif os.path.lexists(path):
        path.unlink()
    path.symlink_to(target)


# --- 3. no file outside the data folder is read through a link ---------------------------------------------


@pytest.mark.parametrize(
    ("link", "target", "named"),
    [
        ("lab_profiles/evil.yaml", "token.yaml", "lab_profiles/evil.yaml"),
        ("lab_profiles/alpha.yaml", "token.yaml", "lab_profiles/alpha.yaml"),
        ("rules/evil.yaml", "token.yaml", "rules/evil.yaml"),
        ("waivers.yaml", "token.yaml", "waivers.yaml"),
        ("lab_profiles", "outside", "lab_profiles"),
        ("rules", "outside", "rules"),
    ],
)
@pytest.mark.parametrize("fmt", ["table", "github"])
def test_a_link_out_of_the_data_is_refused_and_nothing_of_it_is_shown(
    run: Run, data: Path, link: str, target: str, named: str, fmt: str
) -> None:
    _link(data / link, data.parent / target)
    result = run("validate", "--format", fmt, cwd=data)  # before: the token's line in the error message
    assert result.code == 2
    text = result.out + result.err
    assert SECRET not in text and "oauth_token" not in text and str(data.parent / target) not in text
    assert "is a link that leads out of the data folder" in text and named in text


def test_a_link_within_the_data_is_followed(run: Run, data: Path) -> None:
    (data / "archive").mkdir()
    (data / "lab_profiles" / "alpha.yaml").rename(data / "archive" / "alpha.yaml")
    (data / "lab_profiles" / "alpha.yaml").symlink_to(data / "archive" / "alpha.yaml")
    assert run("validate", cwd=data).code == 0


def test_a_diff_folder_and_rule_cases_do_not_follow_links_out(run: Run, data: Path, tmp_path: Path) -> None:
    snap = tmp_path / "snap"
    shutil.copytree(data, snap)
    _link(snap / "lab_profiles" / "gamma.yaml", data.parent / "token.yaml")
    result = run("diff", str(snap), AS_OF_ARG, cwd=data)
    assert result.code == 2 and SECRET not in result.err and "leads out of the data folder" in result.err
    (data / "tests" / "rule_cases").mkdir(parents=True)
    (data / "tests" / "rule_cases" / "evil.yaml").symlink_to(data.parent / "token.yaml")
    cases = run("test", cwd=data)
    assert cases.code == 2 and SECRET not in cases.err and "leads out of the data folder" in cases.err


def test_a_repositorys_alarms_file_linked_out_is_refused(run: Run, data: Path) -> None:
    git(data, "init", "-q", "-b", "main")
    (data / "alarms.yaml").symlink_to(data.parent / "token.yaml")
    git(data, "add", "-A")
    git(data, "commit", "-q", "-m", "data")
    result = run("history", cwd=data)
    assert result.code == 2 and SECRET not in result.err and "leads out of the data folder" in result.err


# --- 4. the cache serves only what it was keyed by ----------------------------------------------------------


def _diff_json(run: Run, repo: Path, *args: str) -> dict[str, object]:
    result = run("diff", "HEAD", AS_OF_ARG, "--format=json", *args, cwd=repo)
    assert result.code == 0, result.err
    doc: dict[str, object] = json.loads(result.out)
    return doc


def test_a_replaced_blob_is_never_read_nor_cached_under_the_genuine_id(
    run: Run, repo: Path, tmp_path: Path
) -> None:
    genuine = git(repo, "rev-parse", "HEAD:lab_profiles/beta.yaml").strip()
    forged_text = (
        (repo / "lab_profiles" / "beta.yaml").read_text(encoding="utf-8").replace("value: 3\n", "value: 9\n")
    )
    forged = (
        subprocess.run(
            ["git", "-C", str(repo), "hash-object", "-w", "--stdin"],
            input=forged_text.encode(),
            capture_output=True,
            env=GIT_ENV,
            check=True,
        )
        .stdout.decode()
        .strip()
    )
    git(repo, "replace", genuine, forged)
    assert git(repo, "cat-file", "blob", genuine) == forged_text  # git itself serves the forgery
    cache = tmp_path / "cache"
    poisoned = _diff_json(run, repo, "--cache-dir", str(cache))
    assert poisoned["changes"] == []  # before: changes (the forged value, read as HEAD's)
    git(repo, "replace", "-d", genuine)
    assert _diff_json(run, repo, "--cache-dir", str(cache)) == _diff_json(run, repo, "--no-cache")
    entry = next((cache / fingerprint()).glob(f"{genuine}.*.json"))
    assert b"value: 9" not in entry.read_bytes() and b'"value":9' not in entry.read_bytes()


def test_an_object_that_does_not_hash_to_its_id_is_refused(repo: Path) -> None:
    """However git was made to serve it (a replace ref, a corrupt store): the content must be the id's."""
    from parity.loading.files import GitFailed, GitObjects

    genuine = git(repo, "rev-parse", "HEAD:lab_profiles/beta.yaml").strip()
    other = git(repo, "rev-parse", "HEAD:lab_profiles/alpha.yaml").strip()
    with GitObjects(repo) as objects:
        assert objects.read(genuine) is not None
        ask = objects._ask
        objects._ask = lambda mode, names: ask(mode, [other if n == genuine else n for n in names])  # type: ignore[method-assign]
        with pytest.raises(GitFailed, match="does not hash to its id"):
            objects.read(genuine)


def test_object_ids_are_gits(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"a: 1\n")
    expected = git(tmp_path, "hash-object", str(path)).strip()
    assert object_id(b"a: 1\n") == expected
    assert len(object_id(b"", "tree", 64)) == 64


def _entries(cache: Path) -> Iterator[Path]:
    """The parse cache's entries, and the kept runs' (`check` run again replays its kept output)."""
    yield from (cache / fingerprint()).glob("*.json")
    for runs in cache.glob("runs-*"):
        yield from runs.iterdir()


@pytest.mark.parametrize("kind", ["fifo", "huge", "device-link"])
def test_a_hostile_cache_entry_is_passed_over_never_waited_on_or_read_whole(
    tmp_path: Path, kind: str
) -> None:
    cache = tmp_path / "cache"
    env = {**os.environ, "PARITY_CACHE_DIR": str(cache)}
    command = [sys.executable, "-m", "parity", "check", AS_OF_ARG, "--format=json"]
    expected = subprocess.run(command, cwd=WORLD, env=env, capture_output=True, text=True, timeout=120).stdout
    for entry in list(_entries(cache)):
        entry.unlink()
        if kind == "fifo":
            os.mkfifo(entry)
        elif kind == "huge":
            with open(entry, "wb") as f:
                f.truncate(1 << 30)  # sparse: 1 GiB that costs nothing unless read
        else:
            entry.symlink_to("/dev/zero")
    done = subprocess.run(command, cwd=WORLD, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout == expected  # before: a FIFO hung the run


def test_reading_a_huge_entry_allocates_nothing_of_it(tmp_path: Path) -> None:
    cache = ParseCache(tmp_path / "cache")
    root = cache.entries()
    assert root is not None
    blob = object_id(b"x")
    with open(root / f"{blob}.2.json", "wb") as f:
        f.truncate(1 << 30)
    tracemalloc.start()
    try:
        assert cache.parsed(blob, 2) is None
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 * 1024 * 1024


# --- 8. output modes; paths however they are spelled ---------------------------------------------------------


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.usefixtures("umask_022")
def test_written_files_get_the_mode_open_would_give(run: Run, repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    assert run("check", AS_OF_ARG, "-o", f"json:{out}", cwd=repo).code == 0
    assert _mode(out) == 0o644  # before: 0600
    out.chmod(0o640)
    assert run("check", AS_OF_ARG, "-o", f"json:{out}", cwd=repo).code == 0
    assert _mode(out) == 0o640  # an existing file keeps its own mode, as open() would leave it
    schemas = tmp_path / "schemas"
    schemas.mkdir()
    assert run("schema", "--out", str(schemas)).code == 0
    assert {_mode(p) for p in schemas.iterdir()} == {0o644}
    git(repo, "commit", "-q", "--allow-empty", "-m", "again")
    charts = tmp_path / "charts"
    assert run("history", "--charts", str(charts), cwd=repo).code == 0
    assert {_mode(p) for p in charts.iterdir()} == {0o644}


def _verdicts(result: Result) -> list[object]:
    """What a report says: its verdicts with their locations, and what it says of the waivers."""
    assert result.code in (0, 1), result.err
    doc = json.loads(result.out)
    verdicts = [(v["lab"], v["rule"], v["status"], v["location"]["file"]) for v in doc["verdicts"]]
    return [*verdicts, *((w["rule"], w["problem"], w["location"]["file"]) for w in doc["waivers"])]


def test_profiles_dot_inside_the_profiles_folder_keeps_its_waivers_and_locations(
    run: Run, data: Path
) -> None:
    top = _verdicts(run("check", AS_OF_ARG, "--format=json", cwd=data))
    assert ("security-floor", "expired on 2026-06-30", "waivers.yaml") in top
    inside = run(
        "check",
        AS_OF_ARG,
        "--format=json",
        "--profiles",
        ".",
        "--rules",
        "../rules",
        cwd=data / "lab_profiles",
    )
    assert _verdicts(inside) == top  # before: no waivers read, and locations `alpha.yaml`


@pytest.mark.parametrize("sub", ["lab_profiles", "rules", "docs/notes"])
def test_from_a_subdirectory_the_data_is_found_above(run: Run, repo: Path, sub: str) -> None:
    (repo / sub).mkdir(parents=True, exist_ok=True)
    top = run("check", AS_OF_ARG, "--format=json", cwd=repo)
    below = run("check", AS_OF_ARG, "--format=json", cwd=repo / sub)  # before: "no such directory"
    assert _verdicts(below) == _verdicts(top) and below.out == top.out
    story = run("history", AS_OF_ARG, "--format=json", cwd=repo)
    story_below = run("history", AS_OF_ARG, "--format=json", cwd=repo / sub)  # before: "no such directory"
    assert story.code == story_below.code == 0, story_below.err
    assert json.loads(story_below.out)["labs"] == json.loads(story.out)["labs"]
    problems = run("validate", "--profiles", "nowhere", cwd=repo / sub)
    assert problems.code == 2 and "nowhere:1:1: cannot read the lab profiles" in problems.err
    (repo / "lab_profiles" / "alpha.yaml").write_text("id: alpha\nname: [\n", encoding="utf-8")
    broken = run("validate", cwd=repo / sub)
    depth = "../" * len(Path(sub).parts)
    assert broken.code == 2 and f"{depth}lab_profiles/alpha.yaml:" in broken.err


def test_without_data_here_or_above_parity_says_how(run: Run, tmp_path: Path) -> None:
    empty = tmp_path / "project"
    (empty / ".git").mkdir(parents=True)  # the search stops at the repository's top
    (empty / "src").mkdir()
    result = run("check", cwd=empty / "src")
    assert result.code == 2
    assert "no folder holding lab_profiles/ and rules/ in" in result.err
    assert "give --profiles DIR and --rules DIR" in result.err
    rules_only = run("rules", cwd=WORLD / "rules")
    assert rules_only.code == 0 and "security-floor" in rules_only.out


# --- 6. a commit's message is never read whole -----------------------------------------------------------


def test_a_huge_commit_message_is_never_read(repo: Path, tmp_path: Path) -> None:
    """`diff` and `history` read a commit's tree and its title (cut by git), never its message: a message
    cost three times its size in memory to load one revision (400 MB: `diff` 862 MB; `history --format
    json` a MemoryError)."""
    from parity.history import run as history
    from parity.loading import load_revision

    message = tmp_path / "message"
    message.write_text("subject\n\n" + "x" * 10_000_000, encoding="utf-8")
    (repo / "lab_profiles" / "beta.yaml").write_text(
        (repo / "lab_profiles" / "beta.yaml").read_text(encoding="utf-8").replace("value: 3\n", "value: 9\n"),
        encoding="utf-8",
    )
    git(repo, "commit", "-q", "-a", "-F", str(message))
    tracemalloc.start()
    try:
        load_revision(repo, "HEAD", waivers="waivers.yaml")
        loaded = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        walked = history(repo, as_of=dt.date(2026, 11, 26))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert loaded < 8_000_000 and peak < 8_000_000  # before: 3 times the message (30 MB)
    assert [r.subject for r in walked.revisions][-1] == "subject"
