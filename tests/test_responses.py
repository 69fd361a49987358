"""The right of reply: a lab's responses are validated (every kind of bad input located), shown as they
stood at the evaluation date beside the findings they answer, and visible in every format. The labs here
are fictional (alpha, beta, gamma of the test world; `a` and `b` below)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest
from helpers import AS_OF, AS_OF_ARG, WORLD, Result

import parity
from parity import LoadError, Strict, load
from parity.models import Response
from parity.report.schemas import SCHEMAS
from parity.site import build

Run = Callable[..., Result]

PACK = """pack: p
version: "1"
tags: {frontier: Frontier labs}
indicators:
  cadence: {title: Cadence, area: risk, type: number, better: lower}
  flag: {title: Flag, area: risk, type: boolean}
  leads: {title: Leads, area: risk, type: boolean, derived: true}
rules:
  - id: cadence-best
    indicator: cadence
    bar: best
    severity: high
  - id: only-b
    indicator: flag
    bar: {threshold: true}
    applies_to: [b]
    severity: low
  - id: leader
    derive: leads
    when: {all: [{indicator: cadence, meets: best}]}
"""
PROFILE = """id: a
name: A
tags: [frontier]
practices:
  cadence:
    value: 6
    evidence: [{url: "https://a.example", date: 2026-01-01}]
responses:
"""
OTHER = """id: b
name: B
tags: [frontier]
practices:
  cadence:
    value: 3
    evidence: [{url: "https://b.example", date: 2026-01-01}]
