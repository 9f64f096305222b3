"""HTML bodies: bytes -> one lxml tree (BeautifulSoup only as the fallback), and its text.

lxml parses and cssselect-compiled XPath selects in C, 5-30x faster than BeautifulSoup +
soupsieve (benchmarks/extract_speed.py), so lxml is the hot path. BeautifulSoup (with the
lxml builder, which feeds the tree incrementally) is used only when lxml reports a fatal
error -- e.g. nesting deeper than 256, where lxml silently drops the rest of the page -- or
yields no root; its tree is converted back to lxml so every rule sees one kind of tree.
Comments and processing instructions are dropped at parse time so they never reach the text.

Charsets: an explicit encoding wins (GBK and GB2312 decode as their superset GB18030); with
none, UTF-8 is tried and then libxml2 sniffs a BOM or <meta charset>.
"""

from __future__ import annotations

import codecs
import re
import warnings

from lxml import etree

from factcheck.errors import ExtractError
from factcheck.extraction.snippets import collapse

# fmt: off
_BLOCK = frozenset({  # elements that start a new line of page text
    "address", "article", "aside", "blockquote", "br", "caption", "dd", "details", "div", "dl",
    "dt", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header",
    "hr", "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table", "tbody", "tfoot",
    "thead", "title", "tr", "ul",
})
# fmt: on
_CELL = frozenset({"td", "th"})
_BREAK = "\x00"  # marks a block boundary while joining; lxml never yields NUL in text
_SKIP = frozenset({"script", "style", "template", "noscript"})
_UTF8 = frozenset({"utf-8", "utf-8-sig"})
_ALIASES = {"gbk": "gb18030", "gb2312": "gb18030", "utf-8": "utf-8-sig"}  # decode supersets


def codec_for(encoding: str | None) -> str:
    """The Python codec to decode with; an unknown name is ExtractError("decode_error")."""
    try:
        name = codecs.lookup(encoding or "utf-8").name
    except LookupError:
        raise ExtractError("decode_error", f"unknown encoding {encoding!r}") from None
    return _ALIASES.get(name, name)


def parse_html(body: bytes, encoding: str | None) -> tuple[etree._Element, str]:
    """lxml first; BeautifulSoup when lxml fails, stops early (fatal error) or finds nothing."""
    charset = codec_for(encoding) if encoding else None
    data: bytes = body
    lxml_encoding: str | None = "utf-8"
    if charset is None:
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            lxml_encoding = None  # let libxml2 sniff a BOM or <meta charset>
    elif charset not in _UTF8:
        data, lxml_encoding = body.decode(charset, errors="replace").encode("utf-8"), "utf-8"
    # etree's parser, not lxml.html's: no per-element Python class lookup (~30% faster selects)
    parser = etree.HTMLParser(encoding=lxml_encoding, remove_comments=True, remove_pis=True)
    try:
        root = etree.fromstring(data, parser)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        root = None
    fatal = any(e.level == etree.ErrorLevels.FATAL for e in parser.error_log)
    if root is not None and not fatal:
        return root, "lxml"
    fallback = parse_html_soup(body, charset)
    if len(fallback) or (fallback.text or "").strip():
        return fallback, "beautifulsoup"
    if root is not None:
        return root, "lxml"
    raise ExtractError("parse_error", "HTML page has no elements")


def parse_html_soup(body: bytes, charset: str | None) -> etree._Element:
    """BeautifulSoup's tolerant parse, converted to an lxml tree without comments."""
    from bs4 import MarkupResemblesLocatorWarning, XMLParsedAsHTMLWarning
    from lxml.html import soupparser

    with warnings.catch_warnings():
        # Both only advise the caller; a page that looks like a URL or like XML is still a page.
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        root = soupparser.fromstring(body, features="lxml", from_encoding=charset)
    etree.strip_tags(root, etree.Comment, etree.ProcessingInstruction)
    return root


def element_text(el: etree._Element) -> str:
    """An element's text as one line: cells and blocks inside it stay apart."""
    if not len(el):
        return collapse(el.text or "")
    return collapse(page_text(el))


def page_text(root: etree._Element) -> str:
    """Visible text: script/style dropped, a line per block element, a space per cell.

    Source line breaks inside a paragraph are only whitespace, as a browser shows them.
    """
    parts: list[str] = []
    walker = etree.iterwalk(root, events=("start", "end"))
    for event, el in walker:
        tag = el.tag if isinstance(el.tag, str) else ""
        if event == "start":
            if tag in _SKIP:
                walker.skip_subtree()
                continue
            parts.append(_BREAK if tag in _BLOCK else " " if tag in _CELL else "")
            parts.append(el.text or "")
        else:
            parts.append(_BREAK if tag in _BLOCK else "")
            if el is not root:
                parts.append(el.tail or "")
    text = re.sub(r"\s+", " ", "".join(parts))
    return re.sub(rf" ?{_BREAK}[{_BREAK} ]*", "\n", text).strip()
