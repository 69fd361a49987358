"""The text formats, `table` (for a terminal) and `markdown` (for a pull request or a step summary): one
layout, escaped for each medium."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from tabulate import tabulate

from parity.dataset import Dataset
from parity.formats.escape import markdown, show, terminal
from parity.formats.present import (
    bar_text,
    blocked_text,
    by_score,
    cause_text,
    change_sentence,
    condition_lines,
    days_left,
    falling_due,
    gap_text,
    headline,
    percent,
    plural,
    redefined_sentence,
    replies_brief,
    reply_text,
    rule_row,
    setters_text,
    share,
    shortfall_count,
    status_text,
    summary_line,
    validation_counts,
    value_text,
)
from parity.models import Rule
from parity.report import Report, Validation, Verdict, WaiverStatus
from parity.report.catalog import explain_facts, rule_target
from parity.vocabulary import SHORTFALLS, STATUSES, severity_rank

if TYPE_CHECKING:
    from parity.diff import Diff

Escape = Callable[[str], str]


def _most_severe_first(v: Verdict) -> tuple[int, str, str]:
    return (-severity_rank(v.severity), v.area, v.rule)


def _rows(report: Report, verdicts: Iterable[Verdict], esc: Escape) -> list[list[str]]:
    return [
        [
            v.severity,
            esc(v.area),
            esc(v.rule),
            status_text(v),
            esc(value_text(v)),
            esc(bar_text(v.bar)),
            esc(setters_text(v.bar)),
            esc(gap_text(v.gap, report.indicators.get(v.indicator))),
            ", ".join(v.flags),
        ]
        for v in verdicts
    ]


_HEADERS = ["severity", "area", "rule", "status", "value", "bar", "set by", "gap", "flags"]


def _summary(report: Report, lab: str, esc: Escape) -> list[str]:
    """A lab's score beside its coverage, per pack too, its counts, and what nobody has assessed yet."""
    s = report.labs[lab]
    counts = ", ".join(f"{n} {status.replace('_', ' ')}" for status in STATUSES if (n := s.counts[status]))
    lines = [
        f"{esc(lab)} ({esc(s.name)}): score {share(s.score)}, coverage {share(s.coverage)}; "
        f"{counts or 'no verdicts'}"
    ]
    if s.packs:
        per_pack = ", ".join(
            f"{esc(p)} {share(score)} (coverage {share(s.pack_coverage.get(p))})"
            for p, score in s.packs.items()
        )
        lines.append(f"  by pack: {per_pack}")
    if s.unassessed:
        lines.append(f"  not assessed yet: {esc(', '.join(s.unassessed))}")
    return lines


def _by_lab(report: Report) -> dict[str, list[Verdict]]:
    """Each lab's shortfalls, and its waived ones (an accepted exception stays visible), critical first:
    the order of its table's rows, its replies and its conditions alike."""
    grouped: dict[str, list[Verdict]] = {lab: [] for lab in report.labs}
    for v in report.verdicts:
        if v.status in SHORTFALLS or v.waiver is not None:
            grouped[v.lab].append(v)
    return {lab: sorted(found, key=_most_severe_first) for lab, found in grouped.items()}


def _replied(
    rows: list[list[str]], verdicts: list[Verdict], esc: Escape, headers: list[str] | None = None
) -> tuple[list[list[str]], list[str]]:
    """The rows (one per verdict, in the same order) with a `reply` column beside each finding, where any
    of them has a response (a lab the watchdog never asked gets no empty column that could read as its
    silence)."""
    headers = headers if headers is not None else _HEADERS
    if not any(v.responses for v in verdicts):
        return rows, headers
    cells = [esc(replies_brief(v.responses)) for v in verdicts]
    return [[*row, cell] for row, cell in zip(rows, cells, strict=True)], [*headers, "reply"]


def _conditions(verdicts: list[Verdict], esc: Escape, indent: str, by: str = "rule") -> list[str]:
    """Each commitment's conditions, under its rule (or its lab, `by`): why the pledge binds, or does not,
    for the lab."""
    out = []
    for v in verdicts:
        lines = condition_lines(v.conditions, indent)
        if lines:
            out.append(esc(f"{v.rule if by == 'rule' else v.lab}: {lines[0]}"))
            out += [_at_indent(line, esc) for line in lines[1:]]
    return out


