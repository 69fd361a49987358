"""Reading input files from a tree (a folder, or a git revision): bounded, and every way a path can be
wrong is an input problem.

This is the only module of the loading stage that touches the file system. A file is opened without
blocking and checked to be a regular file *before* anything is read (a FIFO, a device such as /dev/zero, or a
directory named `x.yaml` is refused at once), and at most the size cap is read. Paths are shown as the user
gave them, and a symlink keeps its own name (its stem is the lab id, not its target's).

No file outside the data folder is read through a link (SECURITY.md): a folder or file within the data
root (the folder that holds the profiles) must resolve inside the root, and a file of a folder given
outside the root must resolve inside that folder. A link that leads out is refused by its own name, and
nothing of its target, not even its path, is read or shown: a profile linked to a token file on a CI
runner would otherwise have its first line quoted in the public log. A path given outside the root is
read as given.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import stat
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from parity.errors import Problem

YAML_SUFFIXES = (".yaml", ".yml")
MAX_FILE_BYTES = 64 * 1024 * 1024  # 100,000 practices with quoted evidence fit


@dataclass(frozen=True)
class InputFile:
    """One file to read: `name` is how problems show it; `relative` is how reports show it; `blob` its git
    blob id when it comes from a revision."""

    path: Path
    name: str
    relative: str
    blob: str | None = None
    within: str | None = None  # a folder's real path that the file's real path must stay inside


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


def is_yaml(name: str) -> bool:
    """`x.yaml`, `x.yml`, in any case; hidden files (editor swap and lock files) are not inputs."""
    return name.lower().endswith(YAML_SUFFIXES) and not name.startswith(".")


def _lexically_inside(path: Path, root: Path) -> bool:
    """Whether `path`, as written (no link resolved), is `root` or under it."""
    return not Path(os.path.relpath(os.path.abspath(path), os.path.abspath(root))).as_posix().startswith("..")


def _really_inside(real: str, folder: str) -> bool:
    return real == folder or real.startswith(folder.rstrip(os.sep) + os.sep)


def leads_out(path: Path, root: Path | None) -> bool:
    """Whether `path` lies within `root` as written but, through a link, resolves outside it."""
    if root is None or not _lexically_inside(path, root):
        return False
    return not _really_inside(os.path.realpath(path), os.path.realpath(root))


def _link_out(name: str) -> InputProblem:
    message = "is a link that leads out of the data folder: parity reads no file outside it through a link"
    return InputProblem(Problem(name, 1, 1, "", message))


def list_yaml(directory: Path, what: str, root: Path | None) -> list[InputFile]:
    """The YAML files of a folder, sorted by name so every run reads them in the same order."""
    name = str(directory)
    if leads_out(directory, root):
        raise _link_out(name)
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
            names = sorted(e.name for e in entries if is_yaml(e.name))
    except OSError as e:
        raise InputProblem(Problem(name, 1, 1, "", f"cannot list the {what}: {_why(e, directory)}")) from None
    # Links may lead anywhere inside the data root (a profile linked to another file of the repository),
    # never out of it; a folder given outside the root keeps its files inside itself.
    within = os.path.realpath(root if root is not None and _lexically_inside(directory, root) else directory)
    return [
        InputFile(directory / n, str(directory / n), relative_to(directory / n, root), None, within)
        for n in names
    ]


# --- trees: where the loader's files come from ------------------------------------------------------------


class Folder:
    """Files on disk: paths as the user gave them, read bounded."""

    def list_yaml(self, directory: Path, what: str, root: Path | None) -> list[InputFile]:
        return list_yaml(directory, what, root)

    def file(self, path: Path, root: Path | None) -> InputFile:
        within = os.path.realpath(root) if root is not None and _lexically_inside(path, root) else None
        return InputFile(path, str(path), relative_to(path, root), None, within)

    def read(self, file: InputFile) -> bytes:
        # (A dangling link is left to `read_bytes`, which says so: it leads nowhere to read.)
        if (
            file.within is not None
            and os.path.exists(file.path)
            and not _really_inside(os.path.realpath(file.path), file.within)
        ):
            raise _link_out(file.name)
        return read_bytes(file.path, file.name)


@dataclass(frozen=True)
class _Entry:
    mode: str
    kind: str
    blob: str


_KINDS = {"040000": "tree", "160000": "commit"}  # any other mode is a blob (a file or a symlink)
_CHUNK = 256  # ids asked of `--batch-check` per write: its answers must fit in the pipe while we write


class GitObjects:
    """One repository's object store, through two long-lived `git cat-file` processes: `--batch-check`
    for an object's type and size, `--batch` for its contents.

    A walk over hundreds of revisions then starts two processes, not thousands. Only object ids and
    `REV^{commit}` are ever written to git, one per line (a name holding a newline is refused before), and
    a blob's size is known before its contents are asked for, so nothing over the size cap is read.
    Sizes and types are remembered by object id: an object's id is a hash of its content."""

    def __init__(self, repo: Path) -> None:
        self.repo = repo
        self._procs: dict[str, subprocess.Popen[bytes]] = {}
        self._info: dict[str, tuple[str, int] | None] = {}
        self._lock = threading.Lock()

    def __enter__(self) -> GitObjects:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:  # a forgotten close must not leave processes behind
        with contextlib.suppress(Exception):
            self.close()

    def processes(self) -> tuple[subprocess.Popen[bytes], ...]:
        """The git processes started so far and not yet ended by `close`."""
        with self._lock:
            return tuple(self._procs.values())

    def close(self) -> None:
        """End both processes (closing their input is what ends them)."""
        with self._lock:
            procs, self._procs = self._procs, {}
        for proc in procs.values():
            _end(proc)

    def _proc(self, mode: str) -> subprocess.Popen[bytes]:
        proc = self._procs.get(mode)
        if proc is None:
            try:
                proc = subprocess.Popen(
                    git_command(self.repo, "cat-file", mode),
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    env=git_environment(),
                )
            except OSError as e:
                raise GitFailed(f"cannot run git: {e.strerror}") from None
            self._procs[mode] = proc
        return proc

    def _failed(self, mode: str) -> GitFailed:
        """The process ended (not a repository, a corrupt object store): its last words, and a fresh start
        next time."""
        proc = self._procs.pop(mode)
        with contextlib.suppress(OSError):
            proc.kill()
        err = proc.stderr.read() if proc.stderr else b""
        _end(proc)
        lines = err.decode(errors="replace").strip().splitlines()
        return GitFailed(f"git: {lines[-1] if lines else 'failed'}")

    def _ask(self, mode: str, names: list[str]) -> list[bytes]:
        """Write names to a process, one per line, and read back each answer's header line."""
        proc = self._proc(mode)
        assert proc.stdin is not None and proc.stdout is not None
        try:
            proc.stdin.write("".join(f"{n}\n" for n in names).encode())
            proc.stdin.flush()
            headers = [proc.stdout.readline() for _ in names]
        except OSError:
            raise self._failed(mode) from None
        if not all(h.endswith(b"\n") for h in headers):
            raise self._failed(mode)
        return headers

    def info(self, names: list[str]) -> list[tuple[str, str, int] | None]:
        """Each object's (id, type, size), or None where there is no such object."""
        with self._lock:
            out: list[tuple[str, str, int] | None] = []
            for i in range(0, len(names), _CHUNK):
                for header in self._ask("--batch-check", names[i : i + _CHUNK]):
                    parts = header.decode(errors="replace").split()
                    known = len(parts) == 3 and parts[2].isdigit()
                    out.append((parts[0], parts[1], int(parts[2])) if known else None)
            return out

    def size(self, blob: str) -> int | None:
        """A blob's size, or None when the object is not a blob (remembered)."""
        if blob not in self._info:
            self.sizes([blob])
        found = self._info[blob]
        return found[1] if found and found[0] == "blob" else None

    def sizes(self, blobs: list[str]) -> None:
        """Learn the type and size of every object not yet known, in as few writes as the pipe allows."""
        unknown = list(dict.fromkeys(b for b in blobs if b not in self._info))
        for blob, found in zip(unknown, self.info(unknown), strict=True):
            self._info[blob] = (found[1], found[2]) if found else None

    def read(self, oid: str) -> bytes | None:
        """An object's contents, or None where there is no such object. The contents must hash to the id
        (GitFailed otherwise): what is read is what the id names, whatever git was made to serve, so the
        parse cache, keyed by that id, only ever holds what it was keyed by."""
        with self._lock:
            header = self._ask("--batch", [oid])[0]
            parts = header.split()
            if len(parts) != 3 or not parts[2].isdigit():
                return None
            proc = self._procs["--batch"]
            assert proc.stdout is not None
            size = int(parts[2])
            data = proc.stdout.read(size + 1)  # the contents, then a newline
            if len(data) != size + 1:
                raise self._failed("--batch")
        found, kind = parts[0].decode(), parts[1].decode()
        if object_id(data[:size], kind, len(found)) != found or (found != oid and _HEX.fullmatch(oid)):
            raise GitFailed(f"git: object {oid[:40]} does not hash to its id (a replaced or corrupt object)")
        return data[:size]


