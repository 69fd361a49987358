"""The YAML reader (parity/loading/yamldoc.py): a character YAML does not allow is reported at its own line
and column, with either of PyYAML's parsers; and what a parse keeps in memory is bounded by a multiple of the
file's size for every shape of YAML, measured with tracemalloc (benchmarks/bench_yaml.py has the figures)."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml
from helpers import Result

from parity.errors import LoadError, Problem
from parity.loading import yamldoc

Run = Callable[..., Result]


@pytest.fixture(params=["CSafeLoader", "SafeLoader"])
def parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Each test runs with libyaml's parser and with PyYAML's own, which count positions differently."""
    monkeypatch.setattr(yamldoc, "_Loader", getattr(yaml, request.param))
    monkeypatch.setattr(yamldoc, "PARSER", request.param)
    yield request.param


def _problem(raw: bytes) -> Problem:
    with pytest.raises(LoadError) as caught:
        yamldoc.parse(raw, "f.yaml")
    (problem,) = caught.value.problems
    return problem


@pytest.mark.parametrize(
    ("raw", "line", "column", "start"),
    [
        (b"id: a\nname: A\x00B\n", 2, 8, "a NUL byte (U+0000) is not allowed in YAML"),
        (b'id: a\nname: "\xc3\xa9\xc3\xa9\x07"\n', 2, 10, "the control character U+0007 is not allowed"),
        (b"id: a\r\n\r\nx: \x7f\n", 3, 4, "the control character U+007F is not allowed"),
        (b"id: a\nname: A\xc2\x85B\xc2\x9f\n", 3, 2, "the control character U+009F"),  # NEL ends a line
        (b"a: 1\nb: \xef\xbf\xbe\n", 2, 4, "the character U+FFFE is not allowed in YAML"),
        (b"\xef\xbb\xbfa: 1\nb: \x00", 2, 4, "a NUL byte"),  # after a byte-order mark
        (
            b"i\x00d\x00:\x00 \x00a\x00",
            1,
            2,
            "a NUL byte (U+0000) is not allowed in YAML (a file saved as UTF-16?",
        ),
    ],
)
def test_a_character_yaml_refuses_is_located_where_it_is(
    parser: str, raw: bytes, line: int, column: int, start: str
) -> None:
    problem = _problem(raw)
    assert (problem.line, problem.column) == (line, column), parser
    assert problem.message.startswith(start)
    assert "\n" not in problem.message and "position" not in problem.message


def test_a_nul_byte_on_line_2_through_the_cli(run: Run, tree: Callable[..., Path]) -> None:
    root = tree({"lab_profiles/a.yaml": b"id: a\nname: A\x00\n", "rules/p.yaml": "pack: p\nversion: '1'\n"})
    result = run("validate", cwd=root)
    assert result.code == 2
    assert result.err.splitlines()[0] == (
        "lab_profiles/a.yaml:2:8: a NUL byte (U+0000) is not allowed in YAML (a file saved as UTF-16? save it "
        "as UTF-8)"
    )


# --- memory ------------------------------------------------------------------------------------------------

SIZE = 300_000  # bytes of each hostile document: big enough to measure, small enough for a test
HEAD = "id: a\npractices:\n  x:\n    value: "
SHAPES: dict[str, Callable[[int], str]] = {
    "wide flow sequence of numbers": lambda n: HEAD + "[" + "1, " * (n // 3) + "1]\n",
    "wide flow sequence at the top": lambda n: "[" + "1, " * (n // 3) + "1]\n",
    "distinct short strings": lambda n: "tags: [" + ", ".join(f"t{i}" for i in range(n // 8)) + "]\n",
    "empty mappings": lambda n: "rules: [" + "{}, " * (n // 4) + "{}]\n",
    "empty sequences": lambda n: "rules: [" + "[], " * (n // 4) + "[]]\n",
    "nested sequences": lambda n: "rules: [" + "[1], " * (n // 5) + "[1]]\n",
    "one-key mappings": lambda n: "rules: [" + "{a: 1}, " * (n // 8) + "{a: 1}]\n",
    "wide flow mapping": lambda n: "{" + ", ".join(f"k{i}: 1" for i in range(n // 10)) + "}\n",
    "block mapping": lambda n: "".join(f"k{i}: v\n" for i in range(n // 10)),
    "block sequence": lambda n: "".join(f"- s{i}\n" for i in range(n // 8)),
    "long strings": lambda n: "".join(f"k{i}: {'x' * 200}\n" for i in range(n // 210)),
    "deep practices": lambda n: (
        "practices:\n"
        + "".join(f"  p{i}: {{value: 1, evidence: [{{url: u, date: d}}]}}\n" for i in range(n // 55))
    ),
}
# Generous: the parse keeps at most KEPT_RATIO times the size by its own estimate; the measured peak also
# holds the decoded text and the parser's own objects.
BOUND = yamldoc.KEPT_RATIO + 6


@pytest.mark.parametrize("depth", [None, 2], ids=["all positions", "profile positions"])
@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_memory_is_bounded_by_the_size_for_every_shape(
    shape: str, depth: int | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(yamldoc, "MIN_KEPT", 0)  # no floor: the ratio alone bounds these small documents
    raw = SHAPES[shape](SIZE).encode()
    tracemalloc.start()
    try:
        try:
            doc: object = yamldoc.parse(raw, "f.yaml", depth)
        except LoadError as e:
            doc = e
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak <= BOUND * len(raw), f"{shape}: {peak / len(raw):.1f} times its size"
    del doc


def test_a_document_too_dense_is_refused_at_its_place() -> None:
    raw = ("rules: [" + "{}, " * 10_000 + "{}]\n").encode()
    with pytest.raises(LoadError, match="too dense to read safely") as caught:
        yamldoc.parse(raw, "f.yaml") if False else _dense(raw)
    (problem,) = caught.value.problems
    assert problem.line == 1 and problem.column > 1


def _dense(raw: bytes) -> object:
    original = yamldoc.MIN_KEPT
    yamldoc.MIN_KEPT = 0
    try:
        return yamldoc.parse(raw, "f.yaml")
    finally:
        yamldoc.MIN_KEPT = original


def test_real_documents_are_far_from_the_bound() -> None:
    root = Path(__file__).parents[1]
    for path in [*root.glob("lab_profiles/*.yaml"), *root.glob("rules/*.yaml")]:
        raw = path.read_bytes()
        builder = yamldoc._Builder(path.name, None, len(raw))
        loader = yamldoc._Loader(raw.decode("utf-8-sig"))
        try:
            builder.document(loader)
        finally:
            loader.dispose()
        assert builder.kept <= yamldoc.KEPT_RATIO * len(raw) / 2, path.name


def test_positions_found_again_are_those_of_a_full_parse() -> None:
    raw = (
        SHAPES["deep practices"](5_000).encode()
        + b"tags: ["
        + b", ".join(b"t%d" % i for i in range(1500))
        + b"]\n"
    )
    assert yamldoc._all_marks(raw, "f.yaml") == yamldoc.parse(raw, "f.yaml").marks
    doc = yamldoc.parse(raw, "f.yaml", marks_depth=1)
    assert doc.position(("practices", "p3", "evidence", 0, "url")) == (
        5,
        1 + raw.split(b"\n")[4].index(b"url"),
    )
    # A long list of scalars records its first items only: a later one is located at the list.
    tags_line = raw.count(b"\n", 0, raw.index(b"tags:")) + 1
    assert doc.position(("tags", 999)) == (tags_line, 1 + raw.split(b"\n")[tags_line - 1].index(b"t999"))
    assert doc.position(("tags", 1200)) == (tags_line, 1)
