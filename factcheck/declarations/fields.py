"""Field validators shared by TOML declarations, CSV imports and CLI options.

Each takes a raw value and the field name and returns the checked value, or raises a
ValidationError naming the field, so a value is refused for the same reason whichever way it
comes in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
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


def check_text(value: object, name: str, *, required: bool = False, max_len: int = 0) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise _fail(name, f"expected text, got {type(value).__name__}")
    if required and not value.strip():
        raise _fail(name, "is required")
    if max_len and len(value) > max_len:
        raise _fail(name, f"longer than {max_len} characters")
    return value


def check_url(value: object, name: str, *, schemes: Iterable[str] = ("http", "https")) -> str:
    allowed = tuple(schemes)
    if not isinstance(value, str) or not value or any(c.isspace() for c in value):
        raise _fail(name, f"{value!r} is not a URL")
    if len(value) > MAX_URL_CHARS:
        raise _fail(name, f"longer than {MAX_URL_CHARS} characters")
    parts = urlsplit(value)
    if parts.scheme not in allowed:
        raise _fail(name, f"{value!r} is not a URL ({' or '.join(allowed)} only)")
    if parts.scheme in ("http", "https") and not parts.hostname:
        raise _fail(name, f"{value!r} is not a URL (no host)")
    if parts.scheme == "file" and not parts.path:
        raise _fail(name, f"{value!r} is not a URL (no path)")
    return value


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
    """A date at its stated precision: "2007" (year), "2007-06" (month), "2007-06-29" (day)."""
    if isinstance(value, date):
        return value, "day"
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if isinstance(value, str):
        text = value.strip()
        try:
            if re.fullmatch(r"\d{4}", text):
                return date(int(text), 1, 1), "year"
            if re.fullmatch(r"\d{4}-\d{2}", text):
                return date(int(text[:4]), int(text[5:]), 1), "month"
            return date.fromisoformat(text), "day"
        except ValueError:
            pass
    raise _fail(name, f"{value!r} is not a date (YYYY, YYYY-MM or YYYY-MM-DD)")


def check_choice(value: object, name: str, choices: Iterable[str]) -> str:
    options = list(choices)
    if value not in options:
        raise _fail(name, f"{value!r} is not one of {', '.join(options)}")
    return str(value)


def check_bool(value: object, name: str) -> bool:
    if not isinstance(value, bool):
        raise _fail(name, f"expected true or false, got {value!r}")
    return value


def check_int(value: object, name: str, *, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise _fail(name, f"expected a whole number >= {minimum}, got {value!r}")
    return value


def _unknown_fields(data: Mapping[str, Any], known: Iterable[str]) -> None:
    extra = sorted(set(data) - set(known))
    if extra:
        raise _fail(extra[0], "unknown field")
