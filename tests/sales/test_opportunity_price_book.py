"""A deal's price book: where its quotes take their prices, in the deal's currency."""

from decimal import Decimal

import pytest

from funia.sales.models import Opportunity
from funia.sales.quotes.services import quote_create
from tests import factories


@pytest.fixture
def api(admin, api_as):
    return api_as(admin)


@pytest.fixture
def books(admin):
    factories.pipeline(admin, is_default=True)
    item = factories.product(admin, sku="SRV-1", name="Service hour")
    standard = factories.price_book(
        admin, name="Standard", prices={item: "100.00"}, is_default=True
    )
    dealers = factories.price_book(admin, name="Dealers", prices={item: "80.00"})
    pounds = factories.price_book(admin, name="UK", currency="GBP", prices={item: "70.00"})
    return item, standard, dealers, pounds


def test_a_deal_created_with_a_price_book_gives_its_quotes_that_books_prices(api, admin, books):
    item, _standard, dealers, _pounds = books
    response = api.call("post", "/opportunities", {"name": "Fleet", "price_book": dealers.pk})
    assert response.status_code == 201, response.json()
    assert response.json()["price_book"] == dealers.pk

    deal = Opportunity.objects.for_tenant(admin.tenant).get(pk=response.json()["id"])
    quote = quote_create(by=admin, opportunity=deal, lines=[{"product": item.pk, "quantity": 1}])
    assert quote.price_book_id == dealers.pk
    assert quote.subtotal == Decimal("80.00")


def test_a_price_book_in_another_currency_is_refused_with_a_clear_error(api, books):
    *_rest, pounds = books
    response = api.call("post", "/opportunities", {"name": "Fleet", "price_book": pounds.pk})
    assert response.status_code == 422
    assert "GBP" in str(response.json()) and "EUR" in str(response.json())


def test_a_rival_price_book_is_refused(api, books, other_org_records):
    response = api.call(
        "post",
        "/opportunities",
        {"name": "Fleet", "price_book": other_org_records.ids["price_book"]},
    )
    assert response.status_code == 422
    assert "Rival" not in str(response.json())
