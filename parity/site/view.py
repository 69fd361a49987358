"""The scorecard's pages as plain data, so that the templates only loop and print.

Every bar, status, gap, score and coverage, every setter and every peer that keeps a bar from binding
comes from the Report: the evaluator computes them, never this module. What the Report does not carry
comes from the Dataset it was computed from, and is named where it is taken: the area scores within one
pack are `scores.summaries` over that pack's verdicts (what `parity check --pack P` reports), and a
rule's definition in words.
"""

from __future__ import annotations

import functools
import re
import urllib.parse
from collections import Counter
from collections.abc import Mapping
from typing import Any

from parity.dataset import Dataset
from parity.formats.escape import markdown, terminal
from parity.formats.present import (
    STANCE_WORDS,
    by_score,
    days_left,
    gap_text,
    holds_text,
    percent,
    plural,
    reply_brief,
    shortfall_count,
    state_text,
)
from parity.judge.scores import base_reads, summaries
from parity.models import Evidence, Response
from parity.report import RULE_PAGE, ConditionNote, LabSummary, Report, SourceNote, Verdict
from parity.vocabulary import GOOD, SHORTFALLS, UNSCORED, severity_rank, show

View = dict[str, Any]

# Every status has a symbol and a word, so that colour never carries meaning alone.
STATUS_MARKS: dict[str, tuple[str, str, str]] = {
    "below": ("✗", "below", "worse than the bar: a shortfall"),
    "undisclosed": ("?", "undisclosed", "the watchdog looked and the lab does not say: a shortfall"),
    "waived": ("⚑", "waived", "a shortfall the watchdog accepted for now, with a reason and an expiry"),
    "meets": ("✓", "meets", "at the bar"),
    "surpasses": ("▲", "surpasses", "better than the bar"),
    "unassessed": ("—", "unassessed", "not researched yet: the watchdog's to-do, never held against the lab"),
    "no_bar": ("∅", "no bar", "the bar does not bind (too few peers disclose): nothing to fall short of"),
    "not_applicable": ("○", "not applicable", "the practice does not apply to this lab"),
}
_ORDER = {status: i for i, status in enumerate(STATUS_MARKS)}
DUE_SOON = 30  # days: a recency obligation this close to its `due` is marked "due soon"
# The heat map's sequential scale: five bins of score, dark (low) to light (high), from cividis.
BINS = ("0–19%", "20–39%", "40–59%", "60–79%", "80–100%")
_PEER_STATE = {
    "unassessed": "not researched yet",
    "undisclosed": "silent: looked, not disclosed",
    "unevidenced": "claims it without evidence",
}
# Text repeated across the site is cut where it is one of many, so that the site grows with the length of
# the data's text once, not once per verdict: a lab's name in links (whole on its own page), and the
# setters' quotes and notes beside other labs' verdicts (whole beside their own).
NAME_CHARS = 100
QUOTE_CHARS = 1_000
# The source flags in words, shown beside a shortfall's status: an accusation whose source moved says so.
_UNSOURCED = {
    "source_drifted": "a quote it cites was not found on its page",
    "source_gone": "a page it cites is gone",
}
_SLUG = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,199}")
_HTTP = re.compile(r"https?://[^\s\x00-\x1f\x7f-\x9f\"'<>\\^`{|}]+", re.IGNORECASE)
_URL_IN_TEXT = re.compile(r"https?://\S+", re.IGNORECASE)


# Where each lab's and rule's files stand in the site's folder (by id; `slug` checks an id can name one).
# A rule's page is the report's RULE_PAGE: SARIF's helpUri points there (`report.published_at`).
LAB_PAGE = "labs/{}.html"
BADGE_FILE = "badges/{}.json"
CHART_FILE = "history/{}.svg"


def slug(identifier: str) -> str:
    """A lab or rule id as a file name; an id that could leave the folder is refused."""
    if not _SLUG.fullmatch(identifier) or ".." in identifier:
        raise ValueError(f"{identifier!r} cannot name a page: ids are letters, digits, '_', '.' and '-'")
    return identifier


