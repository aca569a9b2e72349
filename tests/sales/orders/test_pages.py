"""Pages of orders: the list with its filters and totals, an order with its lines, status
buttons and history, a new order with its lines, the edit, the trash."""

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from funia.sales.models import Order, OrderLine, OrderStatusChange
from funia.sales.orders import forms, services
from tests import factories
from tests.sales.orders.conftest import direct_order


@pytest.fixture
def browser(admin, web_as):
    return web_as(admin)


def rows_of(html: str) -> list[str]:
    return re.findall(r'href="/orders/\d+/">(O-\d+)</a>', html)


# -- the list ---------------------------------------------------------------------------------


def test_the_list_shows_each_order_with_its_customer_status_and_total(browser, order, customer):
    html = browser.get("/orders/").content.decode()
    assert rows_of(html) == ["O-00001"]
    assert "Balkan Foods" in html and "New" in html
    assert f"{order.total:,.2f} {order.currency}" in html


def test_the_list_adds_up_the_orders_per_currency_without_the_cancelled_ones(
    browser, admin, shop, customer
):
    direct_order(admin, shop, account=customer, quantity=2)  # 205.20
    services.order_create(
        by=admin, account=customer, currency="USD", lines=[{"product": shop.hour, "unit_price": 10}]
    )  # 12.00 USD
    cancelled = direct_order(admin, shop, account=customer, quantity=50)
    services.order_set_status(by=admin, order=cancelled, status="cancelled")
    html = browser.get("/orders/").content.decode()
    totals = re.findall(r'<span class="total-amount">([^<]+)</span>', html)
    assert totals == [f"205.20 {admin.tenant.currency}", "12.00 USD"]


def test_the_list_filters_by_status(browser, admin, shop, customer, order):
    paid = direct_order(admin, shop, account=customer)
    services.order_set_status(by=admin, order=paid, status="paid")
    assert rows_of(browser.get("/orders/", {"status": "paid"}).content.decode()) == ["O-00002"]


def test_the_list_filters_by_account(browser, admin, shop, customer, order):
    other = factories.account(admin, name="Danube Logistics")
    direct_order(admin, shop, account=other)
    html = browser.get("/orders/", {"account": other.pk}).content.decode()
    assert rows_of(html) == ["O-00002"]
    assert f'<option value="{other.pk}" selected>Danube Logistics</option>' in html


def test_the_list_shows_only_mine_on_request(browser, admin, rep, shop, customer):
    direct_order(rep, shop, account=factories.account(rep, name="Rep's customer"))
    mine = direct_order(admin, shop, account=customer)
    assert len(rows_of(browser.get("/orders/").content.decode())) == 2
    html = browser.get("/orders/", {"mine": "true"}).content.decode()
    assert rows_of(html) == [mine.reference]


