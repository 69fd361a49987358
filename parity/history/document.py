"""The `parity/history/v1` document: a History as plain JSON data (docs/history.md), and its JSON Schema.

Everything is sorted and dated, so the same repository and options give byte-identical output.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from parity.models import Alarms, RegressionKind, Severity
from parity.report.document import evidence_dict, plain

if TYPE_CHECKING:
    from parity.history.records import Alarm, BarPoint, History, Point, Recorded, Regression
    from parity.history.timeline import Revision


SCHEMA = "parity/history/v1"


def revision(rev: Revision) -> dict[str, Any]:
    out: dict[str, Any] = {"ref": rev.ref, "date": rev.date.isoformat()}
    if rev.commit:
        out["commit"] = rev.commit
        out["title"] = rev.subject  # the commit message's first line
    if rev.committed and rev.committed != rev.date:
        out["committed"] = rev.committed.isoformat()
    return out


def _point(p: Point) -> dict[str, Any]:
    out = {
        **revision(p.revision),
        "score": p.score,
        "coverage": p.coverage,
        "packs": dict(sorted(p.packs.items())),
    }
    if p.methodology_changed:
        out["methodology_changed"] = list(p.methodology_changed)
    return out


def _regression(r: Regression) -> dict[str, Any]:
    out = {
        "lab": r.lab,
        "kind": r.kind,
        "subject": r.subject,
        "title": r.title,
        "before": plain(r.before),
        "after": plain(r.after),
        "severity": r.severity,
        "loss": r.loss,
        **revision(r.revision),
        "previous": r.previous.ref,
        "evidence_before": [evidence_dict(e) for e in r.evidence_before],
        "evidence_after": [evidence_dict(e) for e in r.evidence_after],
    }
    if r.methodology:
        out["methodology"] = True
    return out


def _recorded(r: Recorded) -> dict[str, Any]:
    return {
        "kind": r.kind,
        "lab": r.lab,
        "subject": r.subject,
        "what": r.what,
        "past": r.past.isoformat() if r.past else None,
        **revision(r.revision),
    }


def _alarm(a: Alarm) -> dict[str, Any]:
    return {
        "kind": a.kind,
        "subject": a.subject,
        **revision(a.revision),
        "loss": a.loss,
        "steps": [{**revision(rev), "loss": loss} for rev, loss in a.steps],
        "message": a.message,
        "lost": [_regression(r) for r in a.lost],
    }


def _bar(p: BarPoint) -> dict[str, Any]:
    out = {**revision(p.revision), "value": plain(p.value), "set_by": list(p.set_by)}
    if p.cause:
        out["cause"] = p.cause
    return out


def _changes(points: list[BarPoint]) -> list[dict[str, Any]]:
    """A bar's series as the points where it moved (the first point, then each change)."""
    out, last = [], object()
    for p in points:
        if (p.value, p.set_by, p.digest) != last:
            out.append(_bar(p))
            last = (p.value, p.set_by, p.digest)
    return out


def history_to_dict(history: History, version: str) -> dict[str, Any]:
    packs = history.methodology
    return {
        "schema": SCHEMA,
        "parity_version": version,
        "source": history.source,
        "mode": history.mode,
        "as_of": history.as_of.isoformat() if history.as_of else None,
        "config": history.config.model_dump(mode="json"),
        "revisions": [
            {**revision(r), "packs": [{"pack": p, "version": v} for p, v in packs.get(r, ())]}
            for r in history.revisions
        ],
        "skipped": [
            {**revision(s.revision), "problems": [p.to_dict() for p in s.problems]} for s in history.skipped
        ],
        "labs": {
            lab: {"points": [_point(p) for p in points]} for lab, points in sorted(history.points.items())
        },
        "regressions": [_regression(r) for r in history.regressions],
        "recorded": [_recorded(r) for r in history.recorded],
        "alarms": [_alarm(a) for a in history.alarms],
        "bars": {rule: _changes(points) for rule, points in sorted(history.bars.items())},
        "declines": [
            {
                "rule": d.rule,
                "cause": d.cause,
                "ratchet": d.ratchet,
                "peak": _bar(d.peak),
                "low": _bar(d.low),
                "steps": [_bar(p) for p in d.steps],
            }
            for d in history.declines
        ],
    }


