"""`parity sources` against a web server on 127.0.0.1: every way a source can answer gets its status, in
bounded time and memory, and nothing off this machine is ever connected to (`loopback_only`)."""

from __future__ import annotations

import datetime as dt
import gzip
import time
import tracemalloc
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from sources_server import answer, html, loopback_only, pdf, redirect, serving

from parity.sources.fetch import Fetched, Fetcher
from parity.sources.guard import Guard
from parity.sources.limits import Limits
from parity.sources.run import judge

TODAY = dt.date(2026, 12, 8)
QUOTE = "We will publish a Risk Report every three to six months."
FAST = Limits(connect_timeout=1, read_timeout=1, per_url=5, backoff=0.05, max_bytes=1024 * 1024, budget=60)
LOOPBACK = Guard(allowed=("127.0.0.0/8",))


@pytest.fixture(autouse=True)
def _no_connection_off_this_machine() -> Iterator[list[object]]:
    with loopback_only() as seen:
        yield seen


def fetch(routes: dict[str, object], path: str, limits: Limits = FAST, guard: Guard = LOOPBACK) -> Fetched:
    with serving(routes) as server, Fetcher(limits, guard) as fetcher:  # type: ignore[arg-type]
        return fetcher.fetch(server.base + path)


def status(got: Fetched, quotes: tuple[str, ...] = (QUOTE,)) -> str:
    return judge(got, list(quotes), None, TODAY).status


# --- pages that are there ----------------------------------------------------------------------------------


def test_an_html_page_with_the_quote_is_ok() -> None:
    # typographic quotes, a no-break space, a ligature, a soft hyphen and markup inside a word
    page = "We will publish a “Risk Report” every three\u00a0to six months.<b>x</b> Pub\u00adlish<i>ed</i> ﬁnally."
    got = fetch({"/p": html(page)}, "/p")
    entry = judge(
        got, ['We will publish a "Risk Report" every three to six months.', "Published finally"], None, TODAY
    )
    assert entry.status == "ok", entry
    assert entry.http_status == 200
    assert all(q.found for q in entry.quotes)
    assert entry.text_sha256 is not None and len(entry.text_sha256) == 64


def test_a_pdf_is_read() -> None:
    got = fetch({"/r.pdf": answer(200, pdf("Intro.", QUOTE, pages=2), "application/pdf")}, "/r.pdf")
    assert status(got) == "ok"


def test_a_pdf_served_as_octet_stream_is_still_read() -> None:
    got = fetch({"/r": answer(200, pdf(QUOTE), "application/octet-stream")}, "/r")
    assert status(got) == "ok"


def test_a_missing_quote_drifts_with_the_closest_passage() -> None:
    page = "Intro text. We will publish a Risk Report every twelve months. Other text follows here."
    got = fetch({"/p": html(page)}, "/p")
    entry = judge(got, [QUOTE], None, TODAY)
    assert entry.status == "drifted"
    (check,) = entry.quotes
    assert not check.found
    assert check.closest is not None and "every twelve months" in check.closest
    assert check.similarity is not None and 0.7 < check.similarity < 1


def test_a_redirect_is_followed_and_its_final_url_recorded() -> None:
    with serving({"/old": redirect("/new"), "/new": html(QUOTE)}) as server, Fetcher(FAST, LOOPBACK) as f:
        got = f.fetch(server.base + "/old")
    entry = judge(got, [QUOTE], None, TODAY)
    assert entry.status == "ok"
    assert entry.url == server.base + "/old"
    assert entry.final_url == server.base + "/new"


def test_a_redirect_to_a_private_address_is_refused_before_connecting(
    _no_connection_off_this_machine: list[object],
) -> None:
    routes = {"/r": redirect("http://169.254.169.254/latest/meta-data/"), "/p": redirect("http://10.0.0.1/")}
    for path in ("/r", "/p"):
        got = fetch(routes, path)
        assert got.problem == "refused", got
        assert status(got) == "unreachable"
    assert all(address[0] == "127.0.0.1" for address in _no_connection_off_this_machine)  # type: ignore[index]


@pytest.mark.parametrize(
    "location",
    ["javascript:alert(1)", "ftp://files.example/x", "http://[::1", "http://xn--zz/", "file:///etc/passwd"],
)
def test_a_redirect_nowhere_a_browser_would_go_is_unreachable_not_a_crash(location: str) -> None:
    asked: list[str] = []

    def resolver(host: str, port: int) -> list[tuple[str, int]]:
        asked.append(host)
        return [("127.0.0.1", port)]

    with serving({"/r": redirect(location)}) as server:
        guard = Guard(allowed=("127.0.0.0/8",), resolver=resolver)
        with Fetcher(FAST, guard) as fetcher:
            got = fetcher.fetch(server.base + "/r")
    assert got.problem in ("refused", "network"), got
    assert status(got) == "unreachable"
    assert asked == ["127.0.0.1"]  # the first hop only: nothing else was even looked up


