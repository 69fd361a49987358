"""The scorecard's Atom 1.0 feed (RFC 4287): the entries of the changes page, so that a reader learns of a new
shortfall, a regression, an alarm or a correction without visiting the site.

Every id is a `urn:uuid:` (RFC 4122, version 5) made from the site's address and the entry's stable key:
the same change has the same id in every build, and two sites never share one. Dates are the entries' own
(midnight UTC), so the same inputs give the same bytes. Links are relative to the feed unless the site's
address is known (`--site-url`), then absolute; `xml:base` says so either way.
"""

from __future__ import annotations

import datetime as dt
import uuid
import xml.etree.ElementTree as ET

from parity.formats.escape import terminal
from parity.report import RULE_PAGE
from parity.site.changes import KINDS, Changes, Entry
from parity.site.view import LAB_PAGE

ATOM = "http://www.w3.org/2005/Atom"
_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "parity scorecard feed")  # parity's own, for version-5 ids


def entry_id(site_url: str | None, key: str) -> str:
    """A stable, unique id: the same site and change always give the same one."""
    name = (site_url or "") + "|" + key
    return f"urn:uuid:{uuid.uuid5(_NAMESPACE, name)}"


def _stamp(day: dt.date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def _text(parent: ET.Element, tag: str, text: str, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
    element.text = terminal(text)  # XML 1.0 cannot hold most control characters: shown as escapes
    return element


def _link(parent: ET.Element, href: str, rel: str = "alternate", kind: str = "text/html") -> None:
    ET.SubElement(parent, f"{{{ATOM}}}link", {"rel": rel, "type": kind, "href": href})


def _href(entry: Entry) -> str:
    if entry.rule and entry.kind in ("new", "resolved"):
        return RULE_PAGE.format(entry.rule)
    if entry.lab and entry.kind == "correction":
        return "corrections.html"
    if entry.lab:
        return LAB_PAGE.format(entry.lab)
    return "changes.html"


def feed(changes: Changes, entries: list[Entry], site_url: str | None, publisher: str | None) -> bytes:
    """The feed's XML."""
    ET.register_namespace("", ATOM)
    root = ET.Element(f"{{{ATOM}}}feed")
    root.set("{http://www.w3.org/XML/1998/namespace}base", site_url or "./")
    _text(root, "id", entry_id(site_url, "feed"))
    _text(root, "title", "parity scorecard: what changed")
    _text(root, "subtitle", f"Changes since the edition as of {changes.previous_as_of.isoformat()}")
    _text(root, "updated", _stamp(changes.as_of))
    author = ET.SubElement(root, f"{{{ATOM}}}author")
    _text(author, "name", publisher or "parity scorecard")
    if site_url:
        _text(author, "uri", site_url)
    from parity._version import __version__

    _text(root, "generator", "parity", version=__version__)
    _link(root, "feed.xml", "self", "application/atom+xml")
    _link(root, "changes.html")
    for e in entries:
        item = ET.SubElement(root, f"{{{ATOM}}}entry")
        _text(item, "id", entry_id(site_url, e.key))
        _text(item, "title", f"{KINDS[e.kind]}: {e.title}")
        _text(item, "updated", _stamp(e.date))
        _link(item, _href(e))
        _text(item, "category", "", term=e.kind, label=KINDS[e.kind])
        _text(item, "summary", e.text, type="text")
    ET.indent(root)
    text = '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
    return text.encode("utf-8")
