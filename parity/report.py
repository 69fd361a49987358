"""Rendering: a Report (or the rule list, or one rule's explanation) to text, and the exit-code test.

`FORMATS` maps a format name to a function returning a string. Output depends only on its inputs (no
clocks, no dict-order surprises), so the same inputs and `--as-of` give byte-identical text. Text that
comes from profiles and packs is escaped for its format: no terminal control character reaches a terminal,
and no profile text forms Markdown structure.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterable, Iterator
from json.encoder import encode_basestring
from typing import IO, Any

from tabulate import tabulate

from parity.gcpause import paused_gc
from parity.loader import Dataset, LoadedRule
from parity.models import SEVERITIES, Bar, Evidence, Rule
from parity.results import SHORTFALLS, STATUSES, Report, Verdict

SCHEMA = "parity/report/v1"
_SEVERITY_ORDER = {s: i for i, s in enumerate(reversed(SEVERITIES))}  # critical first
_SHOWN_SETTERS = 3
FAIL_ON = ("never", *SEVERITIES)


def render(report: Report, fmt: str = "table") -> str:
    """The report in one of FORMATS."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; one of {', '.join(sorted(FORMATS))}")
    with paused_gc():
        return FORMATS[fmt](report)


def fails(report: Report, fail_on: str) -> bool:
    """Whether an unwaived shortfall at or above `fail_on` remains (`never`: never)."""
    if fail_on not in FAIL_ON:
        raise ValueError(f"unknown severity {fail_on!r}; one of {', '.join(FAIL_ON)}")
    if fail_on == "never":
        return False
    floor = SEVERITIES.index(fail_on)
    return any(v.status in SHORTFALLS and SEVERITIES.index(v.severity) >= floor for v in report.verdicts)


def show(value: Any) -> str:
    """A value as a person reads it: true/false, ISO dates, numbers as written."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


# C0 and C1 controls, DEL, and the bidirectional overrides that can reorder what a terminal shows.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def terminal(text: str) -> str:
    """Text safe for a terminal: every control character shown as an escape (\\x1b), never sent."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


_MARKDOWN = re.compile(r"([\\`*_\[\]<>|~&])")


