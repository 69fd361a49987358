"""The JSON formats: the report (`parity/report/v1`, streamed in pieces), the rule list, a rule explained."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from json.encoder import encode_basestring
from typing import TYPE_CHECKING, Any

from parity.dataset import Dataset
from parity.formats.present import change_sentence, falling_due, redefined_sentence, rule_row
from parity.models import Evidence
from parity.report import Report, Validation, Verdict, WaiverStatus
from parity.report.document import (
    SCHEMA,
    Notes,
    condition_dict,
    evidence_dict,
    head_dict,
    response_dict,
    tail_dict,
)

if TYPE_CHECKING:
    from parity.diff import Diff
    from parity.history.records import History

__all__ = [
    "SCHEMA",
    "diff",
    "explain",
    "history",
    "iter_json",
    "rules",
    "validate",
    "verdict_json",
    "waivers",
]


def _encode(value: Any) -> str:
    """One JSON scalar, as json.dumps would write it (the report is mostly scalars: this is the hot path)."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return encode_basestring(value)
    if isinstance(value, dt.date):
        return f'"{value.isoformat()}"'
    if isinstance(value, int):
        return int.__repr__(value)
    return json.dumps(value)


def _strings(items: tuple[str, ...]) -> str:
    """A list of ids or flags: their characters ([A-Za-z0-9_.-]) need no escaping."""
    return '["' + '", "'.join(items) + '"]' if items else "[]"


def _states(labs: tuple[str, ...], states: tuple[str, ...]) -> str:
    """{lab: state}: ids and state names need no escaping."""
    return "{" + ", ".join(f'"{lab}": "{state}"' for lab, state in zip(labs, states, strict=True)) + "}"


def _evidence_text(evidence: tuple[Evidence, ...], cache: dict[int, str], notes: Notes) -> str:
    text = cache.get(id(evidence))
    if text is None:  # evidence tuples are shared per practice: serialise each once
        items = [evidence_dict(e, notes) for e in evidence]
        text = cache[id(evidence)] = json.dumps(items, ensure_ascii=False)
    return text


def _setter_evidence(
    evidence: tuple[tuple[str, tuple[Evidence, ...]], ...], cache: dict[int, str], notes: Notes
) -> str:
    if not evidence:
        return ""
    items = ", ".join(f"{encode_basestring(lab)}: {_evidence_text(e, cache, notes)}" for lab, e in evidence)
    return f', "evidence": {{{items}}}'


def verdict_json(
    v: Verdict,
    evidence_cache: dict[int, str] | None = None,
    as_of: dt.date | None = None,
    notes: Notes | None = None,
) -> str:
    """One verdict as compact JSON, keys in the documented order; `notes`: the report's source notes."""
    cache = evidence_cache if evidence_cache is not None else {}
    notes = notes or {}
    evidence = _evidence_text(v.evidence, cache, notes)
    bar = v.bar
    blocked = (
        f', "blocked_by": {_strings(bar.blocked_by)}, "blocked_by_count": {bar.blocked_by_count}, '
        f'"blocked_by_state": {_states(bar.blocked_by, bar.blocked_states)}'
        if bar.blocked_by is not None
        else ""
    )
    parts = [
        f'{{"lab": {encode_basestring(v.lab)}, "rule": {encode_basestring(v.rule)}, '
        f'"title": {encode_basestring(v.title)}, "pack": {encode_basestring(v.pack)}, '
        f'"indicator": {encode_basestring(v.indicator)}, '
        f'"area": {encode_basestring(v.area)}, "severity": "{v.severity}", "status": "{v.status}", '
        f'"state": "{v.state}", "value": {_encode(v.value)}, '
        f'"bar": {{"kind": "{bar.kind}", "value": {_encode(bar.value)}, "set_by": {_strings(bar.set_by)}, '
        f'"set_by_count": {bar.set_by_count}, "peers_disclosed": {bar.peers_disclosed}{blocked}'
        f"{_setter_evidence(bar.evidence, cache, notes)}}}, "
        f'"gap": {_encode(v.gap)}, "flags": {_strings(v.flags)}, "evidence": {evidence}, '
        f'"location": {{"file": {encode_basestring(v.location.file)}, "line": {v.location.line}}}'
    ]
    if v.due is not None:
        overdue = v.overdue(as_of) if as_of is not None else None
        parts.append(
            f', "due": "{v.due.isoformat()}"' + (f', "overdue": {overdue}' if overdue is not None else "")
        )
    if v.waiver:
        w = v.waiver
        parts.append(
            f', "waiver": {{"underlying": "{w.underlying}", "reason": {encode_basestring(w.reason)}, '
            f'"expires": "{w.expires.isoformat()}", '
            f'"location": {{"file": {encode_basestring(w.location.file)}, "line": {w.location.line}}}}}'
        )
    if v.responses:
        replies = json.dumps([response_dict(r) for r in v.responses], ensure_ascii=False)
        parts.append(f', "responses": {replies}')
    if v.conditions:
        conditions = json.dumps([condition_dict(n, notes) for n in v.conditions], ensure_ascii=False)
        parts.append(f', "conditions": {conditions}')
    parts.append("}")
    return "".join(parts)


