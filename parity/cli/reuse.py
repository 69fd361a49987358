"""Reuse a command's output when nothing it depends on changed: a second `parity check` (or `validate`) of
the same data, with the same options, on the same day, prints what the first one printed, byte for byte,
without parsing, validating or evaluating anything (docs/cache.md, "Runs").

The key is a SHA-256 of everything the output is a function of: the bytes of every input file (each YAML
file of the profile and rule folders, and the waivers file) with its name, the folders as given, the
working directory, the command and every option after defaulting (`--as-of` fixed to today, the format
chosen), and parity's own code, Python's version and the installed dependencies. A run is kept only when it
ended with exit code 0 or 1 and its output was written whole; a run whose result depends on something
outside the key (a ratcheted bar reads the repository's git history) is never kept.

Entries live beside the parse cache's, in a private folder, and are held to the same rules: written to a
temporary file and renamed, checked (length and SHA-256 of every output) before a byte is replayed, and any
failure makes the run compute its output as if there were no entry. At most `KEEP` runs are kept, the
least recently used deleted first.
"""

from __future__ import annotations

import codecs
import contextlib
import functools
import hashlib
import importlib.util
import io
import json
import os
import stat
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any, NamedTuple

from parity.loading.cache import private_folder
from parity.loading.files import InputProblem, is_yaml, read_bytes

FORMAT = 1
KEEP = 16  # entries: the runs of a few branches and days; each may hold a large report
_CHUNK = 1 << 20
_IGNORED_OPTIONS = {"cache_dir", "no_cache"}  # where the cache is does not change the output
# The installed packages whose code decides a result or its text; a reinstall changes their files' times.
_DEPENDENCIES = ("yaml", "pydantic", "pydantic_core", "durable_rules", "durable_rules_engine", "tabulate")

Produce = Callable[[IO[str]], object]


@functools.cache
def code_fingerprint() -> str:
    """parity's own files (code and templates: name, size and modification time, as Python's own bytecode
    cache tells a changed source), Python's version, and each dependency's files the same way: any change
    starts a fresh set of runs."""
    digest = hashlib.sha256(f"{FORMAT}|{sys.version}|{sys.implementation.cache_tag}".encode())
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for folder, subfolders, files in os.walk(package):
        subfolders[:] = sorted(d for d in subfolders if d != "__pycache__")
        for name in sorted(files):
            _stat_into(digest, os.path.join(folder, name))
    for name in _DEPENDENCIES:
        spec = importlib.util.find_spec(name)
        _stat_into(digest, spec.origin if spec is not None and spec.origin else name)
    return digest.hexdigest()


def _stat_into(digest: Any, path: str) -> None:
    try:
        info = os.stat(path)
        digest.update(f"\n{path}:{info.st_size}:{info.st_mtime_ns}".encode())
    except OSError:
        digest.update(f"\n{path}:-".encode())


def _input_digest(digest: Any, path: Path) -> bool:
    """Add one input (a folder of YAML files, or a file) to the key; False when it cannot be keyed (it is
    missing, or something in it is not a regular file): the command then runs and says what is wrong."""
    digest.update(f"\n@{path}\n".encode())
    try:
        if not path.is_dir():
            digest.update(hashlib.sha256(read_bytes(path, str(path))).digest())
            return True
        with os.scandir(path) as entries:
            names = sorted(e.name for e in entries if is_yaml(e.name))
        for name in names:
            digest.update(f"\n{name}\n".encode())
            digest.update(hashlib.sha256(read_bytes(path / name, name)).digest())
    except (OSError, InputProblem):
        return False
    return True


def _options(options: dict[str, Any]) -> str:
    kept = {k: v for k, v in options.items() if k not in _IGNORED_OPTIONS and not callable(v)}
    return json.dumps(kept, sort_keys=True, default=str)


class Kept(NamedTuple):
    """A kept run: its exit code, and each output as (where, offset in the entry, length in bytes)."""

    code: int
    outputs: list[tuple[str, int, int]]


