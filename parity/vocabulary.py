"""The vocabulary of the domain, each word defined once: statuses and their groups, severities and their
order, the states of a practice, four-valued truth, the kinds of bar and the rank each reads, dates ("today",
"in force", "within N days"), and how a value, a rank and a count are shown.

A second copy of any of these is where a wrong verdict comes from, so every other module asks here. This
module imports nothing of parity's and nothing heavy: the engine, the formats and the command line's
fastest paths may all use it.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any, Literal, TypeGuard

# --- verdicts -------------------------------------------------------------------------------------------

Status = Literal[
    "surpasses", "meets", "below", "undisclosed", "unassessed", "not_applicable", "no_bar", "waived"
]
STATUSES: tuple[Status, ...] = (
    "surpasses",
    "meets",
    "below",
    "undisclosed",
    "unassessed",
    "not_applicable",
    "no_bar",
    "waived",
)
Shortfall = Literal["below", "undisclosed"]
SHORTFALLS: tuple[Shortfall, ...] = ("below", "undisclosed")  # what a lab is accused of
GOOD: tuple[Status, ...] = ("surpasses", "meets")  # at or above the bar
SCORED: tuple[Status, ...] = (*GOOD, *SHORTFALLS)  # what a score counts: good / scored
COMPARED: tuple[Status, ...] = ("surpasses", "meets", "below")  # a value judged against a binding bar: a gap
UNSCORED: tuple[Status, ...] = ("waived", "unassessed", "no_bar", "not_applicable")  # left out of scores


def is_shortfall(status: str) -> TypeGuard[Shortfall]:
    """Whether a status is one a lab is accused of (below, undisclosed)."""
    return status in SHORTFALLS


# --- severities -----------------------------------------------------------------------------------------

Severity = Literal["info", "low", "medium", "high", "critical"]
SEVERITIES: tuple[Severity, ...] = ("info", "low", "medium", "high", "critical")  # least severe first
FAIL_ON: tuple[str, ...] = ("never", *SEVERITIES)
_RANK: dict[str, int] = {severity: i for i, severity in enumerate(SEVERITIES)}


def severity_rank(severity: str | None) -> int:
    """A severity's place in SEVERITIES; a rule without one (a derive rule) counts as `info`."""
    return _RANK[severity or "info"]


def at_least(severity: str | None, floor: str) -> bool:
    """Whether `severity` is `floor` or more severe."""
    return severity_rank(severity) >= severity_rank(floor)


# --- the state of a practice ----------------------------------------------------------------------------

State = Literal["disclosed", "unevidenced", "undisclosed", "unassessed", "not_applicable", "derived"]
# Integer codes, ordered so that "has a value" is `state >= UNEVIDENCED`; the engine's facts carry them.
NOT_APPLICABLE, UNASSESSED, UNDISCLOSED, UNEVIDENCED, DISCLOSED = 0, 1, 2, 3, 4
STATE_NAMES: dict[int, State] = {
    NOT_APPLICABLE: "not_applicable",
    UNASSESSED: "unassessed",
    UNDISCLOSED: "undisclosed",
    UNEVIDENCED: "unevidenced",
    DISCLOSED: "disclosed",
}


def has_value(state: int) -> bool:
    """Whether a practice in this state has a value to judge (disclosed, or claimed without evidence)."""
    return state >= UNEVIDENCED


# A derived indicator's value for one lab, and a condition's: four-valued, so that keeping quiet is never a
# way out of a commitment and missing research is never an accusation.
Truth = bool | Literal["undisclosed", "unassessed"]

# --- bars -----------------------------------------------------------------------------------------------

BarKind = Literal["best", "quorum", "median", "all", "threshold", "within_days"]
RELATIVE_BARS: tuple[BarKind, ...] = ("best", "quorum", "median", "all")  # set by the peers' values
ABSOLUTE_BARS: tuple[BarKind, ...] = ("threshold", "within_days")  # a fixed value; nobody sets them


def rank_k(kind: str, k: int | None, disclosed: int, peers: int) -> int | None:
    """Which peer value a relative bar is, counted best first, for a lab whose peers number `peers` of whom
    `disclosed` disclose; None when the bar cannot bind (fewer than k disclose; for `all`, any peer silent).

    best: 1; {quorum: k}: k; median: ceil(n/2) of the n disclosed; all: every peer, so the worst of them."""
    if kind == "best":
        rank = 1
    elif kind == "quorum":
        rank = k or 1
    elif kind == "median":
        rank = math.ceil(disclosed / 2)
    elif kind == "all":
        rank = peers if disclosed == peers else 0
    else:
        raise ValueError(f"{kind!r} is not a relative bar")
    return rank if 1 <= rank <= disclosed else None


# --- dates ----------------------------------------------------------------------------------------------

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# The dates parity evaluates at (an --as-of, a commit's, a snapshot's): before 1900 is a typo, and from
# the latest one every window and horizon (at most a hundred years, MAX_DAYS) still ends in a date.
EARLIEST_DATE = dt.date(1900, 1, 1)
LATEST_DATE = dt.date(9899, 12, 31)
MAX_DAYS = 36_500  # the longest window, horizon or review age: any longer is a typo
DEFAULT_WAIVER_HORIZON = 365  # a waiver expiring further than this after the evaluation date is not applied


def parse_date(raw: Any) -> dt.date:
    """Exactly YYYY-MM-DD (or a date already): no timestamps, week dates or integers; ValueError else."""
    if isinstance(raw, dt.date) and not isinstance(raw, dt.datetime):
        return raw
    if isinstance(raw, str) and _ISO_DATE.fullmatch(raw):
        try:
            return dt.date.fromisoformat(raw)
        except ValueError:
            raise ValueError(f"{raw!r} is not a real date") from None
    raise ValueError(f"expected a date YYYY-MM-DD, got {raw!r}")


def today() -> dt.date:
    """Today in UTC: the default evaluation date, the same wherever parity runs."""
    return dt.datetime.now(dt.UTC).date()


def window_start(end: dt.date, days: int) -> dt.date:
    """The first day of "within `days` days of `end`": from end − days through end, both counted.

    The one convention for every window: a `within_days` bar (a date that old still meets it), staleness
    (`max_age_days`: evidence that old is not stale yet), a ratchet's and an erosion alarm's window."""
    return end - dt.timedelta(days=days)


def in_force(since: dt.date | None, as_of: dt.date, until: dt.date | None = None) -> bool:
    """Whether a rule in force from `since` (None: always) until the day before `until` (None: for good)
    judges at `as_of`: since <= as_of < until."""
    return (since is None or since <= as_of) and (until is None or as_of < until)


# --- values as a person reads them ----------------------------------------------------------------------


def show(value: Any) -> str:
    """A value as a person reads it and a watchdog writes it: true/false, ISO dates, numbers as written."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st, 101st: a rank as a person writes it (never "2th")."""
    suffix = "th" if 11 <= n % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def plural(n: int | float, word: str, words: str | None = None) -> str:
    """A count with its noun, agreed: 1 pack, 2 packs, 0 packs (`words` for an irregular plural), never
    "pack(s)". Here, and not in the formats, because the rule catalog (below them) says counts too."""
    return f"{show(n)} {word if abs(n) == 1 else words or word + 's'}"


def same(a: Any, b: Any) -> bool:
    """Equal and of the same type: 2 and 2.0 are equal numbers but print differently, so a value that
    changed from one to the other changed."""
    return type(a) is type(b) and a == b
