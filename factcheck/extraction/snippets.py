"""Small text helpers shared by the extraction modules: whitespace, quotes, excerpts, lines.

Kept apart so `extract`, `jsonpath` and `tables` agree on what "collapsed" text and an
excerpt are, and so each stays small.
"""

from __future__ import annotations

import bisect
import re

_WS = re.compile(r"\s+")
_LEADING_PART = re.compile(r"\S*")  # the rest of a word the window starts inside
_TRAILING_PART = re.compile(r"\S*$")  # the start of a word the window ends inside
_QUOTES = str.maketrans(
    {
        "\u2018": "'",  # left single quotation mark
        "\u2019": "'",  # right single quotation mark (also the typographic apostrophe)
        "\u201a": "'",
        "\u201b": "'",
        "\u02bc": "'",  # modifier letter apostrophe
        "\u2032": "'",  # prime
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',  # double prime
    }
)
# Character classes a normalised ASCII quote stands for when searching un-normalised text.
SINGLE_QUOTES = "'\u2018\u2019\u201a\u201b\u02bc\u2032"
DOUBLE_QUOTES = '"\u201c\u201d\u201e\u201f\u2033'

EXCERPT_RADIUS = 80  # characters kept either side of a match (an excerpt is ~160 + the match)
EXCERPT_MATCH_MAX = 2_000  # of a longer match, an excerpt shows only the start
REPLACEMENT = "\ufffd"
# Lone surrogates cannot be encoded (UTF-8, hence SQLite and PostgreSQL, refuse them) and
# PostgreSQL refuses NUL in text and JSON; JSON's \ud800 and \u0000 escapes produce both.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def collapse(text: str) -> str:
    """Runs of whitespace (including newlines and no-break spaces) become one space.

    >>> collapse("  8B,\\n  70B\\u00a0and 405B ")
    '8B, 70B and 405B'
    """
    return _WS.sub(" ", text).strip()


def clean_text(text: str) -> tuple[str, int]:
    """`text` with what no database stores (NUL, lone surrogates) replaced by U+FFFD, and how
    many characters were replaced; the one place scraped text is made storable.

    >>> clean_text("a\\x00b\\ud800")
    ('a\ufffdb\ufffd', 2)
    """
    if text.isascii() and "\x00" not in text:
        return text, 0
    return _UNSTORABLE.subn(REPLACEMENT, text)


def head(text: str, limit: int) -> str:
    """At most 2 * `limit` characters of `text`, so collapsing a huge match costs no more.

    (Collapsing may shorten it; the caller cuts the result to `limit`.)
    """
    return text if len(text) <= 2 * limit else text[: 2 * limit]


def normalise_quotes(text: str) -> str:
    """Typographic quotes and apostrophes become ASCII ones.

    >>> normalise_quotes("Meta\\u2019s \\u201copen\\u201d model")
    'Meta\\'s "open" model'
    """
    return text.translate(_QUOTES)


def excerpt(text: str, start: int, end: int, *, radius: int = EXCERPT_RADIUS) -> str:
    """`text[start:end]` with `radius` characters either side, whitespace collapsed.

    A word cut by the window is dropped; an ellipsis marks each side that was cut. A match
    longer than EXCERPT_MATCH_MAX is shown by its start, so an excerpt costs a bounded time.

    >>> excerpt("one two three four five", 8, 13, radius=4)
    '… two three …'
    >>> excerpt("one two three four five", 8, 13, radius=5)
    '… two three four …'
    """
    end = min(end, start + EXCERPT_MATCH_MAX)
    lo = max(0, start - radius)
    hi = min(len(text), end + radius)
    if lo > 0 and not text[lo - 1].isspace():
        lo += _LEADING_PART.match(text, lo, start).end() - lo  # type: ignore[union-attr]
    if hi < len(text) and not text[hi].isspace():
        hi = _TRAILING_PART.search(text, end, hi).start()  # type: ignore[union-attr]
    head = "… " if lo > 0 else ""
    tail = " …" if hi < len(text) else ""
    return f"{head}{collapse(text[lo:hi])}{tail}"


def excerpt_of(
    context: str, raw: str, *, radius: int = EXCERPT_RADIUS, collapsed: bool = False
) -> str:
    """An excerpt of `context` around the first occurrence of `raw` (or its start).

    `collapsed` says the caller already collapsed `context` (once, for many hits).
    """
    if not collapsed:
        context = collapse(context)
    at = context.find(raw) if raw else -1
    if at < 0:
        return excerpt(context, 0, 0, radius=2 * radius)
    return excerpt(context, at, at + len(raw), radius=radius)


class LineIndex:
    """Maps a character offset to its 1-based line number in O(log n)."""

    __slots__ = ("_starts",)

    def __init__(self, text: str) -> None:
        self._starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def line(self, offset: int) -> int:
        """
        >>> LineIndex("a\\nbc\\nd").line(3)
        2
        """
        return bisect.bisect_right(self._starts, offset)
