"""The public scorecard: a static site (no server, no script, nothing from another host) built from a Report.

`build` turns a report into files (relative path -> bytes), the same bytes for the same inputs; `write_site`
publishes them into a folder whole: written beside it, then renamed into place, and only ever over a folder
that is new, empty, or provably parity's own (`replaceable`). Templates are jinja2, autoescaped, read from
the installed package (importlib.resources), never from a path in a checkout.

The rule that keeps `scorecard -o DIR` from deleting anything else: the `.parity-site` file is a manifest
that lists every other file the run wrote, with its size and sha256. A folder is replaced only if every
entry in it is a regular file or a folder that a manifest lists, with the size and hash listed: no link,
no `.git`, no file a person added or edited. The check runs again on the old folder once it is moved
aside, and puts it back untouched if anything changed meanwhile.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import Any

import jinja2
from markupsafe import Markup

from parity.dataset import Dataset
from parity.errors import OutputError, UsageError
from parity.formats import csv as csv_format
from parity.formats.escape import terminal
from parity.formats.json import iter_json
from parity.formats.text import scorecard_markdown
from parity.report import RULE_PAGE, Report
from parity.site.changes import Changes
from parity.site.feed import feed
from parity.site.publication import changes_page, corrections_page, open_data
from parity.site.view import BADGE_FILE, CHART_FILE, LAB_PAGE, Pages, badge, slug

__all__ = ["MARKER", "Publication", "badge", "build", "write_site"]

MARKER = ".parity-site"
MANIFEST_SCHEMA = "parity/site-manifest/v1"
_MANIFEST_NOTE = (
    "This folder was written by `parity scorecard`. The next run replaces it whole if, and only if, it holds"
    " exactly these files, unchanged: add or edit a file here and parity will refuse to touch the folder."
)
_MAX_MANIFEST_BYTES = 16 * 1024 * 1024


def _finalize(value: Any) -> Any:
    """Every printed string shows control characters as escapes (\\x1b), never sends them; markup that
    a template made (a macro's output) is left as it is. (`isprintable` is the fast path: every character
    `terminal` escapes is a control or format character, which it is false for.)"""
    if type(value) is str and value.isprintable():
        return value
    return terminal(value) if isinstance(value, str) and not isinstance(value, Markup) else value


class _Environment(jinja2.Environment):
    """jinja2's environment, reading `view.key` of the pages' plain dicts as their key first. jinja2 tries
    an attribute first and a key after its AttributeError, for every `.` in a template: a large site paid
    more for those exceptions than for its text. No view has a key named like a dict method, so the pages
    are the same bytes."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)


class _Once:
    """`once(macro, view)` in a template: the macro's output for that very view object, rendered the first
    time and given again after. The views make one object per lab link, list of setters or status
    (site/view.py), so a link shown beside a thousand verdicts costs one rendering, not a thousand macro
    calls. A macro's output depends only on its argument; the cache lives for one build."""

    def __init__(self) -> None:
        self.done: dict[tuple[str, int], tuple[Any, Markup]] = {}  # the view is kept: its id stays its own

    def __call__(self, macro: Any, view: Any) -> Markup:
        key = (macro.name, id(view))
        found = self.done.get(key)
        if found is None:
            found = self.done[key] = (view, macro(view))
        return found[1]


