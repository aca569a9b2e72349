"""The Roadster of tests/factories.py priced at 30,000.00 EUR in the organisation's default
book, and a rep's open deal in EUR."""

from dataclasses import dataclass
from decimal import Decimal

import pytest

from tests import factories

BASE = Decimal("30000.00")


@dataclass
class Shop:
    admin: object
    rep: object
    car: object  # factories.Car: car.product, car.options["Leather"], car.ids(...)
    book: object
    deal: object

    @property
    def product(self):
        return self.car.product


@pytest.fixture
def shop(admin, rep):
    car = factories.configurable_car(admin)
    book = factories.price_book(admin, prices={car.product: BASE}, is_default=True)
    factories.pipeline(admin, is_default=True)
    deal = factories.opportunity(rep, name="Fleet for Balkan Foods", currency="EUR")
    return Shop(admin, rep, car, book, deal)


def make_link(shop, by=None, **fields):
    from funia.sales.configurator.services import configurator_link_create

    fields.setdefault("product_id", shop.product.pk)
    return configurator_link_create(by=by or shop.rep, **fields)