def iter_json(report: Report) -> Iterator[str]:
    """The JSON report in pieces, so a large one can be written without holding it twice in memory."""
    from parity._version import __version__

    top = head_dict(report, __version__)
    rest = tail_dict(report)
    yield json.dumps(top, indent=2, ensure_ascii=False)[:-2] + ',\n  "verdicts": '
    if not report.verdicts:
        yield "[]"
    cache: dict[int, str] = {}
    for i, verdict in enumerate(report.verdicts):
        yield ("[\n    " if i == 0 else ",\n    ") + verdict_json(
            verdict, cache, report.as_of, report.sources
        )
    if report.verdicts:
        yield "\n  ]"
    yield ",\n" + json.dumps(rest, indent=2, ensure_ascii=False)[1:] + "\n"


def explain(data: Dataset, rule_id: str, report: Report) -> str:
    """One rule as data, and every verdict it gives."""
    loaded = data.rules[rule_id]
    rule = loaded.rule
    doc: dict[str, Any] = {
        "rule": rule.model_dump(mode="json", exclude_none=True),
        "pack": loaded.pack,
        "as_of": report.as_of.isoformat(),
        "verdicts": [
            json.loads(verdict_json(v, as_of=report.as_of, notes=report.sources))
            for v in report.verdicts
            if v.rule == rule_id
        ],
    }
    if rule.derive:
        doc["derived"] = {lab: values[rule.derive] for lab, values in report.derived.items()}
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def rules(data: Dataset) -> str:
    """The rule list as data."""
    rows = [rule_row(loaded, data) for loaded in data.rules.values()]
    return json.dumps(rows, indent=2, ensure_ascii=False) + "\n"


def diff(result: Diff) -> str:
    """The diff as data (`parity/diff/v1`, docs/cli.md), each change and redefined rule with its `message`:
    the sentence every other format says it in."""
    doc = result.to_dict()
    for change, out in zip(result.changes, doc["changes"], strict=True):
        out["message"] = change_sentence(change, result)
    for rule, out in zip(result.redefined, doc["redefined"], strict=True):
        out["message"] = redefined_sentence(rule)
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def history(result: History, details: bool = True) -> str:
    """The history as data (`parity/history/v1`, docs/history.md); every problem of a skipped revision,
    whatever `details` says."""
    return json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n"


def validate(result: Validation) -> str:
    """`parity validate` as data: the counts, or every problem."""
    if result.ok:
        counts = {
            "labs": result.labs,
            "rules": result.rules,
            "packs": result.packs,
            "waivers": result.waivers,
        }
        doc: dict[str, Any] = {"ok": True, "strict": result.strict, **counts, "problems": []}
        return json.dumps(doc, indent=2) + "\n"
    doc = {"ok": False, "problems": [p.to_dict() for p in result.problems]}
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def waivers(rows: list[WaiverStatus], as_of: dt.date) -> str:
    """`parity waivers` as data."""
    items = [
        {
            "rule": w.rule,
            "lab": w.lab,
            "expires": w.expires.isoformat(),
            "days_left": w.days_left,
            "status": w.status,
            "reason": w.reason,
            "file": f"{w.location.file}:{w.location.line}",
        }
        for w in rows
    ]
    return json.dumps({"as_of": as_of.isoformat(), "waivers": items}, indent=2, ensure_ascii=False) + "\n"


def due(report: Report, within: int) -> str:
    """What falls due, as data: each verdict as the report writes it (with `due` and `overdue`)."""
    verdicts = [json.loads(verdict_json(v, as_of=report.as_of)) for v in falling_due(report, within)]
    doc = {"as_of": report.as_of.isoformat(), "within_days": within, "verdicts": verdicts}
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
