"""Rendering: a Report (or the rule list, or one rule's explanation) to text.

`FORMATS` maps a format name to a function returning a string; the CLI decides where it goes. Output
depends only on its inputs (no clocks, no dict-order surprises), so the same inputs and `--as-of` give
byte-identical text.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Iterator
from json.encoder import encode_basestring
from typing import IO, Any

from tabulate import tabulate

from parity.evaluate import SHORTFALLS, STATUSES, Report, Verdict
from parity.loader import Dataset, LoadedRule, paused_gc
from parity.models import SEVERITIES, Bar, Evidence, Rule

SCHEMA = "parity/report/v1"
_SEVERITY_ORDER = {s: i for i, s in enumerate(reversed(SEVERITIES))}  # critical first
_SHOWN_SETTERS = 3


def render(report: Report, fmt: str = "table") -> str:
    """The report in one of FORMATS."""
    with paused_gc():
        return FORMATS[fmt](report)


def show(value: Any) -> str:
    """A value as a person reads it: true/false, ISO dates, numbers as written."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


# --- JSON ------------------------------------------------------------------------------------------------


def _evidence_json(evidence: Iterable[Evidence]) -> list[dict[str, Any]]:
    out = []
    for e in evidence:
        item: dict[str, Any] = {"url": e.url, "date": e.date.isoformat()}
        item.update({k: v for k, v in (("title", e.title), ("quote", e.quote), ("note", e.note)) if v})
        out.append(item)
    return out


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


def _evidence_text(evidence: tuple[Evidence, ...], cache: dict[int, str]) -> str:
    text = cache.get(id(evidence))
    if text is None:  # evidence tuples are shared per practice: serialise each once
        text = cache[id(evidence)] = json.dumps(_evidence_json(evidence), ensure_ascii=False)
    return text


def _setter_evidence(evidence: tuple[tuple[str, tuple[Evidence, ...]], ...], cache: dict[int, str]) -> str:
    if not evidence:
        return ""
    items = ", ".join(f"{encode_basestring(lab)}: {_evidence_text(e, cache)}" for lab, e in evidence)
    return f', "evidence": {{{items}}}'


def verdict_json(v: Verdict, evidence_cache: dict[int, str] | None = None) -> str:
    """One verdict as compact JSON, keys in the documented order."""
    cache = evidence_cache if evidence_cache is not None else {}
    evidence = _evidence_text(v.evidence, cache)
    bar = v.bar
    parts = [
        f'{{"lab": {encode_basestring(v.lab)}, "rule": {encode_basestring(v.rule)}, '
        f'"area": {encode_basestring(v.area)}, "severity": "{v.severity}", "status": "{v.status}", '
        f'"state": "{v.state}", "value": {_encode(v.value)}, '
        f'"bar": {{"kind": "{bar.kind}", "value": {_encode(bar.value)}, "set_by": {_strings(bar.set_by)}, '
        f'"set_by_count": {bar.set_by_count}, "peers_disclosed": {bar.peers_disclosed}'
        f"{_setter_evidence(bar.evidence, cache)}}}, "
        f'"gap": {_encode(v.gap)}, "flags": {_strings(v.flags)}, "evidence": {evidence}, '
        f'"location": {{"file": {encode_basestring(v.location.file)}, "line": {v.location.line}}}'
    ]
    if v.waiver:
        w = v.waiver
        parts.append(
            f', "waiver": {{"underlying": "{w.underlying}", "reason": {encode_basestring(w.reason)}, '
            f'"expires": "{w.expires.isoformat()}", '
            f'"location": {{"file": {encode_basestring(w.location.file)}, "line": {w.location.line}}}}}'
        )
    parts.append("}")
    return "".join(parts)


def iter_json(report: Report) -> Iterator[str]:
    """The JSON report in pieces, so a large one can be written without holding it twice in memory."""
    from parity import __version__

    top = {
        "schema": SCHEMA,
        "as_of": report.as_of.isoformat(),
        "parity_version": __version__,
        "packs": [{"pack": p, "version": v} for p, v in report.packs],
    }
    rest = {
        "labs": {
            lab: {"name": s.name, "score": s.score, "areas": s.areas, "counts": s.counts}
            for lab, s in report.labs.items()
        },
        "derived": report.derived,
        "waivers": [
            {
                "rule": w.rule,
                "lab": w.lab,
                "expires": w.expires.isoformat(),
                "problem": w.problem,
                "location": {"file": w.location.file, "line": w.location.line},
            }
            for w in report.waiver_issues
        ],
    }
    yield json.dumps(top, indent=2, ensure_ascii=False)[:-2] + ',\n  "verdicts": '
    if not report.verdicts:
        yield "[]"
    cache: dict[int, str] = {}
    for i, verdict in enumerate(report.verdicts):
        yield ("[\n    " if i == 0 else ",\n    ") + verdict_json(verdict, cache)
    if report.verdicts:
        yield "\n  ]"
    yield ",\n" + json.dumps(rest, indent=2, ensure_ascii=False)[1:] + "\n"


