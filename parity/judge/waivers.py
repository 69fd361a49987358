"""Waivers: a pure pass over finished verdicts. An active waiver turns a shortfall into `waived` (keeping
the status it covers); expired waivers, unused ones, and ones that expire beyond the horizon (default 365
days after the evaluation date: an exception is reviewed at least yearly) are reported and the last are not
applied, never silently dropped."""

from __future__ import annotations

import datetime as dt

from parity.dataset import Dataset, LoadedWaiver
from parity.report import Location, Report, Verdict, WaiverIssue, WaiverNote, WaiverStatus
from parity.vocabulary import DEFAULT_WAIVER_HORIZON as DEFAULT_HORIZON
from parity.vocabulary import is_shortfall


def apply(
    verdicts: list[Verdict],
    waivers: list[LoadedWaiver],
    as_of: dt.date,
    labs: set[str],
    rules: set[str],
    horizon: int = DEFAULT_HORIZON,
) -> tuple[list[Verdict], list[WaiverIssue]]:
    """The verdicts with waivers applied, and the waivers (of labs and rules in scope) that did not apply."""
    latest = as_of + dt.timedelta(days=horizon)
    by_pair = {(w.waiver.rule, w.waiver.lab): w for w in waivers if w.waiver.expires <= latest}
    too_far = [w for w in waivers if w.waiver.expires > latest]
    if not waivers:
        return verdicts, []
    used: set[tuple[str, str]] = set()
    out = []
    for verdict in verdicts:
        found = by_pair.get((verdict.rule, verdict.lab))
        if found is not None:
            verdict = _waive(verdict, found, as_of)
            if verdict.waiver is not None:
                used.add((verdict.rule, verdict.lab))
        out.append(verdict)
    return out, _issues(waivers, used, as_of, labs, rules, too_far, horizon)


def _waive(verdict: Verdict, found: LoadedWaiver, as_of: dt.date) -> Verdict:
    """The verdict as `found` leaves it: waived, flagged `waiver_expired`, or (not a shortfall) as it was."""
    underlying = verdict.status
    if not is_shortfall(underlying):
        return verdict
    waiver = found.waiver
    if waiver.expires < as_of:
        return verdict._replace(flags=tuple(sorted((*verdict.flags, "waiver_expired"))))
    note = WaiverNote(underlying, waiver.reason, waiver.expires, Location(found.file, found.line))
    return verdict._replace(status="waived", waiver=note)


def _issues(
    waivers: list[LoadedWaiver],
    used: set[tuple[str, str]],
    as_of: dt.date,
    labs: set[str],
    rules: set[str],
    too_far: list[LoadedWaiver],
    horizon: int,
) -> list[WaiverIssue]:
    issues = []
    far = {id(w) for w in too_far}
    for found in sorted(waivers, key=lambda w: (w.file, w.line)):
        waiver = found.waiver
        if waiver.lab not in labs or waiver.rule not in rules:
            continue
        if id(found) in far:
            days = (waiver.expires - as_of).days
            problem = f"expires in {days} days, beyond the {horizon}-day horizon; not applied"
        elif waiver.expires < as_of:
            problem = f"expired on {waiver.expires.isoformat()}"
        elif (waiver.rule, waiver.lab) not in used:
            problem = "matches no shortfall"
        else:
            continue
        location = Location(found.file, found.line)
        issues.append(WaiverIssue(waiver.rule, waiver.lab, waiver.expires, location, problem))
    return issues


def statuses(data: Dataset, report: Report) -> list[WaiverStatus]:
    """Every waiver of `data` with where it stands in `report`: active, or why it did not apply."""
    issues = {(w.rule, w.lab): w.problem for w in report.waiver_issues}
    out = []
    for found in data.waivers:
        w = found.waiver
        status = issues.get((w.rule, w.lab), "active")
        days_left = (w.expires - report.as_of).days
        out.append(
            WaiverStatus(
                w.rule, w.lab, w.expires, days_left, status, w.reason, Location(found.file, found.line)
            )
        )
    return out
