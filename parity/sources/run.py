"""One run of `parity sources`: the URLs chosen, each fetched and judged, the record brought up to date.

Each URL gets one status (docs/sources.md): `gone` (404, 410), `blocked` (401, 403, 407, 429, 451),
`unreachable` (no answer, a timeout, 5xx after retries, another status, a private address, a body over the
cap or with no text parity can read), and for a page whose text was read: `drifted` (a quote is missing),
`changed` (no quote to look up, and the text differs from the record's), else `ok`. URLs are fetched a few
at a time; the run stops starting new ones when its time budget runs out, and those left are not checked
(their entries in the record stay as they were).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Protocol

from parity.dataset import Dataset
from parity.errors import UsageError
from parity.models import suggest
from parity.sources import archive as wayback
from parity.sources.citations import Cited, citations, quotes
from parity.sources.fetch import Fetched, Fetcher
from parity.sources.record import FAILING, SCHEMA, QuoteCheck, SourceEntry, SourceRecord, merge
from parity.sources.text import Page, Unreadable, fingerprint, text_of
from parity.vocabulary import window_start

GONE = frozenset({404, 410})
BLOCKED = frozenset({401, 403, 407, 429, 451})
READ = ("ok", "drifted", "changed")  # the statuses of a page whose text was read: worth archiving


class Progress(Protocol):
    """A progress bar (tqdm's, on a terminal): told of each URL done, closed at the end."""

    def update(self, n: int = 1) -> object: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class Selection:
    """Which URLs a run checks: all, or those of some labs, some URLs, or those checked long ago."""

    labs: tuple[str, ...] = ()
    urls: tuple[str, ...] = ()
    older_than: int | None = None  # days

    @property
    def everything(self) -> bool:
        return not (self.labs or self.urls or self.older_than)


@dataclass(frozen=True)
class Run:
    """What a run found: the entries it checked, the URLs it could not reach in time, the merged record."""

    checked_at: dt.date
    checked: list[SourceEntry]
    unchecked: list[str]
    record: SourceRecord

    def failing(self) -> list[SourceEntry]:
        """The URLs checked whose evidence no longer stands (`--fail-on-drift`)."""
        return [e for e in self.checked if e.status in FAILING]

    def document(self) -> SourceRecord:
        """This run's entries as a record (the JSON output)."""
        return SourceRecord.model_validate(
            {"schema": SCHEMA, "checked_at": self.checked_at, "sources": self.checked}
        )


def select(
    cited: dict[str, list[Cited]], record: SourceRecord | None, chosen: Selection, today: dt.date
) -> list[str]:
    """The URLs to check, sorted; a lab or URL the data does not cite is a usage error."""
    urls = list(cited)
    if chosen.labs:
        known = {c.lab for cs in cited.values() for c in cs if c.lab}
        for lab in chosen.labs:
            if lab not in known:
                raise UsageError(f"no evidence of lab {lab!r} to check{suggest(lab, known)}")
        urls = [u for u in urls if any(c.lab in chosen.labs for c in cited[u])]
    if chosen.urls:
        for url in chosen.urls:
            if url not in cited:
                raise UsageError(f"{url} is cited by no evidence{suggest(url, cited)}")
        urls = [u for u in urls if u in chosen.urls]
    if chosen.older_than is not None:
        since = window_start(today, chosen.older_than)
        known_entries = record.by_url() if record is not None else {}
        urls = [u for u in urls if u not in known_entries or known_entries[u].checked < since]
    return urls


def run(
    data: Dataset,
    record: SourceRecord | None,
    chosen: Selection,
    fetcher: Fetcher,
    today: dt.date,
    archive: bool = False,
    progress: Callable[[int], Progress] | None = None,
) -> Run:
    """Check the chosen URLs (`archive`: and ask the archive to keep each page read); `progress(total)`
    makes the progress bar, if one is wanted."""
    cited = citations(data)
    urls = select(cited, record, chosen, today)
    previous = record.by_url() if record is not None else {}
    archiving = threading.Lock()  # the archive is asked one page at a time

    def check(url: str) -> SourceEntry | None:
        if fetcher.stop.is_set():
            return None
        got = fetcher.fetch(url)
        if got.problem == "stopped":
            return None
        entry = judge(got, quotes(cited[url]), previous.get(url), today)
        if archive and entry.status in READ:
            with archiving:
                address, problem = wayback.archive(fetcher, url)
            entry = entry.model_copy(update={"archive_url": address, "archive_error": problem})
        return entry

    done = _pooled(urls, check, fetcher, progress)
    checked = [entry for u in urls if (entry := done.get(u)) is not None]
    unchecked = [u for u in urls if done.get(u) is None]
    merged = merge(record, checked, cited, prune=chosen.everything)
    kept = merged.by_url()  # each entry as the record now holds it: its citations, since when
    return Run(today, [kept[e.url] for e in checked], unchecked, merged)


def _pooled(
    urls: list[str],
    check: Callable[[str], SourceEntry | None],
    fetcher: Fetcher,
    progress: Callable[[int], Progress] | None,
) -> dict[str, SourceEntry | None]:
    """`check` every URL, `workers` at a time, within the time budget (then the fetcher is stopped)."""
    budget = threading.Timer(fetcher.limits.budget, fetcher.stop.set)
    budget.daemon = True
    bar = progress(len(urls)) if progress is not None else None
    pool = ThreadPoolExecutor(max_workers=fetcher.limits.workers, thread_name_prefix="parity-sources")
    done: dict[str, SourceEntry | None] = {}
    try:
        budget.start()
        futures: dict[Future[SourceEntry | None], str] = {pool.submit(check, url): url for url in urls}
        for future in as_completed(futures):
            done[futures[future]] = future.result()
            if bar is not None:
                bar.update(1)
    except BaseException:  # Ctrl-C: stop every fetch now, start no other
        fetcher.stop.set()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        budget.cancel()
        if bar is not None:
            bar.close()
    pool.shutdown(wait=True)
    return done


def judge(got: Fetched, wanted: list[str], before: SourceEntry | None, today: dt.date) -> SourceEntry:
    """The record's entry for what one URL gave."""
    base = {
        "url": got.url,
        "checked": today,
        "since": today,
        "http_status": got.status,
        "final_url": got.final_url,
        "content_type": got.content_type,
        "quotes": [QuoteCheck(quote=q, found=False) for q in wanted] if wanted else [],
    }
    if got.problem is not None:
        return SourceEntry.model_validate({**base, "status": "unreachable", "error": got.detail})
    status = got.status or 0
    if status in GONE or status in BLOCKED or not 200 <= status < 300:
        kind = "gone" if status in GONE else "blocked" if status in BLOCKED else "unreachable"
        return SourceEntry.model_validate({**base, "status": kind, "error": f"HTTP {status}"})
    try:
        text = text_of(got.body, got.content_type)
    except Unreadable as e:
        return SourceEntry.model_validate({**base, "status": "unreachable", "error": str(e)})
    if not text:
        error = "no text in it (a scanned PDF, or a page its scripts build?)"
        return SourceEntry.model_validate({**base, "status": "unreachable", "error": error})
    return _read(base, text, wanted, before)


def _read(base: dict[str, object], text: str, wanted: list[str], before: SourceEntry | None) -> SourceEntry:
    """A page whose text was read: its quotes looked up, its text compared with the last check's."""
    page = Page(text)
    checks = []
    for quote in wanted:
        found = page.find(quote)
        checks.append(
            QuoteCheck(quote=quote, found=found.found, closest=found.closest, similarity=found.similarity)
        )
    digest = fingerprint(text)
    if any(not c.found for c in checks):
        status = "drifted"
    elif not wanted and before is not None and before.text_sha256 not in (None, digest):
        status = "changed"
    else:
        status = "ok"
    return SourceEntry.model_validate({**base, "status": status, "quotes": checks, "text_sha256": digest})