def _json(report: Report) -> str:
    return "".join(iter_json(report))


def write(report: Report, fmt: str, stream: IO[str]) -> None:
    """Write the report to a text stream; JSON goes out in pieces (a 1,000-lab report is ~100 MB)."""
    with paused_gc():
        if fmt == "json":
            stream.writelines(iter_json(report))
        else:
            stream.write(FORMATS[fmt](report))


# --- table and markdown ----------------------------------------------------------------------------------


def _bar_text(v: Verdict) -> str:
    bar = v.bar
    if bar.value is None and bar.kind != "require":
        return f"{bar.kind}: no bar"
    return f"{bar.kind}: {show(bar.value)}"


def _setters(v: Verdict) -> str:
    shown = ", ".join(v.bar.set_by[:_SHOWN_SETTERS])
    more = v.bar.set_by_count - min(len(v.bar.set_by), _SHOWN_SETTERS)
    return f"{shown} (+{more})" if more > 0 else shown


def _value_text(v: Verdict) -> str:
    return v.state if v.value is None else show(v.value)


def _rows(verdicts: Iterable[Verdict]) -> list[list[str]]:
    ordered = sorted(verdicts, key=lambda v: (_SEVERITY_ORDER[v.severity], v.area, v.rule))
    return [
        [
            v.severity,
            v.area,
            v.rule,
            v.status,
            _value_text(v),
            _bar_text(v),
            _setters(v),
            "" if v.gap is None else show(v.gap),
            ", ".join(v.flags),
        ]
        for v in ordered
    ]


_HEADERS = ["severity", "area", "rule", "status", "value", "bar", "set by", "gap", "flags"]


def _summary(report: Report, lab: str) -> str:
    s = report.labs[lab]
    score = "n/a" if s.score is None else f"{s.score:.2f}"
    counts = ", ".join(f"{n} {status.replace('_', ' ')}" for status in STATUSES if (n := s.counts[status]))
    return f"{lab} ({s.name}): score {score}; {counts or 'no verdicts'}"


def _by_lab(report: Report) -> dict[str, list[Verdict]]:
    grouped: dict[str, list[Verdict]] = {lab: [] for lab in report.labs}
    for v in report.verdicts:
        if v.status in SHORTFALLS:
            grouped[v.lab].append(v)
    return grouped


def _waiver_lines(report: Report) -> list[str]:
    return [
        f"{w.location.file}:{w.location.line}: waiver for {w.rule} / {w.lab} {w.problem}"
        for w in report.waiver_issues
    ]


def _packs(report: Report) -> str:
    return ", ".join(f"{p} {v}" for p, v in report.packs)


def _table(report: Report) -> str:
    out = [f"parity check as of {report.as_of.isoformat()} ({_packs(report)})", ""]
    for lab, shortfalls in _by_lab(report).items():
        out.append(_summary(report, lab))
        if shortfalls:
            out.append(
                tabulate(_rows(shortfalls), headers=_HEADERS, tablefmt="simple", disable_numparse=True)
            )
        out.append("")
    total = sum(len(s) for s in _by_lab(report).values())
    out.append(f"{total} shortfall(s) across {len(report.labs)} lab(s).")
    out.extend(_waiver_lines(report))
    return "\n".join(out) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|")


def _markdown(report: Report) -> str:
    out = [f"# parity report, as of {report.as_of.isoformat()}", "", f"Rule packs: {_packs(report)}.", ""]
    for lab, shortfalls in _by_lab(report).items():
        out += [f"## {_md(report.labs[lab].name)} (`{lab}`)", "", _md(_summary(report, lab)), ""]
        if shortfalls:
            rows = [[_md(cell) for cell in row] for row in _rows(shortfalls)]
            out += [tabulate(rows, headers=_HEADERS, tablefmt="github", disable_numparse=True), ""]
    waivers = _waiver_lines(report)
    if waivers:
        out += ["## Waivers needing attention", "", *(f"- {_md(line)}" for line in waivers), ""]
    return "\n".join(out)


FORMATS: dict[str, Callable[[Report], str]] = {"table": _table, "json": _json, "markdown": _markdown}


# --- rules and explain -----------------------------------------------------------------------------------


def bar_meaning(bar: Bar) -> str:
    """What a bar asks of a lab, in words."""
    return {
        "best": "match or surpass the best disclosed value among its peers",
        "quorum": f"do at least what {bar.k} peers transparently do (the {bar.k}th-best disclosed value)",
        "median": "do at least what half of the peers do (the ceil(n/2)th-best of n disclosed values)",
        "all": "do what every peer does; binds only when every peer discloses (then: the worst of them)",
        "threshold": f"reach the absolute value {show(bar.value)}",
        "within_days": f"be no older than {bar.value} days before the evaluation date",
    }[bar.kind]


def rule_target(rule: Rule) -> str:
    """What a rule checks, in one short phrase."""
    if rule.kind == "bar" and rule.bar:
        return f"{rule.indicator}: {rule.bar.describe()}"
    if rule.kind == "derive":
        return f"derive {rule.derive}"
    assert rule.require
    when = f"if {rule.when.mode} of {len(rule.when.conditions)} condition(s), " if rule.when else ""
    return f"{when}require {rule.require.describe()}"


