"""Quotes in a real Chromium at phone width: the rep edits a line in place, the pages fit the
screen, and the customer accepts on the public page."""

import re

import pytest
from playwright.sync_api import expect

from funia.sales.quotes import services
from tests import factories
from tests.browser import conftest as browser_setup
from tests.browser.conftest import PHONE, sign_in
from tests.browser.test_pages import OVERFLOW_REPORT

pytestmark = pytest.mark.browser

# The browser fixtures of tests/browser, for this module too.
browser = browser_setup.browser
open_page = browser_setup.open_page


def fits(page) -> None:
    assert page.evaluate(OVERFLOW_REPORT) is None, page.evaluate(OVERFLOW_REPORT)


@pytest.fixture
def draft(transactional_db, shop):
    quote = shop.quote(discount_percent=5)
    shop.car_line(quote, "Red", "Leather", "Premium", quantity=2, discount=3)
    shop.service_line(quote)
    return quote


def test_the_rep_changes_a_line_in_place_at_phone_width(open_page, live_server, shop, draft):
    page, errors = open_page(PHONE)
    sign_in(page, shop.rep.user.email, factories.PASSWORD)

    page.goto(f"/quotes/{draft.pk}/")
    fits(page)
    plan = draft.lines.get(product=shop.service)
    page.locator(f"#qty-{plan.pk}").fill("2")
    page.locator(f"#line-{plan.pk}").get_by_role("button", name="Update").click()

    # The plan's line total: 2 x 1,234.56
    expect(page.locator("#quote-work")).to_contain_text("2,469.12 EUR")
    fits(page)
    assert errors.take() == []


def test_the_quote_list_and_the_deal_page_fit_a_phone(open_page, live_server, shop, draft):
    page, errors = open_page(PHONE)
    sign_in(page, shop.rep.user.email, factories.PASSWORD)

    for url in (
        "/quotes/",
        f"/opportunities/{shop.deal.pk}/",
        f"/quotes/new/?opportunity={shop.deal.pk}",
    ):
        page.goto(url)
        fits(page)
    assert errors.take() == []


def test_the_customer_accepts_on_a_phone(open_page, live_server, shop, draft):
    quote = services.quote_send(by=shop.rep, quote=draft)
    page, errors = open_page(PHONE)

    page.goto(f"/q/{quote.public_token}/")
    fits(page)
    page.get_by_label("Your full name").fill("Elena Petrova")
    page.get_by_role("button", name="Accept", exact=True).click()

    expect(page.get_by_role("status")).to_contain_text(re.compile(r"order reference is O-\d{5}"))
    fits(page)
    assert errors.take() == []
