"""The public scorecard (`parity scorecard`): pinned, deterministic, escaped, accessible, published safely."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
import textwrap
import tomllib
from collections.abc import Callable
from fnmatch import fnmatch
from importlib import resources
from pathlib import Path

import pytest
from helpers import AS_OF, GOLDEN, SHIPPED_AS_OF, WORLD, Result
from site_helpers import ROOT, Page, hostile_world, site_files

import parity
from parity.errors import UsageError
from parity.models import Evidence
from parity.site import MARKER, build, write_site
from parity.vocabulary import ordinal

Run = Callable[..., Result]
CSP = "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'"


@pytest.fixture(scope="module")
def shipped() -> tuple[parity.Report, parity.Dataset, dict[str, bytes]]:
    data = parity.load(ROOT / "lab_profiles", ROOT / "rules")
    report = parity.evaluate(data, as_of=SHIPPED_AS_OF)
    return report, data, build(report, data)


def _pages(files: dict[str, bytes]) -> dict[str, Page]:
    return {name: Page(body.decode("utf-8")) for name, body in files.items() if name.endswith(".html")}


def test_the_shipped_site_is_pinned_file_by_file(
    run: Run, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    out = tmp_path / "site"
    result = run("scorecard", "-o", str(out), "--as-of=2026-12-01", cwd=ROOT)
    assert result.code == 0, result.err
    assert result.out == f"{out}: the scorecard as of 2026-12-01, 121 files; open {out / 'index.html'}\n"
    files = site_files(out)
    golden = GOLDEN / "site"
    if request.config.getoption("--update-golden"):
        for old in site_files(golden) if golden.exists() else {}:
            (golden / old).unlink()
        for name, body in files.items():
            (golden / name).parent.mkdir(parents=True, exist_ok=True)
            (golden / name).write_bytes(body)
    assert files["report.json"].decode() == run("check", "--as-of=2026-12-01", "--format=json", cwd=ROOT).out
    expected = site_files(golden)
    assert sorted(files) == sorted(expected), "the site's files differ from tests/golden/site"
    for name, body in files.items():
        assert body == expected[name], f"{name} differs from tests/golden/site/{name}"


def test_same_inputs_give_the_same_bytes_and_a_saved_report_gives_the_same_site(
    shipped: tuple[parity.Report, parity.Dataset, dict[str, bytes]],
) -> None:
    report, data, files = shipped
    assert build(report, data) == files
    again = parity.Report.from_dict(json.loads(files["report.json"]))
    assert build(again, data) == files
    assert json.loads(files["report.json"]) == report.to_dict()


def test_the_site_has_every_page_and_nothing_else(
    shipped: tuple[parity.Report, parity.Dataset, dict[str, bytes]],
) -> None:
    report, _, files = shipped
    expected = {
        "index.html",
        "methodology.html",
        "data.html",
        "style.css",
        "report.json",
        "scorecard.md",
        MARKER,
    }
    expected |= {
        "verdicts.csv",
        "matrix.csv",
    }  # the open data; no feed, changes or history without their options
    expected |= {f"labs/{lab}.html" for lab in report.labs} | {f"badges/{lab}.json" for lab in report.labs}
    expected |= {f"rules/{rule}.html" for rule in report.rules}
    assert set(files) == expected
    assert not any(name.startswith("history/") for name in files)  # no charts given: no history at all
    assert "Score over time" not in files["labs/anthropic.html"].decode()


def test_every_page_names_its_date_versions_and_forbids_scripts(
    shipped: tuple[parity.Report, parity.Dataset, dict[str, bytes]],
) -> None:
    report, _, files = shipped
    stamp = (
        f'As of <time datetime="2026-12-01">2026-12-01</time> · parity {parity.__version__} · packs: '
        + ", ".join(f"{p} {v}" for p, v in report.packs)
    )
    for name, page in _pages(files).items():
        text = files[name].decode()
        metas = [attrs for tag, attrs in page.tags if tag == "meta"]
        assert {"http-equiv": "Content-Security-Policy", "content": CSP} in metas, name
        assert {"name": "referrer", "content": "no-referrer"} in metas, name
        assert stamp in text, name
        assert not [tag for tag, _ in page.tags if tag in ("script", "iframe", "object", "embed", "form")]
        assert not [a for _, attrs in page.tags for a in attrs if a.startswith("on") or a == "style"], name
        for link in page.links:  # relative, so the folder can be served from any path
            assert not link.startswith("/") and (
                "://" not in link or link.startswith(("http://", "https://"))
            )
    listed = json.loads(files[".parity-site"])["files"]
    assert sorted(listed) == sorted(set(files) - {".parity-site"})  # the manifest lists every other file


def test_headings_are_in_order_and_tables_have_headers_and_captions(
    shipped: tuple[parity.Report, parity.Dataset, dict[str, bytes]],
) -> None:
    _, _, files = shipped
    for name, page in _pages(files).items():
        assert page.headings[0] == 1 and page.headings.count(1) == 1, name
        for before, after in zip(page.headings, page.headings[1:], strict=False):
            assert after <= before + 1, f"{name}: h{before} is followed by h{after}"
        tags = [tag for tag, _ in page.tags]
        assert tags.count("table") == tags.count("thead") == tags.count("caption"), name
        col_headers = sum(1 for tag, a in page.tags if tag == "th" and a.get("scope") == "col")
        assert col_headers >= tags.count("table"), name
        img = [a for tag, a in page.tags if tag == "img"]
        assert all(a.get("alt") for a in img), name


def test_the_heat_map_has_every_lab_and_area_and_words_in_every_cell(
    shipped: tuple[parity.Report, parity.Dataset, dict[str, bytes]],
) -> None:
    report, _, files = shipped
    overview = files["index.html"].decode()
    page = Page(overview)
    heat = [(cls, text) for cls, text in page.cells if "heat" in cls.split()]
    assert heat and all(text for _, text in heat), "a heat-map cell with colour only"
    assert {cls.split()[1] for cls, _ in heat} >= {"s0", "s1", "s2", "s3", "s4", "ns"}
    for pack, _ in report.packs:
        labs = {v.lab for v in report.verdicts if v.pack == pack}
        if not labs:  # a pack not in force yet judges nobody: it has no heat map
            assert f'<h3 id="pack-{pack}">' not in overview
            continue
        section = overview.split(f'<h3 id="pack-{pack}">', 1)[1].split("</table>", 1)[0]
        for lab in labs:
            assert f'href="labs/{lab}.html"' in section, (pack, lab)
        for area in {v.area for v in report.verdicts if v.pack == pack}:
            assert f'<th scope="col">{area}</th>' in section, (pack, area)
    ranked = re.findall(r'<th scope="row"><a href="labs/([^"]+)\.html">', overview.split('id="heat"')[0])
    scores = [report.labs[lab].score or 0 for lab in ranked]
    assert len(ranked) == len(report.labs) and scores == sorted(scores, reverse=True)
    for name, cls in (("Mistral AI", "s0"), ("Anthropic", "s4")):  # 19% and 92%
        assert re.search(rf'{name}</a></th>\n<td class="heat {cls} num" data-label="Score">', overview), name


def test_the_strict_and_literal_readings_name_the_labs_that_keep_all_from_binding(
    shipped: tuple[parity.Report, parity.Dataset, dict[str, bytes]],
) -> None:
    _, _, files = shipped
    overview = files["index.html"].decode()
    readings = overview.split('id="readings"', 1)[1]
    assert "1 of 6 literal readings binds." in readings
    row = readings.split("Published whistleblowing policy", 1)[1].split("</tr>", 1)[0]
    assert "✗ below" in row and 'set by <a href="labs/openai.html">OpenAI</a>' in row
    assert '<a href="labs/zhipu-ai.html">Zhipu AI (Z.ai)</a>: <span class="note">not researched yet' in row
    bounty = readings.split("AI bug bounty programme", 1)[1].split("</tr>", 1)[0]
    assert (
        '<a href="labs/deepseek.html">DeepSeek</a>: <span class="note">silent: looked, not disclosed'
        in bounty
    )


def test_a_lab_page_shows_shortfalls_setters_evidence_on_both_sides_and_the_to_do(
    shipped: tuple[parity.Report, parity.Dataset, dict[str, bytes]],
) -> None:
    report, _, files = shipped
    page = files["labs/anthropic.html"].decode()
    shortfalls = page.split('id="shortfalls"', 1)[1].split("</table>", 1)[0]
    assert shortfalls.count("✗ below") == report.labs["anthropic"].counts["below"] == 6
    for name in report.labs["anthropic"].unassessed:
        assert f"<li><code>{name}</code>:" in page.split('id="todo"', 1)[1].split("</ul>", 1)[0]
    row = page.split('href="../rules/rsp3-match-whistleblower-policy-best.html"', 2)[2].split("</tr>", 1)[0]
    assert '<a href="../labs/openai.html">OpenAI</a>' in row
    assert 'Who sets the bar: <a href="../labs/openai.html">OpenAI</a>' in row
    assert 'rel="noopener noreferrer"' in row and "<q>" in row and "framework-only" in row


def test_a_rule_page_gives_its_rationale_with_links_its_bar_and_every_lab(
    shipped: tuple[parity.Report, parity.Dataset, dict[str, bytes]],
) -> None:
    report, _, files = shipped
    page = files["rules/ai-bug-bounty-best.html"].decode()
    assert "<dt>how it is computed</dt><dd>the best disclosed value among the peers" in page
    assert "<dt>peers</dt><dd>labs tagged frontier; only disclosed values (with evidence) set the bar" in page
    judged = {v.lab for v in report.verdicts if v.rule == "ai-bug-bounty-best"}
    standing = page.split('id="standing"', 1)[1]
    assert {lab for lab in judged if f'<th scope="row"><a href="../labs/{lab}.html">' in standing} == judged
    rsp = files["rules/rsp3-match-whistleblower-policy-all.html"].decode()
    assert '<a href="https://time.com/7380854/exclusive-anthropic-drops-flagship-safety-pledge/" rel=' in rsp
    derive = files["rules/rsp3-capability-leader.html"].decode()
    assert derive.count('<th scope="row"><a href="../labs/') == len(report.labs)


def test_methodology_is_generated_from_the_packs(
    shipped: tuple[parity.Report, parity.Dataset, dict[str, bytes]],
) -> None:
    report, _, files = shipped
    page = files["methodology.html"].decode()
    for kind in ("best", "median", "quorum", "all", "threshold", "within_days", "require"):
        assert f'<th scope="row"><code>{kind}</code></th>' in page, kind
    assert page.count('<li><a href="rules/') == len(report.rules)
    assert "Undisclosed is not unassessed" in page and "cividis" in page and "Okabe–Ito" in page


def test_badges_are_shields_endpoints_and_the_markdown_is_the_scorecard_format(
    run: Run, shipped: tuple[parity.Report, parity.Dataset, dict[str, bytes]]
) -> None:
    _, _, files = shipped
    anthropic = json.loads(files["badges/anthropic.json"])
    assert anthropic == {
        "schemaVersion": 1,
        "label": "parity: Anthropic",
        "message": "91% · coverage 88% · 2026-12-01",
        "color": "ffea46",
    }
    assert json.loads(files["badges/mistral-ai.json"])["color"] == "00204d"
    markdown = run("check", "--as-of=2026-12-01", "--format=scorecard", cwd=ROOT).out
    assert files["scorecard.md"].decode() == markdown
    assert re.search(
        r"\n\| 1 +\| Anthropic \(anthropic\) +\| 91% +\| 88% +\| 6 +\| 4 +\| anthropic-rsp-v3 92%", markdown
    )


# --- safety: hostile text renders inert --------------------------------------------------------------------


@pytest.fixture(scope="module")
def hostile(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[parity.Report, parity.Dataset, dict[str, bytes]]:
    world = hostile_world(tmp_path_factory.mktemp("hostile") / "world")
    data = parity.load(world / "lab_profiles", world / "rules")
    report = parity.evaluate(data, as_of=SHIPPED_AS_OF)
    return report, data, build(report, data)


def test_hostile_profile_text_forms_no_markup_anywhere(
    hostile: tuple[parity.Report, parity.Dataset, dict[str, bytes]],
) -> None:
    _, _, files = hostile
    for name, body in files.items():
        text = body.decode("utf-8")
        if name == "report.json":  # the JSON report as `check --format json` writes it: data, escaped as JSON
            continue
        if name.endswith(".csv"):  # RFC 4180 ends each record with CRLF; no other control character
            text = text.replace("\r\n", "\n")
        assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e]", text), (
            f"{name}: a control character"
        )
        if name.endswith(".html"):
            assert "<script" not in text.lower() and "<img src=x" not in text and "<iframe" not in text, name
            assert not re.search(r"(href|src)=\"\s*(javascript|data):", text, re.IGNORECASE), name
            assert "onerror=" not in text.replace("onerror=&#34;", ""), name
        if name.endswith(".md"):
            assert not re.search(r"(?<!\\)<(script|img)", text), name
    evil = files["labs/evil.html"].decode()
    assert "<h1>&lt;script&gt;document.title=&#39;pwned&#39;&lt;/script&gt;" in evil
    assert "Evil \\x1b[2J\\x07\\u202e Lab" in evil  # control characters shown, never sent
    assert "<title>&lt;script&gt;" in evil
    overview = files["index.html"].decode()
    assert "Quiet &#34;Lab&#34; &amp; &lt;Co&gt;" in overview
    assert "packs: hostile 1.0&lt;script&gt;" in overview


def test_only_http_urls_become_links(hostile: tuple[parity.Report, parity.Dataset, dict[str, bytes]]) -> None:
    report, data, files = hostile
    evil = files["labs/evil.html"].decode()
    # The loader accepts this URL (http, then anything); it holds markup, so it is shown as text, not a link.
    assert '<span class="nolink">https://example.org/&#34;&gt;&lt;script&gt;' in evil
    assert 'href="https://example.org/ok?q=&lt;b&gt;' not in evil
    rule = files["rules/bounty-best.html"].decode()
    assert "See javascript:alert(1) and " in rule and 'href="javascript' not in rule
    # A report read from elsewhere may hold any URL: javascript: and data: never become links.
    forged = [
        Evidence.model_construct(url=u, date=SHIPPED_AS_OF)
        for u in ("javascript:alert(1)", "data:text/html,x")
    ]
    doctored = [v._replace(evidence=tuple(forged)) if v.lab == "meek" else v for v in report.verdicts]
    page = build(parity.Report(**{**report.__dict__, "verdicts": doctored}), data)["labs/meek.html"].decode()
    assert '<span class="nolink">javascript:alert(1)</span> (not a web address, so not a link)' in page
    assert '<span class="nolink">data:text/html,x</span>' in page
    assert 'href="javascript' not in page and 'href="data:' not in page


# --- charts, setters beyond the report's list, ids --------------------------------------------------------


def test_history_charts_are_written_and_embedded_relatively(
    shipped: tuple[parity.Report, parity.Dataset, dict[str, bytes]],
) -> None:
    report, data, _ = shipped
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>'
    )
    files = build(report, data, charts={"anthropic": svg})
    assert files["history/anthropic.svg"] == svg.encode()
    assert [n for n in files if n.startswith("history/")] == ["history/anthropic.svg"]
    page = files["labs/anthropic.html"].decode()
    assert '<img class="chart" src="../history/anthropic.svg" alt="Anthropic\'s score at each past' in page
    assert '<h2 id="history">Score over time</h2>' in page
    assert "history/" not in files["labs/openai.html"].decode()
    with pytest.raises(UsageError, match="a history chart names a lab the report does not have: nobody"):
        build(report, data, charts={"nobody": svg})


def _many_labs(tree: Callable[..., Path], n: int, silent: int) -> Path:
    pack = """
        pack: p
        version: '1'
        indicators:
          x: {title: X, area: a, type: boolean}
        rules:
          - {id: x-best, indicator: x, bar: best, severity: low}
          - {id: x-all, indicator: x, bar: all, severity: low}
    """
    files: dict[str, str | bytes] = {"rules/p.yaml": pack}
    for i in range(n):
        practice = (
            "{value: unknown}"
            if i < silent
            else "{value: true, evidence: [{url: 'https://e.org', date: 2026-01-01}]}"
        )
        files[f"lab_profiles/lab{i:02d}.yaml"] = (
            f"id: lab{i:02d}\nname: Lab {i}\npractices:\n  x: {practice}\n"
        )
    return tree(files)


def test_setters_beyond_the_twenty_a_verdict_carries_are_counted_as_the_report_counts_them(
    tree: Callable[..., Path],
) -> None:
    """The site reads setters from the report, never from the profiles: it names the twenty the verdict
    lists and counts the rest, so a page never disagrees with report.json (a ratcheted bar's setters are
    the labs that held a value in the past, which the profiles of today do not show)."""
    root = _many_labs(tree, 26, silent=1)
    data = parity.load(root / "lab_profiles", root / "rules")
    report = parity.evaluate(data, as_of=SHIPPED_AS_OF)
    silent = next(v for v in report.verdicts if (v.lab, v.rule) == ("lab00", "x-best"))
    assert len(silent.bar.set_by) == 20 and silent.bar.set_by_count == 25
    page = build(report, data)["rules/x-best.html"].decode()
    row = page.split('<th scope="row"><a href="../labs/lab00.html">', 1)[1].split("</tr>", 1)[0]
    assert all(f'href="../labs/{lab}.html"' in row for lab in silent.bar.set_by)
    assert "and 5 more" in row
    assert not any(f'href="../labs/lab{i:02d}.html"' in row for i in range(21, 26))


def test_blockers_beyond_twenty_are_named_with_their_state_as_the_report_names_them(
    tree: Callable[..., Path],
) -> None:
    root = _many_labs(tree, 25, silent=23)
    data = parity.load(root / "lab_profiles", root / "rules")
    report = parity.evaluate(data, as_of=SHIPPED_AS_OF)
    kept = next(v for v in report.verdicts if (v.lab, v.rule) == ("lab24", "x-all"))
    assert len(kept.bar.blocked_by or ()) == 20 and kept.bar.blocked_by_count == 23
    assert set(kept.bar.blocked_states) == {"undisclosed"}
    overview = build(report, data)["index.html"].decode()
    row = overview.split('id="readings"', 1)[1].split('<a href="labs/lab24.html">Lab 24</a></td>', 1)[1]
    row = row.split("</tr>", 1)[0]
    assert all(
        f'<a href="labs/lab{i:02d}.html">Lab {i}</a>: <span class="note">silent' in row for i in range(20)
    )
    assert "and 3 more" in row and "lab20.html" not in row


def test_an_id_that_could_leave_the_folder_is_refused(
    shipped: tuple[parity.Report, parity.Dataset, dict[str, bytes]],
) -> None:
    report, data, _ = shipped
    summary = report.labs["anthropic"]
    forged = parity.Report(**{**report.__dict__, "labs": {**report.labs, "../../etc/x": summary}})
    with pytest.raises(UsageError, match="cannot name a page"):
        build(forged, data)


# --- accessibility: the palette's contrast ---------------------------------------------------------------


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    light, dark = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_contrast_is_computed_as_wcag_defines_it() -> None:
    assert contrast("000000", "ffffff") == pytest.approx(21.0)
    assert contrast("777777", "ffffff") == pytest.approx(4.48, abs=0.01)  # the classic just-failing grey


def test_every_text_colour_in_the_stylesheet_meets_wcag_aa() -> None:
    css = resources.files("parity.site").joinpath("templates/style.css").read_text(encoding="utf-8")
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.DOTALL)
    css = re.sub(r"@media[^{]*\{", "", css)  # the rules inside a media query are rules like the others
    body = "ffffff"
    pairs = []
    for selector, block in re.findall(r"([^{}]+)\{([^}]*)\}", css):
        decls = dict(d.split(":", 1) for d in (x.strip() for x in block.split(";")) if ":" in d)
        decls = {k.strip(): v.strip() for k, v in decls.items()}
        if "color" not in decls:
            continue
        assert "background-color" in decls, f"{selector.strip()}: a text colour without its background"
        fg = decls["color"].lstrip("#")
        bg = decls["background-color"].lstrip("#")
        pairs.append((selector.strip(), fg, body if bg == "transparent" else bg))
    assert len(pairs) >= 20
    for selector, fg, bg in pairs:
        assert contrast(fg, bg) >= 4.5, f"{selector}: #{fg} on #{bg} is {contrast(fg, bg):.2f}:1"


def test_every_class_the_pages_use_is_styled(
    shipped: tuple[parity.Report, parity.Dataset, dict[str, bytes]],
    hostile: tuple[parity.Report, parity.Dataset, dict[str, bytes]],
) -> None:
    css = shipped[2]["style.css"].decode()
    used = {
        token
        for files in (shipped[2], hostile[2])
        for page in _pages(files).values()
        for _, attrs in page.tags
        for token in (attrs.get("class") or "").split()
    }
    assert {"st-below", "st-meets", "st-undisclosed", "s0", "s4", "ns"} <= used
    missing = sorted(token for token in used if f".{token}" not in css)
    assert not missing, f"classes without a style: {missing}"


# --- packaging: the templates ship as package data ---------------------------------------------------------


def test_templates_ship_as_package_data_and_are_found_without_the_checkout(tmp_path: Path) -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    folders = {
        p.parent.relative_to(ROOT).as_posix().replace("/", ".") for p in ROOT.glob("parity/**/__init__.py")
    }
    assert folders == set(config["packages"]), "every package folder under parity/ is listed, and only those"
    shipped = sorted(
        p.relative_to(ROOT / "parity/site").as_posix() for p in (ROOT / "parity/site/templates").iterdir()
    )
    globs = config["package-data"]["parity.site"]
    assert shipped and all(any(fnmatch(name, g) for g in globs) for name in shipped), shipped
    assert resources.files("parity.site").joinpath("templates/base.html").is_file()
    # Only what setuptools would install, in another folder: the site still builds (no repo-relative path).
    copy = tmp_path / "installed"
    for package in config["packages"]:
        folder = ROOT / package.replace(".", "/")
        for path in folder.iterdir():
            keep = path.suffix == ".py" or any(fnmatch(path.relative_to(folder).as_posix(), g) for g in globs)
            if package == "parity.site" and path.name == "templates":
                for template in path.iterdir():
                    target = copy / package.replace(".", "/") / "templates" / template.name
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(template.read_bytes())
            elif path.is_file() and keep:
                target = copy / package.replace(".", "/") / path.name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(path.read_bytes())
    script = textwrap.dedent(
        f"""
        import datetime, parity, parity.site
        assert parity.__file__.startswith({str(copy)!r}), parity.__file__
        data = parity.load({str(WORLD / "lab_profiles")!r}, {str(WORLD / "rules")!r})
        files = parity.site.build(parity.evaluate(data, as_of=datetime.date(2026, 11, 26)), data)
        print(len(files), files["index.html"][:15].decode())
        """
    )
    env = {**os.environ, "PYTHONPATH": str(copy)}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.endswith("<!DOCTYPE html>\n")


# --- the command: writing the folder -----------------------------------------------------------------------


def test_scorecard_replaces_its_own_site_whole_and_leaves_nothing_beside_it(run: Run, tmp_path: Path) -> None:
    out = tmp_path / "site"
    assert run("scorecard", "-o", str(out), "--as-of=2026-11-26").code == 0
    assert (out / "rules" / "security-floor.html").exists()  # a page of the transparency pack
    result = run("scorecard", "-o", str(out), "--as-of=2026-11-26", "--pack=pledges")
    assert result.code == 0, result.err
    assert not (out / "rules" / "security-floor.html").exists()  # the older run's page is gone
    assert "pledges 0.3.0" in (out / "index.html").read_text(encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]  # no temporary folder left
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run("scorecard", "-o", str(empty), "--as-of=2026-11-26").code == 0
    assert (empty / "index.html").is_file() and (empty / MARKER).is_file()
    assert oct((out / "index.html").stat().st_mode & 0o777) != "0o600"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        ("foreign", "not empty and not written by parity (no .parity-site file); give a new or empty folder"),
        ("file", "is a file, not a folder"),
        ("under-file", "cannot create a folder beside it: Not a directory"),
        ("link", "is a symbolic link; give the folder itself"),
        ("fake-marker", "not empty and not written by parity"),
    ],
)
def test_scorecard_never_destroys_what_parity_did_not_write(
    run: Run, tmp_path: Path, make: str, message: str
) -> None:
    target = tmp_path / "target"
    if make in ("foreign", "fake-marker", "link"):
        target.mkdir()
        (target / "thesis.tex").write_text("years of work", encoding="utf-8")
        if make == "fake-marker":
            (target / MARKER).mkdir()
        if make == "link":
            link = tmp_path / "link"
            link.symlink_to(target)
            target = link
    elif make == "file":
        target.write_text("a file", encoding="utf-8")
    else:
        (tmp_path / "file").write_text("a file", encoding="utf-8")
        target = tmp_path / "file" / "site"
    before = site_files(tmp_path)
    result = run("scorecard", "-o", str(target), "--as-of=2026-11-26")
    assert result.code == 2
    assert result.err.count("\n") == 1 and "Traceback" not in result.err
    assert result.err.startswith(f"parity: cannot write the output: {target}: ") and message in result.err
    assert site_files(tmp_path) == before  # nothing changed, nothing left beside it


def test_scorecard_reports_bad_input_like_check(run: Run, tree: Callable[..., Path], tmp_path: Path) -> None:
    root = tree(
        {"rules/p.yaml": "pack: p\nversion: '1'\n", "lab_profiles/a.yaml": "id: a\nname: A\nnome: x\n"}
    )
    result = run("scorecard", "-o", str(tmp_path / "site"), cwd=root)
    assert result.code == 2
    assert "lab_profiles/a.yaml:3:1: nome:" in result.err and "nothing was evaluated" in result.err
    assert not (tmp_path / "site").exists()
    usage = run("scorecard", cwd=root)
    assert usage.code == 2 and "the following arguments are required: -o/--output" in usage.err


def test_write_site_is_the_library_call(tmp_path: Path) -> None:
    data = parity.load(WORLD / "lab_profiles", WORLD / "rules")
    report = parity.evaluate(data, as_of=dt.date(2026, 11, 26))
    written = write_site(report, data, tmp_path / "site")
    assert written == sorted(written, key=lambda p: p.relative_to(tmp_path / "site").as_posix())
    assert all(p.is_file() for p in written) and len(written) == len(site_files(tmp_path / "site"))


def test_a_lab_counts_its_shortfalls_alike_on_every_page_and_format(tmp_path: Path) -> None:
    """Issue: a lab page said "3 shortfall(s)" where the overview said 2: it counted the waived one. A
    waived shortfall is listed on the lab's page but counted nowhere as a shortfall."""
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(
        "- rule: recent-risk-report\n  lab: alpha\n  reason: A report is promised.\n  expires: 2027-01-31\n",
        encoding="utf-8",
    )
    data = parity.load(WORLD / "lab_profiles", WORLD / "rules", waivers)
    report = parity.evaluate(data, as_of=AS_OF)
    files = build(report, data)
    waived = {v.lab for v in report.verdicts if v.status == "waived"}
    assert waived  # the world has a waived shortfall, or this test proves nothing
    overview = files["index.html"].decode()
    markdown = files["scorecard.md"].decode()
    for lab, s in report.labs.items():
        count = sum(s.counts.get(status, 0) for status in ("below", "undisclosed"))
        page = files[f"labs/{lab}.html"].decode()
        caption = re.search(r'<table class="shortfalls">\s*<caption>([^<]*)</caption>', page)
        if count or lab in waived:
            assert caption and caption.group(1).startswith(f"{count} shortfall"), (lab, caption)
            assert ("waived (listed, not counted)" in caption.group(1)) == (lab in waived)
        ranked = re.search(rf'href="labs/{lab}.html">.*?data-label="Shortfalls">(\d+)</td>', overview, re.S)
        assert ranked and ranked.group(1) == str(count), lab
        assert re.search(rf"\| {re.escape(s.name)} \({lab}\) +\| [^|]+\| [^|]+\| {count} +\|", markdown), lab


