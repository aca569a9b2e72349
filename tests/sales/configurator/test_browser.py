"""The configurator in a real Chromium: a customer configures the Roadster step by step on
a phone from a shared link, sees a broken rule and the price live, and sends it; the rep's
page fits a phone too."""

import re

import pytest
from playwright.sync_api import expect

from funia.core.models import Notification, Role
from funia.sales.models import ConfiguratorLink
from tests import factories
from tests.browser import conftest as browser_setup
from tests.browser.conftest import PHONE, sign_in
from tests.browser.test_pages import OVERFLOW_REPORT
from tests.sales.configurator.conftest import BASE

pytestmark = pytest.mark.browser

# The browser fixtures of tests/browser, for this module too.
browser = browser_setup.browser
open_page = browser_setup.open_page

REP_EMAIL = "rita@acme.example"


@pytest.fixture
def scene(transactional_db):
    org = factories.OrganizationFactory(name="Acme Sales", slug="acme")
    admin = factories.member(org, Role.ADMIN)
    rep = factories.member(org, Role.SALES_REP, email=REP_EMAIL, first_name="Rita", last_name="Rep")
    car = factories.configurable_car(admin)
    factories.price_book(admin, prices={car.product: BASE}, is_default=True)
    factories.pipeline(admin, is_default=True)
    deal = factories.opportunity(rep, name="Fleet for Balkan Foods")
    from funia.sales.configurator.services import configurator_link_create

    link = configurator_link_create(by=rep, product_id=car.product.pk, opportunity_id=deal.pk)
    return rep, car, deal, link


def no_overflow(page) -> None:
    report = page.evaluate(OVERFLOW_REPORT)
    assert report is None, f"{page.url}: {report}"


def change(page, control, check=True) -> None:
    """Tick a choice and wait for the summary the change brings back."""
    with page.expect_response(lambda r: r.request.method == "POST" and "/configure/" in r.url):
        control.check() if check else control.uncheck()


def test_a_customer_configures_step_by_step_on_a_phone_and_sends_it(open_page, scene):
    rep, car, _deal, link = scene
    page, errors = open_page(PHONE)
    page.goto(f"/configure/{link.token}/")
    summary = page.locator("#config-summary")
    unit = summary.locator("[data-unit-price]")

    expect(page.get_by_role("heading", level=1)).to_have_text("Configure your Roadster")
    expect(page.locator("#config-step-1")).to_be_visible()
    expect(page.locator("#config-step-2")).to_be_hidden()
    expect(unit).to_have_text("30,000.00 EUR")
    no_overflow(page)

    change(page, page.get_by_role("radio", name=re.compile("^Red")))
    expect(unit).to_have_text("30,500.00 EUR")
    page.get_by_role("button", name="Next").first.click()
    expect(page.locator("#config-step-2")).to_be_visible()
    expect(page.locator("#config-step-1")).to_be_hidden()
    expect(page.locator('[data-step-label="2"]')).to_have_attribute("aria-current", "step")

    change(page, page.get_by_role("radio", name=re.compile("^Leather")))
    expect(summary.get_by_role("alert")).to_contain_text(
        "Leather (Seats) requires Premium (Packages)."
    )
    expect(page.locator("#config-primary")).to_be_disabled()
    no_overflow(page)

    page.locator("#config-step-2").get_by_role("button", name="Next").click()
    change(page, page.get_by_role("checkbox", name=re.compile("^Premium")))
    expect(summary.get_by_role("alert")).to_have_count(0)
    expect(unit).to_have_text("35,500.00 EUR")

    page.locator("#config-step-3").get_by_role("button", name="Next").click()
    expect(page.locator("#config-primary")).to_be_enabled()
    page.get_by_label("Your name").fill("Maria Ivanova")
    page.get_by_label("Your email").fill("maria@example.com")
    no_overflow(page)
    page.get_by_role("button", name="Send my configuration").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you, Maria Ivanova!")
    expect(page.locator("main")).to_contain_text("35,500.00 EUR")
    no_overflow(page)
    stored = ConfiguratorLink.objects.for_tenant(rep.tenant).get(pk=link.pk)
    assert stored.options == car.ids("Red", "Leather", "Premium")
    assert Notification.objects.for_tenant(rep.tenant).filter(user=rep.user).count() == 1
    assert errors.take() == []


def test_the_reps_configurator_and_link_pages_fit_a_phone(open_page, scene):
    _rep, car, deal, link = scene
    page, errors = open_page(PHONE)
    sign_in(page, REP_EMAIL, factories.PASSWORD)

    page.goto(f"/products/{car.product.pk}/configure/?opportunity={deal.pk}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Configure Roadster")
    no_overflow(page)
    for _step in range(3):
        page.locator("fieldset:not([hidden])").get_by_role("button", name="Next").click()
    expect(page.get_by_role("button", name="Add to quote")).to_be_enabled()
    no_overflow(page)

    page.goto(f"/configurator-links/{link.pk}/")
    expect(page.get_by_role("button", name="Copy")).to_be_visible()
    no_overflow(page)
    page.goto("/configurator-links/")
    no_overflow(page)
    assert errors.take() == []