def safe_url(url: str) -> str | None:
    """The URL if it is http(s) and can be a link; None for anything else (javascript:, data:, ...)."""
    return url if _HTTP.fullmatch(url) else None


def linked(text: str | None) -> list[View]:
    """Text cut into pieces, each http(s) URL in it a link (trailing punctuation stays text)."""
    if not text:
        return []
    pieces: list[View] = []
    at = 0
    for m in _URL_IN_TEXT.finditer(text):
        url = m.group().rstrip(".,;:)'\"")
        pieces.append({"text": text[at : m.start()], "href": None})
        pieces.append({"text": url, "href": safe_url(url)})
        at = m.start() + len(url)
    pieces.append({"text": text[at:], "href": None})
    return [p for p in pieces if p["text"]]


@functools.cache  # one object per status: a template renders it once (`once` in site/__init__.py)
def mark(status: str) -> View:
    symbol, word, meaning = STATUS_MARKS[status]
    return {"status": status, "symbol": symbol, "word": word, "meaning": meaning}


def heat_class(score: float | None) -> str:
    return "ns" if score is None else f"s{min(round(score * 100) // 20, 4)}"


# shields.io colours (hex, no '#') for the heat map's five bins: the same cividis scale as the site.
_BADGE_COLOURS = {"s0": "00204d", "s1": "3c4c6c", "s2": "707173", "s3": "a69d75", "s4": "ffea46"}


def badge(report: Report, lab: str) -> dict[str, Any]:
    """A lab's shields.io endpoint badge: its score beside its coverage, and the date they were computed.
    The endpoint format has no tooltip and no link, so the date is in the badge's own words: a badge
    in a README is fetched afresh after every edition, and must never show a number without its date."""
    s = report.labs[lab]
    message = f"{percent(s.score)} · coverage {percent(s.coverage)} · {report.as_of.isoformat()}"
    colour = _BADGE_COLOURS.get(heat_class(s.score), "lightgrey")
    return {"schemaVersion": 1, "label": terminal(f"parity: {s.name}"), "message": message, "color": colour}


