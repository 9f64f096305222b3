"""The old json_path dialect, read only to say what it is in RFC 9535.

Before RFC 9535 paths (see `factcheck.extraction.jsonenv`) json_path rules were written in a
private dialect. Its grammar, no whitespace between steps::

    path   := "$" step*
    step   := "." name              name: [A-Za-z0-9_][A-Za-z0-9_-]*  ($.gpt-4o)
            | "[" quoted "]"        any name; a backslash escapes the next character
            | "[" int "]"           list element, negative from the end
            | ".*" | "[*]"          every member or element
            | "[?key~" quoted "]"   object members whose key matches a glob (* ? [seq] [!seq]),
            | "[?key!~" quoted "]"  case-insensitively (both casefolded); !~ negates

A step that did not apply (a name on a list, an index on an object, a glob on a list)
selected nothing. `convert_legacy_path` gives the same selection in RFC 9535:

- a glob becomes `match(#, '(?is)...')` (python-jsonpath's `#` is the current key), a
  whole-key match as fnmatch's was, with `*` -> `.*`, `?` -> `.` (`(?s)`: they match a
  newline, as fnmatch's did), sets kept and everything else literal. `(?i)` folds case
  simply, as fnmatch-after-casefold did for every key the seed sources hold (they differ
  only on rare full foldings such as "ß" / "ss");
- a negated glob becomes `match(#, '(?s).*') && !match(#, ...)`: the first test is false on
  a list element (`#` is its index, not a string), so it still selects nothing on a list;
- a dotted name the RFC has no shorthand for (`$.2024`, `$.1e5`, `$.gpt-4o`) is quoted
  (`$['2024']`), as is a quoted name holding escapes or control characters;
- an index is written without leading zeros (`[007]` -> `[7]`, `[-0]` -> `[0]`).

`needs_conversion` says whether the RFC would read a rule differently or refuse it; rules
that read the same (`$.data[*]`, `$["gpt-4o"]`) are left as written. Not converted: an
index beyond +-(2**53 - 1), which the RFC refuses and which selected nothing. Migration 0007
holds a frozen copy of this module's converter.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache

import regex

_NAME = r"[A-Za-z0-9_][A-Za-z0-9_\-]*"
_QUOTED = r"\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'"
_STEP = re.compile(
    rf"\.(?P<name>{_NAME})"
    rf"|\.(?P<dotstar>\*)"
    rf"|\[\s*(?P<quoted>{_QUOTED})\s*\]"
    r"|\[\s*(?P<index>-?\d+)\s*\]"
    r"|\[\s*(?P<star>\*)\s*\]"
    rf"|\[\?\s*key\s*(?P<op>!?~)\s*(?P<glob>{_QUOTED})\s*\]"
)
_BACKSLASH = re.compile(r"\\(.)", re.DOTALL)
_SHORTHAND = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")  # RFC 9535 member-name-shorthand (ASCII)
_REGEX_SPECIAL = frozenset(".^$*+?{}[]\\|()")
_CONTROL = re.compile(r"[\x00-\x1f]")  # must be escaped in an RFC 9535 string literal
_IS_KEY = "match(#, '(?s).*')"  # true for an object member, false for a list element


def convert_legacy_path(expression: str) -> str | None:
    """The RFC 9535 form of an old-dialect path, or None when it is not one.

    >>> convert_legacy_path('$[?key~"*llama*405b*"]')
    "$[?match(#, '(?is).*llama.*405b.*')]"
    >>> convert_legacy_path('$.by_year.2024')
    "$.by_year['2024']"
    >>> convert_legacy_path("$[?match(#, 'x')]") is None
    True
    """
    text = expression.strip()
    if not text.startswith("$"):
        return None
    parts = ["$"]
    pos = 1
    while pos < len(text):
        m = _STEP.match(text, pos)
        if m is None:
            return None
        step = _step(m)
        if step is None:
            return None
        parts.append(step)
        pos = m.end()
    return "".join(parts)


def _step(m: re.Match[str]) -> str | None:
    if m["name"] is not None:
        return _member(m["name"])
    if m["quoted"] is not None:
        return _member(_unquote(m["quoted"]))
    if m["index"] is not None:
        return f"[{int(m['index'])}]"
    if m["glob"] is not None:
        pattern = glob_regex(_unquote(m["glob"]))
        if pattern is None:
            return None
        if m["op"] == "!~":
            return f"[?{_IS_KEY} && !match(#, {quote(pattern)})]"
        return f"[?match(#, {quote(pattern)})]"
    return "[*]"


def needs_conversion(rule: str) -> bool:
    """Whether `rule` is in the old dialect and RFC 9535 reads it differently or not at all.

    >>> [needs_conversion(r) for r in ("$.by_year.2024", '$["a\\\\nb"]', "$[01]", "$.a[0]")]
    [True, True, True, False]
    """
    if convert_legacy_path(rule) is None:
        return False
    if rule != rule.strip():
        return True
    return not all(_reads_the_same(m) for m in _STEP.finditer(rule, 1))


def _reads_the_same(m: re.Match[str]) -> bool:
    """Whether RFC 9535 reads this old step as the old code did."""
    if m["name"] is not None:
        return _SHORTHAND.fullmatch(m["name"]) is not None
    if m["quoted"] is not None:
        return "\\" not in m["quoted"] and _CONTROL.search(m["quoted"]) is None
    if m["index"] is not None:
        return m["index"] == str(int(m["index"]))
    return m["glob"] is None


def _member(name: str) -> str:
    return f".{name}" if _SHORTHAND.fullmatch(name) else f"[{quote(name)}]"


@lru_cache(maxsize=4096)  # every hit's location quotes each key on its path
def quote(text: str) -> str:
    """An RFC 9535 single-quoted string literal, escaped as normalized paths are.

    >>> print(quote("it's a\\\\b"))
    'it\\'s a\\\\b'
    """
    body = json.dumps(text, ensure_ascii=False)[1:-1].replace('\\"', '"').replace("'", "\\'")
    return f"'{body}'"


def glob_regex(glob: str) -> str | None:
    """A case-insensitive regex matching (whole) what the fnmatch glob matched; None for a
    set that is no regex set (a reversed range such as [z-a], which fnmatch drops).

    >>> glob_regex("azure_ai/*405b?[!x]")
    '(?is)azure_ai/.*405b.[^x]'
    >>> glob_regex("meta.llama[")
    '(?is)meta\\\\.llama\\\\['
    """
    out = ["(?is)"]
    i, n = 0, len(glob)
    while i < n:
        c = glob[i]
        i += 1
        if c == "*":
            out.append(".*")
        elif c == "?":
            out.append(".")
        elif c == "[":
            end = _set_end(glob, i)
            if end is None:
                out.append("\\[")
            else:
                out.append(_set(glob[i:end]))
                i = end + 1
        else:
            out.append("\\" + c if c in _REGEX_SPECIAL else c)
    pattern = "".join(out)
    try:
        regex.compile(pattern)  # the engine match() runs on
    except regex.error:
        return None
    return pattern


def _set_end(glob: str, start: int) -> int | None:
    """Where the set opened before `start` closes, scanned as fnmatch scans it."""
    j = start
    if j < len(glob) and glob[j] == "!":
        j += 1
    if j < len(glob) and glob[j] == "]":
        j += 1
    end = glob.find("]", j)
    return None if end < 0 else end


def _set(body: str) -> str:
    negate = body.startswith("!")
    if negate:
        body = body[1:]
    escaped = "".join("\\" + c if c in "\\[]^" else c for c in body)
    return f"[{'^' if negate else ''}{escaped}]"


def _unquote(quoted: str) -> str:
    return _BACKSLASH.sub(r"\1", quoted[1:-1])
