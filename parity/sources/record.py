"""The source record (`parity/sources/v1`, docs/sources.md): what `parity sources` found at each URL the data
cites, kept in a file committed beside the profiles so that `check` reads it and never the network.

Read with every problem located (`file:line:column: field: message`: JSON is YAML, so the profiles' own
parser places each key); merged so that re-checking some URLs never loses the others; turned into the
notes `check` flags verdicts by. No network here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from parity.errors import LoadError, Problem
from parity.loading import yamldoc
from parity.loading.messages import Problems, validated
from parity.models import Date
from parity.report import SourceNote
from parity.sources.citations import Cited

SCHEMA = "parity/sources/v1"
SourceStatus = Literal["ok", "drifted", "changed", "gone", "blocked", "unreachable"]
SOURCE_STATUSES: tuple[str, ...] = get_args(SourceStatus)
FAILING = ("drifted", "gone")  # what `--fail-on-drift` and the verdict flags are about


class _Doc(BaseModel):
    # Written by parity, read by parity: a newer parity's extra fields are kept, never an error.
    model_config = ConfigDict(extra="allow", frozen=True)


class QuoteCheck(_Doc):
    """One quote looked up at the URL."""

    quote: str = Field(description="As the evidence gives it.")
    found: bool
    closest: str | None = Field(None, description="Not found: the passage of the page most like it.")
    similarity: float | None = Field(None, ge=0, le=1, description="Not found: how close that passage is.")


class CitedBy(_Doc):
    """Who cites the URL: a lab's practice, or a rule of a pack; `field` is where in it."""

    field: str
    lab: str | None = None
    practice: str | None = None
    pack: str | None = None
    rule: str | None = None


class SourceEntry(_Doc):
    """One URL as parity last found it."""

    url: str
    status: SourceStatus
    checked: Date = Field(description="The day parity last checked it.")
    since: Date = Field(description="The first check of the run of checks that found this status.")
    http_status: int | None = Field(None, description="The last answer's status; absent without one.")
    final_url: str | None = Field(None, description="Where redirects led.")
    content_type: str | None = None
    text_sha256: str | None = Field(None, description="SHA-256 of the normalised text (docs/sources.md).")
    archive_url: str | None = Field(None, description="A copy kept by a public web archive (--archive).")
    error: str | None = Field(None, description="Why it is blocked or unreachable, in words.")
    archive_error: str | None = Field(None, description="Why the last --archive kept no copy.")
    quotes: list[QuoteCheck] = []
    cited_by: list[CitedBy] = []


class SourceRecord(_Doc):
    """The record file, and the JSON of `parity sources --format json` (the URLs of that run)."""

    schema_: Literal["parity/sources/v1"] = Field(alias="schema")
    checked_at: Date | None = Field(None, description="The day of the newest check in it.")
    sources: list[SourceEntry] = []

    def by_url(self) -> dict[str, SourceEntry]:
        return {e.url: e for e in self.sources}


def read(path: Path) -> SourceRecord | None:
    """The record at `path`, or None when there is none; LoadError with every problem located."""
    name = str(path)
    try:
        if path.stat().st_size > yamldoc.MAX_FILE_BYTES:
            raise LoadError([Problem(name, 1, 1, "", f"over {yamldoc.MAX_FILE_BYTES} bytes")])
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as e:
        raise LoadError([Problem(name, 1, 1, "", f"cannot read it: {e.strerror}")]) from None
    try:
        data = json.loads(raw)
    except UnicodeDecodeError as e:
        raise LoadError([Problem(name, 1, 1, "", f"not UTF-8: {e.reason}")]) from None
    except json.JSONDecodeError as e:
        raise LoadError([Problem(name, e.lineno, e.colno, "", f"JSON syntax error: {e.msg}")]) from None
    try:
        return SourceRecord.model_validate(data)
    except ValidationError:
        raise LoadError(_located(raw, name, data)) from None


def _located(raw: bytes, name: str, data: object) -> list[Problem]:
    """Every validation problem of the record at its line and column."""
    try:
        doc = yamldoc.parse(raw, name)
    except LoadError:  # JSON that YAML cannot read (rare): the problems are placed at the top
        doc = yamldoc.Located(name, data, None)
    problems = Problems()
    validated(doc, SourceRecord, data, (), problems)
    return problems.items or [Problem(name, 1, 1, "", "not a source record")]


def dumps(record: SourceRecord) -> str:
    """The record as its file holds it: sorted by URL, two-space indents, UTF-8, absent fields left out."""
    doc = record.model_dump(mode="json", by_alias=True, exclude_none=True)
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def cited_by(cited: list[Cited]) -> list[CitedBy]:
    return [CitedBy(field=c.field, lab=c.lab, practice=c.practice, pack=c.pack, rule=c.rule) for c in cited]


def merge(
    old: SourceRecord | None,
    fresh: list[SourceEntry],
    cited: dict[str, list[Cited]],
    prune: bool,
) -> SourceRecord:
    """The record with this run's entries in it: the others kept as they were (their citations brought up
    to date), an entry's `since` and `archive_url` carried on while they hold. `prune` (a run over every
    URL) drops the URLs no evidence cites any more."""
    entries = dict(old.by_url()) if old is not None else {}
    for entry in fresh:
        entries[entry.url] = carried(entries.get(entry.url), entry)
    out = []
    for url, entry in sorted(entries.items()):
        if url in cited:
            entry = entry.model_copy(update={"cited_by": cited_by(cited[url])})
        elif prune:
            continue
        out.append(entry)
    newest = max((e.checked for e in out), default=None)
    return SourceRecord.model_validate({"schema": SCHEMA, "checked_at": newest, "sources": out})


def carried(before: SourceEntry | None, now: SourceEntry) -> SourceEntry:
    """`now`, keeping what the earlier check knew that still holds: when the status began, the copy."""
    if before is None:
        return now
    update: dict[str, object] = {}
    if before.status == now.status and before.since < now.since:
        update["since"] = before.since
    if now.archive_url is None and before.archive_url is not None:
        update["archive_url"] = before.archive_url
    return now.model_copy(update=update) if update else now


def notes(record: SourceRecord | None) -> dict[str, SourceNote]:
    """What `check` flags verdicts by: each URL the record finds drifted (with its missing quotes) or
    gone, by URL."""
    out: dict[str, SourceNote] = {}
    for e in record.sources if record is not None else ():
        if e.status == "gone":
            out[e.url] = SourceNote("gone", e.checked)
        elif e.status == "drifted":
            missing = tuple(sorted(((q.quote, q.closest) for q in e.quotes if not q.found), key=_quote))
            out[e.url] = SourceNote("drifted", e.checked, missing)
    return out


def _quote(item: tuple[str, str | None]) -> str:
    return item[0]