def test_without_allow_private_even_loopback_is_refused() -> None:
    got = fetch({"/p": html(QUOTE)}, "/p", guard=Guard())
    assert got.problem == "refused"
    assert "127.0.0.1" in (got.detail or "") and "loopback" in (got.detail or "")


def test_the_address_checked_is_the_one_connected_to(_no_connection_off_this_machine: list[object]) -> None:
    """DNS rebinding: the name is resolved once per request; a second answer is never used."""
    answers: list[str] = []

    def rebinding(host: str, port: int) -> list[tuple[str, int]]:
        answers.append(host)
        return [("127.0.0.1", port)] if len(answers) == 1 else [("10.0.0.1", port)]

    with serving({"/p": html(QUOTE)}) as server:
        port = server.server_address[1]
        guard = Guard(allowed=("127.0.0.0/8",), resolver=rebinding)
        with Fetcher(FAST, guard) as fetcher:
            got = fetcher.fetch(f"http://rebind.test:{port}/p")
    assert status(got) == "ok"
    assert answers == ["rebind.test"]
    assert server.hits == ["/p"]


def test_a_name_that_resolves_partly_inward_is_refused() -> None:
    guard = Guard(resolver=lambda host, port: [("93.184.216.34", port), ("10.1.2.3", port)])
    with Fetcher(FAST, guard) as fetcher:
        got = fetcher.fetch("http://mixed.test/p")
    assert got.problem == "refused" and "10.1.2.3" in (got.detail or "")


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # AWS, GCP, Azure metadata
        ("100.100.100.200", False),  # Alibaba Cloud metadata (shared address space)
        ("192.0.0.192", False),  # Oracle Cloud metadata
        ("fd00:ec2::254", False),  # AWS metadata over IPv6
        ("::1", False),
        ("::ffff:127.0.0.1", False),
        ("2002:7f00:1::1", False),  # 6to4 of 127.0.0.1
        ("64:ff9b::a00:1", False),  # NAT64 of 10.0.0.1
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("fe80::1%eth0", False),
        ("93.184.216.34", True),
        ("2606:4700::1111", True),
    ],
)
def test_only_public_addresses_are_permitted(address: str, public: bool) -> None:
    assert Guard().permits(address) is public
    assert Guard(allow_private=True).permits(address)


# --- pages that are not there, or not for us -------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "expected"),
    [(404, "gone"), (410, "gone"), (403, "blocked"), (401, "blocked"), (400, "unreachable")],
)
def test_http_errors_get_their_status(code: int, expected: str) -> None:
    got = fetch({"/p": answer(code, b"no")}, "/p")
    entry = judge(got, [QUOTE], None, TODAY)
    assert (entry.status, entry.http_status) == (expected, code)


def test_429_honours_retry_after_then_is_blocked() -> None:
    slow_backoff = Limits(connect_timeout=1, read_timeout=1, per_url=20, backoff=30, retries=2)
    with serving({"/p": answer(429, b"slow down", Retry_After="1")}) as server:
        start = time.monotonic()
        with Fetcher(slow_backoff, LOOPBACK) as fetcher:
            got = fetcher.fetch(server.base + "/p")
        took = time.monotonic() - start
    assert status(got) == "blocked"
    assert server.hits == ["/p"] * 3  # three tries...
    assert 2 <= took < 10  # ...a second apart, as asked, not the 30 s backoff


def test_a_retry_after_too_long_is_not_waited_for() -> None:
    with serving({"/p": answer(503, b"", Retry_After="3600")}) as server:
        start = time.monotonic()
        with Fetcher(FAST, LOOPBACK) as fetcher:
            got = fetcher.fetch(server.base + "/p")
    assert time.monotonic() - start < 2
    assert server.hits == ["/p"]
    assert status(got) == "unreachable"


def test_5xx_is_retried_with_backoff_and_then_unreachable() -> None:
    with serving({"/p": answer(500, b"oops")}) as server, Fetcher(FAST, LOOPBACK) as fetcher:
        got = fetcher.fetch(server.base + "/p")
    assert server.hits == ["/p"] * (FAST.retries + 1)
    entry = judge(got, [QUOTE], None, TODAY)
    assert (entry.status, entry.http_status, entry.error) == ("unreachable", 500, "HTTP 500")


def test_a_5xx_that_recovers_is_ok() -> None:
    calls: list[int] = []

    def flaky(handler: BaseHTTPRequestHandler) -> None:
        calls.append(1)
        (answer(503, b"") if len(calls) == 1 else html(QUOTE))(handler)

    assert status(fetch({"/p": flaky}, "/p")) == "ok"


def test_a_page_that_never_answers_times_out() -> None:
    def hang(handler: BaseHTTPRequestHandler) -> None:
        handler.server.stop.wait(30)  # type: ignore[attr-defined]

    start = time.monotonic()
    got = fetch({"/p": hang}, "/p", Limits(connect_timeout=1, read_timeout=0.5, per_url=5))
    assert time.monotonic() - start < 3
    assert got.problem == "timeout"
    assert status(got) == "unreachable"


