"""Quantity -> words and JSON: a parsed figure written back for a reader or a machine.

The reverse of `quantities`, kept apart so that reading and writing can change separately:
figures are written as people say them ("1.64 billion", "$5.00 per million tokens"), and
Decimals go to JSON as plain digit strings, never in exponent form.
"""

from __future__ import annotations

from decimal import Decimal, localcontext

from factcheck.domain import Bound, Quantity

CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "CNY": "¥", "GBP": "£"}

_SCALE_NAMES = ((12, "trillion"), (9, "billion"), (6, "million"))
_UNIT_NAMES = {
    "users/month": "monthly active users",
    "users/week": "weekly active users",
    "users/day": "daily active users",
}
_BOUND_WORDS = {
    Bound.APPROXIMATE: "about ",
    Bound.AT_LEAST: "at least ",
    Bound.AT_MOST: "at most ",
}


def describe(q: Quantity) -> str:
    """A short human form for reasons: "405 billion parameters", "about 50%".

    >>> from factcheck.normalising.quantities import parse_quantity
    >>> describe(parse_quantity("$5 per 1M tokens"))
    '$5.00 per million tokens'
    >>> describe(parse_quantity("超过2亿人"))
    'at least 200 million people'
    >>> describe(parse_quantity("数亿"))
    'between 200 million and 900 million'
    """
    if q.bound is Bound.RANGE and q.lower is not None and q.upper is not None:
        low, high = write_figure(q.lower, q.unit), write_figure(q.upper, q.unit)
        return f"between {low} and {high}{write_unit(q.unit)}"
    return f"{_BOUND_WORDS.get(q.bound, '')}{write_figure(q.amount, q.unit)}{write_unit(q.unit)}"


def to_json(q: Quantity) -> dict[str, object]:
    """A JSON-ready dict; Decimals as plain strings ("405000000000", never "4.05E+11").

    >>> to_json(Quantity(Decimal("5.33E-8"), span=(0, 8), text="5.33e-08"))["amount"]
    '0.0000000533'
    >>> to_json(Quantity(Decimal("2E+8"), None, Bound.AT_LEAST, Decimal("2E+8")))["upper"] is None
    True
    """

    def plain(d: Decimal | None) -> str | None:
        return None if d is None else format(d, "f")

    return {
        "amount": plain(q.amount),
        "unit": q.unit,
        "bound": q.bound.value,
        "lower": plain(q.lower),
        "upper": plain(q.upper),
        "approximate": q.approximate,
        "span": [q.span[0], q.span[1]],
        "text": q.text,
    }


def write_figure(d: Decimal, unit: str | None) -> str:
    """The number as a reader says it, with its currency symbol; prices per million tokens.

    >>> write_figure(Decimal("0.000005"), "USD/token")
    '$5.00'
    >>> write_figure(Decimal("1640000000"), None)
    '1.64 billion'
    >>> write_figure(Decimal("123456789"), None)
    '123,456,789'
    >>> write_figure(Decimal("-5E9"), "USD"), write_figure(Decimal("-40"), "%")
    ('-$5 billion', '-40')
    """
    currency, _, per = (unit or "").partition("/")
    symbol = CURRENCY_SYMBOLS.get(currency)
    if symbol is None:
        return _write_number(d)
    sign = "-" if d < 0 else ""  # "-$5", not "$-5"
    return f"{sign}{symbol}{_write_number(abs(d.scaleb(6) if per == 'token' else d), money=True)}"


def write_unit(unit: str | None) -> str:
    """What follows the figure: "%", " parameters", " per million tokens", "" for none.

    >>> write_unit("EUR/month"), write_unit("users/week"), write_unit("tokens/minute")
    (' per month', ' weekly active users', ' tokens per minute')
    >>> write_unit(None), write_unit("USD")
    ('', '')
    """
    currency, _, per = (unit or "").partition("/")
    if unit is None or unit == "%":
        return unit or ""
    if currency in CURRENCY_SYMBOLS:
        return " per million tokens" if per == "token" else (f" per {per}" if per else "")
    return " " + _UNIT_NAMES.get(unit, unit.replace("/", " per "))


def _write_number(d: Decimal, *, money: bool = False) -> str:
    """Millions and up by name when that takes at most three decimals, money to the cent,
    thousands separated from five digits on, so that a year stays "2007".

    >>> _write_number(Decimal("1234567")), _write_number(Decimal("2007"))
    ('1,234,567', '2007')
    >>> _write_number(Decimal("3.5"), money=True), _write_number(Decimal("0.125"), money=True)
    ('3.50', '0.125')
    """
    with localcontext(prec=80):
        for power, name in _SCALE_NAMES:
            scaled = d.scaleb(-power).normalize()
            if abs(scaled) >= 1 and int(scaled.as_tuple().exponent) >= -3:
                return f"{format(scaled, 'f')} {name}"
        d = d.normalize()
        if int(d.as_tuple().exponent) > 0:
            d = d.quantize(Decimal(1))
        if money and int(d.as_tuple().exponent) > -2:
            d = d.quantize(Decimal("0.01"))
        return format(d, ",f" if abs(d) >= 10000 else "f")  # "2007" is not "2,007"
