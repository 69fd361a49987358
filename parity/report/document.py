"""The JSON report as plain data, both ways: `Report` to the documented dict (docs/report.md), and a dict
(a saved report) back to the fields of an equal `Report` (`Report.from_dict` builds it), so that tools such
as `diff` can compare a saved report with a new one. Reading a report never imports the engine.

The report carries its own catalog (`rules`, `indicators`): a saved report renders and reads back on its
own, and its date values are read back as dates because the catalog says which indicators hold dates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from parity.models import Evidence, Response
from parity.report.records import (
    BarResult,
    ConditionNote,
    IndicatorInfo,
    LabSummary,
    Location,
    RuleInfo,
    SourceNote,
    Verdict,
    WaiverIssue,
    WaiverNote,
)
from parity.vocabulary import parse_date

if TYPE_CHECKING:
    from parity.report import Report

SCHEMA = "parity/report/v1"


Notes = Mapping[str, SourceNote]
_NO_NOTES: Notes = {}


def evidence_dict(e: Evidence, notes: Notes = _NO_NOTES) -> dict[str, Any]:
    """One piece of evidence; marked with `source` where the source record says it drifted or is gone."""
    out: dict[str, Any] = {"url": e.url, "date": e.date.isoformat()}
    optional = (("title", e.title), ("quote", e.quote), ("note", e.note), ("tier", e.tier))
    out.update({k: v for k, v in (*optional, ("archive", e.archive)) if v})
    note = notes.get(e.url)
    if note is not None and note.marks(e):
        out["source"] = source_mark(note, e)
    return out


def response_dict(r: Response) -> dict[str, Any]:
    """A lab's response as the report writes it: only the fields it has (no answer yet: no `date`)."""
    about = {"rule": r.about.rule} if r.about.rule is not None else {"practice": r.about.practice}
    out: dict[str, Any] = {"about": about}
    for name in ("asked", "date", "stance", "url", "quote", "note"):
        value = getattr(r, name)
        if value is not None:
            out[name] = value.isoformat() if isinstance(value, dt.date) else value
    return out


def source_mark(note: SourceNote, e: Evidence) -> dict[str, Any]:
    """How the report marks evidence that no longer stands: the status, the day checked, the closest
    passage to a drifted quote."""
    mark: dict[str, Any] = {"status": note.status, "checked": note.checked.isoformat()}
    if note.status == "drifted":
        mark["closest"] = note.closest(e)
    return mark


def plain(value: Any) -> Any:
    """A value as JSON holds it: dates as YYYY-MM-DD."""
    return value.isoformat() if isinstance(value, dt.date) else value


def _location(loc: Location) -> dict[str, Any]:
    return {"file": loc.file, "line": loc.line}


def bar_dict(bar: BarResult, notes: Notes = _NO_NOTES) -> dict[str, Any]:
    out: dict[str, Any] = {
        "kind": bar.kind,
        "value": plain(bar.value),
        "set_by": list(bar.set_by),
        "set_by_count": bar.set_by_count,
        "peers_disclosed": bar.peers_disclosed,
    }
    if bar.blocked_by is not None:
        out["blocked_by"] = list(bar.blocked_by)
        out["blocked_by_count"] = bar.blocked_by_count
        out["blocked_by_state"] = dict(zip(bar.blocked_by, bar.blocked_states, strict=True))
    if bar.evidence:
        out["evidence"] = {lab: [evidence_dict(e, notes) for e in ev] for lab, ev in bar.evidence}
    return out


def verdict_dict(v: Verdict, as_of: dt.date, notes: Notes = _NO_NOTES) -> dict[str, Any]:
    out: dict[str, Any] = {
        "lab": v.lab,
        "rule": v.rule,
        "title": v.title,
        "pack": v.pack,
        "indicator": v.indicator,
        "area": v.area,
        "severity": v.severity,
        "status": v.status,
        "state": v.state,
        "value": plain(v.value),
        "bar": bar_dict(v.bar, notes),
        "gap": v.gap,
        "flags": list(v.flags),
        "evidence": [evidence_dict(e, notes) for e in v.evidence],
        "location": _location(v.location),
    }
    if v.due is not None:
        out["due"] = v.due.isoformat()
        overdue = v.overdue(as_of)
        if overdue is not None:
            out["overdue"] = overdue
    if v.waiver:
        w = v.waiver
        out["waiver"] = {
            "underlying": w.underlying,
            "reason": w.reason,
            "expires": w.expires.isoformat(),
            "location": _location(w.location),
        }
    if v.responses:
        out["responses"] = [response_dict(r) for r in v.responses]
    if v.conditions:
        out["conditions"] = [condition_dict(n, notes) for n in v.conditions]
    return out


