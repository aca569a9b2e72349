"""Quote totals to the cent, checked against calculations done by hand."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from funia.sales.models import Quote
from funia.sales.quotes import services
from tests import factories

D = Decimal


def test_a_configured_car_is_priced_from_the_book_and_its_options(shop):
    quote = shop.quote()

    line = shop.car_line(quote, "Red", "Leather", "Premium")

    # 30,000.00 + Red 500.00 + Leather 2,000.00 + Premium 10 % of the base 3,000.00
    assert line.unit_price == D("35500.00")
    assert line.description == "Roadster (Colour: Red, Seats: Leather, Packages: Premium)"
    assert [option["name"] for option in line.options] == ["Red", "Leather", "Premium"]
    assert line.tax_rate == D("20.00")


def test_two_cars_with_line_and_quote_discounts_and_tax_add_up_by_hand(shop):
    quote = shop.quote(discount_percent=5)

    shop.car_line(quote, "Red", "Leather", "Premium", quantity=2, discount=3)
    quote.refresh_from_db()

    # gross 2 x 35,500.00 = 71,000.00; line discount 3 % = 2,130.00 -> 68,870.00;
    # quote discount 5 % of 68,870.00 = 3,443.50; discounts 2,130.00 + 3,443.50 = 5,573.50;
    # tax 20 % of 65,426.50 = 13,085.30; total 71,000.00 - 5,573.50 + 13,085.30 = 78,511.80
    assert quote.subtotal == D("71000.00")
    assert quote.discount_total == D("5573.50")
    assert quote.tax_total == D("13085.30")
    assert quote.total == D("78511.80")
    assert services.net_total(quote) == D("65426.50")


def test_a_quote_with_two_tax_rates_adds_up_by_hand(shop):
    quote = shop.quote(discount_percent=D("2.5"))

    car = shop.car_line(quote, "Red", "Fabric", discount=10)
    plan = shop.service_line(quote, quantity=3, discount=D("7.5"))
    quote.refresh_from_db()
    car.refresh_from_db()
    plan.refresh_from_db()

    # Car: 30,500.00, -10 % = 3,050.00 -> 27,450.00; quote share 2.5 % = 686.25;
    #      tax 20 % of 26,763.75 = 5,352.75
    assert (car.gross, car.line_discount, car.total) == (D("30500.00"), D("3050.00"), D("27450.00"))
    assert (car.quote_discount, car.tax) == (D("686.25"), D("5352.75"))
    # Plan: 3 x 1,234.56 = 3,703.68, -7.5 % = 277.776 -> 277.78 -> 3,425.90;
    #       quote share 2.5 % = 85.6475 -> 85.65; tax 9 % of 3,340.25 = 300.6225 -> 300.62
    assert (plan.gross, plan.line_discount, plan.total) == (D("3703.68"), D("277.78"), D("3425.90"))
    assert (plan.quote_discount, plan.tax) == (D("85.65"), D("300.62"))
    # subtotal 34,203.68; discounts 3,050.00 + 686.25 + 277.78 + 85.65 = 4,099.68;
    # tax 5,352.75 + 300.62 = 5,653.37; total 34,203.68 - 4,099.68 + 5,653.37 = 35,757.37
    assert quote.subtotal == D("34203.68")
    assert quote.discount_total == D("4099.68")
    assert quote.tax_total == D("5653.37")
    assert quote.total == D("35757.37")


def test_changing_a_line_quantity_recomputes_every_total(shop):
    quote = shop.quote()
    line = shop.service_line(quote)

    services.quote_line_update(by=shop.rep, line=line, quantity=2)
    quote.refresh_from_db()

    # 2 x 1,234.56 = 2,469.12; tax 9 % = 222.2208 -> 222.22
    assert (quote.subtotal, quote.tax_total, quote.total) == (
        D("2469.12"),
        D("222.22"),
        D("2691.34"),
    )


def test_removing_a_line_takes_it_out_of_the_totals(shop):
    quote = shop.quote()
    car = shop.car_line(quote)
    shop.service_line(quote)

    services.quote_line_remove(by=shop.rep, line=car)
    quote.refresh_from_db()

    assert quote.subtotal == D("1234.56")
    assert [line.product_id for line in quote.lines.all()] == [shop.service.pk]


def test_a_quote_discount_change_is_spread_over_every_line(shop):
    quote = shop.quote()
    shop.service_line(quote, quantity=10)

    quote = services.quote_update(by=shop.rep, quote=quote, fields={"discount_percent": 10})

    # 12,345.60 - 10 % = 11,111.04 net; tax 9 % = 999.9936 -> 999.99
    assert quote.discount_total == D("1234.56")
    assert quote.tax_total == D("999.99")
    assert quote.total == D("12111.03")


# -- amounts too large to store ---------------------------------------------------------------

TOO_LARGE = {"lines": ["The total is too large: lower the quantities or the prices."]}
# 999,999,999 x 999,999,999,999.99: the quantity and the price fit, their product does not.
MANY = D("999999999")


@pytest.fixture
def dear(shop, admin):
    """A EUR book where the service plan costs just under a trillion."""
    return factories.price_book(admin, name="Dear EUR", prices={shop.service: D("999999999999.99")})


def reread(quote):
    return Quote.objects.for_tenant(quote.tenant_id).get(pk=quote.pk)


def test_adding_a_line_too_large_to_store_is_refused_and_adds_nothing(shop, dear):
    quote = shop.quote(price_book=dear)
    version = quote.version

    with pytest.raises(ValidationError) as refused:
        shop.service_line(quote, quantity=MANY)

    assert refused.value.message_dict == TOO_LARGE
    assert not quote.lines.exists()
    assert (reread(quote).version, reread(quote).total) == (version, D("0.00"))


def test_raising_a_quantity_beyond_what_can_be_stored_is_refused_and_keeps_the_line(shop, dear):
    quote = shop.quote(price_book=dear)
    line = shop.service_line(quote)

    with pytest.raises(ValidationError) as refused:
        services.quote_line_update(by=shop.rep, line=line, quantity=MANY)

    assert refused.value.message_dict == TOO_LARGE
    assert quote.lines.get().quantity == D(1)
    assert reread(quote).subtotal == D("999999999999.99")


def test_creating_a_quote_with_lines_too_large_to_store_is_refused_and_creates_nothing(shop, dear):
    with pytest.raises(ValidationError) as refused:
        shop.quote(price_book=dear, lines=[{"product": shop.service.pk, "quantity": MANY}])

    assert refused.value.message_dict == TOO_LARGE
    assert not Quote.objects.for_tenant(shop.deal.tenant, with_deleted=True).exists()


def test_replacing_the_lines_with_ones_too_large_to_store_is_refused_and_keeps_them(shop, dear):
    quote = shop.quote(price_book=dear)
    shop.service_line(quote)

    with pytest.raises(ValidationError) as refused:
        services.quote_update(
            by=shop.rep,
            quote=quote,
            fields={"lines": [{"product": shop.service.pk, "quantity": MANY}]},
        )

    assert refused.value.message_dict == TOO_LARGE
    assert [line.quantity for line in quote.lines.all()] == [D(1)]


def test_a_price_book_that_would_make_the_total_too_large_is_refused(shop, dear):
    quote = shop.quote()
    shop.service_line(quote, quantity=MANY)  # 999,999,999 x 1,234.56: fits

    with pytest.raises(ValidationError) as refused:
        services.quote_update(by=shop.rep, quote=quote, fields={"price_book_id": dear.pk})

    assert refused.value.message_dict == TOO_LARGE
    assert reread(quote).price_book_id == shop.book.pk
    assert quote.lines.get().unit_price == D("1234.56")


def test_the_api_answers_422_for_a_quote_too_large_to_store(shop, dear, api_as):
    response = api_as(shop.rep).call(
        "post",
        "/quotes",
        {
            "opportunity": shop.deal.pk,
            "price_book": dear.pk,
            "lines": [{"product": shop.service.pk, "quantity": str(MANY)}],
        },
    )

    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "lines", "message": "The total is too large: lower the quantities or the prices."}
    ]