def _environment() -> jinja2.Environment:
    templates = resources.files("parity.site").joinpath("templates")

    def source(name: str) -> str:
        return templates.joinpath(name).read_text(encoding="utf-8")

    return _Environment(
        loader=jinja2.FunctionLoader(source),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


@dataclass(frozen=True)
class Publication:
    """What an edition adds to its pages beyond the report: where it is published and by whom (named in
    every page's citation and in the feed), what changed since the edition before (the changes page, the
    corrections page and the Atom feed), and the history behind its charts (`history.json`)."""

    site_url: str | None = None  # http(s)://.../ : the address of the site's folder, ending with /
    publisher: str | None = None
    changes: Changes | None = None
    history: dict[str, Any] | None = None


def build(
    report: Report,
    data: Dataset,
    charts: Mapping[str, str] | None = None,
    publication: Publication | None = None,
) -> dict[str, bytes]:
    """Every file of the site, by its path relative to the site's folder."""
    charts = dict(charts or {})
    publication = publication or Publication()
    unknown = sorted(set(charts) - set(report.labs))
    if unknown:
        raise UsageError(f"a history chart names a lab the report does not have: {', '.join(unknown)}")
    try:
        # the data as it stood at the report's date
        pages = Pages(report, data.at(report.as_of), charts, publication)
    except ValueError as e:
        raise UsageError(str(e)) from None
    env = _environment()
    env.globals["once"] = _Once()

    def page(template: str, view: dict[str, Any]) -> bytes:
        return env.get_template(template).render(page=view).encode("utf-8")

    files: dict[str, bytes] = {
        "index.html": page("overview.html", pages.overview()),
        "methodology.html": page("methodology.html", pages.methodology()),
        "style.css": resources.files("parity.site").joinpath("templates/style.css").read_bytes(),
        "report.json": "".join(iter_json(report)).encode("utf-8"),
        "scorecard.md": scorecard_markdown(report).encode("utf-8"),
        "verdicts.csv": "".join(csv_format.check(report)).encode("utf-8"),
        "matrix.csv": csv_format.matrix(report).encode("utf-8"),
        "data.html": page("data.html", open_data(pages, publication.history is not None)),
    }
    if publication.history is not None:
        text = json.dumps(publication.history, indent=2, ensure_ascii=False) + "\n"
        files["history.json"] = text.encode("utf-8")
    changes = publication.changes
    if changes is not None:
        entries = changes.entries(report)
        files["changes.html"] = page("changes.html", changes_page(pages, changes, entries))
        files["corrections.html"] = page("corrections.html", corrections_page(pages, changes))
        files["feed.xml"] = feed(changes, entries, publication.site_url, publication.publisher)
    for lab in sorted(report.labs):
        files[LAB_PAGE.format(slug(lab))] = page("lab.html", pages.lab(lab))
        text = json.dumps(badge(report, lab), indent=2, ensure_ascii=False) + "\n"
        files[BADGE_FILE.format(slug(lab))] = text.encode("utf-8")
    for rule in sorted(report.rules):
        files[RULE_PAGE.format(slug(rule))] = page("rule.html", pages.rule(rule))
    for lab, svg in sorted(charts.items()):
        files[CHART_FILE.format(slug(lab))] = svg.encode("utf-8")
    files[MARKER] = manifest(files)
    return dict(sorted(files.items()))


def manifest(files: Mapping[str, bytes]) -> bytes:
    """The `.parity-site` file: every other file of the site with its size and sha256."""
    listed = {
        name: {"sha256": hashlib.sha256(body).hexdigest(), "size": len(body)}
        for name, body in sorted(files.items())
        if name != MARKER
    }
    doc = {"schema": MANIFEST_SCHEMA, "note": _MANIFEST_NOTE, "files": listed}
    return (json.dumps(doc, indent=1, sort_keys=True) + "\n").encode("utf-8")


def write_site(
    report: Report,
    data: Dataset,
    out: Path,
    *,
    charts: Mapping[str, str] | None = None,
    publication: Publication | None = None,
) -> list[Path]:
    """Write the site into `out` whole, and return the files written (sorted).

    Raises OutputError when `out` is a file, a link, a non-empty folder parity did not write, or cannot be
    written; nothing in it is then changed."""
    files = build(report, data, charts, publication)
    publish(files, Path(out))
    return [Path(out) / name for name in files]


def publish(files: Mapping[str, bytes], out: Path) -> None:
    """Write `files` into a fresh folder beside `out`, then rename it into place."""
    _check_target(out)
    parent = out.absolute().parent
    try:
        temp = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=parent))
    except OSError as e:
        raise OutputError(f"{out}: cannot create a folder beside it: {e.strerror}") from None
    try:
        for rel, content in files.items():
            path = temp / _relative(rel)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temp, 0o777 & ~umask)  # mkdtemp's 0700 would hide the site from a web server
        _swap(temp, out)
    except OSError as e:
        shutil.rmtree(temp, ignore_errors=True)
        raise OutputError(f"{out}: {e.strerror or e}") from None
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise


def _relative(rel: str) -> PurePosixPath:
    """A path inside the site's folder, or a bug."""
    path = PurePosixPath(rel)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise ValueError(f"{rel!r} is not a path inside the site")
    return path


def _check_target(out: Path) -> None:
    if out.is_symlink():
        raise OutputError(f"{out}: is a symbolic link; give the folder itself")
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: is a file, not a folder")
    if not out.is_dir():
        return
    why = replaceable(out)
    if why:
        raise OutputError(f"{out}: {why}; give a new or empty folder: nothing was changed")


