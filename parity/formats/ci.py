"""The formats CI systems read: SARIF 2.1.0 (code scanning), JUnit XML (test reports), and GitHub workflow
commands (annotations on the pull request). Each names the parity version, the packs and the evaluation
date, and reports one finding per unwaived shortfall at the practice's file and line."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import TYPE_CHECKING

from parity.formats.escape import terminal
from parity.formats.present import (
    change_sentence,
    finding,
    headline,
    plural,
    redefined_sentence,
    replies_said,
    summary_line,
    validation_counts,
)
from parity.report import IndicatorInfo, Report, RuleInfo, Validation, Verdict, WaiverStatus
from parity.report.document import response_dict
from parity.vocabulary import SHORTFALLS

if TYPE_CHECKING:
    from parity.diff import Change, Diff

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
# Severity to SARIF level and GitHub annotation: a critical or high shortfall is an error.
_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
_GITHUB = {"error": "error", "warning": "warning", "note": "notice"}


def _version() -> str:
    from parity._version import __version__

    return __version__


def _findings(report: Report) -> list[Verdict]:
    return [v for v in report.verdicts if v.status in SHORTFALLS]


def message(v: Verdict, indicator: IndicatorInfo | None) -> str:
    """One finding in a sentence: the status, the lab's value, the bar and who sets it, the gap, and
    whether its sources still stand."""
    return f"{v.lab}: {v.status} on {v.rule} ({v.title}): {finding(v, indicator)}" + replies_said(v)


def fingerprint(v: Verdict) -> str:
    """Stable across runs and line moves: the lab and the rule, nothing else."""
    return hashlib.sha256(f"{v.lab}\0{v.rule}".encode()).hexdigest()[:32]


# --- SARIF --------------------------------------------------------------------------------------------------


def _sarif_rule(rule_id: str, info: RuleInfo) -> dict[str, object]:
    text = f"{info.title}. Checks {info.checks}." + (f" {info.rationale}" if info.rationale else "")
    return {
        "id": rule_id,
        "name": rule_id,
        "shortDescription": {"text": info.title},
        "fullDescription": {"text": info.rationale or info.checks},
        "help": {"text": text},
        # the rule's page on the published scorecard (its sources are there), else the text it encodes
        **({"helpUri": info.page or info.source[0].url} if info.page or info.source else {}),
        "defaultConfiguration": {"level": _LEVEL.get(info.severity or "info", "note")},
        "properties": {"tags": [info.pack, info.area], "severity": info.severity, "pack": info.pack},
    }


def sarif(report: Report) -> Iterator[str]:
    rule_ids = sorted(r for r, info in report.rules.items() if info.kind != "derive")
    index = {r: i for i, r in enumerate(rule_ids)}
    results = [
        {
            "ruleId": v.rule,
            "ruleIndex": index[v.rule],
            "level": _LEVEL[v.severity],
            "message": {"text": message(v, report.indicators.get(v.indicator))},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": v.location.file},
                        "region": {"startLine": v.location.line},
                    }
                }
            ],
            "partialFingerprints": {"parity/lab-rule/v1": fingerprint(v)},
            "properties": {
                "lab": v.lab,
                "status": v.status,
                "severity": v.severity,
                "pack": v.pack,
                **({"responses": [response_dict(r) for r in v.responses]} if v.responses else {}),
            },
        }
        for v in _findings(report)
        if v.rule in index
    ]
    doc = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "parity",
                        "version": _version(),
                        "rules": [_sarif_rule(r, report.rules[r]) for r in rule_ids],
                    }
                },
                "results": results,
                "invocations": [
                    {
                        "executionSuccessful": True,
                        "toolExecutionNotifications": [
                            {
                                "level": "warning",
                                "message": {"text": f"waiver for {w.rule} / {w.lab} {w.problem}"},
                                "locations": [
                                    {
                                        "physicalLocation": {
                                            "artifactLocation": {"uri": w.location.file},
                                            "region": {"startLine": w.location.line},
                                        }
                                    }
                                ],
                            }
                            for w in report.waiver_issues
                        ],
                    }
                ],
                "properties": {
                    "as_of": report.as_of.isoformat(),
                    "packs": [{"pack": p, "version": v} for p, v in report.packs],
                },
            }
        ],
    }
    yield json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


# --- JUnit --------------------------------------------------------------------------------------------------


def _xml(text: str) -> str:
    """Text XML 1.0 can hold: control characters shown as escapes (ElementTree escapes the rest)."""
    return terminal(text)


def junit(report: Report) -> Iterator[str]:
    """A test suite per lab, a test case per rule: shortfalls fail; waived and undecided ones are skipped."""
    by_lab: dict[str, list[Verdict]] = {lab: [] for lab in report.labs}
    for v in report.verdicts:
        by_lab[v.lab].append(v)
    packs = ", ".join(f"{p} {v}" for p, v in report.packs)
    root = ET.Element("testsuites", name=f"parity {_version()} as of {report.as_of.isoformat()} ({packs})")
    total = failures = skipped = 0
    for lab, verdicts in by_lab.items():
        suite = ET.SubElement(root, "testsuite", name=_xml(lab))
        lab_failures = lab_skipped = 0
        for v in verdicts:
            case = ET.SubElement(suite, "testcase", name=_xml(v.rule), classname=_xml(f"{v.pack}.{lab}"))
            if v.status in SHORTFALLS:
                lab_failures += 1
                text = message(v, report.indicators.get(v.indicator))
                failure = ET.SubElement(case, "failure", message=_xml(text), type=v.status)
                failure.text = _xml(f"{v.location.file}:{v.location.line}")
            elif v.status not in ("meets", "surpasses"):
                lab_skipped += 1
                reason = v.status if v.waiver is None else f"waived until {v.waiver.expires.isoformat()}"
                ET.SubElement(case, "skipped", message=_xml(reason))
        suite.set("tests", str(len(verdicts)))
        suite.set("failures", str(lab_failures))
        suite.set("skipped", str(lab_skipped))
        total, failures, skipped = total + len(verdicts), failures + lab_failures, skipped + lab_skipped
    if report.waiver_issues:  # a waiver that needs attention fails, so it is seen
        suite = ET.SubElement(root, "testsuite", name="waivers", tests=str(len(report.waiver_issues)))
        suite.set("failures", str(len(report.waiver_issues)))
        for w in report.waiver_issues:
            case = ET.SubElement(suite, "testcase", name=_xml(f"{w.rule} / {w.lab}"), classname="waivers")
            failure = ET.SubElement(case, "failure", message=_xml(w.problem), type="waiver")
            failure.text = _xml(f"{w.location.file}:{w.location.line}")
        total, failures = total + len(report.waiver_issues), failures + len(report.waiver_issues)
    root.set("tests", str(total))
    root.set("failures", str(failures))
    root.set("skipped", str(skipped))
    ET.indent(root)
    yield '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


# --- GitHub workflow commands -------------------------------------------------------------------------------


def data_escape(text: str) -> str:
    return terminal(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def property_escape(text: str) -> str:
    return data_escape(text).replace(":", "%3A").replace(",", "%2C")


def github(report: Report) -> Iterator[str]:
    """One annotation per unwaived shortfall, then a notice that says what was evaluated."""
    findings = _findings(report)
    for v in findings:
        kind = _GITHUB[_LEVEL[v.severity]]
        title = property_escape(f"{v.rule} ({v.severity})")
        props = f"file={property_escape(v.location.file)},line={v.location.line},title={title}"
        yield f"::{kind} {props}::{data_escape(message(v, report.indicators.get(v.indicator)))}\n"
    for w in report.waiver_issues:
        where = f"file={property_escape(w.location.file)},line={w.location.line}"
        yield f"::warning {where},title=waiver::{data_escape(f'waiver for {w.rule} / {w.lab} {w.problem}')}\n"
    packs = ", ".join(f"{p} {v}" for p, v in report.packs)
    counted = plural(len(findings), "shortfall")
    summary = f"parity {_version()} as of {report.as_of.isoformat()} ({packs}): {counted}"
    yield f"::notice title=parity::{data_escape(summary)}\n"


# --- diffs ------------------------------------------------------------------------------------------------


def _fingerprint(lab: str, rule: str) -> str:
    return hashlib.sha256(f"{lab}\0{rule}".encode()).hexdigest()[:32]


def _shown(c: Change) -> bool:
    """The changes the CI formats report one by one: new shortfalls (waived at once or not) and ended ones;
    the rest are in the table and the JSON."""
    return c.change in ("new", "resolved") or c.waived_new


def _annotation(c: Change) -> tuple[str, str]:
    """(GitHub level, title) of a change's annotation: a new shortfall by its severity, even when waived
    at once (a reviewer must see it); an ended one a notice, or a warning when only the bar fell."""
    if c.change == "new" or c.waived_new:
        return _GITHUB[_LEVEL[c.severity]], f"{headline(c)}: {c.rule} ({c.severity})"
    if c.bar_fell:
        return "warning", f"the bar fell: {c.rule} ({c.severity})"
    return "notice", f"{c.change}: {c.rule} ({c.severity})"


def diff_github(result: Diff) -> str:
    """An annotation per new or ended shortfall at the practice, each saying what changed and why; a
    warning per rule redefined under an unchanged pack version, at the rule; then the summary."""
    lines = []
    for c in result.changes:
        if not _shown(c):
            continue
        kind, title = _annotation(c)
        where = f"file={property_escape(c.location.file)},line={c.location.line}," if c.location else ""
        text = data_escape(change_sentence(c, result))
        lines.append(f"::{kind} {where}title={property_escape(title)}::{text}")
    for r in result.redefined:
        where = f"file={property_escape(r.location.file)},line={r.location.line}"
        title = property_escape(f"rule redefined: {r.rule}")
        lines.append(f"::warning {where},title={title}::{data_escape(redefined_sentence(r))}")
    lines.append(f"::notice title=parity diff::{data_escape(summary_line(result))}")
    return "\n".join(lines) + "\n"


def _location(file: str, line: int) -> list[dict[str, object]]:
    region = {"artifactLocation": {"uri": file}, "region": {"startLine": line}}
    return [{"physicalLocation": region}]


def _sarif_level(c: Change) -> str:
    """A new shortfall (waived at once or not) at its severity; one that ended only because competitors
    did less a warning, as its annotation is: good news for the lab, a loss for the industry's bar."""
    if c.change == "new" or c.waived_new:
        return _LEVEL[c.severity]
    return "warning" if c.bar_fell else "none"


