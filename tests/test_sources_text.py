"""Reading a body's text and looking quotes up in it: normalisation, HTML, charsets, the closest passage.
No network."""

from __future__ import annotations

import pytest
from sources_server import pdf

from parity.sources.text import Page, Unreadable, decode, html_text, normalise, pdf_text, text_of


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("“curly” ‘single’ «guillemets»", '"curly" \'single\' "guillemets"'),
        ("a\u00a0b\u2009c\u3000d", "a b c d"),  # no-break, thin and ideographic spaces
        ("ﬁnance ﬂow", "finance flow"),  # ligatures
        ("safe\u00adguards zero\u200bwidth", "safeguards zerowidth"),  # soft hyphen, zero-width space
        ("en–em—minus−bar―hy‑phen", "en-em-minus-bar-hy-phen"),
        ("wait…", "wait..."),
        ("  many \n\t spaces  ", "many spaces"),
        ("ｆｕｌｌ width", "full width"),
    ],
)
def test_normalise(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


@pytest.mark.parametrize(
    "quote",
    [
        "We will publish a Risk Report",
        "we will PUBLISH a risk report",  # case
        "a Risk Report every three",
        "three to six months",
        "catastrophic harm",  # broken across lines with a hyphen in the page
        "We will publish ... every three to six months",  # an ellipsis
        "We will publish […] to six months",
    ],
)
def test_quotes_found(quote: str) -> None:
    page = Page(
        normalise(
            "We will publish a Risk\nReport every three to six months. It prevents catastro-\nphic harm."
        )
    )
    assert page.find(quote).found


@pytest.mark.parametrize(
    "quote",
    [
        "We will publish a Risk Report every twelve months",  # a word changed
        "every six to three months",  # order changed
        "to six months ... We will publish",  # an ellipsis's parts out of order
    ],
)
def test_quotes_not_found_get_the_closest_passage(quote: str) -> None:
    page = Page(normalise("Intro. We will publish a Risk Report every three to six months. The end of it."))
    found = page.find(quote)
    assert not found.found
    assert found.closest is not None
    assert "We will publish" in found.closest or "six months" in found.closest
    assert found.similarity is not None and 0 < found.similarity < 1


def test_the_closest_passage_is_whole_words() -> None:
    found = Page(normalise("alpha beta gamma delta epsilon zeta eta theta")).find("gamma delte epsilon")
    assert found.closest == "gamma delta epsilon"


def test_an_empty_page_has_no_closest_passage() -> None:
    assert Page("").find("anything") == (False, None, None)


def test_html_text_leaves_out_scripts_and_keeps_blocks_apart() -> None:
    markup = (
        "<html><head><title>T</title><style>p{}</style><script>var quote='hidden';</script></head>"
        "<body><h1>Title</h1><p>First<br>second</p><ul><li>one</li><li>two</li></ul>"
        "<noscript>no</noscript><template>tmpl</template><p>Ver<b>sion</b> 3</p></body></html>"
    )
    text = normalise(html_text(markup))
    assert text == "Title First second one two Version 3"


def test_decode_prefers_valid_utf8_over_a_wrong_label() -> None:
    assert decode("société".encode(), "iso-8859-1") == "société"
    assert decode("société".encode("cp1252"), None) == "société"
    assert decode("société".encode("cp1252"), "no-such-charset") == "société"
    assert decode(b"\xff\xfeh\x00i\x00", None) == "hi"  # UTF-16 with its byte-order mark
    assert decode(b'<meta charset="koi8-r"><p>\xf0\xd2\xc9\xd7\xc5\xd4', None, html=True).endswith("Привет")


def test_pdf_text() -> None:
    assert "Risk Report" in pdf_text(pdf("A Risk Report.", pages=2))
    with pytest.raises(Unreadable):
        pdf_text(b"%PDF-1.4\nnot really")


@pytest.mark.parametrize(
    ("content_type", "body", "expected"),
    [
        ("text/plain; charset=utf-8", b"plain  text", "plain text"),
        ("application/json", b'{"a": "b"}', '{"a": "b"}'),
        (None, b"<!DOCTYPE html><html><body><p>sniffed</p></body></html>", "sniffed"),
        ("application/octet-stream", b"<html><body>octet</body></html>", "octet"),
    ],
)
def test_text_of_each_content_type(content_type: str | None, body: bytes, expected: str) -> None:
    assert text_of(body, content_type) == expected


def test_text_of_an_image_is_unreadable() -> None:
    with pytest.raises(Unreadable, match="image/png"):
        text_of(b"\x89PNG", "image/png")
