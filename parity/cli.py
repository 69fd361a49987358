"""The command line: parse arguments, call the library, print, and turn errors into exit codes.

Exit codes: 0 done; 1 shortfalls at or above --fail-on; 2 bad input or usage; 3 internal error.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from parity import __version__
from parity.errors import EngineError, LoadError, UsageError
from parity.evaluate import SHORTFALLS, Report, evaluate
from parity.loader import Dataset, load, paused_gc
from parity.models import SEVERITIES, LabProfile, RulePack, Waiver
from parity.report import FORMATS, render_explain, render_rules, write

EXIT_OK, EXIT_SHORTFALLS, EXIT_INPUT, EXIT_INTERNAL = 0, 1, 2, 3
FAIL_ON = ("never", *SEVERITIES)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse's own exit code for usage errors is 2 too
        self.print_usage(sys.stderr)
        self.exit(EXIT_INPUT, f"parity: error: {message}\n")


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text) if len(text) == 10 else dt.date.fromisoformat("invalid")
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


_INPUTS = (
    ("--profiles", Path("lab_profiles"), "DIR", "directory of lab profiles (default: ./lab_profiles)"),
    ("--rules", Path("rules"), "DIR", "directory of rule packs (default: ./rules)"),
    ("--waivers", None, "FILE", "waivers file (default: ./waivers.yaml where it exists)"),
)


def _inputs(p: argparse.ArgumentParser, as_of: bool = False) -> None:
    for flag, default, metavar, text in _INPUTS:
        p.add_argument(flag, type=Path, default=default, metavar=metavar, help=text)
    if as_of:
        p.add_argument(
            "--as-of",
            type=_date,
            default=None,
            metavar="YYYY-MM-DD",
            help="evaluation date for recency bars, staleness and waiver expiry (default: today, UTC)",
        )


def parser() -> argparse.ArgumentParser:
    """The argument parser (public so the docs test can check every command is documented)."""
    top = _Parser(prog="parity", description="Find where AI labs fall below the industry bar.")
    top.add_argument("--version", action="version", version=f"parity {__version__}")
    sub = top.add_subparsers(dest="command", required=True, parser_class=_Parser)
    check = sub.add_parser("check", help="evaluate and list shortfalls (all verdicts in json)")
    _inputs(check, as_of=True)
    check.add_argument("--format", choices=sorted(FORMATS), default="table")
    check.add_argument("--lab", action="append", metavar="ID", help="only this lab (repeatable)")
    check.add_argument("--rule", action="append", metavar="ID", help="only this rule (repeatable)")
    check.add_argument(
        "--fail-on",
        choices=FAIL_ON,
        default="never",
        help="exit 1 when a shortfall of this severity or higher remains (default: never)",
    )
    validate = sub.add_parser("validate", help="load and validate profiles, rules and waivers only")
    _inputs(validate)
    explain = sub.add_parser("explain", help="what a rule means, its bar, and which labs set it now")
    explain.add_argument("rule", metavar="RULE")
    _inputs(explain, as_of=True)
    explain.add_argument("--format", choices=sorted(FORMATS), default="table")
    rules = sub.add_parser("rules", help="list rules (id, area, bar, severity)")
    rules.add_argument("--rules", type=Path, default=Path("rules"), metavar="DIR")
    rules.add_argument("--format", choices=sorted(FORMATS), default="table")
    schema = sub.add_parser("schema", help="print JSON Schemas for profiles, rule packs and waivers")
    schema.add_argument("which", nargs="?", choices=("profile", "rule-pack", "waivers"))
    return top


def _load(args: argparse.Namespace) -> Dataset:
    waivers = args.waivers
    if waivers is None and Path("waivers.yaml").is_file():
        waivers = Path("waivers.yaml")
    return load(args.profiles, args.rules, waivers)


def _check(args: argparse.Namespace) -> int:
    report = evaluate(_load(args), as_of=args.as_of, labs=args.lab, rules=args.rule)
    write(report, args.format, sys.stdout)
    sys.stdout.flush()
    return EXIT_SHORTFALLS if _fails(report, args.fail_on) else EXIT_OK


def _fails(report: Report, fail_on: str) -> bool:
    if fail_on == "never":
        return False
    floor = SEVERITIES.index(fail_on)
    return any(v.status in SHORTFALLS and SEVERITIES.index(v.severity) >= floor for v in report.verdicts)


def _validate(args: argparse.Namespace) -> int:
    data = _load(args)
    print(
        f"ok: {len(data.labs)} lab profile(s), {len(data.rules)} rule(s) in {len(data.packs)} pack(s), "
        f"{len(data.waivers)} waiver(s)"
    )
    return EXIT_OK


def _explain(args: argparse.Namespace) -> int:
    data = _load(args)
    if args.rule not in data.rules:
        raise UsageError(f"unknown rule {args.rule!r}; `parity rules` lists them")
    report = evaluate(data, as_of=args.as_of, rules=[args.rule])
    _write(render_explain(data, args.rule, report, args.format))
    return EXIT_OK


def _rules(args: argparse.Namespace) -> int:
    data = load(None, args.rules, None)
    _write(render_rules(data, args.format))
    return EXIT_OK


def _schema(args: argparse.Namespace) -> int:
    schemas = {
        "profile": LabProfile.model_json_schema(),
        "rule-pack": RulePack.model_json_schema(),
        "waivers": TypeAdapter(list[Waiver]).json_schema(),
    }
    chosen = schemas[args.which] if args.which else schemas
    _write(json.dumps(chosen, indent=2, sort_keys=True) + "\n")
    return EXIT_OK


def _write(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "check": _check,
    "validate": _validate,
    "explain": _explain,
    "rules": _rules,
    "schema": _schema,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns (and, as a console script, exits with) its exit code."""
    try:
        args = parser().parse_args(argv)
    except SystemExit as e:  # --help, --version, or a usage error already printed by argparse
        return e.code if isinstance(e.code, int) else EXIT_INPUT
    try:
        with paused_gc():  # one short-lived run: no cycles worth a collector's full passes
            return COMMANDS[args.command](args)
    except LoadError as e:
        for problem in e.problems:
            print(problem, file=sys.stderr)
        print(f"parity: {len(e.problems)} problem(s); nothing was evaluated", file=sys.stderr)
        return EXIT_INPUT
    except UsageError as e:
        print(f"parity: error: {e}", file=sys.stderr)
        return EXIT_INPUT
    except BrokenPipeError:
        # `parity check | head`: the reader left; not an error of ours.
        sys.stderr.close()
        return EXIT_OK
    except (EngineError, Exception) as e:
        print(f"parity: internal error: {type(e).__name__}: {e}", file=sys.stderr)
        if os.environ.get("PARITY_DEBUG"):
            traceback.print_exc()
        else:
            print("parity: this is a bug in parity; rerun with PARITY_DEBUG=1 for details", file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
