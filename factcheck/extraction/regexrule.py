"""The regex rule kind: declared patterns compiled and matched with the `regex` package.

`regex`, not stdlib `re`, because a declared pattern meets hostile text: `re` has no time
limit and holds the GIL while it backtracks (a plausible `(?P<value>\\d+ million) users` on
10 MB of digits ran for minutes, SIGTERM unheard, the run lock's heartbeat starved). Here a
match runs under `timeout=` with `concurrent=True` (the GIL released), on at most
`max_regex_text_chars` of text. Validation compiles with the same package, so what
validates is what runs; the syntax is re's (named groups `(?P<value>...)`, flags i, s, m).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import regex

from factcheck.domain import Hit
from factcheck.errors import ExtractError, ValidationError
from factcheck.extraction.limits import HitCollector
from factcheck.extraction.snippets import collapse, excerpt, head

REGEX_FLAGS = {"i": regex.IGNORECASE, "s": regex.DOTALL, "m": regex.MULTILINE}


def apply_regex_rule(
    text: str,
    *,
    line: Callable[[int], int],
    pattern: str,
    options: Mapping[str, object],
    collector: HitCollector,
) -> None:
    """Match with the `regex` package: a time budget (stdlib `re` has none) and, with
    concurrent=True, the GIL released, so a backtracking pattern cannot stall the run."""
    limits = collector.limits
    compiled = compile_regex(pattern, options)
    group = str(options.get("group", "value"))
    if len(text) > limits.max_regex_text_chars:
        collector.notes.append(
            f"regex searched the first {limits.max_regex_text_chars:,} of {len(text):,} characters"
        )
        text = text[: limits.max_regex_text_chars]
    try:
        for m in compiled.finditer(text, concurrent=True, timeout=limits.rule_timeout_s):
            start = m.start(group)
            if start < 0:  # the named group did not take part in this match
                continue
            if collector.full:
                collector.skip()
                continue
            where = f"char {start}, line {line(start)}"
            raw = collapse(head(m.group(group), limits.max_hit_chars))
            collector.add(Hit(raw, excerpt(text, m.start(), m.end()), where))
    except TimeoutError:
        if collector.full:  # the hits are kept; only the count of the rest was cut short
            collector.notes.append(
                f"counting stopped at the {limits.rule_timeout_s:g} s budget, so more were "
                "dropped than counted"
            )
            return
        raise ExtractError(
            "rule_timeout",
            f"regex {_short(pattern)} ran out of its {limits.rule_timeout_s:g} s budget "
            f"on {len(text):,} characters",
        ) from None
    if not collector.hits:
        cut = f" ({collector.notes[0]})" if collector.notes else ""
        raise ExtractError("rule_no_match", f"regex {_short(pattern)} matched nothing{cut}")


def compile_regex(pattern: str, options: Mapping[str, object]) -> regex.Pattern[str]:
    flags_opt = options.get("flags", "")
    if not isinstance(flags_opt, str) or set(flags_opt) - set(REGEX_FLAGS):
        raise ValidationError(f"regex option 'flags' takes letters from 'ism', got {flags_opt!r}")
    group = options.get("group", "value")
    if not isinstance(group, str):
        raise ValidationError(f"regex option 'group' must be a group name, got {group!r}")
    flags = 0
    for letter in flags_opt:
        flags |= REGEX_FLAGS[letter]
    try:
        compiled = regex.compile(pattern, flags)
    except regex.error as err:
        raise ValidationError(f"invalid regex {_short(pattern)}: {err}") from None
    if group not in compiled.groupindex:
        raise ValidationError(
            f"regex {_short(pattern)} has no named group {group!r}; write (?P<{group}>...)"
        )
    return compiled


def _short(text: str) -> str:
    return repr(text if len(text) <= 80 else text[:77] + "...")