def diff_sarif(result: Diff) -> str:
    """New shortfalls as results (baselineState new; one waived at once too, flagged), ended ones as
    absent (a warning when only the bar fell), and rules redefined under an unchanged pack version as
    warnings at the rule, for code scanning. Every message says what changed and why."""
    catalog = {**result.base.report.rules, **result.head.report.rules}
    shown = [c for c in result.changes if _shown(c) and c.rule in catalog]
    rule_ids = sorted({c.rule for c in shown} | {r.rule for r in result.redefined})
    index = {r: i for i, r in enumerate(rule_ids)}
    results = [
        {
            "ruleId": c.rule,
            "ruleIndex": index[c.rule],
            "level": _sarif_level(c),
            "baselineState": "absent" if c.change == "resolved" else "new",
            "message": {"text": change_sentence(c, result)},
            "locations": _location(*c.location) if c.location else [],
            "partialFingerprints": {"parity/lab-rule/v1": _fingerprint(c.lab, c.rule)},
            "properties": {
                "lab": c.lab,
                "change": c.change,
                "cause": c.cause,
                "severity": c.severity,
                "waived_new": c.waived_new,
                "bar_fell": c.bar_fell,
            },
        }
        for c in shown
    ]
    results += [
        {
            "ruleId": r.rule,
            "ruleIndex": index[r.rule],
            "level": "warning",
            "baselineState": "new",
            "message": {"text": redefined_sentence(r)},
            "locations": _location(*r.location),
            "partialFingerprints": {"parity/rule-redefined/v1": _fingerprint(r.pack, r.rule)},
            "properties": {"pack": r.pack, "version": r.version, "redefined": True},
        }
        for r in result.redefined
    ]
    driver = {
        "name": "parity",
        "version": _version(),
        "rules": [_sarif_rule(r, catalog[r]) for r in rule_ids],
    }
    run = {
        "tool": {"driver": driver},
        "results": results,
        "properties": {
            "base": result.base.ref,
            "head": result.head.ref,
            "as_of": result.head.report.as_of.isoformat(),
        },
    }
    return (
        json.dumps({"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}, indent=2, ensure_ascii=False)
        + "\n"
    )


def diff_junit(result: Diff) -> str:
    """A test case per change, saying what changed and why: a new shortfall fails, and so does one waived
    at once; a test case per rule redefined under an unchanged pack version, failing."""
    root = ET.Element(
        "testsuites", name=_xml(f"parity {_version()} diff {result.base.ref} -> {result.head.ref}")
    )
    suite = ET.SubElement(root, "testsuite", name="changes", tests=str(len(result.changes)))
    failures = 0
    for c in result.changes:
        case = ET.SubElement(suite, "testcase", name=_xml(f"{c.lab} / {c.rule}"), classname=_xml(c.change))
        text = _xml(change_sentence(c, result))
        if c.change == "new" or c.waived_new:
            failures += 1
            kind = "waived-new" if c.waived_new else c.cause
            ET.SubElement(case, "failure", message=text, type=kind)
        else:
            ET.SubElement(case, "system-out").text = text
    suite.set("failures", str(failures))
    total = len(result.changes)
    if result.redefined:
        rules = ET.SubElement(root, "testsuite", name="rules", tests=str(len(result.redefined)))
        rules.set("failures", str(len(result.redefined)))
        for r in result.redefined:
            case = ET.SubElement(rules, "testcase", name=_xml(r.rule), classname=_xml(f"{r.pack}.redefined"))
            failure = ET.SubElement(case, "failure", message=_xml(redefined_sentence(r)), type="redefined")
            failure.text = _xml(f"{r.location.file}:{r.location.line}")
        total, failures = total + len(result.redefined), failures + len(result.redefined)
    root.set("tests", str(total))
    root.set("failures", str(failures))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def waivers_github(rows: list[WaiverStatus], as_of: dt.date) -> str:
    """`parity waivers` as annotations: a warning at each waiver that needs attention (expired, matching
    nothing, beyond the horizon), then a notice counting them."""
    lines = []
    for w in rows:
        if w.status == "active":
            continue
        where = f"file={property_escape(w.location.file)},line={w.location.line}"
        text = f"waiver for {w.rule} / {w.lab} {w.status}"
        lines.append(f"::warning {where},title={property_escape(f'waiver: {w.rule}')}::{data_escape(text)}")
    attention = len(lines)
    summary = (
        f"{plural(len(rows), 'waiver')} as of {as_of.isoformat()}: {len(rows) - attention} active, "
        f"{attention} {'needs' if attention == 1 else 'need'} attention"
    )
    lines.append(f"::notice title=parity waivers::{data_escape(summary)}")
    return "\n".join(lines) + "\n"


def validate_github(result: Validation) -> str:
    """`parity validate` as annotations: each problem at its file, line and column; or one notice."""
    if result.ok:
        text = f"ok: {validation_counts(result)}{' (strict)' if result.strict else ''}"
        return f"::notice title=parity validate::{text}\n"
    lines = []
    for p in result.problems:
        where = f"file={property_escape(p.file)},line={p.line},col={p.column}"
        title = property_escape(p.field or "parity")
        lines.append(f"::error {where},title={title}::{data_escape(p.message)}")
    counted = plural(len(result.problems), "problem")
    lines.append(f"::error title=parity validate::{counted}; nothing was evaluated")
    return "\n".join(lines) + "\n"