def markdown(text: str) -> str:
    """Text that forms no Markdown or HTML structure: punctuation escaped, on one line."""
    flat = " ".join(terminal(text).split())
    return _MARKDOWN.sub(lambda m: "&amp;" if m.group() == "&" else "\\" + m.group(), flat)


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
    blocked = (
        f', "blocked_by": {_strings(bar.blocked_by)}, "blocked_by_count": {bar.blocked_by_count}'
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
            lab: {
                "name": s.name,
                "score": s.score,
                "coverage": s.coverage,
                "areas": s.areas,
                "packs": s.packs,
                "pack_coverage": s.pack_coverage,
                "unassessed": list(s.unassessed),
                "counts": s.counts,
            }
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
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; one of {', '.join(sorted(FORMATS))}")
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


def _blocked(v: Verdict) -> str:
    """For an `all` bar that does not bind: the peers whose silence keeps it from binding."""
    blocked = v.bar.blocked_by
    if not blocked:
        return ""
    more = v.bar.blocked_by_count - min(len(blocked), _SHOWN_SETTERS)
    listed = ", ".join(blocked[:_SHOWN_SETTERS])
    return f"blocked by {listed} (+{more})" if more > 0 else f"blocked by {listed}"


def _value_text(v: Verdict) -> str:
    return v.state if v.value is None else show(v.value)


Escape = Callable[[str], str]


def _rows(verdicts: Iterable[Verdict], esc: Escape) -> list[list[str]]:
    ordered = sorted(verdicts, key=lambda v: (_SEVERITY_ORDER[v.severity], v.area, v.rule))
    return [
        [
            v.severity,
            esc(v.area),
            esc(v.rule),
            v.status,
            esc(_value_text(v)),
            esc(_bar_text(v)),
            esc(_setters(v)),
            "" if v.gap is None else show(v.gap),
            ", ".join(v.flags),
        ]
        for v in ordered
    ]


_HEADERS = ["severity", "area", "rule", "status", "value", "bar", "set by", "gap", "flags"]


def _share(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def _summary(report: Report, lab: str, esc: Escape) -> list[str]:
    """A lab's score beside its coverage, per pack too, its counts, and what nobody has assessed yet."""
    s = report.labs[lab]
    counts = ", ".join(f"{n} {status.replace('_', ' ')}" for status in STATUSES if (n := s.counts[status]))
    lines = [
        f"{esc(lab)} ({esc(s.name)}): score {_share(s.score)}, coverage {_share(s.coverage)}; "
        f"{counts or 'no verdicts'}"
    ]
    if s.packs:
        per_pack = ", ".join(
            f"{esc(p)} {_share(score)} (coverage {_share(s.pack_coverage.get(p))})"
            for p, score in s.packs.items()
        )
        lines.append(f"  by pack: {per_pack}")
    if s.unassessed:
        lines.append(f"  not assessed yet: {esc(', '.join(s.unassessed))}")
    return lines


def _by_lab(report: Report) -> dict[str, list[Verdict]]:
    grouped: dict[str, list[Verdict]] = {lab: [] for lab in report.labs}
    for v in report.verdicts:
        if v.status in SHORTFALLS:
            grouped[v.lab].append(v)
    return grouped


def _waiver_lines(report: Report, esc: Escape) -> list[str]:
    return [
        esc(f"{w.location.file}:{w.location.line}: waiver for {w.rule} / {w.lab} {w.problem}")
        for w in report.waiver_issues
    ]


def _packs(report: Report, esc: Escape) -> str:
    return ", ".join(f"{esc(p)} {esc(v)}" for p, v in report.packs)


def _header(report: Report, esc: Escape) -> str:
    from parity import __version__

    return f"parity {__version__} check as of {report.as_of.isoformat()} (packs: {_packs(report, esc)})"


def _table(report: Report) -> str:
    out = [_header(report, terminal), ""]
    grouped = _by_lab(report)
    for lab, shortfalls in grouped.items():
        out += _summary(report, lab, terminal)
        if shortfalls:
            rows = _rows(shortfalls, terminal)
            out.append(tabulate(rows, headers=_HEADERS, tablefmt="simple", disable_numparse=True))
        out.append("")
    total = sum(len(s) for s in grouped.values())
    out.append(
        f"{total} shortfall(s) across {len(report.labs)} lab(s); scores count every pack listed above."
    )
    out.extend(_waiver_lines(report, terminal))
    return "\n".join(out) + "\n"


def _markdown(report: Report) -> str:
    out = [f"# parity report, as of {report.as_of.isoformat()}", "", _header(report, markdown) + ".", ""]
    for lab, shortfalls in _by_lab(report).items():
        out += [f"## {markdown(report.labs[lab].name)} ({markdown(lab)})", ""]
        out += [line.strip() + "  " for line in _summary(report, lab, markdown)]
        out.append("")
        if shortfalls:
            out += [
                tabulate(
                    _rows(shortfalls, markdown), headers=_HEADERS, tablefmt="github", disable_numparse=True
                ),
                "",
            ]
    waivers = _waiver_lines(report, markdown)
    if waivers:
        out += ["## Waivers needing attention", "", *(f"- {line}" for line in waivers), ""]
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


def applies_to_text(rule: Rule) -> str:
    """Who a rule judges, in words."""
    target = rule.applies_to
    if target is None:
        return "every lab"
    if isinstance(target, list):
        return ", ".join(target)
    parts = [f"labs tagged {', '.join(target.tags)}" if target.tags else "", ", ".join(target.labs or [])]
    return " among ".join(p for p in parts if p)


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
        "applies_to": applies_to_text(rule),
        "in_force": loaded.in_force.isoformat() if loaded.in_force else "",
    }


def render_rules(data: Dataset, fmt: str) -> str:
    """The rule list: id, pack, kind, area, what it checks, severity, who it applies to."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; one of {', '.join(sorted(FORMATS))}")
    rows = [_rule_row(loaded, data) for loaded in data.rules.values()]
    if fmt == "json":
        return json.dumps(rows, indent=2, ensure_ascii=False) + "\n"
    esc = markdown if fmt == "markdown" else terminal
    table = tabulate(
        [[esc(str(x)) for x in r.values()] for r in rows],
        headers="keys" if not rows else list(rows[0]),
        tablefmt="github" if fmt == "markdown" else "simple",
        disable_numparse=True,
    )
    return table + "\n"


def render_explain(data: Dataset, rule_id: str, report: Report, fmt: str) -> str:
    """One rule in words, and where every lab stands against it now."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; one of {', '.join(sorted(FORMATS))}")
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
        + (f", severity {rule.severity}" if rule.severity else "")
        + (f", in force from {loaded.in_force.isoformat()}" if loaded.in_force else ""),
    ]
    lines += _explain_body(rule, data)
    if fmt == "markdown":  # escaped, each line its own line break
        lines = [markdown(line) + "  " for line in lines]
    else:
        lines = [terminal(line) for line in lines]
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
            lines.append(f"  derives: {rule.derive} (true, false, undisclosed or unassessed)")
    lines.append(f"  applies to: {applies_to_text(rule)}")
    for label, text in (("rationale", rule.rationale), ("description", rule.description)):
        if text:
            lines.append(f"  {label}: {' '.join(text.split())}")
    return lines


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
            esc(_value_text(v)),
            esc(_bar_text(v)),
            esc(_setters(v) or _blocked(v)),
            str(v.bar.peers_disclosed),
            "" if v.gap is None else show(v.gap),
            ", ".join(v.flags),
        ]
        for v in verdicts
    ]
    headers = ["lab", "status", "value", "bar", "set by", "peers disclosed", "gap", "flags"]
    return tabulate(rows, headers=headers, tablefmt=tablefmt, disable_numparse=True)
