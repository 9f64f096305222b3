"""Bounds on what one rule may cost and keep: hostile pages must not cost a run its memory,
its time or a storable row.

`Limits` are plain numbers the caller builds from Settings (extraction does not read
configuration). `HitCollector` is the one place hits are kept: it cuts each hit's text, makes
it storable (`clean_text`), stops keeping at `max_hits` or `max_link_chars` and from then on
only counts (`dropped`). A rule kind asks `full` before it builds a hit, so the excess costs
a count, not memory.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import accumulate

from factcheck.domain import Hit
from factcheck.extraction.snippets import clean_text

ELLIPSIS = "…"
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')  # unrolled: no backtracking blow-up
_JSON_SYNTAX = b'"[]{}\\'  # all json_depth needs to see of a JSON text
_NOT_JSON_SYNTAX = bytes(b for b in range(256) if b not in _JSON_SYNTAX)
_NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")
_DEPTH_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


@dataclass(frozen=True)
class Limits:
    """The caps of one extraction; the defaults are those of `factcheck.config.Settings`."""

    max_hits: int = 1_000  # hits kept per rule; further hits are counted in `dropped`
    max_hit_chars: int = 2_000  # a hit's raw text and its excerpt are each cut to this
    max_link_chars: int = 1_000_000  # raw + excerpt characters kept over all hits of one rule
    max_regex_text_chars: int = 2_000_000  # a regex searches at most this much text
    rule_timeout_s: float = 2.0  # a regex rule's matching time on one document
    max_nesting_depth: int = 200  # JSON arrays/objects inside each other
    max_html_depth: int = 1_000  # HTML elements inside each other (lxml alone stops at 256)


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True)
class RuleResult:
    """The hits one rule kept, and what the caps did to get there.

    `dropped` hits were found but not kept (over `max_hits` or `max_link_chars`); `replaced`
    characters (NUL, lone surrogates) became U+FFFD; `notes` say what else was cut.
    """

    hits: tuple[Hit, ...]
    dropped: int = 0
    replaced: int = 0
    notes: tuple[str, ...] = ()

    def note(self) -> str | None:
        """One line for the evidence row, or None when nothing was cut or replaced."""
        parts = list(self.notes)
        if self.dropped:
            parts.append(f"{self.dropped:,} more hits dropped (kept {len(self.hits):,})")
        if self.replaced:
            parts.append(f"{self.replaced:,} unstorable characters replaced with U+FFFD")
        return "; ".join(parts) or None


class HitCollector:
    """Keeps hits up to the caps, each cut and cleaned; counts the rest."""

    __slots__ = ("_chars", "_full", "dropped", "hits", "limits", "notes", "replaced")

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.hits: list[Hit] = []
        self.dropped = 0
        self.replaced = 0
        self.notes: list[str] = []
        self._chars = 0
        self._full = limits.max_hits <= 0

    @property
    def full(self) -> bool:
        """True once no further hit will be kept: build no more, `skip` them instead."""
        return self._full

    def add(self, hit: Hit) -> None:
        if self._full:
            self.dropped += 1
            return
        cap = self.limits.max_hit_chars
        raw, n_raw = clean_text(cut(hit.raw, cap))
        excerpt, n_excerpt = clean_text(cut(hit.excerpt, cap))
        location, n_location = clean_text(cut(hit.location, cap))
        key, n_key = clean_text(cut(hit.key, cap)) if hit.key is not None else (None, 0)
        size = len(raw) + len(excerpt)
        if self.hits and self._chars + size > self.limits.max_link_chars:
            self._full = True
            self.dropped += 1
            return
        self.replaced += n_raw + n_excerpt + n_location + n_key
        self._chars += size
        self.hits.append(Hit(raw, excerpt, location, key, hit.value))
        if len(self.hits) >= self.limits.max_hits:
            self._full = True

    def skip(self, count: int = 1) -> None:
        """Count hits found after the collector is full, without building them."""
        self.dropped += count

    def result(self) -> RuleResult:
        return RuleResult(tuple(self.hits), self.dropped, self.replaced, tuple(self.notes))


def cut(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, an ellipsis marking the cut.

    >>> cut("abcdef", 4)
    'abc…'
    """
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)] + ELLIPSIS


def json_depth(text: str) -> int:
    """How deeply arrays and objects nest in JSON text, in linear time and without recursion.

    Strings are removed first, so brackets inside them do not count. Everything but quotes,
    backslashes and brackets is deleted in C first (UTF-8 multi-byte sequences never hold
    ASCII bytes); then the strings go, as plain `""` pairs when none holds a bracket or an
    escape (the usual case, again in C), else by a string regex over the whole text.

    >>> json_depth('{"a": [1, {"b": "[[["}]}')
    3
    """
    encoded = text.encode("utf-8", "surrogatepass")
    brackets = encoded.translate(None, _NOT_JSON_SYNTAX).replace(b'""', b"")
    if b'"' in brackets or b"\\" in brackets:  # the escapes need the text they escape
        brackets = _JSON_STRING.sub(b"", encoded).translate(None, _NOT_BRACKET)
    return max(accumulate(map(_DEPTH_STEP.__getitem__, brackets)), default=0)
