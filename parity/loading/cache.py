"""The parse cache: each YAML document parsed once per content, found again by its git blob id.

Two layers (docs/cache.md):

- **in memory**, for the life of one `ParseCache`: the parsed data and, once validated, the model object
  itself, so that a long run (every revision of a history) hands out the *same* objects for unchanged
  files, and `is` tells an incremental evaluation what did not change;
- **on disk**, shared between runs: the plain data and key positions that `source.parse` produced, as JSON,
  one file per blob. Nothing is ever unpickled: an entry is text that is checked (its key, a checksum, its
  shape) and then validated by the same models as a fresh parse, so the worst a bad entry can do is be
  ignored and rebuilt.

Only documents that parsed without a problem are cached: a file with an error is parsed every time, so its
problems are found, and named by its own path, exactly as without a cache.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import stat
import tempfile
from collections import OrderedDict
from pathlib import Path
from typing import Any

ENV = "PARITY_CACHE_DIR"
FORMAT = 2  # bump when the layout of an entry changes (2: entries read from git are verified by their id)
MAX_ENTRY_BYTES = 256 * 1024 * 1024  # an entry of the largest file parity reads fits; a larger one is foreign
MEMORY_ENTRIES = 8192  # documents kept in memory: a few revisions' worth of a 1,000-lab repository


def blob_id(raw: bytes) -> str:
    """git's object id of a file with these bytes (`git hash-object`): a working-tree file and the same
    content in any revision share one entry."""
    from parity.loading.files import object_id

    return object_id(raw)


def default_dir() -> Path:
    """$PARITY_CACHE_DIR, else $XDG_CACHE_HOME/parity, else ~/.cache/parity (as pip and ruff do)."""
    if os.environ.get(ENV):
        return Path(os.environ[ENV])
    if os.environ.get("XDG_CACHE_HOME"):
        return Path(os.environ["XDG_CACHE_HOME"]) / "parity"
    return Path.home() / ".cache" / "parity"


@functools.cache
def fingerprint() -> str:
    """What decides a parse besides the bytes: parity's version, the parser's own code, PyYAML's version
    and which of its parsers runs. Upgrading any of them starts a fresh folder of entries."""
    import yaml

    from parity._version import __version__
    from parity.loading import yamldoc as source

    digest = hashlib.sha256(f"{FORMAT}|{__version__}|{yaml.__version__}|{source.PARSER}|".encode())
    digest.update(Path(source.__file__).read_bytes())
    return digest.hexdigest()[:16]


def private_folder(directory: Path, name: str) -> Path | None:
    """`directory/name`, created private (0700) if need be, or None when it cannot be used: what a cache
    holds is trusted to be what parity wrote, so a folder that someone else owns or that the group or
    others may write is not used at all."""
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = os.stat(directory)
        if not stat.S_ISDIR(info.st_mode) or info.st_mode & 0o022:
            return None
        if hasattr(os, "getuid") and info.st_uid != os.getuid():
            return None
        root = directory / name
        root.mkdir(mode=0o700, exist_ok=True)
        return root
    except (OSError, ValueError):
        return None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"not a JSON value: {name}")  # NaN and Infinity are never written by parity


def _marks_ok(marks: Any, depth: int = 0) -> bool:
    """Whether `marks` has the shape `source.Located` expects: [line, column, children], children a
    mapping or list of such entries, or null."""
    if not (isinstance(marks, list) and len(marks) == 3) or depth > 70:
        return False
    line, column, children = marks
    if type(line) is not int or type(column) is not int or line < 1 or column < 1:
        return False
    if children is None:
        return True
    if isinstance(children, dict):
        return all(_marks_ok(entry, depth + 1) for entry in children.values())
    return isinstance(children, list) and all(_marks_ok(entry, depth + 1) for entry in children)


class ParseCache:
    """Parsed documents by blob id, in memory and (unless `directory` is None) on disk as JSON.

    Any failure of the disk layer (a folder that cannot be created or written, one owned by someone else
    or writable by others, an entry that is corrupt, truncated or foreign) makes it behave as an empty
    cache: never an error, never a different result.
    """

    def __init__(self, directory: str | Path | None, memory_entries: int = MEMORY_ENTRIES) -> None:
        self.directory = Path(directory) if directory is not None else None
        self._disk: Path | bool | None = None if directory is not None else False  # None: not opened yet
        self._memory: OrderedDict[tuple[str, Any, str], Any] = OrderedDict()
        self._limit = memory_entries
        self.hits = self.misses = 0  # disk and memory lookups of parses, for tests and benchmarks

    @classmethod
    def default(cls) -> ParseCache:
        return cls(default_dir())

    # --- the memory layer: any value, by (blob, kind, detail) -------------------------------------------

    def recall(self, blob: str, kind: str, detail: Any = None) -> Any:
        key = (blob, detail, kind)
        found = self._memory.get(key)
        if found is not None:
            self._memory.move_to_end(key)
        return found

    def remember(self, blob: str, kind: str, value: Any, detail: Any = None) -> None:
        self._memory[(blob, detail, kind)] = value
        self._memory.move_to_end((blob, detail, kind))
        while len(self._memory) > self._limit:
            self._memory.popitem(last=False)

    # --- parses: memory, then disk --------------------------------------------------------------------

    def parsed(self, blob: str, depth: int | None) -> tuple[Any, Any] | None:
        """(data, marks) of a document parsed before, or None."""
        found = self.recall(blob, "parse", depth)
        if found is None:
            found = self._read(blob, depth)
            if found is not None:
                self.remember(blob, "parse", found, depth)
        if found is None:
            self.misses += 1
        else:
            self.hits += 1
        return found

    def store(self, blob: str, depth: int | None, data: Any, marks: Any) -> None:
        self.remember(blob, "parse", (data, marks), depth)
        self._write(blob, depth, data, marks)

    # --- the disk layer -------------------------------------------------------------------------------

    def entries(self) -> Path | None:
        """The folder of this parser's entries, created private on first use; None when unusable."""
        if self._disk is None:
            self._disk = self._open()
        return self._disk if isinstance(self._disk, Path) else None

    def _open(self) -> Path | bool:
        assert self.directory is not None
        return private_folder(self.directory, fingerprint()) or False

    def _path(self, root: Path, blob: str, depth: int | None) -> Path:
        return root / f"{blob}.{'all' if depth is None else depth}.json"

    def _header(self, blob: str, depth: int | None, digest: str) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "fingerprint": fingerprint(),
            "blob": blob,
            "depth": depth,
            "sha256": digest,
        }

    def _read(self, blob: str, depth: int | None) -> tuple[Any, Any] | None:
        root = self.entries()
        if root is None:
            return None
        from parity.loading.files import InputProblem, read_bytes

        path = self._path(root, blob, depth)
        try:
            # Opened without blocking, a regular file only, read bounded: an entry that is a FIFO, a device
            # or a huge file is passed over, never waited on or read whole.
            text = read_bytes(path, str(path), MAX_ENTRY_BYTES)
            head, sep, body = text.partition(b"\n")
            if not sep or json.loads(head) != self._header(blob, depth, hashlib.sha256(body).hexdigest()):
                return None
            entry = json.loads(body, parse_constant=_reject_constant)
        except (InputProblem, OSError, ValueError, RecursionError):
            return None  # missing, unreadable, not a file, too large, truncated, corrupt, or foreign
        if not (isinstance(entry, dict) and entry.keys() == {"data", "marks"} and _marks_ok(entry["marks"])):
            return None
        return entry["data"], entry["marks"]

    def _write(self, blob: str, depth: int | None, data: Any, marks: Any) -> None:
        root = self.entries()
        if root is None:
            return
        try:
            body = json.dumps({"data": data, "marks": marks}, separators=(",", ":"), allow_nan=False).encode()
        except (TypeError, ValueError, RecursionError):
            return  # not plain JSON data: keep it in memory only
        if len(body) > MAX_ENTRY_BYTES - 512:
            return  # larger than any entry is read back
        header = json.dumps(self._header(blob, depth, hashlib.sha256(body).hexdigest())).encode()
        path = self._path(root, blob, depth)
        try:
            # A temporary file beside the entry, renamed over it: concurrent runs write the same bytes, and a
            # reader sees a whole entry or none.
            fd, temp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(header + b"\n" + body)
                os.replace(temp, path)
            except BaseException:
                Path(temp).unlink(missing_ok=True)
                raise
        except OSError:
            self._disk = False  # a full or read-only disk: go on without it, quietly


__all__ = ["ENV", "ParseCache", "blob_id", "default_dir", "fingerprint", "private_folder"]
