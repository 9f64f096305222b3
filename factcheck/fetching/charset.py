"""Which charset a fetched body decodes with: byte-order mark, header, the document's own
declaration, then detection (charset-normalizer). GBK and GB2312 are widened to gb18030.

Pure functions over bytes; `fetch.py` stores the answer in `Fetched.encoding`.
"""

from __future__ import annotations

import codecs
import re
from email.message import Message

import charset_normalizer

from factcheck.domain import SourceFormat

# GBK and GB2312 labels: decode with gb18030, their superset, so no page loses characters.
_GB_LABELS = frozenset(
    {
        "gbk",
        "gb2312",
        "gb_2312",
        "gb2312-80",
        "gb_2312-80",
        "x-gbk",
        "cp936",
        "ms936",
        "windows-936",
        "csgb2312",
        "euc-cn",
        "euccn",
        "chinese",
        "iso-ir-58",
        "csiso58gb231280",
        "gb18030",
    }
)
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_PRESCAN_BYTES = 4096  # the HTML standard prescans 1024; some heads are longer
_META_CHARSET = re.compile(rb"""<meta\s[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.I)
_XML_DECLARATION = re.compile(rb"""^\s*<\?xml\s[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")


# Python codecs that map bytes to str but are no document's charset: they cannot decode with
# errors="replace" (idna, punycode, undefined) or turn backslashes into characters (*escape).
_NOT_CHARSETS = frozenset({"idna", "punycode", "undefined", "unicode-escape", "raw-unicode-escape"})


def normalise_charset(label: str) -> str | None:
    """A Python codec name for a charset label, GBK/GB2312 widened to gb18030; None if unknown.

    A label is a server's or a page's word, so a codec that is not a text encoding (rot-13,
    base64, zlib: bytes-to-bytes) or not a charset (idna) counts as no label at all.

    >>> normalise_charset("GB2312"), normalise_charset('"GBK"'), normalise_charset("UTF8")
    ('gb18030', 'gb18030', 'utf-8')
    >>> normalise_charset("x-no-such"), normalise_charset("rot-13"), normalise_charset("idna")
    (None, None, None)
    >>> normalise_charset("base64"), normalise_charset("a\\x00b")
    (None, None)
    """
    cleaned = label.strip().strip("\"'").lower()
    if cleaned in _GB_LABELS:
        return "gb18030"
    try:
        info = codecs.lookup(cleaned)
    except (LookupError, ValueError):  # ValueError: an embedded NUL
        return None
    if not info._is_text_encoding or info.name in _NOT_CHARSETS:
        return None
    return "gb18030" if info.name in ("gbk", "gb2312") else info.name


def choose_encoding(body: bytes, *, content_type: str | None, fmt: SourceFormat) -> str | None:
    """The charset `body` decodes with: BOM, then the header, then the document, then detection.

    A byte-order mark is unambiguous, so it wins (as in the HTML standard and RFC 8259).
    """
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return codec
    if content_type:
        header = Message()
        header["content-type"] = content_type
        label = header.get_param("charset")
        from_header = normalise_charset(label) if isinstance(label, str) else None
        if from_header:
            return from_header
    if fmt is SourceFormat.JSON:
        return _json_encoding(body)
    if fmt is SourceFormat.HTML:
        head = body[:_PRESCAN_BYTES]
        for pattern in (_XML_DECLARATION, _META_CHARSET):
            found = pattern.search(head)
            declared = normalise_charset(found.group(1).decode("ascii")) if found else None
            if declared:
                return declared
    if not body:
        return None
    best = charset_normalizer.from_bytes(body).best()
    if best is None:
        return None
    detected = normalise_charset(best.encoding)
    return "utf-8" if detected == "ascii" else detected


def _json_encoding(body: bytes) -> str:
    """RFC 8259 allows UTF-8 only between systems; RFC 4627's zero-byte pattern finds UTF-16/32.

    >>> _json_encoding(b'{"a": 1}'), _json_encoding('{"a": 1}'.encode("utf-16-le"))
    ('utf-8', 'utf-16-le')
    """
    head = body[:4]
    if len(head) == 4:
        if head[:3] == b"\0\0\0":
            return "utf-32-be"
        if head[1:] == b"\0\0\0":
            return "utf-32-le"
        if head[0] == 0 and head[2] == 0:
            return "utf-16-be"
        if head[1] == 0 and head[3] == 0:
            return "utf-16-le"
    return "utf-8"
