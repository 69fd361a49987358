"""Time and memory of `parity sources` over every URL the shipped data cites, served from 127.0.0.1.

    python benchmarks/bench_sources.py [--html-kb 150] [--pdf-pages 60] [--latency-ms 0] [--drift 0.05]

A stand-in page is served for every URL the shipped profiles and packs cite: an HTML page of about
--html-kb kilobytes, or (for a URL that names a .pdf) a PDF of --pdf-pages pages, each holding the
quotes cited from that URL among filler text, with typographic quotes and dashes and, in PDFs, lines
broken mid-word with a hyphen, so that normalisation does real work. A share --drift of the quotes is
altered on the page, so their closest passages are searched for. Each answer waits --latency-ms first.

The data is copied with `https://` turned into `http://` (no TLS on the stand-in) and every host name
kept, so the per-host limits act as they would on the real hosts; a resolver maps every host to the
server. The run is a fresh Python process (the library's `run`, with `--allow-private`'s guard), so its
peak RSS is its own; the server lives in this one. No network is used: only 127.0.0.1.

Prints the number of URLs and of quotes, the statuses, the wall time and the peak RSS of the run.
"""

from __future__ import annotations

import argparse
import html
import json
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from sources_server import pdf  # noqa: E402  (the tests' PDF maker)

_URL_FIELD = re.compile(r"(\burl:\s*)https://")  # the evidence's address only: quotes keep theirs
WORDS = re.findall(
    r"\w+",
    "model safety policy risk evaluation capability threshold deployment safeguard security weights "
    "frontier report system card governance oversight incident response framework commitment external "
    "testing red team access control monitoring misuse biological cyber autonomy alignment research",
)


def _filler(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def _typographic(quote: str) -> str:
    """The quote as a typeset page shows it: curly quotes, en dashes, no-break spaces."""
    out = re.sub(r'"([^"]*)"', "“\\1”", quote).replace("'", "’").replace(" - ", " – ")
    return out.replace(" ", "\u00a0", 1)


def _altered(quote: str) -> str:
    words = quote.split()
    if len(words) > 3:
        words[len(words) // 2] = "substantially"
    return " ".join(words[: max(3, len(words) - 2)])


def pages(
    html_kb: int, pdf_pages: int, drift: float, seed: int = 0
) -> tuple[dict[str, bytes], dict[str, str]]:
    """{url: body} and {url: content type} for every URL the shipped data cites."""
    import parity
    from parity.sources.citations import citations, quotes

    rng = random.Random(seed)
    data = parity.load(ROOT / "lab_profiles", ROOT / "rules", None)
    bodies, kinds = {}, {}
    for url, cited in citations(data).items():
        shown = [_altered(q) if rng.random() < drift else _typographic(q) for q in quotes(cited)]
        key = url.replace("https://", "http://", 1)  # as the copied data cites it
        if ".pdf" in url.lower():
            blocks = [[_filler(rng, 14)] for _ in range(40)]  # a quote's lines stay together
            for q in shown:
                cut = q.find(" ", len(q) // 2)
                block = [q]
                if cut > 0:  # a word broken across two lines with a hyphen, as typesetting does
                    word = q.find(" ", cut + 1)
                    middle = (word if word > 0 else len(q)) - 2
                    block = [q[:middle] + "-", q[middle:]] if middle > cut + 1 else [q[:cut], q[cut:]]
                blocks.insert(rng.randrange(len(blocks) + 1), block)
            lines = [line for block in blocks for line in block]
            safe = [line.encode("cp1252", "replace").decode("cp1252") for line in lines]
            bodies[key], kinds[key] = pdf(*safe, pages=pdf_pages), "application/pdf"
        else:
            paragraphs = [_filler(rng, 60) for _ in range(max(1, html_kb * 1024 // 420))]
            for q in shown:
                paragraphs.insert(rng.randrange(len(paragraphs) + 1), f"We said: <em>{html.escape(q)}</em>")
            body = "".join(f"<p>{p}</p>\n" for p in paragraphs)
            page = f"<!doctype html><html><head><script>var x = 1;</script></head><body>{body}</body></html>"
            bodies[key], kinds[key] = page.encode(), "text/html; charset=utf-8"
    return bodies, kinds


def serve(bodies: dict[str, bytes], kinds: dict[str, str], latency: float) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            url = f"http://{self.headers.get('Host', '')}{self.path}"
            body = bodies.get(url, bodies.get(url.rstrip("/")))
            time.sleep(latency)
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Type", kinds.get(url, "text/plain"))
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def child(folder: Path, port: int) -> None:
    """The measured run: the library's `parity sources` over the copied data, every host mapped here."""
    import datetime as dt

    import parity
    from parity.sources.fetch import Fetcher
    from parity.sources.guard import Guard
    from parity.sources.limits import Limits
    from parity.sources.run import Selection, run

    start = time.perf_counter()
    data = parity.load(folder / "lab_profiles", folder / "rules", None)
    guard = Guard(allow_private=True, resolver=lambda host, _: [("127.0.0.1", port)])
    with Fetcher(Limits(), guard) as fetcher:
        result = run(data, None, Selection(), fetcher, dt.date(2026, 12, 8))
    counts: dict[str, int] = {}
    for e in result.checked:
        counts[e.status] = counts.get(e.status, 0) + 1
    found = sum(q.found for e in result.checked for q in e.quotes)
    quotes = sum(len(e.quotes) for e in result.checked)
    print(
        json.dumps(
            {
                "urls": len(result.checked),
                "unchecked": len(result.unchecked),
                "quotes": quotes,
                "found": found,
                "statuses": counts,
                "seconds": round(time.perf_counter() - start, 2),
            }
        )
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--html-kb", type=int, default=150)
    parser.add_argument("--pdf-pages", type=int, default=60)
    parser.add_argument("--latency-ms", type=int, default=0)
    parser.add_argument("--drift", type=float, default=0.05)
    parser.add_argument("--child", nargs=2, metavar=("DIR", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(Path(args.child[0]), int(args.child[1]))
        return 0
    bodies, kinds = pages(args.html_kb, args.pdf_pages, args.drift)
    size = sum(len(b) for b in bodies.values())
    pdfs = sum(k == "application/pdf" for k in kinds.values())
    print(f"stand-ins: {len(bodies)} URLs, {size / 2**20:.1f} MB ({pdfs} PDFs)")
    server = serve(bodies, kinds, args.latency_ms / 1000)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name in ("lab_profiles", "rules"):
            shutil.copytree(ROOT / name, folder / name)
            for path in (folder / name).glob("*.yaml"):
                text = _URL_FIELD.sub(r"\1http://", path.read_text(encoding="utf-8"))
                path.write_text(text, encoding="utf-8")
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, __file__, "--child", str(folder), str(server.server_address[1])],
            capture_output=True,
            text=True,
        )
        wall = time.perf_counter() - start
    server.shutdown()
    if done.returncode != 0:
        print(done.stderr, file=sys.stderr)
        return 1
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KiB on Linux
    result = json.loads(done.stdout)
    print(
        f"checked {result['urls']} URLs ({result['unchecked']} unchecked), {result['found']} of "
        f"{result['quotes']} quotes found; statuses {result['statuses']}"
    )
    took = f"{result['seconds']:.2f} s in the process, {wall:.2f} s wall with start-up"
    print(f"run: {took}; peak RSS {peak:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
