"""The command line: parse arguments (`options`), call the library, write, and turn errors into exit codes.
One function per command; the output is rendered by the format registry (`parity.formats`).

Exit codes: 0 done; 1 shortfalls at or above --fail-on; 2 bad input, usage, or output that cannot be
written; 3 internal error (a bug: never anything a user did); 4 the engine is not installed so that it
imports (an installation problem, with the command that fixes it); 130 interrupted.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any

from parity._gc import paused_gc
from parity.cli.options import parser

__all__ = ["main", "parser"]
from parity.errors import EngineError, EngineMissing, LoadError, OutputError, UsageError
from parity.formats import (
    render_diff,
    render_explain,
    render_history,
    render_rules,
    render_validate,
    render_waivers,
    terminal,
    write,
)
from parity.judge.scope import select_rules
from parity.loading import DEFAULT_MAX_REVIEW_AGE, Dataset, Strict, load
from parity.loading.cache import ParseCache
from parity.models import suggest
from parity.report import Validation, fails
from parity.report.schemas import SCHEMAS
from parity.vocabulary import plural, today

EXIT_OK, EXIT_SHORTFALLS, EXIT_INPUT, EXIT_INTERNAL, EXIT_INSTALL, EXIT_INTERRUPTED = 0, 1, 2, 3, 4, 130


def _cache(args: argparse.Namespace) -> ParseCache | None:
    """The parse cache the options ask for (docs/cache.md); a folder that cannot be used is no error."""
    if getattr(args, "no_cache", False):
        if args.cache_dir is not None:
            raise UsageError("--cache-dir and --no-cache exclude each other")
        return None
    directory = getattr(args, "cache_dir", None)
    if directory is None:
        return ParseCache.default() if hasattr(args, "no_cache") else None
    if os.path.lexists(directory) and not directory.is_dir():
        raise UsageError(f"--cache-dir {directory}: not a directory")
    return ParseCache(directory)


def _load(args: argparse.Namespace) -> Dataset:
    """Load the inputs the arguments name; fixes `args.as_of` to today, once, when it is not given."""
    args.as_of = args.as_of or today()  # one date for the whole command, even across midnight
    waivers = args.waivers
    default = args.profiles.parent / "waivers.yaml"  # beside the data it waives, not the working directory
    if waivers is None and os.path.lexists(default):
        waivers = default  # a folder or a broken link of that name is reported, never silently skipped
    strict = None
    if getattr(args, "strict", False):
        strict = Strict(args.as_of, args.max_review_age or DEFAULT_MAX_REVIEW_AGE)
    elif getattr(args, "max_review_age", None) is not None:
        raise UsageError("--max-review-age goes with --strict")
    return load(args.profiles, args.rules, waivers, strict=strict, cache=_cache(args))


def _default_format() -> str:
    return "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "table"


def _check(args: argparse.Namespace) -> int:
    from parity.judge.evaluation import evaluate

    data = _load(args)
    rules = select_rules(data, args.rule, args.skip_rule, args.pack, args.area, args.min_severity)
    held = _held(data, args)
    report = evaluate(
        data, as_of=args.as_of, labs=args.lab, rules=rules, waiver_horizon=args.max_waiver_days, held=held
    )
    failing = fails(report, args.fail_on) or (args.strict_waivers and bool(report.waiver_issues))
    code = EXIT_SHORTFALLS if failing else EXIT_OK
    for fmt, path in args.output:
        _write_file(path, functools.partial(write, report, fmt))
    return _emit(code, functools.partial(write, report, args.format or _default_format()))


def _held(data: Dataset, args: argparse.Namespace) -> Any:
    """For ratcheted bars, what the repository's history holds; said on stderr when there is none."""
    if not any(r.rule.ratchet for r in data.rules.values()):
        return None
    from parity.history import held_for

    held = held_for(data, args.profiles, args.rules, args.as_of, _cache(args))
    if not held.complete:
        _say(
            "parity: note: ratcheted bars rank present values only, flagged no_history: the profiles are "
            "not in a git repository with its full history (a shallow clone? fetch it whole)"
        )
    return held


