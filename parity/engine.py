"""The inference engine: the only module that imports durable_rules.

durable_rules 2.0.28 is used in the narrow role where it is safe (see docs/engine.md and
../shared/research/durable_rules.md):

- Facts are flat and hold small integers only: a state code, whether the bar binds, and the value and the
  bar as ranks in one better-is-larger order. No floats (exponent forms are rejected, int-vs-float joins
  fail), no strings compared by order, no reserved `id` key.
- Six generic rules classify every (lab, rule) fact into a verdict; `cap` hands each of them all its matches
  in one action instead of one Python call per fact.
- Each commitment and derive rule compiles to one durable rule that waits for its own base fact and for one
  fact per derived indicator it reads; a derive rule's action asserts its value as an input fact of each
  rule that reads it, so derived facts chain forward. Absence is never tested with `$not` (order-dependent
  in durable): every input is an explicit fact, asserted even when its value is unknown.
- No node of the network may have more than 512 children: ruleset creation then hangs (measured: 520
  rules joining the same derived fact). So each input fact is addressed to one consuming rule, and rule
  numbers are split into two constants below 256.
- Every join pattern ends with an always-true reference to the first fact (`_one <= c._one`), the workaround
  for the out-of-bounds read in joins (jruizgit/rules #381).
- The stock `Host` starts two timer threads per instance that never stop, and wraps every action in JSON
  round trips. `Engine` drives the C module directly and synchronously: assert a batch, then run pending
  actions until none are left. One session (`sid`) per lab, deleted afterwards.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import durable_rules_engine as _c

from parity.errors import EngineError

# The state codes of `bars` (repeated here so this module imports nothing but errors).
_NA, _UNDISCLOSED, _UNEVIDENCED = 0, 1, 2
_CAP = 5000
_GUARD = {"$lte": {"_one": {"c": "_one"}}}

_CLASSIFY: dict[str, list[dict[str, Any]]] = {
    "not_applicable": [{"s": _NA}],
    "no_bar": [{"$neq": {"s": _NA}}, {"k": 0}],
    "undisclosed": [{"s": _UNDISCLOSED}, {"k": 1}],
    "below": [{"$gte": {"s": _UNEVIDENCED}}, {"k": 1}, {"$lt": {"v": {"$m": "b"}}}],
    "meets": [{"$gte": {"s": _UNEVIDENCED}}, {"k": 1}, {"v": {"$m": "b"}}],
    "surpasses": [{"$gte": {"s": _UNEVIDENCED}}, {"k": 1}, {"$gt": {"v": {"$m": "b"}}}],
}


@dataclass(frozen=True, slots=True)
class ChainRule:
    """A commitment or derive rule as the engine sees it: which derived facts it waits for, and whether
    its action yields a derived value (`output` = that derived indicator's number) or a verdict fact."""

    inputs: tuple[int, ...]
    output: int | None


class VerdictFact(NamedTuple):
    """One (lab, rule) pair to classify; `value` and `bar` are ranks, larger is better."""

    ref: int
    state: int
    binds: bool
    value: int = 0
    bar: int = 0


# A chain rule's action: (chain rule number, {derived number: truth code}) -> truth code or a verdict fact.
Fire = Callable[[int, dict[int, int]], "int | VerdictFact"]


def _split(prefix: str, n: int) -> list[dict[str, int]]:
    return [{prefix + "h": n // 256}, {prefix + "l": n % 256}]


def _definition(chain: Sequence[ChainRule]) -> dict[str, Any]:
    rules: dict[str, Any] = {
        name: {"all": [{"m": {"$and": [{"t": "v"}, *tests]}}], "cap": _CAP}
        for name, tests in _CLASSIFY.items()
    }
    for i, rule in enumerate(chain):
        patterns = [{"c": {"$and": [{"t": "c"}, *_split("c", i)]}}]
        patterns += [
            {f"d{j}": {"$and": [{"t": "d"}, *_split("c", i), {"j": j}, _GUARD]}}
            for j in range(len(rule.inputs))
        ]
        rules[f"chain{i}"] = {"all": patterns}
    return rules


class Engine:
    """A compiled ruleset: classify each lab's facts in a session of its own."""

    def __init__(self, chain: Sequence[ChainRule]) -> None:
        self.chain = list(chain)
        self._readers: dict[int, list[tuple[int, int]]] = {}  # derived number -> [(rule, input slot)]
        for i, rule in enumerate(chain):
            for j, x in enumerate(rule.inputs):
                self._readers.setdefault(x, []).append((i, j))
        self._lock = threading.Lock()  # the C engine has no locks of its own
        try:
            self._handle = _c.create_ruleset("parity", json.dumps(_definition(chain)))
        except Exception as e:  # durable raises bare errors with numeric codes
            raise EngineError(f"durable_rules could not compile the ruleset: {e}") from e

    def close(self) -> None:
        """Free the C ruleset (durable's Python layer never does)."""
        _c.delete_ruleset(self._handle)

    def run(
        self, sid: str, facts: Sequence[VerdictFact], chain: Sequence[int], fire: Fire
    ) -> tuple[dict[int, str], dict[int, int]]:
        """Classify one lab's facts and run the chain rules numbered in `chain` for it.

        Returns ({ref: status}, {derived indicator number: truth code}).
        """
        session = _Session(self, json.dumps(sid), fire)
        with self._lock:
            try:
                session.assert_facts([session.verdict(f) for f in facts] + [session.base(i) for i in chain])
                session.drain()
            except EngineError:
                raise
            except Exception as e:
                raise EngineError(f"durable_rules failed on lab {sid!r}: {e}") from e
            finally:
                with contextlib.suppress(Exception):  # a session that stored no fact has no state
                    _c.delete_state(self._handle, sid)
        missing = session.expected - session.statuses.keys()
        if missing:
            raise EngineError(f"{len(missing)} verdict(s) of lab {sid!r} were never classified")
        return session.statuses, session.derived


class _Session:
    """The work of one `Engine.run`: serialises facts and dispatches actions."""

    def __init__(self, engine: Engine, sid_json: str, fire: Fire) -> None:
        self.engine, self.sid, self.fire = engine, sid_json, fire
        self.statuses: dict[int, str] = {}
        self.derived: dict[int, int] = {}
        self.pending: list[str] = []
        self.expected: set[int] = set()

    def verdict(self, f: VerdictFact) -> str:
        self.expected.add(f.ref)
        return (
            f'{{"sid":{self.sid},"t":"v","i":{f.ref},"s":{f.state},"k":{int(f.binds)},'
            f'"v":{f.value},"b":{f.bar},"_one":1}}'
        )

    def base(self, i: int) -> str:
        return f'{{"sid":{self.sid},"t":"c","ch":{i // 256},"cl":{i % 256},"_one":1}}'

    def input_fact(self, reader: int, slot: int, truth: int) -> str:
        address = f'"ch":{reader // 256},"cl":{reader % 256},"j":{slot}'
        return f'{{"sid":{self.sid},"t":"d",{address},"v":{truth},"_one":1}}'

    def assert_facts(self, facts: list[str]) -> None:
        if facts:
            # A batch holding facts that match no rule reports "not handled"; the rest are stored.
            _c.assert_facts(self.engine._handle, "[" + ",".join(facts) + "]")

    def drain(self) -> None:
        handle = self.engine._handle
        while True:
            started = _c.start_action(handle)
            if not started:
                if not self.pending:
                    return
                facts, self.pending = self.pending, []
                self.assert_facts(facts)
                continue
            message, state = started[1], started[2]
            while message:
                self.dispatch(json.loads(message))
                message = _c.complete_and_start_action(handle, state)

    def dispatch(self, message: dict[str, Any]) -> None:
        for name, matched in message.items():
            if name.startswith("chain"):
                self.chain_action(int(name[5:]), matched)
                continue
            for item in matched:
                ref = item["m"]["i"]
                if ref in self.statuses:
                    raise EngineError(f"fact {ref} classified twice ({self.statuses[ref]}, {name})")
                self.statuses[ref] = name

    def chain_action(self, i: int, matched: dict[str, Any]) -> None:
        rule = self.engine.chain[i]
        inputs = {x: matched[f"d{j}"]["v"] for j, x in enumerate(rule.inputs)}
        result = self.fire(i, inputs)
        if isinstance(result, VerdictFact):
            self.pending.append(self.verdict(result))
        elif rule.output is not None:
            self.derived[rule.output] = result
            for reader, slot in self.engine._readers.get(rule.output, []):
                self.pending.append(self.input_fact(reader, slot, result))


_CACHE: OrderedDict[str, Engine] = OrderedDict()
_CACHE_SIZE = 8


def compiled(chain: Sequence[ChainRule]) -> Engine:
    """The engine for this chain, compiled once per process (a few recent ones are kept)."""
    key = json.dumps([[list(r.inputs), r.output] for r in chain])
    engine = _CACHE.get(key)
    if engine is None:
        engine = _CACHE[key] = Engine(chain)
        if len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)[1].close()
    _CACHE.move_to_end(key)
    return engine
