"""The purchase history on the customer card: the orders, the products bought and the
timeline, on the card page and in the card API, for accounts and contacts."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from funia.sales.orders import services
from tests import factories
from tests.sales.orders.conftest import direct_order


@pytest.fixture
def api(admin, api_as):
    return api_as(admin)


def card_of(api, record) -> dict:
    kind = type(record).__name__.lower()
    response = api.call("get", f"/{kind}s/{record.pk}/card")
    assert response.status_code == 200, response.content
    return response.json()


def test_the_account_card_lists_its_orders_with_date_status_and_total(
    api, admin, shop, customer, order
):
    old = direct_order(
        admin, shop, account=customer, quantity=2, ordered_on=datetime.date(2025, 6, 1)
    )
    section = card_of(api, customer)["sections"]["orders"]
    assert section["title"] == "Purchase history"
    first, second = section["items"]
    assert first | {"at": None} == {
        "id": order.pk,
        "title": "O-00001",
        "detail": f"{order.total:,.2f} {order.currency}",
        "url": f"http://testserver/orders/{order.pk}/",
        "at": None,
        "status": "New",
    }
    assert (second["title"], second["detail"]) == ("O-00002", f"205.20 {order.currency}")
    assert second["at"].startswith("2025-06-01T00:00:00")
    assert section["more"] is None
    assert old.pk == second["id"]


def test_the_account_card_sums_up_the_products_bought(api, admin, shop, customer, order):
    direct_order(admin, shop, account=customer, quantity=2, ordered_on=datetime.date(2025, 6, 1))
    items = {i["title"]: i for i in card_of(api, customer)["sections"]["products_bought"]["items"]}
    assert set(items) == {"Roadster (CAR-1)", "Service hour (SRV-1)"}
    hours = items["Service hour (SRV-1)"]
    assert hours["id"] == shop.hour.pk
    assert hours["detail"] == (
        f"9.5 bought in 2 orders for 719.26 {order.currency} · first bought 06/01/2025"
    )
    assert hours["at"].startswith(order.ordered_on.isoformat())
    assert items["Roadster (CAR-1)"]["detail"].startswith("2 bought in 1 order for ")


def test_the_card_section_titles_are_purchase_history_then_products_bought(api, customer, order):
    sections = card_of(api, customer)["sections"]
    keys = list(sections)
    assert keys.index("orders") + 1 == keys.index("products_bought")
    assert sections["products_bought"]["title"] == "Products bought"


def test_a_cancelled_order_is_listed_but_its_products_are_not_counted(api, admin, shop, customer):
    cancelled = direct_order(admin, shop, account=customer, quantity=4)
    services.order_set_status(by=admin, order=cancelled, status="cancelled")
    sections = card_of(api, customer)["sections"]
    assert [(i["title"], i["status"]) for i in sections["orders"]["items"]] == [
        ("O-00001", "Cancelled")
    ]
    assert sections["products_bought"]["items"] == []


def test_the_contact_card_lists_the_contacts_orders_only(api, admin, shop, customer, buyer, order):
    direct_order(admin, shop, account=customer)  # the account's, not the contact's
    sections = card_of(api, buyer)["sections"]
    assert [i["id"] for i in sections["orders"]["items"]] == [order.pk]
    titles = {i["title"] for i in sections["products_bought"]["items"]}
    assert titles == {"Roadster (CAR-1)", "Service hour (SRV-1)"}


def test_an_imported_line_without_a_product_counts_by_its_sku(api, admin, customer):
    from funia.sales.models import OrderLine

    services.write_new_order(
        by=admin,
        lines=[
            OrderLine(sku="OLD-7", description="Legacy part", quantity=3, unit_price=Decimal(10)),
            OrderLine(sku="OLD-7", description="Legacy part", quantity=2, unit_price=Decimal(10)),
        ],
        account=customer,
        currency="EUR",
        ordered_on=datetime.date(2024, 1, 2),
    )
    (item,) = card_of(api, customer)["sections"]["products_bought"]["items"]
    assert (item["id"], item["title"]) == (None, "Legacy part (OLD-7)")
    assert item["detail"] == "5 bought in 1 order for 50.00 EUR"


def test_the_timeline_has_each_order_placed_and_each_status_change(api, admin, customer, order):
    services.order_set_status(by=admin, order=order, status="shipped", note="Truck 12")
    timeline = [e for e in card_of(api, customer)["timeline"] if e["kind"] == "order"]
    assert [(e["title"], e["detail"]) for e in timeline] == [
        ("Order O-00001: New → Shipped", "Truck 12"),
        ("Order O-00001 placed", f"{order.total:,.2f} {order.currency} · New · From quote Q-00001"),
    ]
    assert timeline[0]["link"] == f"http://testserver/orders/{order.pk}/"
    assert timeline[0]["user"] == str(admin.user)


def test_the_contacts_timeline_has_their_orders(api, buyer, order):
    titles = [e["title"] for e in card_of(api, buyer)["timeline"] if e["kind"] == "order"]
    assert titles == ["Order O-00001 placed"]


def test_a_rep_who_owns_an_account_sees_on_its_card_the_order_an_admin_entered(
    admin, rep, api_as, shop
):
    theirs = factories.account(admin, name="Rep's customer", owner_id=rep.user.pk)
    entered = direct_order(admin, shop, account=theirs, quantity=5)
    body = card_of(api_as(rep), theirs)
    assert [i["id"] for i in body["sections"]["orders"]["items"]] == [entered.pk]
    (hours,) = body["sections"]["products_bought"]["items"]
    assert hours["detail"].startswith("5 bought in 1 order for")


def test_a_rep_does_not_see_on_a_card_the_orders_of_another_owners_deal(admin, rep, api_as, shop):
    shared = factories.account(admin, name="Shared customer", owner_id=rep.user.pk)
    factories.pipeline(admin)
    admins_deal = factories.opportunity(admin, account_id=shared.pk, owner_id=admin.user.pk)
    direct_order(admin, shop, opportunity=admins_deal, quantity=5)
    mine = direct_order(rep, shop, account=shared)
    body = card_of(api_as(rep), shared)
    assert [i["id"] for i in body["sections"]["orders"]["items"]] == [mine.pk]
    (hours,) = body["sections"]["products_bought"]["items"]
    assert hours["detail"].startswith("1 bought in 1 order for")
    assert [e["title"] for e in body["timeline"] if e["kind"] == "order"] == [
        f"Order {mine.reference} placed"
    ]


def test_the_card_page_of_an_account_shows_the_purchase_history(admin, web_as, customer, order):
    html = web_as(admin).get(f"/accounts/{customer.pk}/").content.decode()
    assert 'id="section-orders"' in html and "Purchase history" in html
    assert f'href="/orders/{order.pk}/"' in html and "O-00001" in html
    assert 'id="section-products_bought"' in html and "Service hour (SRV-1)" in html
    assert "Order O-00001 placed" in html


def test_the_card_page_of_a_contact_shows_the_purchase_history(admin, web_as, buyer, order):
    html = web_as(admin).get(f"/contacts/{buyer.pk}/").content.decode()
    assert 'id="section-orders"' in html and "O-00001" in html
    assert "Roadster (CAR-1)" in html


def test_the_card_offers_a_new_order_for_the_customer(admin, web_as, customer):
    html = web_as(admin).get(f"/accounts/{customer.pk}/").content.decode()
    assert f'href="/orders/new/?account={customer.pk}"' in html


def test_the_card_takes_as_many_queries_for_12_orders_as_for_2(api, admin, shop, customer):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            card_of(api, customer)
        return len(captured)

    for _n in range(2):
        direct_order(admin, shop, account=customer)
    card_of(api, customer)  # the token's first use is recorded once
    few = queries()
    for n in range(10):
        order = direct_order(admin, shop, account=customer, quantity=n + 1)
        services.order_set_status(by=admin, order=order, status="confirmed")
    assert queries() == few


def test_the_card_page_takes_as_many_queries_for_12_orders_as_for_2(admin, web_as, shop, customer):
    browser = web_as(admin)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert browser.get(f"/accounts/{customer.pk}/").status_code == 200
        return len(captured)

    for _n in range(2):
        direct_order(admin, shop, account=customer)
    browser.get(f"/accounts/{customer.pk}/")  # the session is saved on the first visit
    few = queries()
    for n in range(10):
        direct_order(admin, shop, account=factories.account(admin, name=f"A{n}"))
        direct_order(admin, shop, account=customer, quantity=n + 1)
    assert queries() == few