def _at_indent(line: str, text: Callable[[str], str]) -> str:
    """`line` with what follows its leading spaces passed through `text`, the spaces kept."""
    body = line.lstrip(" ")
    return line[: len(line) - len(body)] + text(body)


def _reply_lines(report: Report, lab: str, esc: Escape) -> list[str]:
    """The lab's right of reply in full, under its findings: every response, and every request not
    answered yet."""
    return [esc(reply_text(r)) for r in report.labs[lab].responses]


def _waiver_lines(report: Report, esc: Escape) -> list[str]:
    return [
        esc(f"{w.location.file}:{w.location.line}: waiver for {w.rule} / {w.lab} {w.problem}")
        for w in report.waiver_issues
    ]


def _packs(report: Report, esc: Escape) -> str:
    return ", ".join(f"{esc(p)} {esc(v)}" for p, v in report.packs)


def _header(report: Report, esc: Escape) -> str:
    from parity._version import __version__

    return f"parity {__version__} check as of {report.as_of.isoformat()} (packs: {_packs(report, esc)})"


def check_table(report: Report) -> str:
    out = [_header(report, terminal), ""]
    grouped = _by_lab(report)
    for lab, shortfalls in grouped.items():
        out += _summary(report, lab, terminal)
        if shortfalls:
            rows, headers = _replied(_rows(report, shortfalls, terminal), shortfalls, terminal)
            out.append(tabulate(rows, headers=headers, tablefmt="simple", disable_numparse=True))
        out += ["  " + line for line in _conditions(shortfalls, terminal, "  ")]
        replies = _reply_lines(report, lab, terminal)
        out += ["  right of reply:", *(f"    {line}" for line in replies)] if replies else []
        out.append("")
    total = sum(1 for s in grouped.values() for v in s if v.status in SHORTFALLS)
    out.append(
        f"{plural(total, 'shortfall')} across {plural(len(report.labs), 'lab')}; "
        "scores count every pack listed above."
    )
    out.extend(_waiver_lines(report, terminal))
    return "\n".join(out) + "\n"


def check_markdown(report: Report) -> str:
    out = [f"# parity report, as of {report.as_of.isoformat()}", "", _header(report, markdown) + ".", ""]
    for lab, shortfalls in _by_lab(report).items():
        out += [f"## {markdown(report.labs[lab].name)} ({markdown(lab)})", ""]
        out += [line.strip() + "  " for line in _summary(report, lab, markdown)]
        out.append("")
        if shortfalls:
            rows, headers = _replied(_rows(report, shortfalls, markdown), shortfalls, markdown)
            out += [tabulate(rows, headers=headers, tablefmt="github", disable_numparse=True), ""]
        why = _conditions(shortfalls, markdown, "  ")
        if why:  # a nested list: two spaces a level
            out += [*_nested(why, "- "), ""]
        replies = _reply_lines(report, lab, markdown)
        if replies:
            out += [
                f"Right of reply of {markdown(report.labs[lab].name)}:",
                "",
                *(f"- {r}" for r in replies),
                "",
            ]
    waivers = _waiver_lines(report, markdown)
    if waivers:
        out += ["## Waivers needing attention", "", *(f"- {line}" for line in waivers), ""]
    return "\n".join(out)


def _rules(data: Dataset, esc: Escape, tablefmt: str) -> str:
    rows = [rule_row(loaded, data) for loaded in data.rules.values()]
    table = tabulate(
        [[esc(str(x)) for x in r.values()] for r in rows],
        headers="keys" if not rows else list(rows[0]),
        tablefmt=tablefmt,
        disable_numparse=True,
    )
    return table + "\n"


def rules_table(data: Dataset) -> str:
    return _rules(data, terminal, "simple")


def rules_markdown(data: Dataset) -> str:
    return _rules(data, markdown, "github")


