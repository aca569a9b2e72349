"""The search box and the card in a real Chromium, at phone and desktop width."""

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import DESKTOP, PHONE, sign_in
from tests.browser.test_pages import OVERFLOW_REPORT

pytestmark = pytest.mark.browser

EMAIL = "admin@acme.example"


@pytest.fixture
def crm(transactional_db):
    org = factories.OrganizationFactory(name="Acme Sales", slug="acme")
    admin = factories.member(org, "admin", email=EMAIL)
    account = factories.account(admin, name="Balkan Foods", domain="balkan-foods.example")
    contact = factories.contact(
        admin, first_name="Иван", last_name="Петров", account_id=account.pk, title="Buyer"
    )
    return account, contact


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_slash_focuses_the_search_and_live_results_lead_to_the_card(open_page, crm, viewport):
    _account, contact = crm
    page, errors = open_page(viewport)
    sign_in(page, EMAIL, factories.PASSWORD)

    page.locator("h1").click()
    page.keyboard.press("/")
    box = page.locator("#global-search")
    expect(box).to_be_focused()
    box.press_sequentially("ivan petrov", delay=20)
    first = page.locator("#search-live a").first
    expect(first).to_contain_text("Иван Петров")
    box.press("ArrowDown")
    expect(first).to_be_focused()
    with page.expect_navigation():
        page.keyboard.press("Enter")

    assert page.url.endswith(f"/contacts/{contact.pk}/")
    expect(page.locator("#timeline")).to_contain_text("Created")
    assert page.evaluate(OVERFLOW_REPORT) is None
    assert errors.take() == []


def test_escape_closes_the_live_results(open_page, crm):
    page, errors = open_page(DESKTOP)
    sign_in(page, EMAIL, factories.PASSWORD)
    box = page.locator("#global-search")
    box.click()
    box.press_sequentially("balkan", delay=20)
    expect(page.locator("#search-live a").first).to_contain_text("Balkan Foods")
    box.press("Escape")
    expect(page.locator("#search-live")).to_be_empty()
    assert errors.take() == []


@pytest.mark.parametrize("path", ["search", "account", "contact"])
def test_the_search_page_and_the_cards_fit_a_phone(open_page, crm, path):
    account, contact = crm
    page, errors = open_page(PHONE)
    sign_in(page, EMAIL, factories.PASSWORD)
    url = {
        "search": "/search/?q=balkan",
        "account": f"/accounts/{account.pk}/",
        "contact": f"/contacts/{contact.pk}/",
    }[path]
    page.goto(url)
    expect(page.locator("h1")).to_be_visible()
    assert page.evaluate(OVERFLOW_REPORT) is None
    assert errors.take() == []
