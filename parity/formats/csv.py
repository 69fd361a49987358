"""CSV for spreadsheets (RFC 4180, written by the standard library's `csv`): one row per verdict of a
check, one row per change of a diff. Every row names the evaluation date, the parity version and its
pack's version, so a row copied into another sheet still says where it comes from. The columns are
documented in docs/report.md ("CSV"); `CHECK_COLUMNS` and `DIFF_COLUMNS` are their order.

Profile text is untrusted here too: control characters are shown as escapes, and a text cell that a
spreadsheet would run as a formula (it starts with = + - or @; a tab or a carriage return is escaped) is
prefixed with a quote mark, as OWASP advises. Numbers, dates and ids are written as they are.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from parity.formats.escape import terminal
from parity.formats.present import gap_unit
from parity.models import Response
from parity.report import Report, Verdict
from parity.vocabulary import show

if TYPE_CHECKING:
    from parity.diff import Diff

__all__ = ["CHECK_COLUMNS", "DIFF_COLUMNS", "check", "diff", "matrix", "text_cell"]

# Each column and what it holds (docs/report.md shows these, and a test holds the two together).
CHECK_COLUMNS: dict[str, str] = {
    "as_of": "the evaluation date",
    "parity_version": "the version of parity that wrote the file",
    "lab": "the lab's id",
    "lab_name": "the lab's name",
    "rule": "the rule's id",
    "title": "the rule's title",
    "pack": "the rule's pack",
    "pack_version": "that pack's version",
    "area": "the rule's area",
    "indicator": "the indicator judged (for a commitment: the `require` indicator)",
    "severity": "the rule's severity",
    "status": "the verdict's status (`waived` for a waived shortfall)",
    "waived_status": "for a waived verdict, the status the waiver covers (`below`, `undisclosed`)",
    "state": (
        "the judged practice's state (`disclosed`, `unevidenced`, `undisclosed`, `unassessed`, "
        "`not_applicable`, `derived`)"
    ),
    "value": "the lab's value; empty unless it has one",
    "unit": "the indicator's unit, where it declares one",
    "bar_kind": "`best`, `quorum`, `median`, `all`, `threshold`, `within_days` or `require`",
    "bar": "the bar's value; empty when it does not bind",
    "set_by": "the peers that set the bar (at most 20)",
    "set_by_count": "how many peers set it",
    "peers_disclosed": "how many peers disclosed the practice",
    "blocked_by": "`all` bars: the peers that keep it from binding",
    "gap": "how far below the bar (positive) or above it (negative); empty where it does not apply",
    "gap_unit": (
        "what the gap counts: `days` (dates), `steps` (levels), the indicator's unit, or `points` for a "
        "number that declares none (as the other formats word the gap)"
    ),
    "flags": "`stale`, `unevidenced`, `waiver_expired`, `held`, `no_history`",
    "due": "`within_days` bars: the last day the value meets the bar",
    "overdue": "past `due`: how many days past it",
    "evidence_urls": "the lab's evidence, its URLs",
    "evidence_dates": "the dates of that evidence, in the same order",
    "file": "the profile file of the practice, relative to the data's folder",
    "line": "the line of the practice in that file",
    "waiver_reason": "waived verdicts: the waiver's reason",
    "waiver_expires": "waived verdicts: the waiver's expiry date",
    "responses": "how many responses of the lab answer this finding (right of reply)",
    "response_stance": (
        "the latest response's stance (`disputes`, `acknowledges`, `will_change`); empty for a "
        "request not answered yet"
    ),
    "response_date": "the latest response's date; empty while no answer has come",
    "response_asked": "when the watchdog asked",
    "response_url": "where the answer was published",
    "response_quote": "the answer's words",
}
DIFF_COLUMNS: dict[str, str] = {
    "as_of": "the evaluation date",
    "parity_version": "the version of parity that wrote the file",
    "base": "the base side as given (a revision, a folder or a saved report)",
    "base_commit": "the base's commit, for a revision",
    "head": "the head side as given (`worktree` for the working tree)",
    "head_commit": "the head's commit, for a revision",
    "lab": "the lab's id",
    "rule": "the rule's id",
    "title": "the rule's title",
    "change": "`new`, `resolved`, `changed`, `added` or `removed`",
    "cause": "`own`, `bar`, `rule`, `waiver` or `as_of`",
    "moved_by": "for a change of cause `bar`: the competitors whose data moved it",
    "severity": "the rule's severity",
    "before_status": "the status on the base side",
    "after_status": "the status on the head side",
    "before_value": "the lab's value on the base side",
    "after_value": "the lab's value on the head side",
    "before_bar": "the bar on the base side",
    "after_bar": "the bar on the head side",
    "pack_version_changed": "`true` when the rule's pack has another version on the other side",
}
_FORMULA = ("=", "+", "-", "@")  # a leading tab or carriage return is already escaped by `terminal`


def text_cell(text: str | None) -> str:
    """Free text as a cell: control characters as escapes, never a formula."""
    if not text:
        return ""
    safe = terminal(text)
    return "'" + safe if safe.startswith(_FORMULA) else safe


def _value(value: Any) -> str:
    """A value as the data writes it (true/false, YYYY-MM-DD, numbers as written); empty for none."""
    return "" if value is None else show(value)


def _rows(rows: Iterable[list[str]]) -> Iterator[str]:
    """Rows as RFC 4180 text (CRLF line ends, fields quoted where they must be), a few hundred at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for i, row in enumerate(rows, start=1):
        writer.writerow(row)
        if i % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _version() -> str:
    from parity._version import __version__

    return __version__


