"""One engine session per lab: its bar facts classified, its derive rules and commitments chained.

A bar rule's verdict is classified by the engine: the lab's state and its value's rank against the bar's
rank (integers only, docs/engine.md), and built from that status by `verdicts`. The engine also runs the
chain: each derive rule and commitment fires once its derived inputs are known (forward chaining). A derive
rule's action gives its four-valued truth to the rules that read it; a commitment's action decides its
status in Python (`conditions.commitment_status`, over the many-valued conditions) and builds its verdict
there. After the session every fact must have been classified once and every chain rule must have fired
once: a verdict the engine lost is an EngineError, never a missing line.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from parity.dataset import LoadedRule
from parity.errors import EngineError
from parity.judge import bars, engine
from parity.judge.bars import BarValue, Cell
from parity.judge.conditions import commitment_status, condition, fold
from parity.judge.tables import Plan, Tables
from parity.judge.verdicts import bar_result, bar_verdict, commitment_verdict
from parity.models import Bar, Condition
from parity.report import ConditionNote, Location, Verdict
from parity.vocabulary import DISCLOSED, STATE_NAMES, STATUSES, Status, Truth, has_value

# A four-valued truth as the engine's input facts carry it: small integers (docs/engine.md). The codes are
# names only; no order between them is ever compared.
TRUTH_CODE: dict[Truth, int] = {False: 0, "undisclosed": 1, True: 2, "unassessed": 3}
CODE_TRUTH: dict[int, Truth] = {code: truth for truth, code in TRUTH_CODE.items()}
_STATUS: dict[str, Status] = {status: status for status in STATUSES}  # the engine names statuses as text


class BarFact(NamedTuple):
    """A (lab, bar rule) pair to classify: the rule's plan and the bar the lab is judged against."""

    plan: Plan
    bar: BarValue


def bar_fact(lab: str, plan: Plan, bv: BarValue | None = None) -> BarFact:
    """The pair of `lab` and a bar rule, judged against `bv` (default: the bar the lab sees now)."""
    return BarFact(plan, bv if bv is not None else plan.bar_for(lab))


def judge_lab(tables: Tables, lab: str, compiled: engine.Engine) -> tuple[list[Verdict], dict[str, Truth]]:
    """Every verdict of one lab, sorted by rule id, and its derived values."""
    lines = tables.lines(lab)
    facts = [bar_fact(lab, plan) for plan in tables.applicable(lab)]
    verdicts, values = classify(tables, lab, compiled, facts, lines, chain=True)
    assert values is not None
    return verdicts, values


def classify(
    tables: Tables,
    lab: str,
    compiled: engine.Engine,
    facts: list[BarFact],
    lines: dict[str, Location],
    chain: bool,
) -> tuple[list[Verdict], dict[str, Truth] | None]:
    """One engine session for one lab: its bar facts and, with `chain`, every commitment and derive rule
    that applies to it. The verdicts sorted by rule id, and the derived values (None without the chain)."""
    engine_facts = [_engine_fact(ref, lab, fact) for ref, fact in enumerate(facts)]
    rules = tables.chain if chain else []
    numbers = [
        i for i, r in enumerate(rules) if r.rule.kind == "derive" or r.rule.selects(lab, tables.tags[lab])
    ]
    action = ChainAction(tables, lab, lines)
    statuses, derived = compiled.run(lab, engine_facts, numbers, action)
    if len(statuses) != len(facts):
        raise EngineError(
            f"lab {lab!r}: {len(facts) - len(statuses)} verdict(s) never produced by the engine"
        )
    commitments = sum(1 for i in numbers if tables.chain[i].rule.kind == "commitment")
    if len(action.verdicts) != commitments:
        missing = commitments - len(action.verdicts)
        raise EngineError(f"lab {lab!r}: {missing} verdict(s) never produced by the engine")
    verdicts = [
        bar_verdict(lab, fact.plan, fact.bar, _status(statuses[ref]), lines[fact.plan.name])
        for ref, fact in enumerate(facts)
    ]
    verdicts = sorted([*verdicts, *action.verdicts], key=_by_rule)
    values = {name: CODE_TRUTH[derived[i]] for i, name in enumerate(tables.derived_names) if i in derived}
    if chain and len(values) != len(tables.derived_names):
        raise EngineError(f"lab {lab!r}: {len(tables.derived_names) - len(values)} derived value(s) missing")
    return verdicts, values if chain else None