# --- the schema (`parity schema history`) ------------------------------------------------------------------

_Scalar = bool | int | float | str | None
_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"


class _Doc(BaseModel):
    model_config = ConfigDict(extra="allow")  # fields may be added without a new schema version


class RevisionDoc(_Doc):
    ref: str = Field(description="The commit's short id, or the snapshot folder as given.")
    date: str = Field(pattern=_DATE, description="The date the revision was evaluated at.")
    commit: str | None = None
    title: str | None = Field(None, description="The commit message's first line.")
    committed: str | None = Field(None, pattern=_DATE, description="The commit's date, when --as-of differs.")


class PackDoc(_Doc):
    pack: str
    version: str


class RevisionPacksDoc(RevisionDoc):
    packs: list[PackDoc]


class ProblemDoc(_Doc):
    file: str
    line: int
    column: int
    field: str
    message: str


class SkippedDoc(RevisionDoc):
    problems: list[ProblemDoc] = Field(min_length=1)


class PointDoc(RevisionDoc):
    score: float | None
    coverage: float | None
    packs: dict[str, float | None]
    methodology_changed: list[str] | None = Field(
        None, description="Packs whose version differs from this lab's previous point: do not compare."
    )


class LabDoc(_Doc):
    points: list[PointDoc]


class EvidenceDoc(_Doc):
    url: str
    date: str = Field(pattern=_DATE)
    title: str | None = None
    quote: str | None = None
    note: str | None = None


class RegressionDoc(RevisionDoc):
    lab: str
    kind: RegressionKind
    subject: str = Field(description="The indicator, or for commitments the rule.")
    title: str = Field(description="The indicator's or the rule's title: the subject in words.")
    evidence_before: list[EvidenceDoc] = Field(
        description="The sources of the state before (a pledge: its text)."
    )
    evidence_after: list[EvidenceDoc] = Field(
        description="The sources of the state after (a pledge: its withdrawal)."
    )
    before: _Scalar
    after: _Scalar
    severity: Severity
    loss: float = Field(ge=0)
    previous: str = Field(description="The revision compared with.")
    methodology: bool | None = None


class RecordedDoc(RevisionDoc):
    kind: Literal["lab", "correction", "research", "methodology"]
    lab: str | None = Field(description="None for a pack's change.")
    subject: str = Field(description="The practice, or the pack.")
    what: str = Field(description="What changed, in words.")
    past: str | None = Field(pattern=_DATE, description="A correction: the date of the state it corrects.")


class StepDoc(RevisionDoc):
    loss: float


class AlarmDoc(RevisionDoc):
    kind: Literal["sudden", "erosion", "race"]
    subject: str = Field(description="The lab (sudden, erosion) or the rule (race).")
    loss: float | None
    steps: list[StepDoc]
    message: str = Field(description="What was lost, in words a reader can quote.")
    lost: list[RegressionDoc] = Field(
        description="Sudden and erosion: the regressions that add up, with their evidence."
    )


class BarPointDoc(RevisionDoc):
    value: _Scalar = Field(description="The industry bar; null when it does not bind.")
    set_by: list[str]
    cause: Literal["peers", "coverage", "rule"] | None = None


class DeclineDoc(_Doc):
    rule: str
    cause: Literal["peers", "coverage", "rule"]
    ratchet: int | None
    peak: BarPointDoc
    low: BarPointDoc
    steps: list[BarPointDoc]


class HistoryDoc(_Doc):
    """The `parity history --format json` document."""

    schema_: Literal["parity/history/v1"] = Field(alias="schema")
    parity_version: str
    source: str
    mode: Literal["dates", "revisions"] = Field(
        description="dates: the labs' story by the data's dates; revisions: the repository's commits."
    )
    as_of: str | None = Field(pattern=_DATE)
    config: Alarms
    revisions: list[RevisionPacksDoc]
    skipped: list[SkippedDoc]
    labs: dict[str, LabDoc]
    regressions: list[RegressionDoc]
    recorded: list[RecordedDoc] = Field(
        description="--revisions: every change recorded, classified; only `lab` changes are regressions."
    )
    alarms: list[AlarmDoc]
    bars: dict[str, list[BarPointDoc]] = Field(description="Each relative rule's bar, where it moved.")
    declines: list[DeclineDoc]
