"""Text -> sentences, for English and Chinese alike, with their place in the text.

Why not a library splitter: the seed article mixes both languages in one paragraph and breaks
lines inside a paragraph wherever its editor's window ended ("4050\\n亿个参数"), so a line break
is not a sentence end, a blank line always is, and a Markdown heading or list item stands alone.
Chinese sentences end at 。！？ (closing quotes stay with them); English ones at . ! ? before a
space and a capital, never after an abbreviation ("Mr.", "U.S.", "e.g.") nor inside a decimal
("Llama 3.1").
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

from factcheck.spotting.documents import read_document

__all__ = ["Sentence", "detect_lang", "read_document", "split_sentences"]


@dataclass(frozen=True)
class Sentence:
    """One sentence: `text` as written (line breaks inside it joined), `[start, end)` into the
    text it was split from, `line` (1-based) of its first character, `lang` "zh" or "en"."""

    text: str
    line: int
    start: int
    end: int
    lang: str


_CJK = r"\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
_CJK_CHAR = re.compile(f"[{_CJK}]")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")
_CLOSERS = "\"'”’」』）)》】〉]"
_OPENERS = "“‘「『（《【〈"
_ZH_END = "。！？!?"  # "!" and "?" end a sentence at once only when Chinese follows
_ABBREVIATIONS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "sr",
        "jr",
        "st",
        "vs",
        "etc.al",
        "al",
        "no",
        "nos",
        "fig",
        "figs",
        "approx",
        "cf",
        "inc",
        "ltd",
        "co",
        "corp",
        "dept",
        "est",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "gen",
        "gov",
        "sen",
        "rep",
        "rev",
        "mt",
        "ft",
        "op",
        "vol",
        "ed",
        "eds",
    ]
)
# A line that is its own sentence: a heading, a list item, a "Field: value" line.
_HEADING = re.compile(r"[ \t]*#{1,6}[ \t]+")
_LIST_ITEM = re.compile(r"[ \t]*(?:[-*+•][ \t]+|\d{1,3}[.)][ \t]+|\d{1,3}、)")
_FIELD = re.compile(r"[ \t]*[^\s:：。，,.!?！？]{1,12}[ \t]*[:：]")
_WORD_BEFORE = re.compile(r"([A-Za-z][A-Za-z.]*)$")
_DOTTED = re.compile(r"(?:[A-Za-z]\.)+[A-Za-z]?")
_GAP = re.compile(r"\s+")


def split_sentences(text: str, *, lang: str = "auto") -> list[Sentence]:
    """The sentences of `text`, in order; `lang` "auto" decides per sentence.

    >>> [s.text for s in split_sentences("我们发布了 4050\\n亿个参数的模型。它很便宜！")]
    ['我们发布了 4050亿个参数的模型。', '它很便宜！']
    >>> [s.text for s in split_sentences("Mr. Smith paid $3.1 in the U.S. today. Llama 3.1 won.")]
    ['Mr. Smith paid $3.1 in the U.S. today.', 'Llama 3.1 won.']
    >>> [(s.line, s.text) for s in split_sentences("## Title\\n\\n- one item\\n- two")]
    [(1, 'Title'), (3, 'one item'), (4, 'two')]
    """
    starts = [0] + [m.end() for m in re.finditer("\n", text)]
    found: list[Sentence] = []
    for block_start, block_end in _blocks(text, starts):
        for s, e in _spans(text, block_start, block_end):
            sentence = _sentence(text, s, e, starts, lang)
            if sentence is not None:
                found.append(sentence)
    return found


def detect_lang(text: str) -> str:
    """ "zh" when Chinese characters carry the sentence, else "en".

    >>> detect_lang("Llama 3.1概述"), detect_lang("Meta released Llama 3.1 (美国)")
    ('zh', 'en')
    """
    han = len(_HAN.findall(text))
    return "zh" if han and han * 3 >= len(_LATIN.findall(text)) else "en"


def _blocks(text: str, starts: list[int]) -> list[tuple[int, int]]:
    """[start, end) of each paragraph: runs of non-blank lines, a heading, list item or field
    line starting a block of its own (and a heading ending it)."""
    blocks: list[tuple[int, int]] = []
    current: int | None = None
    for i, line_start in enumerate(starts):
        line_end = starts[i + 1] - 1 if i + 1 < len(starts) else len(text)
        line = text[line_start:line_end]
        if not line.strip():
            _close(blocks, current, line_start)
            current = None
            continue
        heading = _HEADING.match(line)
        if heading or _LIST_ITEM.match(line) or _FIELD.match(line):
            _close(blocks, current, line_start)
            current = line_start
            if heading:
                _close(blocks, line_start, line_end)
                current = None
        elif current is None:
            current = line_start
    _close(blocks, current, len(text))
    return blocks


def _close(blocks: list[tuple[int, int]], start: int | None, end: int) -> None:
    if start is not None and start < end:
        blocks.append((start, end))


def _spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """[s, e) of each sentence in one block: cut after each sentence end."""
    spans: list[tuple[int, int]] = []
    s, depth, i = start, 0, start
    while i < end:
        ch = text[i]
        if ch in _OPENERS:
            depth += 1
        elif ch in _CLOSERS and ch not in "\"'" and depth:
            depth -= 1
        cut = _end_after(text, i, end) if ch in ".!?。！？…" and not depth else None
        if cut is None and depth and ch in ".!?。！？" and text[i + 1 : i + 2] in _CLOSERS:
            cut = _end_after(text, i, end)  # 。” and .” close the quote and the sentence
            depth = 0 if cut is not None else depth
        if cut is not None:
            spans.append((s, cut))
            s, i = cut, cut
            continue
        i += 1
    spans.append((s, end))
    return spans


def _absorb(text: str, i: int, end: int) -> int:
    """The end of a sentence whose last mark is before `i`: closing quotes stay with it."""
    while i < end and text[i] in _CLOSERS + "。！？!?…":
        i += 1
    return i


def _end_after(text: str, i: int, end: int) -> int | None:
    """Where the sentence ends when the mark at `i` ends it, or None."""
    ch = text[i]
    if ch in "。！？":
        return _absorb(text, i + 1, end)
    after = _absorb(text, i + 1, end)
    if after >= end:
        return after
    following = text[after]
    if ch in _ZH_END and _CJK_CHAR.match(following):
        return after
    if not following.isspace():
        return None
    nxt = _GAP.match(text, after)
    j = nxt.end() if nxt else after
    if j >= end:
        return after
    starter = text[j]
    if not (
        starter.isupper()
        or starter.isdigit()
        or starter in _OPENERS + "\"'("
        or _CJK_CHAR.match(starter)
    ):
        return None
    return None if ch == "." and _abbreviation(text, i) else after


def _abbreviation(text: str, dot: int) -> bool:
    """Whether the period at `dot` closes an abbreviation ("Mr.", "e.g.", "U.S.", "J.")."""
    word = _WORD_BEFORE.search(text, max(0, dot - 12), dot)
    if word is None:
        return False
    token = word.group(1)
    if word.start() and (text[word.start() - 1].isalnum() or text[word.start() - 1] in "-_"):
        return False  # "GPT-4o." ends in a letter, not an initial
    bare = token.rstrip(".").casefold()
    return len(bare) == 1 or bare in _ABBREVIATIONS or bool(_DOTTED.fullmatch(token + "."))


def _sentence(text: str, s: int, e: int, starts: list[int], lang: str) -> Sentence | None:
    """The sentence in [s, e), trimmed of space and Markdown markers, or None when empty."""
    chunk = text[s:e]
    marker = _HEADING.match(chunk) or _LIST_ITEM.match(chunk)
    lead = marker.end() if marker else len(chunk) - len(chunk.lstrip())
    s += lead
    e -= len(text[s:e]) - len(text[s:e].rstrip())
    if s >= e or not any(c.isalnum() for c in text[s:e]):
        return None
    joined = _join_lines(text[s:e])
    return Sentence(
        text=joined,
        line=bisect_right(starts, s),
        start=s,
        end=e,
        lang=detect_lang(joined) if lang == "auto" else lang,
    )


def _join_lines(chunk: str) -> str:
    """One line: a gap between Chinese characters, or a line break next to one, goes; any
    other gap becomes one space ("4050\\n亿" -> "4050亿", "Rowan\\nCheung" -> "Rowan Cheung").

    >>> _join_lines("405 上进行推理比 GPT 4.0\\n便宜大约\\n50%。  开源  前沿")
    '405 上进行推理比 GPT 4.0便宜大约50%。开源前沿'
    """

    def gap(m: re.Match[str]) -> str:
        before = chunk[m.start() - 1] if m.start() else ""
        after = chunk[m.end()] if m.end() < len(chunk) else ""
        cjk_before, cjk_after = bool(_CJK_CHAR.match(before)), bool(_CJK_CHAR.match(after))
        if (cjk_before and cjk_after) or ("\n" in m.group() and (cjk_before or cjk_after)):
            return ""
        return " "

    return _GAP.sub(gap, chunk)
