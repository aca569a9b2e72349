"""Products, a price book, a deal and accepted quotes to make orders from."""

from dataclasses import dataclass
from decimal import Decimal

import pytest

from funia.sales.models import Quote, QuoteStatus
from funia.sales.orders import services
from funia.sales.quotes.services import quote_create, quote_line_add
from tests import factories


@dataclass
class Shop:
    car: factories.Car
    hour: object  # a plain product (a service hour)
    book: object  # the default price book in the organisation's currency


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Uploaded import files go to a temporary MEDIA_ROOT."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def shop(admin):
    car = factories.configurable_car(admin)
    hour = factories.product(admin, sku="SRV-1", name="Service hour", tax_rate=Decimal(20))
    book = factories.price_book(
        admin, prices={car.product: "30000.00", hour: "85.50"}, is_default=True
    )
    return Shop(car=car, hour=hour, book=book)


@pytest.fixture
def customer(admin):
    return factories.account(admin, name="Balkan Foods", domain="balkan-foods.example")


@pytest.fixture
def buyer(admin, customer):
    return factories.contact(
        admin,
        first_name="Maria",
        last_name="Ivanova",
        emails=["maria@balkan-foods.example"],
        account_id=customer.pk,
    )


@pytest.fixture
def deal(admin, customer, buyer):
    factories.pipeline(admin)
    return factories.opportunity(
        admin, name="Fleet renewal", account_id=customer.pk, contact_id=buyer.pk
    )


def accept(quote: Quote) -> Quote:
    """The customer's acceptance, as the quote's row records it."""
    Quote.objects.for_tenant(quote.tenant_id).filter(pk=quote.pk).update(
        status=QuoteStatus.ACCEPTED
    )
    quote.refresh_from_db()
    return quote


@pytest.fixture
def accepted_quote(admin, shop, deal):
    """Q-00001, accepted: two configured cars and 7.5 service hours, 5 % off the quote."""
    quote = quote_create(
        by=admin, opportunity=deal, price_book=shop.book, discount_percent=Decimal("5")
    )
    quote_line_add(
        by=admin,
        quote=quote,
        product=shop.car.product,
        option_ids=shop.car.ids("Red", "Leather", "Premium", "Sport"),
        quantity=2,
        discount_percent=Decimal("3.5"),
    )
    quote_line_add(
        by=admin, quote=quote, product=shop.hour, quantity=Decimal("7.5"), discount_percent=10
    )
    quote.refresh_from_db()
    return accept(quote)


@pytest.fixture
def order(admin, accepted_quote):
    return services.order_from_quote(by=admin, quote=accepted_quote)


def direct_order(by, shop, *, account=None, contact=None, quantity=1, **fields):
    """A direct order of service hours, priced from the book."""
    return services.order_create(
        by=by,
        account=account,
        contact=contact,
        lines=[{"product": shop.hour, "quantity": quantity}],
        **fields,
    )
