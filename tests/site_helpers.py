"""Shared by the scorecard tests: the hostile world, a site read back as files, and an HTML parser."""

from __future__ import annotations

import shutil
from html.parser import HTMLParser
from pathlib import Path

HOSTILE = Path(__file__).parent / "fixtures" / "hostile"
ROOT = Path(__file__).parents[1]


def hostile_world(dest: Path, port: int = 9) -> Path:
    """A copy of the hostile world whose scripts would call 127.0.0.1:`port`."""
    shutil.copytree(HOSTILE, dest)
    for path in dest.rglob("*.yaml"):
        path.write_text(path.read_text(encoding="utf-8").replace("__PORT__", str(port)), encoding="utf-8")
    return dest


def site_files(folder: Path) -> dict[str, bytes]:
    """Every file of a written site, by its path relative to the folder."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


class Page(HTMLParser):
    """What the tests read from a page: links, ids, headings, tables and their headers, text of cells."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.ids: set[str] = set()
        self.headings: list[int] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.title = ""
        self.cells: list[tuple[str, str]] = []  # (class attribute, text) of every td and th
        self._cell: list[str] | None = None
        self._cell_class = ""
        self._in_title = False
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.tags.append((tag, found))
        for name in ("href", "src"):
            if found.get(name):
                self.links.append(found[name] or "")
        if found.get("id"):
            self.ids.add(found["id"] or "")
        if len(tag) == 2 and tag[0] == "h" and tag[1].isdigit():
            self.headings.append(int(tag[1]))
        if tag in ("td", "th"):
            self._cell, self._cell_class = [], found.get("class") or ""
        self._in_title = tag == "title"

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.cells.append((self._cell_class, " ".join("".join(self._cell).split())))
            self._cell = None
        if tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if self._in_title:
            self.title += data
