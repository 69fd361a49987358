"""An edition of the scorecard: what changed since the last one (a page and an Atom feed with stable ids,
read back with feedparser as a feed reader would), the watchdog's corrections, the open data (the
verdicts and a lab x rule matrix as CSV, the history JSON), a citation on every page, and `--site-url`
(absolute addresses; each rule's page as SARIF's helpUri). The labs are the test world's fictional ones."""

from __future__ import annotations

import csv
import dataclasses
import html
import io
import json
import re
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote, urljoin, urlsplit

import feedparser
import jsonschema
import pytest
from helpers import AS_OF, WORLD, Result, edit_file, git
from site_helpers import Page, site_files

import parity
from parity.formats.csv import CHECK_COLUMNS
from parity.report.schemas import SCHEMAS
from parity.site import Publication
from parity.site.view import Pages

Run = Callable[..., Result]
ATOM = "{http://www.w3.org/2005/Atom}"
SITE = "https://watchdog.example/scorecard/"
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


@pytest.fixture
def editions(tmp_path: Path) -> Path:
    """The world in git: a first edition's commit (2026-09-01), then a second (2026-10-01) where beta
    reports less often (its own change), gamma's security level fell on 2026-10-15 (a dated state: a
    regression by the data's dates), and beta's security source was corrected (the watchdog's record)."""
    root = tmp_path / "watchdog"
    shutil.copytree(WORLD, root)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "first edition", date="2026-09-01")
    edit_file(root / "lab_profiles/beta.yaml", "    value: 3\n", "    value: 9\n")
    edit_file(
        root / "lab_profiles/beta.yaml", "https://beta.example/security,", "https://beta.example/security-v2,"
    )
    edit_file(
        root / "lab_profiles/gamma.yaml",
        "  weight_security_level:\n    value: SL1\n    evidence: [{url: https://gamma.example/security, date: 2026-01-20}]\n",
        "  weight_security_level:\n    value: SL1\n    since: 2026-10-15\n"
        "    evidence: [{url: https://gamma.example/security-oct, date: 2026-10-15, quote: We now keep weights at SL1.}]\n"
        "    earlier:\n      - value: SL2\n        since: 2025-01-01\n"
        "        evidence: [{url: https://gamma.example/security, date: 2026-01-20}]\n",
    )
    git(root, "commit", "-q", "-am", "beta reports less often; gamma's security timeline", date="2026-10-01")
    return root


def _scorecard(run: Run, root: Path, out: Path, *args: str) -> dict[str, bytes]:
    result = run("scorecard", "-o", str(out), "--as-of=2026-11-26", *args, cwd=root)
    assert result.code == 0, result.err
    return site_files(out)


def test_what_changed_since_a_revision(run: Run, editions: Path, tmp_path: Path) -> None:
    files = _scorecard(run, editions, tmp_path / "site", "--previous=main~1")
    page = files["changes.html"].decode()
    assert (
        'Since the edition as of <time datetime="2026-09-01">2026-09-01</time>' in page
    )  # the commit's date
    assert (
        "Beta Labs now falls short: Publishes risk reports as often as the most transparent competitor"
        in page
    )
    # the cause in the words of every format of `parity diff`: what changed, and who moved the bar
    assert "cause: the lab&#39;s own profile changed (risk_report_cadence_months 3 -&gt; 9)." in page
    assert "Alpha AI no longer falls short" in page
    assert (
        "cause: competitors did less: the bar fell from best: 3 to best: 9 "
        "(risk_report_cadence_months: beta 3 -&gt; 9)." in page
    )
    regression = page.split("<strong>Regression</strong>", 1)[1].split('<li class="entry', 1)[0]
    assert "2026-10-15" in regression and "lowered from SL2 to SL1" in regression
    assert (
        "https://gamma.example/security-oct" in regression and 'https://gamma.example/security"' in regression
    )
    correction = page.split("<strong>Correction</strong>", 1)[1].split('<li class="entry', 1)[0]
    assert "weight_security_level: its evidence or note" in correction
    log = files["corrections.html"].decode()
    assert "weight_security_level</code>: its evidence or note" in log
    assert "beta reports less often" in log  # the commit's title
    for name in ("changes.html", "corrections.html", "feed.xml"):
        assert name in files
    nav = Page(files["index.html"].decode()).links
    assert {"changes.html", "corrections.html", "data.html"} <= set(nav)


