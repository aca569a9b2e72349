"""A sales organisation with a rep in a managed team, a customer, a deal, a configurable car
and a service product, priced in the default EUR book."""

import re
from dataclasses import dataclass
from decimal import Decimal

import pytest

from funia.sales.quotes import services
from tests import factories


@dataclass
class Shop:
    admin: object
    manager: object
    rep: object
    other_rep: object
    team: object
    account: object
    contact: object
    deal: object
    car: factories.Car
    service: object
    book: object

    def quote(self, by=None, **fields):
        """A draft quote of the deal, made by the rep unless `by` says otherwise."""
        return services.quote_create(by=by or self.rep, opportunity=self.deal, **fields)

    def car_line(self, quote, *options, by=None, quantity=1, discount=0):
        return services.quote_line_add(
            by=by or self.rep,
            quote=quote,
            product=self.car.product,
            option_ids=self.car.ids(*options) if options else None,
            quantity=quantity,
            discount_percent=discount,
        )

    def service_line(self, quote, *, by=None, quantity=1, discount=0):
        return services.quote_line_add(
            by=by or self.rep,
            quote=quote,
            product=self.service,
            quantity=quantity,
            discount_percent=discount,
        )

    def sent_quote(self, **fields):
        """A sent quote: two Red, Leather, Premium cars (35,500.00 each)."""
        quote = self.quote(**fields)
        self.car_line(quote, "Red", "Leather", "Premium", quantity=2)
        return services.quote_send(by=self.rep, quote=quote)


@pytest.fixture
def shop(org, admin, manager, rep):
    org.quote_discount_limit = Decimal(15)
    org.document_details = "Acme Sales Ltd · 1 Vitosha Blvd, Sofia · VAT BG123456789"
    org.save()
    other_rep = factories.member(org, "sales_rep")
    team = factories.team(admin, "Sofia sales", manager=manager, members=[rep])
    factories.pipeline(admin, is_default=True)
    account = factories.account(admin, name="Balkan Foods", owner_id=rep.user.pk)
    contact = factories.contact(
        admin,
        first_name="Elena",
        last_name="Petrova",
        emails=["elena@balkanfoods.example"],
        account_id=account.pk,
        owner_id=rep.user.pk,
    )
    deal = factories.opportunity(
        rep,
        name="Fleet renewal",
        account_id=account.pk,
        contact_id=contact.pk,
        amount=Decimal(1000),
    )
    car = factories.configurable_car(admin)
    service = factories.product(
        admin, sku="SRV-1", name="Service plan", tax_rate=Decimal(9), unit="year"
    )
    book = factories.price_book(
        admin,
        name="Standard EUR",
        is_default=True,
        prices={car.product: "30000.00", service: "1234.56"},
    )
    return Shop(admin, manager, rep, other_rep, team, account, contact, deal, car, service, book)


def printed_totals(html: str) -> list[tuple[str, Decimal]]:
    """The rows of a quote document's totals table as printed: (label, signed amount)."""
    table = re.search(r'<table class="doc-totals">(.*?)</table>', html, re.S).group(1)
    rows = re.findall(r'<th scope="row">(.*?)</th><td class="num">(.*?)</td>', table, re.S)
    return [
        (label, Decimal(amount.split()[0].replace(",", "").replace("−", "-")))
        for label, amount in rows
    ]


def assert_the_totals_add_up(html: str) -> None:
    """Subtotal minus the discount rows shown is the net total; net + tax is the total."""
    rows = printed_totals(html)
    labels = [label for label, _ in rows]
    amounts = dict(rows)
    net_at = labels.index("Net total")
    assert sum(amount for _, amount in rows[:net_at]) == amounts["Net total"]
    assert amounts["Net total"] + amounts["Tax"] == amounts["Total"]
