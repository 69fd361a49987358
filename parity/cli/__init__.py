"""The command line: parse arguments (`options`), call the library, write, and turn errors into exit codes.
One function per command; the output is rendered by the format registry (`parity.formats`).

Exit codes: 0 done; 1 shortfalls at or above --fail-on; 2 bad input, usage, or output that cannot be
written; 3 internal error (a bug: never anything a user did); 4 the engine is not installed so that it
imports (an installation problem, with the command that fixes it); 130 interrupted.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import functools
import json
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from parity._gc import paused_gc
from parity.cli.options import parser

__all__ = ["main", "parser"]
from parity.dataset import DEFAULT_MAX_REVIEW_AGE, Dataset, Strict
from parity.errors import EngineError, EngineMissing, LoadError, OutputError, UsageError
from parity.formats import (
    render_diff,
    render_due,
    render_explain,
    render_history,
    render_rules,
    render_sources,
    render_validate,
    render_waivers,
    terminal,
    write,
)
from parity.vocabulary import parse_date, plural, today

if TYPE_CHECKING:
    from parity.cli.reuse import Kept, Run
    from parity.loading.cache import ParseCache
    from parity.report import Report, SourceNote

# The heavier modules (the loader, pydantic's models, the report, the engine) are imported by the commands
# that use them, so that `parity --version`, `--help` and a usage error import none of them.

EXIT_OK, EXIT_SHORTFALLS, EXIT_INPUT, EXIT_INTERNAL, EXIT_INSTALL, EXIT_INTERRUPTED = 0, 1, 2, 3, 4, 130


def _cache(args: argparse.Namespace) -> ParseCache | None:
    """The parse cache the options ask for (docs/cache.md); a folder that cannot be used is no error."""
    from parity.loading.cache import ParseCache

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


DATA = ("lab_profiles", "rules")  # the two folders that make a folder the data's


def _data(args: argparse.Namespace) -> Path:
    """Where the data is, as git finds its repository: `--profiles`/`--rules` as given; else the nearest
    folder, from the working folder up to the top of the git repository that holds it, that holds both
    `lab_profiles/` and `rules/`. Fixes `args.profiles` and `args.rules` (shown relative to the working
    folder, as `../lab_profiles`) and returns the data's root: the folder that holds the profiles, by its
    absolute path, so that `--profiles .` has the folder above it as its root (docs/cli.md, "Inputs")."""
    if getattr(args, "profiles", None) is None and args.rules is None:
        base = Path(os.path.relpath(_find_data(Path.cwd())))
        if hasattr(args, "profiles"):
            args.profiles = base / DATA[0]
        args.rules = base / DATA[1]
    if getattr(args, "profiles", None) is None and hasattr(args, "profiles"):
        args.profiles = Path(DATA[0])
    if args.rules is None:
        args.rules = Path(DATA[1])
    return Path(os.path.abspath(getattr(args, "profiles", None) or args.rules)).parent


def _find_data(start: Path, hint: str = "give --profiles DIR and --rules DIR") -> Path:
    """The nearest folder at or above `start` that holds the data folders (one of them is enough to stop:
    loading then says exactly what is wrong with the other). The search stops at the top of a git
    repository (a folder holding `.git`), as data outside one's repository is not one's own."""
    for folder in (start, *start.parents):
        if any(os.path.lexists(folder / name) for name in DATA):
            return folder
        if os.path.lexists(folder / ".git"):
            break
    raise UsageError(
        f"no folder holding {DATA[0]}/ and {DATA[1]}/ in {start} or above it (the search stops at the "
        f"top of a git repository): run parity in the folder that holds them, or {hint}"
    )


def _waivers_file(args: argparse.Namespace) -> Path | None:
    """The waivers file: as given, else waivers.yaml beside the profiles folder (not the working
    directory; found by its absolute path, so `--profiles .` reads the one above) when there is one; a
    folder or a broken link of that name is reported, never skipped."""
    default = _beside_data(args, "waivers.yaml")
    return args.waivers if args.waivers is not None or not os.path.lexists(default) else default


def _beside_data(args: argparse.Namespace, name: str) -> Path:
    """A file's default place in the data's folder, as a path from the working folder."""
    return Path(os.path.relpath(_data(args))) / name


def _load(args: argparse.Namespace) -> Dataset:
    """Load the inputs the arguments name; fixes `args.as_of` to today, once, when it is not given."""
    from parity.loading import load

    args.as_of = args.as_of or today()  # one date for the whole command, even across midnight
    waivers = _waivers_file(args)
    strict = None
    if getattr(args, "strict", False):
        strict = Strict(args.as_of, args.max_review_age or DEFAULT_MAX_REVIEW_AGE)
    elif getattr(args, "max_review_age", None) is not None:
        raise UsageError("--max-review-age goes with --strict")
    return load(args.profiles, args.rules, waivers, strict=strict, cache=_cache(args))


def _default_format() -> str:
    return "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "table"


def _check(args: argparse.Namespace) -> int:
    args.format = args.format or _default_format()
    with _reused(args) as run:
        kept = run.kept([*(str(path) for _, path in args.output), "-"])
        if kept is not None:
            return _replay(run, kept, args)
        code, report, reusable = _evaluated(args)
        for fmt, path in args.output:
            _write_file(path, run.record(str(path), functools.partial(write, report, fmt)))
        code = _emit(code, run.record("-", functools.partial(write, report, args.format)))
        if reusable:
            run.keep(code)
        return code


def _evaluated(args: argparse.Namespace) -> tuple[int, Any, bool]:
    """`check`'s exit code and report, and whether the report may be reused (no ratchet read git)."""
    from parity.judge.evaluation import evaluate
    from parity.judge.scope import select_rules
    from parity.report import fails, published_at

    data = _load(args)
    rules = select_rules(data, args.rule, args.skip_rule, args.pack, args.area, args.min_severity)
    held = _held(data, args)
    notes = _source_notes(args, data, required=args.strict_sources)
    report = evaluate(
        data,
        as_of=args.as_of,
        labs=args.lab,
        rules=rules,
        waiver_horizon=args.max_waiver_days,
        held=held,
        sources=notes,
    )
    if args.site_url:
        report = published_at(report, args.site_url)
    failing = fails(report, args.fail_on) or (args.strict_waivers and bool(report.waiver_issues))
    if args.strict_sources and _unsourced(report):
        failing = True
    # A run that spoke on stderr (a ratchet without history, --strict-sources) is not kept: only stdout is.
    reusable = held is None and not args.strict_sources
    return (EXIT_SHORTFALLS if failing else EXIT_OK), report, reusable