_HEX = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")


def object_id(content: bytes, kind: str = "blob", length: int = 40) -> str:
    """git's id of an object (`git hash-object -t KIND`): SHA-1 of `KIND SIZE\0CONTENT`, or SHA-256 in a
    repository whose ids are 64 digits long."""
    header = b"%s %d\0" % (kind.encode(), len(content))
    if length == 64:
        return hashlib.sha256(header + content).hexdigest()
    return hashlib.sha1(header + content, usedforsecurity=False).hexdigest()


def _end(proc: subprocess.Popen[bytes]) -> None:
    """Close a process's pipes (closing its input is what ends `cat-file`) and wait for it."""
    for stream in (proc.stdin, proc.stdout, proc.stderr):
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()
    proc.wait()


class GitFailed(Exception):
    """git could not be run, or ended; the message says why."""


# What git reads from the environment before the repository `-C` names (`git rev-parse --local-env-vars`):
# a git hook runs with GIT_DIR and GIT_INDEX_FILE set, and they would silently point every git call at
# another repository. They are dropped, as git itself drops them when it enters a submodule.
_REPOSITORY_VARIABLES = frozenset(
    {
        "GIT_ALTERNATE_OBJECT_DIRECTORIES",
        "GIT_COMMON_DIR",
        "GIT_CONFIG",
        "GIT_CONFIG_COUNT",
        "GIT_CONFIG_PARAMETERS",
        "GIT_DIR",
        "GIT_GRAFT_FILE",
        "GIT_IMPLICIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_INTERNAL_SUPER_PREFIX",
        "GIT_NAMESPACE",
        "GIT_NO_REPLACE_OBJECTS",
        "GIT_OBJECT_DIRECTORY",
        "GIT_PREFIX",
        "GIT_REPLACE_REF_BASE",
        "GIT_SHALLOW_FILE",
        "GIT_WORK_TREE",
    }
)


