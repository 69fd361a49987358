"""The rule catalog in words: what a bar asks, whom a rule judges, what a rule checks. Every format that
explains a rule (explain, the rule list, and later SARIF help text and the scorecard) says it the same way."""

from __future__ import annotations

from collections.abc import Mapping

from parity.models import Bar, Evidence, Indicator, Rule
from parity.vocabulary import ordinal, plural, show

# How each kind of bar is computed, for a reader (docs/verdicts.md, "Bar rules"); `bar_meaning` says
# what one bar asks of a lab.
COMPUTED = {
    "best": "the best disclosed value among the peers (rank 1, ties kept); no bar when no peer discloses",
    "quorum": "the k-th best disclosed value among the peers (ties kept); no bar when fewer than k disclose",
    "median": "the ceil(n/2)-th best of the n disclosed peer values; no bar when no peer discloses",
    "all": "binds only when every peer discloses the practice, and then is the worst of their values; "
    "while any peer is silent or not yet researched there is no bar, and those peers are named",
    "threshold": "an absolute value written in the rule (from a pledge or a law); nobody sets it",
    "within_days": "the evaluation date minus the given number of days; nobody sets it",
    "require": "a commitment: if its condition holds, the required practice must hold (never surpassed)",
}


def bar_meaning(bar: Bar) -> str:
    """What a bar asks of a lab, in words."""
    if bar.kind == "quorum":
        k = bar.k or 1
        does = "does" if k == 1 else "do"
        best = f"the {ordinal(k)}-best disclosed value"
        return f"do at least what {plural(k, 'peer')} transparently {does} ({best})"
    if bar.kind == "threshold":
        return f"reach the absolute value {show(bar.value)}"
    if bar.kind == "within_days":
        return f"be no older than {plural(bar.value, 'day')} before the evaluation date"
    return {
        "best": "match or surpass the best disclosed value among its peers",
        "median": "do at least what half of the peers do (the ceil(n/2)-th best of n disclosed values)",
        "all": "do what every peer does; binds only when every peer discloses (then: the worst of them)",
    }[bar.kind]


def applies_to_text(rule: Rule) -> str:
    """Who a rule judges, in words."""
    target = rule.applies_to
    if target is None:
        return "every lab"
    if isinstance(target, list):
        return ", ".join(target)
    parts = [f"labs tagged {', '.join(target.tags)}" if target.tags else "", ", ".join(target.labs or [])]
    return " among ".join(p for p in parts if p)


def peers_text(rule: Rule) -> str:
    """Whom a bar rule compares a lab with, in words."""
    peers = rule.peers
    if peers is None:
        return "every other lab"
    parts = (
        f"labs tagged {', '.join(peers.tags)}" if peers.tags else "",
        f"labs {', '.join(peers.labs)}" if peers.labs else "",
    )
    return " and ".join(x for x in parts if x)


def rule_target(rule: Rule) -> str:
    """What a rule checks, in one short phrase."""
    if rule.kind == "bar" and rule.bar:
        return f"{rule.indicator}: {rule.bar.describe()}"
    if rule.kind == "derive":
        return f"derive {rule.derive}"
    assert rule.require
    when = f"if {rule.when.mode} of {plural(len(rule.when.conditions), 'condition')}, " if rule.when else ""
    return f"{when}require {rule.require.describe()}"


def _cited(e: Evidence) -> str:
    """A source in one line: its address, date and quote (or note)."""
    said = (
        f' "{" ".join(e.quote.split())}"' if e.quote else f" ({' '.join(e.note.split())})" if e.note else ""
    )
    return f"{e.url} ({e.date.isoformat()}){said}"


def explain_facts(rule: Rule, indicators: Mapping[str, Indicator]) -> list[tuple[str, str]]:
    """A rule in words, fact by fact (label, text): what `explain` prints, and a rule's page shows."""
    facts = []
    if rule.kind == "bar" and rule.bar and rule.indicator:
        ind = indicators[rule.indicator]
        order = {"date": "later is better", "level": "levels, worst first: " + ", ".join(ind.levels or [])}
        better = order.get(ind.type, f"{ind.better or 'higher'} is better")
        facts.append((f"indicator {rule.indicator}", f"{ind.title} ({ind.type}; {better})"))
        facts.append(("bar", f"{rule.bar.describe()}: a lab must {bar_meaning(rule.bar)}"))
        facts.append(("peers", f"{peers_text(rule)}; only disclosed values (with evidence) set the bar"))
    else:
        if rule.when:
            joiner = " and " if rule.when.mode == "all" else " or "
            facts.append(("when", joiner.join(c.describe() for c in rule.when.conditions)))
        if rule.require:
            facts.append(("require", rule.require.describe()))
        if rule.derive:
            facts.append(("derives", f"{rule.derive} (true, false, undisclosed or unassessed)"))
    facts.append(("applies to", applies_to_text(rule)))
    for e in rule.source or ():
        facts.append(("source", _cited(e)))
    if rule.until is not None:
        ended = "withdrawn by the labs it applies to" if rule.withdrawn else "it ended"
        facts.append(("until", f"{rule.until.isoformat()}: the first day it no longer judges ({ended})"))
    for e in rule.withdrawn or ():
        facts.append(("withdrawn", _cited(e)))
    for label, text in (("rationale", rule.rationale), ("description", rule.description)):
        if text:
            facts.append((label, " ".join(text.split())))
    return facts
