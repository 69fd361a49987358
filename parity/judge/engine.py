"""The inference engine: the only module that imports durable_rules.

durable_rules 2.0.28 is used in the narrow role where it is safe (docs/engine.md):

- Facts are flat and hold small integers only: a state code, whether the bar binds, and the value and the
  bar as ranks in one better-is-larger order. No floats, no strings compared by order.
- Every fact carries an explicit `id`, chosen so that no two facts of a session share durable's 32-bit key:
  durable stores a fact under the FNV-1a hash of its id (of a content hash when there is none) and compares
  only that hash, so two distinct facts whose keys collide would silently become one. The ids are decimal
  numbers whose hashes are checked here, with the same function, to be distinct from each other and from the
  ids durable itself uses (`sid-<sid>`, `$pulse`).
- Seven generic rules classify every (lab, rule) fact into a verdict (`_CLASSIFY`, first match wins by
  construction: the patterns exclude each other); `cap` hands each of them all its matches
  in one action.
- Each commitment and derive rule compiles to one durable rule that waits for its own base fact and for one
  fact per derived indicator it reads; a derive rule's action asserts its value as an input fact of each
  rule that reads it, so derived facts chain forward. A commitment's action is its caller's: the engine
  only fires it once the derived values it reads are known. `$not` is never used (order-dependent in
  durable).
- No node may have more than 512 children (ruleset creation then hangs): input facts are addressed to one
  consuming rule, and rule numbers are split into two constants below 256.
- Every join pattern ends with an always-true reference to the first fact (`_one <= c._one`), the workaround
  for the out-of-bounds read in joins (jruizgit/rules #381).
- The C module is driven directly and synchronously, under one process-wide lock (it has none of its own).
  After each lab, every expected verdict must have been classified exactly once and every chain rule must
  have fired exactly once; anything else raises EngineError.
"""

from __future__ import annotations

import functools
import itertools
import json
import os
import shlex
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any, NamedTuple

from parity.errors import EngineError, EngineMissing
from parity.vocabulary import NOT_APPLICABLE, UNASSESSED, UNDISCLOSED, UNEVIDENCED

CPPFLAGS = "CPPFLAGS='-DPyEval_CallObject=PyObject_CallObject'"  # durable-rules 2.0.28 on Python 3.13
REINSTALL = (
    f"{CPPFLAGS} pip install --force-reinstall --no-cache-dir --no-binary durable-rules durable-rules==2.0.28"
)
# A pre-commit hook's environment is built once, by pre-commit, with the user's environment and pip's wheel
# cache: rebuild it with the define and without the cache (a wheel built without the define is cached).
REBUILD_HOOKS = f"pre-commit clean && {CPPFLAGS} PIP_NO_CACHE_DIR=1 pre-commit install-hooks"


def reinstall() -> str:
    """The one command that rebuilds the engine where parity runs: pip of this interpreter, or, inside a
    pre-commit hook (pre-commit sets PRE_COMMIT=1), the hook's environment."""
    if os.environ.get("PRE_COMMIT") == "1":
        return REBUILD_HOOKS
    return REINSTALL.replace(" pip ", f" {shlex.quote(sys.executable)} -m pip ", 1)


_CAP = 5000
_GUARD = {"$lte": {"_one": {"c": "_one"}}}
_SID = "1"  # one session at a time (under the lock), deleted after each lab

_CLASSIFY: dict[str, list[dict[str, Any]]] = {
    "not_applicable": [{"s": NOT_APPLICABLE}],
    "no_bar": [{"$neq": {"s": NOT_APPLICABLE}}, {"k": 0}],
    "unassessed": [{"s": UNASSESSED}, {"k": 1}],
    "undisclosed": [{"s": UNDISCLOSED}, {"k": 1}],
    "below": [{"$gte": {"s": UNEVIDENCED}}, {"k": 1}, {"$lt": {"v": {"$m": "b"}}}],
    "meets": [{"$gte": {"s": UNEVIDENCED}}, {"k": 1}, {"v": {"$m": "b"}}],
    "surpasses": [{"$gte": {"s": UNEVIDENCED}}, {"k": 1}, {"$gt": {"v": {"$m": "b"}}}],
}


def fnv1a_32(text: str) -> int:
    """durable_rules' `fnv1Hash32` (state.c), the key under which it stores a fact: FNV-1a, 32 bits."""
    h = 0x811C9DC5
    for byte in text.encode():
        h = ((h ^ byte) * 0x01000193) & 0xFFFFFFFF
    return h


