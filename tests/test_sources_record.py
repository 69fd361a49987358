"""The source record: read with located problems, merged without losing entries, and read by `check`
(never the network) to flag the verdicts whose evidence drifted or is gone."""

from __future__ import annotations

import datetime as dt
import json
import socket
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest
from helpers import AS_OF, AS_OF_ARG, WORLD, Result

import parity
from parity.errors import LoadError
from parity.report import Report
from parity.sources import record
from parity.sources.citations import Cited, citations
from parity.sources.record import SCHEMA, QuoteCheck, SourceEntry, SourceRecord

Run = Callable[..., Result]
CHECKED = "2026-12-08"
QUOTE = "publish Risk Reports every three to six months"
CLOSEST = "publish Risk Reports every twelve months"


def entry(url: str, status: str, checked: str = CHECKED, **fields: object) -> dict[str, object]:
    return {"url": url, "status": status, "checked": checked, "since": checked, **fields}


def world_record() -> dict[str, object]:
    return {
        "schema": SCHEMA,
        "checked_at": CHECKED,
        "sources": [
            entry(
                "https://alpha.example/rsp",
                "drifted",
                http_status=200,
                quotes=[{"quote": QUOTE, "found": False, "closest": CLOSEST, "similarity": 0.86}],
            ),
            entry("https://alpha.example/security", "ok", http_status=200),
            entry("https://beta.example/reports", "gone", http_status=404),
            entry("https://gamma.example/blog", "blocked", http_status=403),
        ],
    }


@pytest.fixture
def record_file(tmp_path: Path) -> Path:
    path = tmp_path / "sources.json"
    path.write_text(json.dumps(world_record(), indent=2), encoding="utf-8")
    return path


def verdict(report: dict[str, object], lab: str, rule: str) -> dict[str, object]:
    return next(v for v in report["verdicts"] if (v["lab"], v["rule"]) == (lab, rule))  # type: ignore[union-attr, index]


# --- check reads the record ---------------------------------------------------------------------------------


def test_check_flags_verdicts_whose_evidence_drifted_or_is_gone(run: Run, record_file: Path) -> None:
    result = run("check", AS_OF_ARG, "--format=json", "--sources", str(record_file))
    assert result.code == 0, result.err
    report = json.loads(result.out)
    alpha = verdict(report, "alpha", "risk-report-cadence-parity")
    assert alpha["flags"] == [
        "source_drifted",
        "source_gone",
    ]  # its own quote drifted; its setter's page is gone
    assert alpha["evidence"] == [
        {
            "url": "https://alpha.example/rsp",
            "date": "2026-02-24",
            "quote": QUOTE,
            "source": {"status": "drifted", "checked": CHECKED, "closest": CLOSEST},
        }
    ]
    assert alpha["bar"]["evidence"]["beta"][0]["source"] == {"status": "gone", "checked": CHECKED}  # type: ignore[index]
    assert verdict(report, "beta", "risk-report-cadence-parity")["flags"] == ["source_gone"]
    assert verdict(report, "gamma", "risk-report-cadence-parity")["flags"] == ["source_gone"]  # the setter's
    flagged = {
        (v["lab"], v["rule"]) for v in report["verdicts"] if any(f.startswith("source_") for f in v["flags"])
    }
    cites = {"https://alpha.example/rsp", "https://beta.example/reports"}
    for v in report["verdicts"]:
        own = {e["url"] for e in v["evidence"]}
        setters = {e["url"] for ev in v["bar"].get("evidence", {}).values() for e in ev}
        assert ((v["lab"], v["rule"]) in flagged) == bool((own | setters) & cites), v["rule"]


def test_the_report_with_source_marks_follows_its_schema_and_reads_back(run: Run, record_file: Path) -> None:
    report = json.loads(run("check", AS_OF_ARG, "--format=json", "--sources", str(record_file)).out)
    schema = json.loads(run("schema", "report").out)
    assert list(jsonschema.Draft202012Validator(schema).iter_errors(report)) == []
    data = parity.load(WORLD / "lab_profiles", WORLD / "rules", WORLD / "waivers.yaml")
    notes = record.notes(record.read(record_file))
    evaluated = parity.evaluate(data, as_of=AS_OF, sources=notes)
    assert set(evaluated.sources) == {"https://alpha.example/rsp", "https://beta.example/reports"}
    assert Report.from_dict(evaluated.to_dict()) == evaluated
    assert json.loads(parity.render(evaluated, "json")) == evaluated.to_dict() | {
        "parity_version": report["parity_version"]
    }


