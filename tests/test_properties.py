"""Property test: the engine's JSON report and the independent reference evaluator agree on random data.

For each generated data set the files are written as a user keeps them, loaded and evaluated by parity,
rendered as JSON, and compared field by field with tests/reference.py (the rule book: docs/verdicts.md;
the report's shape: docs/report.md). Numbers are parsed as exact decimals, so a gap of 0.19999999999999998
where the rule book says 0.2 is a disagreement.
"""

from __future__ import annotations

import os
from datetime import date
from typing import Any

import yaml
from agreement import assert_agree
from hypothesis import HealthCheck, given, settings
from reference import STATUSES, report
from strategies import DataSet, datasets


@settings(
    max_examples=int(os.environ.get("PARITY_PROPERTY_EXAMPLES", "200")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(ds=datasets())
def test_engine_agrees_with_reference(ds: DataSet) -> None:
    assert_agree(ds)


def judged_labs(applies_to: list[str] | dict | None, profiles: list[dict]) -> list[str]:
    """The labs a rule judges, written again here so that the reference's reading is checked: every lab,
    the listed labs, or the labs that carry all of the selection's tags (and are listed, with `labs`)."""
    if applies_to is None:
        return [p["id"] for p in profiles]
    if isinstance(applies_to, list):
        return applies_to
    return [
        p["id"]
        for p in profiles
        if all(t in p["tags"] for t in applies_to.get("tags", []))
        and p["id"] in applies_to.get("labs", [p["id"]])
    ]


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ds=datasets())
def test_reference_is_total_on_generated_data(ds: DataSet) -> None:
    """Every (lab, rule) pair in force and in scope gets one verdict with a known status; the files'
    text reads back as exactly the data the reference judged."""
    sources: dict[str, Any] = {f"lab_profiles/{p['id']}.yaml": p for p in ds.profiles}
    sources.update({f"rules/{p['pack']}.yaml": p for p in ds.packs})
    if ds.waivers:
        sources["waivers.yaml"] = ds.waivers
    assert sources.keys() == ds.texts.keys()
    assert all(yaml.safe_load(ds.texts[path]) == data for path, data in sources.items())
    out = report(ds.packs, ds.profiles, ds.waivers, ds.as_of, ds.profile_texts, ds.waivers_text)
    expected = set()
    for pack in ds.packs:
        for r in pack["rules"]:
            start, end = r.get("in_force", pack.get("in_force")), r.get("until")
            if "derive" not in r and (start is None or start <= ds.as_of) and (end is None or ds.as_of < end):
                expected |= {(lab, r["id"]) for lab in judged_labs(r.get("applies_to"), ds.profiles)}
    assert set(out["verdicts"]) == expected
    for pack in ds.packs:  # every applies_to selection selects a lab (else parity refuses the data set)
        for r in pack["rules"]:
            assert "applies_to" not in r or judged_labs(r["applies_to"], ds.profiles)
    assert {v["status"] for v in out["verdicts"].values()} <= set(STATUSES)
    for lab, summary in out["labs"].items():
        assert sum(summary["counts"].values()) == sum(k[0] == lab for k in expected)


EVIDENCE = [{"url": "https://example.org/x", "date": date(2026, 1, 1)}]
NUMBER = {"title": "n", "area": "security", "type": "number", "better": "higher"}


def many_labs(practices: list[dict | None], rules: list[dict]) -> DataSet:
    """lab-00, lab-01, ... with the given practice of indicator n (None: absent)."""
    packs = [{"pack": "p", "version": "1.0.0", "indicators": {"n": NUMBER}, "rules": rules}]
    profiles = [
        {"id": f"lab-{i:02d}", "name": f"Lab {i}", "tags": [], "practices": {} if p is None else {"n": p}}
        for i, p in enumerate(practices)
    ]
    return DataSet(packs, profiles, [], date(2026, 7, 1))


def test_set_by_lists_at_most_20_of_many_tied_peers() -> None:
    """The random data sets have at most 8 labs; this one has 24 tied peers plus one below."""
    rules = [
        {"id": "r-best", "indicator": "n", "bar": "best", "severity": "high"},
        {"id": "r-all", "indicator": "n", "bar": "all", "severity": "high"},
    ]
    ds = many_labs([{"value": 1 if i == 0 else 4, "evidence": EVIDENCE} for i in range(25)], rules)
    labs = [p["id"] for p in ds.profiles]
    verdict = report(ds.packs, ds.profiles, ds.waivers, ds.as_of)["verdicts"]["lab-00", "r-best"]
    bar = verdict["bar"]
    assert (bar["set_by"], bar["set_by_count"], verdict["status"]) == (labs[1:21], 24, "below")
    assert list(bar["evidence"]) == labs[1:4]  # the first three listed setters
    assert_agree(ds)


def test_blocked_by_lists_at_most_20_of_many_silent_peers() -> None:
    """An `all` bar kept from binding by 24 peers that are not disclosed, in all three ways."""
    silent: list[dict | None] = [
        {"value": "unknown"},
        {"value": 3},
        None,
    ]  # undisclosed, unevidenced, unassessed
    practices = [{"value": 2, "evidence": EVIDENCE}, {"value": 5, "evidence": EVIDENCE}]
    practices += [silent[i % 3] for i in range(24)]
    practices.append({"not_applicable": "no such thing here"})
    ds = many_labs(practices, [{"id": "r-all", "indicator": "n", "bar": "all", "severity": "high"}])
    labs = [p["id"] for p in ds.profiles]
    out = report(ds.packs, ds.profiles, ds.waivers, ds.as_of)["verdicts"]
    bar = out["lab-00", "r-all"]["bar"]
    assert (out["lab-00", "r-all"]["status"], bar["value"], bar["peers_disclosed"]) == ("no_bar", None, 1)
    assert (bar["blocked_by"], bar["blocked_by_count"]) == (labs[2:22], 24)
    assert out["lab-02", "r-all"]["bar"]["blocked_by_count"] == 23  # a silent lab is not its own peer
    assert out["lab-26", "r-all"]["status"] == "not_applicable"
    assert_agree(ds)


def test_applies_to_selections_agree_on_a_fixed_data_set() -> None:
    """Every form of `applies_to` side by side, with peers, a rule's and a pack's in_force, a commitment
    and waivers, so that the engine is compared on selections whatever the random draws give."""
    tags = {"x": "Labs that are x", "y": "Labs that are y"}
    shown = {"value": 3, "evidence": EVIDENCE}
    practices: list[dict | None] = [shown, {"value": 5, "evidence": EVIDENCE}, {"value": "unknown"}, None]
    practices += [{"not_applicable": "no such thing here"}, {"value": 4}]
    lab_tags = [["x"], ["x", "y"], ["y"], ["x"], ["x", "y"], []]
    rules: list[dict] = [
        {"id": "tags", "indicator": "n", "bar": "best", "severity": "high", "applies_to": {"tags": ["x"]}},
        {
            "id": "both",
            "indicator": "n",
            "bar": "all",
            "severity": "low",
            "peers": {"tags": ["y"]},
            "applies_to": {"tags": ["x"], "labs": ["lab-01", "lab-02", "lab-03"]},
        },
        {
            "id": "labs",
            "indicator": "n",
            "bar": "median",
            "severity": "low",
            "applies_to": {"labs": ["lab-05"]},
        },
        {
            "id": "commit",
            "require": {"indicator": "n", "at_least": 4},
            "severity": "medium",
            "applies_to": {"tags": ["y"]},
            "in_force": date(2026, 7, 1),
        },
        {
            "id": "later",
            "indicator": "n",
            "bar": "best",
            "severity": "low",
            "applies_to": {"tags": ["x", "y"]},
            "in_force": date(2026, 7, 2),
        },
    ]
    second = {
        "pack": "q",
        "version": "0.1.0",
        "in_force": date(2026, 1, 1),
        "rules": [{**rules[0], "id": "q-tags"}],
    }
    packs = [
        {"pack": "p", "version": "1.0.0", "tags": tags, "indicators": {"n": NUMBER}, "rules": rules},
        second,
    ]
    profiles = [
        {"id": f"lab-{i:02d}", "name": f"Lab {i}", "tags": t, "practices": {} if p is None else {"n": p}}
        for i, (p, t) in enumerate(zip(practices, lab_tags, strict=True))
    ]
    waivers = [
        {"rule": "tags", "lab": "lab-02", "reason": "not selected", "expires": date(2027, 1, 1)},
        {"rule": "commit", "lab": "lab-02", "reason": "silent", "expires": date(2027, 1, 1)},
    ]
    ds = DataSet(packs, profiles, waivers, date(2026, 7, 1))
    verdicts = report(ds.packs, ds.profiles, ds.waivers, ds.as_of)["verdicts"]
    judged = {
        rule: sorted(lab for lab, r in verdicts if r == rule) for rule in ("tags", "both", "labs", "commit")
    }
    assert judged == {
        "tags": ["lab-00", "lab-01", "lab-03", "lab-04"],
        "both": ["lab-01", "lab-03"],
        "labs": ["lab-05"],
        "commit": ["lab-01", "lab-02", "lab-04"],
    }
    assert verdicts["lab-02", "commit"]["status"] == "waived"
    assert_agree(ds)