"""

# (case id, the responses as written under `responses:`, fragments the error text must hold)
BAD: list[tuple[str, str, list[str]]] = [
    (
        "about-both",
        "  - {about: {rule: cadence-best, practice: cadence}, asked: 2026-01-02}",
        ["lab_profiles/a.yaml:9:6: responses.0.about: 'about' takes exactly one of 'rule' or 'practice'"],
    ),
    (
        "about-neither",
        "  - {about: {}, asked: 2026-01-02}",
        ["a.yaml:9:6: responses.0.about: 'about' takes exactly one of 'rule' or 'practice'"],
    ),
    (
        "about-missing",
        "  - {asked: 2026-01-02}",
        ["a.yaml:9:5: responses.0.about: required, but missing"],
    ),
    (
        "about-typo",
        "  - {about: {rul: cadence-best}, asked: 2026-01-02}",
        ["responses.0.about.rul: unknown field 'rul'; did you mean 'rule'?"],
    ),
    (
        "field-typo",
        "  - {about: {rule: cadence-best}, askd: 2026-01-02}",
        ["responses.0.askd: unknown field 'askd'; did you mean 'asked'?"],
    ),
    (
        "nothing-recorded",
        "  - {about: {rule: cadence-best}}",
        ["responses.0: give 'asked' (when the lab was asked) or 'date' (when it answered)"],
    ),
    (
        "answer-without-date",
        "  - {about: {rule: cadence-best}, asked: 2026-01-02, stance: disputes, quote: No.}",
        ["responses.0: 'stance', 'quote' describe an answer: give its 'date'"],
    ),
    (
        "url-without-date",
        "  - {about: {rule: cadence-best}, asked: 2026-01-02, url: 'https://a.example/r'}",
        ["responses.0: 'url' describe an answer"],
    ),
    (
        "answer-without-stance",
        "  - {about: {rule: cadence-best}, date: 2026-01-09, quote: No.}",
        ["responses.0: an answer needs its 'stance': one of disputes, acknowledges, will_change"],
    ),
    (
        "answer-without-words",
        "  - {about: {rule: cadence-best}, date: 2026-01-09, stance: disputes}",
        ["responses.0: an answer needs its 'url' or its 'quote'"],
    ),
    (
        "asked-after-answer",
        "  - {about: {rule: cadence-best}, asked: 2026-02-01, date: 2026-01-09, stance: disputes, quote: No.}",
        ["responses.0: asked 2026-02-01 is after the answer's date 2026-01-09"],
    ),
    (
        "stance-typo",
        "  - {about: {rule: cadence-best}, date: 2026-01-09, stance: dispute, quote: No.}",
        ["responses.0.stance: expected one of", "got 'dispute'; did you mean 'disputes'?"],
    ),
    (
        "bad-url",
        "  - {about: {rule: cadence-best}, date: 2026-01-09, stance: disputes, url: 'ftp://a.example'}",
        ["responses.0.url: a response's url must be an http(s) URL, not 'ftp://a.example'"],
    ),
    (
        "bad-date",
        "  - {about: {rule: cadence-best}, asked: 2026-1-2}",
        ["responses.0.asked:", "YYYY-MM-DD"],
    ),
    (
        "date-as-number",
        "  - {about: {rule: cadence-best}, asked: 20260102}",
        ["responses.0.asked:"],
    ),
    (
        "not-a-list",
        "  about: {rule: cadence-best}",
        ["responses: expected a list, got a mapping"],
    ),
    (
        "unknown-rule",
        "  - {about: {rule: cadence-bst}, asked: 2026-01-02}",
        ["a.yaml:9:14: responses.0.about.rule: unknown rule 'cadence-bst'; did you mean 'cadence-best'?"],
    ),
    (
        "derive-rule",
        "  - {about: {rule: leader}, asked: 2026-01-02}",
        ["responses.0.about.rule: rule 'leader' derives a value and finds nothing"],
    ),
    (
        "rule-not-judging-the-lab",
        "  - {about: {rule: only-b}, asked: 2026-01-02}",
        ["responses.0.about.rule: rule 'only-b' does not judge 'a' (its applies_to leaves it out)"],
    ),
    (
        "unknown-practice",
        "  - {about: {practice: cadense}, asked: 2026-01-02}",
        ["responses.0.about.practice: unknown practice 'cadense'; did you mean 'cadence'?"],
    ),
    (
        "derived-practice",
        "  - {about: {practice: leads}, asked: 2026-01-02}",
        ["responses.0.about.practice: 'leads' is derived by a rule, not a practice: answer the rule"],
    ),
]


def _world(tmp: Path, responses: str) -> Path:
    (tmp / "lab_profiles").mkdir(parents=True)
    (tmp / "rules").mkdir()
    (tmp / "rules" / "p.yaml").write_text(PACK, encoding="utf-8")
    (tmp / "lab_profiles" / "a.yaml").write_text(PROFILE + responses + "\n", encoding="utf-8")
    (tmp / "lab_profiles" / "b.yaml").write_text(OTHER, encoding="utf-8")
    return tmp


@pytest.mark.parametrize(("case", "responses", "fragments"), BAD, ids=[c[0] for c in BAD])
def test_every_kind_of_bad_response_is_located(
    tmp_path: Path, run: Run, case: str, responses: str, fragments: list[str]
) -> None:
    root = _world(tmp_path, responses)
    result = run("validate", cwd=root)
    assert result.code == 2, result.out
    for fragment in fragments:
        assert fragment in result.err, result.err
    assert "Traceback" not in result.err


def test_every_bad_response_is_listed_at_once(tmp_path: Path) -> None:
    responses = "\n".join(r for _, r, _ in BAD if r.startswith("  - "))
    root = _world(tmp_path, responses)
    with pytest.raises(LoadError) as caught:
        load(root / "lab_profiles", root / "rules")
    fields = {p.field for p in caught.value.problems}
    assert len([f for f in fields if f.startswith("responses.")]) >= 15, fields


@pytest.mark.parametrize("field", ["asked", "date"])
def test_strict_refuses_a_response_dated_after_the_evaluation_date(tmp_path: Path, field: str) -> None:
    answer = "stance: acknowledges, quote: Yes." if field == "date" else ""
    root = _world(tmp_path, f"  - {{about: {{rule: cadence-best}}, {field}: 2026-03-01, {answer}}}")
    load(root / "lab_profiles", root / "rules")  # not strict: a later date is simply not shown yet
    with pytest.raises(LoadError) as caught:
        load(root / "lab_profiles", root / "rules", strict=Strict(dt.date(2026, 2, 1), 3650))
    messages = [str(p) for p in caught.value.problems]
    assert any(
        f"responses.0.{field}: --strict: {field} 2026-03-01 is after the evaluation date" in m
        for m in messages
    )


def _report(tmp_path: Path, responses: str, as_of: dt.date) -> parity.Report:
    root = _world(tmp_path, responses)
    return parity.evaluate(load(root / "lab_profiles", root / "rules"), as_of=as_of)


def test_a_response_is_shown_as_it_stood_at_the_evaluation_date(tmp_path: Path) -> None:
    responses = textwrap.dedent("""\
      - about: {rule: cadence-best}
        asked: 2026-03-01
        date: 2026-03-09
        stance: will_change
        quote: We will report quarterly.
    """)
    responses = textwrap.indent(responses, "  ")
    root = _world(tmp_path, responses)
    data = load(root / "lab_profiles", root / "rules")

    def shown(day: str) -> tuple[Response, ...]:
        report = parity.evaluate(data, as_of=dt.date.fromisoformat(day))
        (verdict,) = [v for v in report.verdicts if v.lab == "a" and v.rule == "cadence-best"]
        assert verdict.responses == report.labs["a"].responses
        return verdict.responses

    assert shown("2026-02-28") == ()  # not asked yet: nothing to show
    (asked,) = shown("2026-03-05")  # asked, the answer not come yet
    assert (asked.asked, asked.date, asked.stance, asked.quote) == (dt.date(2026, 3, 1), None, None, None)
    (answered,) = shown("2026-03-09")
    assert (answered.date, answered.stance) == (dt.date(2026, 3, 9), "will_change")


def test_a_response_about_a_practice_goes_beside_every_finding_that_reads_it() -> None:
    data = load(WORLD / "lab_profiles", WORLD / "rules", WORLD / "waivers.yaml")
    report = parity.evaluate(data, as_of=AS_OF)
    replied = {
        (v.lab, v.rule): [r.about.subject for r in v.responses] for v in report.verdicts if v.responses
    }
    # alpha asked about development_delayed: the commitment that requires it; its answer on one rule.
    assert replied == {
        ("alpha", "delay-when-leading"): ["practice development_delayed"],
        ("alpha", "risk-report-cadence-parity"): ["rule risk-report-cadence-parity"],
    }
    assert [r.about.subject for r in report.labs["alpha"].responses] == [
        "rule risk-report-cadence-parity",
        "practice development_delayed",
    ]
    assert not report.labs["beta"].responses  # never asked: nothing shown, no silence implied


def test_responses_never_change_a_verdict_or_a_score(tmp_path: Path) -> None:
    quiet = _report(tmp_path / "quiet", "  []", AS_OF)
    replied = _report(
        tmp_path / "replied",
        "  - {about: {rule: cadence-best}, date: 2026-01-09, stance: disputes, quote: We disagree.}",
        AS_OF,
    )
    assert [v._replace(responses=()) for v in replied.verdicts] == quiet.verdicts
    assert {lab: (s.score, s.coverage, s.counts) for lab, s in replied.labs.items()} == {
        lab: (s.score, s.coverage, s.counts) for lab, s in quiet.labs.items()
    }


def test_the_json_report_carries_responses_validates_and_reads_back(run: Run) -> None:
    out = run("check", AS_OF_ARG, "--format=json").out
    doc = json.loads(out)
    jsonschema.validate(doc, SCHEMAS["report"]())
    (cadence,) = [
        v for v in doc["verdicts"] if (v["lab"], v["rule"]) == ("alpha", "risk-report-cadence-parity")
    ]
    assert cadence["responses"] == [
        {
            "about": {"rule": "risk-report-cadence-parity"},
            "asked": "2026-10-01",
            "date": "2026-10-09",
            "stance": "disputes",
            "url": "https://alpha.example/reply-to-watchdog",
            "quote": "Our policy promises a report every three to six months; six is within it.",
        }
    ]
    assert doc["labs"]["alpha"]["responses"][1] == {
        "about": {"practice": "development_delayed"},
        "asked": "2026-11-02",
    }
    assert "responses" not in doc["labs"]["beta"]
    again = parity.Report.from_dict(doc)
    assert again.to_dict() == doc


ANSWER = "Our policy promises a report every three to six months; six is within it."


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ("table", ["reply", "disputes (2026-10-09)", "asked on 2026-11-02, no answer yet", ANSWER]),
        ("markdown", ["| reply", "disputes (2026-10-09)", "Right of reply of Alpha AI", ANSWER]),
        ("sarif", [f"disputes the finding (answered on 2026-10-09, asked on 2026-10-01): “{ANSWER}”"]),
        ("junit", ["right of reply: practice development_delayed: asked on 2026-11-02, no answer yet"]),
        ("github", ["right of reply: rule risk-report-cadence-parity: disputes the finding"]),
        ("csv", [f",1,disputes,2026-10-09,2026-10-01,https://alpha.example/reply-to-watchdog,{ANSWER}\r\n"]),
        ("json", ['"stance": "disputes"', f'"quote": "{ANSWER}"']),
    ],
)
def test_a_response_is_visible_in_every_format(run: Run, fmt: str, expected: list[str]) -> None:
    out = run("check", AS_OF_ARG, f"--format={fmt}").out
    for fragment in expected:
        assert fragment in out, (fmt, fragment)


def test_a_response_is_in_explain(run: Run) -> None:
    out = run("explain", "risk-report-cadence-parity", AS_OF_ARG).out
    assert "disputes (2026-10-09)" in out and ANSWER in out
    doc = json.loads(run("explain", "risk-report-cadence-parity", AS_OF_ARG, "--format=json").out)
    (alpha,) = [v for v in doc["verdicts"] if v["lab"] == "alpha"]
    assert alpha["responses"][0]["stance"] == "disputes"


def test_a_lab_never_asked_gets_no_reply_column() -> None:
    data = load(WORLD / "lab_profiles", WORLD / "rules", WORLD / "waivers.yaml")
    text = parity.render(parity.evaluate(data, as_of=AS_OF, labs=["gamma"]), "table")
    assert "reply" not in text


def test_the_site_shows_a_response_beside_its_finding_and_in_the_labs_section() -> None:
    data = load(WORLD / "lab_profiles", WORLD / "rules", WORLD / "waivers.yaml")
    files = build(parity.evaluate(data, as_of=AS_OF), data)
    alpha = files["labs/alpha.html"].decode()
    section = alpha.split('<h2 id="replies">', 1)[1].split("</section>", 1)[0]
    assert "disputes the finding" in section and "asked on <time" in section and "no answer yet" in section
    assert '<a href="https://alpha.example/reply-to-watchdog" rel="noopener noreferrer">' in section
    shortfalls = alpha.split('<h2 id="shortfalls">', 1)[1].split("</section>", 1)[0]
    assert '<th scope="col">Reply</th>' in shortfalls and "disputes (2026-10-09)" in shortfalls
    rule = files["rules/risk-report-cadence-parity.html"].decode()
    assert "Right of reply: Alpha AI" in rule and "disputes the finding" in rule
    beta = files["labs/beta.html"].decode()
    assert "No response recorded. This says nothing about Beta Labs" in beta
    assert '<th scope="col">Reply</th>' not in beta


def test_response_text_is_escaped_everywhere(tmp_path: Path, run: Run) -> None:
    root = tmp_path / "w"
    shutil.copytree(WORLD, root)
    profile = root / "lab_profiles" / "alpha.yaml"
    text = profile.read_text(encoding="utf-8").replace(
        '"Our policy promises a report every three to six months; six is within it."',
        '"<script>alert(1)</script> | **bold** \\x1b[31m"',
    )
    profile.write_text(text, encoding="utf-8")
    table = run("check", AS_OF_ARG, cwd=root).out
    assert "\x1b" not in table and "\\x1b[31m" in table
    md = run("check", AS_OF_ARG, "--format=markdown", cwd=root).out
    assert "<script>" not in md and "\\<script\\>" in md and "\\*\\*bold\\*\\*" in md
    data = load(root / "lab_profiles", root / "rules")
    page = build(parity.evaluate(data, as_of=AS_OF), data)["labs/alpha.html"].decode()
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
