"""parity: find where AI labs fall below the industry bar they pledged to match.

data = parity.load("lab_profiles", "rules")  # and waivers.yaml beside lab_profiles/, as the CLI
report = parity.evaluate(data, as_of=datetime.date(2026, 12, 1))
print(parity.render(report, "table"))
"""

from parity._version import __version__
from parity.errors import EngineError, EngineMissing, LoadError, ParityError, Problem, UsageError
from parity.formats import FORMATS, Format, render, render_explain, render_rules, write
from parity.judge.evaluation import evaluate
from parity.judge.scope import select_rules
from parity.loading import Dataset, Strict, load, load_revision
from parity.report import BarResult, LabSummary, Location, Report, Verdict, WaiverIssue, WaiverNote, fails
from parity.vocabulary import FAIL_ON, SHORTFALLS, STATUSES

__all__ = [
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