class Pages:
    """Builds the view of every page of one report."""

    def __init__(
        self, report: Report, data: Dataset, charts: Mapping[str, str], publication: Any = None
    ) -> None:
        self.report, self.data, self.charts = report, data, charts
        self.site_url: str | None = getattr(publication, "site_url", None)
        self.publisher: str | None = getattr(publication, "publisher", None)
        self.published = publication is not None and publication.changes is not None
        for identifier in (*report.labs, *report.rules):
            slug(identifier)
        self.versions = dict(report.packs)
        self.reads = base_reads(data)
        self._within: dict[str, dict[str, LabSummary]] = {}
        # Every page reads the verdicts through these indexes, made in one pass: a lab's page or a rule's
        # never scans the whole report (that made the site quadratic in labs).
        # Links and lists of labs, made once each: the same object is rendered once however many verdicts
        # show it (`once` in site/__init__.py).
        self._links: dict[tuple[str, str], View] = {}
        self._lists: dict[tuple[Any, ...], list[View]] = {}
        self.by_lab: dict[str, list[Verdict]] = {}
        self.by_rule: dict[str, list[Verdict]] = {}
        self.by_pack: dict[str, list[Verdict]] = {}
        for v in report.verdicts:
            self.by_lab.setdefault(v.lab, []).append(v)
            self.by_rule.setdefault(v.rule, []).append(v)
            self.by_pack.setdefault(v.pack, []).append(v)

    # --- what every page shares ------------------------------------------------------------------------

    def meta(self, root: str, title: str, path: str) -> View:
        """What every page shows: its date and versions, the site's navigation, how to cite the page."""
        from parity._version import __version__

        packs = [{"id": p, "version": v} for p, v in self.report.packs]
        return {
            "root": root,
            "title": title,
            "version": __version__,
            "as_of": self.report.as_of.isoformat(),
            "packs": packs,
            "changes": self.published,  # the changes page, the corrections page and the feed exist
            "cite": self.citation(title, path, __version__),
        }

    def citation(self, title: str, path: str, version: str) -> View:
        """How to cite a page: who publishes it, what it is, as of when, by which parity and packs, and
        where it is (when the site's address is known)."""
        packs = ", ".join(f"{p} {v}" for p, v in self.report.packs)
        by = f"{self.publisher}. " if self.publisher else ""
        text = (
            f"{by}“{title}”, parity scorecard, as of {self.report.as_of.isoformat()} "
            f"(parity {version}; packs: {packs})."
        )
        url = f"{self.site_url}{path}" if self.site_url else None
        return {"text": text, "url": url}

    def lab_link(self, root: str, lab: str) -> View:
        """A lab's name, linked to its page when it has one (a peer outside the report has none)."""
        found = self._links.get((root, lab))
        if found is None:
            found = self._links[root, lab] = self._lab_link(root, lab)
        return found

    def _lab_link(self, root: str, lab: str) -> View:
        summary = self.report.labs.get(lab)
        found = self.data.labs.get(lab)
        name = summary.name if summary else found.profile.name if found else lab
        href = root + LAB_PAGE.format(lab) if summary else None
        return {"id": lab, "name": brief(name, NAME_CHARS), "href": href}

    def rule_href(self, root: str, rule: str) -> str:
        return root + RULE_PAGE.format(rule)

    def unit(self, indicator: str) -> str:
        info = self.report.indicators.get(indicator)
        return f" {info.unit}" if info and info.unit else ""

    def shown(self, value: Any, indicator: str) -> str:
        return show(value) + self.unit(indicator)

    # --- one verdict -----------------------------------------------------------------------------------

    def setters(self, v: Verdict, root: str) -> list[View]:
        """The labs that set the bar, as the report lists them (twenty at most; the rest counted)."""
        key = ("set", root, v.bar.set_by, v.bar.set_by_count)
        found = self._lists.get(key)
        if found is None:
            out = [self.lab_link(root, lab) for lab in v.bar.set_by]
            found = self._lists[key] = out + _more(v.bar.set_by_count - len(v.bar.set_by))
        return found

    def blockers(self, v: Verdict, root: str) -> list[View]:
        """The peers that keep an `all` bar from binding, each with why (its practice's state), as the
        report lists them (twenty at most; the rest counted)."""
        key = ("blocked", root, v.bar.blocked_by, v.bar.blocked_states, v.bar.blocked_by_count)
        found = self._lists.get(key)
        if found is None:
            out = [
                {**self.lab_link(root, lab), "state": state, "why": _PEER_STATE.get(state, state)}
                for lab, state in zip(v.bar.blocked_by or (), v.bar.blocked_states, strict=True)
            ]
            found = self._lists[key] = out + _more(v.bar.blocked_by_count - len(v.bar.blocked_by or ()))
        return found

    def gap(self, v: Verdict) -> str:
        """The gap with its unit, as every format words it (days, steps, the indicator's unit, points)."""
        return gap_text(v.gap, self.report.indicators.get(v.indicator))

    def due(self, v: Verdict) -> View | None:
        """A recency obligation's clock: overdue, due soon (within DUE_SOON days), or due later."""
        if v.due is None:
            return None
        days = (v.due - self.report.as_of).days
        state = "overdue" if days < 0 else "soon" if days <= DUE_SOON else "later"
        label = {"overdue": "overdue", "soon": "due soon", "later": "due"}[state]
        return {
            "date": v.due.isoformat(),
            "state": state,
            "label": label,
            "words": days_left(v, self.report.as_of),
        }

    def bar_kind(self, v: Verdict) -> str:
        loaded = self.data.rules.get(v.rule)
        if loaded is None:
            return v.bar.kind
        rule = loaded.rule
        if rule.bar is not None:
            return rule.bar.describe()
        return f"require {rule.require.describe()}" if rule.require is not None else v.bar.kind

    def verdict(self, v: Verdict, root: str) -> View:
        value = state_text(v.state) if v.value is None else self.shown(v.value, v.indicator)
        binds = v.bar.value is not None or v.bar.kind == "require"
        setter_evidence = [
            {
                "lab": self.lab_link(root, lab),
                "evidence": [evidence(e, self.report.sources, QUOTE_CHARS) for e in items],
            }
            for lab, items in v.bar.evidence
        ]
        waiver = v.waiver
        return {
            "rule": v.rule,
            "rule_href": self.rule_href(root, v.rule),
            "title": v.title,
            "pack": v.pack,
            "lab": self.lab_link(root, v.lab),
            "severity": v.severity,
            "mark": mark(v.status),
            "value": value,
            "binds": binds,
            "bar": self.shown(v.bar.value, v.indicator) if binds else "no bar",
            "bar_kind": self.bar_kind(v),
            "setters": self.setters(v, root),
            "blocked": self.blockers(v, root) if v.bar.blocked_by else [],
            "peers_disclosed": v.bar.peers_disclosed,
            "gap": self.gap(v),
            "flags": list(v.flags),
            "unsourced": [_UNSOURCED[f] for f in v.flags if f in _UNSOURCED],
            "evidence": [evidence(e, self.report.sources) for e in v.evidence],
            "setter_evidence": setter_evidence,
            "location": f"{v.location.file}:{v.location.line}",
            "due": self.due(v),
            "conditions": [self.condition(n, root) for n in v.conditions],
            "responses": [
                reply(r, self.rule_href(root, r.about.rule) if r.about.rule else None) for r in v.responses
            ],
            "waiver": None
            if waiver is None
            else {
                "underlying": waiver.underlying,
                "reason": waiver.reason,
                "expires": waiver.expires.isoformat(),
            },
        }

    def condition(self, n: ConditionNote, root: str) -> View:
        """A commitment's condition as a page shows it: whether it held, on what value, evidence and bar;
        a derived one with the rule and the conditions that derived it."""
        bar = n.bar
        return {
            "of": n.of,
            "condition": n.condition,
            "holds": holds_text(n.holds),
            "held": "yes" if n.holds is True else "no" if n.holds is False else "unknown",
            "value": None if n.value is None else self.shown(n.value, n.indicator),
            "state": state_text(n.state),
            "evidence": [evidence(e, self.report.sources) for e in n.evidence],
            "bar": None
            if bar is None
            else {
                "value": self.shown(bar.value, n.indicator) if bar.value is not None else None,
                "kind": bar.kind,
                "setters": [self.lab_link(root, lab) for lab in bar.set_by],
            },
            "derived_by": n.derived_by,
            "derived_href": self.rule_href(root, n.derived_by)
            if n.derived_by and n.derived_by in self.report.rules
            else None,
            "derived_from": [self.condition(c, root) for c in n.derived_from],
        }

    # --- the pages -------------------------------------------------------------------------------------

    def overview(self) -> View:
        report = self.report
        ranked = [
            {
                "rank": rank,
                "lab": self.lab_link("", lab),
                **self.summary(report.labs[lab]),
                "shortfalls": shortfall_count(report, lab),
                "unassessed": len(report.labs[lab].unassessed),
                "packs": [
                    {"id": p, "score": percent(s), "coverage": percent(report.labs[lab].pack_coverage.get(p))}
                    for p, s in report.labs[lab].packs.items()
                ],
            }
            for rank, lab in enumerate(by_score(report.labs), start=1)
        ]
        readings = self.readings()
        return {
            "meta": self.meta("", "Scorecard", "index.html"),
            "ranked": ranked,
            "heatmaps": self.heatmaps(),
            "readings": readings,
            "readings_binding": _binding(sum(1 for r in readings if r["literal"]["binds"]), len(readings)),
            "bins": [{"class": f"s{i}", "range": r} for i, r in enumerate(BINS)],
            "statuses": [mark(s) for s in STATUS_MARKS],
            "counts": {
                "labs": plural(len(report.labs), "lab"),
                "rules": plural(len(report.rules), "rule"),
                "packs": plural(len(report.packs), "pack"),
            },
        }

    def summary(self, s: LabSummary) -> View:
        return {
            "score": percent(s.score),
            "coverage": percent(s.coverage),
            "heat": heat_class(s.score),
        }

    def badge(self, lab: str, root: str) -> View:
        """A lab's badge as a README shows it, previewed on the site: linked to the lab's page, its date
        in the tooltip; and the Markdown to paste (with `--site-url`: it needs the site's address)."""
        b = badge(self.report, lab)
        name = self.report.labs[lab].name
        title = f"parity scorecard: score and coverage as of {self.report.as_of.isoformat()}"
        paste = None
        if self.site_url:
            endpoint = urllib.parse.quote(self.site_url + BADGE_FILE.format(lab), safe="")
            image = f"https://img.shields.io/endpoint?url={endpoint}"
            alt = markdown(f"parity: {name}").replace('"', "'")
            # the tooltip the snippet gives says where the date is, not a date: a README keeps the snippet
            # for years while the badge it shows follows every edition
            page = self.site_url + LAB_PAGE.format(lab)
            paste = f'[![{alt}]({image})]({page} "{alt}, as of the date on the badge")'
        return {
            "label": brief(b["label"], NAME_CHARS),  # whole on the lab's page, in its heading
            "message": b["message"],
            "heat": heat_class(self.report.labs[lab].score),
            "href": root + LAB_PAGE.format(lab),
            "title": title,
            "json": root + BADGE_FILE.format(lab),
            "markdown": paste,
        }

    def within(self, pack: str) -> dict[str, LabSummary]:
        """Each lab's summary within one pack (its area scores there): `scores.summaries` over the pack's
        verdicts, as `parity check --pack` computes it. The Report's own area scores mix the packs."""
        found = self._within.get(pack)
        if found is None:
            verdicts = self.by_pack.get(pack, [])
            labs = sorted({v.lab for v in verdicts})
            found = self._within[pack] = summaries(self.data, labs, verdicts, self.reads)
        return found

    def heatmaps(self) -> list[View]:
        """Per pack, labs x areas: each cell the lab's score in that area of that pack."""
        maps = []
        for pack, version in self.report.packs:
            verdicts = self.by_pack.get(pack, [])
            if not verdicts:
                continue
            labs = sorted({v.lab for v in verdicts})
            scored = self.within(pack)
            tallies: dict[tuple[str, str], Counter[str]] = {}
            for v in verdicts:
                tallies.setdefault((v.lab, v.area), Counter())[v.status] += 1
            areas = sorted({v.area for v in verdicts})
            rows = []
            for lab in by_score({lab: _pack_summary(scored[lab], pack) for lab in labs}):
                summary = self.report.labs[lab]
                rows.append(
                    {
                        "lab": self.lab_link("", lab),
                        "score": percent(summary.packs.get(pack)),
                        "coverage": percent(summary.pack_coverage.get(pack)),
                        "heat": heat_class(summary.packs.get(pack)),
                        "cells": [
                            _cell(scored[lab].areas.get(area), tallies.get((lab, area))) for area in areas
                        ],
                    }
                )
            maps.append({"pack": pack, "version": version, "areas": areas, "rows": rows})
        return maps

    def readings(self) -> list[View]:
        """The strict (`best`) and literal (`all`) readings of one pledge, side by side: each `all` verdict
        beside the `best` verdict of the same lab, pack, practice and peers."""
        peers_of = {r: loaded.rule.peers for r, loaded in self.data.rules.items()}

        def key(v: Verdict) -> tuple[str, str, str, str]:
            peers = peers_of.get(v.rule)
            return (v.lab, v.pack, v.indicator, peers.model_dump_json() if peers else "")

        strict = {key(v): v for v in self.report.verdicts if v.bar.kind == "best"}
        rows = []
        for v in self.report.verdicts:
            if v.bar.kind != "all":
                continue
            best = strict.get(key(v))
            info = self.report.indicators.get(v.indicator)
            rows.append(
                {
                    "practice": info.title if info else v.indicator,
                    "lab": self.lab_link("", v.lab),
                    "strict": self.verdict(best, "") if best else None,
                    "literal": self.verdict(v, ""),
                    "blocked": self.blockers(v, ""),
                }
            )
        return rows

    def lab(self, lab: str) -> View:
        report = self.report
        s = report.labs[lab]
        mine = sorted(self.by_lab.get(lab, []), key=lambda v: (v.pack, v.area, _ORDER[v.status], v.rule))
        packs: list[View] = []
        for v in mine:
            if not packs or packs[-1]["pack"] != v.pack:
                packs.append(
                    {
                        "pack": v.pack,
                        "version": self.versions.get(v.pack, ""),
                        "score": percent(s.packs.get(v.pack)),
                        "coverage": percent(s.pack_coverage.get(v.pack)),
                        "areas": [],
                    }
                )
            areas = packs[-1]["areas"]
            if not areas or areas[-1]["area"] != v.area:
                score = self.within(v.pack)[lab].areas.get(v.area)
                areas.append(
                    {"area": v.area, "score": percent(score), "heat": heat_class(score), "verdicts": []}
                )
            areas[-1]["verdicts"].append(self.verdict(v, "../"))
        shortfalls = sorted(
            (v for v in mine if v.status in SHORTFALLS or v.waiver is not None),
            key=lambda v: (-severity_rank(v.severity), v.pack, v.rule),
        )
        todo = [{"id": n, "title": self.indicator_title(n)} for n in s.unassessed]
        counts = [
            {**mark(status), "count": s.counts[status]} for status in STATUS_MARKS if s.counts.get(status)
        ]
        return {
            "meta": self.meta("../", s.name, LAB_PAGE.format(lab)),
            "id": lab,
            "name": s.name,
            **self.summary(s),
            "badge": self.badge(lab, "../"),
            "counts": counts,
            # counted as the overview and every format count them: a waived shortfall is listed beside
            # the others (the watchdog's acceptance is part of the record) but never counted as one
            "counted": _counted(shortfall_count(report, lab), s.counts.get("waived", 0)),
            "shortfalls": [self.verdict(v, "../") for v in shortfalls],
            "packs": packs,
            "todo": todo,
            "chart": "../" + CHART_FILE.format(lab) if lab in self.charts else None,
            "responses": [
                reply(r, self.rule_href("../", r.about.rule) if r.about.rule in report.rules else None)
                for r in s.responses
            ],
            "replied": any(v.responses for v in shortfalls),
        }

    def indicator_title(self, name: str) -> str:
        info = self.report.indicators.get(name)
        found = self.data.indicators.get(name)
        return info.title if info else found.title if found else name

    def rule(self, rule_id: str) -> View:
        from parity.site.rules import rule_facts

        info = self.report.rules[rule_id]
        verdicts = sorted(self.by_rule.get(rule_id, []), key=lambda v: v.lab)
        derived = []
        loaded = self.data.rules.get(rule_id)
        if loaded is not None and loaded.rule.derive:
            name = loaded.rule.derive
            derived = [
                {"lab": self.lab_link("../", lab), "value": show(values.get(name, "unassessed"))}
                for lab, values in sorted(self.report.derived.items())
            ]
        return {
            "meta": self.meta("../", rule_id, RULE_PAGE.format(rule_id)),
            "id": rule_id,
            "title": info.title,
            "pack": info.pack,
            "version": self.versions.get(info.pack, ""),
            "kind": info.kind,
            "severity": info.severity,
            "area": info.area,
            "checks": info.checks,
            "location": f"{info.location.file}:{info.location.line}",
            "rationale": linked(info.rationale),
            "sources": [evidence(e, self.report.sources) for e in info.source],
            "until": info.until.isoformat() if info.until else None,
            "withdrawn": [evidence(e, self.report.sources) for e in info.withdrawn],
            "facts": rule_facts(self.data, rule_id),
            "description": linked(loaded.rule.description if loaded else None),
            "verdicts": [self.verdict(v, "../") for v in verdicts],
            "derived": derived,
        }

    def methodology(self) -> View:
        from parity.site.rules import bar_kinds

        packs = []
        for pack, version in self.report.packs:
            rules = [
                {"id": r, "href": self.rule_href("", r), "title": info.title, "kind": info.kind}
                for r, info in sorted(self.report.rules.items())
                if info.pack == pack
            ]
            packs.append({"id": pack, "version": version, "rules": rules})
        return {
            "meta": self.meta("", "Methodology", "methodology.html"),
            "packs": packs,
            "bars": bar_kinds(self.data, self.report),
            "statuses": [mark(s) for s in STATUS_MARKS],
            "bins": [{"class": f"s{i}", "range": r} for i, r in enumerate(BINS)],
        }


