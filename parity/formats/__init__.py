"""The output formats: a registry of format objects, each saying which commands it renders.

A command asks the registry for a format by name; a format that cannot render that command is a usage error,
never a silent fallback to a table. Output depends only on its inputs (no clocks, no dict-order surprises),
so the same inputs and `--as-of` give byte-identical text.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

from parity._gc import paused_gc
from parity.errors import UsageError
from parity.formats.escape import markdown, show, terminal

if TYPE_CHECKING:
    from parity.dataset import Dataset
    from parity.diff import Diff
    from parity.history.records import History
    from parity.report import Report, Validation, WaiverStatus
    from parity.sources.run import Run as SourcesRun

COMMANDS = ("check", "diff", "explain", "rules", "history", "validate", "waivers", "due", "sources")


@dataclass(frozen=True)
class Format:
    """One output format and what it renders; a renderer left out means the format does not render it."""

    name: str
    description: str
    check: Callable[[Report], Iterable[str]] | None = None  # pieces, so a large report streams
    diff: Callable[[Diff], str] | None = None
    explain: Callable[[Dataset, str, Report], str] | None = None
    rules: Callable[[Dataset], str] | None = None
    history: Callable[[History, bool], str] | None = None  # (history, every problem of a skipped revision)
    validate: Callable[[Validation], str] | None = None
    waivers: Callable[[list[WaiverStatus], dt.date], str] | None = None
    due: Callable[[Report, int], str] | None = None
    sources: Callable[[SourcesRun], str] | None = None

    @property
    def commands(self) -> tuple[str, ...]:
        return tuple(c for c in COMMANDS if getattr(self, c) is not None)


def _use(where: str, *, whole: bool = False) -> Callable[..., Any]:
    """The renderer `module:function` of this package, imported when first called, so that building the
    command line (which asks the registry for names) imports no renderer, the report or pydantic.
    `whole`: the renderer returns one string where a check renderer gives pieces."""
    module, _, name = where.partition(":")

    def render(*args: Any) -> Any:
        found = getattr(importlib.import_module(f"parity.formats.{module}"), name)
        return [found(*args)] if whole else found(*args)

    render.__qualname__ = render.__name__ = f"{module}.{name}"
    return render


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format(
            "table",
            "aligned text for a terminal",
            check=_use("text:check_table", whole=True),
            diff=_use("text:diff_table"),
            explain=_use("text:explain_table"),
            rules=_use("text:rules_table"),
            history=_use("history:table"),
            validate=_use("text:validate_table"),
            waivers=_use("text:waivers_table"),
            due=_use("text:due_table"),
            sources=_use("sources:table"),
        ),
        Format(
            "markdown",
            "Markdown for a pull-request comment or a step summary",
            check=_use("text:check_markdown", whole=True),
            diff=_use("text:diff_markdown"),
            explain=_use("text:explain_markdown"),
            rules=_use("text:rules_markdown"),
            history=_use("history:markdown_text"),
            waivers=_use("text:waivers_markdown"),
            due=_use("text:due_markdown"),
            sources=_use("sources:markdown_text"),
        ),
        Format(
            "json",
            "the JSON report, parity/report/v1 (docs/report.md)",
            check=_use("json:iter_json"),
            diff=_use("json:diff"),
            explain=_use("json:explain"),
            rules=_use("json:rules"),
            history=_use("json:history"),
            validate=_use("json:validate"),
            waivers=_use("json:waivers"),
            due=_use("json:due"),
            sources=_use("sources:json_text"),
        ),
        Format(
            "scorecard",
            "a Markdown scorecard for a README: the labs by score, beside coverage",
            check=_use("text:scorecard_markdown", whole=True),
        ),
        Format("sarif", "SARIF 2.1.0, for code scanning", check=_use("ci:sarif"), diff=_use("ci:diff_sarif")),
        Format(
            "junit",
            "JUnit XML: shortfalls and new shortfalls fail",
            check=_use("ci:junit"),
            diff=_use("ci:diff_junit"),
        ),
        Format(
            "csv",
            "CSV for spreadsheets (RFC 4180): one row per verdict, or per change of a diff",
            check=_use("csv:check"),
            diff=_use("csv:diff"),
        ),
        Format(
            "github",
            "GitHub workflow commands: annotations",
            check=_use("ci:github"),
            diff=_use("ci:diff_github"),
            validate=_use("ci:validate_github"),
            waivers=_use("ci:waivers_github"),
        ),
    )
}


def names(command: str) -> list[str]:
    """The formats that render `command`, sorted."""
    return sorted(name for name, f in FORMATS.items() if command in f.commands)


def get(name: str, command: str) -> Format:
    """The format `name` for `command`; a usage error if there is none or it cannot render the command."""
    found = FORMATS.get(name)
    if found is None or command not in found.commands:
        raise UsageError(f"format {name!r} cannot render `{command}`; one of {', '.join(names(command))}")
    return found


def write(report: Report, fmt: str, stream: IO[str]) -> None:
    """Write a check report to a text stream, in pieces (a 1,000-lab JSON report is ~150 MB)."""
    render_check = get(fmt, "check").check
    assert render_check is not None
    with paused_gc():
        stream.writelines(render_check(report))


def render(report: Report, fmt: str = "table") -> str:
    """A check report as one string."""
    render_check = get(fmt, "check").check
    assert render_check is not None
    with paused_gc():
        return "".join(render_check(report))


def render_diff(diff: Diff, fmt: str) -> str:
    """What changed between two evaluations."""
    render = get(fmt, "diff").diff
    assert render is not None
    return render(diff)


def render_explain(data: Dataset, rule_id: str, report: Report, fmt: str) -> str:
    """One rule in words (or data), and where every lab stands against it now."""
    explain = get(fmt, "explain").explain
    assert explain is not None
    return explain(data, rule_id, report)


def render_history(history: History, fmt: str, details: bool = False) -> str:
    """Scores over time, regressions, alarms and bars that fell."""
    render = get(fmt, "history").history
    assert render is not None
    return render(history, details)


def render_validate(result: Validation, fmt: str) -> str:
    """What `parity validate` found: the counts, or every problem (table: problems go to stderr)."""
    render = get(fmt, "validate").validate
    assert render is not None
    return render(result)


def render_waivers(rows: list[WaiverStatus], as_of: dt.date, fmt: str) -> str:
    """Every waiver and where it stands."""
    render = get(fmt, "waivers").waivers
    assert render is not None
    return render(rows, as_of)


def render_due(report: Report, within: int, fmt: str) -> str:
    """The recency verdicts that fall due within `within` days, and those overdue."""
    render = get(fmt, "due").due
    assert render is not None
    return render(report, within)


def render_sources(result: SourcesRun, fmt: str) -> str:
    """What `parity sources` found at each URL it checked."""
    render = get(fmt, "sources").sources
    assert render is not None
    return render(result)


def render_rules(data: Dataset, fmt: str) -> str:
    """The rule list: id, pack, kind, area, what it checks, severity, who it applies to, when in force."""
    rules = get(fmt, "rules").rules
    assert rules is not None
    return rules(data)


__all__ = [
    "FORMATS",
    "Format",
    "get",
    "markdown",
    "names",
    "render",
    "render_diff",
    "render_due",
    "render_explain",
    "render_history",
    "render_rules",
    "render_sources",
    "render_validate",
    "render_waivers",
    "show",
    "terminal",
    "write",
]
