"""`--format csv`: RFC 4180 rows (one per verdict, or per change of a diff), read back with the standard
library's `csv` and compared with the JSON report field by field; the columns are the documented ones;
profile text can neither break a row nor run as a spreadsheet formula."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import AS_OF, AS_OF_ARG, GOLDEN, ROOT, SHIPPED_AS_OF, WORLD, Result, edit_file

import parity
from parity.formats.csv import CHECK_COLUMNS, DIFF_COLUMNS, text_cell

Run = Callable[..., Result]


def _read(text: str) -> list[dict[str, str]]:
    """Rows read back as a spreadsheet would: the csv module over the exact bytes (newline='')."""
    lines = text.split("\r\n")
    assert lines[-1] == "", "the last record ends with CRLF"
    rows = list(csv.reader(io.StringIO(text, newline="")))
    header, body = rows[0], rows[1:]
    assert all(len(row) == len(header) for row in body), "every record has every field"
    return [dict(zip(header, row, strict=True)) for row in body]


def _shown(value: object) -> str:
    """A JSON value as the CSV writes it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _compare(rows: list[dict[str, str]], doc: dict[str, object]) -> None:
    verdicts = doc["verdicts"]
    assert isinstance(verdicts, list) and len(rows) == len(verdicts)
    versions = {p["pack"]: p["version"] for p in doc["packs"]}  # type: ignore[attr-defined]
    for row, v in zip(rows, verdicts, strict=True):
        bar, replies = v["bar"], v.get("responses", [])
        waiver = v.get("waiver") or {}
        expected = {
            "as_of": doc["as_of"],
            "parity_version": doc["parity_version"],
            "lab": v["lab"],
            "lab_name": doc["labs"][v["lab"]]["name"],  # type: ignore[index]
            "rule": v["rule"],
            "title": v["title"],
            "pack": v["pack"],
            "pack_version": versions[v["pack"]],
            "area": v["area"],
            "indicator": v["indicator"],
            "severity": v["severity"],
            "status": v["status"],
            "waived_status": waiver.get("underlying", ""),
            "state": v["state"],
            "value": _shown(v["value"]),
            "bar_kind": bar["kind"],
            "bar": _shown(bar["value"]),
            "set_by": " ".join(bar["set_by"]),
            "set_by_count": str(bar["set_by_count"]),
            "peers_disclosed": str(bar["peers_disclosed"]),
            "blocked_by": " ".join(bar.get("blocked_by") or []),
            "gap": _shown(v["gap"]),
            "flags": " ".join(v["flags"]),
            "due": v.get("due", ""),
            "overdue": _shown(v.get("overdue")),
            "evidence_urls": " ".join(e["url"] for e in v["evidence"]),
            "evidence_dates": " ".join(e["date"] for e in v["evidence"]),
            "file": v["location"]["file"],
            "line": str(v["location"]["line"]),
            "waiver_reason": waiver.get("reason", ""),
            "waiver_expires": waiver.get("expires", ""),
            "responses": str(len(replies)),
            "response_stance": replies[-1].get("stance", "") if replies else "",
            "response_date": replies[-1].get("date", "") if replies else "",
            "response_asked": replies[-1].get("asked", "") if replies else "",
            "response_url": replies[-1].get("url", "") if replies else "",
            "response_quote": replies[-1].get("quote", "") if replies else "",
        }
        got = {k: row[k] for k in expected}
        assert got == expected, (v["lab"], v["rule"])


def test_check_csv_reads_back_as_the_json_report(run: Run, request: pytest.FixtureRequest) -> None:
    text = run("check", AS_OF_ARG, "--format=csv").out
    pinned = GOLDEN / "check.csv"  # compared as bytes: its CRLF line ends are the format
    if request.config.getoption("--update-golden"):
        pinned.write_bytes(text.encode("utf-8"))
    assert text.encode("utf-8") == pinned.read_bytes(), f"output differs from {pinned}"
    rows = _read(text)
    assert list(rows[0]) == list(CHECK_COLUMNS)
    _compare(rows, json.loads(run("check", AS_OF_ARG, "--format=json").out))
    cadence = next(r for r in rows if (r["lab"], r["rule"]) == ("alpha", "recent-risk-report"))
    assert (cadence["gap"], cadence["gap_unit"], cadence["due"], cadence["overdue"]) == (
        "87",
        "days",
        "2026-08-31",
        "87",
    )
    replied = next(r for r in rows if (r["lab"], r["rule"]) == ("alpha", "risk-report-cadence-parity"))
    assert (replied["responses"], replied["response_stance"], replied["response_date"]) == (
        "1",
        "disputes",
        "2026-10-09",
    )


