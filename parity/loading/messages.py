"""Validation in a watchdog's words: the problems of a load, collected at their file, line and column;
pydantic's errors turned into plain messages; and what survives a failed validation (so cross-file checks
still report their own problems)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from parity.errors import Problem
from parity.loading import yamldoc
from parity.models import (
    About,
    Alarms,
    Condition,
    Evidence,
    Indicator,
    LabProfile,
    Peers,
    Practice,
    Response,
    Rule,
    RulePack,
    Waiver,
    shown,
    suggest,
)

M = TypeVar("M", bound=BaseModel)


class Problems:
    """Collects problems; `at` places a message on a key path of a file."""

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def at(self, doc: yamldoc.Located, loc: tuple[str | int, ...], message: str) -> None:
        if loc in doc.refused:  # the parser already said what is wrong with this scalar
            return
        line, column = doc.position(loc)
        self.items.append(Problem(doc.path, line, column, ".".join(map(str, loc)), message))

    def add(self, problem: Problem) -> None:
        self.items.append(problem)


# --- models, and what survives a failed validation ------------------------------------------------------


def validated(
    doc: yamldoc.Located, model: type[M], data: Any, prefix: tuple[str | int, ...], problems: Problems
) -> M | None:
    try:
        return model.model_validate(data)
    except ValidationError as e:
        for err in e.errors():
            # "[key]" (a bad key is located at the key) and "[ids]"-like names of union forms are not fields
            loc = tuple(part for part in err["loc"] if not (isinstance(part, str) and part.startswith("[")))
            problems.at(doc, prefix + loc, _message(err))
        return None


_FIELD_NAMES = sorted(
    {
        name
        for m in (
            LabProfile,
            Practice,
            Evidence,
            Response,
            About,
            RulePack,
            Indicator,
            Rule,
            Condition,
            Peers,
            Waiver,
            Alarms,
        )
        for name in m.model_fields
    }
    | {"all", "any"}
)


def _message(err: Any) -> str:
    """A validation error in a watchdog's words, not the validation library's."""
    kind, raw, ctx = err["type"], err.get("input"), err.get("ctx") or {}
    last = err["loc"][-1] if err["loc"] else ""
    messages: dict[str, Callable[[], str]] = {
        "missing": lambda: "required, but missing",
        "extra_forbidden": lambda: (
            f"unknown field {last!r}" + suggest(str(last), [n for n in _FIELD_NAMES if n != last])
        ),
        "string_type": lambda: f"expected text, got {shown(raw)}",
        "bool_type": lambda: f"expected true or false, got {shown(raw)}",
        "int_type": lambda: f"expected a whole number, got {shown(raw)}",
        "list_type": lambda: f"expected a list, got {shown(raw)}",
        "dict_type": lambda: f"expected a mapping of keys to values, got {shown(raw)}",
        "model_type": lambda: f"expected a mapping of keys to values, got {shown(raw)}",
        "literal_error": lambda: (
            f"expected one of {ctx.get('expected', '')}, got {shown(raw)}"
            + (suggest(raw, _literals(ctx)) if isinstance(raw, str) else "")
        ),
        "string_pattern_mismatch": lambda: (
            f"{shown(raw)} is not a valid id: use letters, digits, '_', '.' and "
            "'-', starting with a letter or digit"
        ),
        "string_too_long": lambda: f"too long: at most {ctx.get('max_length')} characters",
        "string_too_short": lambda: "must not be empty",
        "too_short": lambda: "must not be empty",
        "greater_than": lambda: f"must be more than {ctx.get('gt')}, got {shown(raw)}",
        "less_than_equal": lambda: f"must be at most {ctx.get('le')}, got {shown(raw)}",
    }
    if kind in messages:
        return messages[kind]()
    return str(err["msg"]).removeprefix("Value error, ")


def _literals(ctx: dict[str, Any]) -> list[str]:
    return [x.strip().strip("'") for x in str(ctx.get("expected", "")).replace(" or ", ", ").split(",")]


def _quiet(model: type[M], data: Any) -> M | None:
    try:
        return model.model_validate(data)
    except ValidationError:
        return None


def mapping(data: Any) -> dict[str, Any]:
    return {k: v for k, v in data.items() if isinstance(k, str)} if isinstance(data, dict) else {}


def _salvage_pack(data: dict[str, Any]) -> RulePack:
    indicators = {k: i for k, v in mapping(data.get("indicators")).items() if (i := _quiet(Indicator, v))}
    raw_rules = data.get("rules") if isinstance(data.get("rules"), list) else []
    rules: list[Any] = [_quiet(Rule, item) for item in raw_rules or []]  # None keeps the indices
    tags = {k: v for k, v in mapping(data.get("tags")).items() if isinstance(v, str)}
    return RulePack.model_construct(
        pack=str(data.get("pack")),
        version=str(data.get("version")),
        indicators=indicators,
        rules=rules,
        tags=tags,
    )


def _salvage_profile(data: dict[str, Any]) -> LabProfile:
    practices = {k: p for k, v in mapping(data.get("practices")).items() if (p := _quiet(Practice, v))}
    tags = data.get("tags") if isinstance(data.get("tags"), list) else []
    return LabProfile.model_construct(
        id=str(data.get("id")),
        name=str(data.get("name")),
        tags=[t for t in tags or [] if isinstance(t, str)],
        practices=practices,
        reviewed=None,
    )


SALVAGE: dict[type[BaseModel], Callable[[dict[str, Any]], BaseModel]] = {
    RulePack: _salvage_pack,
    LabProfile: _salvage_profile,
}
