"""Loading the data as a git revision holds it, through git's object store, never touching the working tree."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import parity
from tests.conftest import git

AS_OF = dt.date(2026, 11, 26)


def _json(data: parity.Dataset) -> str:
    return parity.render(parity.evaluate(data, as_of=AS_OF), "json")


def test_a_revision_loads_as_the_folder_does(repo: Path) -> None:
    from_folder = parity.load(repo / "lab_profiles", repo / "rules", repo / "waivers.yaml")
    from_git = parity.load_revision(repo, "main", waivers="waivers.yaml")
    assert _json(from_git) == _json(from_folder)  # the same verdicts, and the same report locations


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
    from parity.inputs import GitRevision

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
