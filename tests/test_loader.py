"""Bad input gets a clear `path:line:column: field: message`, all problems at once, never a traceback."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest

from parity import LoadError, load

PACK = """pack: p
version: "1"
indicators:
  cadence: {title: Cadence, area: risk, type: number, better: lower}
  sl: {title: SL, area: sec, type: level, levels: [none, SL1, SL2]}
  last: {title: Last, area: risk, type: date}
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
        ["lab_profiles/a.yaml:3:1: duplicate key 'name' (first at line 2)"],
    ),
    ("empty-file", {"lab_profiles/a.yaml": ""}, ["lab_profiles/a.yaml:1:1: file is empty"]),
    ("comments-only", {"lab_profiles/a.yaml": "# nothing yet\n"}, ["lab_profiles/a.yaml:1:1: file is empty"]),
    (
        "not-a-mapping",
        {"lab_profiles/a.yaml": "- a\n- b\n"},
        ["lab_profiles/a.yaml:1:1: the file must be a mapping of keys to values, not a list"],
    ),
    ("scalar-file", {"rules/p.yaml": "just text\n"}, ["rules/p.yaml:1:1: the file must be a mapping", "str"]),
    (
        "unknown-field",
        {"lab_profiles/a.yaml": PROFILE.replace("name: A", "nmae: A")},
        [
            "lab_profiles/a.yaml:2:1: nmae: Extra inputs are not permitted",
            "lab_profiles/a.yaml:1:1: name: Field required",
        ],
    ),
    (
        "unknown-practice-field",
        {"lab_profiles/a.yaml": PROFILE.replace("    value: 6", "    valeu: 6")},
        ["practices.cadence.valeu: Extra inputs are not permitted"],
    ),
    (
        "unknown-indicator",
        {"lab_profiles/a.yaml": PROFILE.replace("  cadence:", "  cadense:")},
        ["lab_profiles/a.yaml:5:3: practices.cadense: unknown indicator 'cadense'; did you mean 'cadence'?"],
    ),
    (
        "wrong-type",
        {"lab_profiles/a.yaml": PROFILE.replace("value: 6", "value: six")},
        ["lab_profiles/a.yaml:6:5: practices.cadence.value: expected a number, not 'six'"],
    ),
    (
        "quoted-number",
        {"lab_profiles/a.yaml": PROFILE.replace("value: 6", 'value: "6"')},
        ["practices.cadence.value: expected a number, not '6'"],
    ),
    (
        "null-value",
        {"lab_profiles/a.yaml": PROFILE.replace("value: 6", "value:")},
        ["practices.cadence: value is empty; write 'value: unknown' when it is not disclosed"],
    ),
    (
        "level-not-in-levels",
        {"lab_profiles/a.yaml": PROFILE + "  sl: {value: SL9}\n"},
        ["practices.sl.value: expected one of none, SL1, SL2, not 'SL9'"],
    ),
    (
        "impossible-date-value",
        {"lab_profiles/a.yaml": PROFILE + "  last: {value: 2026-02-30}\n"},
        ["practices.last.value: '2026-02-30' is not a valid date (YYYY-MM-DD)"],
    ),
    (
        "impossible-evidence-date",
        {"lab_profiles/a.yaml": PROFILE.replace("2026-01-01", "2026-13-01")},
        ["practices.cadence.evidence.0.date: Input should be a valid date"],
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
    ("duplicate-lab-id", {"lab_profiles/a.yml": PROFILE}, ["lab id 'a' is also used by lab_profiles/a.yaml"]),
    (
        "duplicate-rule-id",
        {
            "rules/q.yaml": "pack: q\nversion: '1'\nrules:\n"
            "  - {id: cadence-best, indicator: cadence, bar: median, severity: low}\n"
        },
        ["rules/q.yaml:4:6: rules.0.id: rule id 'cadence-best' is also used in rules/p.yaml"],
    ),
    (
        "duplicate-indicator",
        {
            "rules/q.yaml": "pack: q\nversion: '1'\nindicators:\n"
            "  cadence: {title: C, area: r, type: boolean}\n"
        },
        ["rules/q.yaml:4:3: indicators.cadence: indicator already defined in rules/p.yaml"],
    ),
    (
        "rule-unknown-indicator",
        {"rules/p.yaml": PACK.replace("indicator: cadence", "indicator: cadance")},
        ["rules/p.yaml:9:5: rules.0.indicator: unknown indicator 'cadance'; did you mean 'cadence'?"],
    ),
    (
        "unknown-bar",
        {"rules/p.yaml": PACK.replace("bar: best", "bar: bset")},
        ["rules/p.yaml:10:5: rules.0.bar: unknown bar 'bset'; expected best, median, all"],
    ),
    (
        "quorum-zero",
        {"rules/p.yaml": PACK.replace("bar: best", "bar: {quorum: 0}")},
        ["rules.0.bar: quorum must be a whole number of at least 1, not 0"],
    ),
    (
        "quorum-text",
        {"rules/p.yaml": PACK.replace("bar: best", "bar: {quorum: three}")},
        ["rules.0.bar: quorum must be a whole number of at least 1, not 'three'"],
    ),
    (
        "threshold-wrong-type",
        {"rules/p.yaml": PACK.replace("bar: best", "bar: {threshold: high}")},
        ["rules.0.bar.threshold: expected a number, not 'high'"],
    ),
    (
        "within-days-on-number",
        {"rules/p.yaml": PACK.replace("bar: best", "bar: {within_days: 30}")},
        ["rules.0.bar: within_days applies to date indicators, not number"],
    ),
    (
        "number-without-better",
        {"rules/p.yaml": PACK.replace(", better: lower", "")},
        ["rules/p.yaml:4:3: indicators.cadence: a number indicator must say better: higher or better: lower"],
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
        "peers-tag-nobody-carries",
        {"rules/p.yaml": PACK.replace("bar: best", "bar: best\n    peers: {tags: [fronteir]}")},
        ["rules.0.peers.tags.0: no lab carries tag 'fronteir'; did you mean 'frontier'?"],
    ),
    (
        "applies-to-unknown-lab",
        {"rules/p.yaml": PACK.replace("bar: best", "bar: best\n    applies_to: [b]")},
        ["rules.0.applies_to.0: unknown lab 'b'"],
    ),
    (
        "waiver-without-reason",
        {"waivers.yaml": "- {rule: cadence-best, lab: a, expires: 2027-01-01}\n"},
        ["waivers.yaml:1:3: 0.reason: Field required"],
    ),
    (
        "waiver-without-expires",
        {"waivers.yaml": "- {rule: cadence-best, lab: a, reason: pending}\n"},
        ["waivers.yaml:1:3: 0.expires: Field required"],
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
            "lab_profiles/a.yaml:1:5: YAML tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed"
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
    ("non-text-key", {"lab_profiles/a.yaml": PROFILE + "  1: {value: 1}\n"}, ["keys must be text, not 1"]),
    ("alias-bomb", {"lab_profiles/a.yaml": BOMB}, ["alias bomb or recursive alias?); refused"]),
    (
        "recursive-alias",
        {"lab_profiles/a.yaml": "id: &x [*x]\n"},
        ["alias bomb or recursive alias?); refused"],
    ),
]


@pytest.fixture
def base(tree: Callable[[dict[str, str | bytes]], Path]) -> Callable[[dict[str, str | bytes]], Path]:
    def make(overrides: dict[str, str | bytes]) -> Path:
        return tree({"rules/p.yaml": PACK, "lab_profiles/a.yaml": PROFILE, **overrides})

    return make


def _load(root: Path) -> None:
    waivers = root / "waivers.yaml"
    load(root / "lab_profiles", root / "rules", waivers if waivers.exists() else None)


def test_the_base_is_valid(base: Callable[[dict[str, str | bytes]], Path]) -> None:
    _load(base({"waivers.yaml": WAIVER_OK}))


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


def test_huge_file_is_refused_before_parsing(
    base: Callable[[dict[str, str | bytes]], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = base({"lab_profiles/a.yaml": "id: a\nname: A\n" + "# padding\n" * 900_000})
    monkeypatch.chdir(root)
    with pytest.raises(LoadError, match=r"lab_profiles/a.yaml:1:1: file is \d+ bytes; parity reads at most"):
        _load(root)


def test_missing_directories_and_empty_directories(tree: Callable[[dict[str, str | bytes]], Path]) -> None:
    root = tree({"rules/README.txt": "no packs here"})
    with pytest.raises(LoadError) as caught:
        load(root / "lab_profiles", root / "rules")
    text = str(caught.value)
    assert "no such directory of lab profiles" in text
    assert "no rule packs (*.yaml) found" in text


def test_an_invalid_indicator_is_reported_once_not_at_every_use(
    base: Callable[[dict[str, str | bytes]], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = base({"rules/p.yaml": PACK.replace(", better: lower", "")})
    monkeypatch.chdir(root)
    with pytest.raises(LoadError) as caught:
        _load(root)
    assert [p.field for p in caught.value.problems] == ["indicators.cadence"]
