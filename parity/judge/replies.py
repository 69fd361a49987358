"""The right of reply: a pass over a finished report that puts each lab's responses beside the findings
they answer (docs/profiles.md, "Responses").

A response about a rule is shown beside that rule's verdict on the lab; a response about a practice beside
every verdict of the lab whose rule reads the practice (a commitment reads its conditions' practices too).
Each is shown as it stood at the evaluation date: an answer dated later is a request not answered yet,
and a request made later is not shown at all. Responses never change a status, a bar or a score.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from parity.dataset import Dataset
from parity.models import Response
from parity.report import LabSummary, Report, Verdict


def responses_at(data: Dataset, lab: str, as_of: dt.date) -> tuple[Response, ...]:
    """A lab's responses as they stood on `as_of`, oldest first (by the date asked, else answered)."""
    found = data.labs.get(lab)
    if found is None:
        return ()
    shown = [r for r in (response.at(as_of) for response in found.profile.responses) if r is not None]
    return tuple(sorted(shown, key=_when))


def _when(r: Response) -> tuple[dt.date, dt.date]:
    first = r.asked or r.date
    assert first is not None  # a response has one or the other (models.Response)
    return (first, r.date or first)


def answers(r: Response, rule: str, reads: list[str]) -> bool:
    """Whether `r` answers the finding of `rule`, which reads the practices `reads`."""
    about = r.about
    return about.rule == rule if about.rule is not None else about.practice in reads


def with_replies(report: Report, data: Dataset) -> Report:
    """The report with every lab's responses beside the verdicts they answer, and in its summary."""
    by_lab = {lab: responses_at(data, lab, report.as_of) for lab in report.labs}
    by_lab = {lab: found for lab, found in by_lab.items() if found}
    if not by_lab:
        return report
    reads = {rule_id: loaded.rule.reads() for rule_id, loaded in data.rules.items()}
    verdicts = [
        _replied(v, by_lab[v.lab], reads.get(v.rule, [v.indicator])) if v.lab in by_lab else v
        for v in report.verdicts
    ]
    labs = {lab: _summary(s, by_lab.get(lab, ())) for lab, s in report.labs.items()}
    return dataclasses.replace(report, verdicts=verdicts, labs=labs)


def _replied(v: Verdict, responses: tuple[Response, ...], reads: list[str]) -> Verdict:
    mine = tuple(r for r in responses if answers(r, v.rule, reads))
    return v._replace(responses=mine) if mine else v


def _summary(s: LabSummary, responses: tuple[Response, ...]) -> LabSummary:
    return dataclasses.replace(s, responses=responses) if responses else s
