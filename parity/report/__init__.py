"""The report: what an evaluation found, as typed data (`Report`, and its records in `records`), its JSON
document both ways (`document`, `parity/report/v1`), the JSON Schemas (`schemas`), and rules in words
(`catalog`). Nothing here imports the engine: reading or rendering a report never loads durable_rules.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from parity._version import __version__
from parity.report import document
from parity.report.records import (
    BarResult,
    ConditionNote,
    IndicatorInfo,
    LabSummary,
    Location,
    RuleInfo,
    SourceNote,
    Validation,
    Verdict,
    WaiverIssue,
    WaiverNote,
    WaiverStatus,
    changed_packs,
)
from parity.vocabulary import FAIL_ON, SHORTFALLS, Truth, at_least

__all__ = [
    "RULE_PAGE",
    "BarResult",
    "ConditionNote",
    "IndicatorInfo",
    "LabSummary",
    "Location",
    "Report",
    "RuleInfo",
    "SourceNote",
    "Validation",
    "Verdict",
    "WaiverIssue",
    "WaiverNote",
    "WaiverStatus",
    "changed_packs",
    "fails",
    "published_at",
]


@dataclass(frozen=True)
class Report:
    """Everything `evaluate` found; the formats turn it into text. `to_dict` gives the JSON report
    (docs/report.md) and `from_dict` reads one back, equal to the report that wrote it."""

    as_of: dt.date
    packs: list[tuple[str, str]]
    verdicts: list[Verdict]
    labs: dict[str, LabSummary]
    derived: dict[str, dict[str, Truth]]
    waiver_issues: list[WaiverIssue] = field(default_factory=list)
    rules: dict[str, RuleInfo] = field(default_factory=dict)
    indicators: dict[str, IndicatorInfo] = field(default_factory=dict)
    # The source record's notes on URLs whose evidence, cited by these verdicts, drifted or is gone.
    sources: dict[str, SourceNote] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The JSON report as plain data (what `json.loads` of `parity check --format json` gives)."""
        return document.report_to_dict(self, __version__)

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> Report:
        """A report read back from its JSON; raises ValueError on a document that is not one."""
        return cls(**document.report_fields(doc))


RULE_PAGE = "rules/{}.html"  # where the scorecard publishes a rule's page, under the site's address


def published_at(report: Report, site_url: str) -> Report:
    """The report with each rule's page on the scorecard published at `site_url` (ending with /): what
    SARIF's `helpUri` and the JSON catalog's `page` then point at."""
    rules = {r: info._replace(page=site_url + RULE_PAGE.format(r)) for r, info in report.rules.items()}
    return dataclasses.replace(report, rules=rules)


def fails(report: Report, fail_on: str) -> bool:
    """Whether an unwaived shortfall at or above `fail_on` remains (`never`: never)."""
    if fail_on not in FAIL_ON:
        raise ValueError(f"unknown severity {fail_on!r}; one of {', '.join(FAIL_ON)}")
    if fail_on == "never":
        return False
    return any(v.status in SHORTFALLS and at_least(v.severity, fail_on) for v in report.verdicts)
