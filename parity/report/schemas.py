"""JSON Schemas: of the inputs (from the input models) and of the JSON report (from the models below).

The report models describe the JSON that `report` writes, field for field (docs/report.md); the tests
validate every written report against this schema, so the two cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from parity.history.document import HistoryDoc
from parity.models import Alarms, LabProfile, RulePack, Severity, Stance, Tier, Waiver
from parity.vocabulary import Shortfall, State, Status, Truth

_Scalar = bool | int | float | str | None
_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_Share = float | None


class _Doc(BaseModel):
    model_config = ConfigDict(extra="allow")  # fields may be added without a new schema version


_DAY = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"


class SourceMarkDoc(_Doc):
    """Evidence the source record (docs/sources.md) finds no longer standing as cited."""

    status: Literal["drifted", "gone"]
    checked: str = Field(pattern=_DAY, description="The day `parity sources` found it so.")
    closest: str | None = Field(None, description="drifted: the passage of the page closest to the quote.")


class EvidenceDoc(_Doc):
    url: str
    date: str = Field(pattern=_DAY)
    title: str | None = None
    quote: str | None = None
    note: str | None = None
    tier: Tier | None = None
    archive: str | None = None
    source: SourceMarkDoc | None = Field(None, description="Only where the evidence drifted or is gone.")


class AboutDoc(_Doc):
    rule: str | None = Field(None, description="The rule whose finding the response answers.")
    practice: str | None = Field(None, description="Or the practice: every finding that reads it.")


class ResponseDoc(_Doc):
    """A lab's answer to a finding (right of reply), or a request not answered yet (no `date`)."""

    about: AboutDoc
    asked: str | None = Field(None, pattern=_DATE, description="When the watchdog asked the lab.")
    date: str | None = Field(None, pattern=_DATE, description="When the lab answered; absent: no answer yet.")
    stance: Stance | None = None
    url: str | None = None
    quote: str | None = None
    note: str | None = None


class LocationDoc(_Doc):
    file: str = Field(description="Relative to the folder that holds lab_profiles/ and rules/.")
    line: int = Field(ge=1)


class BarDoc(_Doc):
    kind: Literal["best", "quorum", "median", "all", "threshold", "within_days", "require"]
    value: _Scalar = Field(description="The bar; null when it does not bind.")
    set_by: list[str] = Field(description="Peers whose value equals the bar, sorted, at most 20.")
    set_by_count: int = Field(ge=0)
    peers_disclosed: int = Field(ge=0)
    blocked_by: list[str] | None = Field(None, description="`all` bars: the peers that are not disclosed.")
    blocked_by_count: int | None = Field(None, ge=0)
    blocked_by_state: dict[str, State] | None = Field(
        None, description="`all` bars: why each listed peer keeps it from binding (its practice's state)."
    )
    evidence: dict[str, list[EvidenceDoc]] | None = Field(
        None, description="Shortfalls: the setters' evidence."
    )


class WaiverNoteDoc(_Doc):
    underlying: Shortfall
    reason: str
    expires: str
    location: LocationDoc


class ConditionDoc(_Doc):
    """A commitment's `when` condition as it stood for the lab."""

    indicator: str
    condition: str = Field(description="The condition in words.")
    of: Literal["all", "any"] = Field(description="Its list: all must hold, or any.")
    holds: Truth = Field(description="true, false, or why it is unknown: undisclosed, unassessed.")
    state: State
    value: _Scalar
    evidence: list[EvidenceDoc]
    bar: BarDoc | None = Field(None, description="A `meets` condition's bar.")
    derived_by: str | None = Field(None, description="A derived indicator: the rule that derives it.")
    conditions: list[ConditionDoc] | None = Field(None, description="That rule's conditions for the lab.")


class VerdictDoc(_Doc):
    lab: str
    rule: str
    title: str
    pack: str
    indicator: str
    area: str
    severity: Severity
    status: Status
    state: State
    value: _Scalar
    bar: BarDoc
    gap: int | float | None
    flags: list[
        Literal[
            "stale", "unevidenced", "waiver_expired", "held", "no_history", "source_drifted", "source_gone"
        ]
    ]
    evidence: list[EvidenceDoc]
    location: LocationDoc
    waiver: WaiverNoteDoc | None = None
    due: str | None = Field(
        None,
        pattern=_DATE,
        description="within_days bars: the last day the value meets the bar (value + days).",
    )
    overdue: int | None = Field(None, ge=1, description="Days past `due` at the evaluation date.")
    responses: list[ResponseDoc] | None = Field(
        None, description="The lab's answers to this finding (right of reply), where it has any."
    )
    conditions: list[ConditionDoc] | None = Field(
        None, description="Commitments: each `when` condition, whether it held and on what."
    )


class LabDoc(_Doc):
    name: str
    score: _Share = Field(ge=0, le=1)
    coverage: _Share = Field(ge=0, le=1)
    areas: dict[str, _Share]
    packs: dict[str, _Share]
    pack_coverage: dict[str, _Share]
    unassessed: list[str]
    counts: dict[Status, int]
    responses: list[ResponseDoc] | None = Field(
        None, description="Every response of the lab at the evaluation date, oldest first."
    )


class WaiverIssueDoc(_Doc):
    rule: str
    lab: str
    expires: str
    problem: str
    location: LocationDoc


class RuleInfoDoc(_Doc):
    title: str
    pack: str
    kind: Literal["bar", "commitment", "derive"]
    area: str
    severity: Severity | None
    indicator: str | None
    checks: str = Field(description="What the rule checks, in one short phrase.")
    rationale: str | None
    location: LocationDoc
    digest: str = Field(description="Changes whenever the rule's definition does.")
    source: list[EvidenceDoc] | None = Field(None, description="The text the rule encodes, where given.")
    until: str | None = Field(None, pattern=_DATE, description="The first day the rule no longer judges.")
    page: str | None = Field(None, description="The rule's page on the published scorecard (--site-url).")
    withdrawn: list[EvidenceDoc] | None = Field(
        None, description="The labs withdrew the pledge: the sources."
    )


class IndicatorInfoDoc(_Doc):
    title: str
    area: str
    type: Literal["boolean", "number", "level", "date"]
    unit: str | None
    levels: list[str] | None


class PackDoc(_Doc):
    pack: str
    version: str


class ReportDoc(_Doc):
    """The JSON report of `parity check --format json` (schema `parity/report/v1`)."""

    schema_: Literal["parity/report/v1"] = Field(alias="schema")
    as_of: str
    parity_version: str
    packs: list[PackDoc]
    verdicts: list[VerdictDoc]
    labs: dict[str, LabDoc]
    derived: dict[str, dict[str, Truth]]
    waivers: list[WaiverIssueDoc]
    rules: dict[str, RuleInfoDoc] = Field(description="The rules in scope: the report's own catalog.")
    indicators: dict[str, IndicatorInfoDoc] = Field(description="The indicators those rules read.")


def _sources_schema() -> dict[str, Any]:
    from parity.sources.record import SourceRecord  # only when asked: every command builds this table

    return SourceRecord.model_json_schema(by_alias=True)


SCHEMAS: dict[str, Callable[[], dict[str, Any]]] = {
    "profile": LabProfile.model_json_schema,
    "rule-pack": RulePack.model_json_schema,
    "waivers": TypeAdapter(list[Waiver]).json_schema,
    "report": lambda: ReportDoc.model_json_schema(by_alias=True),
    "history": lambda: HistoryDoc.model_json_schema(by_alias=True),
    "alarms": Alarms.model_json_schema,
    "sources": _sources_schema,
}
