"""The scorecard in a real browser: Debian's chromium, headless, loading the site over a local HTTP server
from a sub-path (so relative links are what is tested). It must show every lab and area, every link between
pages must resolve, and the hostile profile must execute nothing. Screenshots go to tests/artifacts/.

Without chromium the tests skip locally and fail under CI (CI is set): `.ci/run` installs it.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import shutil
import subprocess
import threading
import urllib.request
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from site_helpers import ROOT, Page, hostile_world

import parity
from parity.site import write_site

ARTIFACTS = Path(__file__).parent / "artifacts"
PREFIX = "/published/scorecard/"  # served from a sub-path: an absolute link would miss it


def _chromium() -> str:
    found = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail("chromium is missing: .ci/run installs it (apt-get install chromium)")
    pytest.skip("chromium is not installed (apt-get install chromium); CI runs these tests")


class _Server:
    """A static server on 127.0.0.1 for one folder, recording every path requested."""

    def __init__(self, root: Path) -> None:
        self.requests: list[str] = []
        requests = self.requests

        class Handler(SimpleHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                requests.append(self.path)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(root)))
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str = "", prefix: str = PREFIX) -> str:
        return f"http://127.0.0.1:{self.port}{prefix}{path}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def www(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[_Server, Path]]:
    """One server for the module, serving the folder returned beside it."""
    root = tmp_path_factory.mktemp("www")
    server = _Server(root)
    yield server, root
    server.close()


@pytest.fixture(scope="module")
def shipped_site(www: tuple[_Server, Path]) -> tuple[_Server, Path, parity.Report]:
    """The shipped data's site, written once, served under PREFIX."""
    server, root = www
    out = root / PREFIX.strip("/")
    return server, out, _write(out, ROOT, dt.date(2026, 12, 1))


def _browser(chromium: str, tmp_path: Path, *args: str) -> str:
    profile = tmp_path / f"chromium-profile-{len(list(tmp_path.glob('chromium-profile-*')))}"
    command = [
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
        *args,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def _write(out: Path, world: Path, as_of: dt.date) -> parity.Report:
    data = parity.load(world / "lab_profiles", world / "rules")
    report = parity.evaluate(data, as_of=as_of)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_site(report, data, out)
    return report


def test_the_heat_map_shows_every_lab_and_area_in_a_browser(
    shipped_site: tuple[_Server, Path, parity.Report], tmp_path: Path
) -> None:
    chromium = _chromium()
    server, _, report = shipped_site
    dom = Page(_browser(chromium, tmp_path, "--dump-dom", server.url("index.html")))
    assert dom.title == "Scorecard · parity scorecard"
    assert f"{PREFIX}style.css" in server.requests  # the browser really fetched the page's resources
    cells = [text for _, text in dom.cells]
    for lab, summary in report.labs.items():
        assert summary.name in cells, lab
    for area in {v.area for v in report.verdicts}:
        assert area in cells, area
    ARTIFACTS.mkdir(exist_ok=True)
    for name, page in (("overview", "index.html"), ("lab-anthropic", "labs/anthropic.html")):
        shot = ARTIFACTS / f"scorecard-{name}.png"
        shot.unlink(missing_ok=True)
        _browser(chromium, tmp_path, f"--screenshot={shot}", "--window-size=1400,1000", server.url(page))
        assert shot.read_bytes().startswith(b"\x89PNG"), shot
        print(f"screenshot: {shot}")


def test_every_link_between_pages_resolves(
    shipped_site: tuple[_Server, Path, parity.Report], tmp_path: Path
) -> None:
    chromium = _chromium()
    server, out, _ = shipped_site
    pages = {p.relative_to(out).as_posix(): Page(p.read_text(encoding="utf-8")) for p in out.rglob("*.html")}
    checked: set[str] = set()
    for name, page in sorted(pages.items()):
        base = server.url(name)
        for link in page.links:
            target = urljoin(base, link)
            parts = urlsplit(target)
            if parts.netloc != f"127.0.0.1:{server.port}":
                assert parts.scheme in ("http", "https"), f"{name}: {link}"
                continue  # evidence on other sites: never fetched from a test
            assert parts.path.startswith(PREFIX), f"{name}: {link} leaves the site's folder"
            if parts.fragment:
                owner = pages[parts.path[len(PREFIX) :]]
                assert parts.fragment in owner.ids, f"{name}: {link}: no element with that id"
            url = target.split("#", 1)[0]
            if url not in checked:
                with urllib.request.urlopen(url, timeout=10) as response:
                    assert response.status == 200, f"{name}: {link}"
                checked.add(url)
    every = {server.url(p.relative_to(out).as_posix()) for p in out.rglob("*") if p.is_file()}
    assert checked == every - {server.url(".parity-site")}  # every file is reachable, and nothing else
    # The browser follows them too: a lab page reached from the overview shows its own heading.
    dom = Page(_browser(chromium, tmp_path, "--dump-dom", server.url("labs/anthropic.html")))
    assert dom.title == "Anthropic · parity scorecard"


def test_a_hostile_profile_executes_nothing(www: tuple[_Server, Path], tmp_path: Path) -> None:
    chromium = _chromium()
    server, root = www
    prefix = "/published/hostile/"
    out = root / prefix.strip("/")
    world = hostile_world(tmp_path / "hostile", port=server.port)
    report = _write(out, world, dt.date(2026, 12, 1))
    evil = report.labs["evil"].name.translate({0x1B: "\\x1b", 0x07: "\\x07", 0x202E: "\\u202e"})
    titles = {"index.html": "Scorecard", "labs/evil.html": evil, "rules/bounty-best.html": "bounty-best"}
    for page, title in titles.items():
        html = _browser(
            chromium, tmp_path, "--virtual-time-budget=3000", "--dump-dom", server.url(page, prefix)
        )
        dom = Page(html)
        assert dom.title == f"{title} · parity scorecard", page  # as written: no script changed it
        assert not [tag for tag, _ in dom.tags if tag in ("script", "iframe", "object", "img")], page
    assert f"{prefix}labs/evil.html" in server.requests and f"{prefix}style.css" in server.requests
    assert not [path for path in server.requests if "pwned" in path], server.requests