def git_command(repo: Path, *args: str) -> list[str]:
    """The command line of one git call on `repo`. Replace refs are never followed: an object is what
    its id names, so a `git replace` cannot put other contents under a genuine id (the parse cache is
    keyed by that id: docs/cache.md)."""
    return ["git", "--no-replace-objects", "-C", str(repo), *args]


def git_environment() -> dict[str, str]:
    """The environment of every git call parity makes: the caller's, without the variables that choose
    another repository than the one named (`--repo` wins over GIT_DIR, as in a hook)."""
    env = {k: v for k, v in os.environ.items() if k not in _REPOSITORY_VARIABLES}
    env["GIT_NO_REPLACE_OBJECTS"] = "1"  # as --no-replace-objects, for any git a git call starts
    return env


def _posix(path: str | Path) -> str:
    return Path(path).as_posix().strip("/")


def _yaml_paths(entries: dict[str, _Entry]) -> list[str]:
    """The YAML entries of a folder's listing, by path, sorted (as every run must read them)."""
    return [p for p in sorted(entries) if is_yaml(p.rsplit("/", 1)[-1])]


def _tree_entries(data: bytes, id_bytes: int) -> Iterator[tuple[str, str, str]]:
    """The (mode, name, id) of each entry of a raw tree object: `MODE SP NAME NUL ID`, ids in binary."""
    at = 0
    while at < len(data):
        space = data.index(b" ", at)
        nul = data.index(b"\0", space)
        end = nul + 1 + id_bytes
        mode, name = data[at:space].decode().rjust(6, "0"), data[space + 1 : nul].decode(errors="replace")
        yield mode, name, data[nul + 1 : end].hex()
        at = end


