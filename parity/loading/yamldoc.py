"""Parsing one YAML document: bytes in, plain data out, with the position of every key. No I/O.

PyYAML's constructors would keep the last of two duplicate keys, build objects from `!!python/...` tags,
expand alias bombs without limit, and read YAML 1.1's surprises as facts (`yes` is true, `3:6` is 186,
`0x58` is 88, `2026-02-30` a traceback). So parity reads the parser's *events* (in C where available) and
builds the data itself:

- scalars are read strictly: `true`/`false`, plain decimal numbers of at most 15 digits, `null`/`~`/empty;
  a plain scalar that YAML 1.1 would read as anything else is a problem with a hint, never a silent value;
  dates stay text for the models, which accept exactly YYYY-MM-DD;
- a budget on nodes (aliases count the size of what they repeat), on depth, and on the memory the data and
  its positions take (estimated as they are built: at most KEPT_RATIO times the file's size) stops the
  parse the moment one is crossed, so a hostile file of any shape costs a bounded multiple of its size;
- a character YAML does not allow (a NUL byte, a control character) is reported at its own line and
  column, as every syntax error is;
- every key's line and column are kept in a side table addressed by key path, so a problem is located in
  constant time, however many there are.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.resolver import Resolver

from parity.errors import LoadError, Problem
from parity.loading.files import MAX_FILE_BYTES

try:  # the C parser is 5-10x faster; the pure-Python one gives the same events
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]
PARSER = _Loader.__name__  # part of the parse cache's fingerprint

MAX_NODES = 2_000_000  # after alias expansion: 100,000 practices with evidence is about 1,000,000
MAX_DEPTH = 64
MAX_DIGITS = 15  # every such number is exact as a float, and none is absurd in a profile
# Memory: what a parse keeps (its data and recorded positions) is estimated as it is built and may not exceed
# KEPT_RATIO times the file's size, or MIN_KEPT for a small file (benchmarks/README.md, "bench_yaml"). Real
# documents keep 5 to 12 times their size; only a file of millions of tiny values comes near the limit.
KEPT_RATIO = 24
MIN_KEPT = 16 * 1024 * 1024
# A sequence records the position of its first MAX_ITEM_MARKS scalar items only: a problem in a later one
# is located at the sequence (its field still names the item). A one-line list of a million numbers then
# costs its data, not a position per number.
MAX_ITEM_MARKS = 1000
# Keys repeat (value, evidence, url, date...): the first MAX_NAMES distinct ones are kept once and shared.
MAX_NAMES = 8192
# Estimated bytes of what the parse keeps, per kind of thing (CPython 3.11, 64-bit; sys.getsizeof).
_OBJECT = 50  # a string's own object, before its characters (a key's; a value's is `_kept`)
_SLOT = 40  # a key's place in a dict; a list item's place is 8
_MARK = 100  # a recorded position: the (line, column, children) tuple and the column's int
_CONTAINER = 64  # an empty list (or dict)
_MAPPING = 184  # a dict with its first keys (the table CPython allocates on the first insertion)

_TAG = "tag:yaml.org,2002:"
_INT = re.compile(r"-?(?:0|[1-9][0-9]*)")
_FLOAT = re.compile(r"-?(?:0|[1-9][0-9]*)\.[0-9]+")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_YAML11 = Resolver()  # only to name what YAML 1.1 would have made of a scalar we refuse
# The first characters of every plain scalar YAML 1.1 reads as a bool, number, null or timestamp.
_SUSPECT = frozenset("yYnNtTfFoO-+0123456789.~<=")

Loc = tuple[str | int, ...]
# A container's marks: (line, column, {key: entry}) or (line, column, [entry]), or (line, column, None) when
# it is empty; an entry is (line, column, the child's marks or None for a scalar or an empty container).
# Lines and columns are 1-based. A long list of scalars records its first MAX_ITEM_MARKS items only.
Marks = tuple[int, int, Any]


@dataclass
class Located:
    """Plain data read from one file, where each key and item stands in it, and the problems found."""

    path: str
    data: Any
    marks: Marks | None = field(repr=False)
    problems: list[Problem] = field(default_factory=list)
    # Key paths whose scalar was refused here: later checks stay quiet about them (one problem per fault).
    refused: set[Loc] = field(default_factory=set, repr=False)
    relative: str = ""  # how reports name the file (set by the loader: relative to the data root)
    blob: str = ""  # the git blob id of its bytes, when the loader has a parse cache
    # With `marks_depth`, only the keys that deep were recorded; deeper positions are found by parsing the
    # bytes again, once, when a problem first needs one (problems are rare; positions of every scalar of a
    # 100,000-practice profile cost more memory than its data).
    raw: bytes | None = field(default=None, repr=False)
    full: Marks | None = field(default=None, repr=False)
    # A document from the parse cache may come without its bytes (a git blob not read): this reads them.
    reread: Callable[[], bytes | None] | None = field(default=None, repr=False)

    def position(self, loc: Loc) -> tuple[int, int]:
        """(line, column) of the deepest key or item on `loc` that exists in the file."""
        if self.marks is None:
            return 1, 1
        line, column, depth = _walk(self.marks, loc)
        if depth < len(loc) and (self.raw is not None or self.reread is not None):  # maybe deeper
            if self.full is None:
                raw = self.raw if self.raw is not None else self.reread() if self.reread else None
                self.full = (_all_marks(raw, self.path) if raw is not None else None) or self.marks
            line, column, _ = _walk(self.full, loc)
        return line, column

    def key_lines(self, loc: Loc) -> dict[str, int]:
        """The line of every key of the mapping at `loc`."""
        children = self.marks[2] if self.marks else None
        for part in loc:
            entry = _entry(children, part)
            children = entry[2] if entry else None
        if not isinstance(children, dict):
            return {}
        return {key: entry[0] for key, entry in children.items()}


def _all_marks(raw: bytes, name: str) -> Marks | None:
    """Every position of a document whose first parse recorded only the shallow ones: parsed again for its
    positions only (its scalars are not read again), under the same allowance of memory. A document too
    dense for that keeps its shallow positions: a problem is then located at its deepest recorded key."""
    loader = None
    try:
        loader = _Loader(raw.decode("utf-8-sig"))
        return _Builder(name, None, len(raw), positions_only=True).document(loader)[1]
    except (LoadError, yaml.YAMLError, UnicodeDecodeError):
        return None
    finally:
        if loader is not None:
            loader.dispose()


def _walk(marks: Marks, loc: Loc) -> tuple[int, int, int]:
    """(line, column, how many parts of `loc` were found) along recorded marks."""
    line, column, children = marks
    for depth, part in enumerate(loc):
        entry = _entry(children, part)
        if entry is None:
            return line, column, depth
        line, column, children = entry
    return line, column, len(loc)


def _entry(children: Any, part: str | int) -> Any:
    if isinstance(children, dict):
        return children.get(part) if isinstance(part, str) else None
    if isinstance(children, list) and isinstance(part, int) and 0 <= part < len(children):
        return children[part]
    return None


def parse(raw: bytes, name: str, marks_depth: int | None = None) -> Located:
    """One YAML document as plain data; with `marks_depth`, key positions are recorded that deep only.

    Raises LoadError when the bytes cannot be read as a YAML document at all; problems that leave the rest
    readable (a duplicate key, a refused scalar) are returned in `.problems`, so that the caller can go on
    and report everything at once.
    """
    if len(raw) > MAX_FILE_BYTES:
        raise LoadError(
            [Problem(name, 1, 1, "", f"file is {len(raw)} bytes; parity reads at most {MAX_FILE_BYTES}")]
        )
    text = _decode(raw, name)
    builder = _Builder(name, marks_depth, len(raw))
    loader = None
    try:
        loader = _Loader(text)  # the pure-Python reader checks every character here already
        data, marks = builder.document(loader)
    except yaml.reader.ReaderError as e:
        raise LoadError([_unreadable(name, text, e)]) from None
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise LoadError([Problem(name, line, col, "", f"YAML syntax error: {e.problem}")]) from None
    except yaml.YAMLError as e:
        raise LoadError([Problem(name, 1, 1, "", f"YAML error: {' '.join(str(e).split())}")]) from None
    finally:
        if loader is not None:
            loader.dispose()
    located = Located(name, data, marks, builder.problems, builder.refused)
    if marks_depth is not None:
        located.raw = raw
    return located


# Where YAML ends a line (YAML 1.1, as PyYAML and libyaml count them): CR LF, CR, LF, NEL, LS, PS.
_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")


def _unreadable(name: str, text: str, e: yaml.reader.ReaderError) -> Problem:
    """A character YAML does not allow, at its own line and column. libyaml counts its position in bytes
    of the UTF-8 text, the pure-Python reader in characters."""
    index = e.position
    if PARSER == "CSafeLoader":
        index = len(text.encode("utf-8")[: e.position].decode("utf-8", "ignore"))
    breaks = list(_BREAK.finditer(text, 0, index))
    line = len(breaks) + 1
    column = index - (breaks[-1].end() if breaks else 0) + 1
    code = e.character if isinstance(e.character, int) else ord(e.character)
    if code == 0:
        what = "a NUL byte (U+0000) is not allowed in YAML (a file saved as UTF-16? save it as UTF-8)"
    elif code < 0x20 or 0x7F <= code <= 0x9F:
        what = (
            f"the control character U+{code:04X} is not allowed in YAML; remove it, or write it as the "
            f'escape "\\x{code:02x}" in a double-quoted string'
        )
    else:
        what = f"the character U+{code:04X} is not allowed in YAML; remove it"
    return Problem(name, line, column, "", what)


def _decode(raw: bytes, name: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        column = e.start - (raw.rfind(b"\n", 0, e.start) + 1) + 1
        message = f"invalid UTF-8 (byte 0x{raw[e.start]:02x}); save the file as UTF-8"
        raise LoadError([Problem(name, line, column, "", message)]) from None


class _Builder:
    """Builds plain data from parser events, collecting problems instead of raising where it can."""

    def __init__(
        self, name: str, marks_depth: int | None = None, size: int = 0, positions_only: bool = False
    ) -> None:
        self.name = name
        self.positions_only = positions_only  # scalars read as None: a second parse for positions only
        self.marks_depth = marks_depth if marks_depth is not None else MAX_DEPTH + 1
        self.problems: list[Problem] = []
        self.refused: set[Loc] = set()
        self.nodes = 0
        self.anchors: dict[str, tuple[Any, Any, int] | None] = {}  # None: still being built
        self.kept = 0  # estimated bytes of data and positions kept so far
        self.names: dict[str, str] = {}  # each distinct key once (up to MAX_NAMES), shared by every mapping
        self.allowance = max(MIN_KEPT, KEPT_RATIO * size)

    def keep(self, event: yaml.Event, amount: int) -> None:
        """Count `amount` bytes kept; refuse the document the moment it would keep more than its allowance."""
        self.kept += amount
        if self.kept > self.allowance:
            message = (
                f"document is too dense to read safely: its values would take more than {KEPT_RATIO} times "
                "the file's size in memory (millions of tiny values?); refused"
            )
            raise LoadError([Problem(self.name, *_at(event), "", message)])

    def fail(self, event: yaml.Event, loc: Loc, message: str) -> None:
        self.problems.append(Problem(self.name, *_at(event), _field(loc), message))

    def budget(self, event: yaml.Event, count: int, depth: int) -> None:
        self.nodes += count
        if self.nodes > MAX_NODES or depth > MAX_DEPTH:
            # Raised, not collected: an alias bomb or a deep nest must stop the parse at once.
            if self.nodes > MAX_NODES:
                message = f"document has more than {MAX_NODES} nodes (an alias bomb?); refused"
            else:
                message = f"document is nested more than {MAX_DEPTH} levels deep; refused"
            raise LoadError([Problem(self.name, *_at(event), "", message)])

    def document(self, loader: Any) -> tuple[Any, Marks | None]:
        loader.get_event()  # stream start
        start = loader.get_event()
        if isinstance(start, yaml.StreamEndEvent):
            raise LoadError([Problem(self.name, 1, 1, "", "file is empty")])
        first = loader.get_event()
        data, marks, _ = self.node(loader, first, (), 0)
        loader.get_event()  # document end
        after = loader.get_event()
        if not isinstance(after, yaml.StreamEndEvent):
            message = "a file holds one YAML document; remove the second '---'"
            raise LoadError([Problem(self.name, *_at(after), "", message)])
        if marks is None:  # a scalar document: keep a position for it
            marks = (*_at(first), None)
        return data, marks

    def node(self, loader: Any, event: yaml.Event, loc: Loc, depth: int) -> tuple[Any, Any, int]:
        """(data, marks, node count) of the node that starts with `event`."""
        self.budget(event, 1, depth)
        if isinstance(event, yaml.AliasEvent):
            return self.alias(event, loc, depth)
        start = self.nodes
        data: Any
        children: Any
        if isinstance(event, yaml.MappingStartEvent):
            self.tag(event, loc, "map")
            self.open_anchor(event)
            self.keep(event, _MAPPING * (2 if depth < self.marks_depth else 1))
            data, children = self.mapping(loader, loc, depth)
        elif isinstance(event, yaml.SequenceStartEvent):
            self.tag(event, loc, "seq")
            self.open_anchor(event)
            self.keep(event, _CONTAINER * (2 if depth < self.marks_depth else 1))
            data, children = self.sequence(loader, loc, depth)
        else:
            assert isinstance(event, yaml.ScalarEvent)
            self.open_anchor(event)
            data, children = self.scalar(event, loc), None
            self.keep(event, _kept(data))
        # An empty container's position is kept without an empty dict or list of children.
        marks = None if children is None else (*_at(event), children or None)
        size = self.nodes - start + 1
        anchor = getattr(event, "anchor", None)
        if anchor:
            self.anchors[anchor] = (data, marks, size)
        return data, marks, size

    def open_anchor(self, event: Any) -> None:
        if event.anchor:
            self.anchors[event.anchor] = None

    def alias(self, event: yaml.AliasEvent, loc: Loc, depth: int) -> tuple[Any, Any, int]:
        if event.anchor is None or event.anchor not in self.anchors:
            raise LoadError([_problem(self.name, event, loc, f"alias *{event.anchor} has no anchor")])
        found = self.anchors[event.anchor]
        if found is None:
            raise LoadError([_problem(self.name, event, loc, f"alias *{event.anchor} refers to itself")])
        data, marks, size = found
        self.budget(event, size, depth)
        return data, marks, size

    def tag(self, event: Any, loc: Loc, kind: str) -> None:
        if event.tag not in (None, "!", _TAG + kind):
            self.fail(event, loc, f"YAML tag {event.tag!r} is not allowed")

    def mapping(self, loader: Any, loc: Loc, depth: int) -> tuple[dict[str, Any], Any]:
        if depth >= self.marks_depth:
            return self.unrecorded_mapping(loader, loc, depth), None
        out: dict[str, Any] = {}
        children: dict[str, Any] = {}
        get = loader.get_event
        names = self.names
        entry = 2 * _SLOT + _MARK  # a key's place in the data and in the positions, and its position
        while True:
            key_event = get()
            kind = type(key_event)
            if kind is yaml.MappingEndEvent:
                return out, children
            if kind is yaml.ScalarEvent and key_event.tag is None and not key_event.anchor:
                key = key_event.value  # the common case, checked below only for a merge key
                key = self.key(loader, key_event, loc, depth) if key == "<<" else key
                self.nodes += 1
            else:
                key = self.key(loader, key_event, loc, depth)
            if key is not None:
                known = names.get(key)
                if known is None:
                    self.kept += _OBJECT + len(key)
                    if len(names) < MAX_NAMES:
                        names[key] = key
                else:
                    key = known
            self.kept += entry
            if self.kept > self.allowance:
                self.keep(key_event, 0)
            value_event = get()
            if key is None or key in children:
                if key is not None:
                    line = children[key][0]
                    self.fail(key_event, (*loc, key), f"duplicate key {key!r} (first at line {line})")
                self.node(loader, value_event, (*loc, "?"), depth + 1)  # read and drop it
                continue
            mark = key_event.start_mark
            if type(value_event) is yaml.ScalarEvent and not value_event.anchor:
                self.nodes += 1  # a scalar value, the common case: no marks of its own
                out[key] = value = self.scalar(value_event, (*loc, key))
                self.kept += _kept(value)
                if self.nodes > MAX_NODES or self.kept > self.allowance:
                    self.budget(value_event, 0, depth)
                    self.keep(value_event, 0)
                children[key] = (mark.line + 1, mark.column + 1, None)
                continue
            value, marks, _ = self.node(loader, value_event, (*loc, key), depth + 1)
            out[key] = value
            children[key] = (mark.line + 1, mark.column + 1, _inner(marks))

    def unrecorded_mapping(self, loader: Any, loc: Loc, depth: int) -> dict[str, Any]:
        """A mapping below `marks_depth`: its data only (duplicate keys are still found)."""
        out: dict[str, Any] = {}
        get = loader.get_event
        while True:
            key_event = get()
            if type(key_event) is yaml.MappingEndEvent:
                return out
            key = self.shared(self.key(loader, key_event, loc, depth))
            self.keep(key_event, _SLOT)
            value_event = get()
            if key is None or key in out:
                if key is not None:
                    self.fail(key_event, (*loc, key), f"duplicate key {key!r}")
                self.node(loader, value_event, (*loc, "?"), depth + 1)
                continue
            if type(value_event) is yaml.ScalarEvent and not value_event.anchor:
                self.nodes += 1
                out[key] = value = self.scalar(value_event, (*loc, key))
                self.kept += _kept(value)
                if self.nodes > MAX_NODES or self.kept > self.allowance:
                    self.budget(value_event, 0, depth)
                    self.keep(value_event, 0)
                continue
            out[key] = self.node(loader, value_event, (*loc, key), depth + 1)[0]

    def shared(self, key: str | None) -> str | None:
        """A key, shared with its earlier occurrences (counted as kept only the first time)."""
        if key is None:
            return None
        known = self.names.get(key)
        if known is not None:
            return known
        self.kept += _OBJECT + len(key)
        if len(self.names) < MAX_NAMES:
            self.names[key] = key
        return key

    def key(self, loader: Any, event: yaml.Event, loc: Loc, depth: int) -> str | None:
        """A mapping key as text (keys are names: `1:` and `yes:` are the names "1" and "yes")."""
        if not isinstance(event, yaml.ScalarEvent):
            self.node(loader, event, loc, depth + 1)
            self.fail(event, loc, "keys must be text, not a list or mapping")
            return None
        self.budget(event, 1, depth)
        if event.value == "<<" and not event.style and event.tag is None:
            self.fail(event, loc, "merge keys (<<) are not supported; write the keys out")
            return None
        if event.tag not in (None, "!", _TAG + "str"):
            self.fail(event, loc, f"YAML tag {event.tag!r} is not allowed on a key")
        if event.anchor:
            self.anchors[event.anchor] = (event.value, None, 1)
        return str(event.value)

    def sequence(self, loader: Any, loc: Loc, depth: int) -> tuple[list[Any], Any]:
        out: list[Any] = []
        children: list[Any] | None = [] if depth < self.marks_depth else None
        recording = children is not None
        while True:
            event = loader.get_event()
            if isinstance(event, yaml.SequenceEndEvent):
                return out, children
            value, marks, _ = self.node(loader, event, (*loc, len(out)), depth + 1)
            out.append(value)
            self.kept += 8
            if not recording:
                continue
            assert children is not None
            if marks is None and len(children) >= MAX_ITEM_MARKS:
                # A long list of scalars: later items keep no position (positions are found by index,
                # so none after this one can be recorded either).
                recording = False
                continue
            children.append((*_at(event), _inner(marks)))
            self.keep(event, 8 + _MARK)

    def scalar(self, event: yaml.ScalarEvent, loc: Loc) -> Any:
        if self.positions_only:
            return None
        tag, text = event.tag, event.value
        if tag in (None, "!") and (event.style or tag == "!"):
            return text  # quoted or block scalars, and `! x`, are text
        if tag == _TAG + "str":
            return text
        if tag is None:
            return self.plain(event, loc)
        if tag in (_TAG + "bool", _TAG + "int", _TAG + "float", _TAG + "null", _TAG + "timestamp"):
            value, error = _strict(tag.removeprefix(_TAG), text)
            if error:
                return self.refuse(event, loc, text, error)
            return value
        self.fail(event, loc, f"YAML tag {tag!r} is not allowed (parity never constructs objects)")
        self.refused.add(loc)
        return text

    def plain(self, event: yaml.ScalarEvent, loc: Loc) -> Any:
        text = event.value
        if text and text[0] not in _SUSPECT:
            return text  # YAML 1.1 reads no scalar that starts so as anything but text
        if _INT.fullmatch(text) and len(text) <= MAX_DIGITS:
            return int(text)
        if _DATE.fullmatch(text):
            return text  # dates stay text: the models accept exactly YYYY-MM-DD and name a bad one
        kind = _YAML11.resolve(yaml.ScalarNode, text, (True, False)).removeprefix(_TAG)
        if kind in ("str", "timestamp"):
            return text  # dates stay text: the models accept exactly YYYY-MM-DD and name a bad one
        value, error = _strict(kind, text)
        if error:
            return self.refuse(event, loc, text, error)
        return value

    def refuse(self, event: yaml.Event, loc: Loc, text: str, error: str) -> str:
        self.fail(event, loc, error)
        self.refused.add(loc)
        return text


def _kept(value: Any) -> int:
    """Estimated bytes a scalar value keeps: nothing for what CPython shares (None, booleans, small ints,
    one-character strings), its object otherwise."""
    kind = type(value)
    if kind is str:
        return 0 if len(value) < 2 else _OBJECT + len(value)
    if kind is int:
        return 0 if -5 <= value <= 256 else 32
    return 24 if kind is float else 0


def _strict(kind: str, text: str) -> tuple[Any, str | None]:
    """A scalar of a YAML 1.1 type in the one form parity accepts, or why it is refused."""
    if kind == "timestamp":
        return text, None
    if kind == "null":
        if text in ("", "~", "null"):
            return None, None
        return None, f"{text!r} is not a value: write null (or quote it for text)"
    if kind == "bool":
        if text in ("true", "false"):
            return text == "true", None
        return None, f"{text!r} is not a boolean here: write true or false (or quote it for text)"
    if kind == "int" and _INT.fullmatch(text):
        return _bounded(text, int)
    if kind == "float" and (_FLOAT.fullmatch(text) or _INT.fullmatch(text)):  # `!!float 12` is 12.0
        return _bounded(text, float)
    if kind in ("int", "float"):
        return None, (
            f"{text!r} is not a plain decimal number: write digits, with a dot for decimals (like 88 or "
            "0.5); no leading zeros, base prefixes, underscores, colons, exponents or infinities (or quote "
            "it for text)"
        )
    return None, f"{text!r} is not a {kind}"


def _bounded(text: str, kind: type[int] | type[float]) -> tuple[Any, str | None]:
    """The number, if it has at most 15 significant digits: every such number is exact as a float."""
    digits = text.lstrip("-").replace(".", "").lstrip("0")
    if len(digits) > MAX_DIGITS:
        return None, f"number out of range: at most {MAX_DIGITS} significant digits"
    return kind(text), None


def _inner(marks: Marks | None) -> Any:
    """A child's own keys or items (its position is that of its key or item)."""
    return marks[2] if marks is not None else None


def _field(loc: Loc) -> str:
    return ".".join(map(str, loc))


def _problem(name: str, event: yaml.Event, loc: Loc, message: str) -> Problem:
    return Problem(name, *_at(event), _field(loc), message)


def _at(event: yaml.Event) -> tuple[int, int]:
    """An event's 1-based (line, column)."""
    mark = event.start_mark
    return (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