def test_a_saved_report_as_the_previous_edition_gives_the_same_changes(
    run: Run, editions: Path, tmp_path: Path
) -> None:
    git(editions, "stash", "-q") if git(editions, "status", "--porcelain").strip() else None
    git(editions, "checkout", "-q", "main~1")
    saved = tmp_path / "previous.json"
    saved.write_text(run("check", "--as-of=2026-09-01", "--format=json", cwd=editions).out, encoding="utf-8")
    git(editions, "checkout", "-q", "main")
    by_revision = _scorecard(run, editions, tmp_path / "a", "--previous=main~1")
    by_report = _scorecard(run, editions, tmp_path / "b", f"--previous={saved}")
    entries = [_entries(files["changes.html"]) for files in (by_revision, by_report)]
    assert entries[0] == entries[1]
    assert {"new", "resolved", "regression", "correction"} <= set(entries[0])


def _entries(page: bytes) -> list[str]:
    return re.findall(r'<li class="entry entry-([a-z]+)">', page.decode())


def test_the_feed_is_valid_atom_with_stable_ids(run: Run, editions: Path, tmp_path: Path) -> None:
    first = _scorecard(
        run,
        editions,
        tmp_path / "a",
        "--previous=main~1",
        f"--site-url={SITE}",
        "--publisher=Example Watchdog",
    )
    again = _scorecard(
        run,
        editions,
        tmp_path / "b",
        "--previous=main~1",
        f"--site-url={SITE}",
        "--publisher=Example Watchdog",
    )
    assert first["feed.xml"] == again["feed.xml"]  # the same inputs, the same bytes (and ids)
    parsed = feedparser.parse(first["feed.xml"])
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert parsed.feed.title == "parity scorecard: what changed"
    assert parsed.feed.author == "Example Watchdog"
    assert [link.href for link in parsed.feed.links] == [f"{SITE}feed.xml", f"{SITE}changes.html"]
    kinds = [e.tags[0].term for e in parsed.entries]
    assert kinds == _entries(first["changes.html"])  # the same entries as the page, in its order
    ids = [e.id for e in parsed.entries]
    assert len(set(ids)) == len(ids) and all(re.fullmatch(r"urn:uuid:[0-9a-f-]{36}", i) for i in ids)
    for e in parsed.entries:
        assert e.link.startswith(SITE) and e.link[len(SITE) :] in first, e.link
        assert e.summary and e.updated_parsed
    # another site's feed shares no id; an unchanged change keeps its id in the next edition's feed
    other = _scorecard(
        run, editions, tmp_path / "c", "--previous=main~1", "--site-url=https://other.example/"
    )
    assert not set(ids) & {e.id for e in feedparser.parse(other["feed.xml"]).entries}
    edit_file(editions / "lab_profiles/alpha.yaml", "name: Alpha AI", "name: Alpha AI Inc.")
    later = _scorecard(run, editions, tmp_path / "d", "--previous=main~1", f"--site-url={SITE}")
    assert set(ids) == {e.id for e in feedparser.parse(later["feed.xml"]).entries}