def evidence(e: Evidence, notes: Mapping[str, SourceNote] | None = None, chars: int | None = None) -> View:
    """A piece of evidence as a page shows it; with `chars`, its quote and note cut to that length (the
    setters' evidence, repeated beside every verdict they set the bar of: whole on their own page)."""
    href = safe_url(e.url)
    label = e.title or (href.split("://", 1)[1] if href else e.url)
    note = (notes or {}).get(e.url)
    source = None
    if note is not None and note.marks(e):  # what `parity sources` last found there (docs/sources.md)
        source = {"status": note.status, "checked": note.checked.isoformat(), "closest": note.closest(e)}
    return {
        "url": e.url,
        "href": href,
        "label": brief(label, 70),
        "date": e.date.isoformat(),
        "title": e.title,
        "quote": brief(e.quote, chars) if e.quote and chars else e.quote,
        "note": brief(e.note, chars) if e.note and chars else e.note,
        "tier": e.tier,
        "archive": safe_url(e.archive) if e.archive else None,
        "source": source,
    }


def reply(r: Response, rule_href: str | None) -> View:
    """A lab's response as a page shows it: what it answers, its stance in words, when it was asked and
    answered, and its words with their address; or a request not answered yet."""
    stance = r.stance or ""
    return {
        "rule": r.about.rule,
        "rule_href": rule_href,
        "practice": r.about.practice,
        "answered": r.date is not None,
        "asked": r.asked.isoformat() if r.asked else None,
        "date": r.date.isoformat() if r.date else None,
        "stance": stance,
        "stance_words": STANCE_WORDS.get(stance, ""),
        "brief": reply_brief(r),
        "url": r.url,
        "href": safe_url(r.url) if r.url else None,
        "quote": r.quote,
        "note": r.note,
    }


