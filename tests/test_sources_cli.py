"""`parity sources` end to end: the test world's URLs served from 127.0.0.1, the record written and merged,
the formats, the exit codes, --archive against a stand-in of the archive, the time budget."""

from __future__ import annotations

import json
import re
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import IO

import pytest
from helpers import WORLD, Result
from sources_server import answer, html, loopback_only, serving

from parity.vocabulary import today

Run = Callable[..., Result]
QUOTE = "publish Risk Reports every three to six months"
OK_PAGE = html("A page about the lab's policies, unchanged.")


@pytest.fixture(autouse=True)
def _no_connection_off_this_machine() -> Iterator[None]:
    with loopback_only():
        yield


@dataclass
class World:
    """The test world copied, its URLs pointing at a server on 127.0.0.1 that serves `routes`."""

    folder: Path
    routes: dict[str, object]
    base: str
    hits: list[str]

    def url(self, original: str) -> str:
        return re.sub(r"https://([a-z.]+)/", rf"{self.base}/\1/", original)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    routes: dict[str, object] = {
        "/alpha.example/rsp": html(f"We will {QUOTE}, as the policy says."),
        "/beta.example/reports": answer(404, b"gone"),
        "/gamma.example/blog": answer(403, b"no robots"),
        "*": OK_PAGE,
    }
    folder = tmp_path / "world"
    shutil.copytree(WORLD, folder)
    with serving(routes) as server:  # type: ignore[arg-type]
        for profile in (folder / "lab_profiles").glob("*.yaml"):
            text = profile.read_text(encoding="utf-8")
            profile.write_text(re.sub(r"https://([a-z.]+)/", rf"{server.base}/\1/", text), encoding="utf-8")
        yield World(folder, routes, server.base, server.hits)


def sources(run: Run, world: World, *args: str) -> Result:
    return run("sources", "--allow-private", *args, cwd=world.folder)


def written(world: World) -> dict[str, dict[str, object]]:
    doc = json.loads((world.folder / "sources.json").read_text(encoding="utf-8"))
    return {e["url"]: e for e in doc["sources"]}


def test_a_run_checks_every_url_and_writes_the_record(run: Run, world: World) -> None:
    result = sources(run, world, "--format=json")
    assert result.code == 0, result.err
    out = json.loads(result.out)
    assert out["schema"] == "parity/sources/v1"
    statuses = {e["url"]: e["status"] for e in out["sources"]}
    assert len(statuses) == 11
    assert statuses[world.url("https://alpha.example/rsp")] == "ok"
    assert statuses[world.url("https://beta.example/reports")] == "gone"
    assert statuses[world.url("https://gamma.example/blog")] == "blocked"
    assert {s for u, s in statuses.items() if "rsp" not in u and "reports" not in u and "blog" not in u} == {
        "ok"
    }
    kept = written(world)
    assert set(kept) == set(statuses)
    rsp = kept[world.url("https://alpha.example/rsp")]
    assert rsp["checked"] == rsp["since"] == today().isoformat()
    assert rsp["quotes"] == [{"quote": QUOTE, "found": True}]
    assert rsp["cited_by"] == [
        {"field": "evidence[0]", "lab": "alpha", "practice": "risk_report_cadence_months"}
    ]


def test_the_table_and_markdown_say_what_was_found(run: Run, world: World) -> None:
    world.routes["/alpha.example/rsp"] = html("We will publish Risk Reports every twelve months.")
    table = sources(run, world, "--no-write")
    assert table.code == 0
    assert table.out.startswith(
        f"parity sources: 11 URLs checked on {today().isoformat()}: 8 ok, 1 drifted, 1 gone, 1 blocked\n"
    )
    assert "drifted: " in table.out and f"  quoted: {QUOTE}" in table.out
    assert "  closest (" in table.out and "every twelve months" in table.out
    markdown = sources(run, world, "--no-write", "--format=markdown")
    assert "| status" in markdown.out and f"- quoted: {QUOTE}" in markdown.out
    assert not (world.folder / "sources.json").exists()  # --no-write


def test_fail_on_drift_exits_1_on_drifted_or_gone(run: Run, world: World) -> None:
    assert sources(run, world, "--fail-on-drift").code == 1  # beta's reports are gone
    world.routes["/beta.example/reports"] = OK_PAGE
    assert sources(run, world, "--fail-on-drift").code == 0
    world.routes["/alpha.example/rsp"] = html("Nothing about reports any more.")
    assert sources(run, world, "--fail-on-drift").code == 1


def test_a_subset_merges_and_never_clobbers(run: Run, world: World) -> None:
    assert sources(run, world).code == 0
    before = written(world)
    world.routes["/beta.example/reports"] = OK_PAGE
    result = sources(run, world, "--lab", "gamma", "--format=json")
    assert result.code == 0, result.err
    checked = {e["url"] for e in json.loads(result.out)["sources"]}
    assert checked == {world.url("https://gamma.example/blog"), world.url("https://gamma.example/security")}
    after = written(world)
    assert set(after) == set(before)
    assert after[world.url("https://beta.example/reports")]["status"] == "gone"  # not re-checked: kept
    one = world.url("https://beta.example/reports")
    assert sources(run, world, "--url", one).code == 0
    assert written(world)[one]["status"] == "ok"
    assert {u: e for u, e in written(world).items() if u != one} == {
        u: e for u, e in after.items() if u != one
    }