def test_the_list_answers_htmx_with_its_rows_only(browser, order):
    response = browser.get("/orders/", {"status": "new"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert rows_of(html) == ["O-00001"]
    assert "<html" not in html


def test_the_list_takes_as_many_queries_for_12_orders_as_for_2(browser, admin, shop, customer):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert browser.get("/orders/").status_code == 200
        return len(captured)

    for _n in range(2):
        direct_order(admin, shop, account=customer)
    browser.get("/orders/")  # the session is saved on the first visit
    few = queries()
    for n in range(10):
        direct_order(admin, shop, account=factories.account(admin, name=f"A{n}"))
    assert queries() == few


def test_the_list_never_shows_another_organisations_orders(browser, order, other_org_records):
    for query in ({}, {"deleted": "true"}, {"account": other_org_records.ids["account"]}):
        html = browser.get("/orders/", query).content.decode()
        assert not other_org_records.leaked_markers(html), query


# -- one order --------------------------------------------------------------------------------


def test_an_order_page_shows_its_lines_with_options_and_its_totals(browser, order, deal):
    html = browser.get(f"/orders/{order.pk}/").content.decode()
    assert "Order O-00001" in html
    assert "Roadster (Colour: Red, Seats: Leather, Packages: Premium, Packages: Sport)" in html
    assert (
        "Options in the price: Red 500.00 EUR, Leather 2,000.00 EUR, Premium 3,000.00 EUR" in html
    )
    assert "Service hour" in html and "SRV-1" in html
    assert f"{order.total:,.2f} {order.currency}" in html
    assert f'href="/opportunities/{deal.pk}/"' in html
    assert "Q-00001" in html
    assert 'class="table-wrap"><table class="table order-lines"' in html


def test_an_order_page_shows_subtotal_discounts_net_total_tax_and_total(
    browser, admin, shop, customer
):
    order = services.order_create(
        by=admin,
        account=customer,
        discount_percent=Decimal("10"),
        lines=[{"product": shop.hour, "quantity": 3, "discount_percent": Decimal("5")}],
    )
    html = browser.get(f"/orders/{order.pk}/").content.decode()
    totals = re.search(r'<dl class="details order-totals">(.*?)</dl>', html, re.S)[1]
    rows = [
        (re.sub(r"<[^>]+>", "", label).strip(), re.sub(r"<[^>]+>", "", amount).strip())
        for label, amount in re.findall(r"<dt>(.*?)</dt><dd[^>]*>(.*?)</dd>", totals)
    ]
    assert rows == [
        ("Subtotal", "256.50 EUR"),
        ("Discounts (order discount 10 %)", "−37.20 EUR"),
        ("Net total", "219.30 EUR"),
        ("Tax", "43.86 EUR"),
        ("Total", "263.16 EUR"),
    ]


def test_an_order_page_links_to_its_quote(browser, order, accepted_quote):
    html = browser.get(f"/orders/{order.pk}/").content.decode()
    assert f'<a href="/quotes/{accepted_quote.pk}/">Q-00001</a>' in html


def test_an_order_page_offers_the_next_statuses_only(browser, admin, order):
    services.order_set_status(by=admin, order=order, status="delivered")
    html = browser.get(f"/orders/{order.pk}/").content.decode()
    offered = re.findall(r'name="status" value="(\w+)"', html)
    assert offered == ["invoiced", "paid"]


def test_a_paid_order_offers_no_status_button(browser, admin, order):
    services.order_set_status(by=admin, order=order, status="paid")
    html = browser.get(f"/orders/{order.pk}/").content.decode()
    assert 'name="status"' not in html
    assert "does not change any more" in html


def test_a_status_button_moves_the_order_and_the_move_is_in_its_history(browser, order):
    response = browser.post(
        f"/orders/{order.pk}/status/", {"status": "shipped", "note": "Truck 12"}, follow=True
    )
    html = response.content.decode()
    assert "Order O-00001 is now shipped." in html
    assert "New → Shipped" in html and "Truck 12" in html
    order.refresh_from_db()
    assert order.status == "shipped"


def test_a_refused_move_shows_why(browser, admin, order):
    services.order_set_status(by=admin, order=order, status="delivered")
    response = browser.post(f"/orders/{order.pk}/status/", {"status": "cancelled"}, follow=True)
    assert "cannot be cancelled" in response.content.decode()
    order.refresh_from_db()
    assert order.status == "delivered"


def test_a_rep_sees_an_order_of_theirs_without_the_trash_button(admin, rep, web_as, shop):
    mine = direct_order(rep, shop, account=factories.account(rep, name="Mine"))
    html = web_as(rep).get(f"/orders/{mine.pk}/").content.decode()
    assert 'value="confirmed"' in html
    assert f'action="/orders/{mine.pk}/delete/"' not in html
    assert web_as(rep).post(f"/orders/{mine.pk}/delete/").status_code == 403


def test_an_analyst_sees_an_order_without_buttons(analyst, web_as, order):
    html = web_as(analyst).get(f"/orders/{order.pk}/").content.decode()
    assert 'name="status"' not in html
    assert f'href="/orders/{order.pk}/edit/"' not in html


def test_an_administrator_moves_an_order_to_the_trash_and_back(browser, order):
    response = browser.post(f"/orders/{order.pk}/delete/")
    assert response.status_code == 302
    assert Order.objects.for_tenant(order.tenant_id, with_deleted=True).get(pk=order.pk).is_deleted
    browser.post(f"/orders/{order.pk}/restore/")
    assert not Order.objects.for_tenant(order.tenant_id).get(pk=order.pk).is_deleted


def test_the_edit_changes_notes_and_date_but_not_the_lines(browser, order):
    page = browser.get(f"/orders/{order.pk}/edit/").content.decode()
    assert 'name="notes"' in page and 'name="product"' not in page
    response = browser.post(
        f"/orders/{order.pk}/edit/",
        {
            "ordered_on": "2026-01-05",
            "notes": "Deliver on Monday",
            "external_ref": "ERP-17",
            "etag": order.etag,
        },
    )
    assert response.status_code == 302, response.content.decode()
    order.refresh_from_db()
    assert (order.notes, order.ordered_on, order.external_ref) == (
        "Deliver on Monday",
        datetime.date(2026, 1, 5),
        "ERP-17",
    )


@pytest.mark.parametrize("kind", ["order", "order_deleted"])
@pytest.mark.parametrize(
    ("method", "page"),
    [
        ("get", ""),
        ("get", "edit/"),
        ("post", "edit/"),
        ("post", "status/"),
        ("post", "delete/"),
        ("post", "restore/"),
    ],
)
def test_another_organisations_order_pages_are_404(browser, other_org_records, kind, method, page):
    before = other_org_records.snapshot()
    url = f"/orders/{other_org_records.ids[kind]}/{page}"
    response = getattr(browser, method)(url, {"status": "confirmed", "notes": "Hijacked"})
    assert response.status_code == 404
    assert not other_org_records.leaked_markers(response.content.decode())
    assert other_org_records.snapshot() == before


# -- a new order ------------------------------------------------------------------------------


def form_data(customer, *rows, **fields) -> dict:
    data = {
        "account": customer.pk,
        "lines-TOTAL_FORMS": str(len(rows)),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "50",
        **fields,
    }
    for index, row in enumerate(rows):
        data |= {f"lines-{index}-{name}": value for name, value in row.items()}
    return data


def test_the_new_order_form_starts_with_three_empty_lines(browser, shop, customer):
    html = browser.get("/orders/new/", {"account": customer.pk}).content.decode()
    assert html.count('name="lines-0-product"') == 1 and 'name="lines-2-product"' in html
    assert 'name="lines-3-product"' not in html
    assert f'<option value="{customer.pk}" selected>Balkan Foods</option>' in html
    assert "Service hour (SRV-1)" in html


def account_options(html: str) -> list[str]:
    select = re.search(r'<select name="account".*?</select>', html, re.S)[0]
    return re.findall(r'<option value="\d+"[^>]*>([^<]+)</option>', select)


def test_the_new_order_form_offers_the_latest_accounts_and_the_one_asked_for(
    browser, admin, monkeypatch
):
    monkeypatch.setattr(forms, "CHOICES", 2)
    oldest, *_later = (
        factories.account(admin, name=name) for name in ("Alfa", "Bravo", "Charlie", "Delta")
    )
    assert account_options(browser.get("/orders/new/").content.decode()) == ["Charlie", "Delta"]
    html = browser.get("/orders/new/", {"account": oldest.pk}).content.decode()
    assert account_options(html) == ["Alfa", "Charlie", "Delta"]
    assert f'<option value="{oldest.pk}" selected>Alfa</option>' in html


def test_a_new_order_for_an_account_not_offered_in_the_select_is_made(
    browser, admin, shop, monkeypatch
):
    monkeypatch.setattr(forms, "CHOICES", 1)
    older = factories.account(admin, name="Alfa")
    factories.account(admin, name="Bravo")
    data = form_data(older, {"product": shop.hour.pk, "quantity": "1", "discount_percent": "0"})
    response = browser.post("/orders/new/", data)
    assert response.status_code == 302, response.content.decode()
    assert Order.objects.for_tenant(admin.tenant).get().account_id == older.pk


def test_a_new_order_is_priced_from_the_book_and_empty_rows_are_left_out(
    browser, admin, shop, customer
):
    data = form_data(
        customer,
        {"product": shop.hour.pk, "quantity": "2", "discount_percent": "0"},
        {"product": "", "quantity": "1", "discount_percent": "0"},
        {"product": shop.car.product.pk, "quantity": "1", "discount_percent": "10"},
    )
    response = browser.post("/orders/new/", data)
    order = Order.objects.for_tenant(admin.tenant).get()
    assert response.status_code == 302 and response["Location"] == f"/orders/{order.pk}/"
    lines = OrderLine.objects.for_tenant(admin.tenant).filter(order=order)
    assert [(line.description, line.unit_price) for line in lines] == [
        ("Service hour", Decimal("85.50")),
        ("Roadster (Colour: White, Seats: Fabric)", Decimal("30000.00")),
    ]
    assert order.subtotal == Decimal("30171.00")


def test_a_line_error_of_the_service_shows_on_its_row(browser, admin, shop, customer):
    unpriced = factories.product(admin, sku="NEW-1", name="Brand new")
    data = form_data(
        customer,
        {"product": "", "quantity": "1", "discount_percent": "0"},
        {"product": unpriced.pk, "quantity": "1", "discount_percent": "0"},
    )
    response = browser.post("/orders/new/", data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Brand new has no price in the price book Standard: give the unit price." in html
    assert not Order.objects.for_tenant(admin.tenant).exists()


def test_a_new_order_without_lines_is_refused_with_a_message(browser, admin, customer):
    response = browser.post("/orders/new/", form_data(customer))
    assert "Add at least one line." in response.content.decode()
    assert not Order.objects.for_tenant(admin.tenant).exists()


def test_adding_a_line_returns_the_lines_with_one_more_row(browser, shop, customer):
    data = form_data(
        customer,
        {"product": shop.hour.pk, "quantity": "4", "discount_percent": "0"},
        {"product": "", "quantity": "1", "discount_percent": "0"},
    )
    data["add_line"] = "1"
    response = browser.post("/orders/new/", data, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "<html" not in html and html.lstrip().startswith('<div id="order-lines">')
    assert 'name="lines-2-product"' in html and 'name="lines-3-product"' not in html
    assert 'name="lines-TOTAL_FORMS" value="3"' in html
    assert re.search(rf'<option value="{shop.hour.pk}" selected>', html)
    assert 'name="lines-0-quantity" value="4"' in html


def test_a_new_order_for_another_organisations_account_is_refused(
    browser, admin, shop, other_org_records
):
    prefilled = browser.get("/orders/new/", {"account": other_org_records.ids["account"]})
    assert not other_org_records.leaked_markers(prefilled.content.decode())
    data = form_data(
        type("Rival", (), {"pk": other_org_records.ids["account"]}),
        {"product": shop.hour.pk, "quantity": "1", "discount_percent": "0"},
    )
    response = browser.post("/orders/new/", data)
    assert response.status_code == 200
    assert not Order.objects.for_tenant(admin.tenant).exists()


def test_an_analyst_may_not_open_the_new_order_form(analyst, web_as):
    assert web_as(analyst).get("/orders/new/").status_code == 403


def test_a_status_move_from_the_page_is_audited_with_the_history_row(browser, admin, order):
    browser.post(f"/orders/{order.pk}/status/", {"status": "confirmed"})
    rows = OrderStatusChange.objects.for_tenant(admin.tenant).filter(order=order)
    assert [(r.from_status, r.to_status) for r in rows] == [("", "new"), ("new", "confirmed")]