def replaceable(folder: Path) -> str:
    """ "" when `folder` is empty or holds exactly what a parity run wrote there (its manifest's files,
    unchanged); otherwise why it is not parity's to replace."""
    try:
        with os.scandir(folder) as entries:
            if next(entries, None) is None:
                return ""
        listed = _listed(folder)
        if isinstance(listed, str):
            return listed
        return _foreign(folder, folder, listed)
    except OSError as e:
        return f"cannot be checked ({e.strerror or e})"


def _listed(folder: Path) -> dict[str, tuple[str, int]] | str:
    """The files the folder's manifest lists (path -> (sha256, size)), or why there is no valid one."""
    from parity.loading.files import InputProblem, read_bytes

    marker = folder / MARKER
    if not os.path.lexists(marker):
        return f"not empty and not written by parity (no {MARKER} file)"
    if marker.is_symlink():  # parity writes files, never links: a link's target is not the folder's own
        return f"not empty and not written by parity ({MARKER} is a link, not a manifest parity wrote)"
    try:
        raw = read_bytes(marker, str(marker), _MAX_MANIFEST_BYTES)
        doc = json.loads(raw)
    except (InputProblem, ValueError):
        return f"not empty and not written by parity ({MARKER} is not a manifest parity wrote)"
    files = doc.get("files") if isinstance(doc, dict) and doc.get("schema") == MANIFEST_SCHEMA else None
    if not isinstance(files, dict):
        return (
            f"not empty and not written by parity ({MARKER} is not a manifest parity wrote; an older "
            "parity's site has none: remove that folder once)"
        )
    listed: dict[str, tuple[str, int]] = {}
    for name, entry in files.items():
        ok = isinstance(entry, dict) and isinstance(entry.get("sha256"), str)
        if not ok or not isinstance(entry.get("size"), int) or not _site_path(name):
            return f"not written by parity ({MARKER} lists {str(name)[:80]!r}, which parity never writes)"
        listed[name] = (entry["sha256"], entry["size"])
    return listed


def _site_path(name: str) -> bool:
    """Whether a name is one a site's file can have: inside the folder, no hidden part (no `.git`)."""
    parts = PurePosixPath(name).parts
    return (
        bool(parts)
        and not PurePosixPath(name).is_absolute()
        and all(part not in ("", ".", "..") and not part.startswith(".") for part in parts)
    )


def _foreign(top: Path, folder: Path, listed: dict[str, tuple[str, int]]) -> str:
    """The first entry under `folder` that parity did not write, in words; "" when there is none."""
    with os.scandir(folder) as entries:
        for entry in sorted(entries, key=lambda e: e.name):
            rel = Path(entry.path).relative_to(top).as_posix()
            if rel == MARKER:
                continue
            if entry.name == ".git":
                return "holds .git: parity never replaces a repository"
            if entry.is_symlink():
                return f"holds {rel}, a link, which parity never writes"
            if entry.is_dir(follow_symlinks=False):
                if not any(name.startswith(rel + "/") for name in listed):
                    return f"holds the folder {rel}, which parity did not write"
                found = _foreign(top, Path(entry.path), listed)
                if found:
                    return found
                continue
            if rel not in listed or not entry.is_file(follow_symlinks=False):
                return f"holds {rel}, which parity did not write"
            if not _same(Path(entry.path), *listed[rel]):
                return f"holds {rel}, which changed since parity wrote it"
    return ""


def _same(path: Path, sha256: str, size: int) -> bool:
    """Whether a regular file has the size and the sha256 listed (read in chunks, never whole)."""
    if path.stat().st_size != size:
        return False
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest() == sha256


def _swap(temp: Path, out: Path) -> None:
    """Rename the new site into place. Over a new or empty folder this is one atomic rename; over an old
    site, the old one is first renamed aside (so a reader sees the old site or the new, never half of one),
    then removed."""
    try:
        os.rename(temp, out)
        return
    except OSError as e:
        if e.errno not in (errno.ENOTEMPTY, errno.EEXIST):
            raise
    aside = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=temp.parent))
    os.rename(out, aside / "site")
    why = replaceable(aside / "site")  # again, now that nothing can change it behind our back
    if why:
        os.rename(aside / "site", out)
        os.rmdir(aside)
        raise OutputError(f"{out}: {why}; give a new or empty folder: nothing was changed")
    try:
        os.rename(temp, out)
    except OSError:
        with contextlib.suppress(OSError):
            os.rename(aside / "site", out)
        raise
    shutil.rmtree(aside, ignore_errors=True)
