"""The pages an edition adds to the scorecard: the open data (every file a reader can take away, and the
CSV's columns), what changed since the last edition, and the watchdog's corrections. Views only: the
changes come from `changes`, the columns from `formats.csv`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from parity.formats.csv import CHECK_COLUMNS
from parity.formats.present import CAUSES, plural
from parity.site.changes import KINDS, Changes, Entry, correction_entry
from parity.site.view import Pages, View, evidence

if TYPE_CHECKING:
    from parity.history.records import Recorded


def _words(text: str) -> list[View]:
    """Text with its `code` spans marked, as the column descriptions write them."""
    return [{"text": piece, "code": i % 2 == 1} for i, piece in enumerate(text.split("`")) if piece]


def open_data(pages: Pages, history: bool) -> View:
    """The data page: each file, what it holds, and the columns of the verdicts' CSV."""
    report = pages.report
    files = [
        ("report.json", "JSON", "the whole report: every verdict with its bar, setters, gap and evidence"),
        ("verdicts.csv", "CSV", "every verdict, one row each, for a spreadsheet (the columns are below)"),
        (
            "matrix.csv",
            "CSV",
            "labs by rules: each cell the verdict's status, empty where a rule does not judge",
        ),
        ("scorecard.md", "Markdown", "the labs by score, beside coverage, for a README"),
    ]
    if history:
        files.append(
            ("history.json", "JSON", "the labs' story behind the charts: points, regressions, alarms")
        )
    if pages.published:
        files.append(("feed.xml", "Atom", "what changed since the last edition, for a feed reader"))
    return {
        "meta": pages.meta("", "Open data", "data.html"),
        "files": [{"href": name, "name": name, "kind": kind, "what": what} for name, kind, what in files],
        "badges": [pages.badge(lab, "") for lab in report.labs],
        "columns": [{"name": name, "what": _words(what)} for name, what in CHECK_COLUMNS.items()],
    }


def _entry(pages: Pages, e: Entry) -> View:
    return {
        "kind": e.kind,
        "label": KINDS[e.kind],
        "date": e.date.isoformat(),
        "title": e.title,
        "text": e.text,
        "lab": pages.lab_link("", e.lab) if e.lab else None,
        "rule_href": pages.rule_href("", e.rule) if e.rule and e.rule in pages.report.rules else None,
        "evidence": [
            {"label": label, "sources": [evidence(x) for x in items]} for label, items in e.evidence
        ],
    }


def changes_page(pages: Pages, changes: Changes, entries: list[Entry]) -> View:
    """What changed since the last edition: every entry of the feed, newest first, by kind."""
    counts = {kind: sum(1 for e in entries if e.kind == kind) for kind in KINDS}
    return {
        "meta": pages.meta("", "What changed", "changes.html"),
        "previous": changes.previous,
        "previous_as_of": changes.previous_as_of.isoformat(),
        "previous_commit": (changes.previous_commit or "")[:12],
        "entries": [_entry(pages, e) for e in entries],
        "counts": [{"kind": k, "label": KINDS[k], "count": n} for k, n in counts.items()],
        "other": changes.other_changes(),
        "corrections_known": changes.corrections is not None,
        "packs": [{"pack": p, "before": b or "none", "after": a or "none"} for p, b, a in changes.diff.packs],
        "causes": list(CAUSES.items()),
    }


def _by_revision(pages: Pages, log: list[Recorded]) -> list[View]:
    groups: list[dict[str, Any]] = []
    for r in log:
        if not groups or groups[-1]["key"] != r.revision.key:
            groups.append(
                {
                    "key": r.revision.key,
                    "ref": r.revision.ref,
                    "date": (r.revision.committed or r.revision.date).isoformat(),
                    "subject": r.revision.subject,
                    "corrections": [],
                }
            )
        e = correction_entry(r, pages.report)
        groups[-1]["corrections"].append(
            {
                "lab": pages.lab_link("", r.lab) if r.lab else None,
                "subject": r.subject,
                "what": r.what,
                "past": r.past.isoformat() if r.past else None,
                "text": e.text,
            }
        )
    return groups


def corrections_page(pages: Pages, changes: Changes) -> View:
    """The watchdog's corrections of its own record, commit by commit, newest first."""
    log = changes.log or []
    commits = len({r.revision.key for r in log})
    return {
        "meta": pages.meta("", "Corrections", "corrections.html"),
        "known": changes.log is not None,
        "revisions": _by_revision(pages, log),
        "counted": f"{plural(len(log), 'correction')} in {plural(commits, 'commit')}",
    }
