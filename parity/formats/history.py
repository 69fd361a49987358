"""`parity history` as text (table, Markdown) and as one SVG chart per lab (score over time, regressions and
methodology changes marked). One layout for the two text formats, escaped for each medium."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape as xml_escape
from xml.sax.saxutils import quoteattr

from tabulate import tabulate

from parity.formats.escape import markdown, terminal
from parity.formats.present import plural, share
from parity.formats.text import Escape
from parity.history.regressions import described
from parity.vocabulary import show

if TYPE_CHECKING:
    from parity.history.records import Alarm, History, Point
    from parity.history.timeline import Revision


def _header(history: History, esc: Escape) -> str:
    from parity._version import __version__

    span = f"{history.revisions[0].date} to {history.revisions[-1].date}" if history.revisions else "none"
    c = history.config
    window = plural(c.window_days, "day")
    alarms = f"alarms: step {c.step_threshold:g}, window {c.window_threshold:g} over {window}"
    if history.mode == "dates":
        return (
            f"parity {__version__} history of {esc(history.source)} by the data's dates: "
            f"{plural(len(history.revisions), 'date')} on which something changed ({span}); {alarms}"
        )
    as_of = f", all as of {history.as_of}" if history.as_of else ", each at its commit date"
    revisions = plural(len(history.revisions), "revision")
    return (
        f"parity {__version__} history of {esc(history.source)}: {revisions} "
        f"({span}{as_of}), {len(history.skipped)} skipped; {alarms}"
    )


def _trend(points: list[Point]) -> tuple[str, str]:
    """First and last score, and the change since the last change of methodology (never across one)."""
    last = points[-1]
    since = points[0]
    for p in points:
        if p.methodology_changed:
            since = p
    change = "n/a" if since.score is None or last.score is None else f"{last.score - since.score:+.2f}"
    if since is not points[0]:
        change += f" since {since.revision.date} (methodology changed)"
    return f"{share(points[0].score)} -> {share(last.score)}", change


def lab_rows(history: History, esc: Escape) -> list[list[str]]:
    counts: dict[str, int] = {}
    for r in history.regressions:
        counts[r.lab] = counts.get(r.lab, 0) + 1
    alarmed: dict[str, int] = {}
    for a in history.alarms:
        alarmed[a.subject] = alarmed.get(a.subject, 0) + 1
    rows = []
    for lab, points in sorted(history.points.items()):
        scores, change = _trend(points)
        coverage = f"{share(points[0].coverage)} -> {share(points[-1].coverage)}"
        rows.append([esc(lab), scores, change, coverage, str(counts.get(lab, 0)), str(alarmed.get(lab, 0))])
    return rows


LAB_HEADERS = ["lab", "score", "change", "coverage", "regressions", "alarms"]


def alarm_rows(history: History, esc: Escape) -> list[list[str]]:
    return [
        [a.kind, str(a.revision.date), esc(a.revision.ref), esc(a.message), _steps(a)] for a in history.alarms
    ]


def _steps(a: Alarm) -> str:
    return ", ".join(f"{rev.ref} ({loss:g})" if loss else rev.ref for rev, loss in a.steps)


ALARM_HEADERS = ["alarm", "date", "revision", "what", "steps"]


def _value(value: object) -> str:
    """A practice's value before or after a regression; nothing recorded is "no value", never None."""
    return "no value" if value is None else show(value)


def _bar(value: object) -> str:
    """A top bar's value; one that did not bind is "no bar", never None."""
    return "no bar" if value is None else show(value)


def regression_rows(history: History, esc: Escape) -> list[list[str]]:
    return [
        [
            str(n),
            str(r.revision.date),
            esc(r.revision.ref),
            esc(r.lab),
            r.kind + (" [methodology]" if r.methodology else ""),
            esc(r.subject),
            esc(f"{_value(r.before)} -> {_value(r.after)}"),
            r.severity,
            f"{r.loss:g}",
        ]
        for n, r in enumerate(history.regressions, start=1)
    ]