def _explain(data: Dataset, rule_id: str, report: Report, fmt: str) -> str:
    """One rule in words, and where every lab stands against it now."""
    loaded = data.rules[rule_id]
    rule = loaded.rule
    verdicts = [v for v in report.verdicts if v.rule == rule_id]
    lines = [
        f"{rule.id}: {rule.title or rule_target(rule)}",
        f"  pack {loaded.pack} ({loaded.file}:{loaded.line}); {rule.kind} rule"
        + (f", severity {rule.severity}" if rule.severity else "")
        + (f", in force from {loaded.in_force.isoformat()}" if loaded.in_force else ""),
    ]
    lines += [f"  {label}: {text}" for label, text in explain_facts(rule, data.indicators)]
    if fmt == "markdown":  # escaped, each line its own line break
        lines = [markdown(line) + "  " for line in lines]
    else:
        lines = [terminal(line) for line in lines]
    lines += ["", f"Standing as of {report.as_of.isoformat()}:", _explain_table(rule, report, verdicts, fmt)]
    return "\n".join(lines) + "\n"


def explain_table(data: Dataset, rule_id: str, report: Report) -> str:
    return _explain(data, rule_id, report, "table")


def explain_markdown(data: Dataset, rule_id: str, report: Report) -> str:
    return _explain(data, rule_id, report, "markdown")


def _explain_table(rule: Rule, report: Report, verdicts: list[Verdict], fmt: str) -> str:
    tablefmt = "github" if fmt == "markdown" else "simple"
    esc = markdown if fmt == "markdown" else terminal
    if rule.derive:
        rows = [[esc(lab), esc(show(values[rule.derive]))] for lab, values in report.derived.items()]
        return tabulate(rows, headers=["lab", esc(rule.derive)], tablefmt=tablefmt, disable_numparse=True)
    rows = [
        [
            esc(v.lab),
            v.status,
            esc(value_text(v)),
            esc(bar_text(v.bar)),
            esc(setters_text(v.bar) or blocked_text(v.bar)),
            str(v.bar.peers_disclosed),
            esc(gap_text(v.gap, report.indicators.get(v.indicator))),
            ", ".join(v.flags),
        ]
        for v in verdicts
    ]
    headers = ["lab", "status", "value", "bar", "set by", "peers disclosed", "gap", "flags"]
    rows, headers = _replied(rows, verdicts, esc, headers)
    table = tabulate(rows, headers=headers, tablefmt=tablefmt, disable_numparse=True)
    bullet = "- " if fmt == "markdown" else "  "
    why = [line for v in verdicts for line in _conditions([v], esc, "  ", by="lab")]
    if why:
        table += "\n\nWhy it binds or not, lab by lab:\n" + "\n".join(_nested(why, bullet))
    replies = [f"{esc(v.lab)}: {esc(reply_text(r))}" for v in verdicts for r in v.responses]
    if not replies:
        return table
    return "\n".join([table, "", "Right of reply:", *(bullet + line for line in replies)])


def _nested(lines: list[str], bullet: str) -> list[str]:
    """Indented lines as a nested list (Markdown: two spaces a level) or as indented text."""
    return [_at_indent(line, lambda body: bullet + body) for line in lines]


def _diff_rows(diff: Diff, esc: Escape) -> list[list[str]]:
    out = []
    for c in diff.changes:
        was, now = c.was, c.now
        gap = gap_text(now.gap, diff.head.report.indicators.get(now.indicator)) if now else ""
        out.append(
            [
                esc(headline(c)),
                c.severity,
                esc(c.lab),
                esc(c.rule),
                esc(_both(was, now, status_text)),
                esc(_both(was, now, value_text)),
                esc(_both(was, now, lambda v: bar_text(v.bar))),
                esc(gap),
                esc(cause_text(c, diff)),
            ]
        )
    return out


def _both(was: Verdict | None, now: Verdict | None, text: Callable[[Verdict], str]) -> str:
    """Before -> after, or the one text when it did not change."""
    before, after = (text(was) if was else "-"), (text(now) if now else "-")
    return before if before == after else f"{before} -> {after}"


_DIFF_HEADERS = ["change", "severity", "lab", "rule", "status", "value", "bar", "gap", "why"]


def _reviewer(diff: Diff) -> list[str]:
    """What a reviewer must look at, in sentences: shortfalls waived at once, bars that fell, rules
    redefined under an unchanged pack version."""
    lines = [change_sentence(c, diff) for c in diff.changes if c.waived_new or c.bar_fell]
    return lines + [redefined_sentence(r) for r in diff.redefined]


