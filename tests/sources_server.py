"""A web server on 127.0.0.1 for the tests of `parity sources` (and its benchmark), a PDF maker, and a
guard that fails a test which tries to connect anywhere but the loopback address.

Routes map a path to a function that answers the request: so each test serves exactly the pages it
needs, each misbehaving in its own way (a redirect, a 429, a page that never answers, a gzip bomb...).
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Route = Callable[[BaseHTTPRequestHandler], None]


def answer(
    status: int = 200,
    body: bytes = b"",
    content_type: str | None = "text/html; charset=utf-8",
    **headers: str,
) -> Route:
    """A route that answers with `status`, `body` and headers (`Retry_After="1"` is `Retry-After: 1`)."""

    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        if content_type is not None:
            handler.send_header("Content-Type", content_type)
        for name, value in headers.items():
            handler.send_header(name.replace("_", "-"), value)
        if "Content_Length" not in headers:
            handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return route


def html(text: str, charset: str = "utf-8", declared: str | None = "utf-8") -> Route:
    """An HTML page holding `text`, encoded in `charset`, with `declared` in its Content-Type."""
    page = f"<!doctype html><html><head><title>t</title></head><body><main><p>{text}</p></main></body></html>"
    kind = f"text/html; charset={declared}" if declared else "text/html"
    return answer(200, page.encode(charset), kind)


def redirect(to: str, status: int = 302) -> Route:
    return answer(status, b"", None, Location=to)


def pdf(*lines: str, pages: int = 1) -> bytes:
    """A small valid PDF whose pages each show `lines` in Helvetica (Windows-1252 text only)."""
    font = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
    objects = ["<< /Type /Catalog /Pages 2 0 R >>", "pages, below", font]
    escaped = [line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") for line in lines]
    content = "BT /F1 11 Tf 14 TL 72 740 Td " + " ".join(f"({t}) Tj T*" for t in escaped) + " ET"
    kids = []
    for _ in range(pages):
        number = len(objects) + 1
        kids.append(f"{number} 0 R")
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {number + 1} 0 R "
            "/Resources << /Font << /F1 3 0 R >> >> >>"
        )
        objects.append(f"<< /Length {len(content.encode('cp1252'))} >>\nstream\n{content}\nendstream")
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {pages} >>"
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("cp1252")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self.server.hits.append(self.path)
        route = self.server.routes.get(self.path.split("?", 1)[0])
        if route is None:  # "/save/*" answers every path under /save/; "*" every other path
            prefixes = [k for k in self.server.routes if k.endswith("*") and self.path.startswith(k[:-1])]
            fallback = answer(404, b"not found", "text/plain")
            route = self.server.routes[max(prefixes, key=len)] if prefixes else fallback
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up, as it should
            route(self)

    def log_message(self, format: str, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, routes: dict[str, Route]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.routes = routes
        self.hits: list[str] = []
        self.stop = threading.Event()  # set on exit: routes that hang wait on it

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@contextmanager
def serving(routes: dict[str, Route]) -> Iterator[_Server]:
    """A server for `routes` on 127.0.0.1 (a free port), in a thread, for the `with` block."""
    server = _Server(routes)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.stop.set()
        server.shutdown()
        server.server_close()


@contextmanager
def loopback_only() -> Iterator[list[object]]:
    """Fail any connection to an address off this machine (the tests' own promise, kept by the tests),
    and list every address connected to."""
    original = socket.socket.connect
    seen: list[object] = []

    def connect(self: socket.socket, address: object) -> None:
        host = address[0] if isinstance(address, tuple) else None
        seen.append(address)
        if host is None or not ipaddress.ip_address(str(host).split("%")[0]).is_loopback:
            raise AssertionError(f"a test tried to connect to {address!r}")
        original(self, address)  # type: ignore[arg-type]

    socket.socket.connect = connect  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        socket.socket.connect = original  # type: ignore[method-assign]
