"""Fetching one URL, bounded and polite, and only from public addresses.

httpx is the HTTP client (maintained, typed, with separate connect, read and pool timeouts and a transport
that can be wrapped). What parity adds around it:

- **only public addresses** (unless `allow_private`): the host is resolved once, every address it resolves
  to is checked (loopback, private, link-local, shared, reserved, multicast and cloud-metadata addresses,
  and public IPv6 forms that embed one, are refused), and the request goes to the checked address, with
  the Host header and the TLS server name left as the host's, so that a second DNS answer cannot point it
  elsewhere (DNS rebinding). Every redirect is a new request through the same check. Proxy settings are
  ignored: the check must see the address actually connected to.
- **bounded**: connect and read timeouts, a deadline per URL that a slow drip of bytes cannot outlast, a
  size cap on the body read as a stream and never whole, counted after decompression, which parity does
  itself with a bounded output (a gzip bomb stops at the cap), and a stop that ends every fetch at once.
- **polite**: a user agent that names parity and its repository, a few connections per host at a time,
  and retries of 5xx and 429 answers with exponential backoff, honouring `Retry-After`.
"""

from __future__ import annotations

import email.utils
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

import httpx

from parity._version import __version__
from parity.sources.guard import Guard, Refused
from parity.sources.limits import Limits

# The repository's address: the lead records the public one here (docs/ci.md uses the same placeholder).
REPOSITORY = "https://github.com/<owner>/parity"
USER_AGENT = f"parity/{__version__} (evidence checker for AI-lab profiles; +{REPOSITORY})"
ACCEPT = "text/html,application/xhtml+xml,application/pdf;q=0.9,text/plain;q=0.8,*/*;q=0.5"
RETRIED = frozenset({429, 500, 502, 503, 504})


class Stopped(Exception):
    """A fetch ended early: the run was stopped (`problem` "stopped": its time budget ran out, or Ctrl-C),
    or the URL took longer than its deadline ("timeout")."""

    def __init__(self, message: str, problem: str) -> None:
        super().__init__(message)
        self.problem = problem


@dataclass(frozen=True)
class Fetched:
    """What one URL gave: the last HTTP answer and the body read (within the cap), or what went wrong.

    `problem` is one of: None (an answer; `status` says which), "refused" (a private address),
    "timeout", "network", "too_large", "redirects", "encoding" (a content encoding parity cannot undo),
    "stopped" (the run stopped first: nothing is known of the URL).
    """

    url: str
    final_url: str | None = None
    status: int | None = None
    content_type: str | None = None
    body: bytes = b""
    problem: str | None = None
    detail: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


class GuardedTransport(httpx.BaseTransport):
    """Sends each request to the address its guard checked. One connection pool per host name, so that a
    connection opened (and its TLS certificate checked) for one host is never reused for another that
    shares its address; each pool holds at most `per_host` connections."""

    def __init__(self, guard: Guard, per_host: int) -> None:
        self.guard = guard
        self.limits = httpx.Limits(max_connections=per_host, max_keepalive_connections=per_host)
        self.tls = httpx.create_ssl_context()  # once: loading the CA bundle costs 50 ms a pool
        self.pools: dict[str, httpx.HTTPTransport] = {}
        self.lock = threading.Lock()

    def _pool(self, host: str) -> httpx.HTTPTransport:
        with self.lock:
            pool = self.pools.get(host)
            if pool is None:
                pool = self.pools[host] = httpx.HTTPTransport(
                    verify=self.tls, trust_env=False, limits=self.limits
                )
            return pool

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        if url.scheme not in ("http", "https") or not url.host:
            raise _RefusedError(f"not an http(s) URL with a host: {str(url)[:200]!r}", request=request)
        port = url.port or (443 if url.scheme == "https" else 80)
        try:
            ip, to_port = self.guard.address(url.host, port)
        except Refused as e:
            raise _RefusedError(str(e), request=request) from None
        headers = request.headers.copy()
        headers["Host"] = url.netloc.decode("ascii")
        direct = httpx.Request(
            request.method,
            url.copy_with(host=ip, port=to_port),
            headers=headers,
            stream=request.stream,
            extensions={**request.extensions, "sni_hostname": url.host},
        )
        return self._pool(url.host).handle_request(direct)

    def close(self) -> None:
        with self.lock:
            for pool in self.pools.values():
                pool.close()
            self.pools.clear()