class GitRevision:
    """Files of one commit, read through git's own object store: the working tree is never touched.

    Paths are relative to the repository's top; problems name a file `REV:path` (as `git show` does), and
    reports name it by its path, as for a folder. Each file keeps its blob id. Pass the `GitObjects` of
    the repository to share its processes across revisions; without one, `close` ends the revision's own."""

    def __init__(self, repo: Path, rev: str, objects: GitObjects | None = None) -> None:
        self.repo, self.rev = repo, rev
        self.objects = objects if objects is not None else GitObjects(repo)
        self._own = objects is None
        self.entries: dict[str, _Entry] = {}  # every file handed out, by path
        self._trees: dict[str, dict[str, _Entry]] = {}  # every folder listed, by path
        self.tree_ids: dict[str, str | None] = {}  # every folder looked up: its tree id (None: no folder)
        try:
            found = self.objects.info([f"{rev}^{{commit}}"])[0] if "\n" not in rev and rev else None
        except GitFailed as e:
            self.close()
            raise InputProblem(Problem(rev, 1, 1, "", str(e))) from None
        if found is None:
            self.close()
            raise InputProblem(Problem(rev, 1, 1, "", f"no such revision in {repo}"))
        self.commit = found[0]
        self._id_bytes = len(self.commit) // 2

    def close(self) -> None:
        if self._own:
            self.objects.close()

    def _object(self, oid: str, name: str) -> bytes:
        try:
            found = self.objects.read(oid)
        except GitFailed as e:
            raise InputProblem(Problem(name, 1, 1, "", str(e))) from None
        if found is None:
            raise InputProblem(Problem(name, 1, 1, "", f"git: object {oid} is missing"))
        return found

    def tree_id(self, path: str | Path) -> str | None:
        """The id of the tree at `path` (equal ids, equal trees), or None where the commit has no folder."""
        text = _posix(path)
        return self._tree_id("" if text == "." else text)

    def blob_id(self, path: str | Path) -> str | None:
        """The id of the object at `path`, or None when the commit has none there."""
        entry = self._entry(_posix(path))
        return entry.blob if entry is not None else None

    def _entry(self, text: str) -> _Entry | None:
        """The entry at a path relative to the top (no slash at either end), if the commit has one."""
        return self._ls(text.rsplit("/", 1)[0] if "/" in text else "").get(text)

    def _tree_id(self, directory: str) -> str | None:
        """The id of the tree at `directory` ("" for the top), or None when the commit has no such folder."""
        if directory in self.tree_ids:
            return self.tree_ids[directory]
        if not directory:
            # Asked of `--batch-check`: a commit's message can be any size (400 MB), and is never read.
            try:
                top = self.objects.info([f"{self.commit}^{{tree}}"])[0]
            except GitFailed as e:
                raise InputProblem(Problem(self.rev, 1, 1, "", str(e))) from None
            if top is None or top[1] != "tree":
                raise InputProblem(Problem(self.rev, 1, 1, "", f"git: commit {self.commit} has no tree"))
            found: str | None = top[0]
        else:
            entry = self._ls(directory.rpartition("/")[0]).get(directory)
            found = entry.blob if entry is not None and entry.kind == "tree" else None
        self.tree_ids[directory] = found
        return found

    def _ls(self, directory: str) -> dict[str, _Entry]:
        """The entries of one folder of the commit ("" for the top), by path; {} when there is no such
        folder, as `git ls-tree` gives."""
        if directory in self._trees:
            return self._trees[directory]
        oid = self._tree_id(directory)
        entries: dict[str, _Entry] = {}
        if oid is not None:
            prefix = f"{directory}/" if directory else ""
            raw = self._object(oid, self._name(directory))
            for mode, name, blob in _tree_entries(raw, self._id_bytes):
                entries[prefix + name] = _Entry(mode, _KINDS.get(mode, "blob"), blob)
        self._trees[directory] = entries
        return entries

    def _name(self, path: str) -> str:
        return f"{self.rev}:{path}"

    def exists(self, path: str) -> bool:
        """Whether the revision holds anything at `path` (a file or a folder)."""
        return self._entry(path.strip("/")) is not None

    def list_yaml(self, directory: Path, what: str, root: Path | None) -> list[InputFile]:
        folder = directory.as_posix().strip("/")
        entries = self._ls(folder)
        if not entries:
            message = f"cannot read the {what}: no such directory in this revision"
            raise InputProblem(Problem(self._name(folder), 1, 1, "", message))
        files = _yaml_paths(entries)
        try:  # the sizes `check` needs, asked for together
            self.objects.sizes([entries[p].blob for p in files if entries[p].kind == "blob"])
        except GitFailed as e:
            raise InputProblem(Problem(self._name(folder), 1, 1, "", str(e))) from None
        return [self._file(p, entries[p]) for p in files]

    def yaml_blobs(self, directory: str | Path) -> dict[str, str]:
        """The object id of each YAML entry of a folder (as `list_yaml` would list them), by path, in
        order; {} when there is no such folder. Nothing is read but the folder's tree."""
        entries = self._ls(Path(directory).as_posix().strip("/"))
        return {p: entries[p].blob for p in _yaml_paths(entries)}

    def file(self, path: Path, root: Path | None) -> InputFile:
        text = _posix(path)
        entry = self._entry(text)
        if entry is None:
            raise InputProblem(Problem(self._name(text), 1, 1, "", "cannot read: not in this revision"))
        return self._file(text, entry)

    def _file(self, path: str, entry: _Entry) -> InputFile:
        self.entries[path] = entry
        return InputFile(Path(path), self._name(path), path, entry.blob)

    def read(self, file: InputFile) -> bytes:
        entry = self.check(file)
        return self._object(entry.blob, file.name)

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
        try:
            size = self.objects.size(entry.blob)
        except GitFailed as e:
            raise InputProblem(Problem(file.name, 1, 1, "", str(e))) from None
        if size is None:
            raise InputProblem(Problem(file.name, 1, 1, "", f"git: object {entry.blob} is missing"))
        if size > MAX_FILE_BYTES:
            message = f"file is {size} bytes; parity reads at most {MAX_FILE_BYTES}"
            raise InputProblem(Problem(file.name, 1, 1, "", message))
        return entry