REGRESSION_HEADERS = [
    "#",
    "date",
    "revision",
    "lab",
    "kind",
    "practice or rule",
    "change",
    "severity",
    "loss",
]


def evidence_lines(history: History, esc: Escape, nested: str) -> list[str]:
    """The sources of both states of each regression (numbered as in the table), so an alarm can be
    checked from this output alone: the URL, the source's date and its quote or note. `nested` starts
    each source's line (an indent, or a Markdown sub-list)."""
    out = []
    for n, r in enumerate(history.regressions, start=1):
        out.append(f"{n}. " + esc(f"{r.revision.date} {r.lab}: {described(r)}"))
        for label, items in (("before", r.evidence_before), ("after", r.evidence_after)):
            if not items:
                out.append(nested + esc(f"{label}: no source recorded"))
            for e in items:
                said = f' "{e.quote}"' if e.quote else f" ({e.note})" if e.note else ""
                out.append(nested + esc(f"{label}: {e.url} ({e.date.isoformat()}){said}"))
    return out


def decline_rows(history: History, esc: Escape) -> list[list[str]]:
    return [
        [
            esc(d.rule),
            esc(f"{_bar(d.peak.value)} ({d.peak.revision.date}, {', '.join(d.peak.set_by) or '-'})"),
            esc(f"{_bar(d.low.value)} ({d.low.revision.date})"),
            d.cause,
            plural(d.ratchet, "day") if d.ratchet else "",
        ]
        for d in history.declines
    ]


DECLINE_HEADERS = ["rule", "peak (set by)", "low", "cause", "ratchet"]


def correction_rows(history: History, esc: Escape) -> list[list[str]]:
    """The watchdog's corrections of its own record (--revisions): what, which past date, when recorded."""
    return [
        [
            esc(r.lab or "-"),
            esc(r.subject),
            esc(r.what),
            str(r.past) if r.past else "undated",
            str(r.revision.date),
            esc(r.revision.ref),
        ]
        for r in history.recorded
        if r.kind == "correction"
    ]


CORRECTION_HEADERS = ["lab", "practice", "what was corrected", "of the state dated", "recorded", "revision"]


def _skipped(history: History, esc: Escape, nested: str, details: bool) -> list[str]:
    """One line per revision that does not load (its problems' count and the first); with `details`,
    every problem under it. A history over old revisions written for older rules can skip many, each with
    a hundred problems: a reader wants to know which were skipped, and can ask for why."""
    out = []
    for s in history.skipped:
        said = f"{s.revision.ref} ({s.revision.date}) {s.revision.subject}: skipped, does not load"
        if details or not s.problems:
            out.append(esc(f"{said}:" if s.problems else said))
            out += [nested + esc(str(p)) for p in s.problems]
        else:
            out.append(esc(f"{said}: {plural(len(s.problems), 'problem')}; the first: {s.problems[0]}"))
    if history.skipped and not details and any(s.problems for s in history.skipped):
        out.append("(--details lists every problem; --format json always does)")
    return out


def _sections(
    history: History, esc: Escape, fmt: str, heading: Callable[[str], str], nested: str, details: bool
) -> list[str]:
    out = []
    for title, rows, headers in (
        ("Labs", lab_rows(history, esc), LAB_HEADERS),
        ("Alarms", alarm_rows(history, esc), ALARM_HEADERS),
        ("Regressions", regression_rows(history, esc), REGRESSION_HEADERS),
        ("Bars that fell", decline_rows(history, esc), DECLINE_HEADERS),
        *(
            (("Corrections", correction_rows(history, esc), CORRECTION_HEADERS),)
            if history.mode == "revisions"
            else ()
        ),
    ):
        out.append(heading(f"{title} ({len(rows)})"))
        out.append(tabulate(rows, headers=headers, tablefmt=fmt, disable_numparse=True) if rows else "none")
        out.append("")
    evidence = evidence_lines(history, esc, nested)
    if evidence:
        out.append(heading(f"Evidence of the regressions ({len(history.regressions)})"))
        out += evidence
        out.append("")
    skipped = _skipped(history, esc, nested, details)
    if skipped:
        out.append(heading(f"Skipped revisions ({len(history.skipped)})"))
        out += skipped
        out.append("")
    return out