class _RefusedError(httpx.TransportError):
    """A refusal of the guard, carried through httpx."""


class Fetcher:
    """Fetches URLs, from any number of threads, within `limits`, from the addresses `guard` allows."""

    def __init__(self, limits: Limits | None = None, guard: Guard | None = None) -> None:
        self.limits = limits or Limits()
        self.guard = guard or Guard()
        self.stop = threading.Event()
        self._hosts: dict[str, threading.Semaphore] = {}
        self._lock = threading.Lock()
        timeout = httpx.Timeout(
            connect=self.limits.connect_timeout,
            read=self.limits.read_timeout,
            write=self.limits.read_timeout,
            pool=self.limits.per_url,
        )
        self.client = httpx.Client(
            transport=GuardedTransport(self.guard, self.limits.per_host),
            timeout=timeout,
            follow_redirects=False,
            trust_env=False,
            headers={"User-Agent": USER_AGENT, "Accept": ACCEPT, "Accept-Encoding": "gzip, deflate"},
        )

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _host(self, host: str) -> Iterator[None]:
        """A turn among the requests to `host` (at most `per_host` at a time); a stop ends the wait."""
        with self._lock:
            gate = self._hosts.setdefault(host, threading.Semaphore(self.limits.per_host))
        while not gate.acquire(timeout=0.05):
            if self.stop.is_set():
                raise Stopped("the run was stopped", "stopped")
        try:
            if self.stop.is_set():
                raise Stopped("the run was stopped", "stopped")
            yield
        finally:
            gate.release()

    def fetch(
        self,
        url: str,
        headers: dict[str, str] | None = None,
        max_bytes: int | None = None,
        read_timeout: float | None = None,
        seconds: float | None = None,
    ) -> Fetched:
        """GET `url`, following redirects; never raises for anything the network or the server does.
        `max_bytes`, `read_timeout` and `seconds` (the whole fetch) override the limits for this URL."""
        allowed = seconds or self.limits.per_url
        deadline = time.monotonic() + allowed
        try:
            timeout = self.client.timeout
            if read_timeout is not None:
                timeout = httpx.Timeout(self.limits.connect_timeout, read=read_timeout, pool=timeout.pool)
            request = self.client.build_request("GET", url, headers=headers, timeout=timeout)
        except (httpx.InvalidURL, httpx.UnsupportedProtocol, UnicodeError) as e:
            return Fetched(url, problem="network", detail=f"not a URL parity can fetch: {e}")
        for _ in range(self.limits.max_redirects + 1):
            try:
                got = self._hop(request, max_bytes or self.limits.max_bytes, deadline)
            except Stopped as e:
                detail = f"took longer than {allowed:g} s" if e.problem == "timeout" else str(e)
                return Fetched(url, str(request.url), problem=e.problem, detail=detail)
            except _RefusedError as e:
                return Fetched(url, str(request.url), problem="refused", detail=str(e))
            except httpx.TimeoutException as e:
                return Fetched(url, str(request.url), problem="timeout", detail=_timeout(e))
            except (httpx.HTTPError, httpx.InvalidURL, UnicodeError) as e:  # a bad Location included
                return Fetched(url, str(request.url), problem="network", detail=f"{type(e).__name__}: {e}")
            if isinstance(got, Fetched):
                return replace(got, url=url)
            request = got
        detail = f"more than {self.limits.max_redirects} redirects"
        return Fetched(url, str(request.url), problem="redirects", detail=detail)

    def _hop(self, request: httpx.Request, max_bytes: int, deadline: float) -> Fetched | httpx.Request:
        """One URL of a redirect chain, with its retries: the answer read, or the next request."""
        tries = self.limits.retries + 1
        for attempt in range(tries):
            self._check(deadline)
            with self._host(request.url.host):
                response = self.client.send(request, stream=True)
                try:
                    if response.next_request is not None:
                        return response.next_request
                    pause = self._pause(response, attempt, tries, deadline)
                    if pause is None:
                        return self._read(response, max_bytes, deadline)
                finally:
                    response.close()
            if self.stop.wait(pause):  # the host's turn is given up while waiting
                raise Stopped("stopped", "stopped")
        raise AssertionError("the last try returns")  # pragma: no cover

    def _pause(self, response: httpx.Response, attempt: int, tries: int, deadline: float) -> float | None:
        """Seconds to wait before trying again, or None when this answer stands."""
        if response.status_code not in RETRIED or attempt + 1 >= tries:
            return None
        pause = _retry_after(response.headers.get("Retry-After"))
        if pause is None:
            pause = self.limits.backoff * 2**attempt
        if pause > self.limits.max_retry_after or time.monotonic() + pause >= deadline:
            return None  # waiting that long is not worth it: this answer stands
        return pause

    def _check(self, deadline: float) -> None:
        if self.stop.is_set():
            raise Stopped("the run was stopped", "stopped")
        if time.monotonic() >= deadline:
            raise Stopped("took longer than its deadline", "timeout")

    def _read(self, response: httpx.Response, max_bytes: int, deadline: float) -> Fetched:
        url = str(response.url)
        base = Fetched(
            url,
            url,
            response.status_code,
            response.headers.get("Content-Type"),
            headers={k.lower(): v for k, v in response.headers.items()},
        )
        if not response.is_success:
            return base  # the status says it all; its body is not read
        length = response.headers.get("Content-Length", "")
        if length.isdigit() and int(length) > max_bytes:
            return replace(
                base, problem="too_large", detail=f"{int(length)} bytes, over the cap of {max_bytes}"
            )
        try:
            body = _Body(response.headers.get("Content-Encoding", ""), max_bytes)
        except ValueError as e:
            return replace(base, problem="encoding", detail=str(e))
        try:
            for chunk in response.iter_raw():
                self._check(deadline)
                body.feed(chunk)
            return replace(base, body=body.finish())
        except _TooLarge:
            return replace(base, problem="too_large", detail=f"over the cap of {max_bytes} bytes")
        except zlib.error as e:
            return replace(base, problem="encoding", detail=f"the body is not valid {body.encoding}: {e}")


