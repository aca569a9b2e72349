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
"""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
HUNDRED = Decimal(100)


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

    @property
    def net_total(self) -> Decimal:
        """What the customer pays before tax: the amount a deal is worth."""
        return self.subtotal - self.discount_total


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
