"""The shape of every input: indicators, lab profiles, rule packs and waivers (pydantic v2).

Models check what one object can check on its own (types, one-of choices, URL schemes); checks that
need several files (does this indicator exist? is this tag carried by any lab?) live in `loader`.
Every model forbids unknown fields: in a watchdog's data a stray key is nearly always a typo.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import math
import re
from collections.abc import Iterable
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from parity.vocabulary import MAX_DAYS, RELATIVE_BARS, BarKind, Severity, parse_date, show

IndicatorType = Literal["boolean", "number", "level", "date"]
Id = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=200),
    Field(description="Letters, digits, '_', '.', '-'; starts with a letter or digit."),
]
Text = Annotated[str, StringConstraints(min_length=1, strip_whitespace=False)]
UNKNOWN = "unknown"


Date = Annotated[dt.date, BeforeValidator(parse_date), WithJsonSchema({"type": "string", "format": "date"})]
Days = Annotated[int, Field(gt=0, le=MAX_DAYS)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Indicator(_Model):
    """One comparable practice, declared in a rule pack under `indicators:`."""

    title: Text
    area: Id
    type: IndicatorType
    better: Literal["higher", "lower"] | None = Field(
        None, description="number: required; boolean: true is better unless 'lower'."
    )
    unit: str | None = None
    levels: list[Text] | None = Field(None, description="level only: worst first.")
    description: str | None = None
    max_age_days: Days | None = Field(
        None, description="Evidence older than this many days is flagged stale."
    )
    derived: bool = Field(False, description="Set by a derive rule, never by a profile.")

    @model_validator(mode="after")
    def _check_type_options(self) -> Indicator:
        if self.type == "number" and self.better is None:
            raise ValueError("a number indicator must say better: higher or better: lower")
        if self.type in ("level", "date") and self.better is not None:
            raise ValueError(f"'better' is not allowed for a {self.type} indicator")
        if (self.type == "level") != (self.levels is not None):
            raise ValueError("'levels' is required for a level indicator and allowed only there")
        if self.levels is not None:
            if len(self.levels) < 2 or len(set(self.levels)) != len(self.levels):
                raise ValueError("'levels' needs at least two distinct levels, worst first")
            if UNKNOWN in self.levels:
                raise ValueError("'unknown' cannot be a level: it means undisclosed")
        if self.derived and self.type != "boolean":
            raise ValueError("a derived indicator must have type: boolean")
        return self

    def coerce(self, raw: Any) -> tuple[Any, str | None]:
        """A value in this indicator's own terms, or a message saying what was expected instead."""
        kind = self.type
        if kind == "boolean" and isinstance(raw, bool):
            return raw, None
        if kind == "number" and isinstance(raw, (int, float)) and not isinstance(raw, bool):
            return (raw, None) if math.isfinite(raw) else (None, "must be a finite number")
        if kind == "level" and isinstance(raw, str) and raw in (self.levels or ()):
            return raw, None
        if kind == "date" and isinstance(raw, (str, dt.date)):
            try:
                return parse_date(raw), None
            except ValueError as e:
                return None, str(e)
        return None, self._expected(raw)

    def _expected(self, raw: Any) -> str:
        levels = self.levels or []
        expected = {
            "boolean": "true or false",
            "number": "a number",
            "level": f"one of {', '.join(levels)}",
            "date": "a date YYYY-MM-DD",
        }[self.type]
        hint = ""
        if self.type == "level" and isinstance(raw, str):
            hint = suggest(raw, levels)
        elif self.type == "boolean" and isinstance(raw, str) and raw.lower() in ("true", "false"):
            hint = f" (write {raw.lower()} without quotes)"
        elif self.type == "number" and isinstance(raw, str) and _looks_like_exponent(raw):
            hint = " (write it out in plain decimals: exponents are not accepted)"
        return f"expected {expected}, got {shown(raw)}{hint}"