def condition_dict(n: ConditionNote, notes: Notes = _NO_NOTES) -> dict[str, Any]:
    """A commitment's condition as the report writes it (docs/report.md, "A verdict")."""
    out: dict[str, Any] = {
        "indicator": n.indicator,
        "condition": n.condition,
        "of": n.of,
        "holds": n.holds,
        "state": n.state,
        "value": plain(n.value),
        "evidence": [evidence_dict(e, notes) for e in n.evidence],
    }
    if n.bar is not None:
        out["bar"] = bar_dict(n.bar, notes)
    if n.derived_by is not None:
        out["derived_by"] = n.derived_by
        out["conditions"] = [condition_dict(c, notes) for c in n.derived_from]
    return out


def head_dict(report: Report, version: str) -> dict[str, Any]:
    """What comes before the verdicts."""
    return {
        "schema": SCHEMA,
        "as_of": report.as_of.isoformat(),
        "parity_version": version,
        "packs": [{"pack": p, "version": v} for p, v in report.packs],
    }


def tail_dict(report: Report) -> dict[str, Any]:
    """What comes after the verdicts."""
    return {
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
                **({"responses": [response_dict(r) for r in s.responses]} if s.responses else {}),
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
                "location": _location(w.location),
            }
            for w in report.waiver_issues
        ],
        "rules": {
            rule_id: {
                "title": r.title,
                "pack": r.pack,
                "kind": r.kind,
                "area": r.area,
                "severity": r.severity,
                "indicator": r.indicator,
                "checks": r.checks,
                "rationale": r.rationale,
                "location": _location(r.location),
                "digest": r.digest,
                **_rule_time(r, report.sources),
            }
            for rule_id, r in report.rules.items()
        },
        "indicators": {
            name: {
                "title": i.title,
                "area": i.area,
                "type": i.type,
                "unit": i.unit,
                "levels": list(i.levels) if i.levels is not None else None,
            }
            for name, i in report.indicators.items()
        },
    }


def report_to_dict(report: Report, version: str) -> dict[str, Any]:
    return {
        **head_dict(report, version),
        "verdicts": [verdict_dict(v, report.as_of, report.sources) for v in report.verdicts],
        **tail_dict(report),
    }


# --- back from a dict ---------------------------------------------------------------------------------------


def _responses(items: list[dict[str, Any]]) -> tuple[Response, ...]:
    return tuple(Response.model_validate(item) for item in items)


def _loc(doc: dict[str, Any]) -> Location:
    return Location(doc["file"], doc["line"])