class Run:
    """One command's run: replays a kept output, or records this run's output to keep it. A context
    manager: what was recorded and not kept is deleted on the way out, whatever happened."""

    def __init__(self, folder: Path | None, key: str | None) -> None:
        self.folder = folder if key is not None else None
        self.key = key or ""
        self._outputs: list[tuple[str, int, str]] = []  # (where, bytes, sha256)
        self._body: IO[bytes] | None = None
        self._temp: str | None = None
        self._whole = True  # every output recorded was written to its end

    @classmethod
    def begin(
        cls, cache_dir: Path | None, command: str, options: dict[str, Any], inputs: Iterable[Path]
    ) -> Run:
        """The run of `command` with these options and inputs; a run that reuses nothing when there is no
        cache (`--no-cache`), the folder cannot be used, or an input cannot be keyed."""
        folder = private_folder(cache_dir, f"runs-{FORMAT}") if cache_dir is not None else None
        if folder is None:
            return cls(None, None)
        try:
            digest = hashlib.sha256(f"{code_fingerprint()}|{command}|{os.getcwd()}|".encode())
        except OSError:  # the working directory was deleted: nothing relative can be trusted
            return cls(None, None)
        digest.update(_options(options).encode())
        if not all(_input_digest(digest, path) for path in inputs):
            return cls(None, None)
        return cls(folder, digest.hexdigest())

    def __enter__(self) -> Run:
        return self

    def __exit__(self, *exc: object) -> None:
        self._discard()

    # --- replaying ----------------------------------------------------------------------------------------

    def kept(self, where: list[str]) -> Kept | None:
        """The kept run of this key, if its outputs go `where` this run's go and are whole and unaltered
        (every byte checked before any is replayed)."""
        if self.folder is None:
            return None
        try:
            # Entries are read as the parse cache's are: never a FIFO or device, never waited on, bounded.
            if not all(self._regular(f"{self.key}.{part}") for part in ("head", "body")):
                return None
            head_file = self.folder / f"{self.key}.head"
            head = json.loads(read_bytes(head_file, str(head_file), 1 << 20))
            if head.get("format") != FORMAT or head.get("key") != self.key or head.get("code") not in (0, 1):
                return None
            outputs = [(str(to), int(size), str(sha)) for to, size, sha in head["outputs"]]
            if [to for to, _, _ in outputs] != where:
                return None
            with open(self.folder / f"{self.key}.body", "rb") as body:
                if not all(_sha256(body, size) == sha for _, size, sha in outputs) or body.read(1):
                    return None
            os.utime(self.folder / f"{self.key}.head")  # recently used: evicted last
        except (InputProblem, OSError, ValueError, TypeError, KeyError, AttributeError):
            return None
        placed, at = [], 0
        for to, size, _ in outputs:
            placed.append((to, at, size))
            at += size
        return Kept(int(head["code"]), placed)

    def _regular(self, name: str) -> bool:
        """Whether an entry's file is a regular file (not a link, FIFO or device)."""
        assert self.folder is not None
        return stat.S_ISREG(os.lstat(self.folder / name).st_mode)

    def replay(self, kept: Kept, index: int, out: IO[str]) -> None:
        """Write kept output number `index` to a text stream, as the run that kept it wrote it."""
        assert self.folder is not None
        _, offset, size = kept.outputs[index]
        decoder = codecs.getincrementaldecoder("utf-8")("surrogatepass")
        with open(self.folder / f"{self.key}.body", "rb") as body:
            body.seek(offset)
            for chunk in _chunks(body, size):
                out.write(decoder.decode(chunk))
        out.write(decoder.decode(b"", final=True))

    # --- recording ----------------------------------------------------------------------------------------

    def record(self, where: str, produce: Produce) -> Produce:
        """`produce`, also writing what it writes into this run's entry."""
        if self.folder is None:
            return produce

        def recording(out: IO[str]) -> None:
            tee = _Tee(out, self._sink())
            self._whole = False
            produce(tee)  # type: ignore[arg-type]  # a text stream in all but name
            self._whole = True
            self._outputs.append((where, tee.size, tee.digest.hexdigest()))

        return recording

    def keep(self, code: int) -> None:
        """Keep this run (exit `code`) for the next one with the same key; quietly nothing on any failure."""
        if self.folder is None or self._body is None or not self._whole or code not in (0, 1):
            return
        try:
            self._body.close()
            os.replace(self._temp or "", self.folder / f"{self.key}.body")
            self._body = self._temp = None
            head = {"format": FORMAT, "key": self.key, "code": code, "outputs": self._outputs}
            fd, temp = tempfile.mkstemp(prefix=".tmp-", dir=self.folder)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    json.dump(head, f)
                os.replace(temp, self.folder / f"{self.key}.head")
            finally:
                with contextlib.suppress(OSError):
                    os.unlink(temp)
            _evict(self.folder, KEEP)
        except (OSError, ValueError):
            pass  # a full or read-only disk: this run is simply not kept

    def _sink(self) -> IO[bytes] | None:
        if self._body is None and self.folder is not None:
            try:
                fd, self._temp = tempfile.mkstemp(prefix=".tmp-", dir=self.folder)
                self._body = os.fdopen(fd, "wb")
            except OSError:
                self.folder = None  # a full or read-only disk: this run is simply not kept
        return self._body

    def _discard(self) -> None:
        if self._body is not None:
            with contextlib.suppress(OSError):
                self._body.close()
        if self._temp is not None:
            with contextlib.suppress(OSError):
                os.unlink(self._temp)
        self._body = self._temp = None


class _Tee(io.TextIOBase):
    """The text stream a renderer writes to: each piece goes to the real output and into the entry."""

    def __init__(self, out: IO[str], sink: IO[bytes] | None) -> None:
        self._out, self._sink = out, sink
        self.digest, self.size = hashlib.sha256(), 0

    def write(self, text: str) -> int:
        data = text.encode("utf-8", "surrogatepass")
        if self._sink is not None:
            self._sink.write(data)
        self.digest.update(data)
        self.size += len(data)
        return self._out.write(text)

    def flush(self) -> None:
        self._out.flush()


def _chunks(body: IO[bytes], size: int) -> Iterator[bytes]:
    left = size
    while left > 0:
        chunk = body.read(min(_CHUNK, left))
        if not chunk:
            raise ValueError("truncated")
        left -= len(chunk)
        yield chunk


def _sha256(body: IO[bytes], size: int) -> str:
    digest = hashlib.sha256()
    for chunk in _chunks(body, size):
        digest.update(chunk)
    return digest.hexdigest()


def _evict(folder: Path, keep: int) -> None:
    """Delete all but the `keep` most recently used runs, and what a run killed mid-way left a day ago."""
    heads = sorted(folder.glob("*.head"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
    for head in heads[keep:]:
        with contextlib.suppress(OSError):
            head.unlink()
            (folder / f"{head.stem}.body").unlink()
    day_ago = time.time() - 86_400
    orphans = (body for body in folder.glob("*.body") if not body.with_suffix(".head").exists())
    left = [*folder.glob(".tmp-*"), *orphans]
    for path in left:
        with contextlib.suppress(OSError):
            if path.stat().st_mtime < day_ago:
                path.unlink()


__all__ = ["KEEP", "Kept", "Run", "code_fingerprint"]