def suggest(name: str, known: Iterable[str]) -> str:
    """ "; did you mean 'x'?" for the closest known name, or nothing."""
    close = difflib.get_close_matches(name, list(known), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def shown(raw: Any) -> str:
    """An input value as a watchdog wrote it, for messages."""
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if raw is None:
        return "nothing (null)"
    if isinstance(raw, dict):
        return "a mapping"
    if isinstance(raw, list):
        return "a list"
    text = repr(raw) if isinstance(raw, str) else str(raw)
    return text if len(text) <= 80 else text[:77] + "..."


def _looks_like_exponent(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return "e" in text.lower()


# A scheme, then a host; no white space anywhere. (urlsplit costs 5x more per URL and accepts the same.)
_HTTP_URL = re.compile(r"https?://[^\s/?#@]+(?:[/?#]\S*)?", re.IGNORECASE)


def _check_url(url: str, what: str = "evidence url") -> str:
    if not _HTTP_URL.fullmatch(url):
        raise ValueError(f"{what} must be an http(s) URL, not {url!r}")
    return url


_URL_SCHEMA = WithJsonSchema({"type": "string", "pattern": "^[Hh][Tt][Tt][Pp][Ss]?://[^\\s/?#@]+"})
Url = Annotated[str, BeforeValidator(lambda v: _check_url(v) if isinstance(v, str) else v), _URL_SCHEMA]
ReplyUrl = Annotated[
    str,
    BeforeValidator(lambda v: _check_url(v, "a response's url") if isinstance(v, str) else v),
    _URL_SCHEMA,
]
Tier = Literal["primary", "secondary"]


class Evidence(_Model):
    """A public source for a practice's value."""

    url: Url
    date: Date = Field(
        description="Publication date of the source (for value: unknown, the day the watchdog looked)."
    )
    quote: str | None = None
    note: str | None = None
    title: str | None = None
    tier: Tier | None = Field(
        None,
        description="primary: the lab's or a government's own words; secondary: someone else's account "
        "of them (a news report, a tracker, a research note).",
    )
    archive: Url | None = Field(None, description="A copy of the source kept by a public web archive.")


class PracticeState(_Model):
    """A practice's state: a value with its evidence (`unknown` when not disclosed), or why it does not
    apply. The current state of a practice, and each of its `earlier` states, are one."""

    value: Any = Field(None, description="The value, or 'unknown' when not disclosed.")
    evidence: list[Evidence] = []
    not_applicable: Text | None = Field(None, description="Why the practice does not apply.")
    note: str | None = None

    @model_validator(mode="after")
    def _value_or_not_applicable(self) -> PracticeState:
        has_value = "value" in self.model_fields_set
        if has_value == (self.not_applicable is not None):
            raise ValueError("give exactly one of 'value' or 'not_applicable'")
        if has_value and self.value is None:
            raise ValueError("value is empty; write 'value: unknown' when it is not disclosed")
        return self


class EarlierState(PracticeState):
    """What a practice was before: a whole state, and the day it took effect for the lab."""

    since: Date = Field(description="The day this state took effect for the lab (valid time).")


class Practice(PracticeState):
    """A lab's value for one indicator, with its evidence, or why it does not apply; with `since`, the day
    it took effect, and `earlier`, what it was before (newest first)."""

    since: Date | None = Field(
        None, description="The day this value took effect for the lab (not the day it was recorded)."
    )
    earlier: list[EarlierState] | None = Field(
        None, min_length=1, description="What the practice was before, newest first; needs 'since'."
    )

    @model_validator(mode="after")
    def _earlier_needs_since(self) -> Practice:
        if self.earlier is not None and self.since is None:
            raise ValueError("'earlier' needs 'since' on the practice: the day its current value took effect")
        return self


Stance = Literal["disputes", "acknowledges", "will_change"]
STANCES: tuple[str, ...] = get_args(Stance)


class About(_Model):
    """What a lab's response answers: one rule's finding, or every finding on one practice."""

    rule: Id | None = None
    practice: Id | None = None

    @model_validator(mode="after")
    def _one_subject(self) -> About:
        if (self.rule is None) == (self.practice is None):
            raise ValueError("'about' takes exactly one of 'rule' or 'practice'")
        return self

    @property
    def subject(self) -> str:
        return f"rule {self.rule}" if self.rule is not None else f"practice {self.practice}"


class Response(_Model):
    """The lab's answer to a finding (its right of reply), or the watchdog's request still unanswered.

    Without `date` the lab has not answered (yet): the response records when it was asked and nothing
    else, so a silence is never dressed as an answer."""

    about: About
    asked: Date | None = Field(None, description="When the watchdog asked the lab for its response.")
    date: Date | None = Field(None, description="When the lab answered; absent: no answer yet.")
    stance: Stance | None = Field(None, description="disputes, acknowledges or will_change; with 'date'.")
    url: ReplyUrl | None = Field(None, description="Where the answer was published.")
    quote: str | None = Field(None, description="The answer, verbatim.")
    note: str | None = None

    @model_validator(mode="after")
    def _answer_or_request(self) -> Response:
        if self.date is None:
            given = [f for f in ("stance", "url", "quote") if getattr(self, f) is not None]
            if given:
                raise ValueError(
                    f"{', '.join(repr(f) for f in given)} describe an answer: give its 'date' (when the "
                    "lab answered), or leave them out while no answer has come"
                )
            if self.asked is None:
                raise ValueError("give 'asked' (when the lab was asked) or 'date' (when it answered)")
            return self
        if self.stance is None:
            raise ValueError(f"an answer needs its 'stance': one of {', '.join(STANCES)}")
        if self.url is None and self.quote is None:
            raise ValueError("an answer needs its 'url' or its 'quote': a reader must be able to check it")
        if self.asked is not None and self.asked > self.date:
            raise ValueError(f"asked {self.asked} is after the answer's date {self.date}")
        return self

    def at(self, as_of: dt.date) -> Response | None:
        """The response as it stood on `as_of`: answered, asked and not answered yet, or not asked yet."""
        if self.date is not None and self.date <= as_of:
            return self
        if self.asked is not None and self.asked <= as_of:
            if self.date is None:
                return self
            return Response.model_construct(about=self.about, asked=self.asked, note=None)
        return None


class LabProfile(_Model):
    """One lab: `lab_profiles/<id>.yaml`."""

    id: Id
    name: Text
    tags: list[Id] = []
    reviewed: Date | None = Field(None, description="When a person last checked this profile.")
    note: str | None = None
    practices: dict[str, Practice] = {}
    responses: list[Response] = Field(
        [], description="The lab's answers to findings (right of reply), and requests not answered yet."
    )


class Bar(_Model):
    """The bar of a rule, normalised from its YAML forms (`best`, `{quorum: 3}`, ...)."""

    kind: BarKind
    k: int | None = None
    value: Any = None

    def describe(self) -> str:
        if self.kind == "quorum":
            return f"quorum {self.k}"
        if self.kind == "threshold":
            return f"threshold {show(self.value)}"
        if self.kind == "within_days":
            return f"within {self.value} days"
        return self.kind


_BAR_FORMS = "best, median, all, {quorum: k}, {threshold: v} or {within_days: d}"
_WHOLE_ARGS = {"quorum": (1, 100_000), "within_days": (0, MAX_DAYS)}  # the bars that take a whole number


def _parse_bar(raw: Any) -> Any:
    if isinstance(raw, Bar):
        return raw
    if raw in ("best", "median", "all"):
        return Bar(kind=raw)
    if isinstance(raw, dict) and len(raw) == 1:
        ((kind, arg),) = raw.items()
        if kind in _WHOLE_ARGS:
            low, high = _WHOLE_ARGS[kind]
            if type(arg) is not int or not low <= arg <= high:
                raise ValueError(f"{kind} must be a whole number from {low} to {high}, not {arg!r}")
            return Bar(kind=kind, k=arg if kind == "quorum" else None, value=arg)
        if kind == "threshold":
            if arg is None or (isinstance(arg, float) and not math.isfinite(arg)):
                raise ValueError(f"threshold must be a value of the indicator's type, not {arg!r}")
            return Bar(kind=kind, value=arg)
    raise ValueError(f"unknown bar {raw!r}; expected {_BAR_FORMS}")


def _one_key(kind: str, value: dict[str, Any]) -> dict[str, Any]:
    """The JSON Schema of a bar written `{kind: value}`."""
    return {"type": "object", "additionalProperties": False, "required": [kind], "properties": {kind: value}}


def _whole(kind: str) -> dict[str, Any]:
    low, high = _WHOLE_ARGS[kind]
    return {"type": "integer", "minimum": low, "maximum": high}


_BAR_SCHEMA: dict[str, Any] = {
    "description": f"The industry bar: {_BAR_FORMS}.",
    "oneOf": [
        {"enum": ["best", "median", "all"]},
        _one_key("quorum", _whole("quorum")),
        _one_key("threshold", {}),
        _one_key("within_days", _whole("within_days")),
    ],
}
BarSpec = Annotated[Bar, BeforeValidator(_parse_bar), WithJsonSchema(_BAR_SCHEMA)]
OPERATORS = ("equals", "at_least", "at_most", "meets", "disclosed")


class Condition(_Model):
    """`{indicator: X, <operator>: operand}` with exactly one operator."""

    indicator: Id
    equals: Any = None
    at_least: Any = None
    at_most: Any = None
    meets: BarSpec | None = None
    disclosed: bool | None = None

    @model_validator(mode="after")
    def _one_operator(self) -> Condition:
        given = [op for op in OPERATORS if op in self.model_fields_set]
        if len(given) != 1:
            raise ValueError(f"a condition needs exactly one of {', '.join(OPERATORS)}")
        if getattr(self, given[0]) is None:
            raise ValueError(f"{given[0]} needs a value")
        return self

    @functools.cached_property
    def op(self) -> str:
        return next(op for op in OPERATORS if op in self.model_fields_set)

    @property
    def operand(self) -> Any:
        return getattr(self, self.op)

    def describe(self) -> str:
        operand = self.operand
        shown = operand.describe() if isinstance(operand, Bar) else show(operand)
        return f"{self.indicator} {self.op.replace('_', ' ')} {shown}"


class When(_Model):
    """`all:` or `any:` of conditions."""

    all: list[Condition] | None = Field(None, min_length=1)
    any: list[Condition] | None = Field(None, min_length=1)

    @model_validator(mode="after")
    def _one_list(self) -> When:
        if (self.all is None) == (self.any is None):
            raise ValueError("'when' takes exactly one of 'all' or 'any'")
        return self

    @property
    def mode(self) -> Literal["all", "any"]:
        return "all" if self.all is not None else "any"

    @property
    def conditions(self) -> list[Condition]:
        return self.all if self.all is not None else (self.any or [])


class Peers(_Model):
    """Who counts as a competitor: the labs that carry all `tags`; with `labs` too, only those listed."""

    tags: list[Id] | None = Field(None, min_length=1)
    labs: list[Id] | None = Field(None, min_length=1)

    @model_validator(mode="after")
    def _not_empty(self) -> Peers:
        if self.tags is None and self.labs is None:
            raise ValueError("peers needs 'tags' or 'labs'")
        return self

    def selects(self, lab: str, tags: frozenset[str] | set[str]) -> bool:
        """Whether the lab (which carries `tags`) is selected: every listed tag carried, and listed by id
        when ids are given. The one predicate of `peers:` and of `applies_to: {tags, labs}`."""
        return set(self.tags or ()) <= tags and (self.labs is None or lab in self.labs)


def _applies_to_form(raw: Any) -> str:
    return "[ids]" if isinstance(raw, list) else "[selection]"


# `applies_to: [a, b]` lists the labs; `applies_to: {tags: [t]}` selects them as `peers` does. (The tags in
# brackets are pydantic's names for the two forms; the loader leaves them out of a problem's field.)
AppliesTo = Annotated[
    Annotated[list[Id], Field(min_length=1), Tag("[ids]")] | Annotated[Peers, Tag("[selection]")],
    Discriminator(_applies_to_form),
]


class Rule(_Model):
    """A bar rule (indicator + bar), a commitment (when + require), or a derive rule."""

    id: Id
    title: str | None = None
    description: str | None = None
    rationale: str | None = None
    area: Id | None = None
    severity: Severity | None = None
    indicator: Id | None = None
    bar: BarSpec | None = None
    peers: Peers | None = None
    applies_to: AppliesTo | None = Field(
        None,
        description="The labs judged: a list of ids, or {tags: [...], labs: [...]} (default: every lab).",
    )
    max_age_days: Days | None = None
    in_force: Date | None = Field(None, description="Before this date the rule gives no verdict.")
    until: Date | None = Field(
        None, description="The first day the rule no longer judges (a pledge withdrawn, a law repealed)."
    )
    source: list[Evidence] | None = Field(
        None,
        min_length=1,
        description="The text the rule encodes: a pledge, a law's section, a code's measure.",
    )
    withdrawn: list[Evidence] | None = Field(
        None,
        min_length=1,
        description="The labs it applies to withdrew the pledge (needs 'until'): the end is their loss.",
    )
    ratchet: Days | None = Field(
        None,
        description="Relative bars only: the bar is the best value any peer disclosed within this many "
        "days (read from the repository's history), so competitors slipping together cannot lower it.",
    )
    when: When | None = None
    require: Condition | None = None
    derive: Id | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Rule:
        if self.derive is not None:
            extra = [
                f
                for f in (
                    "indicator",
                    "bar",
                    "require",
                    "severity",
                    "peers",
                    "applies_to",
                    "max_age_days",
                    "in_force",
                    "until",
                    "withdrawn",
                    "ratchet",
                )
                if getattr(self, f) is not None
            ]
            if extra:
                raise ValueError(f"a derive rule produces no verdict; remove {', '.join(extra)}")
            if self.when is None:
                raise ValueError("a derive rule needs 'when'")
        elif self.require is not None:
            extra = [f for f in ("indicator", "bar", "peers", "ratchet") if getattr(self, f) is not None]
            if extra:
                raise ValueError(f"a commitment (require) takes no {', '.join(extra)}")
        elif self.indicator is not None or self.bar is not None:
            if self.indicator is None or self.bar is None:
                raise ValueError("a bar rule needs both 'indicator' and 'bar'")
            if self.when is not None:
                raise ValueError("'when' goes with 'require' (a commitment) or 'derive'")
            if self.ratchet is not None and self.bar.kind not in RELATIVE_BARS:
                raise ValueError("'ratchet' holds a relative bar only (best, quorum, median, all)")
        else:
            raise ValueError("a rule needs 'indicator' + 'bar', 'require', or 'derive'")
        if self.derive is None and self.severity is None:
            raise ValueError("'severity' is required (info, low, medium, high or critical)")
        return self

    @property
    def conditions(self) -> list[Condition]:
        """Every condition of the rule: its `when` list, then its `require`."""
        return [*(self.when.conditions if self.when else []), *([self.require] if self.require else [])]

    def derived_inputs(self, indicators: dict[str, Indicator]) -> list[str]:
        """The derived indicators this rule reads, sorted."""
        return sorted({c.indicator for c in self.conditions if _is_derived(c.indicator, indicators)})

    def selects(self, lab: str, tags: frozenset[str] | set[str]) -> bool:
        """Whether this rule judges the lab (which carries `tags`)."""
        target = self.applies_to
        if target is None:
            return True
        if isinstance(target, list):
            return lab in target
        return target.selects(lab, tags)

    def reads(self) -> list[str]:
        """The indicators the rule reads: its indicator, or those of its conditions."""
        return [self.indicator] if self.indicator else [c.indicator for c in self.conditions]

    @property
    def kind(self) -> Literal["bar", "commitment", "derive"]:
        if self.derive is not None:
            return "derive"
        return "commitment" if self.require is not None else "bar"


def _is_derived(name: str, indicators: dict[str, Indicator]) -> bool:
    found = indicators.get(name)
    return found is not None and found.derived


class RulePack(_Model):
    """A file under `rules/`: indicator definitions and rules."""

    pack: Id
    version: Text
    description: str | None = None
    in_force: Date | None = Field(None, description="The default in_force of the pack's rules.")
    tags: dict[Id, Text] = Field({}, description="The tags profiles may carry: name: what it means.")
    indicators: dict[Id, Indicator] = {}
    rules: list[Rule] = []

    @field_validator("version", mode="before")
    @classmethod
    def _version_text(cls, v: Any) -> Any:
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            raise ValueError(f'quote the version so it stays text: version: "{v}"')
        return v


class Waiver(_Model):
    """An accepted exception for one (rule, lab) pair, with a reason and an expiry date."""

    rule: Id
    lab: Id
    reason: Text
    expires: Date


RegressionKind = Literal[
    "worse",
    "level_lowered",
    "undisclosed",
    "not_applicable",
    "commitment_withdrawn",
    "commitment_removed",
    "commitment_weakened",
    "coverage_lost",
]
REGRESSION_KINDS: tuple[str, ...] = get_args(RegressionKind)
Weight = Annotated[float, Field(ge=0, le=1_000_000)]
Threshold = Annotated[float, Field(gt=0, le=1_000_000)]


def _lenient_numbers(v: Any) -> Any:
    """Whole numbers are fine where a weight is asked for (strict mode would refuse `2` for a float)."""
    return float(v) if isinstance(v, int) and not isinstance(v, bool) else v


class Alarms(_Model):
    """`history`'s alarms (docs/history.md): what a regression weighs, and when losses raise an alarm."""

    window_days: Days = Field(
        1095,
        description="Erosion: losses are added up over this many days (three years: a slide of policy "
        "versions a year apart is one slide).",
    )
    step_threshold: Annotated[Threshold, BeforeValidator(_lenient_numbers)] = Field(
        3.0, description="A single revision whose loss for a lab reaches this is a sudden regression."
    )
    window_threshold: Annotated[Threshold, BeforeValidator(_lenient_numbers)] = Field(
        4.0,
        description="Losses within the window that reach this, no single step reaching the step "
        "threshold, are an erosion alarm.",
    )
    weights: dict[RegressionKind, Annotated[Weight, BeforeValidator(_lenient_numbers)]] = Field(
        default_factory=lambda: dict(DEFAULT_WEIGHTS),
        description="The loss of each kind of regression (multiplied by the severity weight; a level "
        "lowered counts once per level).",
    )
    severity_weights: dict[Severity, Annotated[Weight, BeforeValidator(_lenient_numbers)]] = Field(
        default_factory=lambda: dict(DEFAULT_SEVERITY_WEIGHTS),
        description="Multiplies a regression's loss by the highest severity of the rules that read it.",
    )

    @field_validator("weights", mode="after")
    @classmethod
    def _all_weights(cls, v: dict[RegressionKind, float]) -> dict[RegressionKind, float]:
        return {**DEFAULT_WEIGHTS, **v}

    @field_validator("severity_weights", mode="after")
    @classmethod
    def _all_severities(cls, v: dict[Severity, float]) -> dict[Severity, float]:
        return {**DEFAULT_SEVERITY_WEIGHTS, **v}


DEFAULT_WEIGHTS: dict[RegressionKind, float] = {
    "worse": 1.0,
    "level_lowered": 1.0,
    "undisclosed": 2.0,
    "not_applicable": 1.0,
    "commitment_withdrawn": 2.0,
    "commitment_removed": 2.0,
    "commitment_weakened": 1.0,
    "coverage_lost": 0.0,  # missing research is never read as the lab's silence
}
DEFAULT_SEVERITY_WEIGHTS: dict[Severity, float] = {
    "info": 0.25,
    "low": 0.5,
    "medium": 1.0,
    "high": 2.0,
    "critical": 3.0,
}
