"""Commitments explained: a commitment's verdict carries each `when` condition as it stood for the lab
(whether it held, the value and evidence it read, a `meets` condition's bar, and for a derived indicator
the rule and conditions that derived it), in the JSON report (and its schema), the text formats,
`explain` and the scorecard, so a reader sees why a pledge did or did not bind."""

from __future__ import annotations

import json
from collections.abc import Callable

import jsonschema
from helpers import AS_OF, AS_OF_ARG, ROOT, SHIPPED_AS_OF, WORLD, Result

import parity
from parity.report.schemas import SCHEMAS
from parity.site import build

Run = Callable[..., Result]


def _commitments(report: parity.Report) -> dict[str, parity.Verdict]:
    return {v.lab: v for v in report.verdicts if v.rule == "delay-when-leading"}


def test_each_condition_says_whether_it_held_and_on_what() -> None:
    data = parity.load(WORLD / "lab_profiles", WORLD / "rules")
    found = _commitments(parity.evaluate(data, as_of=AS_OF))
    leader, risk = found["alpha"].conditions
    assert (leader.condition, leader.holds, leader.state, leader.value) == (
        "is_capability_leader equals true",
        True,
        "derived",
        True,
    )
    assert leader.derived_by == "capability-leader" and leader.of == "all"
    (index,) = leader.derived_from
    assert (index.condition, index.holds, index.value) == ("frontier_capability_index meets best", True, 91.5)
    assert index.bar is not None and (index.bar.value, index.bar.set_by) == (88, ("beta",))
    assert [e.url for e in index.evidence] == ["https://bench.example/index"]
    assert (risk.holds, risk.value, [e.url for e in risk.evidence]) == (
        True,
        True,
        ["https://alpha.example/risk-report"],
    )
    # beta: the pledge does not bind, and the conditions say why; gamma: nobody has looked
    assert found["beta"].status == "not_applicable" and [c.holds for c in found["beta"].conditions] == [
        False,
        False,
    ]
    assert [c.holds for c in found["gamma"].conditions] == ["unassessed", "unassessed"]
    assert all(
        not v.conditions
        for v in parity.evaluate(data, as_of=AS_OF).verdicts
        if v.rule != "delay-when-leading"
    )


def test_conditions_are_in_the_json_report_and_read_back(run: Run) -> None:
    doc = json.loads(run("check", AS_OF_ARG, "--format=json").out)
    jsonschema.validate(doc, SCHEMAS["report"]())
    (alpha,) = [v for v in doc["verdicts"] if (v["lab"], v["rule"]) == ("alpha", "delay-when-leading")]
    leader = alpha["conditions"][0]
    assert (leader["of"], leader["holds"], leader["derived_by"]) == ("all", True, "capability-leader")
    assert leader["conditions"][0]["bar"]["set_by"] == ["beta"]
    assert parity.Report.from_dict(doc).to_dict() == doc


def test_conditions_are_in_the_text_formats_and_explain(run: Run) -> None:
    table = run("check", AS_OF_ARG).out
    assert "delay-when-leading: when all of:" in table
    assert "frontier_capability_index meets best: holds; value 91.5; bar best: 88, set by beta" in table
    markdown = run("check", AS_OF_ARG, "--format=markdown").out
    assert "  - catastrophic\\_risk\\_significant equals true: holds; value true" in markdown
    explain = run("explain", "delay-when-leading", AS_OF_ARG).out
    assert (
        "  beta: when all of:" in explain
        and "catastrophic_risk_significant equals true: does not hold; value false" in explain
    )
    assert "frontier_capability_index meets best: unknown: not researched yet (unassessed)" in explain


def test_the_site_says_why_a_pledge_does_not_bind() -> None:
    data = parity.load(ROOT / "lab_profiles", ROOT / "rules")
    files = build(parity.evaluate(data, as_of=SHIPPED_AS_OF), data)
    page = files["rules/rsp3-delay-when-leading.html"].decode()
    why = page.split("Why this pledge binds or not: when all of", 1)[1].split("</div>", 1)[0]
    assert "<code>catastrophic_risk_significant equals true</code>; value false" in why
    assert "aug-2026-risk-report" in why  # the value's evidence
    assert 'derived by <a href="../rules/rsp3-capability-leader.html">rsp3-capability-leader</a>' in why