def test_the_feed_holds_what_rfc_4287_requires(run: Run, editions: Path, tmp_path: Path) -> None:
    files = _scorecard(run, editions, tmp_path / "site", "--previous=main~1")
    root = ET.fromstring(files["feed.xml"])
    assert root.tag == f"{ATOM}feed"

    def one(element: ET.Element, tag: str) -> ET.Element:
        found = element.findall(f"{ATOM}{tag}")
        assert len(found) == 1, (element.tag, tag)
        return found[0]

    for tag in ("id", "title", "updated"):
        one(root, tag)
    assert one(one(root, "author"), "name").text
    assert RFC3339.match(one(root, "updated").text or "")
    assert [link.get("rel") for link in root.findall(f"{ATOM}link")].count("self") == 1
    entries = root.findall(f"{ATOM}entry")
    assert entries
    base = root.get("{http://www.w3.org/XML/1998/namespace}base") or ""
    for entry in entries:
        assert (one(entry, "id").text or "").startswith("urn:uuid:")  # an absolute IRI, as atom:id must be
        assert RFC3339.match(one(entry, "updated").text or "")
        one(entry, "title")
        assert one(entry, "summary").get("type") == "text"
        (link,) = [x for x in entry.findall(f"{ATOM}link") if x.get("rel") == "alternate"]
        target = urlsplit(urljoin("https://x.example/site/" + base.lstrip("./"), link.get("href") or "")).path
        assert target.removeprefix("/site/") in files


def test_profile_text_in_the_feed_is_escaped(run: Run, editions: Path, tmp_path: Path) -> None:
    edit_file(editions / "lab_profiles/beta.yaml", "name: Beta Labs", 'name: "Beta <b>&</b> \\x1b[31m"')
    files = _scorecard(run, editions, tmp_path / "site", "--previous=main~1")
    parsed = feedparser.parse(files["feed.xml"])
    assert not parsed.bozo
    (new,) = [e for e in parsed.entries if e.tags[0].term == "new"]
    assert "Beta <b>&</b> \\x1b[31m" in new.title  # the text as written; no control character sent
    assert b"\x1b" not in files["feed.xml"]