def _write_file(path: Path, produce: Callable[[IO[str]], object]) -> None:
    """Write a whole file or nothing: into a temporary file beside it, then renamed over it."""
    import tempfile

    try:
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent if str(path.parent) else ".")
    except OSError as e:
        raise OutputError(f"{path}: {e.strerror}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as out:
            produce(out)
        os.replace(temp, path)
    except OSError as e:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise OutputError(f"{path}: {e.strerror}") from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def _validate(args: argparse.Namespace) -> int:
    fmt = args.format or _default_format()
    try:
        data = _load(args)
    except LoadError as e:
        if fmt == "table":  # problems go to stderr, as every command's do
            raise
        text = render_validate(Validation(args.strict, problems=tuple(e.problems)), fmt)
        return _emit(EXIT_INPUT, functools.partial(_write_text, text))
    counts = Validation(args.strict, len(data.labs), len(data.rules), len(data.packs), len(data.waivers))
    return _emit(EXIT_OK, functools.partial(_write_text, render_validate(counts, fmt)))


def _waivers(args: argparse.Namespace) -> int:
    from parity.judge.evaluation import evaluate
    from parity.judge.waivers import statuses

    data = _load(args)
    report = evaluate(data, as_of=args.as_of, waiver_horizon=args.max_waiver_days)
    text = render_waivers(statuses(data, report), report.as_of, args.format)
    code = EXIT_SHORTFALLS if args.strict_waivers and report.waiver_issues else EXIT_OK
    return _emit(code, functools.partial(_write_text, text))


def _explain(args: argparse.Namespace) -> int:
    from parity.judge.evaluation import evaluate

    data = _load(args)
    if args.rule not in data.rules:
        raise UsageError(
            f"unknown rule {args.rule!r}{suggest(args.rule, data.rules)}; `parity rules` lists them"
        )
    report = evaluate(data, as_of=args.as_of, rules=[args.rule])
    text = render_explain(data, args.rule, report, args.format)
    return _emit(EXIT_OK, lambda out: out.write(text))


def _rules(args: argparse.Namespace) -> int:
    text = render_rules(load(None, args.rules, None), args.format)
    return _emit(EXIT_OK, lambda out: out.write(text))


def _schema(args: argparse.Namespace) -> int:
    if args.out is not None:
        if not args.out.is_dir():
            raise OutputError(f"{args.out}: not a directory")
        names = [args.which] if args.which else sorted(SCHEMAS)
        for name in names:
            text = json.dumps(SCHEMAS[name](), indent=2, sort_keys=True) + "\n"
            _write_file(args.out / f"{name}.schema.json", functools.partial(_write_text, text))
        listing = "".join(f"{args.out / f'{name}.schema.json'}\n" for name in names)
        return _emit(EXIT_OK, lambda out: out.write(listing))
    chosen = SCHEMAS[args.which]() if args.which else {name: make() for name, make in sorted(SCHEMAS.items())}
    text = json.dumps(chosen, indent=2, sort_keys=True) + "\n"
    return _emit(EXIT_OK, lambda out: out.write(text))


def _scorecard(args: argparse.Namespace) -> int:
    from parity.judge.evaluation import evaluate
    from parity.site import write_site

    data = _load(args)
    if args.since and not args.history:
        raise UsageError("--since goes with --history")
    held = _held(data, args)
    report = evaluate(data, as_of=args.as_of, packs=args.pack, waiver_horizon=args.max_waiver_days, held=held)
    charts = _charts(args, set(report.labs)) if args.history else None
    written = write_site(report, data, args.output, charts=charts)
    text = (
        f"{args.output}: the scorecard as of {report.as_of.isoformat()}, {len(written)} files; "
        f"open {args.output / 'index.html'}\n"
    )
    return _emit(EXIT_OK, lambda out: out.write(text))


def _charts(args: argparse.Namespace, labs: set[str]) -> dict[str, str]:
    """Each lab's score over time, from the history of the repository that holds the profiles."""
    from parity.formats.history import chart
    from parity.history import run
    from parity.history.timeline import data_in

    top, paths = data_in(args.profiles, args.rules)
    result = run(top, since=args.since, profiles=paths[0], rules=paths[1], cache=_cache(args))
    return {lab: chart(result, lab) for lab in sorted(result.points) if lab in labs}


def _write_text(text: str, out: IO[str]) -> None:
    out.write(text)


def _emit(code: int, produce: Callable[[IO[str]], Any]) -> int:
    """Write the output and return `code`, whatever happens to the reader: a reader that leaves early
    (`parity check | head -1`) must not turn a failing gate into a passing one."""
    out = sys.stdout
    try:
        produce(out)
        out.flush()
    except BrokenPipeError:
        _silence_stdout()
    except UnicodeEncodeError as e:
        raise OutputError(
            f"the output encoding ({out.encoding}) cannot show {e.object[e.start : e.end]!r}; "
            "set PYTHONIOENCODING=utf-8"
        ) from None
    except OSError as e:
        raise OutputError(e.strerror or str(e)) from None
    return code


def _silence_stdout() -> None:
    """Point stdout at /dev/null so that the interpreter's final flush cannot fail a second time."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def _diff(args: argparse.Namespace) -> int:
    from parity.diff import compare, load_side

    as_of = args.as_of or today()
    cache = _cache(args)
    base = load_side(args.base, args.repo, as_of, cache)
    head = load_side(args.head or ".", args.repo, as_of, cache)
    if args.head is None:
        head = type(head)("worktree", head.kind, head.report, head.commit)
    result = compare(base, head)
    failing = args.fail_on_new != "never" and result.failing(args.fail_on_new, args.accept_new_waivers)
    for fmt, path in args.output:
        _write_file(path, functools.partial(_write_text, render_diff(result, fmt)))
    text = render_diff(result, args.format or _default_format())
    return _emit(EXIT_SHORTFALLS if failing else EXIT_OK, functools.partial(_write_text, text))


def _history(args: argparse.Namespace) -> int:
    from parity.history import run

    result = run(
        repo=args.repo,
        snapshots=args.snapshots,
        since=args.since,
        until=args.until,
        first_parent=args.first_parent,
        profiles=args.profiles,
        rules=args.rules,
        waivers=args.waivers,
        as_of=args.as_of,
        alarms=args.alarms,
        window=args.window,
        cache=_cache(args),
    )
    if args.charts is not None:
        _write_charts(result, args.charts)
    for fmt, path in args.output:
        _write_file(path, functools.partial(_write_text, render_history(result, fmt, args.details)))
    text = render_history(result, args.format or "table", args.details)
    code = EXIT_SHORTFALLS if args.fail_on_alarm and result.failing() else EXIT_OK
    return _emit(code, functools.partial(_write_text, text))


def _write_charts(result: Any, folder: Path) -> None:
    from parity.formats.history import chart

    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(f"{folder}: {e.strerror}") from None
    for lab in sorted(result.points):
        _write_file(folder / f"{lab}.svg", functools.partial(_write_text, chart(result, lab)))


def _test(args: argparse.Namespace) -> int:
    from parity.casetest import read_cases, run_cases

    outcomes = run_cases(read_cases(args.cases), args.rules)
    failed = [o for o in outcomes if not o.passed]
    lines = [o.describe() for o in failed]
    lines.append(f"{len(outcomes) - len(failed)} passed, {len(failed)} failed")
    text = "\n".join(lines) + "\n"
    return _emit(EXIT_SHORTFALLS if failed else EXIT_OK, lambda out: out.write(text))


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "test": _test,
    "waivers": _waivers,
    "check": _check,
    "diff": _diff,
    "history": _history,
    "validate": _validate,
    "explain": _explain,
    "rules": _rules,
    "schema": _schema,
    "scorecard": _scorecard,
}


def _say(text: str) -> None:
    with contextlib.suppress(OSError, ValueError):  # stderr itself may be closed
        sys.stderr.write(terminal(text) + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns (and, as a console script, exits with) its exit code."""
    try:
        try:
            args = parser().parse_args(argv)
        except SystemExit as e:  # --help, --version, or a usage error already printed by argparse
            return e.code if isinstance(e.code, int) else EXIT_INPUT
        return _run(args)
    except KeyboardInterrupt:
        _say("parity: interrupted")
        return EXIT_INTERRUPTED


def _run(args: argparse.Namespace) -> int:
    try:
        with paused_gc():  # one short-lived command builds no cycles worth the collector's full passes
            return COMMANDS[args.command](args)
    except LoadError as e:
        for problem in e.problems:
            _say(str(problem))
        _say(f"parity: {plural(len(e.problems), 'problem')}; nothing was evaluated")
        return EXIT_INPUT
    except UsageError as e:
        _say(f"parity: error: {e}")
        return EXIT_INPUT
    except OutputError as e:
        _say(f"parity: cannot write the output: {e}")
        return EXIT_INPUT
    except KeyboardInterrupt:
        raise
    except EngineMissing as e:  # before EngineError, its parent: an installation problem, not a bug
        _say(f"parity: installation problem: {e}")
        return EXIT_INSTALL
    except EngineError as e:
        _say(f"parity: engine error: {e}")
        return EXIT_INTERNAL
    except Exception as e:  # a bug: say so plainly, and how to see more
        _say(f"parity: internal error: {type(e).__name__}: {e}")
        if os.environ.get("PARITY_DEBUG"):
            traceback.print_exc()
        else:
            _say("parity: this is a bug in parity; rerun with PARITY_DEBUG=1 for details")
        return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