class _Reader:
    """Reads one report; knows which indicators hold dates, and shares evidence tuples as `evaluate` does."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc
        self.dates = {name for name, i in doc.get("indicators", {}).items() if i.get("type") == "date"}
        self.notes: dict[str, SourceNote] = {}

    def evidence(self, items: list[dict[str, Any]]) -> tuple[Evidence, ...]:
        """Evidence as the report lists it; its `source` marks gathered back into the notes by URL."""
        out = []
        for item in items:
            fields = {k: v for k, v in item.items() if k != "source"}
            e = Evidence.model_validate(fields)
            if "source" in item:
                self.note(e, item["source"])
            out.append(e)
        return tuple(out)

    def note(self, e: Evidence, mark: dict[str, Any]) -> None:
        old = self.notes.get(e.url) or SourceNote(mark["status"], parse_date(mark["checked"]))
        if mark["status"] == "drifted" and all(q != e.quote for q, _ in old.missing):
            missing = tuple(sorted((*old.missing, (e.quote or "", mark.get("closest"))), key=_by_quote))
            old = old._replace(missing=missing)
        self.notes[e.url] = old

    def value(self, indicator: str, raw: Any) -> Any:
        return parse_date(raw) if indicator in self.dates and isinstance(raw, str) else raw

    def bar(self, indicator: str, doc: dict[str, Any]) -> BarResult:
        blocked = doc.get("blocked_by")
        states = doc.get("blocked_by_state") or {}
        setters = tuple((lab, self.evidence(ev)) for lab, ev in doc.get("evidence", {}).items())
        return BarResult(
            doc["kind"],
            self.value(indicator, doc["value"]),
            tuple(doc["set_by"]),
            doc["set_by_count"],
            doc["peers_disclosed"],
            tuple(blocked) if blocked is not None else None,
            doc.get("blocked_by_count", 0),
            tuple(states[lab] for lab in blocked or ()),
            setters,
        )

    def verdict(self, doc: dict[str, Any]) -> Verdict:
        waiver = doc.get("waiver")
        note = None
        if waiver:
            expires = parse_date(waiver["expires"])
            note = WaiverNote(waiver["underlying"], waiver["reason"], expires, _loc(waiver["location"]))
        indicator = doc["indicator"]
        return Verdict(
            doc["lab"],
            doc["rule"],
            doc["title"],
            doc["pack"],
            indicator,
            doc["area"],
            doc["severity"],
            doc["status"],
            doc["state"],
            self.value(indicator, doc["value"]),
            self.bar(indicator, doc["bar"]),
            doc["gap"],
            tuple(doc["flags"]),
            self.evidence(doc["evidence"]),
            _loc(doc["location"]),
            note,
            parse_date(doc["due"]) if "due" in doc else None,
            _responses(doc.get("responses", [])),
            tuple(self.condition(c) for c in doc.get("conditions", [])),
        )

    def condition(self, doc: dict[str, Any]) -> ConditionNote:
        indicator = doc["indicator"]
        return ConditionNote(
            indicator,
            doc["condition"],
            doc["holds"],
            doc["state"],
            self.value(indicator, doc["value"]),
            self.evidence(doc["evidence"]),
            self.bar(indicator, doc["bar"]) if "bar" in doc else None,
            doc.get("derived_by"),
            tuple(self.condition(c) for c in doc.get("conditions", [])),
            doc.get("of", "all"),
        )

    def fields(self) -> dict[str, Any]:
        doc = self.doc
        if doc.get("schema") != SCHEMA:
            raise ValueError(f"not a parity report: schema is {doc.get('schema')!r}, expected {SCHEMA!r}")
        verdicts = [self.verdict(v) for v in doc["verdicts"]]
        return {
            "as_of": parse_date(doc["as_of"]),
            "packs": [(p["pack"], p["version"]) for p in doc["packs"]],
            "verdicts": verdicts,
            "labs": {lab: _summary(s) for lab, s in doc["labs"].items()},
            "derived": doc["derived"],
            "waiver_issues": [
                WaiverIssue(w["rule"], w["lab"], parse_date(w["expires"]), _loc(w["location"]), w["problem"])
                for w in doc["waivers"]
            ],
            "rules": {rule_id: _rule(r, self) for rule_id, r in doc.get("rules", {}).items()},
            "indicators": {name: _indicator(i) for name, i in doc.get("indicators", {}).items()},
            "sources": dict(sorted(self.notes.items())),
        }


def _by_quote(item: tuple[str, str | None]) -> str:
    return item[0]


def _summary(s: dict[str, Any]) -> LabSummary:
    return LabSummary(
        name=s["name"],
        score=s["score"],
        coverage=s["coverage"],
        areas=s["areas"],
        packs=s["packs"],
        pack_coverage=s["pack_coverage"],
        unassessed=tuple(s["unassessed"]),
        counts=s["counts"],
        responses=_responses(s.get("responses", [])),
    )


def _rule_time(r: RuleInfo, notes: Notes = _NO_NOTES) -> dict[str, Any]:
    """A rule's sources and its end, where it has them (left out otherwise: older reports read the same)."""
    out: dict[str, Any] = {}
    if r.source:
        out["source"] = [evidence_dict(e, notes) for e in r.source]
    if r.until is not None:
        out["until"] = r.until.isoformat()
    if r.withdrawn:
        out["withdrawn"] = [evidence_dict(e) for e in r.withdrawn]
    if r.page is not None:
        out["page"] = r.page
    return out


def _rule(r: dict[str, Any], read: _Reader) -> RuleInfo:
    return RuleInfo(
        r["title"],
        r["pack"],
        r["kind"],
        r["area"],
        r["severity"],
        r["indicator"],
        r["checks"],
        r["rationale"],
        _loc(r["location"]),
        r.get("digest", ""),
        read.evidence(r.get("source", [])),
        parse_date(r["until"]) if r.get("until") else None,
        read.evidence(r.get("withdrawn", [])),
        r.get("page"),
    )


def _indicator(i: dict[str, Any]) -> IndicatorInfo:
    levels = i.get("levels")
    return IndicatorInfo(i["title"], i["area"], i["type"], i.get("unit"), tuple(levels) if levels else None)


def report_fields(doc: dict[str, Any]) -> dict[str, Any]:
    """The fields of the Report a JSON document holds (`Report.from_dict` builds it); ValueError when the
    document is not a report."""
    try:
        return _Reader(doc).fields()
    except (KeyError, TypeError, AttributeError) as e:
        raise ValueError(f"not a parity report: {type(e).__name__}: {e}") from None
