"""Field validators shared by TOML declarations, CSV imports and CLI options.

Each takes a raw value and the field name and returns the checked value, or raises a
ValidationError naming the field, so a value is refused for the same reason whichever way it
comes in. Every bound lives here (`INT_RANGES`, the `MAX_*` limits), so the README's table and
the checks cannot drift; the bounds fit the schema on both backends (PostgreSQL's INTEGER is
32-bit, its TEXT refuses NUL), so nothing that passes here fails later in the database.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from factcheck.errors import ValidationError

KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,119}$")


TAG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,59}$")


# Limits the schema holds on every backend (SQLite would accept more; PostgreSQL would not).
MAX_URL_CHARS = 2000


MAX_DIGITS = 30  # significant digits of an amount or tolerance


MAX_EXPONENT = 30  # 1e-30 .. 1e30: beyond that a figure is not a claim, and its text is huge


# Free text without a column limit (a statement, a rule, a note): large enough for any real
# statement, small enough that a claims export row stays readable by `import-csv`.
MAX_LONG_TEXT_CHARS = 1_000_000


# Whole numbers in rule options (json_path `weights`, say): a signed 32-bit integer.
OPTION_INT_MIN, OPTION_INT_MAX = -(2**31), 2**31 - 1


@dataclass(frozen=True)
class IntRange:
    """The inclusive bounds of a declared whole-number field, with its unit for the docs."""

    minimum: int
    maximum: int
    unit: str = ""
    why: str = ""


# Every declared whole-number field. The README's ranges table is this mapping.
INT_RANGES: dict[str, IntRange] = {
    "recheck_hours": IntRange(1, 8760, "hours", "at least hourly, at most yearly"),
}


# Characters no text field takes: C0 controls other than tab, LF and CR (NUL above all:
# PostgreSQL refuses it, SQLite would store it), DEL, and lone surrogates (not valid UTF-8).
_FORBIDDEN_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
# In a URL also every kind of space, and invisible format characters (a host that looks
# like another).
_URL_FORBIDDEN = re.compile(
    r"[\x00-\x20\x7f-\xa0\u1680\u2000-\u200f\u2028-\u202f\u205f\u3000\ufeff]"
)
MAX_HOST_CHARS = 253
MAX_LABEL_CHARS = 63


PRECISIONS = ("year", "month", "day")


def _fail(name: str, message: str) -> ValidationError:
    return ValidationError(f"field '{name}': {message}")


def check_key(value: object, name: str = "key") -> str:
    if not isinstance(value, str) or not KEY_PATTERN.match(value):
        raise _fail(
            name, f"{value!r} is not a key (lower-case letters, digits, '.', '_', '-'; max 120)"
        )
    return value


def check_tag(value: object) -> str:
    if not isinstance(value, str) or not TAG_PATTERN.match(value):
        raise _fail(
            "tags", f"{value!r} is not a tag (lower-case letters, digits, '.', '_', '-'; max 60)"
        )
    return value


def check_plain(value: str, name: str) -> str:
    """Refuse control characters (tab, LF and CR aside) and lone surrogates in any text."""
    bad = _FORBIDDEN_CHARS.search(value)
    if bad:
        raise _fail(
            name, f"control character U+{ord(bad.group()):04X} at position {bad.start() + 1}"
        )
    return value


def check_text(
    value: object, name: str, *, required: bool = False, max_len: int = MAX_LONG_TEXT_CHARS
) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise _fail(name, f"expected text, got {type(value).__name__}")
    if required and not value.strip():
        raise _fail(name, "is required")
    if max_len and len(value) > max_len:
        raise _fail(name, f"longer than {max_len} characters")
    return check_plain(value, name)


def check_url(value: object, name: str, *, schemes: Iterable[str] = ("http", "https")) -> str:
    """A URL the fetcher can use: known scheme, a valid host (IDNA name or IP literal), a port
    in 1..65535, no credentials, no whitespace or control characters anywhere."""
    allowed = tuple(schemes)
    if not isinstance(value, str) or not value:
        raise _fail(name, f"{value!r} is not a URL")
    if len(value) > MAX_URL_CHARS:
        raise _fail(name, f"longer than {MAX_URL_CHARS} characters")
    bad = _URL_FORBIDDEN.search(value) or _FORBIDDEN_CHARS.search(value)
    if bad:
        raise _fail(
            name, f"{value!r} is not a URL (whitespace or control character at {bad.start() + 1})"
        )
    try:
        parts = urlsplit(value)
    except ValueError as exc:  # e.g. an unbalanced IPv6 bracket
        raise _fail(name, f"{value!r} is not a URL ({exc})") from None
    if parts.scheme not in allowed:
        raise _fail(name, f"{value!r} is not a URL ({' or '.join(allowed)} only)")
    if parts.scheme == "file":
        if parts.netloc not in ("", "localhost") or not parts.path:
            raise _fail(name, f"{value!r} is not a file URL (file:///absolute/path)")
        return value
    _check_netloc(value, parts.netloc, name)
    return value


def _check_netloc(url: str, netloc: str, name: str) -> None:
    if "@" in netloc:
        raise _fail(name, f"{url!r}: credentials in a URL are not accepted")
    host, port = netloc, ""
    if netloc.startswith("["):
        end = netloc.find("]")
        if end < 0:
            raise _fail(name, f"{url!r} is not a URL (unclosed IPv6 bracket)")
        host, rest = netloc[1:end], netloc[end + 1 :]
        if rest and not rest.startswith(":"):
            raise _fail(name, f"{url!r} is not a URL (text after the IPv6 address)")
        port = rest[1:]
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise _fail(name, f"{url!r}: {host!r} is not an IPv6 address") from None
    else:
        host, _, port = netloc.rpartition(":") if ":" in netloc else (netloc, "", "")
        if "[" in host or "]" in host:
            raise _fail(name, f"{url!r} is not a URL (stray bracket in the host)")
        _check_host_name(url, host, name)
    if ":" in netloc and not netloc.endswith("]") and port == "":
        raise _fail(name, f"{url!r}: empty port")
    if port and (not port.isascii() or not port.isdigit() or not 1 <= int(port) <= 65535):
        raise _fail(name, f"{url!r}: port must be between 1 and 65535, got {port!r}")


def _check_host_name(url: str, host: str, name: str) -> None:
    if not host:
        raise _fail(name, f"{url!r} is not a URL (no host)")
    if re.fullmatch(r"[0-9.]+", host):
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            raise _fail(name, f"{url!r}: {host!r} is not an IPv4 address") from None
        return
    import idna  # a dependency of requests; imported here, where it is needed

    labels = host.rstrip(".").split(".")
    try:
        ascii_host = ".".join(
            label
            if label.isascii() and label.isprintable() and _ascii_label(label)
            else idna.encode(unicodedata.normalize("NFC", label), uts46=True).decode("ascii")
            for label in labels
        )
    except (idna.IDNAError, UnicodeError, ValueError) as exc:
        raise _fail(name, f"{url!r}: {host!r} is not a valid host name ({exc})") from None
    parts = ascii_host.split(".")
    if len(ascii_host) > MAX_HOST_CHARS or any(
        not part or len(part) > MAX_LABEL_CHARS for part in parts
    ):
        raise _fail(
            name,
            f"{url!r}: {host!r} is not a valid host name "
            f"(labels of 1..{MAX_LABEL_CHARS} characters, {MAX_HOST_CHARS} in all)",
        )


_LDH_LABEL = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?")


def _ascii_label(label: str) -> bool:
    """An ASCII letters-digits-hyphen label (underscores tolerated, as browsers do)."""
    return bool(_LDH_LABEL.fullmatch(label)) and not label.lower().startswith("xn--")


def check_decimal(
    value: object, name: str, *, minimum: Decimal | None = None, max_chars: int = 80
) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | str | Decimal):
        raise _fail(name, f"expected a number, got {type(value).__name__}")
    try:
        number = (
            Decimal(value.strip().replace("_", "")) if isinstance(value, str) else Decimal(value)
        )
    except InvalidOperation:
        raise _fail(name, f"{value!r} is not a number") from None
    if not number.is_finite():
        raise _fail(name, f"{value!r} is not a finite number")
    digits = len(number.normalize().as_tuple().digits)
    if abs(number.adjusted()) > MAX_EXPONENT or digits > MAX_DIGITS:
        raise _fail(
            name, f"{value!r} is out of range (at most {MAX_DIGITS} digits, 1e±{MAX_EXPONENT})"
        )
    if len(format(number.normalize(), "f")) > max_chars:
        raise _fail(name, f"{value!r} needs more than {max_chars} characters written out")
    if minimum is not None and number < minimum:
        raise _fail(name, f"{value} is below {minimum}")
    return number


def check_date(value: object, name: str) -> date:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise _fail(name, f"{value!r} is not a date (YYYY-MM-DD)") from None
    raise _fail(name, f"expected a date, got {type(value).__name__}")


def check_partial_date(value: object, name: str) -> tuple[date, str]:
    """A date at its written precision: "2007" (year), "2007-06" (month), "2007-06-29" or a
    TOML date (day), and whatever `read_date` reads ("2024年9月25日", "Sept 25, 2024",
    "23.07.2024"); its refusal ("ambiguous: 3/4/2024 may be ...") names the field.
    """
    if isinstance(value, date):
        return value, "day"
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise _fail(name, f"expected a date, got {type(value).__name__}")
    from factcheck.normalising.dates import read_date  # the date reader: not on --help's path

    text = value.strip()
    year_month = re.fullmatch(r"(\d{4})(?:-(\d{2}))?", text)
    try:
        if year_month:
            year, month = int(year_month[1]), int(year_month[2] or 1)
            return date(year, month, 1), "month" if year_month[2] else "year"
        found = read_date(text)
    except ValueError as error:
        problem = str(error) if not year_month else f"{text!r} is not a date"
        raise _fail(name, problem.splitlines()[0]) from None
    return found.when, found.precision


def check_choice(value: object, name: str, choices: Iterable[str]) -> str:
    options = list(choices)
    if value is None:
        raise _fail(name, f"is required: one of {', '.join(options)}")
    if value not in options:
        raise _fail(name, f"{value!r} is not one of {', '.join(options)}")
    return str(value)


def check_bool(value: object, name: str) -> bool:
    if not isinstance(value, bool):
        raise _fail(name, f"expected true or false, got {value!r}")
    return value


def check_int(value: object, name: str) -> int:
    """A whole number within the field's range in `INT_RANGES`."""
    bounds = INT_RANGES[name]
    if isinstance(value, bool) or not isinstance(value, int):
        shown = value if isinstance(value, str | Decimal | float) else type(value).__name__
        raise _fail(name, f"expected a whole number, got {str(shown)[:40]!r}")
    if not bounds.minimum <= value <= bounds.maximum:
        raise _fail(
            name,
            f"must be between {bounds.minimum} and {bounds.maximum}, got {shown_int(value)}",
        )
    return value


def shown_int(value: int) -> str:
    """A whole number for a message: huge ones by size (str() of 5,000 digits raises)."""
    return str(value) if value.bit_length() <= 100 else f"a {value.bit_length()}-bit number"


def _unknown_fields(data: Mapping[str, Any], known: Iterable[str]) -> None:
    extra = sorted(set(data) - set(known))
    if extra:
        raise _fail(extra[0], "unknown field")
