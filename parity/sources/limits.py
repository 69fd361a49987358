"""Every bound of a `parity sources` run, in one place (docs/sources.md). No network imports: the command
line states the defaults in its help without loading the HTTP client."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """How long, how much and how often: every bound of a run (docs/sources.md)."""

    connect_timeout: float = 10.0  # seconds to open a connection
    read_timeout: float = 20.0  # seconds to wait for the next bytes
    per_url: float = 90.0  # seconds one URL may take, redirects and retries included
    max_bytes: int = 32 * 1024 * 1024  # of a body, after decompression
    per_host: int = 2  # requests to one host at a time
    workers: int = 8  # requests at a time in all
    retries: int = 2  # after the first try, on 5xx and 429
    backoff: float = 2.0  # seconds before the first retry; doubled for each next one
    max_retry_after: float = 120.0  # a longer Retry-After is not waited for: the answer stands
    max_redirects: int = 10
    budget: float = 1800.0  # seconds for the whole run; URLs not started by then are left for next time