def test_without_git_the_corrections_are_said_to_be_unknown(run: Run, tmp_path: Path) -> None:
    root = shutil.copytree(WORLD, tmp_path / "plain")
    saved = tmp_path / "previous.json"
    saved.write_text(run("check", "--as-of=2026-09-01", "--format=json", cwd=root).out, encoding="utf-8")
    files = _scorecard(run, root, tmp_path / "site", f"--previous={saved}")
    assert (
        "The watchdog's corrections are not listed: the data is not in a git repository"
        in files["changes.html"].decode()
    )
    assert "The data is not in a git repository" in files["corrections.html"].decode()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--previous=no-such-rev"], "'no-such-rev': no such revision"),
        (["--site-url=ftp://a.example/"], "--site-url: expected the http(s) address"),
        (["--site-url=https://a.example/?x=1"], "--site-url: expected the http(s) address"),
    ],
)
def test_bad_edition_options_are_usage_errors(
    run: Run, editions: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    result = run("scorecard", "-o", str(tmp_path / "site"), "--as-of=2026-11-26", *args, cwd=editions)
    assert result.code == 2 and message in result.err, result.err
    assert not (tmp_path / "site").exists()


def test_a_saved_report_that_is_not_one_is_a_located_error(run: Run, editions: Path, tmp_path: Path) -> None:
    bad = tmp_path / "previous.json"
    bad.write_text('{"schema": "nope"}', encoding="utf-8")
    result = run("scorecard", "-o", str(tmp_path / "site"), f"--previous={bad}", cwd=editions)
    assert result.code == 2 and f"{bad}:1:1: schema: is 'nope': not a parity report" in result.err, result.err


# --- open data, citations, the site's address ------------------------------------------------------------


def test_the_site_offers_the_verdicts_and_a_matrix_as_csv(run: Run, tmp_path: Path) -> None:
    files = _scorecard(run, WORLD, tmp_path / "site")
    assert files["verdicts.csv"].decode() == run("check", "--as-of=2026-11-26", "--format=csv").out
    report = json.loads(files["report.json"])
    rows = list(csv.reader(io.StringIO(files["matrix.csv"].decode(), newline="")))
    rules = sorted({v["rule"] for v in report["verdicts"]})
    assert rows[0] == ["lab", *rules]
    assert [r[0] for r in rows[1:]] == list(report["labs"])
    status = {(v["lab"], v["rule"]): v["status"] for v in report["verdicts"]}
    for row in rows[1:]:
        assert row[1:] == [status.get((row[0], rule), "") for rule in rules]
    data = files["data.html"].decode()
    for name in ("report.json", "verdicts.csv", "matrix.csv", "scorecard.md", "badges/alpha.json"):
        assert f'href="{name}"' in data, name
    assert all(f"<code>{c}</code>" in data for c in CHECK_COLUMNS)
    assert "history.json" not in files and "feed.xml" not in files and "changes.html" not in files


def _badges(page: str) -> list[dict[str, str | None]]:
    return [attrs for tag, attrs in Page(page).tags if tag == "a" and attrs.get("class") == "badge"]


def test_each_badge_links_to_its_lab_page_with_its_date_in_the_tooltip(run: Run, tmp_path: Path) -> None:
    """Issue: a badge's endpoint was shown unlinked, and nothing said when its number was computed."""
    files = _scorecard(run, WORLD, tmp_path / "site")
    labs = json.loads(files["report.json"])["labs"]
    on_data = _badges(files["data.html"].decode())
    assert [b["href"] for b in on_data] == [f"labs/{lab}.html" for lab in labs]
    for lab in labs:
        (own,) = _badges(files[f"labs/{lab}.html"].decode())
        assert own["href"] == f"../labs/{lab}.html"
        assert "as of 2026-11-26" in (own["title"] or "")
        badge = json.loads(files[f"badges/{lab}.json"])
        assert badge["message"].endswith(" · 2026-11-26")  # the badge says its date wherever it is shown
    assert all("as of 2026-11-26" in (b["title"] or "") for b in on_data)
    assert "img.shields.io" not in files["labs/alpha.html"].decode()  # no address: nothing to paste


def test_with_the_sites_address_a_lab_page_gives_the_badge_to_paste(run: Run, tmp_path: Path) -> None:
    files = _scorecard(run, WORLD, tmp_path / "site", f"--site-url={SITE}")
    (paste,) = [
        html.unescape(p)
        for p in re.findall(r'<code class="paste">(.*?)</code>', files["labs/alpha.html"].decode())
    ]
    endpoint = quote(f"{SITE}badges/alpha.json", safe="")
    assert paste == (
        f"[![parity: Alpha AI](https://img.shields.io/endpoint?url={endpoint})]"
        f'({SITE}labs/alpha.html "parity: Alpha AI, as of the date on the badge")'
    )


def test_a_lab_name_cannot_break_the_badge_markdown(tmp_path: Path) -> None:
    data = parity.load(WORLD / "lab_profiles", WORLD / "rules")
    report = parity.evaluate(data, as_of=AS_OF)
    named = dataclasses.replace(report.labs["alpha"], name='A](javascript:x) "b" [c')
    hostile = dataclasses.replace(report, labs={**report.labs, "alpha": named})
    markdown = Pages(hostile, data, {}, Publication(SITE)).badge("alpha", "")["markdown"]
    assert markdown is not None
    alt = markdown[3 : markdown.index("](https://img.shields.io")]
    assert re.sub(r"\\[\[\]]", "", alt) == "parity: A(javascript:x) 'b' c"  # every bracket escaped
    assert markdown.count('"') == 2 and markdown.endswith(', as of the date on the badge")')


def test_the_history_json_is_offered_with_the_charts(run: Run, tmp_path: Path) -> None:
    files = _scorecard(run, WORLD, tmp_path / "site", "--history")
    doc = json.loads(files["history.json"])
    jsonschema.validate(doc, SCHEMAS["history"]())
    assert doc["mode"] == "dates"
    assert 'href="history.json"' in files["data.html"].decode()


def test_every_page_says_how_to_cite_it(run: Run, tmp_path: Path) -> None:
    plain = _scorecard(run, WORLD, tmp_path / "plain")
    published = _scorecard(run, WORLD, tmp_path / "pub", f"--site-url={SITE}", "--publisher=Example Watchdog")
    for name, body in plain.items():
        if not name.endswith(".html"):
            continue
        text = body.decode()
        assert '<h2 id="cite">How to cite this page</h2>' in text, name
        assert (
            "parity scorecard, as of 2026-11-26 (parity " in text
            and "packs: pledges 0.3.0, transparency 1.2.0" in text
        )
        cited = published[name].decode().split('<p class="citation">', 1)[1].split("</p>", 1)[0]
        assert cited.startswith("Example Watchdog. “") and f'href="{SITE}{name}"' in cited, name
    assert "watchdog.example" not in plain["labs/alpha.html"].decode()


def test_site_url_makes_each_rule_page_the_sarif_help(run: Run, tmp_path: Path) -> None:
    sarif = json.loads(run("check", "--as-of=2026-11-26", "--format=sarif", f"--site-url={SITE[:-1]}").out)
    rules = sarif["runs"][0]["tool"]["driver"]["rules"]
    assert {r["id"]: r["helpUri"] for r in rules} == {r["id"]: f"{SITE}rules/{r['id']}.html" for r in rules}
    doc = json.loads(run("check", "--as-of=2026-11-26", "--format=json", f"--site-url={SITE}").out)
    jsonschema.validate(doc, SCHEMAS["report"]())
    assert doc["rules"]["security-floor"]["page"] == f"{SITE}rules/security-floor.html"
    files = _scorecard(run, WORLD, tmp_path / "site", f"--site-url={SITE}")
    assert json.loads(files["report.json"]) == doc  # the site's report.json says where its pages are
    plain = json.loads(run("check", "--as-of=2026-11-26", "--format=json").out)
    assert "page" not in plain["rules"]["security-floor"]


def test_every_link_of_an_edition_resolves(run: Run, editions: Path, tmp_path: Path) -> None:
    files = _scorecard(run, editions, tmp_path / "site", "--previous=main~1", "--history")
    reached = set()
    for name, body in files.items():
        if not name.endswith(".html"):
            continue
        page = Page(body.decode())
        for link in page.links:
            if link.startswith(("http://", "https://")):
                continue
            target = urlsplit(urljoin(f"https://x.example/{name}", link))
            path = target.path.lstrip("/")
            assert path in files, f"{name}: {link}"
            if target.fragment:
                assert target.fragment in Page(files[path].decode()).ids, f"{name}: {link}"
            reached.add(path)
    assert set(files) - reached == {".parity-site"}


def test_every_rule_page_shows_the_text_the_rule_encodes(run: Run, tmp_path: Path) -> None:
    from helpers import ROOT

    files = _scorecard_at(run, ROOT, tmp_path / "site", "--as-of=2026-12-01")
    report = json.loads(files["report.json"])
    for rule, info in report["rules"].items():
        page = files[f"rules/{rule}.html"].decode()
        assert '<h3 id="sources">The text this rule encodes</h3>' in page, rule
        for source in info.get("source", []):
            assert f'href="{source["url"]}"' in page.replace("&amp;", "&"), (rule, source["url"])
    ended = files["rules/rsp-pause-when-safeguards-lag.html"].decode()
    assert 'judges until <time datetime="2026-02-24">2026-02-24</time>' in ended
    assert "the labs it applies to withdrew the pledge" in ended


def _scorecard_at(run: Run, root: Path, out: Path, *args: str) -> dict[str, bytes]:
    result = run("scorecard", "-o", str(out), *args, cwd=root)
    assert result.code == 0, result.err
    return site_files(out)
