"""`--archive`: ask a public web archive to keep a copy of a page, and learn the copy's address.

The archive is the Wayback Machine's Save Page Now: `GET <endpoint><url>` asks it to capture the page; it
answers with the capture's address in `Content-Location`, or by redirecting to it. The endpoint is
`$PARITY_ARCHIVE_ENDPOINT` when set (the tests point it at a stand-in on 127.0.0.1), else
`https://web.archive.org/save/`. `$PARITY_ARCHIVE_AUTH`, when set, is sent as the `Authorization` header
(`LOW <access key>:<secret>`, an archive.org account's keys, which allow more captures a day); parity
never writes it anywhere. The request goes through the same fetcher as every other: the same address
check, the same politeness (one request at a time to the archive, Retry-After honoured).
"""

from __future__ import annotations

import os
import re
from urllib.parse import urljoin

from parity.sources.fetch import Fetcher

ENDPOINT_VARIABLE = "PARITY_ARCHIVE_ENDPOINT"
AUTH_VARIABLE = "PARITY_ARCHIVE_AUTH"
DEFAULT_ENDPOINT = "https://web.archive.org/save/"
_CAPTURE = re.compile(r"/web/[0-9]{14}[a-z_]*/")  # the path of a Wayback capture: /web/<timestamp>/<url>
ANSWER_BYTES = 2 * 1024 * 1024  # the archive's answer is a page about the capture, read no further
READ_TIMEOUT = 120.0  # capturing a page takes the archive a while
SECONDS = 300.0


def endpoint() -> str:
    return os.environ.get(ENDPOINT_VARIABLE) or DEFAULT_ENDPOINT


def archive(fetcher: Fetcher, url: str) -> tuple[str | None, str | None]:
    """(the address of the archive's copy, None), or (None, why there is none)."""
    save = endpoint()
    auth = os.environ.get(AUTH_VARIABLE)
    headers = {"Authorization": auth} if auth else None
    got = fetcher.fetch(save + url, headers, ANSWER_BYTES, READ_TIMEOUT, SECONDS)
    for candidate in (got.headers.get("content-location", ""), got.final_url or ""):
        if _CAPTURE.search(candidate):
            return urljoin(save, candidate), None
    if got.problem is not None:
        return None, f"the archive could not be reached: {got.detail}"
    return None, f"the archive answered HTTP {got.status} without the address of a copy"