def _reused(args: argparse.Namespace) -> Run:
    """This run of a command that reads the data and nothing else (docs/cache.md, "Runs")."""
    from parity.cli.reuse import Run

    args.as_of = args.as_of or today()  # part of the key: a check tomorrow is another check
    cache = _cache(args)
    record = getattr(args, "sources", None) or _record_beside(args)
    files = [_waivers_file(args), record if os.path.lexists(record) else None]
    inputs = [args.profiles, args.rules, *filter(None, files)]
    return Run.begin(cache.directory if cache else None, args.command, vars(args), inputs)


def _replay(run: Run, kept: Kept, args: argparse.Namespace) -> int:
    for index, (_, path) in enumerate(getattr(args, "output", [])):
        _write_file(path, functools.partial(run.replay, kept, index))
    return _emit(kept.code, functools.partial(run.replay, kept, len(kept.outputs) - 1))


def _record_beside(args: argparse.Namespace) -> Path:
    """The source record's default place: beside the profiles folder, as the waivers file is."""
    return _beside_data(args, "sources.json")


def _source_notes(args: argparse.Namespace, data: Dataset, required: bool = False) -> dict[str, SourceNote]:
    """The source record's notes (docs/sources.md): read from its file, never from the network. A gate
    that requires the record says how much of the evidence it has not seen yet."""
    path = args.sources or _record_beside(args)
    if not (required or args.sources is not None or os.path.lexists(path)):
        return {}  # no record: nothing to flag, and nothing more to import
    from parity.sources import record
    from parity.sources.citations import citations

    found = record.read(path)
    if found is None:
        raise UsageError(f"no source record at {path}; `parity sources` writes it")
    if required:
        known = found.by_url()
        unseen = sum(1 for url in citations(data) if url not in known)
        if unseen:
            are = "is" if unseen == 1 else "are"
            urls = plural(unseen, "evidence URL")
            _say(f"parity: note: {urls} {are} not in {path} yet; `parity sources` checks them")
    return record.notes(found)


