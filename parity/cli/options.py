"""The command line's options: one argument parser, its option groups shared by the commands that take
them, and how each option's text becomes a value (dates, day counts, FORMAT:PATH). A bad value is a usage
error, exit 2, before any command runs."""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from parity._version import __version__
from parity.dataset import DEFAULT_MAX_REVIEW_AGE
from parity.formats import names
from parity.vocabulary import DEFAULT_WAIVER_HORIZON as DEFAULT_HORIZON
from parity.vocabulary import EARLIEST_DATE, FAIL_ON, LATEST_DATE, MAX_DAYS, SEVERITIES, parse_date

EXIT_INPUT = 2  # argparse's own exit code for usage errors, and parity's for bad input


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse's own exit code for usage errors is 2 too
        self.print_usage(sys.stderr)
        self.exit(EXIT_INPUT, f"parity: error: {message}\n")


class _SchemaNames:
    """The names `parity schema` takes, read from the schema registry only when argparse asks (checking a
    value, printing `schema --help`): the registry builds pydantic models, which no other command needs
    to parse its options."""

    def _names(self) -> list[str]:
        from parity.report.schemas import SCHEMAS

        return sorted(SCHEMAS)

    def __contains__(self, name: object) -> bool:
        return name in self._names()

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())


def _date(text: str) -> dt.date:
    try:
        value = parse_date(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        raise argparse.ArgumentTypeError(
            f"{text!r} is out of range: parity evaluates at dates from {EARLIEST_DATE} to {LATEST_DATE}"
        )
    return value


def _days(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text[:8]) <= MAX_DAYS or len(text) > 8:
        raise argparse.ArgumentTypeError(
            f"expected a whole number of days from 1 to {MAX_DAYS}, got {text!r}"
        )
    return int(text)


_SITE_URL = re.compile(r"https?://[^\s/?#@\"'<>\\^`{|}]+(/[^\s?#\"'<>\\^`{|}]*)?", re.IGNORECASE)


def _site_url(text: str) -> str:
    """The published scorecard's address: an http(s) URL of a folder (a trailing / is added), with no
    query or fragment, since the pages' names are appended to it."""
    if not _SITE_URL.fullmatch(text):
        raise argparse.ArgumentTypeError(
            "expected the http(s) address of the scorecard's folder (https://example.org/scorecard/), "
            f"got {text!r}"
        )
    return text if text.endswith("/") else text + "/"


def _site(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument("--site-url", type=_site_url, default=None, metavar="URL", help=what)


# --profiles and --rules default to None: "not given", so that the data is found as git finds its
# repository (cli._data), from the working folder upward.
_INPUTS = (
    (
        "--profiles",
        None,
        "DIR",
        "directory of lab profiles (default: lab_profiles/ in the nearest folder, here or above, "
        "that holds lab_profiles/ and rules/)",
    ),
    ("--rules", None, "DIR", "directory of rule packs (default: rules/ beside those lab_profiles/)"),
    ("--waivers", None, "FILE", "waivers file (default: waivers.yaml beside the profiles folder, if any)"),
)


def _input(p: argparse.ArgumentParser, flag: str) -> None:
    """One of the input options, as every command that takes it spells it."""
    for name, default, metavar, text in _INPUTS:
        if name == flag:
            p.add_argument(flag, type=Path, default=default, metavar=metavar, help=text)


def _inputs(p: argparse.ArgumentParser, strict: bool = False) -> None:
    for flag, *_ in _INPUTS:
        _input(p, flag)
    p.add_argument(
        "--as-of",
        type=_date,
        default=None,
        metavar="YYYY-MM-DD",
        help="evaluation date for recency bars, staleness and waiver expiry"
        + (" and --strict" if strict else "")
        + " (default: today, UTC)",
    )
    if strict:
        p.add_argument(
            "--strict",
            action="store_true",
            help="every value (unknown too) needs evidence, none dated after the evaluation date, "
            "and every profile a recent 'reviewed'",
        )
        p.add_argument(
            "--max-review-age",
            type=_days,
            metavar="DAYS",
            default=None,
            help=f"with --strict: the oldest 'reviewed' accepted (default: {DEFAULT_MAX_REVIEW_AGE})",
        )


def _pack(p: argparse.ArgumentParser) -> None:
    p.add_argument("--pack", action="append", metavar="ID", help="only the rules of this pack (repeatable)")


def _waiver_horizon(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--max-waiver-days",
        type=_days,
        default=DEFAULT_HORIZON,
        metavar="DAYS",
        help="a waiver expiring more than DAYS after the evaluation date is not applied "
        f"(default: {DEFAULT_HORIZON})",
    )


def _waiver_options(p: argparse.ArgumentParser) -> None:
    _waiver_horizon(p)
    p.add_argument(
        "--strict-waivers",
        action="store_true",
        help="exit 1 when a waiver is expired, unused or beyond the horizon",
    )


def _cache_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--cache-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="keep parsed files here (default: $PARITY_CACHE_DIR, else $XDG_CACHE_HOME/parity, "
        "else ~/.cache/parity)",
    )
    p.add_argument("--no-cache", action="store_true", help="parse every file afresh; read and write no cache")


def parser() -> argparse.ArgumentParser:
    """The argument parser (public so the docs test can check every command is documented)."""
    top = Parser(prog="parity", description="Find where AI labs fall below the industry bar.")
    top.add_argument("--version", action="version", version=f"parity {__version__}")
    sub = top.add_subparsers(dest="command", required=True, parser_class=Parser)
    check = sub.add_parser("check", help="evaluate and list shortfalls (all verdicts in json)")
    _inputs(check, strict=True)
    _formats(check, "check")
    check.add_argument("--lab", action="append", metavar="ID", help="only this lab (repeatable)")
    check.add_argument(
        "--rule", action="append", metavar="ID", help="only rules matching this id or glob (repeatable)"
    )
    check.add_argument(
        "--skip-rule", action="append", metavar="ID", help="leave out rules matching this id or glob"
    )
    _pack(check)
    check.add_argument(
        "--area", action="append", metavar="AREA", help="only the rules of this area (repeatable)"
    )
    check.add_argument(
        "--min-severity", choices=SEVERITIES, default=None, help="only rules of this severity or higher"
    )
    check.add_argument(
        "--fail-on",
        choices=FAIL_ON,
        default="never",
        help="exit 1 when an unwaived shortfall of this severity or higher remains (default: never)",
    )
    _waiver_options(check)
    _source_record(check)
    check.add_argument(
        "--strict-sources",
        action="store_true",
        help="exit 1 when a shortfall cites evidence the source record finds drifted or gone",
    )
    _site(check, "where the scorecard is published: SARIF's helpUri is each rule's page there")
    _cache_options(check)
    diff = sub.add_parser("diff", help="what changed between two evaluations (revisions, folders or reports)")
    diff.add_argument(
        "base",
        metavar="BASE",
        help="a git revision; or, written as a path (./X, X/, /X), a folder with lab_profiles/ and "
        "rules/ or a saved JSON report",
    )
    diff.add_argument(
        "head", metavar="HEAD", nargs="?", default=None, help="the same (default: the working tree, .)"
    )
    diff.add_argument(
        "--repo", type=Path, default=Path("."), metavar="DIR", help="the git repository (default: .)"
    )
    diff.add_argument(
        "--as-of",
        type=_date,
        default=None,
        metavar="YYYY-MM-DD",
        help="evaluation date of both sides that are evaluated (default: today, UTC)",
    )
    _formats(diff, "diff")
    diff.add_argument(
        "--fail-on-new",
        choices=FAIL_ON,
        default="never",
        help="exit 1 when a new shortfall of this severity or higher appears, waived at once or not, or "
        "such a rule is redefined under an unchanged pack version (default: never)",
    )
    diff.add_argument(
        "--accept-new-waivers",
        action="store_true",
        help="with --fail-on-new: a new shortfall that a waiver of the head side covers passes (it is "
        "still annotated); for repositories whose waivers get a review of their own",
    )
    _cache_options(diff)
    _history_parser(sub)
    test = sub.add_parser("test", help="run rule-pack test cases: the status expected per lab and rule")
    test.add_argument(
        "cases",
        metavar="DIR",
        nargs="?",
        type=Path,
        default=None,
        help="folder of case files (default: tests/rule_cases/ beside the data's rules/)",
    )
    _input(test, "--rules")
    waivers = sub.add_parser("waivers", help="list the waivers: what each covers, its status and days left")
    _inputs(waivers)
    waivers.add_argument("--format", choices=names("waivers"), default="table")
    _waiver_options(waivers)
    validate = sub.add_parser("validate", help="load and validate profiles, rules and waivers only")
    _inputs(validate, strict=True)
    validate.add_argument(
        "--format",
        choices=names("validate"),
        default=None,
        help="how to report problems (default: table; github when GITHUB_ACTIONS=true)",
    )
    _cache_options(validate)
    explain = sub.add_parser("explain", help="what a rule means, its bar, and which labs set it now")
    explain.add_argument("rule", metavar="RULE")
    _inputs(explain)
    explain.add_argument("--format", choices=names("explain"), default="table")
    rules = sub.add_parser("rules", help="list rules (id, pack, kind, area, what it checks, severity)")
    _input(rules, "--rules")
    rules.add_argument("--format", choices=names("rules"), default="table")
    due = sub.add_parser(
        "due", help="the recency obligations that fall due soon, and those overdue (within_days bars)"
    )
    _inputs(due)
    due.add_argument(
        "--within",
        type=_days,
        default=30,
        metavar="DAYS",
        help="list what falls due within DAYS of the evaluation date (default: 30); overdue ones always",
    )
    due.add_argument("--lab", action="append", metavar="ID", help="only this lab (repeatable)")
    _pack(due)
    due.add_argument("--format", choices=names("due"), default="table")
    scorecard = sub.add_parser(
        "scorecard", help="write the public scorecard: a static site (pages, report.json, badges)"
    )
    scorecard.add_argument(
        "-o",
        "--output",
        type=Path,
        required=True,
        metavar="DIR",
        help="the folder to write: new, empty, or one parity wrote before (then replaced whole)",
    )
    _inputs(scorecard, strict=True)
    _pack(scorecard)
    _waiver_horizon(scorecard)
    scorecard.add_argument(
        "--history",
        action="store_true",
        help="embed each lab's score over time, by the data's own dates (as `parity history` tells it)",
    )
    _source_record(scorecard)
    scorecard.add_argument(
        "--history-revisions",
        action="store_true",
        help="embed each lab's score over time by the repository's revisions (data without timelines)",
    )
    scorecard.add_argument(
        "--since",
        metavar="DATE|REV",
        help="with --history: from this date (by revisions: or after one)",
    )
    scorecard.add_argument(
        "--previous",
        metavar="REPORT|REV",
        help="the last edition (its report.json, or a revision or folder of the data): adds what changed "
        "since (a page and an Atom feed) and the watchdog's corrections",
    )
    _site(scorecard, "where the site is published: absolute links in citations, the feed and report.json")
    scorecard.add_argument(
        "--publisher", metavar="NAME", help="who publishes the scorecard: named in citations and the feed"
    )
    _cache_options(scorecard)
    _sources_parser(sub)
    schema = sub.add_parser(
        "schema", help="print JSON Schemas for profiles, rule packs, waivers and the report"
    )
    schema.add_argument(
        "which", nargs="?", choices=_SchemaNames(), metavar="NAME", help="one of %(choices)s (default: all)"
    )
    schema.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="DIR",
        help="write each schema to DIR/<name>.schema.json instead",
    )
    return top