def test_every_format_shows_the_source_flags(run: Run, record_file: Path) -> None:
    for fmt in ("table", "markdown", "sarif", "junit", "github"):
        result = run("check", AS_OF_ARG, f"--format={fmt}", "--sources", str(record_file))
        assert "source_drifted" in result.out and "source_gone" in result.out, fmt


def test_check_opens_no_socket(run: Run, record_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refused(*args: object, **kwargs: object) -> None:
        raise AssertionError("check opened a socket")

    monkeypatch.setattr(socket, "socket", refused)
    monkeypatch.setattr(socket, "create_connection", refused)
    monkeypatch.setattr(socket, "getaddrinfo", refused)
    result = run("check", AS_OF_ARG, "--format=json", "--sources", str(record_file), "--strict-sources")
    assert result.code == 1, result.err
    assert "source_drifted" in result.out


def test_the_record_beside_the_profiles_is_read_by_default(run: Run, tmp_path: Path) -> None:
    import shutil

    shutil.copytree(WORLD, tmp_path / "world")
    (tmp_path / "world" / "sources.json").write_text(json.dumps(world_record()), encoding="utf-8")
    report = json.loads(run("check", AS_OF_ARG, "--format=json", cwd=tmp_path / "world").out)
    assert verdict(report, "beta", "risk-report-cadence-parity")["flags"] == ["source_gone"]


def test_without_a_record_nothing_is_flagged_and_the_report_is_unchanged(run: Run) -> None:
    report = json.loads(run("check", AS_OF_ARG, "--format=json").out)
    assert not any(f.startswith("source_") for v in report["verdicts"] for f in v["flags"])
    assert not any("source" in e for v in report["verdicts"] for e in v["evidence"])


def test_strict_sources_fails_on_a_shortfall_resting_on_drifted_evidence(run: Run, record_file: Path) -> None:
    result = run("check", AS_OF_ARG, "--sources", str(record_file), "--strict-sources")
    assert result.code == 1
    lines = result.err.splitlines()
    assert (
        "parity: --strict-sources: alpha below on risk-report-cadence-parity cites https://alpha.example/rsp, "
        f"drifted when checked on {CHECKED}"
    ) in lines
    assert (
        lines[0]
        == f"parity: note: 7 evidence URLs are not in {record_file} yet; `parity sources` checks them"
    )
    assert all(line.startswith("parity: --strict-sources: ") for line in lines[1:])
    # without the option, the same record fails nothing
    assert run("check", AS_OF_ARG, "--sources", str(record_file)).code == 0


def test_a_quote_still_there_is_not_flagged_when_another_from_its_page_drifted(
    run: Run, tmp_path: Path
) -> None:
    doc = world_record()
    quotes = [{"quote": QUOTE, "found": True}, {"quote": "a quote another profile cites", "found": False}]
    doc["sources"] = [entry("https://alpha.example/rsp", "drifted", quotes=quotes)]  # type: ignore[index]
    path = tmp_path / "sources.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    result = run("check", AS_OF_ARG, "--format=json", "--sources", str(path), "--strict-sources")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert not any(f.startswith("source_") for v in report["verdicts"] for f in v["flags"])


def test_strict_sources_without_a_record_is_a_usage_error(run: Run, tmp_path: Path) -> None:
    result = run("check", AS_OF_ARG, "--strict-sources")
    assert result.code == 2
    assert "no source record at" in result.err
    missing = run("check", AS_OF_ARG, "--sources", str(tmp_path / "none.json"))
    assert missing.code == 2


# --- reading the record -------------------------------------------------------------------------------------


def test_a_record_that_is_not_json_is_located(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "sources.json"
    path.write_text('{\n  "schema": "parity/sources/v1",\n  "sources": [,]\n}\n', encoding="utf-8")
    result = run("check", AS_OF_ARG, "--sources", str(path))
    assert result.code == 2
    assert result.err.startswith(f"{path}:3:15: JSON syntax error: Expecting value")


def test_every_problem_of_a_record_is_located(tmp_path: Path) -> None:
    doc = world_record()
    doc["sources"][0]["status"] = "drifting"  # type: ignore[index]
    doc["sources"][2]["checked"] = "2026-02-30"  # type: ignore[index]
    path = tmp_path / "sources.json"
    path.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    with pytest.raises(LoadError) as caught:
        record.read(path)
    problems = [str(p) for p in caught.value.problems]
    lines = path.read_text(encoding="utf-8").splitlines()
    status_line = next(i for i, line in enumerate(lines, 1) if '"drifting"' in line)
    date_line = next(i for i, line in enumerate(lines, 1) if '"2026-02-30"' in line)
    assert any(
        p.startswith(f"{path}:{status_line}:") and "sources.0.status" in p and "drifting" in p
        for p in problems
    )
    assert any(p.startswith(f"{path}:{date_line}:") and "sources.2.checked" in p for p in problems)


def test_a_record_of_another_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "sources.json"
    path.write_text('{"schema": "parity/report/v1", "sources": []}', encoding="utf-8")
    with pytest.raises(LoadError, match="schema"):
        record.read(path)


def test_no_record_is_none(tmp_path: Path) -> None:
    assert record.read(tmp_path / "absent.json") is None
    (tmp_path / "dir.json").mkdir()
    with pytest.raises(LoadError, match="cannot read it"):
        record.read(tmp_path / "dir.json")


def test_the_record_round_trips_and_follows_its_schema(run: Run, record_file: Path) -> None:
    read = record.read(record_file)
    assert read is not None
    text = record.dumps(read)
    assert record.dumps(SourceRecord.model_validate(json.loads(text))) == text
    schema = json.loads(run("schema", "sources").out)
    assert list(jsonschema.Draft202012Validator(schema).iter_errors(json.loads(text))) == []


# --- merging ------------------------------------------------------------------------------------------------


def _entry(url: str, status: str, checked: dt.date, **fields: object) -> SourceEntry:
    return SourceEntry.model_validate(
        {"url": url, "status": status, "checked": checked, "since": checked, **fields}
    )


def test_merge_keeps_what_was_not_checked_and_refreshes_citations() -> None:
    data = parity.load(WORLD / "lab_profiles", WORLD / "rules", None)
    cited = citations(data)
    old_day, new_day = dt.date(2026, 11, 1), dt.date(2026, 12, 8)
    old = SourceRecord.model_validate(
        {
            "schema": SCHEMA,
            "sources": [
                _entry(
                    "https://alpha.example/rsp",
                    "drifted",
                    old_day,
                    archive_url="https://web.archive.org/web/1/x",
                ),
                _entry("https://beta.example/faq", "ok", old_day),
                _entry("https://gone.example/no-longer-cited", "ok", old_day),
            ],
        }
    )
    fresh = [
        _entry("https://alpha.example/rsp", "drifted", new_day),
        _entry("https://beta.example/api", "ok", new_day),
    ]
    merged = record.merge(old, fresh, cited, prune=False)
    by_url = merged.by_url()
    assert set(by_url) == {
        "https://alpha.example/rsp",
        "https://beta.example/faq",
        "https://beta.example/api",
        "https://gone.example/no-longer-cited",
    }
    rsp = by_url["https://alpha.example/rsp"]
    assert (rsp.checked, rsp.since) == (new_day, old_day)  # drifted since the first check that found it
    assert rsp.archive_url == "https://web.archive.org/web/1/x"  # the old copy is kept
    assert by_url["https://beta.example/faq"].checked == old_day  # not checked: as it was
    assert by_url["https://beta.example/faq"].cited_by[0].lab == "beta"  # but its citations are today's
    assert merged.checked_at == new_day
    assert [e.url for e in merged.sources] == sorted(by_url)
    pruned = record.merge(old, fresh, cited, prune=True).by_url()
    assert "https://gone.example/no-longer-cited" not in pruned


def test_a_status_that_changes_starts_again() -> None:
    before = _entry("https://a.example", "drifted", dt.date(2026, 11, 1))
    now = _entry("https://a.example", "ok", dt.date(2026, 12, 8))
    assert record.carried(before, now).since == dt.date(2026, 12, 8)


def test_citations_walk_every_evidence_of_the_data() -> None:
    data = parity.load(WORLD / "lab_profiles", WORLD / "rules", None)
    cited = citations(data)
    count = sum(len(p.evidence) for lab in data.labs.values() for p in lab.profile.practices.values())
    assert sum(len(c) for c in cited.values()) == count
    rsp = cited["https://alpha.example/rsp"]
    assert rsp == [Cited(rsp[0].evidence, "evidence[0]", lab="alpha", practice="risk_report_cadence_months")]
    assert list(cited) == sorted(cited)


def test_notes_keep_only_drifted_and_gone() -> None:
    read = SourceRecord.model_validate(world_record())
    notes = record.notes(read)
    assert set(notes) == {"https://alpha.example/rsp", "https://beta.example/reports"}
    assert notes["https://alpha.example/rsp"].missing == ((QUOTE, CLOSEST),)
    assert notes["https://beta.example/reports"].status == "gone"


def test_quote_checks_are_validated() -> None:
    with pytest.raises(ValueError):
        QuoteCheck(quote="q", found=False, similarity=1.5)


# --- the scorecard ------------------------------------------------------------------------------------------


def test_the_site_shows_tier_archive_and_what_the_record_found(run: Run, tmp_path: Path) -> None:
    import shutil

    from helpers import edit_file

    world = tmp_path / "world"
    shutil.copytree(WORLD, world)
    edit_file(
        world / "lab_profiles" / "alpha.yaml",
        f'        quote: "{QUOTE}"',
        f'        quote: "{QUOTE}"\n        tier: primary\n        archive: https://web.archive.org/web/20261201000000/https://alpha.example/rsp',
    )
    edit_file(
        world / "lab_profiles" / "beta.yaml",
        "url: https://beta.example/reports,",
        "url: https://beta.example/reports, tier: secondary,",
    )
    doc = world_record()
    doc["sources"][0]["quotes"][0]["closest"] = "<script>alert(1)</script> every twelve months"  # type: ignore[index]
    (world / "sources.json").write_text(json.dumps(doc), encoding="utf-8")
    out = tmp_path / "site"
    result = run("scorecard", "-o", str(out), AS_OF_ARG, cwd=world)
    assert result.code == 0, result.err
    page = (out / "labs" / "alpha.html").read_text(encoding="utf-8")
    assert '<span class="tier tier-primary"' in page and '<span class="tier tier-secondary"' in page
    assert (
        '<a href="https://web.archive.org/web/20261201000000/https://alpha.example/rsp" rel="noopener noreferrer">archived copy</a>'
        in page
    )
    assert f'quote not found when checked on <time datetime="{CHECKED}">{CHECKED}</time>' in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; every twelve months" in page and "<script>alert" not in page
    assert f'page gone when checked on <time datetime="{CHECKED}">' in page
    assert "source_drifted, source_gone" in page
    shortfalls = page.split('<table class="shortfalls">', 1)[1].split("</table>", 1)[0]
    assert (
        "⚠ a quote it cites was not found on its page" in shortfalls
        and "⚠ a page it cites is gone" in shortfalls
    )


# --- evidence: tier and archive -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("added", "message"),
    [
        ("tier: tertiary", "evidence.0.tier: expected one of 'primary' or 'secondary', got 'tertiary'"),
        (
            "tier: Primary",
            "evidence.0.tier: expected one of 'primary' or 'secondary', got 'Primary'; did you mean",
        ),
        ("archive: web.archive.org/x", "evidence.0.archive: evidence url must be an http(s) URL"),
        ("archive: 3", "evidence.0.archive: expected text, got 3"),
    ],
)
def test_tier_and_archive_are_validated_like_every_field(
    run: Run, tmp_path: Path, added: str, message: str
) -> None:
    import shutil

    from helpers import edit_file

    world = tmp_path / "world"
    shutil.copytree(WORLD, world)
    edit_file(
        world / "lab_profiles" / "alpha.yaml",
        f'        quote: "{QUOTE}"',
        f'        quote: "{QUOTE}"\n        {added}',
    )
    result = run("validate", cwd=world)
    assert result.code == 2
    assert f"lab_profiles/alpha.yaml:12:9: practices.risk_report_cadence_months.{message}" in result.err


def test_tier_and_archive_reach_the_report(run: Run, tmp_path: Path) -> None:
    import shutil

    from helpers import edit_file

    world = tmp_path / "world"
    shutil.copytree(WORLD, world)
    archived = "https://web.archive.org/web/20261201000000/https://alpha.example/rsp"
    edit_file(
        world / "lab_profiles" / "alpha.yaml",
        f'        quote: "{QUOTE}"',
        f'        quote: "{QUOTE}"\n        tier: primary\n        archive: {archived}',
    )
    report = json.loads(run("check", AS_OF_ARG, "--format=json", cwd=world).out)
    (first,) = verdict(report, "alpha", "risk-report-cadence-parity")["evidence"]  # type: ignore[misc]
    assert first["tier"] == "primary" and first["archive"] == archived
    assert Report.from_dict(report).to_dict() == report


# --- timelines: earlier entries and a rule's source ---------------------------------------------------------

TIMELINE_PACK = """
pack: p
version: "1"
indicators:
  pause_commitment:
    title: Pause commitment
    area: governance
    type: level
    levels: [none, conditional-delay, competitor-contingent-pause, unconditional-pause]
rules:
  - {id: pause-best, indicator: pause_commitment, bar: best, severity: high}
  - id: pause-pledge
    indicator: pause_commitment
    bar: {threshold: unconditional-pause}
    applies_to: [a]
    severity: critical
    in_force: 2023-09-19
    until: 2026-02-24
    source: [{url: "https://a.example/rsp-v1", date: 2023-09-19, quote: "we commit to pause"}]
    withdrawn: [{url: "https://news.example/dropped", date: 2026-02-24}]
"""
TIMELINE_A = """
id: a
name: A
practices:
  pause_commitment:
    value: conditional-delay
    since: 2026-02-24
    evidence: [{url: "https://news.example/dropped", date: 2026-02-24}]
    earlier:
      - value: competitor-contingent-pause
        since: 2024-10-15
        evidence: [{url: "https://a.example/rsp-v2", date: 2024-10-15}]
      - value: unconditional-pause
        since: 2023-09-19
        evidence: [{url: "https://a.example/rsp-v1", date: 2023-09-19}]
"""
TIMELINE_B = """
id: b
name: B
practices:
  pause_commitment:
    value: unconditional-pause
    evidence: [{url: "https://b.example/", date: 2023-01-01}]
"""


@pytest.fixture
def timeline(tree: Callable[..., Path]) -> Path:
    doc = {
        "schema": SCHEMA,
        "sources": [
            entry(
                "https://a.example/rsp-v1",
                "drifted",
                quotes=[{"quote": "we commit to pause", "found": False}],
            ),
            entry("https://a.example/rsp-v2", "gone"),
        ],
    }
    files = {
        "rules/p.yaml": TIMELINE_PACK,
        "lab_profiles/a.yaml": TIMELINE_A,
        "lab_profiles/b.yaml": TIMELINE_B,
    }
    return tree({**files, "sources.json": json.dumps(doc)})


def test_the_walk_finds_earlier_entries_and_rule_sources(timeline: Path) -> None:
    cited = citations(parity.load(timeline / "lab_profiles", timeline / "rules", None))
    where = {(c.lab or c.rule, c.field) for cs in cited.values() for c in cs}
    assert where == {
        ("a", "evidence[0]"),
        ("a", "earlier[0].evidence[0]"),
        ("a", "earlier[1].evidence[0]"),
        ("b", "evidence[0]"),
        ("pause-pledge", "source[0]"),
        ("pause-pledge", "withdrawn[0]"),
    }


def test_a_drifted_rule_source_and_a_gone_earlier_entry_flag_the_verdicts_they_support(
    run: Run, timeline: Path
) -> None:
    result = run("check", "--as-of=2025-06-01", "--format=json", cwd=timeline)
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert verdict(report, "a", "pause-pledge")["flags"] == [
        "source_drifted",
        "source_gone",
    ]  # its source; a's entry
    assert verdict(report, "a", "pause-best")["flags"] == ["source_gone"]  # the entry in force cites rsp-v2
    assert verdict(report, "b", "pause-best")["flags"] == []
    source = report["rules"]["pause-pledge"]["source"][0]
    assert source["source"] == {"status": "drifted", "checked": CHECKED, "closest": None}
    assert Report.from_dict(report).to_dict() == report
    # on a date when the drifted rule no longer judges and a's entry cites neither page, nothing is flagged
    later = json.loads(run("check", "--as-of=2026-03-01", "--format=json", cwd=timeline).out)
    assert not any(v["flags"] for v in later["verdicts"] if v["lab"] == "a")


def test_a_tier_on_a_withdrawn_source_leaves_the_rule_digest_alone(run: Run, timeline: Path) -> None:
    from helpers import edit_file

    def digest() -> str:
        report = json.loads(run("check", "--as-of=2025-06-01", "--format=json", cwd=timeline).out)
        return str(report["rules"]["pause-pledge"]["digest"])

    before = digest()
    edit_file(
        timeline / "rules" / "p.yaml",
        'withdrawn: [{url: "https://news.example/dropped", date: 2026-02-24}]',
        'withdrawn: [{url: "https://news.example/dropped", date: 2026-02-24, tier: secondary}]',
    )
    assert digest() == before