def test_older_than_checks_only_what_is_old(run: Run, world: World) -> None:
    assert sources(run, world).code == 0
    result = sources(run, world, "--older-than", "7", "--format=json")
    assert json.loads(result.out)["sources"] == []  # everything was checked today
    path = world.folder / "sources.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["sources"][0]["checked"] = "2000-01-01"
    path.write_text(json.dumps(doc), encoding="utf-8")
    again = json.loads(sources(run, world, "--older-than", "7", "--format=json").out)
    assert [e["url"] for e in again["sources"]] == [doc["sources"][0]["url"]]


def test_unknown_lab_or_url_and_a_bad_record_are_input_errors(run: Run, world: World) -> None:
    unknown = sources(run, world, "--lab", "alpah")
    assert unknown.code == 2 and "did you mean 'alpha'?" in unknown.err
    assert sources(run, world, "--url", "https://nowhere.example/").code == 2
    (world.folder / "sources.json").write_text(
        '{"schema": "parity/sources/v1", "sources": 3}', encoding="utf-8"
    )
    bad = sources(run, world)
    assert bad.code == 2 and "sources.json:1:" in bad.err and "sources" in bad.err


def test_without_allow_private_loopback_is_refused_and_recorded_unreachable(run: Run, world: World) -> None:
    result = run("sources", "--format=json", "--no-write", cwd=world.folder)
    assert result.code == 0
    entries = json.loads(result.out)["sources"]
    assert {e["status"] for e in entries} == {"unreachable"}
    assert all("127.0.0.1" in e["error"] and "loopback" in e["error"] for e in entries)
    assert world.hits == []


def test_archive_asks_the_archive_and_records_the_copy(
    run: Run, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []

    def save(handler: BaseHTTPRequestHandler) -> None:
        target = handler.path.removeprefix("/save/")
        asked.append(target)
        answer(200, b"saved", "text/html", Content_Location=f"/web/20261208120000/{target}")(handler)

    world.routes["/save/*"] = save
    monkeypatch.setenv("PARITY_ARCHIVE_ENDPOINT", f"{world.base}/save/")
    monkeypatch.setenv("PARITY_ARCHIVE_AUTH", "LOW key:secret")
    assert sources(run, world, "--archive").code == 0
    kept = written(world)
    rsp = world.url("https://alpha.example/rsp")
    assert kept[rsp]["archive_url"] == f"{world.base}/web/20261208120000/{rsp}"
    assert rsp in asked
    assert world.url("https://beta.example/reports") not in asked  # gone: nothing to keep
    assert "secret" not in (world.folder / "sources.json").read_text(encoding="utf-8")
    # the archive failing keeps the copy from before, and says why
    world.routes["/save/*"] = answer(429, b"", Retry_After="3600")
    assert sources(run, world, "--archive", "--url", rsp).code == 0
    again = written(world)[rsp]
    assert again["archive_url"] == kept[rsp]["archive_url"]
    assert "HTTP 429" in str(again["archive_error"])


def test_the_time_budget_leaves_the_rest_for_next_time(run: Run, world: World) -> None:
    def hang(handler: BaseHTTPRequestHandler) -> None:
        handler.server.stop.wait(30)  # type: ignore[attr-defined]

    world.routes["*"] = hang
    assert sources(run, world, "--timeout", "3", "--per-host", "1", "--time-budget", "1").code == 0
    first = written(world)
    start = time.monotonic()
    result = sources(run, world, "--timeout", "3", "--per-host", "1", "--time-budget", "1", "--format=json")
    assert time.monotonic() - start < 1 + 3 + 2  # the budget, and one read timeout for what was in flight
    assert "not checked within the time budget (1 s); their record is unchanged" in result.err
    out = json.loads(result.out)
    assert len(out["sources"]) < 11
    assert written(world).keys() >= first.keys()


def test_record_is_written_atomically(run: Run, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    import parity.cli

    assert sources(run, world).code == 0
    before = (world.folder / "sources.json").read_text(encoding="utf-8")

    def full_disk(text: str, out: IO[str]) -> None:
        out.write(text[:100])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(parity.cli, "_write_text", full_disk)
    result = sources(run, world)
    assert result.code == 2
    assert "No space left on device" in result.err
    assert (world.folder / "sources.json").read_text(encoding="utf-8") == before
    assert [p.name for p in world.folder.iterdir() if p.name.startswith(".sources.json")] == []


def test_a_terminal_gets_a_progress_bar_and_a_pipe_none(
    run: Run, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io
    import sys

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert "parity sources" not in sources(run, world, "--no-write").err  # stderr is not a terminal here
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert sources(run, world, "--no-write").code == 0
    drawn = terminal.getvalue()
    assert "\rparity sources:   0%| " in drawn and "/11 [" in drawn  # drawn over itself, then cleared


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--timeout", "0", "expected a number of seconds from 0 to 86400, got '0'"),
        ("--timeout", "soon", "expected a number of seconds"),
        ("--time-budget", "-5", "expected a number of seconds"),
        ("--max-size", "0", "expected a whole number of megabytes from 1 to 1024, got '0'"),
        ("--per-host", "100", "expected a whole number from 1 to 64, got '100'"),
        ("--older-than", "0", "expected a whole number of days"),
    ],
)
def test_bad_option_values_are_usage_errors(run: Run, option: str, value: str, message: str) -> None:
    result = run("sources", option, value)
    assert result.code == 2
    assert message in result.err
