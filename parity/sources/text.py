"""A fetched body to the text a reader sees, and every quote looked up in it. No network.

HTML is parsed by selectolax (the Lexbor engine: an HTML5 parser in C, fast on multi-megabyte pages) with
scripts, styles and templates left out and a space after every block element; PDF text by pypdf (pure
Python, no native code to build); plain text as it is. Bytes are decoded by a byte-order mark, as UTF-8
when they are valid UTF-8 (whatever the header says: servers that mislabel UTF-8 as Latin-1 are common,
and valid UTF-8 that is meant as anything else is rare), else by the charset the header or a `<meta>` tag
declares, else as Windows-1252 (what browsers read an unlabelled page as).

Text is compared after normalisation (Unicode NFKC, so ligatures and no-break spaces become plain letters
and spaces; curly quotes and every dash made straight; soft hyphens and zero-width characters dropped;
white space collapsed). A quote is found when the page holds it ignoring case, white space and hyphens, so
that a word broken across two lines of a PDF, or split by markup, still matches. A quote with an ellipsis
(`...`, `…`, `[...]`) is found when each of its parts is, in order. A quote not found gets the closest
passage of the page (rapidfuzz's best partial alignment: the window of the page text most like the quote).
"""

from __future__ import annotations

import codecs
import hashlib
import io
import re
import unicodedata
from typing import NamedTuple

MAX_PDF_PAGES = 2_000  # a report longer than this is read up to here (a hostile file costs no more)
_QUOTES = dict.fromkeys("‘’‚‛′‹›`´", "'") | dict.fromkeys("“”„‟″«»", '"')
_DASHES = dict.fromkeys("‐‑‒–—―−⁃﹘﹣－", "-")
_DROPPED = dict.fromkeys("\xad\u200b\u200c\u200d\u2060\ufeff")
_TRANSLATION = str.maketrans(_QUOTES | _DASHES | _DROPPED)
_SQUASHED = str.maketrans({" ": None, "-": None})
_ELLIPSIS = re.compile(r"\s*(?:\[\s*(?:\.\.\.|…)\s*\]|\.\.\.|…)\s*")
_BLOCKS = (
    "address, article, aside, blockquote, br, caption, dd, details, div, dl, dt, figcaption, figure, "
    "footer, form, h1, h2, h3, h4, h5, h6, header, hr, li, main, nav, ol, option, p, pre, section, "
    "summary, table, tbody, td, tfoot, th, thead, tr, ul"
)
_HIDDEN = "script, style, noscript, template, svg, iframe, object"
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_CLOSEST_SLACK = 40  # characters of context a closest passage may gain to end on word boundaries


class Unreadable(Exception):
    """A body parity cannot read text from: an unknown content type, a broken PDF."""


class Found(NamedTuple):
    """One quote looked up: found or not, and (not found) the closest passage and how close (0 to 1)."""

    found: bool
    closest: str | None = None
    similarity: float | None = None


def normalise(text: str) -> str:
    """Text as parity compares it: NFKC, straight quotes and dashes, no soft hyphens or zero-width
    characters, white space collapsed to single spaces."""
    return " ".join(unicodedata.normalize("NFKC", text).translate(_TRANSLATION).split())


