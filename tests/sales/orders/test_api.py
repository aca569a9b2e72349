"""The API of orders: create, read, list with filters, notes, status moves, trash, and the
purchase history of accounts and contacts."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from funia.sales.models import Order
from funia.sales.orders import services
from tests import factories
from tests.conftest import tenant_snapshot
from tests.sales.orders.conftest import direct_order


@pytest.fixture
def api(admin, api_as):
    return api_as(admin)


def test_an_order_is_created_read_changed_moved_trashed_and_restored(api, admin, shop, customer):
    created = api.call(
        "post",
        "/orders",
        {
            "account": customer.pk,
            "ordered_on": "2026-02-03",
            "discount_percent": "10",
            "notes": "Call before delivery",
            "lines": [{"product": shop.hour.pk, "quantity": "2.5", "discount_percent": 5}],
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert created["ETag"] == f'"{body["id"]}-1"'
    line = body["lines"][0]
    assert body | {"id": 0, "lines": [], "history": [], "created_at": "", "updated_at": ""} == {
        "id": 0,
        "reference": "O-00001",
        "number": 1,
        "external_ref": "",
        "status": "new",
        "ordered_on": "2026-02-03",
        "account": customer.pk,
        "contact": None,
        "opportunity": None,
        "quote": None,
        "owner": admin.user.pk,
        "currency": admin.tenant.currency,
        "discount_percent": "10.00",
        "subtotal": "213.75",
        "discount_total": "31.00",
        "tax_total": "36.55",
        "total": "219.30",
        "notes": "Call before delivery",
        "lines": [],
        "history": [],
        "version": 1,
        "created_at": "",
        "updated_at": "",
        "deleted": False,
    }
    assert line | {"id": 0} == {
        "id": 0,
        "product": shop.hour.pk,
        "sku": "SRV-1",
        "description": "Service hour",
        "options": [],
        "quantity": "2.5",
        "unit_price": "85.50",
        "discount_percent": "5.00",
        "tax_rate": "20.00",
        "gross": "213.75",
        "line_discount": "10.69",
        "total": "203.06",
        "quote_discount": "20.31",
        "tax": "36.55",
    }
    assert body["history"][0] | {"changed_at": ""} == {
        "from_status": None,
        "to_status": "new",
        "changed_at": "",
        "changed_by": admin.user.pk,
        "note": "",
    }

    url = f"/orders/{body['id']}"
    read = api.call("get", url)
    assert read.status_code == 200 and read["ETag"] == created["ETag"]
    patched = api.call(
        "patch",
        url,
        {"notes": "Leave at the gate", "external_ref": "ERP-9"},
        {"If-Match": read["ETag"]},
    )
    assert patched.status_code == 200, patched.content
    assert (patched.json()["notes"], patched.json()["external_ref"]) == (
        "Leave at the gate",
        "ERP-9",
    )
    assert api.call("patch", url, {"notes": "x"}, {"If-Match": read["ETag"]}).status_code == 412

    moved = api.call("post", f"{url}/status", {"status": "confirmed", "note": "By phone"})
    assert moved.status_code == 200, moved.content
    assert [(h["from_status"], h["to_status"], h["note"]) for h in moved.json()["history"]] == [
        (None, "new", ""),
        ("new", "confirmed", "By phone"),
    ]
    assert moved["ETag"] == f'"{body["id"]}-3"'

    assert api.call("delete", url).status_code == 204
    assert api.call("get", "/orders").json()["count"] == 0
    assert api.call("get", "/orders", {"deleted": "true"}).json()["count"] == 1
    restored = api.call("post", f"{url}/restore")
    assert restored.status_code == 200 and restored.json()["deleted"] is False


def test_an_order_from_a_quote_reads_with_its_options_quote_and_deal(api, order, accepted_quote):
    body = api.call("get", f"/orders/{order.pk}").json()
    assert (body["quote"], body["opportunity"]) == (
        accepted_quote.pk,
        accepted_quote.opportunity_id,
    )
    assert body["total"] == f"{accepted_quote.total:.2f}"
    car = body["lines"][0]
    assert car["quantity"] == "2"
    assert [(o["group"], o["name"]) for o in car["options"]] == [
        ("Colour", "Red"),
        ("Seats", "Leather"),
        ("Packages", "Premium"),
        ("Packages", "Sport"),
    ]
    assert body["history"][0]["note"] == "From quote Q-00001"


def test_totals_sent_by_a_client_are_refused_and_nothing_is_created(api, admin, shop, customer):
    api.call("get", "/orders")  # the token's first use is recorded once
    before = tenant_snapshot(admin.tenant)
    for body in (
        {"account": customer.pk, "total": "1.00", "lines": [{"product": shop.hour.pk}]},
        {"account": customer.pk, "lines": [{"product": shop.hour.pk, "total": "1.00"}]},
    ):
        response = api.call("post", "/orders", body)
        assert response.status_code == 422, response.content
        assert {e["field"] for e in response.json()["errors"]} & {"total", "lines.0.total"}
    assert tenant_snapshot(admin.tenant) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "lines"),
        ({"lines": []}, "lines"),
        ({"lines": [{"product": "{hour}"}]}, "account"),
        ({"account": 2**40, "lines": [{"product": "{hour}"}]}, "account"),
        ({"account": "{account}", "lines": [{"product": 2**40}]}, "lines.0.product"),
        (
            {"account": "{account}", "lines": [{"product": "{hour}", "quantity": 0}]},
            "lines.0.quantity",
        ),
        (
            {"account": "{account}", "lines": [{"product": "{hour}", "discount_percent": 150}]},
            "lines.0.discount_percent",
        ),
        (
            {"account": "{account}", "lines": [{"product": "{hour}", "unit_price": "1.005"}]},
            "lines.0.unit_price",
        ),
        (
            {"account": "{account}", "currency": "EURO", "lines": [{"product": "{hour}"}]},
            "currency",
        ),
        (
            {"account": "{account}", "ordered_on": "1800-01-01", "lines": [{"product": "{hour}"}]},
            "ordered_on",
        ),
        (
            {"account": "{account}", "price_book": 2**40, "lines": [{"product": "{hour}"}]},
            "price_book",
        ),
    ],
)
def test_an_invalid_order_answers_422_naming_the_field(api, admin, shop, customer, body, field):
    def fill(value):
        if isinstance(value, dict):
            return {k: fill(v) for k, v in value.items()}
        if isinstance(value, list):
            return [fill(v) for v in value]
        return {"{hour}": shop.hour.pk, "{account}": customer.pk}.get(value, value)

    response = api.call("post", "/orders", fill(body))
    assert response.status_code == 422, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert field in {e["field"] for e in response.json()["errors"]}
    assert not Order.objects.for_tenant(admin.tenant).exists()


def test_a_refused_status_move_answers_422_with_the_moves_allowed(api, admin, order):
    services.order_set_status(by=admin, order=order, status="delivered")
    response = api.call("post", f"/orders/{order.pk}/status", {"status": "cancelled"})
    assert response.status_code == 422
    (error,) = response.json()["errors"]
    assert error["field"] == "status"
    assert "invoiced, paid" in error["message"]


def test_an_unknown_status_answers_422(api, order):
    response = api.call("post", f"/orders/{order.pk}/status", {"status": "lost"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "status"


def test_a_status_move_honours_if_match(api, admin, order):
    response = api.call(
        "post", f"/orders/{order.pk}/status", {"status": "confirmed"}, {"If-Match": '"1-99"'}
    )
    assert response.status_code == 412
    order.refresh_from_db()
    assert order.status == "new"


def test_the_lines_of_an_order_cannot_be_patched(api, order):
    response = api.call("patch", f"/orders/{order.pk}", {"lines": []})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "lines"


def test_the_list_filters_by_account_contact_deal_status_and_dates(
    api, admin, shop, customer, buyer, order, deal
):
    other = factories.account(admin, name="Danube Logistics")
    old = direct_order(admin, shop, account=other, ordered_on=datetime.date(2024, 5, 1))
    services.order_set_status(by=admin, order=old, status="paid")
    today = order.ordered_on.isoformat()

    def ids(**query):
        response = api.call("get", "/orders", query)
        assert response.status_code == 200, response.content
        return [item["id"] for item in response.json()["items"]]

    assert ids() == [order.pk, old.pk]
    assert ids(account=other.pk) == [old.pk]
    assert ids(contact=buyer.pk) == [order.pk]
    assert ids(opportunity=deal.pk) == [order.pk]
    assert ids(status="paid") == [old.pk]
    assert ids(ordered_from="2024-05-01", ordered_to="2024-05-01") == [old.pk]
    assert ids(ordered_from=today) == [order.pk]
    assert ids(q="O-00002") == [old.pk]


def test_a_rep_lists_and_reads_only_their_orders(admin, rep, api_as, shop, customer):
    theirs = direct_order(admin, shop, account=customer)
    own_customer = factories.account(rep, name="Rep's customer")
    mine = direct_order(rep, shop, account=own_customer)
    client = api_as(rep)
    assert [i["id"] for i in client.call("get", "/orders").json()["items"]] == [mine.pk]
    assert client.call("get", f"/orders/{theirs.pk}").status_code == 404
    assert client.call("post", f"/orders/{theirs.pk}/status", {"status": "paid"}).status_code == 404


def test_a_rep_may_not_move_an_order_to_the_trash(rep, api_as, shop):
    mine = direct_order(rep, shop, account=factories.account(rep, name="Mine"))
    response = api_as(rep).call("delete", f"/orders/{mine.pk}")
    assert response.status_code == 403
    assert not Order.objects.for_tenant(rep.tenant).get(pk=mine.pk).is_deleted


def test_an_analyst_reads_orders_but_may_not_write(analyst, api_as, order, shop, customer):
    client = api_as(analyst)
    assert client.call("get", f"/orders/{order.pk}").status_code == 200
    assert client.call("post", f"/orders/{order.pk}/status", {"status": "paid"}).status_code == 403
    body = {"account": customer.pk, "lines": [{"product": shop.hour.pk}]}
    assert client.call("post", "/orders", body).status_code == 403


def test_the_list_runs_as_many_queries_for_12_orders_as_for_2(api, admin, shop, customer):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert api.call("get", "/orders").status_code == 200
        return len(captured)

    for _n in range(2):
        direct_order(admin, shop, account=customer)
    api.call("get", "/orders")  # the token's first use is recorded once
    few = queries()
    for _n in range(10):
        direct_order(admin, shop, account=customer, quantity=3)
    assert queries() == few


def test_the_list_stays_within_a_small_query_budget(
    api, admin, shop, customer, django_assert_max_num_queries
):
    for _n in range(5):
        direct_order(admin, shop, account=customer)
    api.call("get", "/orders")
    with django_assert_max_num_queries(8):
        api.call("get", "/orders")


# -- another organisation's orders ------------------------------------------------------------


@pytest.mark.parametrize("kind", ["order", "order_deleted"])
def test_another_organisations_order_answers_404_everywhere(api, other_org_records, kind):
    pk = other_org_records.ids[kind]
    before = other_org_records.snapshot()
    for method, path, body in [
        ("get", f"/orders/{pk}", None),
        ("patch", f"/orders/{pk}", {"notes": "Hijacked"}),
        ("post", f"/orders/{pk}/status", {"status": "confirmed"}),
        ("delete", f"/orders/{pk}", None),
        ("post", f"/orders/{pk}/restore", None),
    ]:
        response = api.call(method, path, body)
        assert response.status_code == 404, (method, path)
        assert not other_org_records.leaked_markers(response.content.decode())
    assert other_org_records.snapshot() == before


def test_the_list_never_shows_another_organisations_orders(api, admin, order, other_org_records):
    for query in ({}, {"deleted": "true"}, {"account": other_org_records.ids["account"]}):
        response = api.call("get", "/orders", {"limit": 500, **query})
        returned = {item["id"] for item in response.json()["items"]}
        assert not returned & {
            other_org_records.ids["order"],
            other_org_records.ids["order_deleted"],
        }
        assert not other_org_records.leaked_markers(response.content.decode())


@pytest.mark.parametrize(
    ("field", "kind"),
    [("account", "account"), ("contact", "contact"), ("opportunity", "opportunity")],
)
def test_a_reference_to_another_organisations_record_is_refused_like_a_missing_one(
    api, shop, customer, other_org_records, field, kind
):
    base = {"account": customer.pk, "lines": [{"product": shop.hour.pk}]}
    theirs = api.call("post", "/orders", base | {field: other_org_records.ids[kind]})
    missing = api.call("post", "/orders", base | {field: 2**40})
    assert theirs.status_code == 422
    assert theirs.json() == missing.json()


# -- purchase history -------------------------------------------------------------------------


def test_the_purchase_history_of_an_account(api, admin, shop, customer, order):
    direct_order(admin, shop, account=customer, quantity=2, ordered_on=datetime.date(2025, 1, 15))
    cancelled = direct_order(admin, shop, account=customer, quantity=100)
    services.order_set_status(by=admin, order=cancelled, status="cancelled")
    response = api.call("get", f"/accounts/{customer.pk}/purchase-history")
    assert response.status_code == 200, response.content
    body = response.json()
    assert [o["reference"] for o in body["orders"]] == ["O-00003", "O-00001", "O-00002"]
    assert body["orders"][1] == {
        "id": order.pk,
        "reference": "O-00001",
        "external_ref": "",
        "ordered_on": order.ordered_on.isoformat(),
        "status": "new",
        "currency": order.currency,
        "total": f"{order.total:.2f}",
    }
    assert body["more_orders"] is None
    products = {p["sku"]: p for p in body["products"]}
    hours = products["SRV-1"]
    # 7.5 hours on the quote (10 % off, then 5 % off the quote) and 2 on O-00002.
    assert hours | {"spent": None} == {
        "product": shop.hour.pk,
        "sku": "SRV-1",
        "description": "Service hour",
        "quantity": "9.5",
        "spent": None,
        "first_purchase": "2025-01-15",
        "last_purchase": order.ordered_on.isoformat(),
        "orders": 2,
    }
    assert hours["spent"] == [{"currency": order.currency, "amount": "719.26"}]
    assert products["CAR-1"]["quantity"] == "2" and products["CAR-1"]["orders"] == 1
    net = sum(Decimal(p["spent"][0]["amount"]) for p in body["products"])
    assert body["spent"] == [{"currency": order.currency, "amount": f"{net:.2f}"}]
    assert net == order.subtotal - order.discount_total + Decimal("171.00")


def test_the_purchase_history_of_a_contact_has_only_the_contacts_orders(
    api, admin, shop, customer, buyer, order
):
    direct_order(admin, shop, account=customer)  # the account's, without the contact
    body = api.call("get", f"/contacts/{buyer.pk}/purchase-history").json()
    assert [o["id"] for o in body["orders"]] == [order.pk]
    assert {p["sku"] for p in body["products"]} == {"CAR-1", "SRV-1"}


def test_the_purchase_history_links_all_the_orders_when_there_are_more(api, admin, shop, customer):
    for _n in range(21):
        direct_order(admin, shop, account=customer)
    body = api.call("get", f"/accounts/{customer.pk}/purchase-history").json()
    assert len(body["orders"]) == 20
    assert body["more_orders"] == f"http://testserver/api/v1/orders?account={customer.pk}"


@pytest.mark.parametrize(("path", "kind"), [("accounts", "account"), ("contacts", "contact")])
@pytest.mark.parametrize("state", ["", "_deleted"])
def test_the_purchase_history_of_another_organisations_customer_is_404(
    api, other_org_records, path, kind, state
):
    pk = other_org_records.ids[kind + state]
    response = api.call("get", f"/{path}/{pk}/purchase-history")
    assert response.status_code == 404
    assert not other_org_records.leaked_markers(response.content.decode())
