"""Bad input gets a clear `path:line:column: field: message`, all problems at once, never a traceback."""

from __future__ import annotations

import datetime as dt
import errno
import os
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest

from parity import Dataset, LoadError, Strict, load
from parity.loading.yamldoc import MAX_FILE_BYTES

PACK = """pack: p
version: "1"
tags: {frontier: Frontier labs, us: US labs}
indicators:
  cadence: {title: Cadence, area: risk, type: number, better: lower}
  sl: {title: SL, area: sec, type: level, levels: [none, SL1, SL2]}
  last: {title: Last, area: risk, type: date}
  flag: {title: Flag, area: risk, type: boolean}
rules:
  - id: cadence-best
    indicator: cadence
    bar: best
    severity: high
"""
PROFILE = """id: a
name: A
tags: [frontier]
practices:
  cadence:
    value: 6
    evidence: [{url: "https://a.example", date: 2026-01-01}]
"""
DERIVE = """pack: d
version: "1"
indicators:
  x: {title: X, area: g, type: boolean, derived: true}
  y: {title: Y, area: g, type: boolean, derived: true}
rules:
  - id: make-x
    derive: x
    when: {all: [{indicator: y, equals: true}]}
  - id: make-y
    derive: y
    when: {any: [{indicator: x, equals: false}]}
"""
WAIVER_OK = "- {rule: cadence-best, lab: a, reason: pending, expires: 2027-01-01}\n"
BOMB = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
    for p, c in zip("abcdefgh", "bcdefghi", strict=True)
)