def _unsourced(report: Report) -> bool:
    """`--strict-sources`: says on stderr which shortfalls cite evidence that drifted or is gone."""
    from parity.report.records import SOURCE_FLAGS
    from parity.vocabulary import SHORTFALLS

    flagged = set(SOURCE_FLAGS.values())
    found = [v for v in report.verdicts if v.status in SHORTFALLS and flagged.intersection(v.flags)]
    for v in found:
        cited = [*v.evidence, *(e for _, items in v.bar.evidence for e in items)]
        for e in cited:
            note = report.sources.get(e.url)
            if note is not None and note.marks(e):
                _say(
                    f"parity: --strict-sources: {v.lab} {v.status} on {v.rule} cites {e.url}, "
                    f"{note.status} when checked on {note.checked.isoformat()}"
                )
    return bool(found)


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
    """Write a whole file or nothing: into a temporary file beside it, then renamed over it. The file
    gets the mode `open()` would give it: an existing file keeps its own, a new one what the umask allows
    (a temporary file is created 0600, which would hide a report from the web server that serves it)."""
    import tempfile

    try:
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent if str(path.parent) else ".")
    except OSError as e:
        raise OutputError(f"{path}: {e.strerror}") from None
    try:
        os.fchmod(fd, _mode_of(path))
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


def _mode_of(path: Path) -> int:
    """The permissions `open(path, "w")` leaves: an existing regular file's own, else 0666 less the umask."""
    import stat

    with contextlib.suppress(OSError):
        info = os.stat(path)
        if stat.S_ISREG(info.st_mode):
            return stat.S_IMODE(info.st_mode)
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _validate(args: argparse.Namespace) -> int:
    args.format = fmt = args.format or _default_format()
    with _reused(args) as run:
        kept = run.kept(["-"])
        if kept is not None:
            return _replay(run, kept, args)
        from parity.report import Validation

        try:
            data = _load(args)
        except LoadError as e:
            if fmt == "table":  # problems go to stderr, as every command's do
                raise
            text = render_validate(Validation(args.strict, problems=tuple(e.problems)), fmt)
            return _emit(EXIT_INPUT, functools.partial(_write_text, text))
        counts = Validation(args.strict, len(data.labs), len(data.rules), len(data.packs), len(data.waivers))
        code = _emit(EXIT_OK, run.record("-", functools.partial(_write_text, render_validate(counts, fmt))))
        run.keep(code)
        return code


def _waivers(args: argparse.Namespace) -> int:
    from parity.judge.evaluation import evaluate
    from parity.judge.waivers import statuses

    data = _load(args)
    report = evaluate(data, as_of=args.as_of, waiver_horizon=args.max_waiver_days)
    text = render_waivers(statuses(data, report), report.as_of, args.format)
    code = EXIT_SHORTFALLS if args.strict_waivers and report.waiver_issues else EXIT_OK
    return _emit(code, functools.partial(_write_text, text))


def _due(args: argparse.Namespace) -> int:
    from parity.judge.evaluation import evaluate

    data = _load(args)
    report = evaluate(data, as_of=args.as_of, labs=args.lab, packs=args.pack)
    text = render_due(report, args.within, args.format)
    return _emit(EXIT_OK, functools.partial(_write_text, text))


def _explain(args: argparse.Namespace) -> int:
    from parity.judge.evaluation import evaluate
    from parity.models import suggest

    data = _load(args)
    if args.rule not in data.rules:
        raise UsageError(
            f"unknown rule {args.rule!r}{suggest(args.rule, data.rules)}; `parity rules` lists them"
        )
    report = evaluate(data, as_of=args.as_of, rules=[args.rule])
    text = render_explain(data, args.rule, report, args.format)
    return _emit(EXIT_OK, lambda out: out.write(text))


def _rules(args: argparse.Namespace) -> int:
    from parity.loading import load

    text = render_rules(load(None, args.rules, None), args.format)
    return _emit(EXIT_OK, lambda out: out.write(text))