def test_a_slow_drip_is_cut_at_the_deadline() -> None:
    def drip(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.end_headers()
        while not handler.server.stop.wait(0.1):  # type: ignore[attr-defined]
            handler.wfile.write(b"x")
            handler.wfile.flush()

    start = time.monotonic()
    got = fetch({"/p": drip}, "/p", Limits(connect_timeout=1, read_timeout=1, per_url=1.5))
    assert time.monotonic() - start < 4
    assert got.problem == "timeout"


def _peak(run: object) -> tuple[Fetched, int]:
    tracemalloc.start()
    try:
        got = run()  # type: ignore[operator]
        return got, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_body_over_the_cap_stops_at_the_cap() -> None:
    big = b"<p>" + b"a" * (8 * 1024 * 1024)

    def streamed(handler: BaseHTTPRequestHandler) -> None:  # no Content-Length: read until the cap
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.send_header("Connection", "close")
        handler.end_headers()
        handler.wfile.write(big)

    routes = {"/declared": answer(200, big, "text/html"), "/streamed": streamed}
    for path in routes:
        got, peak = _peak(lambda path=path: fetch(routes, path))
        assert got.problem == "too_large", path
        assert status(got) == "unreachable"
        assert peak < 4 * FAST.max_bytes, (path, peak)


def test_a_gzip_bomb_stops_at_the_cap() -> None:
    bomb = gzip.compress(b"\0" * (200 * 1024 * 1024), 9)  # 200 MB of zeros in about 200 KB
    route = answer(200, bomb, "text/html", Content_Encoding="gzip")
    got, peak = _peak(lambda: fetch({"/p": route}, "/p"))
    assert got.problem == "too_large"
    assert peak < 4 * FAST.max_bytes


def test_a_gzipped_page_is_read() -> None:
    body = gzip.compress(f"<html><body><p>{QUOTE}</p></body></html>".encode())
    assert status(fetch({"/p": answer(200, body, "text/html", Content_Encoding="gzip")}, "/p")) == "ok"


def test_an_encoding_not_asked_for_is_unreachable() -> None:
    got = fetch({"/p": answer(200, b"xx", "text/html", Content_Encoding="br")}, "/p")
    assert got.problem == "encoding"
    assert status(got) == "unreachable"


# --- character sets ----------------------------------------------------------------------------------------

ACCENTED = "La société publiera un « rapport » chaque trimestre."


@pytest.mark.parametrize(
    ("charset", "declared"),
    [
        ("cp1252", None),  # no charset anywhere: Windows-1252, as browsers read it
        ("cp1252", "iso-8859-1"),  # a Latin-1 label
        ("utf-8", "iso-8859-1"),  # a wrong label: valid UTF-8 is read as UTF-8
        ("utf-8", None),
        ("utf-16", "utf-16"),  # with its byte-order mark
    ],
)
def test_pages_in_any_charset_are_read(charset: str, declared: str | None) -> None:
    got = fetch({"/p": html(ACCENTED, charset, declared)}, "/p")
    assert status(got, (ACCENTED,)) == "ok"


def test_a_charset_declared_in_a_meta_tag_is_read() -> None:
    text = "我们每季度发布风险报告。"
    page = f'<html><head><meta charset="gb18030"></head><body><p>{text}</p></body></html>'.encode("gb18030")
    got = fetch({"/p": answer(200, page, "text/html")}, "/p")
    assert status(got, (text,)) == "ok"


def test_a_content_type_parity_cannot_read_is_unreachable() -> None:
    got = fetch({"/p": answer(200, b"\x89PNG....", "image/png")}, "/p")
    entry = judge(got, [QUOTE], None, TODAY)
    assert entry.status == "unreachable" and "image/png" in (entry.error or "")


def test_a_broken_pdf_is_unreachable() -> None:
    got = fetch({"/p": answer(200, b"%PDF-1.4 garbage", "application/pdf")}, "/p")
    assert status(got) == "unreachable"


def test_the_user_agent_names_parity_and_its_repository() -> None:
    seen: list[str] = []

    def record(handler: BaseHTTPRequestHandler) -> None:
        seen.append(handler.headers.get("User-Agent", ""))
        html(QUOTE)(handler)

    fetch({"/p": record}, "/p")
    assert seen and seen[0].startswith("parity/") and "github.com/" in seen[0]


def test_a_page_without_quotes_changed_when_its_text_did() -> None:
    first = judge(fetch({"/p": html("version one")}, "/p"), [], None, TODAY)
    assert first.status == "ok"
    same = judge(fetch({"/p": html("version one")}, "/p"), [], first, TODAY)
    assert same.status == "ok"
    other = judge(fetch({"/p": html("version two")}, "/p"), [], first, TODAY)
    assert other.status == "changed"


def test_never_connects_off_this_machine_even_when_a_test_goes_wrong(tmp_path: Path) -> None:
    """The guard used by every test here is itself tested: an off-machine connect fails the test."""
    with pytest.raises(AssertionError, match="a test tried to connect"):
        import socket

        with socket.socket() as s:
            s.connect(("10.255.255.1", 9))
