"""Reading input files from a tree (a folder, or a git revision): bounded, and every way a path can be
wrong is an input problem.

This is the only module of the loading stage that touches the file system. A file is opened without
blocking and checked to be a regular file *before* anything is read (a FIFO, a device such as /dev/zero, or a
directory named `x.yaml` is refused at once), and at most the size cap is read. Paths are shown as the user
gave them, and a symlink keeps its own name (its stem is the lab id, not its target's).
"""

from __future__ import annotations

import errno
import os
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from parity.errors import Problem
from parity.source import MAX_FILE_BYTES

YAML_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class InputFile:
    """One file to read: `name` is how problems show it; `relative` is how reports show it; `blob` its git
    blob id when it comes from a revision."""

    path: Path
    name: str
    relative: str
    blob: str | None = None


class InputProblem(Exception):
    """A file or folder that cannot be read; carries the problem to report."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def _why(e: OSError, path: Path) -> str:
    if e.errno == errno.ENOENT and os.path.islink(path):
        return "dangling symlink: its target does not exist"
    reasons = {
        errno.ENOENT: "no such file or directory",
        errno.ELOOP: "symlink loop",
        errno.ENAMETOOLONG: "path too long",
        errno.EACCES: "permission denied",
        errno.ENOTDIR: "a part of the path is not a directory",
    }
    return reasons.get(e.errno or 0, e.strerror or type(e).__name__)


def relative_to(path: Path, root: Path | None) -> str:
    """`path` relative to `root`, with forward slashes and no symlink resolved; as given without a root."""
    if root is None:
        return path.as_posix()
    return Path(os.path.relpath(os.path.abspath(path), os.path.abspath(root))).as_posix()


def read_bytes(path: Path, name: str, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a regular file, at most `limit` of them; raises InputProblem."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as e:
        raise InputProblem(Problem(name, 1, 1, "", f"cannot read: {_why(e, path)}")) from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise InputProblem(Problem(name, 1, 1, "", "is a directory, not a YAML file"))
        if not stat.S_ISREG(info.st_mode):
            kind = "a FIFO" if stat.S_ISFIFO(info.st_mode) else "a device or socket"
            raise InputProblem(
                Problem(name, 1, 1, "", f"is {kind}, not a regular file; parity reads files only")
            )
        if info.st_size > limit:
            raise InputProblem(
                Problem(name, 1, 1, "", f"file is {info.st_size} bytes; parity reads at most {limit}")
            )
        with os.fdopen(fd, "rb", closefd=True) as f:
            fd = -1
            raw = _read_at_most(f, info.st_size, limit)
    except OSError as e:
        raise InputProblem(Problem(name, 1, 1, "", f"cannot read: {_why(e, path)}")) from None
    finally:
        if fd >= 0:
            os.close(fd)
    if len(raw) > limit:  # it grew while we looked
        raise InputProblem(
            Problem(name, 1, 1, "", f"file is over {limit} bytes; parity reads at most {limit}")
        )
    return raw


def _read_at_most(f: BinaryIO, expected: int, limit: int) -> bytes:
    """Read what the file's size promised; a file that grows meanwhile is read on, but never past `limit`
    (a single read(limit) would allocate the whole limit up front)."""
    chunks = [f.read(expected + 1)]
    total = len(chunks[0])
    while total > expected and total <= limit:
        chunk = f.read(min(1 << 20, limit + 1 - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


def _is_yaml(name: str) -> bool:
    """`x.yaml`, `x.yml`, in any case; hidden files (editor swap and lock files) are not inputs."""
    return name.lower().endswith(YAML_SUFFIXES) and not name.startswith(".")


def list_yaml(directory: Path, what: str, root: Path | None) -> list[InputFile]:
    """The YAML files of a folder, sorted by name so every run reads them in the same order."""
    name = str(directory)
    try:
        info = os.stat(directory)
    except OSError as e:
        reason = (
            "no such directory"
            if e.errno == errno.ENOENT and not os.path.islink(directory)
            else _why(e, directory)
        )
        raise InputProblem(Problem(name, 1, 1, "", f"cannot read the {what}: {reason}")) from None
    if not stat.S_ISDIR(info.st_mode):
        raise InputProblem(Problem(name, 1, 1, "", f"the {what} must be a directory; this is a file"))
    try:
        with os.scandir(directory) as entries:
            names = sorted(e.name for e in entries if _is_yaml(e.name))
    except OSError as e:
        raise InputProblem(Problem(name, 1, 1, "", f"cannot list the {what}: {_why(e, directory)}")) from None
    return [InputFile(directory / n, str(directory / n), relative_to(directory / n, root)) for n in names]


# --- trees: where the loader's files come from ------------------------------------------------------------


class Folder:
    """Files on disk: paths as the user gave them, read bounded."""

    def list_yaml(self, directory: Path, what: str, root: Path | None) -> list[InputFile]:
        return list_yaml(directory, what, root)

    def file(self, path: Path, root: Path | None) -> InputFile:
        return InputFile(path, str(path), relative_to(path, root))

    def read(self, file: InputFile) -> bytes:
        return read_bytes(file.path, file.name)


@dataclass(frozen=True)
class _Entry:
    mode: str
    kind: str
    blob: str
    size: int


class GitRevision:
    """Files of one commit, read through git's own object store: the working tree is never touched.

    Paths are relative to the repository's top; problems name a file `REV:path` (as `git show` does), and
    reports name it by its path, as for a folder. Each file keeps its blob id."""

    def __init__(self, repo: Path, rev: str) -> None:
        self.repo, self.rev = repo, rev
        out = self._git("rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}", name=rev)
        self.commit = out.decode().strip()
        if not self.commit:
            raise InputProblem(Problem(rev, 1, 1, "", f"no such revision in {repo}"))
        self.entries: dict[str, _Entry] = {}  # every file handed out, by path

    def _git(self, *args: str, name: str) -> bytes:
        try:
            done = subprocess.run(["git", "-C", str(self.repo), *args], capture_output=True, check=False)
        except OSError as e:
            raise InputProblem(Problem(name, 1, 1, "", f"cannot run git: {e.strerror}")) from None
        if done.returncode != 0 and args[0] != "rev-parse":
            lines = done.stderr.decode(errors="replace").strip().splitlines()
            raise InputProblem(Problem(name, 1, 1, "", f"git: {lines[-1] if lines else 'failed'}"))
        return done.stdout

    def _ls(self, directory: str) -> dict[str, _Entry]:
        """The entries of one folder of the commit ("" for the top), by path."""
        spec = [f"{directory}/"] if directory else []
        out = self._git(
            "ls-tree", "-z", "-l", "--end-of-options", self.commit, *spec, name=self._name(directory)
        )
        entries = {}
        for record in out.split(b"\0"):
            if record:
                meta, _, path = record.partition(b"\t")
                mode, kind, blob, size = meta.decode().split()
                entries[path.decode()] = _Entry(mode, kind, blob, int(size) if size.isdigit() else 0)
        return entries

    def _name(self, path: str) -> str:
        return f"{self.rev}:{path}"

    def exists(self, path: str) -> bool:
        """Whether the revision holds anything at `path` (a file or a folder)."""
        text = path.strip("/")
        return text in self._ls(text.rsplit("/", 1)[0] if "/" in text else "")

    def list_yaml(self, directory: Path, what: str, root: Path | None) -> list[InputFile]:
        folder = directory.as_posix().strip("/")
        entries = self._ls(folder)
        if not entries:
            message = f"cannot read the {what}: no such directory in this revision"
            raise InputProblem(Problem(self._name(folder), 1, 1, "", message))
        return [self._file(p, entries[p]) for p in sorted(entries) if _is_yaml(p.rsplit("/", 1)[-1])]

    def file(self, path: Path, root: Path | None) -> InputFile:
        text = path.as_posix().strip("/")
        entries = self._ls(text.rsplit("/", 1)[0] if "/" in text else "")
        if text not in entries:
            raise InputProblem(Problem(self._name(text), 1, 1, "", "cannot read: not in this revision"))
        return self._file(text, entries[text])

    def _file(self, path: str, entry: _Entry) -> InputFile:
        self.entries[path] = entry
        return InputFile(Path(path), self._name(path), path, entry.blob)

    def read(self, file: InputFile) -> bytes:
        entry = self.check(file)
        return self._git("cat-file", "blob", entry.blob, name=file.name)

    def check(self, file: InputFile) -> _Entry:
        """The entry of a file that `read` would read, or the InputProblem it would raise."""
        entry = self.entries[file.path.as_posix()]
        if entry.kind == "tree":
            raise InputProblem(Problem(file.name, 1, 1, "", "is a directory, not a YAML file"))
        if entry.mode == "120000":
            message = "is a symlink: parity does not follow links in a revision"
            raise InputProblem(Problem(file.name, 1, 1, "", message))
        if entry.kind != "blob":
            raise InputProblem(Problem(file.name, 1, 1, "", f"is a {entry.kind}, not a file"))
        if entry.size > MAX_FILE_BYTES:
            message = f"file is {entry.size} bytes; parity reads at most {MAX_FILE_BYTES}"
            raise InputProblem(Problem(file.name, 1, 1, "", message))
        return entry
