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
from parity.vocabulary import show

if TYPE_CHECKING:
    from parity.history.records import Alarm, History, Point
    from parity.history.timeline import Revision


def _header(history: History, esc: Escape) -> str:
    from parity._version import __version__

    dates = (
        f"{history.revisions[0].date} to {history.revisions[-1].date}"
        if history.revisions
        else "no revisions"
    )
    as_of = f", all as of {history.as_of}" if history.as_of else ", each at its commit date"
    c = history.config
    revisions = plural(len(history.revisions), "revision")
    return (
        f"parity {__version__} history of {esc(history.source)}: {revisions} "
        f"({dates}{as_of}), {len(history.skipped)} skipped; alarms: step {c.step_threshold:g}, "
        f"window {c.window_threshold:g} over {plural(c.window_days, 'day')}"
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
            str(r.revision.date),
            esc(r.revision.ref),
            esc(r.lab),
            r.kind + (" [methodology]" if r.methodology else ""),
            esc(r.subject),
            esc(f"{_value(r.before)} -> {_value(r.after)}"),
            r.severity,
            f"{r.loss:g}",
        ]
        for r in history.regressions
    ]


REGRESSION_HEADERS = ["date", "revision", "lab", "kind", "practice or rule", "change", "severity", "loss"]


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


def _skipped(history: History, esc: Escape, details: bool) -> list[str]:
    """One line per revision that does not load (its problems' count and the first); with `details`,
    every problem under it. A history over old revisions written for older rules can skip many, each with
    a hundred problems: a reader wants to know which were skipped, and can ask for why."""
    out = []
    for s in history.skipped:
        said = f"{s.revision.ref} ({s.revision.date}) {s.revision.subject}: skipped, does not load"
        if details or not s.problems:
            out.append(esc(f"{said}:" if s.problems else said))
            out += [esc(f"  {p}") for p in s.problems]
        else:
            out.append(esc(f"{said}: {plural(len(s.problems), 'problem')}; the first: {s.problems[0]}"))
    if history.skipped and not details and any(s.problems for s in history.skipped):
        out.append("(--details lists every problem; --format json always does)")
    return out


def _sections(
    history: History, esc: Escape, fmt: str, heading: Callable[[str], str], details: bool
) -> list[str]:
    out = []
    for title, rows, headers in (
        ("Labs", lab_rows(history, esc), LAB_HEADERS),
        ("Alarms", alarm_rows(history, esc), ALARM_HEADERS),
        ("Regressions", regression_rows(history, esc), REGRESSION_HEADERS),
        ("Bars that fell", decline_rows(history, esc), DECLINE_HEADERS),
    ):
        out.append(heading(f"{title} ({len(rows)})"))
        out.append(tabulate(rows, headers=headers, tablefmt=fmt, disable_numparse=True) if rows else "none")
        out.append("")
    skipped = _skipped(history, esc, details)
    if skipped:
        out.append(heading(f"Skipped revisions ({len(history.skipped)})"))
        out += skipped
        out.append("")
    return out


def table(history: History, details: bool = False) -> str:
    return "\n".join([_header(history, terminal), "", *_sections(history, terminal, "simple", str, details)])


def markdown_text(history: History, details: bool = False) -> str:
    head = f"## {_header(history, markdown)}"
    sections = _sections(history, markdown, "github", lambda t: f"### {t}", details)
    return "\n".join([head, "", *sections]).replace("\n  ", "\n- ")


# --- the chart ---------------------------------------------------------------------------------------------

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 28, 32


def chart(history: History, lab: str) -> str:
    """One lab's score over time as a standalone SVG: no script, no external reference, text escaped.
    The line breaks at each methodology change (scores are not comparable across it), which is drawn as a
    dashed rule; each revision with a regression is a marker whose tooltip names it."""
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

    title = f"{lab}: score over time ({first} to {last}, {plural(len(points), 'revision')})"
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" '
        f'height="{HEIGHT}" role="img" aria-labelledby="t">',
        f'<title id="t">{xml_escape(terminal(title))}</title>',
        f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
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
    out += _markers(history, lab, points, x, y)
    out.append("</svg>")
    return "\n".join(out) + "\n"


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


def _markers(
    history: History,
    lab: str,
    points: list[Point],
    x: Callable[[Revision], float],
    y: Callable[[float], float],
) -> list[str]:
    score = {p.revision: p.score for p in points}
    by_revision: dict[Revision, list[str]] = {}
    for r in history.regressions:
        if r.lab == lab:
            change = f"{_value(r.before)} -> {_value(r.after)}"
            text = f"{r.revision.date} {r.revision.ref}: {r.subject} {r.kind} ({change})"
            by_revision.setdefault(r.revision, []).append(text)
    alarmed = {a.revision for a in history.alarms if a.subject == lab}
    out = []
    for rev, texts in by_revision.items():
        value = score.get(rev)
        if value is None:
            continue
        cx, cy = x(rev), y(value)
        colour = "#d55e00" if rev in alarmed else "#e69f00"
        said = terminal("; ".join(texts))
        out.append(
            f'<path d="M{cx:.1f},{cy + 6:.1f} l-6,-10 h12 z" fill="{colour}" stroke="#000000" '
            f'stroke-width="0.5" aria-label={quoteattr(said)}><title>{xml_escape(said)}</title></path>'
        )
    return out
