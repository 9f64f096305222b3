"""The wording of figures in reasons: numbers read from evidence, shown as a reader says them.

A hit's figure is `Hit.value` when the rule computed one (a 3:1 blended price), else its
`Quantity.amount`; the unit always comes from the `Quantity`, so a computed value without a
quantity is a bare number. Figures are `Decimal`; rounding happens only when one is shown
(`show_*`, for the reason sentence); `raw_*` keeps every digit, for `Judgement.figures`.
A figure converted upstream into its canonical unit keeps the figure as declared in `given`
(from `Quantity.given`), and notes show both: "$10.00/M tokens (given as 0.01 USD/K tokens)".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, getcontext

from factcheck.domain import Bound, EvidenceItem

_SHOWN = 8  # at most this many figures named per source in a reason


@dataclass(frozen=True)
class Figure:
    """One number read from one hit, with the range the source allows for the true figure."""

    key: str
    amount: Decimal
    unit: str | None
    bound: Bound = Bound.EXACT
    lower: Decimal | None = None
    upper: Decimal | None = None
    given: str = ""  # as declared, when converted to `unit` ("0.01 USD/K tokens")

    @property
    def approximate(self) -> bool:
        return self.bound is not Bound.EXACT

    def limits(self) -> tuple[Decimal | None, Decimal | None]:
        """(low, high) of the true figure; None is open ("over 500 million" has no high).

        >>> Figure("a", Decimal(500), None, Bound.AT_LEAST, lower=Decimal(500)).limits()
        (Decimal('500'), None)
        >>> Figure("a", Decimal(50), "%", Bound.APPROXIMATE).limits()  # the judge's tolerance
        (Decimal('50'), Decimal('50'))
        """
        low = self.amount if self.lower is None else self.lower
        high = self.amount if self.upper is None else self.upper
        if self.bound is Bound.AT_LEAST:
            return low, None
        if self.bound is Bound.AT_MOST:
            return None, high
        if self.bound is Bound.EXACT:
            return self.amount, self.amount
        return low, high


def figures_of(item: EvidenceItem) -> list[Figure]:
    """The numbers an item's hits carry, each named by its hit's key (or the source, numbered
    when it has several hits). A value the rule computed wins over the hit's quantity but takes
    its unit (not its `given`: that describes the quantity, not the computed value); a hit
    with neither carries no figure.

    >>> from datetime import datetime
    >>> from factcheck.domain import Hit, Quantity, Role
    >>> hits = (Hit("n/a", "", "row 1"), Hit("$2.50", "", "row 2", value=Decimal("2.5")))
    >>> money = (None, Quantity(Decimal("2.5"), "USD"))
    >>> item = EvidenceItem("card", "Card", Role.VALUE, datetime(2026, 1, 1), hits, money)
    >>> [(f.key, f.amount, f.unit) for f in figures_of(item)]
    [('card#2', Decimal('2.5'), 'USD')]
    """
    found = []
    for index, hit in enumerate(item.hits):
        quantity = item.quantities[index] if index < len(item.quantities) else None
        key = hit.key or (
            item.source_key if len(item.hits) == 1 else f"{item.source_key}#{index + 1}"
        )
        unit = quantity.unit if quantity is not None else None
        if hit.value is not None:
            found.append(Figure(key, hit.value, unit))
        elif quantity is not None:
            bounds = (quantity.bound, quantity.lower, quantity.upper)
            found.append(Figure(key, quantity.amount, unit, *bounds, given=quantity.given))
    return found


def plain(number: Decimal) -> str:
    """A Decimal without exponent or trailing zeros.

    >>> plain(Decimal("4.05E+11"))
    '405000000000'
    >>> plain(Decimal("3.50E-6"))
    '0.0000035'
    """
    return format(number.normalize(), "f")


def rounded(number: Decimal, places: int) -> Decimal:
    """`number` to `places` decimals for display; unchanged when that needs more digits than
    the context holds (quantize would raise).

    >>> rounded(Decimal("0.466666"), 2), rounded(Decimal("1E+30"), 4)
    (Decimal('0.47'), Decimal('1E+30'))
    """
    if number.adjusted() + places >= getcontext().prec:
        return number
    return number.quantize(Decimal(1).scaleb(-places))


def _scaled(amount: Decimal, *, short: bool) -> str:
    for scale, word, letter in (
        (Decimal(10) ** 12, "trillion", "T"),
        (Decimal(10) ** 9, "billion", "B"),
        (Decimal(10) ** 6, "million", "M"),
    ):
        if abs(amount) >= scale:
            number = plain(rounded(amount / scale, 2))
            return f"{number}{letter}" if short else f"{number} {word}"
    if abs(amount) >= 10_000:  # 300,000: grouped, as a reader writes it
        return format(amount.normalize(), ",f")
    return plain(amount)


def _parts(amount: Decimal, unit: str | None) -> tuple[str, str]:
    """(number, unit suffix), so that a list of one unit names the unit once."""
    if unit == "USD/token":
        return f"${rounded(amount * 10**6, 2)}", "/M tokens"
    if unit == "USD":
        return f"${rounded(amount, 2)}", ""
    if unit == "%":
        return plain(amount), "%"
    if unit == "parameters":
        return _scaled(amount, short=True), " parameters"
    return _scaled(amount, short=False), f" {unit}" if unit else ""


def show_amount(amount: Decimal, unit: str | None) -> str:
    """An amount as a reader would write it.

    >>> show_amount(Decimal("405E9"), "parameters")
    '405B parameters'
    >>> show_amount(Decimal("0.0000035"), "USD/token")
    '$3.50/M tokens'
    >>> show_amount(Decimal("500000000"), "users/month")
    '500 million users/month'
    >>> show_amount(Decimal("1234567"), None)
    '1.23 million'
    >>> show_amount(Decimal("300000"), "organisations")
    '300,000 organisations'
    """
    number, suffix = _parts(amount, unit)
    return number + suffix


_PREFIX = {Bound.AT_LEAST: "at least ", Bound.AT_MOST: "at most ", Bound.APPROXIMATE: "about "}


def _figure_parts(figure: Figure) -> tuple[str, str]:
    number, suffix = _parts(figure.amount, figure.unit)
    if figure.bound is Bound.RANGE and figure.lower is not None and figure.upper is not None:
        low, _ = _parts(figure.lower, figure.unit)
        high, _ = _parts(figure.upper, figure.unit)
        return f"{low} to {high}", suffix
    return _PREFIX.get(figure.bound, "") + number, suffix


def show_figures(figures: Iterable[Figure]) -> str:
    """Distinct figures in ascending order, the unit named once when they share it.

    >>> show_figures([Figure("a", Decimal(n) * 10**9, "parameters") for n in (405, 8, 70, 8)])
    '8B, 70B, 405B parameters'
    """
    distinct = {(f.amount, f.unit, f.bound, f.lower, f.upper): f for f in figures}
    ordered = sorted(distinct.values(), key=lambda f: f.amount)
    parts = [_figure_parts(f) for f in ordered[:_SHOWN]]
    more = f" and {len(ordered) - _SHOWN} more" if len(ordered) > _SHOWN else ""
    if len({suffix for _, suffix in parts}) == 1:
        return ", ".join(number for number, _ in parts) + parts[0][1] + more
    return ", ".join(number + suffix for number, suffix in parts) + more


def show_given(figures: Iterable[Figure]) -> str:
    """The suffix naming what converted figures were declared as; "" when none was converted.

    >>> show_given([Figure("a", Decimal("1E-5"), "USD/token", given="0.01 USD/K tokens")])
    ' (given as 0.01 USD/K tokens)'
    """
    given = list(dict.fromkeys(f.given for f in figures if f.given))
    return f" (given as {', '.join(given)})" if given else ""


def show_values(amounts: Iterable[Decimal], unit: str | None) -> str:
    """`show_figures` for bare amounts of one unit."""
    return show_figures(Figure("", amount, unit) for amount in amounts)


def raw_figure(figure: Figure) -> str:
    """The figure for `Judgement.figures`: exact digits, the bound as a symbol.

    >>> raw_figure(Figure("a", Decimal("5E+8"), "people", Bound.AT_LEAST))
    '>=500000000 people'
    >>> raw_figure(Figure("a", Decimal(2), None, Bound.RANGE, Decimal(2), Decimal(9)))
    '2..9'
    """
    unit = f" {figure.unit}" if figure.unit else ""
    if figure.bound is Bound.RANGE and figure.lower is not None and figure.upper is not None:
        return f"{plain(figure.lower)}..{plain(figure.upper)}{unit}"
    symbol = {Bound.AT_LEAST: ">=", Bound.AT_MOST: "<=", Bound.APPROXIMATE: "~"}
    return f"{symbol.get(figure.bound, '')}{plain(figure.amount)}{unit}"


def raw_values(amounts: Iterable[Decimal], unit: str | None) -> str:
    """Distinct amounts in ascending order, each with its unit, every digit kept.

    >>> raw_values([Decimal("70E9"), Decimal("8E9"), Decimal("8000000000")], "parameters")
    '8000000000 parameters, 70000000000 parameters'
    """
    return ", ".join(raw_figure(Figure("", a, unit)) for a in sorted(set(amounts)))


def unit_name(unit: str | None) -> str:
    """The unit for a note saying two units differ; a bare number has none.

    >>> unit_name("users/month"), unit_name(None)
    ('users/month', 'a bare number')
    """
    return unit if unit is not None else "a bare number"


def source(item: EvidenceItem) -> str:
    """The item's title and as-of date (the date its evidence was fetched)."""
    return f"{item.source_title or item.source_key} (as of {item.fetched_at.date().isoformat()})"


def quote(text: str, limit: int = 160) -> str:
    """A hit's text for a reason: on one line, cut to `limit` characters with an ellipsis.

    >>> quote("licensed   under  Apache 2.0"), quote("a" * 10, limit=5)
    ('licensed under Apache 2.0', 'aaaa…')
    """
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