def _engine_fact(ref: int, lab: str, fact: BarFact) -> engine.VerdictFact:
    """What the engine classifies: the state, whether the bar binds, and value and bar as ranks."""
    plan, bv = fact
    cell = plan.cells[lab]
    value = plan.ranks[plan.key(cell.value)] if has_value(cell.state) else 0
    return engine.VerdictFact(
        ref, cell.state, bv.binds, value, plan.ranks[bv.key] if bv.key is not None else 0
    )


def _status(name: str) -> Status:
    """A status the engine named, checked: a name that is none is the engine's error, never a verdict."""
    found = _STATUS.get(name)
    if found is None:
        raise EngineError(f"the engine classified a fact as {name!r}, which is no status")
    return found


def _by_rule(v: Verdict) -> str:
    return v.rule


@dataclass
class ChainAction:
    """What a derive rule or a commitment does for one lab when the engine fires it: many-valued logic
    over its conditions. A derive rule gives its truth (as the engine's code); a commitment's verdict is
    built here and kept in `verdicts`."""

    tables: Tables
    lab: str
    lines: dict[str, Location]

    def __post_init__(self) -> None:
        self.verdicts: list[Verdict] = []
        self.derivations: dict[str, tuple[str, tuple[ConditionNote, ...]]] = {}  # name -> (rule, notes)

    def __call__(self, i: int, inputs: dict[int, int]) -> int | None:
        loaded = self.tables.chain[i]
        names = self.tables.derived_names
        derived = {names[x]: bars.derived_cell(CODE_TRUTH[code]) for x, code in inputs.items()}
        rule = loaded.rule
        when: Truth = True
        notes: tuple[ConditionNote, ...] = ()
        if rule.when:
            notes = tuple(self.note(c, derived, rule.when.mode) for c in rule.when.conditions)
            when = fold(rule.when.mode, (n.holds for n in notes))
        if rule.require is None:
            assert rule.derive is not None
            self.derivations[rule.derive] = (rule.id, notes)  # read by the commitments that chain on it
            return TRUTH_CODE[when]
        self.verdicts.append(self.commitment(loaded, when, rule.require, derived, notes))
        return None

    def note(self, cond: Condition, derived: dict[str, Cell], of: str) -> ConditionNote:
        """A condition as it stood for the lab: whether it held, the value and evidence it read, the bar
        of a `meets`, and for a derived indicator the rule and conditions that derived it."""
        holds, bv = self.truth(cond, derived)
        cell = self.cell(cond.indicator, derived)
        rule, sources = self.derivations.get(cond.indicator, (None, ()))
        shown = cond.indicator in derived and cell.state == DISCLOSED  # a derived true or false
        return ConditionNote(
            cond.indicator,
            cond.describe(),
            holds,
            "derived" if shown else STATE_NAMES[cell.state],
            cell.value,
            cell.evidence,
            bar_result(cond.operand.kind, bv) if bv is not None and isinstance(cond.operand, Bar) else None,
            rule,
            sources,
            of,
        )

    def cell(self, name: str, derived: dict[str, Cell]) -> Cell:
        return derived.get(name) or self.tables.cells[name][self.lab]

    def truth(self, cond: Condition, derived: dict[str, Cell]) -> tuple[Truth, BarValue | None]:
        """A condition's truth for the lab, and for a `meets` condition the bar it read (reported even
        where the lab's own state decides the condition)."""
        tables, name = self.tables, cond.indicator
        bv = tables.meets_bar(self.lab, cond) if cond.op == "meets" else None
        return condition(cond.op, tables.operand(cond), self.cell(name, derived), tables.keys[name], bv), bv

    def commitment(
        self,
        loaded: LoadedRule,
        when: Truth,
        require: Condition,
        derived: dict[str, Any],
        notes: tuple[ConditionNote, ...],
    ) -> Verdict:
        cell = self.cell(require.indicator, derived)
        held, bv = self.truth(require, derived)
        status = commitment_status(when, require.op, cell, held)
        plan = self.tables.chain_plans[loaded.rule.id]
        operand = self.tables.operand(require)
        made = commitment_verdict(
            self.lab, plan, cell, status, require, operand, bv, self.lines[require.indicator]
        )
        return made._replace(conditions=notes) if notes else made