def _rule_row(loaded: LoadedRule, data: Dataset) -> dict[str, Any]:
    rule = loaded.rule
    indicator = data.indicators.get(rule.indicator or (rule.require.indicator if rule.require else ""))
    return {
        "id": rule.id,
        "pack": loaded.pack,
        "kind": rule.kind,
        "area": rule.area or (indicator.area if indicator else ""),
        "checks": rule_target(rule),
        "severity": rule.severity or "",
        "applies_to": ", ".join(rule.applies_to or []) or "all labs",
    }


def render_rules(data: Dataset, fmt: str) -> str:
    """The rule list: id, pack, kind, area, what it checks, severity, who it applies to."""
    rows = [_rule_row(loaded, data) for loaded in data.rules.values()]
    if fmt == "json":
        return json.dumps(rows, indent=2, ensure_ascii=False) + "\n"
    table = tabulate(
        [list(r.values()) for r in rows],
        headers="keys" if not rows else list(rows[0]),
        tablefmt="github" if fmt == "markdown" else "simple",
        disable_numparse=True,
    )
    return table + "\n"


def render_explain(data: Dataset, rule_id: str, report: Report, fmt: str) -> str:
    """One rule in words, and where every lab stands against it now."""
    loaded = data.rules[rule_id]
    rule = loaded.rule
    verdicts = [v for v in report.verdicts if v.rule == rule_id]
    if fmt == "json":
        doc = {
            "rule": rule.model_dump(mode="json", exclude_none=True),
            "pack": loaded.pack,
            "as_of": report.as_of.isoformat(),
            "verdicts": [json.loads(verdict_json(v)) for v in verdicts],
        }
        if rule.derive:
            doc["derived"] = {lab: values[rule.derive] for lab, values in report.derived.items()}
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    lines = [
        f"{rule.id}: {rule.title or rule_target(rule)}",
        f"  pack {loaded.pack} ({loaded.file}:{loaded.line}); {rule.kind} rule"
        + (f", severity {rule.severity}" if rule.severity else ""),
    ]
    lines += _explain_body(rule, data)
    lines += ["", f"Standing as of {report.as_of.isoformat()}:", _explain_table(rule, report, verdicts, fmt)]
    return "\n".join(lines) + "\n"


def _explain_body(rule: Rule, data: Dataset) -> list[str]:
    lines = []
    if rule.kind == "bar" and rule.bar and rule.indicator:
        ind = data.indicators[rule.indicator]
        order = {"date": "later is better", "level": "levels, worst first: " + ", ".join(ind.levels or [])}
        better = order.get(ind.type, f"{ind.better or 'higher'} is better")
        lines.append(f"  indicator {rule.indicator}: {ind.title} ({ind.type}; {better})")
        lines.append(f"  bar: {rule.bar.describe()}: a lab must {bar_meaning(rule.bar)}")
        peers = rule.peers
        who = (
            "every other lab"
            if peers is None
            else " and ".join(
                x
                for x in (
                    f"labs tagged {', '.join(peers.tags)}" if peers.tags else "",
                    f"labs {', '.join(peers.labs)}" if peers.labs else "",
                )
                if x
            )
        )
        lines.append(f"  peers: {who}; only disclosed values (with evidence) set the bar")
    else:
        if rule.when:
            joiner = " and " if rule.when.mode == "all" else " or "
            conds = joiner.join(c.describe() for c in rule.when.conditions)
            lines.append(f"  when: {conds}")
        if rule.require:
            lines.append(f"  require: {rule.require.describe()}")
        if rule.derive:
            lines.append(f"  derives: {rule.derive} (true, false, or undisclosed when unknown)")
    lines.append(f"  applies to: {', '.join(rule.applies_to) if rule.applies_to else 'every lab'}")
    for label, text in (("rationale", rule.rationale), ("description", rule.description)):
        if text:
            lines.append(f"  {label}: {' '.join(text.split())}")
    return lines


def _explain_table(rule: Rule, report: Report, verdicts: list[Verdict], fmt: str) -> str:
    tablefmt = "github" if fmt == "markdown" else "simple"
    if rule.derive:
        rows = [
            [lab, show(values[rule.derive]) if values[rule.derive] is not None else "undisclosed"]
            for lab, values in report.derived.items()
        ]
        return tabulate(rows, headers=["lab", rule.derive], tablefmt=tablefmt, disable_numparse=True)
    rows = [
        [
            v.lab,
            v.status,
            _value_text(v),
            _bar_text(v),
            _setters(v),
            str(v.bar.peers_disclosed),
            "" if v.gap is None else show(v.gap),
            ", ".join(v.flags),
        ]
        for v in verdicts
    ]
    headers = ["lab", "status", "value", "bar", "set by", "peers disclosed", "gap", "flags"]
    return tabulate(rows, headers=headers, tablefmt=tablefmt, disable_numparse=True)
