"""`parity sources` as text (`table`, `markdown`) and data (`json`, `parity/sources/v1`): a line per URL
checked, then each missing quote beside the closest passage found. URLs, quotes and page text are
escaped for the medium: a web page's words are the least trusted text parity prints."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING

from tabulate import tabulate

from parity.formats.escape import markdown, terminal
from parity.vocabulary import plural

if TYPE_CHECKING:  # imported when a run is rendered, not whenever a format is looked up
    from parity.sources.record import SourceEntry
    from parity.sources.run import Run

Escape = Callable[[str], str]
_HEADERS = ["status", "http", "url", "cited by", "detail"]
_LONGEST = 160  # characters of a quote or passage shown in a table


def json_text(result: Run) -> str:
    from parity.sources.record import dumps

    return dumps(result.document())


def table(result: Run) -> str:
    return _text(result, terminal, "simple", _quoted_terminal)


def markdown_text(result: Run) -> str:
    return _text(result, markdown, "github", _quoted_markdown)


def summary(result: Run) -> str:
    """One line: how many URLs were checked, and how each came out."""
    from parity.sources.record import SOURCE_STATUSES

    counts: Counter[str] = Counter(e.status for e in result.checked)
    parts = [f"{counts[s]} {s}" for s in SOURCE_STATUSES if counts[s]]
    line = f"{plural(len(result.checked), 'URL')} checked on {result.checked_at.isoformat()}"
    line += f": {', '.join(parts)}" if parts else ""
    if result.unchecked:
        line += f"; {len(result.unchecked)} not checked (the time budget ran out or the run was stopped)"
    return line


def _text(result: Run, esc: Escape, style: str, quoted: Callable[[str, str], str]) -> str:
    out = [esc(f"parity sources: {summary(result)}"), ""]
    if result.checked:
        rows = [_row(e, esc) for e in result.checked]
        out += [tabulate(rows, headers=_HEADERS, tablefmt=style, disable_numparse=True), ""]
    drifted = [e for e in result.checked if e.status == "drifted"]
    for e in drifted:
        out.append(esc(f"drifted: {e.url} (checked {e.checked.isoformat()})"))
        for q in e.quotes:
            if not q.found:
                similarity = f" ({round((q.similarity or 0) * 100)}% alike)" if q.closest else ""
                out.append(quoted("quoted", _cut(q.quote)))
                out.append(quoted(f"closest{similarity}", _cut(q.closest or "nothing alike")))
        out.append("")
    if result.unchecked:
        out.append(esc("not checked: " + ", ".join(result.unchecked)))
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def _row(e: SourceEntry, esc: Escape) -> list[str]:
    url = e.url if e.final_url in (None, e.url) else f"{e.url} -> {e.final_url}"
    return [
        e.status,
        "" if e.http_status is None else str(e.http_status),
        esc(url),
        esc(_cited(e)),
        esc(_detail(e)),
    ]


def _cited(e: SourceEntry) -> str:
    names = sorted({f"{c.lab}/{c.practice}" if c.lab else f"{c.pack}/{c.rule}" for c in e.cited_by})
    return names[0] + (f" (+{len(names) - 1})" if len(names) > 1 else "") if names else ""


def _detail(e: SourceEntry) -> str:
    parts = []
    if e.error:
        parts.append(e.error)
    missing = sum(1 for q in e.quotes if not q.found)
    if e.status == "drifted":
        parts.append(f"{missing} of {plural(len(e.quotes), 'quote')} missing")
    elif e.status == "changed":
        parts.append("the text differs from the last check")
    if e.status != "ok" and e.since < e.checked:
        parts.append(f"since {e.since.isoformat()}")
    if e.archive_url:
        parts.append(f"archived: {e.archive_url}")
    if e.archive_error:
        parts.append(e.archive_error)
    return "; ".join(parts)


def _cut(text: str) -> str:
    return text if len(text) <= _LONGEST else text[: _LONGEST - 1] + "…"


def _quoted_terminal(label: str, text: str) -> str:
    return f"  {label}: {terminal(text)!s}"


def _quoted_markdown(label: str, text: str) -> str:
    return f"- {label}: {markdown(text)}"