def table(history: History, details: bool = False) -> str:
    sections = _sections(history, terminal, "simple", str, "  ", details)
    return "\n".join([_header(history, terminal), "", *sections])


def markdown_text(history: History, details: bool = False) -> str:
    head = f"## {_header(history, markdown)}"
    sections = _sections(history, markdown, "github", lambda t: f"### {t}", "   - ", details)
    return "\n".join([head, "", *sections])


# --- the chart ---------------------------------------------------------------------------------------------

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 28, 32


LEGEND_ROW = 16  # pixels per line of the legend under the plot
LEGEND_ITEMS = 8  # marked dates listed in the legend; the rest are counted
LEGEND_CHARS = 100  # a legend line longer than this is cut (its marker's tooltip has it whole)


def chart(history: History, lab: str) -> str:
    """One lab's score over time as a standalone SVG: no script, no external reference, text escaped.
    The line breaks at each methodology change (scores are not comparable across it), which is drawn as a
    dashed rule; each date with a regression is a numbered marker, on the day it happened. A legend under
    the plot says what the line, the markers and the rules mean and what was lost on each marked date, so
    the chart reads on paper too (tooltips only add the whole text)."""
    points = history.points.get(lab, [])
    dates = [p.revision.date for p in points] or [dt.date(2000, 1, 1)]
    first, last = min(dates), max(dates)
    span = (last - first).days
    # By date, so a window of days reads as one; when the revisions fall on a day or two, by revision.
    order = {p.revision: i for i, p in enumerate(points)}
    by_date = span >= 2

    def x(rev: Revision) -> float:
        share = (rev.date - first).days / span if by_date else order.get(rev, 0) / max(len(points) - 1, 1)
        return LEFT + (WIDTH - LEFT - RIGHT) * share

    def y(score: float) -> float:
        return TOP + (HEIGHT - TOP - BOTTOM) * (1 - score)

    marked = _marked(history, lab, points)
    legend = _legend(marked)
    height = HEIGHT + LEGEND_ROW * len(legend) + (8 if legend else 0)
    unit = "date" if history.mode == "dates" else "revision"
    title = f"{lab}: score over time ({first} to {last}, {plural(len(points), unit)})"
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" '
        f'height="{height}" role="img" aria-labelledby="t">',
        f'<title id="t">{xml_escape(terminal(title))}</title>',
        f'<rect x="0" y="0" width="{WIDTH}" height="{height}" fill="#ffffff"/>',
    ]
    for level in (0.0, 0.5, 1.0):
        out.append(
            f'<line x1="{LEFT}" y1="{y(level):.1f}" x2="{WIDTH - RIGHT}" y2="{y(level):.1f}" '
            f'stroke="#767676" stroke-width="0.5"/><text x="{LEFT - 6}" y="{y(level) + 4:.1f}" '
            f'font-size="11" text-anchor="end" fill="#333333" font-family="sans-serif">{level:.0%}</text>'
        )
    out.append(
        f'<text x="{LEFT}" y="{HEIGHT - 10}" font-size="11" fill="#333333" '
        f'font-family="sans-serif">{first}</text>'
        f'<text x="{WIDTH - RIGHT}" y="{HEIGHT - 10}" font-size="11" fill="#333333" text-anchor="end" '
        f'font-family="sans-serif">{last}</text>'
    )
    out += _segments(points, x, y)
    out += _markers(marked, x, y)
    for row, line in enumerate(legend):
        out.append(
            f'<text x="{LEFT - 40}" y="{HEIGHT + 8 + LEGEND_ROW * row:.0f}" font-size="11" fill="#222222" '
            f'font-family="sans-serif">{xml_escape(terminal(line))}</text>'
        )
    out.append("</svg>")
    return "\n".join(out) + "\n"