def brief(text: str, chars: int) -> str:
    """`text`, or its first `chars` - 1 characters and an ellipsis: what is shown where it is repeated."""
    return text if len(text) <= chars else text[: chars - 1] + "…"


def _counted(shortfalls: int, waived: int) -> str:
    """A lab's shortfalls counted as the overview and every format count them, the waived ones beside:
    listed with the others on its page (the watchdog's acceptance is part of the record), never counted."""
    waived_too = f", and {waived} waived (listed, not counted)" if waived else ""
    return plural(shortfalls, "shortfall") + waived_too


def _binding(binding: int, readings: int) -> str:
    """How many literal readings bind, in words: 1 of 4 literal readings binds."""
    return f"{binding} of {plural(readings, 'literal reading')} {'binds' if binding == 1 else 'bind'}"


def _more(count: int) -> list[View]:
    """What a list of labs leaves out, as one more item in words."""
    return (
        [{"id": "", "name": f"and {count} more", "href": None, "state": "", "why": ""}] if count > 0 else []
    )


def _pack_summary(s: LabSummary, pack: str) -> LabSummary:
    """A lab's summary ranked by its score and coverage in one pack."""
    return LabSummary(s.name, s.packs.get(pack), s.pack_coverage.get(pack), {}, {}, {}, (), {})


def _cell(score: float | None, tally: Counter[str] | None) -> View:
    """One heat-map cell: colour, and always words too."""
    if not tally:
        return {"class": "nj", "main": "·", "sub": "not judged"}
    if score is not None:
        good = sum(tally[s] for s in GOOD)
        judged = good + sum(tally[s] for s in SHORTFALLS)
        return {"class": heat_class(score), "main": percent(score), "sub": f"{good} of {judged} ✓"}
    status = next(s for s in UNSCORED if tally[s])
    symbol, word, _ = STATUS_MARKS[status]
    return {"class": "ns", "main": symbol, "sub": word}
