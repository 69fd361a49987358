"""Typed errors: the library raises these; only the CLI turns them into exit codes."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with one input file, at a place a person can jump to."""

    file: str
    line: int
    column: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"

    def to_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "field": self.field,
            "message": self.message,
        }


class ParityError(Exception):
    """Base class for every error parity raises on purpose."""


class LoadError(ParityError):
    """The inputs could not be loaded; carries every problem found in every file."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(set(problems))
        super().__init__("\n".join(map(str, self.problems)))


class UsageError(ParityError):
    """A request the inputs cannot answer: an unknown rule or lab id, a bad option value."""


class EngineError(ParityError):
    """The inference engine misbehaved: a bug in parity or durable_rules, never bad input."""


class EngineMissing(EngineError):
    """The inference engine does not import: an installation problem (durable-rules built without the
    define Python 3.13 needs, or not built at all), never a bug and never bad input. Its message ends with
    the one command that fixes it."""


class OutputError(ParityError):
    """The output could not be written (a full disk, a folder that is not parity's to replace)."""
