"""Loading the data as a git revision holds it, through git's object store, never touching the working tree."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from helpers import WORLD, edit_file, git, report_json

import parity


def test_a_revision_loads_as_the_folder_does(repo: Path) -> None:
    from_folder = parity.load(repo / "lab_profiles", repo / "rules", repo / "waivers.yaml")
    from_git = parity.load_revision(repo, "main", waivers="waivers.yaml")
    assert report_json(from_git) == report_json(
        from_folder
    )  # the same verdicts, and the same report locations


def test_reading_a_revision_never_touches_the_working_tree(repo: Path) -> None:
    profile = repo / "lab_profiles/alpha.yaml"
    committed = profile.read_text(encoding="utf-8")
    profile.write_text(committed.replace("Alpha AI", "Edited Alpha"), encoding="utf-8")
    (repo / "lab_profiles/new.yaml").write_text("not: a profile\n", encoding="utf-8")
    before = git(repo, "status", "--porcelain")
    data = parity.load_revision(repo, "HEAD")
    assert data.labs["alpha"].profile.name == "Alpha AI"  # what was committed, not what is on disk
    assert "new" not in data.labs
    assert git(repo, "status", "--porcelain") == before
    assert profile.read_text(encoding="utf-8") != committed  # the edit is still there


def test_a_broken_revision_names_its_files_rev_colon_path(repo: Path) -> None:
    (repo / "lab_profiles/alpha.yaml").write_text("id: alpha\nname: A\nname: B\n", encoding="utf-8")
    git(repo, "commit", "-q", "-am", "break alpha")
    with pytest.raises(parity.LoadError) as caught:
        parity.load_revision(repo, "HEAD")
    assert "HEAD:lab_profiles/alpha.yaml:3:1: name: duplicate key 'name' (first at line 2)" in str(
        caught.value
    )
    assert parity.load_revision(repo, "HEAD~1").labs["alpha"].profile.name == "Alpha AI"


def test_blob_ids_are_kept(repo: Path) -> None:
    from parity.loading.files import GitRevision

    tree = GitRevision(repo, "HEAD")
    files = tree.list_yaml(Path("lab_profiles"), "lab profiles", Path("."))
    expected = git(repo, "rev-parse", "HEAD:lab_profiles/alpha.yaml").strip()
    assert {f.relative: f.blob for f in files}["lab_profiles/alpha.yaml"] == expected


@pytest.mark.parametrize(
    ("rev", "message"),
    [("no-such-branch", "no-such-branch:1:1: no such revision"), ("--output=/tmp/x", "no such revision")],
)
def test_an_unknown_revision_is_an_input_error(repo: Path, rev: str, message: str) -> None:
    with pytest.raises(parity.LoadError, match=message):
        parity.load_revision(repo, rev)


def test_a_symlink_in_a_revision_is_not_followed(repo: Path) -> None:
    (repo / "lab_profiles/link.yaml").symlink_to("/etc/passwd")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "link")
    with pytest.raises(parity.LoadError, match=r"HEAD:lab_profiles/link\.yaml:1:1: is a symlink"):
        parity.load_revision(repo, "HEAD")


def test_a_folder_missing_from_the_revision(repo: Path) -> None:
    with pytest.raises(
        parity.LoadError, match="main:profiles:1:1: cannot read the lab profiles: no such directory"
    ):
        parity.load_revision(repo, "main", profiles="profiles")


def test_folders_and_submodules_named_like_profiles_are_refused(repo: Path) -> None:
    (repo / "lab_profiles/folder.yaml").mkdir()
    (repo / "lab_profiles/folder.yaml/inner.txt").write_text("x\n", encoding="utf-8")
    commit = git(repo, "rev-parse", "HEAD").strip()
    git(repo, "update-index", "--add", "--cacheinfo", f"160000,{commit},lab_profiles/module.yaml")
    git(repo, "add", "lab_profiles/folder.yaml")
    git(repo, "commit", "-q", "-m", "odd entries")
    with pytest.raises(parity.LoadError) as caught:
        parity.load_revision(repo, "HEAD")
    message = str(caught.value)
    assert "HEAD:lab_profiles/folder.yaml:1:1: is a directory, not a YAML file" in message
    assert "HEAD:lab_profiles/module.yaml:1:1: is a commit, not a file" in message


def test_a_blob_over_the_size_cap_is_refused_unread(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import parity.loading.files
    from parity.loading.files import GitObjects

    monkeypatch.setattr(parity.loading.files, "MAX_FILE_BYTES", 100)
    read: list[str] = []
    original = GitObjects.read
    monkeypatch.setattr(GitObjects, "read", lambda self, oid: read.append(oid) or original(self, oid))
    with pytest.raises(parity.LoadError, match=r"HEAD:lab_profiles/alpha\.yaml:1:1: file is \d+ bytes"):
        parity.load_revision(repo, "HEAD")
    assert git(repo, "rev-parse", "HEAD:lab_profiles/alpha.yaml").strip() not in read


def test_data_in_a_subfolder_of_the_repository(repo: Path) -> None:
    (repo / "data").mkdir()
    for name in ("lab_profiles", "rules"):
        git(repo, "mv", name, f"data/{name}")
    git(repo, "commit", "-q", "-m", "move")
    data = parity.load_revision(repo, "HEAD", "data/lab_profiles", "data/rules")
    assert data.labs["alpha"].file == "data/lab_profiles/alpha.yaml"  # a revision names paths from its top
    with pytest.raises(parity.LoadError, match="HEAD:lab_profiles:1:1: cannot read the lab profiles"):
        parity.load_revision(repo, "HEAD")


def test_an_object_missing_from_the_store_is_a_problem_not_a_traceback(repo: Path) -> None:
    blob = git(repo, "rev-parse", "HEAD:lab_profiles/alpha.yaml").strip()
    (repo / ".git/objects" / blob[:2] / blob[2:]).unlink()
    with pytest.raises(
        parity.LoadError, match=r"HEAD:lab_profiles/alpha\.yaml:1:1: git: object \w+ is missing"
    ):
        parity.load_revision(repo, "HEAD")


def test_not_a_repository_is_a_problem(tmp_path: Path) -> None:
    with pytest.raises(parity.LoadError, match="HEAD:1:1: "):
        parity.load_revision(tmp_path, "HEAD")


def test_a_sha256_repository(tmp_path: Path) -> None:
    root = tmp_path / "sha256"
    shutil.copytree(WORLD, root)
    git(root, "init", "-q", "-b", "main", "--object-format=sha256")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    from_folder = parity.load(root / "lab_profiles", root / "rules", root / "waivers.yaml")
    assert report_json(parity.load_revision(root, "main", waivers="waivers.yaml")) == report_json(from_folder)


def test_one_pair_of_git_processes_serves_many_revisions(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import subprocess

    from parity.loading.files import GitObjects

    for i in range(3):
        (repo / "lab_profiles/alpha.yaml").write_text(
            (repo / "lab_profiles/alpha.yaml").read_text(encoding="utf-8") + f"# edit {i}\n", encoding="utf-8"
        )
        git(repo, "commit", "-q", "-am", f"edit {i}")
    started: list[list[str]] = []
    original = subprocess.Popen.__init__

    def counted(self: subprocess.Popen[bytes], args: list[str], *rest: object, **kw: object) -> None:
        started.append(list(args))
        original(self, args, *rest, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(subprocess.Popen, "__init__", counted)
    with GitObjects(repo) as objects:
        loaded = [parity.load_revision(repo, f"HEAD~{i}", objects=objects) for i in range(4)]
        procs = objects.processes()
    assert [a[-1] for a in started] == ["--batch-check", "--batch"]
    assert all(p.returncode is not None for p in procs)  # closed, and waited for
    assert [d.labs["alpha"].profile.name for d in loaded] == ["Alpha AI"] * 4


# (what the commit does, the edit, whether RevisionLoader may build on the revision before)
# fmt: off
SCRIPT: list[tuple[str, object, bool]] = [
    ("the world", None, False),
    ("alpha's value", lambda r: edit_file(r / "lab_profiles/alpha.yaml", "value: 91.5", "value: 80"), True),
    ("nothing in the data", lambda r: (r / "NOTES.md").write_text("notes\n", encoding="utf-8"), True),
    ("a README beside the profiles", lambda r: (r / "lab_profiles/README.md").write_text("x\n"), True),
    ("gamma's tags", lambda r: edit_file(r / "lab_profiles/gamma.yaml", "[open-weights]", "[open-weights, us]"), True),
    ("an undeclared tag", lambda r: edit_file(r / "lab_profiles/gamma.yaml", ", us]", ", nowhere]"), False),
    ("fixed", lambda r: edit_file(r / "lab_profiles/gamma.yaml", ", nowhere]", "]"), False),
    ("an id that is not the file's stem", lambda r: edit_file(r / "lab_profiles/beta.yaml", "id: beta", "id: b"), False),
    ("fixed again", lambda r: edit_file(r / "lab_profiles/beta.yaml", "id: b\n", "id: beta\n"), False),
    ("a YAML error", lambda r: edit_file(r / "lab_profiles/alpha.yaml", "name: ", "name: [unclosed "), False),
    ("mended", lambda r: edit_file(r / "lab_profiles/alpha.yaml", "name: [unclosed ", "name: "), False),
    ("an unknown practice", lambda r: edit_file(r / "lab_profiles/beta.yaml", "practices:\n", "practices:\n  nope: {value: 1}\n"), False),
    ("gone", lambda r: edit_file(r / "lab_profiles/beta.yaml", "  nope: {value: 1}\n", ""), False),
    ("a new lab", lambda r: (r / "lab_profiles/delta.yaml").write_text("id: delta\nname: Delta\npractices: {}\n"), False),
    ("delta's name", lambda r: edit_file(r / "lab_profiles/delta.yaml", "Delta\n", "Delta Labs\n"), True),
    ("a waiver's expiry", lambda r: edit_file(r / "waivers.yaml", "expires: 2026-12-31", "expires: 2027-02-01"), False),
    ("a rule", lambda r: edit_file(r / "rules/transparency.yaml", "bar: {quorum: 2}", "bar: {quorum: 1}"), False),
    ("a profile renamed", lambda r: (r / "lab_profiles/delta.yaml").rename(r / "lab_profiles/delta.yml"), False),
    ("two labs at once", lambda r: (edit_file(r / "lab_profiles/alpha.yaml", "SL3", "SL4"), edit_file(r / "lab_profiles/gamma.yaml", "SL1", "SL2")), True),
]
# fmt: on


def test_a_revision_loader_gives_what_load_revision_gives_on_every_revision(repo: Path) -> None:
    from parity.loading import RevisionLoader
    from parity.loading.cache import ParseCache

    commits = []
    for message, edit, _ in SCRIPT:
        if callable(edit):
            edit(repo)
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "--allow-empty", "-m", message)
        commits.append(git(repo, "rev-parse", "HEAD").strip())
    cache = ParseCache(None)
    with RevisionLoader(repo, cache=ParseCache(None)) as revisions:
        for commit, (message, _, reusable) in zip(commits, SCRIPT, strict=True):
            before = revisions.reused
            try:
                expected: object = parity.load_revision(repo, commit, waivers="waivers.yaml", cache=cache)
            except parity.LoadError as e:
                expected = e.problems
            try:
                got: object = revisions.load(commit, "waivers.yaml")
            except parity.LoadError as e:
                got = e.problems
            assert got == expected, message
            assert revisions.reused - before == reusable, message