Marked = list[tuple[int, "Revision", float, list[str], bool]]  # number, date, score, what was lost, alarmed


def _marked(history: History, lab: str, points: list[Point]) -> Marked:
    """The dates with a regression of the lab that have a score, numbered in order, with what was lost."""
    score = {p.revision: p.score for p in points}
    by_revision: dict[Revision, list[str]] = {}
    for r in history.regressions:
        if r.lab == lab:
            by_revision.setdefault(r.revision, []).append(described(r))
    alarmed = {a.revision for a in history.alarms if a.subject == lab}
    out: Marked = []
    for rev, texts in by_revision.items():
        value = score.get(rev)
        if value is not None:
            out.append((len(out) + 1, rev, value, texts, rev in alarmed))
    return out


def _legend(marked: Marked) -> list[str]:
    """The key, then one line per marked date (the first LEGEND_ITEMS of them)."""
    if not marked:
        return ["Key: line = score (a gap where the rules changed: dashed rule)"]
    lines = ["Key: line = score; numbered triangle = what was lost that day (dark: an alarm); dashed = rules"]
    for number, rev, _, texts, alarmed in marked[:LEGEND_ITEMS]:
        line = f"{number}. {rev.date}{' (alarm)' if alarmed else ''}: {'; '.join(texts)}"
        lines.append(line if len(line) <= LEGEND_CHARS else line[: LEGEND_CHARS - 1] + "\u2026")
    if len(marked) > LEGEND_ITEMS:
        lines.append(f"and {len(marked) - LEGEND_ITEMS} more marked dates (see the history's regressions)")
    return lines


def _segments(points: list[Point], x: Callable[[Revision], float], y: Callable[[float], float]) -> list[str]:
    out: list[str] = []
    segment: list[tuple[float, float]] = []
    for p in points:
        if p.methodology_changed:
            px = x(p.revision)
            packs = ", ".join(p.methodology_changed)
            out.append(
                f'<line x1="{px:.1f}" y1="{TOP}" x2="{px:.1f}" y2="{HEIGHT - BOTTOM}" stroke="#555555" '
                f'stroke-dasharray="4 3"><title>{xml_escape(terminal(f"methodology changed: {packs}"))}'
                "</title></line>"
            )
            out.append(_line(segment))
            segment = []
        if p.score is not None:
            segment.append((x(p.revision), y(p.score)))
    out.append(_line(segment))
    return [line for line in out if line]


def _line(segment: list[tuple[float, float]]) -> str:
    if not segment:
        return ""
    coords = " ".join(f"{a:.1f},{b:.1f}" for a, b in segment)
    dots = "".join(f'<circle cx="{a:.1f}" cy="{b:.1f}" r="2.5" fill="#0072b2"/>' for a, b in segment)
    return f'<polyline points="{coords}" fill="none" stroke="#0072b2" stroke-width="2"/>{dots}'


def _markers(marked: Marked, x: Callable[[Revision], float], y: Callable[[float], float]) -> list[str]:
    out = []
    for number, rev, value, texts, alarmed in marked:
        cx, cy = x(rev), y(value)
        colour = "#d55e00" if alarmed else "#e69f00"
        said = terminal(f"{rev.date} {rev.ref}: " + "; ".join(texts))
        out.append(
            f'<path d="M{cx:.1f},{cy + 6:.1f} l-6,-10 h12 z" fill="{colour}" stroke="#000000" '
            f'stroke-width="0.5" aria-label={quoteattr(said)}><title>{xml_escape(said)}</title></path>'
            f'<text x="{cx:.1f}" y="{cy - 7:.1f}" font-size="10" text-anchor="middle" fill="#000000" '
            f'font-family="sans-serif">{number}</text>'
        )
    return out
