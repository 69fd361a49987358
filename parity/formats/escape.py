"""Escaping for each kind of output, and values as a person reads them: the one place profile text is made
safe (no terminal control character reaches a terminal; no profile text forms Markdown or HTML structure)."""

from __future__ import annotations

import re

from parity.vocabulary import show

__all__ = ["markdown", "show", "terminal"]


# C0 and C1 controls, DEL, and the bidirectional overrides that can reorder what a terminal shows.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def terminal(text: str) -> str:
    """Text safe for a terminal: every control character shown as an escape (\\x1b), never sent."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


_MARKDOWN = re.compile(r"([\\`*_\[\]<>|~&])")


def markdown(text: str) -> str:
    """Text that forms no Markdown or HTML structure: punctuation escaped, on one line."""
    flat = " ".join(terminal(text).split())
    return _MARKDOWN.sub(lambda m: "&amp;" if m.group() == "&" else "\\" + m.group(), flat)
