"""Incremental evaluation gives, on every revision, exactly the report a full evaluation gives.

A scripted history of the test world, committed to git and read back revision by revision through one
shared parse cache, and random sequences of small edits to generated worlds: after every step the
incremental report must render byte-identical JSON to `parity.evaluate` of the same Dataset and date.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import edit_file, git
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import AS_OF, DATES, DataSet, datasets, draw_evidence, draw_practice

import parity
from parity.judge.incremental import Evaluator, Stats
from parity.loading.cache import ParseCache

Edit = Callable[[Path], None]


def _replace(path: str, old: str, new: str) -> Edit:
    def edit(root: Path) -> None:
        edit_file(root / path, old, new)

    return edit


def _both(*edits: Edit) -> Edit:
    def edit(root: Path) -> None:
        for one in edits:
            one(root)

    return edit


def _create(path: str, text: str) -> Edit:
    def edit(root: Path) -> None:
        (root / path).write_text(text, encoding="utf-8")

    return edit


DELTA = """\
id: delta
name: Delta
tags: [frontier]
practices:
  risk_report_cadence_months:
    value: 1
    evidence: [{url: https://delta.example/, date: 2026-01-01}]
"""


def _agree(evaluator: Evaluator, data: parity.Dataset, as_of: dt.date, **scope: object) -> Stats:
    """The incremental report renders exactly as the full one; returns what the incremental call did."""
    incremental = evaluator.evaluate(data, as_of=as_of, **scope)  # type: ignore[arg-type]
    full = parity.evaluate(data, as_of=as_of, **scope)  # type: ignore[arg-type]
    assert parity.render(incremental, "json") == parity.render(full, "json")
    assert incremental.to_dict() == full.to_dict()
    return evaluator.stats


ALPHA, BETA, GAMMA = (f"lab_profiles/{lab}.yaml" for lab in ("alpha", "beta", "gamma"))
D = dt.date
# (what the commit does, the edit, the evaluation date, what the incremental call must have done:
# "full", or the number of labs whose profile changed)
# fmt: off
HISTORY: list[tuple[str, Edit | None, dt.date, str | int]] = [
    ("the world as it is", None, D(2026, 11, 26), "full"),
    ("beta sets a better cadence: the best bar moves", _replace(BETA, "value: 3\n", "value: 2\n"), D(2026, 11, 26), 1),
    ("the same value as a float: prints differently", _replace(BETA, "value: 2\n", "value: 2.0\n"), D(2026, 11, 26), 1),
    ("gamma, never a setter, changes", _replace(GAMMA, "value: SL1", "value: SL2"), D(2026, 11, 27), 1),
    ("alpha loses the capability lead: a derived input", _replace(ALPHA, "value: 91.5", "value: 80"), D(2026, 11, 27), 1),
    ("beta takes it: every lab's meets bar moves", _replace(BETA, "value: 88", "value: 95"), D(2026, 11, 27), 1),
    ("beta's risk becomes significant: a commitment input", _replace(BETA, "catastrophic_risk_significant:\n    value: false", "catastrophic_risk_significant:\n    value: true"), D(2026, 11, 27), 1),
    ("only evidence of a setter moves", _replace(BETA, "reports, date: 2026-06-30}]\n  weight", "reports, date: 2026-07-01}]\n  weight"), D(2026, 11, 27), 1),
    ("a name and nothing else", _replace(GAMMA, "name: Gamma ML", "name: Gamma Machine Learning"), D(2026, 11, 27), 1),
    ("a waiver's expiry moves", _replace("waivers.yaml", "expires: 2026-12-31", "expires: 2027-02-01"), D(2026, 11, 27), 0),
    ("nothing changes but the date", None, D(2026, 12, 2), 0),
    ("before the within_days cut-off passes 2026-03-01", None, D(2026, 8, 31), 0),
    ("after it", None, D(2026, 9, 1), 0),
    ("the day evidence of 2025-01-15 is not yet stale", None, D(2026, 1, 15), 0),
    ("the day it is", None, D(2026, 1, 16), 0),
    ("the last day of gamma's waiver", None, D(2026, 6, 30), 0),
    ("the first day after it", None, D(2026, 7, 1), 0),
    ("back to its last day", None, D(2026, 6, 30), 0),
    ("the waiver of an active shortfall is withdrawn", _replace("waivers.yaml", "- rule: security-floor\n  lab: gamma\n  reason: Old exception.\n  expires: 2026-06-30\n", ""), D(2026, 6, 30), 0),
    ("a rule pack changes: evaluated afresh", _replace("rules/transparency.yaml", "bar: {quorum: 2}", "bar: {quorum: 1}"), D(2026, 7, 1), "full"),
    ("an evidence-only edit on alpha", _replace(ALPHA, "date: 2025-01-15", "date: 2025-02-15"), D(2026, 7, 1), 1),
    ("a tag changes: evaluated afresh", _replace(GAMMA, "tags: [open-weights]", "tags: [open-weights, us]"), D(2026, 7, 1), "full"),
    ("two labs change at once", _both(_replace(ALPHA, "value: SL3", "value: SL4"), _replace(GAMMA, "value: 12", "value: 1")), D(2026, 7, 2), 2),
    ("gamma discloses nothing about security", _replace(GAMMA, "value: SL2", "value: unknown"), D(2026, 7, 2), 1),
    ("a practice is removed", _replace(BETA, "  api_misuse_monitoring:\n    value: false\n    evidence: [{url: https://beta.example/api, date: 2026-02-01}]\n", ""), D(2026, 7, 2), 1),
    ("a lab is added: evaluated afresh", _create("lab_profiles/delta.yaml", DELTA), D(2026, 7, 2), "full"),
    ("delta is the new best: every frontier lab's bar moves", _replace("lab_profiles/delta.yaml", "value: 1\n", "value: 2\n"), D(2026, 7, 2), 1),
]
# fmt: on


def test_a_scripted_history_agrees_with_full_evaluation_on_every_revision(repo: Path) -> None:
    commits = []
    for message, edit, _, _ in HISTORY:
        if edit is not None:
            edit(repo)
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "--allow-empty", "-m", message)
        commits.append(git(repo, "rev-parse", "HEAD").strip())
    cache, evaluator = ParseCache(None), Evaluator()
    for commit, (message, _, as_of, expected) in zip(commits, HISTORY, strict=True):
        data = parity.load_revision(repo, commit, waivers="waivers.yaml", cache=cache)
        stats = _agree(evaluator, data, as_of)
        did = "full" if stats.full else stats.labs_changed
        assert did == expected, f"{message}: {stats}"


def test_an_unrelated_edit_judges_only_its_own_lab(repo: Path) -> None:
    cache, evaluator = ParseCache(None), Evaluator()
    load = lambda: parity.load(repo / "lab_profiles", repo / "rules", repo / "waivers.yaml", cache=cache)  # noqa: E731
    _agree(evaluator, load(), D(2026, 11, 26))
    _replace(GAMMA, "name: Gamma ML", "name: Gamma")(repo)
    stats = _agree(evaluator, load(), D(2026, 11, 26))
    assert stats == Stats(full=False, labs_changed=1, pairs_reached=0, sessions=1)
    stats = _agree(evaluator, load(), D(2026, 11, 26))
    assert stats == Stats(full=False, labs_changed=0, pairs_reached=0, sessions=0)


def test_a_moved_bar_reaches_the_labs_it_judges_and_only_they_go_to_the_engine(repo: Path) -> None:
    cache, evaluator = ParseCache(None), Evaluator()
    load = lambda: parity.load(repo / "lab_profiles", repo / "rules", repo / "waivers.yaml", cache=cache)  # noqa: E731
    _agree(evaluator, load(), D(2026, 11, 26))
    _replace(BETA, "value: 3\n", "value: 7\n")(repo)  # alpha (6) now sets the frontier's best cadence
    stats = _agree(evaluator, load(), D(2026, 11, 26))
    assert (stats.full, stats.labs_changed) == (False, 1)
    assert stats.pairs_reached >= 1  # alpha's bar on the cadence rules moved: beta was its setter
    assert stats.sessions <= 3


def test_narrowed_scopes_agree_and_a_new_scope_starts_afresh(repo: Path) -> None:
    cache, evaluator = ParseCache(None), Evaluator()
    load = lambda: parity.load(repo / "lab_profiles", repo / "rules", repo / "waivers.yaml", cache=cache)  # noqa: E731
    scope: dict[str, object] = {"labs": ["alpha", "gamma"], "rules": ["security-floor", "delay-when-leading"]}
    _agree(evaluator, load(), D(2026, 11, 26), **scope)
    _replace(BETA, "value: 88", "value: 99")(repo)  # beta is out of scope but still sets bars
    assert not _agree(evaluator, load(), D(2026, 11, 26), **scope).full
    assert _agree(evaluator, load(), D(2026, 11, 26), packs=["pledges"]).full
    assert _agree(evaluator, load(), D(2026, 11, 26), packs=["pledges"], waiver_horizon=30).full is False


def test_datasets_loaded_without_a_shared_cache_still_agree(repo: Path) -> None:
    """Nothing is the same object: every lab counts as changed, and the result is still right."""
    evaluator = Evaluator()
    load = lambda: parity.load(repo / "lab_profiles", repo / "rules", repo / "waivers.yaml")  # noqa: E731
    _agree(evaluator, load(), D(2026, 11, 26))
    _replace(BETA, "value: 3\n", "value: 3.0\n")(repo)
    assert _agree(evaluator, load(), D(2026, 11, 26)).full  # the rules are new objects: afresh


# --- random worlds, random edits ------------------------------------------------------------------------


def _edit(draw: st.DrawFn, ds: DataSet) -> DataSet:
    """One small edit of a data set: a practice, its evidence, a waiver's expiry, or the date."""
    profiles = [dict(p, practices=dict(p["practices"])) for p in ds.profiles]
    waivers = [dict(w) for w in ds.waivers]
    as_of = ds.as_of
    kind = draw(st.sampled_from(["practice", "practice", "evidence", "date", "waiver", "none"]))
    indicators = {k: v for pack in ds.packs for k, v in pack["indicators"].items() if not v.get("derived")}
    profile = draw(st.sampled_from(profiles))
    name = draw(st.sampled_from(sorted(indicators)))
    if kind == "practice":
        practice = draw_practice(draw, profile["id"], name, indicators[name])
        profile["practices"].pop(name, None)
        if practice is not None:
            profile["practices"][name] = practice
    elif kind == "evidence" and profile["practices"].get(name, {}).get("evidence"):
        looked = profile["practices"][name].get("value") == "unknown"
        profile["practices"][name] = {
            **profile["practices"][name],
            "evidence": draw_evidence(draw, profile["id"], name, looked),
        }
    elif kind == "date":
        as_of = draw(st.sampled_from(sorted({*AS_OF, *DATES})))
    elif kind == "waiver" and waivers:
        draw(st.sampled_from(waivers))["expires"] = draw(st.sampled_from(DATES))
    return DataSet(ds.packs, profiles, waivers, as_of)


_edits = st.composite(_edit)


@settings(
    max_examples=int(os.environ.get("PARITY_PROPERTY_EXAMPLES", "200")) // 5,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(first=datasets(), data=st.data())
def test_random_edits_agree_with_full_evaluation_at_every_step(first: DataSet, data: st.DataObject) -> None:
    cache, evaluator = ParseCache(None), Evaluator()
    ds = first
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)  # one folder, rewritten at each step as a working tree is
        (root / "lab_profiles").mkdir()
        (root / "rules").mkdir()
        for step in range(data.draw(st.integers(2, 6), label="steps")):
            if step:
                ds = data.draw(_edits(ds), label=f"edit {step}")
            for rel, text in ds.texts.items():
                (root / rel).write_text(text, encoding="utf-8")
            waivers = root / "waivers.yaml" if ds.waivers_text is not None else None
            loaded = parity.load(root / "lab_profiles", root / "rules", waivers, cache=cache)
            _agree(evaluator, loaded, ds.as_of)


@pytest.mark.parametrize("as_of", [D(2026, 1, 1), D(2026, 7, 1)])
def test_the_first_call_is_a_full_evaluation(repo: Path, as_of: dt.date) -> None:
    evaluator = Evaluator()
    data = parity.load(repo / "lab_profiles", repo / "rules", repo / "waivers.yaml")
    assert _agree(evaluator, data, as_of).full


def test_a_waived_pair_judged_again_on_a_date_move_is_scored_again(tree: Callable[..., Path]) -> None:
    """Found by the property test: a commitment waived at one date is judged again at another (its
    derived input reads a recency bar), where its waiver lies beyond the horizon. The verdict lost its
    waiver, and the lab's counts must say so too."""
    root = tree(
        {
            "lab_profiles/a.yaml": "id: a\nname: A\npractices:\n  report: {value: unknown}\n",
            "lab_profiles/b.yaml": "id: b\nname: B\npractices:\n  report: {value: unknown}\n",
            "rules/p.yaml": """
                pack: p
                version: "1"
                indicators:
                  report: {title: Latest report, area: reporting, type: date}
                  recent: {title: Reports recently, area: reporting, type: boolean, derived: true}
                rules:
                  - {id: recent-report, derive: recent, when: {all: [{indicator: report, meets: {within_days: 30}}]}}
                  - {id: keeps-reporting, require: {indicator: recent, equals: true}, severity: high}
                """,
            "waivers.yaml": "- {rule: keeps-reporting, lab: a, reason: pending, expires: 2026-03-01}\n",
        }
    )
    data = parity.load(root / "lab_profiles", root / "rules", root / "waivers.yaml")
    evaluator = Evaluator()
    first = evaluator.evaluate(data, as_of=D(2026, 1, 1))
    assert first.labs["a"].counts["waived"] == 1
    _agree(evaluator, data, D(2025, 1, 1))  # the waiver now expires beyond the 365-day horizon