# (case id, files written over the valid base, fragments that must appear in the error text)
CASES: list[tuple[str, dict[str, str | bytes], list[str]]] = [
    (
        "yaml-syntax",
        {"lab_profiles/a.yaml": "id: a\nname: [A\n"},
        ["lab_profiles/a.yaml:3:1: YAML syntax error"],
    ),
    (
        "duplicate-key",
        {"lab_profiles/a.yaml": "id: a\nname: A\nname: B\n"},
        ["lab_profiles/a.yaml:3:1: name: duplicate key 'name' (first at line 2)"],
    ),
    ("empty-file", {"lab_profiles/a.yaml": ""}, ["lab_profiles/a.yaml:1:1: file is empty"]),
    ("comments-only", {"lab_profiles/a.yaml": "# nothing yet\n"}, ["lab_profiles/a.yaml:1:1: file is empty"]),
    (
        "not-a-mapping",
        {"lab_profiles/a.yaml": "- a\n- b\n"},
        ["lab_profiles/a.yaml:1:1: the file must be a mapping of keys to values, not a list"],
    ),
    (
        "scalar-file",
        {"rules/p.yaml": "just text\n"},
        ["rules/p.yaml:1:1: the file must be a mapping", "'just text'"],
    ),
    (
        "unknown-field",
        {"lab_profiles/a.yaml": PROFILE.replace("name: A", "nmae: A")},
        [
            "lab_profiles/a.yaml:2:1: nmae: unknown field 'nmae'; did you mean 'name'?",
            "lab_profiles/a.yaml:1:1: name: required, but missing",
        ],
    ),
    (
        "unknown-practice-field",
        {"lab_profiles/a.yaml": PROFILE.replace("    value: 6", "    valeu: 6")},
        ["practices.cadence.valeu: unknown field 'valeu'; did you mean 'value'?"],
    ),
    (
        "unknown-indicator",
        {"lab_profiles/a.yaml": PROFILE.replace("  cadence:", "  cadense:")},
        ["lab_profiles/a.yaml:5:3: practices.cadense: unknown indicator 'cadense'; did you mean 'cadence'?"],
    ),
    (
        "wrong-type",
        {"lab_profiles/a.yaml": PROFILE.replace("value: 6", "value: six")},
        ["lab_profiles/a.yaml:6:5: practices.cadence.value: expected a number, got 'six'"],
    ),
    (
        "quoted-number",
        {"lab_profiles/a.yaml": PROFILE.replace("value: 6", 'value: "6"')},
        ["practices.cadence.value: expected a number, got '6'"],
    ),
    (
        "null-value",
        {"lab_profiles/a.yaml": PROFILE.replace("value: 6", "value:")},
        ["practices.cadence: value is empty; write 'value: unknown' when it is not disclosed"],
    ),
    (
        "level-not-in-levels",
        {"lab_profiles/a.yaml": PROFILE + "  sl: {value: SL9}\n"},
        ["practices.sl.value: expected one of none, SL1, SL2, got 'SL9'; did you mean 'SL2'?"],
    ),
    (
        "impossible-date-value",
        {"lab_profiles/a.yaml": PROFILE + "  last: {value: 2026-02-30}\n"},
        ["practices.last.value: '2026-02-30' is not a real date"],
    ),
    (
        "impossible-evidence-date",
        {"lab_profiles/a.yaml": PROFILE.replace("2026-01-01", "2026-13-01")},
        ["practices.cadence.evidence.0.date: '2026-13-01' is not a real date"],
    ),
    (
        "evidence-url-not-http",
        {"lab_profiles/a.yaml": PROFILE.replace("https://a.example", "ftp://a.example")},
        ["practices.cadence.evidence.0.url: evidence url must be an http(s) URL, not 'ftp://a.example'"],
    ),
    (
        "evidence-url-javascript",
        {"lab_profiles/a.yaml": PROFILE.replace("https://a.example", "javascript:alert(1)")},
        ["evidence url must be an http(s) URL"],
    ),
    (
        "stem-differs-from-id",
        {"lab_profiles/a.yaml": PROFILE.replace("id: a", "id: b")},
        ["lab_profiles/a.yaml:1:1: id: id 'b' must equal the file name 'a'"],
    ),
    (
        "duplicate-lab-id",
        {"lab_profiles/a.yml": PROFILE},
        ["lab_profiles/a.yml:1:1: id: lab id 'a' is also used by", "lab_profiles/a.yaml"],
    ),
    (
        "duplicate-rule-id",
        {
            "rules/q.yaml": "pack: q\nversion: '1'\nrules:\n"
            "  - {id: cadence-best, indicator: cadence, bar: median, severity: low}\n"
        },
        ["rules/q.yaml:4:6: rules.0.id: rule id 'cadence-best' is also used in", "rules/p.yaml"],
    ),
    (
        "duplicate-indicator",
        {
            "rules/q.yaml": "pack: q\nversion: '1'\nindicators:\n"
            "  cadence: {title: C, area: r, type: boolean}\n"
        },
        ["rules/q.yaml:4:3: indicators.cadence: indicator already defined in", "rules/p.yaml"],
    ),
    (
        "rule-unknown-indicator",
        {"rules/p.yaml": PACK.replace("indicator: cadence", "indicator: cadance")},
        ["rules/p.yaml:11:5: rules.0.indicator: unknown indicator 'cadance'; did you mean 'cadence'?"],
    ),
    (
        "unknown-bar",
        {"rules/p.yaml": PACK.replace("bar: best", "bar: bset")},
        ["rules/p.yaml:12:5: rules.0.bar: unknown bar 'bset'; expected best, median, all"],
    ),
    (
        "quorum-zero",
        {"rules/p.yaml": PACK.replace("bar: best", "bar: {quorum: 0}")},
        ["rules.0.bar: quorum must be a whole number from 1 to 100000, not 0"],
    ),
    (
        "quorum-text",
        {"rules/p.yaml": PACK.replace("bar: best", "bar: {quorum: three}")},
        ["rules.0.bar: quorum must be a whole number from 1 to 100000, not 'three'"],
    ),
    (
        "threshold-wrong-type",
        {"rules/p.yaml": PACK.replace("bar: best", "bar: {threshold: high}")},
        ["rules.0.bar.threshold: expected a number, got 'high'"],
    ),
    (
        "within-days-on-number",
        {"rules/p.yaml": PACK.replace("bar: best", "bar: {within_days: 30}")},
        ["rules.0.bar: within_days applies to date indicators, not number"],
    ),
    (
        "number-without-better",
        {"rules/p.yaml": PACK.replace(", better: lower", "")},
        ["rules/p.yaml:5:3: indicators.cadence: a number indicator must say better: higher or better: lower"],
    ),
    (
        "rule-without-severity",
        {"rules/p.yaml": PACK.replace("    severity: high\n", "")},
        ["rules.0: 'severity' is required"],
    ),
    (
        "unquoted-version",
        {"rules/p.yaml": PACK.replace('version: "1"', "version: 1.0")},
        ['version: quote the version so it stays text: version: "1.0"'],
    ),
    ("derive-cycle", {"rules/d.yaml": DERIVE}, ["derive rules form a cycle: x -> y -> x"]),
    (
        "derived-without-rule",
        {"rules/d.yaml": DERIVE.split("rules:")[0]},
        ["rules/d.yaml:4:3: indicators.x: declared derived: true but no rule derives it"],
    ),
    (
        "derived-in-profile",
        {
            "rules/d.yaml": DERIVE.replace("equals: true", "equals: false"),
            "lab_profiles/a.yaml": PROFILE + "  x: {value: true}\n",
        },
        ["practices.x: 'x' is derived by a rule and cannot be set in a profile"],
    ),
    (
        "peers-tag-undeclared",
        {"rules/p.yaml": PACK.replace("bar: best", "bar: best\n    peers: {tags: [fronteir]}")},
        ["rules.0.peers.tags.0: undeclared tag 'fronteir'; did you mean 'frontier'?"],
    ),
    (
        "applies-to-unknown-lab",
        {"rules/p.yaml": PACK.replace("bar: best", "bar: best\n    applies_to: [b]")},
        ["rules.0.applies_to.0: unknown lab 'b'"],
    ),
    (
        "waiver-without-reason",
        {"waivers.yaml": "- {rule: cadence-best, lab: a, expires: 2027-01-01}\n"},
        ["waivers.yaml:1:3: 0.reason: required, but missing"],
    ),
    (
        "waiver-without-expires",
        {"waivers.yaml": "- {rule: cadence-best, lab: a, reason: pending}\n"},
        ["waivers.yaml:1:3: 0.expires: required, but missing"],
    ),
    (
        "waiver-unknown-rule-and-lab",
        {"waivers.yaml": "- {rule: nope, lab: zz, reason: r, expires: 2027-01-01}\n"},
        ["waivers.yaml:1:4: 0.rule: unknown rule 'nope'", "waivers.yaml:1:16: 0.lab: unknown lab 'zz'"],
    ),
    ("waiver-twice", {"waivers.yaml": WAIVER_OK + WAIVER_OK}, ["waivers.yaml:2:3: 1: a second waiver"]),
    ("waivers-not-a-list", {"waivers.yaml": "rule: cadence-best\n"}, ["must be a list of waivers"]),
    (
        "invalid-utf8",
        {"lab_profiles/a.yaml": b"id: a\nname: \xff\n"},
        ["lab_profiles/a.yaml:2:7: invalid UTF-8 (byte 0xff)"],
    ),
    (
        "python-object-tag",
        {"lab_profiles/a.yaml": "id: !!python/object/apply:os.system ['touch PWNED']\nname: A\n"},
        [
            "lab_profiles/a.yaml:1:5: id: YAML tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed"
        ],
    ),
    (
        "custom-tag",
        {"lab_profiles/a.yaml": PROFILE.replace("value: 6", "value: !secret 6")},
        ["YAML tag '!secret' is not allowed"],
    ),
    (
        "merge-key",
        {"lab_profiles/a.yaml": PROFILE + "  sl:\n    <<: {value: SL1}\n"},
        ["merge keys (<<) are not supported"],
    ),
    (
        "non-text-key",
        {"lab_profiles/a.yaml": PROFILE + "  [1]: {value: 1}\n"},
        ["keys must be text, not a list"],
    ),
    (
        "number-key-is-a-name",
        {"lab_profiles/a.yaml": PROFILE + "  1: {value: 1}\n"},
        ["practices.1: unknown indicator '1'"],
    ),
    ("alias-bomb", {"lab_profiles/a.yaml": BOMB}, ["nodes (an alias bomb?); refused"]),
    (
        "recursive-alias",
        {"lab_profiles/a.yaml": "id: &x [*x]\n"},
        ["lab_profiles/a.yaml:1:9: id.0: alias *x refers to itself"],
    ),
    # --- strict scalars: a typo must not become a fact ---------------------------------------------------
    (
        "yes-is-not-true",
        {"lab_profiles/a.yaml": PROFILE + "  flag: {value: yes}\n"},
        ["practices.flag.value: 'yes' is not a boolean here: write true or false"],
    ),
    (
        "on-is-not-true",
        {"lab_profiles/a.yaml": PROFILE + "  flag: {value: on}\n"},
        ["'on' is not a boolean here"],
    ),
    (
        "capital-true",
        {"lab_profiles/a.yaml": PROFILE + "  flag: {value: True}\n"},
        ["'True' is not a boolean here"],
    ),
    (
        "quoted-true",
        {"lab_profiles/a.yaml": PROFILE + '  flag: {value: "true"}\n'},
        ["practices.flag.value: expected true or false, got 'true' (write true without quotes)"],
    ),
    (
        "base-60",
        {"lab_profiles/a.yaml": PROFILE.replace("value: 6", "value: 3:6")},
        ["lab_profiles/a.yaml:6:12: practices.cadence.value: '3:6' is not a plain decimal number"],
    ),
    (
        "hexadecimal",
        {"lab_profiles/a.yaml": PROFILE.replace("value: 6", "value: 0x58")},
        ["'0x58' is not a plain decimal number"],
    ),
    (
        "underscore",
        {"lab_profiles/a.yaml": PROFILE.replace("value: 6", "value: 8_8")},
        ["'8_8' is not a plain decimal number"],
    ),
    (
        "leading-zero",
        {"lab_profiles/a.yaml": PROFILE.replace("value: 6", "value: 007")},
        ["'007' is not a plain decimal number"],
    ),
    (
        "exponent-with-dot",
        {"lab_profiles/a.yaml": PROFILE.replace("value: 6", "value: 6.0e+1")},
        ["'6.0e+1' is not a plain decimal number"],
    ),
    (
        "exponent-without-dot",
        {"lab_profiles/a.yaml": PROFILE.replace("value: 6", "value: 6e1")},
        ["expected a number, got '6e1' (write it out in plain decimals"],
    ),
    (
        "infinity",
        {"lab_profiles/a.yaml": PROFILE.replace("value: 6", "value: .inf")},
        ["'.inf' is not a plain decimal number"],
    ),
    (
        "400-digit-integer",
        {"lab_profiles/a.yaml": PROFILE.replace("value: 6", "value: " + "9" * 400)},
        ["practices.cadence.value: number out of range: at most 15 significant digits"],
    ),
    (
        "float-tag-on-text",
        {"lab_profiles/a.yaml": PROFILE.replace("value: 6", "value: !!float abc")},
        ["practices.cadence.value: 'abc' is not a plain decimal number"],
    ),
    (
        "bool-tag-on-yes",
        {"lab_profiles/a.yaml": PROFILE + "  flag: {value: !!bool yes}\n"},
        ["'yes' is not a boolean here"],
    ),
    (
        "null-spelled-Null",
        {"lab_profiles/a.yaml": PROFILE.replace("value: 6", "value: Null")},
        ["'Null' is not a value: write null"],
    ),
    # --- dates are exactly YYYY-MM-DD ---------------------------------------------------------------------
    (
        "date-zero",
        {"lab_profiles/a.yaml": PROFILE.replace("date: 2026-01-01", "date: 0")},
        ["practices.cadence.evidence.0.date: expected a date YYYY-MM-DD, got 0"],
    ),
    (
        "date-as-integer",
        {"lab_profiles/a.yaml": PROFILE.replace("date: 2026-01-01", "date: 20260301")},
        ["expected a date YYYY-MM-DD, got 20260301"],
    ),
    (
        "week-date",
        {"lab_profiles/a.yaml": PROFILE.replace("date: 2026-01-01", "date: 2026-W09-7")},
        ["expected a date YYYY-MM-DD, got '2026-W09-7'"],
    ),
    (
        "timestamp",
        {"lab_profiles/a.yaml": PROFILE.replace("date: 2026-01-01", "date: 2026-03-01T10:00:00")},
        ["expected a date YYYY-MM-DD, got '2026-03-01T10:00:00'"],
    ),
    (
        "month-only",
        {"lab_profiles/a.yaml": PROFILE + "  last: {value: 2026-03}\n"},
        ["practices.last.value: expected a date YYYY-MM-DD, got '2026-03'"],
    ),
    (
        "reviewed-week-date",
        {
            "lab_profiles/a.yaml": PROFILE.replace(
                "tags: [frontier]", "tags: [frontier]\nreviewed: 2026-W09-7"
            )
        },
        ["reviewed: expected a date YYYY-MM-DD, got '2026-W09-7'"],
    ),
    (
        "waiver-expires-timestamp",
        {"waivers.yaml": "- {rule: cadence-best, lab: a, reason: r, expires: 2027-01-01 10:00}\n"},
        ["0.expires: expected a date YYYY-MM-DD, got '2027-01-01 10:00'"],
    ),
    # --- values out of range are input errors -------------------------------------------------------------
    (
        "within-days-huge",
        {
            "rules/p.yaml": PACK.replace(
                "indicator: cadence\n    bar: best", "indicator: last\n    bar: {within_days: 1000000}"
            )
        },
        ["rules.0.bar: within_days must be a whole number from 0 to 36500, not 1000000"],
    ),
    (
        "max-age-days-huge",
        {"rules/p.yaml": PACK.replace("    severity: high", "    severity: high\n    max_age_days: 1000000")},
        ["rules.0.max_age_days: must be at most 36500, got 1000000"],
    ),
    (
        "quorum-huge",
        {"rules/p.yaml": PACK.replace("bar: best", "bar: {quorum: 10000000}")},
        ["quorum must be a whole number from 1 to 100000"],
    ),
    # --- declared tags --------------------------------------------------------------------------------------
    (
        "undeclared-tag",
        {"lab_profiles/a.yaml": PROFILE.replace("tags: [frontier]", "tags: [fronteir]")},
        ["lab_profiles/a.yaml:3:8: tags.0: undeclared tag 'fronteir'; did you mean 'frontier'?"],
    ),
    (
        "peers-select-nobody",
        {"rules/p.yaml": PACK.replace("bar: best", "bar: best\n    peers: {tags: [us]}")},
        ["rules.0.peers: this peer group selects no lab"],
    ),
    (
        "peers-labs-and-tags-select-nobody",
        {
            "lab_profiles/b.yaml": PROFILE.replace("id: a", "id: b").replace("[frontier]", "[us]"),
            "rules/p.yaml": PACK.replace("bar: best", "bar: best\n    peers: {tags: [frontier], labs: [b]}"),
        },
        ["rules.0.peers: this peer group selects no lab"],
    ),
    (
        "tag-description-not-text",
        {"rules/p.yaml": PACK.replace("us: US labs", "us: [US]")},
        ["tags.us: expected text, got a list"],
    ),
    # --- messages in a watchdog's words ---------------------------------------------------------------------
    (
        "severity-typo",
        {"rules/p.yaml": PACK.replace("severity: high", "severity: hgh")},
        [
            "rules.0.severity: expected one of 'info', 'low', 'medium', 'high' or 'critical', got 'hgh'; did you mean 'high'?"
        ],
    ),
    (
        "type-typo",
        {"rules/p.yaml": PACK.replace("type: date", "type: dat")},
        ["indicators.last.type: expected one of", "did you mean 'date'?"],
    ),
    (
        "in-force-not-a-date",
        {"rules/p.yaml": PACK.replace("    severity: high", "    severity: high\n    in_force: soon")},
        ["rules.0.in_force: expected a date YYYY-MM-DD, got 'soon'"],
    ),
    (
        "seventeen-significant-digits",
        {"lab_profiles/a.yaml": PROFILE.replace("value: 6", "value: 1234567890.1234567")},
        ["number out of range: at most 15 significant digits"],
    ),
    (
        "deep-nesting",
        {"lab_profiles/a.yaml": "id: a\nname: A\nnote: " + "[" * 100 + "]" * 100 + "\n"},
        ["document is nested more than 64 levels deep; refused"],
    ),
    (
        "derived-meets-bar",
        {"rules/d.yaml": DERIVE.replace("{indicator: x, equals: false}", "{indicator: x, meets: best}")},
        ["a derived indicator cannot be compared with a bar"],
    ),
    (
        "indicator-name-not-an-id",
        {
            "rules/q.yaml": "pack: q\nversion: '1'\nindicators:\n  'odd name': {title: O, area: a, type: boolean}\n"
        },
        ["indicators.odd name: 'odd name' is not a valid id"],
    ),
    (
        "waiver-field-typo-no-self-suggestion",
        {"waivers.yaml": "- {rule: cadence-best, lab: a, reason: r, expires: 2027-01-01, nots: x}\n"},
        ["unknown field 'nots'; did you mean 'note'?"],
    ),
    ("two-documents", {"lab_profiles/a.yaml": PROFILE + "---\nid: b\n"}, ["a file holds one YAML document"]),
]


