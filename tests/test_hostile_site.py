"""`scorecard -o DIR` against folders that are not parity's to replace: a repository that commits a marker
file, a gh-pages checkout, a site someone edited, a forged manifest; each refused with nothing touched."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import AS_OF_ARG, Result, git
from site_helpers import site_files

from parity.site import MARKER

Run = Callable[..., Result]


def _tree(root: Path) -> dict[str, bytes | str]:
    """Everything under `root`, links as their target, so that a test sees any change at all."""
    out: dict[str, bytes | str] = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder) / name
            rel = path.relative_to(root).as_posix()
            if path.is_symlink():
                out[rel] = "-> " + os.readlink(path)
            elif path.is_file():
                out[rel] = path.read_bytes()
            else:
                out[rel] = "dir"
    return out


def _refused(run: Run, out: Path, repo: Path, message: str) -> None:
    """`scorecard -o out`, run in the data repository: exit 2 with `message`, and no file changed anywhere
    in the test's folder (the repository's and the output's parent: nothing left beside it either)."""
    watched = repo.parent
    before = _tree(watched)
    result = run("scorecard", "-o", str(out), AS_OF_ARG, cwd=repo)
    assert result.code == 2, result.err
    assert message in result.err and "nothing was changed" in result.err, result.err
    assert _tree(watched) == before


def test_a_repository_that_commits_a_marker_is_not_deleted(run: Run, repo: Path) -> None:
    (repo / MARKER).write_text("This folder was written by `parity scorecard`\n", encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "a marker, committed")
    _refused(run, repo, repo, "is not a manifest parity wrote")  # before: .git, profiles, rules deleted


def test_a_forged_manifest_listing_the_repository_is_refused(run: Run, repo: Path) -> None:
    files = {
        "lab_profiles/alpha.yaml": {"sha256": "0" * 64, "size": 1},
        ".git/HEAD": {"sha256": "", "size": 1},
    }
    doc = {"schema": "parity/site-manifest/v1", "files": files}
    (repo / MARKER).write_text(json.dumps(doc), encoding="utf-8")
    _refused(run, repo, repo, "lists '.git/HEAD', which parity never writes")


def test_a_forged_manifest_of_the_right_hashes_still_never_takes_git(run: Run, repo: Path) -> None:
    """Even a manifest that lists every data file with its true hash: `.git` is never listed, never taken."""
    import hashlib

    files = {}
    for path in sorted(repo.rglob("*")):
        rel = path.relative_to(repo).as_posix()
        if path.is_file() and not rel.startswith(".git/"):
            body = path.read_bytes()
            files[rel] = {"sha256": hashlib.sha256(body).hexdigest(), "size": len(body)}
    (repo / MARKER).write_text(json.dumps({"schema": "parity/site-manifest/v1", "files": files}), "utf-8")
    _refused(run, repo, repo, "holds .git: parity never replaces a repository")


def _published(run: Run, out: Path, cwd: Path) -> None:
    result = run("scorecard", "-o", str(out), AS_OF_ARG, cwd=cwd)
    assert result.code == 0, result.err


def test_a_gh_pages_checkout_keeps_its_git_and_unpushed_files(run: Run, repo: Path, tmp_path: Path) -> None:
    pages = tmp_path / "pages"
    _published(run, pages, repo)
    git(pages, "init", "-q", "-b", "gh-pages")  # the usual gh-pages checkout of the site
    (pages / "CNAME").write_text("scorecard.example.org\n", encoding="utf-8")
    _refused(run, pages, repo, "holds .git")  # before: .git and CNAME deleted on every run


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("added", "holds notes.md, which parity did not write"),
        ("edited", "holds index.html, which changed since parity wrote it"),
        ("same-size", "holds labs/alpha.html, which changed since parity wrote it"),
        ("folder", "holds the folder drafts, which parity did not write"),
        ("link", "holds report.json, a link, which parity never writes"),
        ("fifo", "holds scorecard.md, which parity did not write"),
        ("marker-link", ".parity-site is a link, not a manifest parity wrote"),
    ],
)
def test_a_site_someone_changed_is_not_replaced(
    run: Run, repo: Path, tmp_path: Path, change: str, message: str
) -> None:
    out = tmp_path / "site"
    _published(run, out, repo)
    if change == "added":
        (out / "notes.md").write_text("my notes", encoding="utf-8")
    elif change == "edited":
        (out / "index.html").write_text("edited by hand", encoding="utf-8")
    elif change == "same-size":
        body = bytearray((out / "labs" / "alpha.html").read_bytes())
        body[-2] ^= 1
        (out / "labs" / "alpha.html").write_bytes(bytes(body))
    elif change == "folder":
        (out / "drafts").mkdir()
    elif change == "link":
        secret = tmp_path / "secret"
        secret.write_text("token", encoding="utf-8")
        (out / "report.json").unlink()
        (out / "report.json").symlink_to(secret)
    elif change == "fifo":
        (out / "scorecard.md").unlink()
        os.mkfifo(out / "scorecard.md")
    else:
        real = tmp_path / "manifest"
        real.write_bytes((out / MARKER).read_bytes())
        (out / MARKER).unlink()
        (out / MARKER).symlink_to(real)
    _refused(run, out, repo, message)


def test_a_site_parity_wrote_is_replaced_and_a_deleted_file_is_no_reason_to_refuse(
    run: Run, repo: Path, tmp_path: Path
) -> None:
    out = tmp_path / "site"
    _published(run, out, repo)
    (out / "badges" / "alpha.json").unlink()  # a file parity wrote, removed: nothing is lost by replacing
    _published(run, out, repo)
    assert (out / "badges" / "alpha.json").is_file()
    manifest = json.loads((out / MARKER).read_text(encoding="utf-8"))
    assert sorted(manifest["files"]) == sorted(set(site_files(out)) - {MARKER})


def test_a_change_made_while_the_site_is_written_puts_the_old_site_back(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check runs again once the old folder is moved aside: a file added in between is kept."""
    import parity
    from parity import site
    from parity.errors import OutputError

    data = parity.load(repo / "lab_profiles", repo / "rules")
    report = parity.evaluate(data)
    out = tmp_path / "site"
    site.write_site(report, data, out)
    checked = site.replaceable

    def late_writer(folder: Path) -> str:
        if folder.name == "site" and folder.parent != tmp_path:  # the second check, on the folder aside
            (folder / "late.txt").write_text("written meanwhile", encoding="utf-8")
        return checked(folder)

    monkeypatch.setattr(site, "replaceable", late_writer)
    with pytest.raises(OutputError, match=r"holds late\.txt"):
        site.write_site(report, data, out)
    assert (out / "late.txt").read_text(encoding="utf-8") == "written meanwhile"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site", "watchdog"]  # nothing left beside it