class Ids:
    """Fact ids whose durable keys are all distinct: the decimal numbers in order, skipping any whose hash
    was already taken (by a smaller id or by durable's own ids). Every session uses a prefix of this one
    sequence, so the keys within a session are distinct by construction."""

    def __init__(self, reserved: Sequence[str], candidates: Iterable[int] | None = None) -> None:
        self.taken = {fnv1a_32(r) for r in reserved}
        self.ids: list[int] = []
        self.candidates = iter(candidates if candidates is not None else itertools.count())

    def first(self, n: int) -> list[int]:
        """At least the first `n` ids of the sequence."""
        while len(self.ids) < n:
            candidate = next(self.candidates)  # the first collision among 0..n is at 797,186
            h = fnv1a_32(str(candidate))
            if h not in self.taken:
                self.taken.add(h)
                self.ids.append(candidate)
        return self.ids


_LOCK = threading.RLock()  # every call into the C module holds it
RESERVED_IDS = (f"sid-{_SID}", "$pulse")  # durable's own: the session's state fact, the timer pulse
IDS = Ids(RESERVED_IDS)


@dataclass(frozen=True, slots=True)
class ChainRule:
    """A commitment or derive rule as the engine sees it: which derived facts it waits for, and whether
    its action yields a derived value (`output` = that derived indicator's number; None: a commitment)."""

    inputs: tuple[int, ...]
    output: int | None


class VerdictFact(NamedTuple):
    """One (lab, rule) pair to classify; `value` and `bar` are ranks, larger is better."""

    ref: int
    state: int
    binds: bool
    value: int = 0
    bar: int = 0


# A chain rule's action: (chain rule number, {derived number: truth code}) -> the truth code a derive rule
# yields, or None for a commitment (its verdict is decided and built by the caller).
Fire = Callable[[int, dict[int, int]], "int | None"]


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


@functools.cache
def durable() -> Any:
    """durable_rules' C module, imported on first use: loading, validating and rendering never need it."""
    try:
        import durable_rules_engine
    except ImportError as e:
        raise EngineMissing(
            f"the durable_rules engine does not import ({e}); reinstall it: {reinstall()}"
        ) from None
    return durable_rules_engine


class Engine:
    """A compiled ruleset: classify each lab's facts in a session of its own."""

    def __init__(self, chain: Sequence[ChainRule]) -> None:
        self.chain = list(chain)
        self._readers: dict[int, list[tuple[int, int]]] = {}  # derived number -> [(rule, input slot)]
        for i, rule in enumerate(chain):
            for j, x in enumerate(rule.inputs):
                self._readers.setdefault(x, []).append((i, j))
        self.total_inputs = sum(len(rule.inputs) for rule in chain)
        self.users = 0
        self.evicted = False
        with _LOCK:
            try:
                self._handle = durable().create_ruleset("parity", json.dumps(_definition(chain)))
            except EngineError:
                raise
            except Exception as e:  # durable raises bare errors with numeric codes
                raise EngineError(f"durable_rules could not compile the ruleset: {e}") from e
        self._closed = False

    @property
    def closed(self) -> bool:
        """Whether the C ruleset has been freed."""
        return self._closed

    def close(self) -> None:
        """Free the C ruleset (durable's Python layer never does)."""
        with _LOCK:
            if not self._closed:
                self._closed = True
                durable().delete_ruleset(self._handle)

    def run(
        self, lab: str, facts: Sequence[VerdictFact], chain: Sequence[int], fire: Fire
    ) -> tuple[dict[int, str], dict[int, int]]:
        """Classify one lab's facts and run the chain rules numbered in `chain` for it.

        Returns ({ref: status}, {derived indicator number: truth code}).
        """
        with _LOCK:
            if self._closed:
                raise EngineError("a freed ruleset was used")
            # ids: one per verdict fact, per base fact, per input fact sent
            session = _Session(self, fire, len(facts) + len(chain) + self.total_inputs)
            try:
                session.assert_facts([session.verdict(f) for f in facts] + [session.base(i) for i in chain])
                session.drain()
            except EngineError:
                raise
            except Exception as e:
                raise EngineError(f"durable_rules failed on lab {lab!r}: {e}") from e
            finally:
                with suppress(Exception):  # a session that stored no fact has no state
                    durable().delete_state(self._handle, _SID)
        session.check(lab, chain)
        return session.statuses, session.derived

    def readers(self, derived: int) -> list[tuple[int, int]]:
        return self._readers.get(derived, [])