def _schema(args: argparse.Namespace) -> int:
    from parity.report.schemas import SCHEMAS

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
    from parity.report import published_at
    from parity.site import Publication, write_site

    data = _load(args)
    if args.since and not (args.history or args.history_revisions):
        raise UsageError("--since goes with --history")
    held = _held(data, args)
    notes = _source_notes(args, data)
    report = evaluate(
        data,
        as_of=args.as_of,
        packs=args.pack,
        waiver_horizon=args.max_waiver_days,
        held=held,
        sources=notes,
    )
    if args.site_url:
        report = published_at(report, args.site_url)
    charts, history = _charts(args, data, report) if args.history or args.history_revisions else (None, None)
    publication = Publication(args.site_url, args.publisher, _previous(args, data, report), history)
    written = write_site(report, data, args.output, charts=charts, publication=publication)
    text = (
        f"{args.output}: the scorecard as of {report.as_of.isoformat()}, {len(written)} files; "
        f"open {args.output / 'index.html'}\n"
    )
    return _emit(EXIT_OK, lambda out: out.write(text))


def _previous(args: argparse.Namespace, data: Dataset, report: Any) -> Any:
    """What changed since the edition `--previous` names, or None without it."""
    if not args.previous:
        return None
    from parity.site.changes import edition

    return edition(data, report, args.previous, args.profiles, args.rules, _cache(args))


def _charts(args: argparse.Namespace, data: Dataset, report: Any) -> tuple[dict[str, str], dict[str, Any]]:
    """Each lab's score over time, and the history document behind it: by the data's own dates (to the
    report's date), or by the revisions of the repository that holds the profiles."""
    from parity.formats.history import chart
    from parity.history import by_dates, run
    from parity.history.timeline import data_in

    if args.history and args.history_revisions:
        raise UsageError("--history and --history-revisions: choose one")
    if args.history:
        result = by_dates(
            data, report.as_of, _day(args.since, "--since"), source=args.profiles.parent.as_posix()
        )
    else:
        top, paths = data_in(args.profiles, args.rules)
        result = run(top, since=args.since, profiles=paths[0], rules=paths[1], cache=_cache(args))
    charts = {lab: chart(result, lab) for lab in sorted(result.points) if lab in report.labs}
    return charts, result.to_dict()


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
    from parity.diff import compare, data_prefix, load_side

    as_of = args.as_of or today()
    cache = _cache(args)
    found = _worktree_data(args.head is None)
    where = data_prefix(found) if found is not None and args.repo == Path(".") else ""
    base = load_side(args.base, args.repo, as_of, cache, where)
    head = load_side(args.head or os.path.relpath(found or "."), args.repo, as_of, cache, where)
    if args.head is None:
        head = type(head)("worktree", head.kind, head.report, head.commit)
    result = compare(base, head)
    failing = args.fail_on_new != "never" and result.failing(args.fail_on_new, args.accept_new_waivers)
    for fmt, path in args.output:
        _write_file(path, functools.partial(_write_text, render_diff(result, fmt)))
    text = render_diff(result, args.format or _default_format())
    return _emit(EXIT_SHORTFALLS if failing else EXIT_OK, functools.partial(_write_text, text))


def _worktree_data(needed: bool) -> Path | None:
    """`diff`'s working-tree side: the data found as every command finds it, here or above (`_find_data`);
    None when there is none and no side needs it (two revisions, read at the repository's top)."""
    try:
        return _find_data(Path.cwd(), "give that side as a path: parity diff BASE ./DIR")
    except UsageError:
        if needed:
            raise
        return None


def _history(args: argparse.Namespace) -> int:
    result = _revisions(args) if args.revisions else _by_dates(args)
    if args.charts is not None:
        _write_charts(result, args.charts)
    for fmt, path in args.output:
        _write_file(path, functools.partial(_write_text, render_history(result, fmt, args.details)))
    text = render_history(result, args.format or "table", args.details)
    code = EXIT_SHORTFALLS if args.fail_on_alarm and result.failing() else EXIT_OK
    return _emit(code, functools.partial(_write_text, text))


def _by_dates(args: argparse.Namespace) -> Any:
    """`parity history`: the data in the working tree, as it stood on each of its own dates."""
    from parity.history import alarm_settings, by_dates

    for given, flag in ((args.snapshots, "SNAPSHOT"), (args.first_parent, "--first-parent")):
        if given:
            raise UsageError(f"{flag} goes with --revisions (the commits); the data's dates need neither")
    if args.allow_shallow:
        raise UsageError("--allow-shallow goes with --revisions: the data's dates need no git history")
    if args.repo != Path("."):
        raise UsageError("--repo goes with --revisions; give the data with --profiles and --rules")
    since, until = (_day(text, flag) for text, flag in ((args.since, "--since"), (args.until, "--until")))
    if until is not None and args.as_of is not None and until != args.as_of:
        raise UsageError("--until and --as-of both end the story here: give one")
    args.as_of = until or args.as_of
    data = _load(args)
    if since is not None and since > args.as_of:
        raise UsageError(f"--since {since} is after the story's last date {args.as_of}")
    root = Path(os.path.relpath(_data(args)))  # the data's folder, however --profiles was spelled
    config = alarm_settings(args.alarms, root, args.window)
    return by_dates(data, args.as_of, since, config, root.as_posix())