def _source_record(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--sources",
        type=Path,
        default=None,
        metavar="FILE",
        help="the source record `parity sources` writes, read to flag verdicts whose evidence drifted or "
        "is gone (default: sources.json beside the profiles folder, if any); never the network",
    )


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value <= 86_400:
        raise argparse.ArgumentTypeError(f"expected a number of seconds from 0 to 86400, got {text!r}")
    return value


def _count(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text[:4]) <= 64 or len(text) > 4:
        raise argparse.ArgumentTypeError(f"expected a whole number from 1 to 64, got {text!r}")
    return int(text)


def _megabytes(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text[:5]) <= 1024 or len(text) > 5:
        raise argparse.ArgumentTypeError(f"expected a whole number of megabytes from 1 to 1024, got {text!r}")
    return int(text) * 1024 * 1024


def _sources_parser(sub: Any) -> None:
    from parity.sources.limits import Limits

    default = Limits()
    p = sub.add_parser(
        "sources", help="check every evidence URL: reachable, quote still there; record the result"
    )
    for flag in ("--profiles", "--rules"):
        _input(p, flag)
    p.add_argument(
        "--record",
        type=Path,
        default=None,
        metavar="FILE",
        help="the source record to update (default: sources.json beside the profiles folder)",
    )
    p.add_argument("--no-write", action="store_true", help="check and print, but leave the record as it is")
    p.add_argument("--format", choices=names("sources"), default="table")
    p.add_argument("--lab", action="append", metavar="ID", help="only the URLs this lab's profile cites")
    p.add_argument("--url", action="append", metavar="URL", help="only this URL (repeatable)")
    p.add_argument(
        "--older-than",
        type=_days,
        default=None,
        metavar="DAYS",
        help="only URLs the record last checked more than DAYS days ago (or never)",
    )
    p.add_argument(
        "--fail-on-drift", action="store_true", help="exit 1 when a URL checked drifted or is gone"
    )
    p.add_argument(
        "--archive",
        action="store_true",
        help="ask the Wayback Machine to keep a copy of each page read, and record its address",
    )
    p.add_argument(
        "--allow-private",
        action="store_true",
        help="also fetch from loopback, private and link-local addresses (for tests, never on pull requests)",
    )
    p.add_argument(
        "--timeout",
        type=_seconds,
        default=None,
        metavar="SECONDS",
        help="to connect, and between the bytes of an answer (default: "
        f"{default.connect_timeout:g} and {default.read_timeout:g})",
    )
    p.add_argument(
        "--max-size",
        type=_megabytes,
        default=default.max_bytes,
        metavar="MB",
        help=f"the largest body read, after decompression (default: {default.max_bytes // 2**20})",
    )
    p.add_argument(
        "--per-host",
        type=_count,
        default=default.per_host,
        metavar="N",
        help=f"requests to one host at a time (default: {default.per_host})",
    )
    p.add_argument(
        "--time-budget",
        type=_seconds,
        default=default.budget,
        metavar="SECONDS",
        help="the whole run's time; URLs not started by then are left for the next run "
        f"(default: {default.budget:g})",
    )


