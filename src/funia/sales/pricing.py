"""Totals of quotes and orders, computed here and nowhere else (never trusted from a client).

Each line is rounded to the cent as it is printed, and the document's totals are sums of the
printed line amounts, so a hand calculation from the printout gives the same cents:

- gross = quantity x unit price
- line discount = gross x line discount %
- line total = gross - line discount
- quote discount share = line total x quote discount %
- tax = (line total - quote discount share) x tax rate %

subtotal = sum of gross; discounts = sum of line discounts and quote discount shares;
tax = sum of line taxes; total = subtotal - discounts + tax. Rounding is half up.

The checks of single values (`check_percent`, `check_quantity`, `check_price`) and of a whole
document (`check_document_size`) keep every amount within its column, so a write is refused
with a clear message instead of overflowing; each raises `ValidationError({field: message})`.
"""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

CENT = Decimal("0.01")
THOUSANDTH = Decimal("0.001")
HUNDRED = Decimal(100)
# The columns' limits: amounts below 10^16, unit prices below 10^12, quantities below 10^9.
MONEY_LIMIT = Decimal(10) ** 16
PRICE_LIMIT = Decimal(10) ** 12
QUANTITY_LIMIT = Decimal(10) ** 9


def cents(amount: Decimal) -> Decimal:
    return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)


def percent_of(amount: Decimal, percent: Decimal) -> Decimal:
    return cents(Decimal(amount) * Decimal(percent) / HUNDRED)


@dataclass
class LineAmounts:
    gross: Decimal
    line_discount: Decimal
    total: Decimal
    quote_discount: Decimal
    tax: Decimal


@dataclass
class Totals:
    lines: list[LineAmounts] = field(default_factory=list)
    subtotal: Decimal = Decimal("0.00")
    discount_total: Decimal = Decimal("0.00")
    tax_total: Decimal = Decimal("0.00")
    total: Decimal = Decimal("0.00")


def line_amounts(
    *,
    quantity: Decimal,
    unit_price: Decimal,
    discount_percent: Decimal,
    tax_rate: Decimal,
    quote_discount_percent: Decimal,
) -> LineAmounts:
    gross = cents(Decimal(quantity) * Decimal(unit_price))
    line_discount = percent_of(gross, discount_percent)
    total = gross - line_discount
    quote_discount = percent_of(total, quote_discount_percent)
    tax = percent_of(total - quote_discount, tax_rate)
    return LineAmounts(gross, line_discount, total, quote_discount, tax)


def document_totals(lines, *, discount_percent: Decimal) -> Totals:
    """Totals of lines with `quantity`, `unit_price`, `discount_percent` and `tax_rate`
    (model rows or anything with those attributes) under a document discount."""
    totals = Totals()
    for line in lines:
        amounts = line_amounts(
            quantity=line.quantity,
            unit_price=line.unit_price,
            discount_percent=line.discount_percent,
            tax_rate=line.tax_rate,
            quote_discount_percent=discount_percent,
        )
        totals.lines.append(amounts)
        totals.subtotal += amounts.gross
        totals.discount_total += amounts.line_discount + amounts.quote_discount
        totals.tax_total += amounts.tax
    totals.total = totals.subtotal - totals.discount_total + totals.tax_total
    return totals


def apply_amounts(line, amounts: LineAmounts) -> None:
    """Copy computed amounts onto a quote or order line before it is saved."""
    line.gross = amounts.gross
    line.line_discount = amounts.line_discount
    line.total = amounts.total
    line.quote_discount = amounts.quote_discount
    line.tax = amounts.tax


# -- checks ---------------------------------------------------------------------------------


def check_document_size(totals: Totals) -> None:
    """Refuse a quote or order whose amounts would not fit their columns (below 10^16)."""
    amounts = [totals.subtotal, totals.discount_total, totals.tax_total, totals.total]
    for amounts_of_line in totals.lines:
        amounts += [amounts_of_line.gross, amounts_of_line.total]
    if any(abs(amount) >= MONEY_LIMIT for amount in amounts):
        raise ValidationError(
            {"lines": _("The total is too large: lower the quantities or the prices.")}
        )


def _decimal(value, field: str, *, places: Decimal, message: str) -> Decimal:
    """`value` as a decimal with at most `places`, below the money limit, else the error."""
    if isinstance(value, bool):
        raise ValidationError({field: message})
    try:
        number = Decimal(str(value).strip() if isinstance(value, str | float) else value)
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationError({field: message}) from None
    # The bound first: quantizing a huge number exceeds the decimal context's precision.
    if not number.is_finite() or abs(number) >= MONEY_LIMIT or number != number.quantize(places):
        raise ValidationError({field: message})
    return number.quantize(places)


def check_percent(value, field: str = "discount_percent") -> Decimal:
    """A percentage from 0 to 100 with at most two decimals (empty: 0), as stored."""
    message = _("Give a percentage from 0 to 100, with at most two decimals.")
    number = _decimal(0 if value in (None, "") else value, field, places=CENT, message=message)
    if not Decimal(0) <= number <= HUNDRED:
        raise ValidationError({field: message})
    return number


def check_quantity(value, field: str = "quantity") -> Decimal:
    """A quantity above zero and below a billion with at most three decimals (empty: 1)."""
    message = _("Give a quantity above zero and below a billion, with at most three decimals.")
    number = _decimal(
        1 if value in (None, "") else value, field, places=THOUSANDTH, message=message
    )
    if not Decimal(0) < number < QUANTITY_LIMIT:
        raise ValidationError({field: message})
    return number


def check_price(value, field: str = "unit_price") -> Decimal | None:
    """A unit price from 0 to below 10^12 with at most two decimals (empty: None)."""
    if value is None or value == "":
        return None
    message = _("Give a price of at least 0 and below 10^12, with at most two decimals.")
    number = _decimal(value, field, places=CENT, message=message)
    if not Decimal(0) <= number < PRICE_LIMIT:
        raise ValidationError({field: message})
    return number