def _latest(responses: tuple[Response, ...]) -> list[str]:
    if not responses:
        return ["0", "", "", "", "", ""]
    r = responses[-1]
    return [
        str(len(responses)),
        r.stance or "",
        _value(r.date),
        _value(r.asked),
        r.url or "",
        text_cell(r.quote),
    ]


def verdict_row(report: Report, v: Verdict, head: list[str], versions: dict[str, str]) -> list[str]:
    """One verdict as a row of CHECK_COLUMNS."""
    info = report.indicators.get(v.indicator)
    bar, waiver = v.bar, v.waiver
    overdue = v.overdue(report.as_of)
    return [
        *head,
        v.lab,
        text_cell(report.labs[v.lab].name if v.lab in report.labs else ""),
        v.rule,
        text_cell(v.title),
        v.pack,
        versions.get(v.pack, ""),
        v.area,
        v.indicator,
        v.severity,
        v.status,
        waiver.underlying if waiver else "",
        v.state,
        _value(v.value),
        text_cell(info.unit if info else None),
        bar.kind,
        _value(bar.value),
        " ".join(bar.set_by),
        str(bar.set_by_count),
        str(bar.peers_disclosed),
        " ".join(bar.blocked_by or ()),
        _value(v.gap),
        gap_unit(info) if v.gap is not None else "",
        " ".join(v.flags),
        _value(v.due),
        _value(overdue),
        " ".join(e.url for e in v.evidence),
        " ".join(e.date.isoformat() for e in v.evidence),
        v.location.file,
        str(v.location.line),
        text_cell(waiver.reason) if waiver else "",
        _value(waiver.expires) if waiver else "",
        *_latest(v.responses),
    ]


def check(report: Report) -> Iterator[str]:
    """The report's verdicts, one row each, in the report's order (by lab, then rule)."""
    head = [report.as_of.isoformat(), _version()]
    versions = dict(report.packs)
    rows = (verdict_row(report, v, head, versions) for v in report.verdicts)
    yield from _rows([list(CHECK_COLUMNS)])
    yield from _rows(rows)


def diff(result: Diff) -> str:
    """A diff's changes, one row each."""
    base, head = result.base, result.head
    first = [
        head.report.as_of.isoformat(),
        _version(),
        text_cell(base.ref),
        base.commit or "",
        text_cell(head.ref),
        head.commit or "",
    ]
    rows = [list(DIFF_COLUMNS)]
    for c in result.changes:
        b, a = c.before or {}, c.after or {}
        rows.append(
            [
                *first,
                c.lab,
                c.rule,
                text_cell(c.title),
                c.change,
                c.cause,
                " ".join(c.moved_by),
                c.severity,
                b.get("status") or "",
                a.get("status") or "",
                _value(b.get("value")),
                _value(a.get("value")),
                _value(b.get("bar")),
                _value(a.get("bar")),
                "true" if c.pack_version_changed else "false",
            ]
        )
    return "".join(_rows(rows))


def matrix(report: Report) -> str:
    """Labs x rules: each cell the verdict's status (empty where the rule does not judge the lab), with
    the rules as columns in id order and the labs as rows in the report's order."""
    rules = sorted({v.rule for v in report.verdicts})
    status = {(v.lab, v.rule): v.status for v in report.verdicts}
    rows = [["lab", *rules]]
    rows += [[lab, *(status.get((lab, rule), "") for rule in rules)] for lab in report.labs]
    return "".join(_rows(rows))