def _history_parser(sub: Any) -> None:
    p = sub.add_parser(
        "history",
        help="the labs' story by the data's dates (--revisions: by commit, with corrections): regressions, "
        "alarms, bars that fell",
    )
    p.add_argument(
        "--revisions",
        action="store_true",
        help="walk the repository's commits (what the watchdog recorded, when), each change classified lab, "
        "correction, research or methodology (default: the data's own dates, from one revision)",
    )
    p.add_argument(
        "snapshots",
        metavar="SNAPSHOT",
        nargs="*",
        type=Path,
        help="with --revisions: snapshot folders (each holding lab_profiles/ and rules/, named by date)",
    )
    p.add_argument(
        "--repo",
        type=Path,
        default=Path("."),
        metavar="DIR",
        help="with --revisions: the git repository (default: .)",
    )
    p.add_argument(
        "--since",
        metavar="DATE|REV",
        help="from this date (inclusive); with --revisions, or after this revision",
    )
    p.add_argument(
        "--until",
        metavar="DATE|REV",
        help="up to this date (inclusive; default: today); with --revisions, or to this revision (HEAD)",
    )
    p.add_argument(
        "--first-parent", action="store_true", help="with --revisions: follow only the first parent of merges"
    )
    p.add_argument(
        "--profiles",
        type=Path,
        default=None,
        metavar="DIR",
        help="the profiles' folder (default: lab_profiles/ in the nearest folder, here or above, that holds "
        "the data; with --revisions: the folder in each revision, default lab_profiles)",
    )
    p.add_argument(
        "--rules",
        type=Path,
        default=None,
        metavar="DIR",
        help="the rule packs' folder (default: rules/ beside the profiles; with --revisions: in each "
        "revision, default rules)",
    )
    p.add_argument(
        "--waivers",
        default=None,
        metavar="FILE",
        help="the waivers file (default: waivers.yaml beside the profiles folder, if any)",
    )
    p.add_argument(
        "--as-of",
        type=_date,
        default=None,
        metavar="YYYY-MM-DD",
        help="the last date of the story (default: today); with --revisions, evaluate every revision at "
        "this date (default: each at its commit date)",
    )
    p.add_argument(
        "--alarms",
        type=Path,
        default=None,
        metavar="FILE",
        help="alarm thresholds and weights (default: alarms.yaml beside the data, or at the repository top)",
    )
    p.add_argument(
        "--window",
        type=_days,
        default=None,
        metavar="DAYS",
        help="erosion window (default: 1095, three years)",
    )
    _formats(p, "history")
    _cache_options(p)
    p.add_argument(
        "--charts", type=Path, default=None, metavar="DIR", help="write DIR/<lab>.svg, score over time"
    )
    p.add_argument("--fail-on-alarm", action="store_true", help="exit 1 when any alarm is raised")
    p.add_argument(
        "--allow-shallow",
        action="store_true",
        help="with --fail-on-alarm, walk a shallow clone as far as it goes (default: exit 2, fetch it whole)",
    )
    p.add_argument(
        "--details",
        action="store_true",
        help="with --revisions: every problem of each skipped revision (default: one line each; json: "
        "always)",
    )


def _formats(p: argparse.ArgumentParser, command: str) -> None:
    """`--format` and the repeatable `-o FORMAT:PATH` of a command that renders a report or a diff."""
    p.add_argument(
        "--format",
        choices=names(command),
        default=None,
        help="what to print (default: table; github when GITHUB_ACTIONS=true)",
    )
    p.add_argument(
        "-o",
        "--output",
        action="append",
        type=functools.partial(_output, command),
        default=[],
        metavar="FORMAT:PATH",
        help="also write this format to this file (repeatable; each file is replaced whole, atomically)",
    )


def _output(command: str, text: str) -> tuple[str, Path]:
    fmt, sep, path = text.partition(":")
    if not sep or not path:
        raise argparse.ArgumentTypeError(f"expected FORMAT:PATH, got {text!r}")
    if fmt not in names(command):
        raise argparse.ArgumentTypeError(f"unknown format {fmt!r}; one of {', '.join(names(command))}")
    return fmt, Path(path)