def fingerprint(text: str) -> str:
    """The SHA-256 of the normalised text: what the record compares to say a page `changed`."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _squash(normalised: str) -> str:
    return normalised.casefold().translate(_SQUASHED)


# --- bytes to text ------------------------------------------------------------------------------------------


def decode(body: bytes, declared: str | None, html: bool = False) -> str:
    """The body as text: BOM, then UTF-8 if valid, then the declared charset (header, else `<meta>`),
    else Windows-1252; never an exception (undecodable bytes become U+FFFD)."""
    for bom, codec in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if body.startswith(bom):
            return body.decode(codec, errors="replace")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    for name in (declared, _meta_charset(body) if html else None):
        label = _codec(name)
        if label is not None and label != "utf-8":
            return body.decode(label, errors="replace")
    return body.decode("cp1252", errors="replace")


def _meta_charset(body: bytes) -> str | None:
    found = _META_CHARSET.search(body[:4096])
    return found.group(1).decode("ascii") if found else None


def _codec(name: str | None) -> str | None:
    """Python's codec for a charset label; the labels browsers read as Windows-1252 are read so too."""
    if not name:
        return None
    label = name.strip().lower()
    if label in ("iso-8859-1", "latin1", "latin-1", "us-ascii", "ascii"):
        return "cp1252"
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def html_text(markup: str) -> str:
    """The text of an HTML page a reader sees without scripts: blocks apart, hidden elements left out."""
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(markup)
    for node in tree.css(_HIDDEN):
        node.decompose()
    for node in tree.css(_BLOCKS):
        node.insert_after(" ")
    root = tree.body or tree.root
    return root.text(separator="") if root is not None else ""


def pdf_text(body: bytes) -> str:
    """The text of a PDF, page after page (the first MAX_PDF_PAGES)."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(body))
        if reader.is_encrypted:
            reader.decrypt("")  # many published PDFs are "encrypted" with an empty password
        pages = [page.extract_text() or "" for page in reader.pages[:MAX_PDF_PAGES]]
    except (
        PyPdfError,
        ValueError,
        KeyError,
        TypeError,
        AttributeError,
        IndexError,
        NotImplementedError,
    ) as e:
        raise Unreadable(f"the PDF cannot be read: {type(e).__name__}: {e}") from None
    return "\n".join(pages)


def text_of(body: bytes, content_type: str | None) -> str:
    """The normalised text of a body of this content type (sniffed when the header says nothing useful)."""
    kind, charset = _media(content_type)
    if kind == "application/pdf" or body.startswith(b"%PDF-"):
        return normalise(pdf_text(body))
    if kind in ("text/html", "application/xhtml+xml") or (
        kind in ("", "application/octet-stream") and _looks_like_html(body)
    ):
        return normalise(html_text(decode(body, charset, html=True)))
    if kind.startswith("text/") or kind in ("application/json", "application/xml") or kind.endswith("+xml"):
        return normalise(decode(body, charset))
    raise Unreadable(f"parity reads no text from {kind or 'an unlabelled body'}")


def _media(content_type: str | None) -> tuple[str, str | None]:
    """(media type, charset) of a Content-Type header."""
    if not content_type:
        return "", None
    kind, *params = content_type.split(";")
    charset = None
    for param in params:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            charset = value.strip().strip("\"'")
    return kind.strip().lower(), charset


def _looks_like_html(body: bytes) -> bool:
    head = body[:1024].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<body" in head


# --- quotes -------------------------------------------------------------------------------------------------


class Page:
    """A page's normalised text, ready for many quotes: its squashed form is computed once."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.squashed = _squash(text)

    def find(self, quote: str) -> Found:
        """Whether the quote is on the page; if not, the closest passage."""
        wanted = normalise(quote)
        at = 0
        for part in _ELLIPSIS.split(wanted):
            key = _squash(part)
            if not key:
                continue
            at = self.squashed.find(key, at)
            if at < 0:
                return self._closest(wanted)
            at += len(key)
        return Found(True)

    def _closest(self, wanted: str) -> Found:
        from rapidfuzz import fuzz

        if not self.text or not wanted:
            return Found(False)
        best = fuzz.partial_ratio_alignment(wanted, self.text)
        if best is None:
            return Found(False)
        start, end = _words(self.text, best.dest_start, best.dest_end)
        return Found(False, self.text[start:end], round(best.score / 100, 2))


def _words(text: str, start: int, end: int) -> tuple[int, int]:
    """A span widened to whole words (a little context at most)."""
    low = text.rfind(" ", max(0, start - _CLOSEST_SLACK), start + 1)
    high = text.find(" ", end, end + _CLOSEST_SLACK)
    return (low + 1 if low >= 0 else start), (high if high >= 0 else min(len(text), end))
