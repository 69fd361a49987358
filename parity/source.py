"""Reading one YAML file safely: bytes to plain data, with positions for every key.

PyYAML's constructors would silently keep the last of two duplicate keys, build arbitrary objects from
`!!python/...` tags (with the unsafe loaders), expand alias bombs without limit, and turn `2026-02-30` into a
traceback. So we only *compose* the node tree (in C where available) and build the data ourselves: standard
scalar tags only, duplicate keys reported, a budget on nodes and depth, and dates left as text for the models
to validate with a proper message.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor

from parity.errors import LoadError, Problem

try:  # the C parser is 5-10x faster; the pure-Python one behaves the same
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

MAX_FILE_BYTES = 8 * 1024 * 1024
MAX_NODES = 500_000  # after alias expansion: a hand-kept profile has a few thousand
MAX_DEPTH = 64

_TAG = "tag:yaml.org,2002:"
_SCALARS = SafeConstructor()


@dataclass
class Located:
    """Plain data read from a file, plus where each key and item stands in it."""

    path: str
    data: Any
    root: yaml.Node | None = field(repr=False)
    problems: list[Problem] = field(default_factory=list)

    def position(self, loc: tuple[str | int, ...]) -> tuple[int, int]:
        """(line, column), 1-based, of the deepest node on `loc` that exists in the file."""
        if self.root is None:
            return 1, 1
        node: yaml.Node = self.root
        mark = node.start_mark
        for part in loc:
            child = _child(node, part)
            if child is None:
                break
            key_node, node = child
            mark = (key_node or node).start_mark
        return mark.line + 1, mark.column + 1

    def key_lines(self, loc: tuple[str | int, ...]) -> dict[str, int]:
        """The line of every key of the mapping at `loc`, in one pass (positions one by one are O(n²))."""
        node: yaml.Node | None = self.root
        for part in loc:
            child = _child(node, part) if node is not None else None
            node = child[1] if child else None
        if not isinstance(node, yaml.MappingNode):
            return {}
        return {k.value: k.start_mark.line + 1 for k, _ in node.value if isinstance(k, yaml.ScalarNode)}


def _child(node: yaml.Node, part: str | int) -> tuple[yaml.Node | None, yaml.Node] | None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                return key, value
    elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
        return None, node.value[part]
    return None


def read(path: Path, display: str) -> Located:
    """Read and build one YAML file.

    Raises LoadError when the file cannot be read as YAML at all; problems that leave the rest of the file
    readable (a duplicate key, a forbidden tag) are returned in `.problems` so the caller can go on
    validating and report everything at once.
    """
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise LoadError([Problem(display, 1, 1, "", f"cannot read file: {e.strerror}")]) from e
    if len(raw) > MAX_FILE_BYTES:
        message = f"file is {len(raw)} bytes; parity reads at most {MAX_FILE_BYTES}"
        raise LoadError([Problem(display, 1, 1, "", message)])
    text = _decode(raw, display)
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise LoadError([Problem(display, line, col, "", f"YAML syntax error: {e.problem}")]) from e
    except yaml.YAMLError as e:
        raise LoadError([Problem(display, 1, 1, "", f"YAML error: {e}")]) from e
    if root is None:
        raise LoadError([Problem(display, 1, 1, "", "file is empty")])
    builder = _Builder(display)
    data = builder.build(root, 0)
    return Located(display, data, root, builder.problems)


def _decode(raw: bytes, display: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        column = e.start - (raw.rfind(b"\n", 0, e.start) + 1) + 1
        message = f"invalid UTF-8 (byte 0x{raw[e.start]:02x}); save the file as UTF-8"
        raise LoadError([Problem(display, line, column, "", message)]) from e


class _Builder:
    """Builds plain data from a node tree, collecting problems instead of raising."""

    def __init__(self, display: str) -> None:
        self.display = display
        self.problems: list[Problem] = []
        self.nodes = 0

    def fail(self, node: yaml.Node, message: str) -> None:
        mark = node.start_mark
        self.problems.append(Problem(self.display, mark.line + 1, mark.column + 1, "", message))

    def build(self, node: yaml.Node, depth: int) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES or depth > MAX_DEPTH:
            # Raised, not collected: an alias bomb or a recursive alias must stop the walk at once.
            limit = f"more than {MAX_NODES} nodes" if self.nodes > MAX_NODES else "nested too deeply"
            mark = node.start_mark
            message = f"document has {limit} (alias bomb or recursive alias?); refused"
            raise LoadError([Problem(self.display, mark.line + 1, mark.column + 1, "", message)])
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, depth)
        if isinstance(node, yaml.SequenceNode):
            if node.tag != _TAG + "seq":
                self.fail(node, f"YAML tag {node.tag!r} is not allowed")
            return [self.build(item, depth + 1) for item in node.value]
        return self._scalar(node)

    def _mapping(self, node: yaml.MappingNode, depth: int) -> dict[str, Any]:
        if node.tag != _TAG + "map":
            self.fail(node, f"YAML tag {node.tag!r} is not allowed")
        out: dict[str, Any] = {}
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _TAG + "merge":
                self.fail(key_node, "merge keys (<<) are not supported; write the keys out")
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                self.fail(key_node, "keys must be text, not a list or mapping")
                continue
            key = self.build(key_node, depth + 1)
            if not isinstance(key, str):
                self.fail(key_node, f"keys must be text, not {key!r}; quote the key")
                continue
            if key in first_line:
                self.fail(key_node, f"duplicate key {key!r} (first at line {first_line[key]})")
                continue
            first_line[key] = key_node.start_mark.line + 1
            out[key] = self.build(value_node, depth + 1)
        return out

    def _scalar(self, node: yaml.Node) -> Any:
        tag = node.tag
        if tag in (_TAG + "str", _TAG + "timestamp", "!"):
            # Dates stay text here; the models parse them and name an impossible one properly.
            return node.value
        constructors = {
            _TAG + "null": _SCALARS.construct_yaml_null,
            _TAG + "bool": _SCALARS.construct_yaml_bool,
            _TAG + "int": _SCALARS.construct_yaml_int,
            _TAG + "float": _SCALARS.construct_yaml_float,
        }
        if tag in constructors:
            return constructors[tag](node)  # type: ignore[arg-type]
        self.fail(node, f"YAML tag {tag!r} is not allowed (parity never constructs objects)")
        return None


def iter_yaml(directory: Path) -> Iterator[Path]:
    """The YAML files of a directory, sorted so every run reads them in the same order."""
    return iter(sorted(p for p in directory.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file()))
