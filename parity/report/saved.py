"""A saved JSON report read back (a side of `diff`), checked where it enters, before anything reads it.

A saved report is a file anyone can hand to parity, so nothing in it is trusted: it is read bounded
(`MAX_REPORT_BYTES`), parsed as strict JSON (`NaN`, `Infinity` and numbers too large for a float are not
JSON numbers and are refused, so no output can carry them on), its nesting is bounded by the reader, every
field parity reads must have the type the report's JSON Schema gives it (`schemas.ReportDoc`, validated
strictly: no string for a number, no list for a name), and its dates must be real dates parity can
evaluate at. Every problem is a `Problem` located by its path in the document (`verdicts[3].status`);
the first `MAX_PROBLEMS` are listed.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, ValidationError

from parity.errors import LoadError, Problem
from parity.report.schemas import ReportDoc, VerdictDoc
from parity.vocabulary import EARLIEST_DATE, LATEST_DATE, parse_date

MAX_REPORT_BYTES = 256 * 1024 * 1024  # a report of 2,000 labs judged by 100 rules is about 250 MB
MAX_PROBLEMS = 20


def parse_report(raw: bytes, name: str) -> dict[str, Any]:
    """The JSON document of a saved report, every field parity reads checked; LoadError otherwise."""
    doc = _json(raw, name)
    problems = list(_problems(doc))
    if problems:
        shown = [Problem(name, 1, 1, where, message) for where, message in problems[:MAX_PROBLEMS]]
        if len(problems) > MAX_PROBLEMS:
            shown.append(Problem(name, 1, 1, "", f"and {len(problems) - MAX_PROBLEMS} more problems"))
        raise LoadError(shown)
    return doc


def _json(raw: bytes, name: str) -> dict[str, Any]:
    def refused(message: str, line: int = 1, column: int = 1) -> LoadError:
        return LoadError([Problem(name, line, column, "", f"not a saved parity report: {message}")])

    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise refused(f"not UTF-8 text (byte {e.start})") from None
    try:
        doc = json.loads(text, parse_constant=_no_constant, parse_float=_finite)
    except json.JSONDecodeError as e:
        raise refused(f"not JSON: {e.msg}", e.lineno, e.colno) from None
    except RecursionError:
        raise refused("nested deeper than a report ever is") from None
    except ValueError as e:  # NaN, Infinity, a number out of range, an integer of thousands of digits
        raise refused(str(e)) from None
    if not isinstance(doc, dict):
        raise refused(f"a report is a JSON object, not {type(doc).__name__}")
    return doc


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text[:40]} is out of range for a number")
    return value


def _problems(doc: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(where, what) for each problem: the schema, part by part (a verdict at a time, so a large report
    is never held twice), then, in a document of the right shape, the dates."""
    if doc.get("schema") != "parity/report/v1":
        found = str(doc.get("schema"))[:60]
        yield "schema", f"is {found!r}: not a parity report (expected 'parity/report/v1')"
        return
    verdicts = doc.get("verdicts")
    shape = list(_invalid(ReportDoc, {**doc, "verdicts": []}, ()))
    if isinstance(verdicts, list):
        for i, verdict in enumerate(verdicts):
            shape.extend(_invalid(VerdictDoc, verdict, ("verdicts", i)))
            if len(shape) > MAX_PROBLEMS:
                break
    else:
        shape.append(("verdicts", "Input should be a valid list"))
    yield from shape
    if not shape:
        yield from _dates(doc)


def _invalid(model: type[BaseModel], data: Any, prefix: tuple[str | int, ...]) -> Iterator[tuple[str, str]]:
    try:
        model.model_validate(data, strict=True, by_alias=True)
    except ValidationError as e:
        for error in e.errors(include_url=False, include_input=False):
            yield _path((*prefix, *error["loc"])), error["msg"]


def _path(loc: tuple[str | int, ...]) -> str:
    """A place in the document as a reader writes it: `verdicts[3].bar.value`."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}" if out else str(part)
    return out


def _dates(doc: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """Every date parity reads: real, and the evaluation date within the dates parity evaluates at."""
    try:
        as_of = parse_date(doc["as_of"])
    except ValueError as e:
        yield "as_of", str(e)
    else:
        if not EARLIEST_DATE <= as_of <= LATEST_DATE:
            yield "as_of", f"{as_of} is out of range: parity evaluates from {EARLIEST_DATE} to {LATEST_DATE}"
    dated = {name for name, i in doc["indicators"].items() if i["type"] == "date"}
    for i, v in enumerate(doc["verdicts"]):
        for j, item in enumerate(v["evidence"]):
            yield from _date(item["date"], f"verdicts[{i}].evidence[{j}].date")
        for lab, items in (v["bar"].get("evidence") or {}).items():
            for j, item in enumerate(items):
                yield from _date(item["date"], f"verdicts[{i}].bar.evidence.{lab}[{j}].date")
        if v.get("waiver"):
            yield from _date(v["waiver"]["expires"], f"verdicts[{i}].waiver.expires")
        if v["indicator"] in dated:
            for value, where in ((v["value"], "value"), (v["bar"]["value"], "bar.value")):
                if value is not None:
                    yield from _date(value, f"verdicts[{i}].{where}")
    for i, w in enumerate(doc["waivers"]):
        yield from _date(w["expires"], f"waivers[{i}].expires")


def _date(value: Any, where: str) -> Iterator[tuple[str, str]]:
    try:
        parse_date(value)
    except ValueError as e:
        yield where, str(e)
