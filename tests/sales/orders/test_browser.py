"""Orders in a real Chromium at phone width: no page overflows, the lines scroll in their
frame, a line is added to a new order and a status button moves an order."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from funia.sales.orders import services
from tests import factories
from tests.browser import conftest as browser_setup
from tests.browser.conftest import PHONE, sign_in
from tests.browser.test_pages import OVERFLOW_REPORT

pytestmark = pytest.mark.browser

# The browser fixtures of tests/browser, for this module too.
browser = browser_setup.browser
open_page = browser_setup.open_page

EMAIL = "orders@acme.example"


@pytest.fixture
def admin(transactional_db):
    org = factories.OrganizationFactory(name="Acme Sales", slug="acme")
    return factories.member(org, "admin", email=EMAIL)


@pytest.fixture
def wide_order(admin):
    """An order of a configured car with a long description and a service line."""
    car = factories.configurable_car(admin, name="Roadster Grand Touring Edition")
    hour = factories.product(admin, sku="SRV-1", name="Service hour")
    factories.price_book(admin, prices={car.product: "30000.00", hour: "85.50"}, is_default=True)
    customer = factories.account(admin, name="Balkan Foods Wholesale and Distribution Ltd")
    return services.order_create(
        by=admin,
        account=customer,
        discount_percent=Decimal("2.5"),
        lines=[{"product": car.product, "quantity": 12}, {"product": hour, "quantity": "7.5"}],
    )


@pytest.fixture
def phone(open_page, admin):
    page, errors = open_page(PHONE)
    sign_in(page, EMAIL, factories.PASSWORD)
    return page, errors


def test_an_orders_lines_scroll_inside_their_frame_at_phone_width(phone, wide_order):
    page, errors = phone
    page.goto(f"/orders/{wide_order.pk}/")
    expect(page.get_by_role("heading", name=re.compile("Order O-00001"))).to_be_visible()
    assert page.evaluate(OVERFLOW_REPORT) is None
    frame = page.locator(".table-wrap", has=page.locator("table.order-lines"))
    assert frame.evaluate("el => el.scrollWidth > el.clientWidth")
    header = page.locator("table.order-lines thead")
    expect(header).to_be_visible()
    assert errors.take() == []


def test_the_order_pages_do_not_overflow_at_phone_width(phone, wide_order):
    page, errors = phone
    for url in ("/orders/", "/orders/new/", f"/orders/{wide_order.pk}/edit/"):
        page.goto(url)
        assert page.evaluate(OVERFLOW_REPORT) is None, url
    assert errors.take() == []


def test_a_line_is_added_to_a_new_order_and_the_order_is_created(phone, wide_order):
    page, errors = phone
    page.goto("/orders/new/")
    page.get_by_label("Account", exact=True).select_option(
        label="Balkan Foods Wholesale and Distribution Ltd"
    )
    page.get_by_label("Product, line 1").select_option(label="Service hour (SRV-1)")
    page.get_by_label("Quantity, line 1").fill("3")
    page.get_by_role("button", name="Add a line").click()
    expect(page.get_by_label("Product, line 4")).to_be_visible()
    expect(page.get_by_label("Quantity, line 1")).to_have_value("3")
    assert page.evaluate(OVERFLOW_REPORT) is None
    page.get_by_role("button", name="Create the order").click()
    expect(page.get_by_text("Order O-00002 created.")).to_be_visible()
    expect(page.locator("table.order-lines")).to_contain_text("Service hour")
    assert errors.take() == []


def test_a_status_button_moves_the_order(phone, wide_order):
    page, errors = phone
    page.goto(f"/orders/{wide_order.pk}/")
    page.get_by_label("Note (optional)").fill("Picked up by the customer")
    page.get_by_role("button", name="Mark as shipped").click()
    expect(page.get_by_text("Order O-00001 is now shipped.")).to_be_visible()
    expect(page.get_by_role("list", name="Status history")).to_contain_text(
        "Picked up by the customer"
    )
    assert errors.take() == []