def _day(text: str | None, flag: str) -> dt.date | None:
    if text is None:
        return None
    try:
        return parse_date(text)
    except ValueError:
        raise UsageError(
            f"{flag} {text!r}: the data's dates take YYYY-MM-DD (a revision goes with --revisions)"
        ) from None


def _revisions(args: argparse.Namespace) -> Any:
    """`parity history --revisions`: the repository's commits, each change classified."""
    from parity.history import run

    result = run(
        repo=args.repo,
        snapshots=args.snapshots,
        since=args.since,
        until=args.until,
        first_parent=args.first_parent,
        profiles=(args.profiles or Path(DATA[0])).as_posix(),  # paths in each revision, not searched for
        rules=(args.rules or Path(DATA[1])).as_posix(),
        waivers=args.waivers or "waivers.yaml",
        as_of=args.as_of,
        alarms=args.alarms,
        window=args.window,
        cache=_cache(args),
        allow_shallow=args.allow_shallow or not args.fail_on_alarm,
    )
    if result.shallow:
        _say(
            f"parity: warning: {args.repo} is a shallow clone: history walked only the "
            f"{plural(len(result.revisions), 'revision')} it holds (fetch it whole: git fetch --unshallow)"
        )
    return result


def _write_charts(result: Any, folder: Path) -> None:
    from parity.formats.history import chart

    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(f"{folder}: {e.strerror}") from None
    for lab in sorted(result.points):
        _write_file(folder / f"{lab}.svg", functools.partial(_write_text, chart(result, lab)))


def _sources(args: argparse.Namespace) -> int:
    from parity.loading import load
    from parity.sources import record
    from parity.sources.fetch import Fetcher
    from parity.sources.guard import Guard
    from parity.sources.limits import Limits
    from parity.sources.run import Selection, run

    data = load(args.profiles, args.rules, None)
    path = args.record or _record_beside(args)
    old = record.read(path)
    chosen = Selection(tuple(args.lab or ()), tuple(args.url or ()), args.older_than)
    limits = Limits(max_bytes=args.max_size, per_host=args.per_host, budget=args.time_budget)
    if args.timeout is not None:
        limits = dataclasses.replace(limits, connect_timeout=args.timeout, read_timeout=args.timeout)
    with Fetcher(limits, Guard(allow_private=args.allow_private)) as fetcher:
        result = run(data, old, chosen, fetcher, today(), archive=args.archive, progress=_progress)
    if not args.no_write:
        _write_file(path, functools.partial(_write_text, record.dumps(result.record)))
    if result.unchecked:
        _say(
            f"parity: {plural(len(result.unchecked), 'URL')} not checked within the time budget "
            f"({args.time_budget:g} s); their record is unchanged"
        )
    code = EXIT_SHORTFALLS if args.fail_on_drift and result.failing() else EXIT_OK
    return _emit(code, functools.partial(_write_text, render_sources(result, args.format)))


def _progress(total: int) -> Any:
    """A progress bar on stderr, drawn only when stderr is a terminal (tqdm decides)."""
    from tqdm import tqdm

    return tqdm(total=total, unit="url", desc="parity sources", file=sys.stderr, disable=None, leave=False)


def _test(args: argparse.Namespace) -> int:
    from parity.casetest import read_cases, run_cases

    root = _data(args)
    cases = args.cases or Path(os.path.relpath(root)) / "tests" / "rule_cases"
    outcomes = run_cases(read_cases(cases), args.rules)
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
    "sources": _sources,
    "due": _due,
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
            # every command that reads the data sees where it is, found once (--revisions names paths
            # inside each commit, never searched for in the working tree)
            if hasattr(args, "rules") and not getattr(args, "revisions", False):
                _data(args)
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
