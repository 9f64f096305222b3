"""HTML bodies: bytes -> one lxml tree (BeautifulSoup only as the fallback), and its text.

lxml parses and cssselect-compiled XPath selects in C, 5-30x faster than BeautifulSoup +
soupsieve (benchmarks/extract_speed.py), so lxml is the hot path. BeautifulSoup (with the
lxml builder, which feeds the tree incrementally) is used only when lxml reports a fatal
error -- e.g. nesting deeper than 256, where lxml silently drops the rest of the page -- or
yields no root; its tree is converted back to lxml (iteratively, refusing a page nested
deeper than a limit) so every rule sees one kind of tree. Text walks are iterative too
(`etree.iterwalk`), so no depth of nesting reaches Python's recursion limit.
Comments and processing instructions are dropped at parse time so they never reach the text.

Charsets: an explicit encoding wins (GBK and GB2312 decode as their superset GB18030); with
none, UTF-8 is tried and then libxml2 sniffs a BOM or <meta charset>.
"""

from __future__ import annotations

import codecs
import re
import warnings
from typing import Any

from lxml import etree

from factcheck.errors import ExtractError
from factcheck.extraction.snippets import REPLACEMENT, collapse

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
# What lxml refuses in text: NUL and other C0 controls, lone surrogates, U+FFFE/U+FFFF.
_XML_UNSAFE = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_ALIASES = {"gbk": "gb18030", "gb2312": "gb18030", "utf-8": "utf-8-sig"}  # decode supersets


def codec_for(encoding: str | None) -> str:
    """The Python codec to decode with; an unknown name, or a codec that is not a text
    encoding (rot-13, base64...), is ExtractError("decode_error")."""
    try:
        info = codecs.lookup(encoding or "utf-8")
    except LookupError:
        raise ExtractError("decode_error", f"unknown encoding {encoding!r}") from None
    if not info._is_text_encoding:
        raise ExtractError("decode_error", f"{encoding!r} is not a text encoding")
    return _ALIASES.get(info.name, info.name)


def decode_text(body: bytes, encoding: str | None) -> str:
    """The body as text, bad bytes replaced; a codec that cannot decode at all (idna refuses
    `errors="replace"`) is ExtractError("decode_error"), the source's failure, not a crash.

    >>> decode_text(b"405B \\xff", "utf-8")
    '405B \\ufffd'
    >>> decode_text(b"405B", "rot-13")
    Traceback (most recent call last):
    ...
    factcheck.errors.ExtractError: 'rot-13' is not a text encoding
    """
    codec = codec_for(encoding)
    try:
        return body.decode(codec, errors="replace")
    except (UnicodeError, ValueError) as exc:
        raise ExtractError("decode_error", f"cannot decode as {encoding}: {exc}") from None


def parse_html(
    body: bytes, encoding: str | None, *, max_depth: int = 1_000
) -> tuple[etree._Element, str]:
    """lxml first; BeautifulSoup when lxml fails, stops early (fatal error) or finds nothing.

    lxml (huge_tree off) stops at 256 levels with a fatal error; the fallback goes on to
    `max_depth` and a page nested deeper is ExtractError("parse_error").
    """
    charset = codec_for(encoding) if encoding else None
    data: bytes = body
    lxml_encoding: str | None = "utf-8"
    if charset is None:
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            lxml_encoding = None  # let libxml2 sniff a BOM or <meta charset>
    elif charset not in _UTF8:
        data, lxml_encoding = decode_text(body, charset).encode("utf-8"), "utf-8"
    # etree's parser, not lxml.html's: no per-element Python class lookup (~30% faster selects)
    parser = etree.HTMLParser(encoding=lxml_encoding, remove_comments=True, remove_pis=True)
    try:
        root = etree.fromstring(data, parser)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        root = None
    fatal = any(e.level == etree.ErrorLevels.FATAL for e in parser.error_log)
    if root is not None and not fatal:
        return root, "lxml"
    fallback = parse_html_soup(body, charset, max_depth=max_depth)
    if len(fallback) or (fallback.text or "").strip():
        return fallback, "beautifulsoup"
    if root is not None:
        return root, "lxml"
    raise ExtractError("parse_error", "HTML page has no elements")


def parse_html_soup(body: bytes, charset: str | None, *, max_depth: int = 1_000) -> etree._Element:
    """BeautifulSoup's tolerant parse, converted to an lxml tree without comments.

    The conversion walks the soup with a stack, not recursion (lxml.html.soupparser recurses
    once per level and so raises RecursionError near 1,000 levels), and refuses a page
    nested deeper than `max_depth` elements.
    """
    from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning, XMLParsedAsHTMLWarning

    with warnings.catch_warnings():
        # Both only advise the caller; a page that looks like a URL or like XML is still a page.
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        soup = BeautifulSoup(body, features="lxml", from_encoding=charset)
    return _soup_tree(soup, max_depth=max_depth)


def _soup_tree(soup: Any, *, max_depth: int) -> etree._Element:
    """One <html> root holding the soup's top-level nodes, built iteratively."""
    from bs4 import Comment, Declaration, Doctype, ProcessingInstruction, Tag

    skipped = (Comment, Declaration, Doctype, ProcessingInstruction)
    tops = [node for node in soup.contents if isinstance(node, Tag)]
    html = next((t for t in tops if (t.name or "").lower() == "html"), None)
    root = etree.HTMLParser().makeelement("html", _attributes(html.attrs if html else {}))
    nodes: list[Any] = []
    for node in soup.contents:
        if html is not None and node is html:
            nodes.extend(html.contents)
        else:
            nodes.append(node)
    stack: list[tuple[Any, etree._Element, int]] = [(n, root, 1) for n in reversed(nodes)]
    while stack:
        node, parent, depth = stack.pop()
        if isinstance(node, Tag):
            if depth > max_depth:
                raise ExtractError("parse_error", f"HTML nested deeper than {max_depth} elements")
            element = _sub_element(parent, node.name or "span", node.attrs)
            stack.extend((child, element, depth + 1) for child in reversed(node.contents))
        elif not isinstance(node, skipped):
            text = _XML_UNSAFE.sub(REPLACEMENT, str(node))
            if len(parent):
                parent[-1].tail = (parent[-1].tail or "") + text
            else:
                parent.text = (parent.text or "") + text
    return root


def _sub_element(parent: etree._Element, name: str, attrs: Any) -> etree._Element:
    try:
        element = etree.SubElement(parent, name)
    except ValueError:  # a name lxml will not hold ("x y"): keep the content, not the name
        element = etree.SubElement(parent, "span")
    for key, value in _attributes(attrs).items():
        try:
            element.set(key, value)
        except ValueError:  # an attribute name lxml will not hold: skip it
            continue
    return element


def _attributes(attrs: Any) -> dict[str, str]:
    """bs4 attributes as lxml takes them: lists (class) joined, text made XML-safe."""
    return {
        str(k): _XML_UNSAFE.sub(REPLACEMENT, " ".join(v) if isinstance(v, list) else str(v))
        for k, v in dict(attrs or {}).items()
    }


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
