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

`convert_legacy_path` gives the same selection in RFC 9535 (python-jsonpath's `#` is the
current key): a glob becomes `match(#, '(?i)...')`, a whole-value match as fnmatch was, with
`*` -> `.*`, `?` -> `.`, sets kept and everything else literal. `(?i)` folds case simply, as
fnmatch-after-casefold did for every key the seed sources hold (they differ only on rare
full foldings such as "ß" / "ss"). Migration 0007 holds a frozen copy of this converter.
"""

from __future__ import annotations

import json
import re

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


def convert_legacy_path(expression: str) -> str | None:
    """The RFC 9535 form of an old-dialect path, or None when it is not one.

    >>> convert_legacy_path('$[?key~"*llama*405b*"]')
    "$[?match(#, '(?i).*llama.*405b.*')]"
    >>> convert_legacy_path('$.gpt-4o.input_cost_per_token')
    "$['gpt-4o'].input_cost_per_token"
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
        negate = "!" if m["op"] == "!~" else ""
        return f"[?{negate}match(#, {quote(pattern)})]"
    return "[*]"


def _member(name: str) -> str:
    return f".{name}" if _SHORTHAND.fullmatch(name) else f"[{quote(name)}]"


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
    '(?i)azure_ai/.*405b.[^x]'
    >>> glob_regex("meta.llama[")
    '(?i)meta\\\\.llama\\\\['
    """
    out = ["(?i)"]
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
