"""parity: find where AI labs fall below the industry bar they pledged to match.

data = parity.load("lab_profiles", "rules", "waivers.yaml")
report = parity.evaluate(data, as_of=datetime.date(2026, 11, 26))
print(parity.render(report, "table"))
"""

from parity.errors import EngineError, LoadError, ParityError, Problem, UsageError
from parity.evaluate import BarResult, LabSummary, Location, Report, Verdict, WaiverNote, evaluate
from parity.loader import Dataset, load
from parity.report import FORMATS, render

__version__ = "0.1.0"

__all__ = [
    "FORMATS",
    "BarResult",
    "Dataset",
    "EngineError",
    "LabSummary",
    "LoadError",
    "Location",
    "ParityError",
    "Problem",
    "Report",
    "UsageError",
    "Verdict",
    "WaiverNote",
    "__version__",
    "evaluate",
    "load",
    "render",
]