@pytest.fixture
def base(tree: Callable[[dict[str, str | bytes]], Path]) -> Callable[[dict[str, str | bytes]], Path]:
    def make(overrides: dict[str, str | bytes]) -> Path:
        return tree({"rules/p.yaml": PACK, "lab_profiles/a.yaml": PROFILE, **overrides})

    return make


def _load(root: Path) -> Dataset:
    waivers = root / "waivers.yaml"
    return load(root / "lab_profiles", root / "rules", waivers if waivers.exists() else None)


def test_the_base_is_valid(base: Callable[[dict[str, str | bytes]], Path]) -> None:
    data = _load(base({"waivers.yaml": WAIVER_OK}))
    assert data.labs and data.rules and data.waivers


@pytest.mark.parametrize(("files", "fragments"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_reported_with_its_place(
    base: Callable[[dict[str, str | bytes]], Path],
    files: dict[str, str | bytes],
    fragments: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = base(files)
    monkeypatch.chdir(root)
    with pytest.raises(LoadError) as caught:
        _load(root)
    text = str(caught.value)
    for fragment in fragments:
        assert fragment in text, f"{fragment!r} not in:\n{text}"
    assert not (root / "PWNED").exists()


def test_every_problem_in_every_file_at_once(
    base: Callable[[dict[str, str | bytes]], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = base(
        {
            "lab_profiles/a.yaml": PROFILE.replace("value: 6", "value: six").replace(
                "  cadence:", "  cadence:"
            )
            + "  sl: {value: SL9}\n",
            "lab_profiles/b.yaml": "id: b\nname: B\nname: C\n",
            "rules/p.yaml": PACK.replace("bar: best", "bar: bset"),
        }
    )
    monkeypatch.chdir(root)
    with pytest.raises(LoadError) as caught:
        _load(root)
    problems = [str(p) for p in caught.value.problems]
    assert len(problems) == 4, problems
    assert [p.split(":")[0] for p in problems] == sorted(p.split(":")[0] for p in problems)


def test_a_broken_profile_still_has_its_other_practices_checked(
    base: Callable[[dict[str, str | bytes]], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    profile = (
        PROFILE.replace("https://a.example", "ftp://a.example")
        + "  sl: {value: SL9}\n  cadense: {value: 1}\n"
    )
    root = base({"lab_profiles/a.yaml": profile})
    monkeypatch.chdir(root)
    with pytest.raises(LoadError) as caught:
        _load(root)
    text = str(caught.value)
    assert "http(s) URL" in text and "SL9" in text and "cadense" in text


def test_alias_bomb_is_refused_with_bounded_memory(
    base: Callable[[dict[str, str | bytes]], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = base({"lab_profiles/a.yaml": BOMB})  # expands to 10**9 nodes if built naively
    monkeypatch.chdir(root)
    tracemalloc.start()
    try:
        with pytest.raises(LoadError):
            _load(root)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 200 * 1024 * 1024


def test_huge_file_is_refused_before_reading(
    base: Callable[[dict[str, str | bytes]], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = base({})
    with (root / "lab_profiles/a.yaml").open("r+b") as f:
        f.truncate(MAX_FILE_BYTES + 1)  # sparse: refused on its size, never read
    monkeypatch.chdir(root)
    tracemalloc.start()
    try:
        with pytest.raises(
            LoadError, match=r"lab_profiles/a.yaml:1:1: file is \d+ bytes; parity reads at most"
        ):
            _load(root)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 5 * 1024 * 1024


def test_missing_directories_and_empty_directories(tree: Callable[[dict[str, str | bytes]], Path]) -> None:
    root = tree({"rules/README.txt": "no packs here"})
    with pytest.raises(LoadError) as caught:
        load(root / "lab_profiles", root / "rules")
    text = str(caught.value)
    assert "lab_profiles:1:1: cannot read the lab profiles: no such directory" in text
    assert "no rule packs (*.yaml or *.yml) found" in text


def test_an_invalid_indicator_is_reported_once_not_at_every_use(
    base: Callable[[dict[str, str | bytes]], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = base({"rules/p.yaml": PACK.replace(", better: lower", "")})
    monkeypatch.chdir(root)
    with pytest.raises(LoadError) as caught:
        _load(root)
    assert [p.field for p in caught.value.problems] == ["indicators.cadence"]


# --- the file system: every way a path can be wrong is an input problem with its path -------------------


def _problems(root: Path, waivers: Path | None = None) -> str:
    with pytest.raises(LoadError) as caught:
        load(root / "lab_profiles", root / "rules", waivers)
    return str(caught.value)


def test_a_directory_named_like_a_profile(base: Callable[[dict[str, str | bytes]], Path]) -> None:
    root = base({})
    (root / "lab_profiles/b.yaml").mkdir()
    assert "lab_profiles/b.yaml:1:1: is a directory, not a YAML file" in _problems(root)


def test_a_fifo_is_refused_without_blocking(base: Callable[[dict[str, str | bytes]], Path]) -> None:
    root = base({})
    os.mkfifo(root / "lab_profiles/b.yaml")  # opening it for reading would block a naive reader forever
    assert "lab_profiles/b.yaml:1:1: is a FIFO, not a regular file" in _problems(root)


def test_a_device_as_waivers_ends_at_once(base: Callable[[dict[str, str | bytes]], Path]) -> None:
    root = base({})
    tracemalloc.start()
    try:
        text = _problems(root, Path("/dev/zero"))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "/dev/zero:1:1: is a device or socket, not a regular file" in text
    assert peak < 5 * 1024 * 1024


def test_dangling_and_looping_symlinks(base: Callable[[dict[str, str | bytes]], Path]) -> None:
    root = base({})
    (root / "lab_profiles/b.yaml").symlink_to(root / "nowhere.yaml")
    (root / "lab_profiles/c.yaml").symlink_to(root / "lab_profiles/d.yaml")
    (root / "lab_profiles/d.yaml").symlink_to(root / "lab_profiles/c.yaml")
    text = _problems(root)
    assert "lab_profiles/b.yaml:1:1: cannot read: dangling symlink: its target does not exist" in text
    assert "lab_profiles/c.yaml:1:1: cannot read: symlink loop" in text


def test_a_symlinked_profile_is_named_by_the_link(base: Callable[[dict[str, str | bytes]], Path]) -> None:
    root = base({})
    (root / "elsewhere").mkdir()
    (root / "lab_profiles/a.yaml").rename(root / "elsewhere/target.yaml")
    (root / "lab_profiles/a.yaml").symlink_to(root / "elsewhere/target.yaml")
    data = load(root / "lab_profiles", root / "rules")  # the link's stem 'a' is the lab id
    assert data.labs["a"].file == "lab_profiles/a.yaml"
    (root / "lab_profiles/b.yaml").symlink_to(root / "elsewhere/target.yaml")
    assert "lab_profiles/b.yaml:1:1: id: id 'a' must equal the file name 'b'" in _problems(root)


def test_an_over_long_path(base: Callable[[dict[str, str | bytes]], Path]) -> None:
    root = base({})
    with pytest.raises(LoadError, match="cannot read the lab profiles: path too long"):
        load(root / ("x" * 300), root / "rules")


def test_an_unreadable_file(
    base: Callable[[dict[str, str | bytes]], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    # chmod cannot stop root (CI runs as root), so the refusal is simulated where the file is opened.
    root = base({})
    real_open = os.open

    def refuse(path: object, flags: int, *args: object) -> int:
        if str(path).endswith("a.yaml"):
            raise PermissionError(errno.EACCES, "Permission denied")
        return real_open(path, flags, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", refuse)
    assert "lab_profiles/a.yaml:1:1: cannot read: permission denied" in _problems(root)


def test_the_profiles_path_is_a_file(base: Callable[[dict[str, str | bytes]], Path]) -> None:
    root = base({})
    with pytest.raises(LoadError, match="the lab profiles must be a directory; this is a file"):
        load(root / "lab_profiles/a.yaml", root / "rules")


# --- scale: linear, bounded --------------------------------------------------------------------------------


def test_a_long_valid_derive_chain_loads(tree: Callable[[dict[str, str | bytes]], Path]) -> None:
    n = 1100  # a recursive cycle check overflows Python's stack here
    indicators = "".join(f"  d{i}: {{title: D, area: a, type: boolean, derived: true}}\n" for i in range(n))
    rules = "".join(
        f"  - {{id: r{i}, derive: d{i}, when: {{all: [{{indicator: {'x' if i == 0 else f'd{i - 1}'}, equals: true}}]}}}}\n"
        for i in range(n)
    )
    pack = "pack: p\nversion: '1'\nindicators:\n  x: {title: X, area: a, type: boolean}\n" + indicators
    root = tree({"rules/p.yaml": pack + "rules:\n" + rules, "lab_profiles/a.yaml": "id: a\nname: A\n"})
    assert len(load(root / "lab_profiles", root / "rules").rules) == n


def test_many_misspelled_practices_are_all_reported(tree: Callable[[dict[str, str | bytes]], Path]) -> None:
    # Locating a problem is a dictionary look-up, never a scan of the file: 20,000 take well under seconds.
    n = 20_000
    practices = "".join(f"  cadnce{i}: {{value: 1}}\n" for i in range(n))
    root = tree({"rules/p.yaml": PACK, "lab_profiles/a.yaml": "id: a\nname: A\npractices:\n" + practices})
    with pytest.raises(LoadError) as caught:
        load(root / "lab_profiles", root / "rules")
    problems = caught.value.problems
    assert len(problems) == n
    assert problems[-1].line == n + 3 and problems[-1].column == 3


# --- --strict ----------------------------------------------------------------------------------------------

STRICT = Strict(dt.date(2026, 12, 1), 365)


def test_strict_passes_a_fully_sourced_profile(base: Callable[[dict[str, str | bytes]], Path]) -> None:
    root = base(
        {"lab_profiles/a.yaml": PROFILE.replace("tags: [frontier]", "tags: [frontier]\nreviewed: 2026-11-30")}
    )
    data = load(root / "lab_profiles", root / "rules", strict=STRICT)
    assert list(data.labs) == ["a"]


@pytest.mark.parametrize(
    ("profile", "fragment"),
    [
        (PROFILE, "lab_profiles/a.yaml:1:1: id: --strict: the profile needs 'reviewed: YYYY-MM-DD'"),
        (
            PROFILE.replace("tags: [frontier]", "tags: [frontier]\nreviewed: 2025-11-30"),
            "reviewed: --strict: reviewed 2025-11-30, 366 days before 2026-12-01; at most 365 allowed",
        ),
        (
            PROFILE.replace("tags: [frontier]", "tags: [frontier]\nreviewed: 2026-12-02"),
            "reviewed: --strict: reviewed 2026-12-02 is after the evaluation date 2026-12-01",
        ),
        (
            PROFILE.replace("tags: [frontier]", "tags: [frontier]\nreviewed: 2026-11-30")
            + "  flag: {value: true}\n",
            "practices.flag: --strict: no evidence; give its source",
        ),
        (
            PROFILE.replace("tags: [frontier]", "tags: [frontier]\nreviewed: 2026-11-30")
            + "  flag: {value: unknown}\n",
            "practices.flag: --strict: no evidence; give where you looked and when",
        ),
        (
            PROFILE.replace("tags: [frontier]", "tags: [frontier]\nreviewed: 2026-11-30").replace(
                "2026-01-01", "2027-01-01"
            ),
            "practices.cadence.evidence.0.date: --strict: evidence dated 2027-01-01, after the evaluation date 2026-12-01",
        ),
    ],
    ids=[
        "no-reviewed",
        "reviewed-too-long-ago",
        "reviewed-in-the-future",
        "unevidenced",
        "unknown-unsourced",
        "evidence-from-the-future",
    ],
)
def test_strict_refuses(base: Callable[[dict[str, str | bytes]], Path], profile: str, fragment: str) -> None:
    root = base({"lab_profiles/a.yaml": profile})
    load(root / "lab_profiles", root / "rules")  # valid without --strict
    with pytest.raises(LoadError) as caught:
        load(root / "lab_profiles", root / "rules", strict=STRICT)
    assert fragment in str(caught.value)


def test_unknown_may_carry_where_the_watchdog_looked(base: Callable[[dict[str, str | bytes]], Path]) -> None:
    looked = "  flag:\n    value: unknown\n    evidence: [{url: 'https://a.example/security', date: 2026-11-30, note: no policy}]\n"
    root = base(
        {
            "lab_profiles/a.yaml": PROFILE.replace(
                "tags: [frontier]", "tags: [frontier]\nreviewed: 2026-11-30"
            )
            + looked
        }
    )
    data = load(root / "lab_profiles", root / "rules", strict=STRICT)
    assert data.labs["a"].profile.practices["flag"].evidence[0].note == "no policy"