def test_the_shipped_data_as_csv_reads_back_as_its_json(run: Run) -> None:
    as_of = f"--as-of={SHIPPED_AS_OF.isoformat()}"
    rows = _read(run("check", as_of, "--format=csv", cwd=ROOT).out)
    _compare(rows, json.loads(run("check", as_of, "--format=json", cwd=ROOT).out))


def test_profile_text_cannot_break_a_row_or_run_as_a_formula(tmp_path: Path, run: Run) -> None:
    root = tmp_path / "w"
    shutil.copytree(WORLD, root)
    edit_file(
        root / "lab_profiles/alpha.yaml", "name: Alpha AI", 'name: "=HYPERLINK(\\"https://x.example\\")"'
    )
    edit_file(
        root / "lab_profiles/alpha.yaml",
        '"Our policy promises a report every three to six months; six is within it."',
        '"line one,\\n\\"two\\"\\r\\n@three \\x1b[31m"',
    )
    rows = _read(run("check", AS_OF_ARG, "--format=csv", cwd=root).out)
    alpha = [r for r in rows if r["lab"] == "alpha"]
    assert {r["lab_name"] for r in alpha} == {'\'=HYPERLINK("https://x.example")'}
    (replied,) = [r for r in alpha if r["response_stance"]]
    assert replied["response_quote"] == 'line one,\\n"two"\\r\\n@three \\x1b[31m'
    # a tab or a carriage return is escaped (\\t) before it could start a formula
    assert [text_cell(t) for t in ("-1", "+1", "@a", "=a", "\tx", "ok", "")] == [
        "'-1",
        "'+1",
        "'@a",
        "'=a",
        "\\tx",
        "ok",
        "",
    ]


def test_a_diff_as_csv_reads_back_as_its_json(run: Run, repo: Path) -> None:
    edit_file(repo / "lab_profiles/beta.yaml", "value: 3\n", "value: 9\n")
    doc = json.loads(run("diff", "main", AS_OF_ARG, "--format=json", cwd=repo).out)
    rows = _read(run("diff", "main", AS_OF_ARG, "--format=csv", cwd=repo).out)
    assert rows and list(rows[0]) == list(DIFF_COLUMNS)
    assert len(rows) == len(doc["changes"])
    for row, c in zip(rows, doc["changes"], strict=True):
        before, after = c["before"] or {}, c["after"] or {}
        assert row["as_of"] == doc["as_of"] and row["base"] == "main" and row["head"] == "worktree"
        assert row["base_commit"] == doc["base"]["commit"]
        assert (row["lab"], row["rule"], row["change"], row["cause"], row["severity"]) == (
            c["lab"],
            c["rule"],
            c["change"],
            c["cause"],
            c["severity"],
        )
        assert row["moved_by"] == " ".join(c.get("moved_by", []))
        assert (row["before_status"], row["after_status"]) == (
            before.get("status", ""),
            after.get("status", ""),
        )
        assert (row["before_value"], row["after_value"]) == (
            _shown(before.get("value")),
            _shown(after.get("value")),
        )
        assert (row["before_bar"], row["after_bar"]) == (_shown(before.get("bar")), _shown(after.get("bar")))
        assert row["pack_version_changed"] == _shown(c.get("pack_version_changed", False))


def test_an_empty_report_is_a_header() -> None:
    data = parity.load(WORLD / "lab_profiles", WORLD / "rules")
    empty = dataclasses.replace(parity.evaluate(data, as_of=AS_OF), verdicts=[])
    assert parity.render(empty, "csv") == ",".join(CHECK_COLUMNS) + "\r\n"


@pytest.mark.parametrize(("columns", "section"), [(CHECK_COLUMNS, "check"), (DIFF_COLUMNS, "diff")])
def test_every_column_is_documented_in_order(columns: dict[str, str], section: str) -> None:
    doc = (ROOT / "docs" / "report.md").read_text(encoding="utf-8")
    part = doc.split(f"<!-- csv {section} columns -->", 1)[1].split("\n\n", 1)[0]
    documented = re.findall(r"^\| `([a-z_]+)` \| (.*) \|$", part, re.MULTILINE)
    assert documented == list(columns.items())
