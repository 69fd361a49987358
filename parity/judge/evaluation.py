"""Evaluation: a Dataset and an evaluation date in, a Report out. Orchestration only.

The tables (`tables`: cells, rankings, a plan per rule) are computed once; each lab is then judged in one
engine session (`classify`), whose verdicts `verdicts` builds; `waivers` and `scores` are passes over the
finished verdicts. Nothing is kept between calls (`incremental` keeps the tables from one revision to the
next).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

from parity._gc import paused_gc
from parity.dataset import Dataset, LoadedRule
from parity.judge import engine, scores, waivers
from parity.judge.classify import judge_lab
from parity.judge.ratchet import Held
from parity.judge.replies import with_replies
from parity.judge.scope import scope
from parity.judge.tables import Tables
from parity.judge.verdicts import source_flags
from parity.models import Rule
from parity.report import IndicatorInfo, Location, Report, RuleInfo, SourceNote
from parity.report.catalog import rule_target
from parity.vocabulary import today


def evaluate(
    data: Dataset,
    as_of: dt.date | None = None,
    labs: Iterable[str] | None = None,
    rules: Iterable[str] | None = None,
    packs: Iterable[str] | None = None,
    waiver_horizon: int = waivers.DEFAULT_HORIZON,
    held: Held | None = None,
    sources: Mapping[str, SourceNote] | None = None,
) -> Report:
    """Judge every lab against every rule that applies to it.

    `labs`, `rules` and `packs` narrow the verdicts reported (and the scores and coverage computed from
    them); bars always see every lab. `as_of` (default: today, UTC) is the one date all time-dependent
    logic uses. `held`: what peers disclosed in the past, for ratcheted bars (`parity.judge.ratchet`); without
    it (or with an incomplete one) a ratcheted bar ranks present values and its verdicts are flagged
    `no_history`. `sources`: the source record's notes by URL (`parity.sources.record.notes`); verdicts
    citing evidence that drifted or is gone are flagged `source_drifted` or `source_gone`.
    """
    as_of = as_of or today()
    data = data.at(as_of)  # each practice as it stood that day (docs/profiles.md, "Timelines")
    lab_ids, rule_ids = scope(data, labs, rules, packs)
    with paused_gc():
        tables = Tables(data, as_of, rule_ids, held)
        with engine.compiled(tables.chain_rules()) as compiled:
            results = [judge_lab(tables, lab, compiled) for lab in lab_ids]
    verdicts = [v for lab_verdicts, _ in results for v in lab_verdicts]
    verdicts, issues = waivers.apply(verdicts, data.waivers, as_of, set(lab_ids), rule_ids, waiver_horizon)
    rule_sources = {r: tuple(data.rules[r].rule.source or ()) for r in sorted(rule_ids)}
    verdicts, notes = source_flags(verdicts, sources or {}, rule_sources)
    rules_info = rules_catalog(data, rule_ids)
    report = Report(
        as_of=as_of,
        packs=data.packs,
        verdicts=verdicts,
        labs=scores.summaries(data, lab_ids, verdicts, tables.reads),
        derived={lab: derived for lab, (_, derived) in zip(lab_ids, results, strict=True)},
        waiver_issues=issues,
        rules=rules_info,
        indicators=indicators_catalog(data, rules_info),
        sources=notes,
    )
    return with_replies(report, data)


def rules_catalog(data: Dataset, rule_ids: set[str]) -> dict[str, RuleInfo]:
    """What a reader of the report needs of each rule in scope, so that a saved report stands alone."""
    out = {}
    for rule_id in sorted(rule_ids):
        loaded = data.rules[rule_id]
        rule = loaded.rule
        name = loaded.subject
        indicator = data.indicators.get(name) if name else None
        out[rule_id] = RuleInfo(
            title=rule.title or (indicator.title if indicator else rule_target(rule)),
            pack=loaded.pack,
            kind=rule.kind,
            area=loaded.area(data.indicators),
            severity=rule.severity,
            indicator=name,
            checks=rule_target(rule),
            rationale=" ".join(rule.rationale.split()) if rule.rationale else None,
            location=Location(loaded.file, loaded.line),
            digest=_digest(rule, loaded),
            source=tuple(rule.source or ()),
            until=loaded.until,
            withdrawn=tuple(rule.withdrawn or ()),
        )
    return out


def _digest(rule: Rule, loaded: LoadedRule) -> str:
    """A short fingerprint of everything that decides a rule's verdicts (its definition, when in force)."""
    words = {"title", "description", "rationale", "source"}
    newer = ("ratchet", "until", "withdrawn")  # fields added later, left out while unset: digests stay
    unset = {name for name in newer if getattr(rule, name) is None}
    left_out: dict[str, Any] = dict.fromkeys(words | unset, True)
    if rule.withdrawn is not None:  # what a source is (its tier, a copy) is not what the rule says
        left_out["withdrawn"] = {"__all__": {"tier": True, "archive": True}}
    text = rule.model_dump_json(exclude=left_out) + f"|{loaded.in_force}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def indicators_catalog(data: Dataset, rules_info: dict[str, RuleInfo]) -> dict[str, IndicatorInfo]:
    """The indicators the rules in scope judge or read."""
    names = {n for rule_id in rules_info for n in data.rules[rule_id].rule.reads()}
    names |= {r.indicator for r in rules_info.values() if r.indicator}
    names |= {r.rule.derive for r in data.rules.values() if r.rule.derive and r.rule.id in rules_info}
    out = {}
    for name in sorted(n for n in names if n in data.indicators):
        ind = data.indicators[name]
        levels = tuple(ind.levels) if ind.levels else None
        out[name] = IndicatorInfo(ind.title, ind.area, ind.type, ind.unit, levels)
    return out