def test_every_page_speaks_with_one_voice(
    shipped: tuple[parity.Report, parity.Dataset, dict[str, bytes]], tmp_path: Path
) -> None:
    """Issue 22, "one voice": ordinals and plurals in words, a unit on every gap, no Python `None`,
    `True` or `False` where the data writes no such thing. The shipped site and the test world's (a lab
    with one shortfall of a kind, a gap of 1)."""
    data = parity.load(WORLD / "lab_profiles", WORLD / "rules", WORLD / "waivers.yaml")
    pages = {
        **shipped[2],
        **{f"world/{k}": v for k, v in build(parity.evaluate(data, as_of=AS_OF), data).items()},
    }
    nouns = "shortfall|condition|rule|pack|lab|day|step|correction|commit|reading|point|month"
    for name, body in pages.items():
        if not name.endswith(".html"):
            continue
        text = re.sub(r"<q>.*?</q>", "", body.decode(), flags=re.S)  # the sources' own words
        assert not re.search(rf"\b({nouns})\(s\)", text), name
        assert not re.search(rf"(?<![\d.,])1 ({nouns})s\b", text), (
            name,
            re.search(rf"(?<![\d.,])1 ({nouns})s\b", text),
        )
        for n, suffix in re.findall(r"\b(\d+)(st|nd|rd|th)\b", text):
            assert f"{n}{suffix}" == ordinal(int(n)), (name, n, suffix)
        bare = re.search(r'data-label="Gap">(-?[\d.]+)</td>', text)
        assert bare is None, (name, bare and bare.group(0))
        assert not re.search(r">(None|True|False)<", text), name


def test_counts_on_the_pages_agree_in_number() -> None:
    from parity.site.view import _binding, _counted

    assert _counted(1, 0) == "1 shortfall"
    assert _counted(0, 2) == "0 shortfalls, and 2 waived (listed, not counted)"
    assert _binding(1, 1) == "1 of 1 literal reading binds"
    assert _binding(0, 6) == "0 of 6 literal readings bind"
