"""The scorecard on a phone and on a laptop: in headless chromium at 360 and 400 px (phones) and 1366 px (a
laptop), no table cell is cut by the window or by its container, none that holds text is hidden, and the
page never scrolls sideways; on a phone each cell says which column it is. Playwright drives the system's
chromium (no browser of its own is downloaded); the measuring runs in DevTools' evaluation context
(`page.evaluate`), which the pages' Content-Security-Policy does not govern: the pages themselves still run
no script.

The checks are proved able to fail: the same pages with the phone layout taken out of the stylesheet, or
with one column hidden, are caught. Screenshots at both widths go to tests/artifacts/.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import AS_OF, ROOT, SHIPPED_AS_OF, WORLD
from playwright.sync_api import Browser, Page, sync_playwright

import parity
from parity.site import write_site

ARTIFACTS = Path(__file__).parent / "artifacts"
PHONES = (360, 400)
LAPTOP = 1366
WIDEST_RULES = 6  # the largest rule pages of the shipped site (the most labs, the longest words)
HEIGHT = 900  # the window's height, in px
SHOT_HEIGHT = 2400  # a screenshot keeps at most this much of the page's top, in px

# Every problem on the page, as text: a cell cut by the window or by a container that clips it, a cell
# with text hidden, a page wider than the window; on a phone, a cell whose label is not its column's.
# The width is the device's, not `window.innerWidth`: a phone zooms out to fit a page wider than itself, and
# its innerWidth then grows to the page's width, so measuring against it never sees the page overflow.
MEASURE = """(width) => {
  const phone = width < 800, problems = [];
  const where = (cell, header) => {
    const table = cell.closest('table');
    const caption = table && table.caption ? table.caption.textContent.trim().slice(0, 50) : '';
    return `${caption} | column ${header} | ${cell.textContent.trim().slice(0, 40)}`;
  };
  const clipper = (cell, rect) => {
    for (let a = cell.parentElement; a && a !== document.documentElement; a = a.parentElement) {
      if (getComputedStyle(a).overflowX === 'visible') continue;
      const box = a.getBoundingClientRect();
      if (rect.left < box.left - 0.5 || rect.right > box.left + a.clientWidth + 0.5) return a;
    }
    return null;
  };
  if (document.documentElement.scrollWidth > width + 0.5)
    problems.push(`the page scrolls sideways: ${document.documentElement.scrollWidth}px in ${width}px`);
  document.querySelectorAll('table').forEach((table) => {
    const headers = [...table.querySelectorAll('thead th')].map((th) => th.textContent.trim());
    table.querySelectorAll('tbody tr').forEach((row) => {
      [...row.children].forEach((cell, i) => {
        const header = headers[i] || String(i);
        if (!cell.textContent.trim()) return;  // an empty cell has nothing to cut
        const rect = cell.getBoundingClientRect(), style = getComputedStyle(cell);
        if (rect.width < 1 || rect.height < 1 || style.display === 'none' || style.visibility === 'hidden') {
          problems.push(`hidden: ${where(cell, header)}`);
          return;
        }
        if (rect.left < -0.5 || rect.right > width + 0.5)
          problems.push(`cut by the window: ${where(cell, header)} (${rect.left}-${rect.right})`);
        else if (clipper(cell, rect)) problems.push(`cut by its container: ${where(cell, header)}`);
        if (phone && cell.tagName === 'TD') {
          const label = getComputedStyle(cell, '::before').content;
          if (label !== JSON.stringify(header + ': ')) problems.push(`labelled ${label}: ${where(cell, header)}`);
        }
      });
    });
  });
  return problems;
}"""


def _chromium() -> str:
    for found in (shutil.which("chromium"), "/usr/bin/chromium"):
        if found and Path(found).exists():
            return found
    if os.environ.get("CI"):
        pytest.fail("chromium is missing: .ci/run installs it (apt-get install chromium)")
    pytest.skip("chromium is not installed (apt-get install chromium); CI runs these tests")


class Windows:
    """Headless chromium with one tab per window width, each tab reused from page to page: navigating a tab
    takes a third of the time of opening a new one, and the pages keep no state (they run no script)."""

    def __init__(self, browser: Browser) -> None:
        self._browser = browser
        self._tabs: dict[int, Page] = {}

    def load(self, page: Path, width: int) -> Page:
        """The tab `width` px wide, showing `page`. Below 600 px the window is a phone's (`is_mobile`): as a
        phone does, it zooms out to fit a page wider than itself."""
        tab = self._tabs.get(width)
        if tab is None:
            context = self._browser.new_context(
                viewport={"width": width, "height": HEIGHT}, device_scale_factor=1, is_mobile=width < 600
            )
            tab = self._tabs[width] = context.new_page()
        tab.goto(page.as_uri())
        return tab


@pytest.fixture(scope="module")
def browser() -> Iterator[Windows]:
    chromium = _chromium()
    with sync_playwright() as playwright:
        found = playwright.chromium.launch(executable_path=chromium)
        yield Windows(found)
        found.close()


def _site(out: Path, world: Path, as_of: dt.date) -> Path:
    data = parity.load(world / "lab_profiles", world / "rules")
    write_site(parity.evaluate(data, as_of=as_of), data, out)
    return out


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("sites")
    return {
        "shipped": _site(root / "shipped", ROOT, SHIPPED_AS_OF),
        "world": _site(root / "world", WORLD, AS_OF),  # a lab with a response: the Reply column
    }


def _pages(sites: dict[str, Path], width: int) -> list[Path]:
    """At the narrowest width every page of the shipped site (a long URL in one rule's source is enough
    to make a page scroll sideways); at the others the largest pages and one of each kind."""
    shipped = sites["shipped"]
    if width == PHONES[0]:
        return sorted({*shipped.rglob("*.html"), *sites["world"].rglob("*.html")})
    widest = sorted(shipped.glob("rules/*.html"), key=lambda p: (-p.stat().st_size, p.name))[:WIDEST_RULES]
    chosen = {shipped / name for name in ("index.html", "methodology.html", "data.html")}
    chosen |= {*shipped.glob("labs/*.html"), *widest, shipped / "rules/rsp3-delay-when-leading.html"}
    chosen |= {sites["world"] / "labs/alpha.html", sites["world"] / "rules/risk-report-cadence-parity.html"}
    return sorted(chosen)


def _problems(browser: Windows, page: Path, width: int) -> list[str]:
    found: list[str] = browser.load(page, width).evaluate(MEASURE, width)
    return found


@pytest.mark.parametrize("width", [*PHONES, LAPTOP])
def test_no_column_is_cut_or_hidden(browser: Windows, sites: dict[str, Path], width: int) -> None:
    pages = _pages(sites, width)
    assert len(pages) >= 20
    problems = {page.name: found for page in pages if (found := _problems(browser, page, width))}
    assert not problems, f"at {width}px: " + "; ".join(f"{n}: {p[:3]}" for n, p in problems.items())


def test_a_phone_shows_cards_and_a_laptop_a_table(browser: Windows, sites: dict[str, Path]) -> None:
    page = sites["world"] / "labs/alpha.html"
    shown = "getComputedStyle(document.querySelector('table.shortfalls')).display"
    for width, display in ((PHONES[0], "block"), (LAPTOP, "table")):
        assert browser.load(page, width).evaluate(shown) == display
    ARTIFACTS.mkdir(exist_ok=True)
    for width in (PHONES[0], LAPTOP):
        for name, site, path in (
            ("lab-alpha", "world", "labs/alpha.html"),
            ("lab-xai", "shipped", "labs/xai.html"),
            ("overview", "shipped", "index.html"),
            ("rule-rsp3-delay-when-leading", "shipped", "rules/rsp3-delay-when-leading.html"),
            ("data", "shipped", "data.html"),
        ):
            shot = ARTIFACTS / f"layout-{name}-{width}.png"
            _screenshot(browser.load(sites[site] / path, width), shot)
            assert shot.read_bytes().startswith(b"\x89PNG")


def _screenshot(tab: Page, shot: Path) -> None:
    """The top of the page (at most SHOT_HEIGHT px of it), as PNG."""
    width, full = tab.evaluate("[window.innerWidth, document.documentElement.scrollHeight]")
    clip = {"x": 0, "y": 0, "width": width, "height": min(full, SHOT_HEIGHT)}
    tab.screenshot(path=shot, full_page=True, clip=clip)


def _broken(site: Path, dest: Path, css: str) -> Path:
    copy = shutil.copytree(site, dest)
    (copy / "style.css").write_text(css, encoding="utf-8")
    return copy


def test_the_checks_catch_a_cut_and_a_hidden_column(
    browser: Windows, sites: dict[str, Path], tmp_path: Path
) -> None:
    css = (sites["shipped"] / "style.css").read_text(encoding="utf-8")
    no_phone_layout = css.split("@media (max-width: 50em)", 1)[0]
    assert no_phone_layout != css
    cut = _broken(sites["shipped"], tmp_path / "cut", no_phone_layout)
    found = _problems(browser, cut / "labs/xai.html", PHONES[1])
    assert any(p.startswith(("cut by the window", "cut by its container")) for p in found), found
    assert any("the page scrolls sideways" in p or "cut by its container" in p for p in found), found
    hidden = _broken(
        sites["shipped"], tmp_path / "hidden", css + "\ntable.shortfalls td:nth-child(7) { display: none; }\n"
    )
    found = _problems(browser, hidden / "labs/xai.html", LAPTOP)
    assert any(p.startswith("hidden:") and "column Gap" in p for p in found), found
    unlabelled = _broken(
        sites["shipped"], tmp_path / "unlabelled", css.replace('content: attr(data-label) ": ";', "")
    )
    found = _problems(browser, unlabelled / "labs/xai.html", PHONES[0])
    assert any(p.startswith("labelled") for p in found), found
    # a long URL outside any table: the phone zooms out to fit it, which the measure must still see
    unbroken = _broken(sites["shipped"], tmp_path / "unbroken", css.replace("overflow-wrap: break-word;", ""))
    found = _problems(browser, unbroken / "rules/pause-commitment-best.html", PHONES[0])
    assert any(p.startswith("the page scrolls sideways") for p in found), found
