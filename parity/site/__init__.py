"""The public scorecard: a static site (no server, no script, nothing from another host) built from a Report.

`build` turns a report into files (relative path -> bytes), the same bytes for the same inputs; `write_site`
publishes them into a folder whole: written beside it, then renamed into place, and only ever over a folder
that is new, empty, or was written by parity (it holds the `.parity-site` marker). Templates are jinja2,
autoescaped, read from the installed package (importlib.resources), never from a path in a checkout.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import Any

import jinja2
from markupsafe import Markup

from parity.dataset import Dataset
from parity.errors import OutputError, UsageError
from parity.formats.escape import terminal
from parity.formats.json import iter_json
from parity.formats.text import scorecard_markdown
from parity.report import Report
from parity.site.view import Pages, heat_class, percent, slug

__all__ = ["MARKER", "badge", "build", "write_site"]

MARKER = ".parity-site"
_MARKER_TEXT = b"This folder was written by `parity scorecard`; the next run replaces it whole.\n"
# shields.io colours (hex, no '#') for the heat map's five bins: the same cividis scale as the site.
_BADGE_COLOURS = {"s0": "00204d", "s1": "3c4c6c", "s2": "707173", "s3": "a69d75", "s4": "ffea46"}


def _finalize(value: Any) -> Any:
    """Every printed string shows control characters as escapes (\\x1b), never sends them; markup that
    a template made (a macro's output) is left as it is."""
    return terminal(value) if isinstance(value, str) and not isinstance(value, Markup) else value


def _environment() -> jinja2.Environment:
    templates = resources.files("parity.site").joinpath("templates")

    def source(name: str) -> str:
        return templates.joinpath(name).read_text(encoding="utf-8")

    return jinja2.Environment(
        loader=jinja2.FunctionLoader(source),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def badge(report: Report, lab: str) -> dict[str, Any]:
    """A lab's shields.io endpoint badge: its score beside its coverage."""
    s = report.labs[lab]
    message = f"{percent(s.score)} · coverage {percent(s.coverage)}"
    colour = _BADGE_COLOURS.get(heat_class(s.score), "lightgrey")
    return {"schemaVersion": 1, "label": terminal(f"parity: {s.name}"), "message": message, "color": colour}


def build(report: Report, data: Dataset, charts: Mapping[str, str] | None = None) -> dict[str, bytes]:
    """Every file of the site, by its path relative to the site's folder."""
    charts = dict(charts or {})
    unknown = sorted(set(charts) - set(report.labs))
    if unknown:
        raise UsageError(f"a history chart names a lab the report does not have: {', '.join(unknown)}")
    try:
        pages = Pages(report, data.at(report.as_of), charts)  # the data as it stood at the report's date
    except ValueError as e:
        raise UsageError(str(e)) from None
    env = _environment()

    def page(template: str, view: dict[str, Any]) -> bytes:
        return env.get_template(template).render(page=view).encode("utf-8")

    files: dict[str, bytes] = {
        "index.html": page("overview.html", pages.overview()),
        "methodology.html": page("methodology.html", pages.methodology()),
        "style.css": resources.files("parity.site").joinpath("templates/style.css").read_bytes(),
        "report.json": "".join(iter_json(report)).encode("utf-8"),
        "scorecard.md": scorecard_markdown(report).encode("utf-8"),
        MARKER: _MARKER_TEXT,
    }
    for lab in sorted(report.labs):
        files[f"labs/{slug(lab)}.html"] = page("lab.html", pages.lab(lab))
        text = json.dumps(badge(report, lab), indent=2, ensure_ascii=False) + "\n"
        files[f"badges/{slug(lab)}.json"] = text.encode("utf-8")
    for rule in sorted(report.rules):
        files[f"rules/{slug(rule)}.html"] = page("rule.html", pages.rule(rule))
    for lab, svg in sorted(charts.items()):
        files[f"history/{slug(lab)}.svg"] = svg.encode("utf-8")
    return dict(sorted(files.items()))


def write_site(
    report: Report, data: Dataset, out: Path, *, charts: Mapping[str, str] | None = None
) -> list[Path]:
    """Write the site into `out` whole, and return the files written (sorted).

    Raises OutputError when `out` is a file, a link, a non-empty folder parity did not write, or cannot be
    written; nothing in it is then changed."""
    files = build(report, data, charts)
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
    try:
        with os.scandir(out) as entries:
            empty = next(entries, None) is None
    except OSError as e:
        raise OutputError(f"{out}: {e.strerror}") from None
    marker = out / MARKER
    if not empty and (marker.is_symlink() or not marker.is_file()):
        raise OutputError(
            f"{out}: not empty and not written by parity (no {MARKER} file); "
            "give a new or empty folder: nothing was changed"
        )


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
    try:
        os.rename(temp, out)
    except OSError:
        with contextlib.suppress(OSError):
            os.rename(aside / "site", out)
        raise
    shutil.rmtree(aside, ignore_errors=True)