class _Session:
    """The work of one `Engine.run`: serialises facts, dispatches actions, checks that nothing was lost."""

    def __init__(self, engine: Engine, fire: Fire, capacity: int) -> None:
        self.engine, self.fire = engine, fire
        self.ids = IDS.first(capacity + 1)
        self.used = 0
        self.statuses: dict[int, str] = {}
        self.derived: dict[int, int] = {}
        self.pending: list[str] = []
        self.expected: set[int] = set()
        self.fired: set[int] = set()

    def next_id(self) -> int:
        if self.used >= len(self.ids):  # more facts than the capacity computed: never silently reuse a key
            raise EngineError("more facts than fact ids were prepared")
        self.used += 1
        return self.ids[self.used - 1]

    def verdict(self, f: VerdictFact) -> str:
        if f.ref in self.expected:
            raise EngineError(f"verdict {f.ref} asserted twice")
        self.expected.add(f.ref)
        return (
            f'{{"id":{self.next_id()},"sid":"{_SID}","t":"v","i":{f.ref},"s":{f.state},"k":{int(f.binds)},'
            f'"v":{f.value},"b":{f.bar},"_one":1}}'
        )

    def base(self, i: int) -> str:
        return f'{{"id":{self.next_id()},"sid":"{_SID}","t":"c","ch":{i // 256},"cl":{i % 256},"_one":1}}'

    def input_fact(self, reader: int, slot: int, truth: int) -> str:
        address = f'"ch":{reader // 256},"cl":{reader % 256},"j":{slot}'
        return f'{{"id":{self.next_id()},"sid":"{_SID}","t":"d",{address},"v":{truth},"_one":1}}'

    def assert_facts(self, facts: list[str]) -> None:
        if facts:
            durable().assert_facts(self.engine._handle, "[" + ",".join(facts) + "]")

    def drain(self) -> None:
        c, handle = durable(), self.engine._handle
        while True:
            started = c.start_action(handle)
            if not started:
                if not self.pending:
                    return
                facts, self.pending = self.pending, []
                self.assert_facts(facts)
                continue
            message, state = started[1], started[2]
            while message:
                self.dispatch(json.loads(message))
                message = c.complete_and_start_action(handle, state)

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
        if i in self.fired:
            raise EngineError(f"chain rule {i} fired twice")
        self.fired.add(i)
        rule = self.engine.chain[i]
        inputs = {x: matched[f"d{j}"]["v"] for j, x in enumerate(rule.inputs)}
        result = self.fire(i, inputs)
        if rule.output is None:
            return
        if result is None:
            raise EngineError(f"derive rule {i} gave no value")
        self.derived[rule.output] = result
        for reader, slot in self.engine.readers(rule.output):
            self.pending.append(self.input_fact(reader, slot, result))

    def check(self, lab: str, chain: Sequence[int]) -> None:
        """Every verdict classified once, every chain rule fired once: a lost fact is never a result."""
        unclassified = self.expected - self.statuses.keys()
        if unclassified or len(self.statuses) != len(self.expected):
            raise EngineError(f"{len(unclassified)} verdict(s) of lab {lab!r} were never classified")
        unfired = set(chain) - self.fired
        if unfired:
            raise EngineError(f"{len(unfired)} commitment or derive rule(s) never ran for lab {lab!r}")


_CACHE: OrderedDict[str, Engine] = OrderedDict()
CACHE_SIZE = 8


def cached() -> int:
    """How many compiled engines the process keeps (at most CACHE_SIZE)."""
    with _LOCK:
        return len(_CACHE)


@contextmanager
def compiled(chain: Sequence[ChainRule]) -> Iterator[Engine]:
    """The engine for this chain, compiled once per process and kept among a few recent ones.

    An engine evicted from the cache is freed only once no evaluation uses it any more, so threads that
    evaluate different rule sets never share, nor free, each other's rulesets mid-use.
    """
    key = json.dumps([[list(r.inputs), r.output] for r in chain])
    with _LOCK:
        engine = _CACHE.get(key)
        if engine is None:
            engine = _CACHE[key] = Engine(chain)
        _CACHE.move_to_end(key)
        engine.users += 1
        while len(_CACHE) > CACHE_SIZE:
            _, old = _CACHE.popitem(last=False)
            old.evicted = True
            if old.users == 0:
                old.close()
    try:
        yield engine
    finally:
        with _LOCK:
            engine.users -= 1
            if engine.evicted and engine.users == 0:
                engine.close()
