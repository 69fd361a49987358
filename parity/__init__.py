"""parity: find where AI labs fall below the industry bar they pledged to match.

data = parity.load("lab_profiles", "rules")  # and waivers.yaml beside lab_profiles/, as the CLI
report = parity.evaluate(data, as_of=datetime.date(2026, 12, 1))
print(parity.render(report, "table"))

The names below are imported when first used (PEP 562), so that `import parity` and the command line's
`--version` and `--help` cost no pydantic models, no report and no engine.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from parity._version import __version__

if TYPE_CHECKING:
    from parity.errors import EngineError, EngineMissing, LoadError, ParityError, Problem, UsageError
    from parity.formats import FORMATS, Format, render, render_explain, render_rules, write
    from parity.judge.evaluation import evaluate
    from parity.judge.scope import select_rules
    from parity.loading import Dataset, Strict, load, load_revision
    from parity.report import (
        BarResult,
        LabSummary,
        Location,
        Report,
        Verdict,
        WaiverIssue,
        WaiverNote,
        fails,
    )
    from parity.vocabulary import FAIL_ON, SHORTFALLS, STATUSES

_WHERE = {
    "parity.errors": ("EngineError", "EngineMissing", "LoadError", "ParityError", "Problem", "UsageError"),
    "parity.formats": ("FORMATS", "Format", "render", "render_explain", "render_rules", "write"),
    "parity.judge.evaluation": ("evaluate",),
    "parity.judge.scope": ("select_rules",),
    "parity.loading": ("Dataset", "Strict", "load", "load_revision"),
    "parity.report": (
        "BarResult",
        "LabSummary",
        "Location",
        "Report",
        "Verdict",
        "WaiverIssue",
        "WaiverNote",
        "fails",
    ),
    "parity.vocabulary": ("FAIL_ON", "SHORTFALLS", "STATUSES"),
}
_MODULE_OF = {name: module for module, names in _WHERE.items() for name in names}

__all__ = [  # written out for linters and type checkers; tests/test_startup.py checks it against _WHERE
    "FAIL_ON",
    "FORMATS",
    "SHORTFALLS",
    "STATUSES",
    "BarResult",
    "Dataset",
    "EngineError",
    "EngineMissing",
    "Format",
    "LabSummary",
    "LoadError",
    "Location",
    "ParityError",
    "Problem",
    "Report",
    "Strict",
    "UsageError",
    "Verdict",
    "WaiverIssue",
    "WaiverNote",
    "__version__",
    "evaluate",
    "fails",
    "load",
    "load_revision",
    "render",
    "render_explain",
    "render_rules",
    "select_rules",
    "write",
]


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'parity' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # the next look-up is a plain one
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