class _TooLarge(Exception):
    pass


class _Body:
    """A body read chunk by chunk, decompressed with a bounded output, that stops at the cap."""

    def __init__(self, encoding: str, cap: int) -> None:
        self.encoding = encoding.strip().lower()
        if self.encoding in ("", "identity"):
            self.inflate = None
        elif self.encoding in ("gzip", "x-gzip"):
            self.inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif self.encoding == "deflate":
            self.inflate = zlib.decompressobj()
        else:
            raise ValueError(f"content encoding {encoding!r} is not one parity asked for")
        self.cap = cap
        self.raw = 0
        self.out = bytearray()

    def feed(self, chunk: bytes) -> None:
        self.raw += len(chunk)
        if self.raw > self.cap:
            raise _TooLarge
        if self.inflate is None:
            self.out += chunk
        else:
            self.out += self.inflate.decompress(chunk, self.cap + 1 - len(self.out))
            if self.inflate.unconsumed_tail:
                raise _TooLarge  # more output is waiting than the cap allows
        if len(self.out) > self.cap:
            raise _TooLarge

    def finish(self) -> bytes:
        if self.inflate is not None:
            self.out += self.inflate.flush(self.cap + 1 - len(self.out))
            if len(self.out) > self.cap:
                raise _TooLarge
        return bytes(self.out)


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header: a number of seconds or an HTTP date; None if absent or bad."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _timeout(e: httpx.TimeoutException) -> str:
    kind = {
        httpx.ConnectTimeout: "no connection",
        httpx.ReadTimeout: "no answer",
        httpx.WriteTimeout: "could not send",
        httpx.PoolTimeout: "no free connection",
    }.get(type(e), "timed out")
    return f"{kind} within the time allowed"
