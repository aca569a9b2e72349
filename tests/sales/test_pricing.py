"""The shared checks of `funia.sales.pricing`: single values (percentages, quantities, unit
prices) and the size of a whole quote or order, each refused with a clear field message."""

from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from funia.sales import pricing

D = Decimal
ZERO = D(0)


@dataclass
class Line:
    quantity: Decimal
    unit_price: Decimal
    discount_percent: Decimal = ZERO
    tax_rate: Decimal = ZERO


def totals(*lines, discount=0):
    return pricing.document_totals(list(lines), discount_percent=D(discount))


def test_a_document_whose_total_reaches_ten_quadrillion_is_refused_as_too_large():
    # 999,999,999 x 999,999,999,999.99: each value fits, the product does not.
    big = totals(Line(D("999999999"), D("999999999999.99")))

    with pytest.raises(ValidationError) as refused:
        pricing.check_document_size(big)

    assert refused.value.message_dict == {
        "lines": ["The total is too large: lower the quantities or the prices."]
    }


def test_tax_pushing_the_total_over_the_limit_is_refused():
    # A net just below 10^16 that tax takes over it.
    near = totals(Line(D("10000"), D("999999999999.00"), tax_rate=D(20)))

    with pytest.raises(ValidationError):
        pricing.check_document_size(near)


def test_a_document_just_below_the_limit_passes():
    pricing.check_document_size(totals(Line(D("9999"), D("999999999999.99"))))


@pytest.mark.parametrize(
    ("given", "stored"), [("5", D("5.00")), (D("12.5"), D("12.50")), (None, D(0)), ("", D(0))]
)
def test_a_percentage_is_read_as_stored_with_two_decimals(given, stored):
    assert pricing.check_percent(given) == stored


@pytest.mark.parametrize("given", ["-1", "100.01", "5.005", "abc", "NaN", "Infinity", True, "1e30"])
def test_a_percentage_outside_0_to_100_or_with_three_decimals_is_refused(given):
    with pytest.raises(ValidationError) as refused:
        pricing.check_percent(given, "lines.0.discount_percent")

    assert refused.value.message_dict == {
        "lines.0.discount_percent": ["Give a percentage from 0 to 100, with at most two decimals."]
    }


def test_an_empty_quantity_means_one():
    assert pricing.check_quantity("") == D(1)


@pytest.mark.parametrize("given", ["0", "-2", "1000000000", "1.0005", "1e12", "many"])
def test_a_quantity_of_zero_a_billion_or_four_decimals_is_refused(given):
    with pytest.raises(ValidationError) as refused:
        pricing.check_quantity(given)

    assert list(refused.value.message_dict) == ["quantity"]
    assert "below a billion" in refused.value.message_dict["quantity"][0]


def test_a_quantity_just_below_a_billion_is_accepted():
    assert pricing.check_quantity("999999999.999") == D("999999999.999")


def test_no_price_given_is_none():
    assert pricing.check_price("") is None


@pytest.mark.parametrize("given", ["-0.01", "1000000000000", "1.001", "free"])
def test_a_negative_a_trillion_or_a_fraction_of_a_cent_price_is_refused(given):
    with pytest.raises(ValidationError) as refused:
        pricing.check_price(given)

    assert list(refused.value.message_dict) == ["unit_price"]


def test_a_price_just_below_a_trillion_is_accepted():
    assert pricing.check_price("999999999999.99") == D("999999999999.99")