def _diff(result: Diff, esc: Escape, tablefmt: str, heading: Callable[[str], str], item: str) -> str:
    lines = [esc(summary_line(result))]
    lines += [esc(f"pack {p}: {b or '-'} -> {h or '-'} (methodology changed)") for p, b, h in result.packs]
    review = _reviewer(result)
    if review:
        lines += ["", heading("Needs a reviewer"), *(item + esc(line) for line in review)]
    if result.changes:
        table = tabulate(
            _diff_rows(result, esc), headers=_DIFF_HEADERS, tablefmt=tablefmt, disable_numparse=True
        )
        lines += ["", heading("Changes"), table]
    return "\n".join(lines) + "\n"


def diff_table(result: Diff) -> str:
    return _diff(result, terminal, "simple", lambda t: f"{t}:", "- ")


def diff_markdown(result: Diff) -> str:
    return "# parity diff\n\n" + _diff(result, markdown, "github", lambda t: f"## {t}\n", "- ")


def scorecard_markdown(report: Report) -> str:
    """A scorecard for a README: the labs by score, each beside its coverage and its packs."""
    lines = [
        f"# parity scorecard, as of {report.as_of.isoformat()}",
        "",
        _header(report, markdown) + ".",
        "",
    ]
    rows = []
    for rank, lab in enumerate(by_score(report.labs), start=1):
        s = report.labs[lab]
        per_pack = "; ".join(
            f"{markdown(p)} {percent(score)} (coverage {percent(s.pack_coverage.get(p))})"
            for p, score in s.packs.items()
        )
        rows.append(
            [
                str(rank),
                f"{markdown(s.name)} ({markdown(lab)})",
                percent(s.score),
                percent(s.coverage),
                str(shortfall_count(report, lab)),
                str(len(s.unassessed)),
                per_pack,
            ]
        )
    headers = ["rank", "lab", "score", "coverage", "shortfalls", "not assessed yet", "by pack"]
    lines.append(tabulate(rows, headers=headers, tablefmt="github", disable_numparse=True))
    lines += [
        "",
        "Score: the share of the lab's judged verdicts that meet or surpass the bar (below and undisclosed "
        "count against it). Coverage: the share of the practices its rules read that the watchdog has "
        "recorded; practices not assessed yet are research still to do, never counted against the lab.",
        "",
    ]
    return "\n".join(lines)


def validate_table(result: Validation) -> str:
    """`parity validate` on a terminal: one line when valid (problems go to stderr, where errors go)."""
    strict = " (strict)" if result.strict else ""
    return f"ok: {validation_counts(result)}{strict}\n"


_WAIVER_HEADERS = ["rule", "lab", "expires", "days left", "status", "reason", "file"]


def _waivers(rows: list[WaiverStatus], esc: Escape, tablefmt: str) -> str:
    if not rows:
        return "no waivers\n"
    table = [
        [
            esc(w.rule),
            esc(w.lab),
            w.expires.isoformat(),
            str(w.days_left),
            esc(w.status),
            esc(w.reason),
            esc(f"{w.location.file}:{w.location.line}"),
        ]
        for w in rows
    ]
    return tabulate(table, headers=_WAIVER_HEADERS, tablefmt=tablefmt, disable_numparse=True) + "\n"


def waivers_table(rows: list[WaiverStatus], as_of: dt.date) -> str:
    return _waivers(rows, terminal, "simple")


def waivers_markdown(rows: list[WaiverStatus], as_of: dt.date) -> str:
    return _waivers(rows, markdown, "github")


_DUE_HEADERS = ["due", "when", "severity", "lab", "rule", "value", "status"]


def _due(report: Report, within: int, esc: Escape, tablefmt: str) -> str:
    rows = [
        [
            v.due.isoformat() if v.due else "",
            days_left(v, report.as_of),
            v.severity,
            esc(v.lab),
            esc(v.rule),
            esc(value_text(v)),
            status_text(v),
        ]
        for v in falling_due(report, within)
    ]
    head = f"Falling due within {plural(within, 'day')} of {report.as_of.isoformat()}, and overdue"
    if not rows:
        return f"{head}: none\n"
    return (
        f"{head}:\n" + tabulate(rows, headers=_DUE_HEADERS, tablefmt=tablefmt, disable_numparse=True) + "\n"
    )


def due_table(report: Report, within: int) -> str:
    return _due(report, within, terminal, "simple")


def due_markdown(report: Report, within: int) -> str:
    return _due(report, within, markdown, "github")
