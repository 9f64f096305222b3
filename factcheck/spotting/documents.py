"""Raw text, Markdown or HTML -> the plain text that sentences are split from.

Markdown is blanked in place (link targets, images, code, emphasis and bare URLs become spaces
of the same length), so offsets into the returned text are offsets into the file as read: an
annotation or an editor's "line 42" points at the same place in both. HTML cannot keep its
offsets; it becomes text with a blank line between blocks, scripts and styles dropped.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

__all__ = ["read_document"]

KINDS = ("text", "markdown", "html")
_FENCE = re.compile(r"^[ \t]*(```|~~~)[^\n]*\n.*?(?:^[ \t]*\1[^\n]*$|\Z)", re.M | re.S)
_IMAGE = re.compile(r"!\[[^\]\n]*\]\([^)\n]*\)")
_LINK = re.compile(r"\[([^\]\n]*)\]\([^)\n]*\)")
_URL = re.compile(r"<?\bhttps?://[^\s<>()\]]+>?")
_TAG = re.compile(r"</?[A-Za-z][^>\n]*>")
_MARKS = re.compile(r"\*\*|__|`")


def read_document(raw: str, *, kind: str) -> str:
    """The text to split: `kind` is "text", "markdown" or "html".

    >>> read_document("See [the post](http://x.y/a) ![](i.png) **now**.", kind="markdown")
    'See  the post                             now  .'
    >>> read_document("<p>One &amp; two</p><script>x()</script><p>Three</p>", kind="html")
    'One & two\\n\\nThree'
    """
    if kind not in KINDS:
        raise ValueError(f"unknown document kind {kind!r}: expected one of {', '.join(KINDS)}")
    text = raw.replace("\r", " ")
    if kind == "markdown":
        return _blank_markdown(text)
    if kind == "html":
        return _html_text(text)
    return text


def _blank(m: re.Match[str]) -> str:
    return re.sub(r"[^\n]", " ", m.group())


def _blank_markdown(text: str) -> str:
    """Markdown without its markup, every character kept in place (newlines too)."""
    text = _FENCE.sub(_blank, text)
    text = _IMAGE.sub(_blank, text)
    text = _LINK.sub(
        lambda m: " " + m.group(1) + " " * (len(m.group()) - len(m.group(1)) - 1), text
    )
    text = _URL.sub(_blank, text)
    text = _TAG.sub(_blank, text)
    return _MARKS.sub(_blank, text)


_BLOCKS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "dd",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "td",
        "th",
        "tr",
        "ul",
        "title",
        "caption",
    ]
)
_SKIPPED = frozenset(["script", "style", "noscript", "template", "svg", "iframe", "object", "head"])


class _Text(HTMLParser):
    """Collects text; a block element makes a paragraph break, <br> a line break."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED and tag != "head":
            self.skipping.append(tag)
        elif tag == "br":
            self.parts.append("\n")
        elif tag in _BLOCKS:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.skipping:
            while self.skipping and self.skipping.pop() != tag:
                pass
        elif tag in _BLOCKS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(re.sub(r"\s+", " ", data))


def _html_text(raw: str) -> str:
    parser = _Text()
    parser.feed(raw)
    parser.close()
    text = "".join(parser.parts)
    text = re.sub(r"[ \t]*\n[ \t]*", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()
