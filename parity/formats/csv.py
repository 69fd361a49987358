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
from parity.models import Response
from parity.report import IndicatorInfo, Report, Verdict
from parity.vocabulary import show

if TYPE_CHECKING:
    from parity.diff import Diff

__all__ = ["CHECK_COLUMNS", "DIFF_COLUMNS", "check", "diff", "matrix", "text_cell"]

CHECK_COLUMNS = (
    "as_of",
    "parity_version",
    "lab",
    "lab_name",
    "rule",
    "title",
    "pack",
    "pack_version",
    "area",
    "indicator",
    "severity",
    "status",
    "waived_status",
    "state",
    "value",
    "unit",
    "bar_kind",
    "bar",
    "set_by",
    "set_by_count",
    "peers_disclosed",
    "blocked_by",
    "gap",
    "gap_unit",
    "flags",
    "due",
    "overdue",
    "evidence_urls",
    "evidence_dates",
    "file",
    "line",
    "waiver_reason",
    "waiver_expires",
    "responses",
    "response_stance",
    "response_date",
    "response_asked",
    "response_url",
    "response_quote",
)
DIFF_COLUMNS = (
    "as_of",
    "parity_version",
    "base",
    "base_commit",
    "head",
    "head_commit",
    "lab",
    "rule",
    "title",
    "change",
    "cause",
    "moved_by",
    "severity",
    "before_status",
    "after_status",
    "before_value",
    "after_value",
    "before_bar",
    "after_bar",
    "pack_version_changed",
)
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


def gap_unit(info: IndicatorInfo | None) -> str:
    """What a gap counts (docs/verdicts.md): days for dates, steps for levels, the indicator's unit."""
    if info is None:
        return ""
    return {"date": "days", "level": "steps"}.get(info.type, info.unit or "")


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
