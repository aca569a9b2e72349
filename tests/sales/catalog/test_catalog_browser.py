"""The catalog in a real Chromium at phone width: the pages fit the screen, and a rule is
added in the option editor by touch, as an administrator on a phone would."""

import pytest
from playwright.sync_api import expect

from funia.sales.catalog import services
from tests import factories
from tests.browser.conftest import DESKTOP, PHONE, browser, open_page, sign_in  # noqa: F401
from tests.browser.test_pages import OVERFLOW_REPORT
from tests.sales.catalog.helpers import PDF, PNG, upload

pytestmark = pytest.mark.browser

EMAIL = "admin@acme.example"


@pytest.fixture
def catalog(transactional_db, settings, tmp_path):
    """The Roadster with its options, a photo, a brochure, a long description with a table
    and a price book."""
    settings.MEDIA_ROOT = tmp_path / "media"
    org = factories.OrganizationFactory(name="Acme Sales", slug="acme")
    admin = factories.member(org, "admin", email=EMAIL)
    car = factories.configurable_car(admin)
    services.product_update(
        by=admin,
        product=car.product,
        fields={
            "category": "Cars",
            "description": "<h3>Technical data</h3><table><tr><th>Engine</th><th>Power</th>"
            "<th>Torque</th><th>Top speed</th><th>Acceleration 0-100 km/h</th></tr><tr>"
            "<td>2.0 l turbocharged four-cylinder</td><td>190 kW</td><td>400 Nm</td>"
            "<td>250 km/h</td><td>5.9 s</td></tr></table>"
            "<p>https://example.com/a-very-long-address-without-any-spaces-in-it-at-all</p>",
        },
    )
    services.product_file_add(by=admin, product=car.product, uploaded=upload("front.png", PNG))
    services.product_file_add(
        by=admin, product=car.product, uploaded=upload("brochure.pdf", PDF), title="Brochure"
    )
    book = factories.price_book(admin, name="Retail", prices={car.product: "30000"})
    return car, book


def assert_fits(page) -> None:
    assert page.evaluate(OVERFLOW_REPORT) is None


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_catalog_pages_fit_the_screen(open_page, catalog, viewport):  # noqa: F811
    car, book = catalog
    page, errors = open_page(viewport)
    sign_in(page, EMAIL, factories.PASSWORD)
    for url in (
        "/products/",
        f"/products/{car.product.pk}/",
        f"/products/{car.product.pk}/edit/",
        f"/products/{car.product.pk}/options/",
        "/settings/price-books/",
        f"/settings/price-books/{book.pk}/",
        f"/settings/price-books/{book.pk}/entries/",
    ):
        page.goto(url)
        assert_fits(page)
    page.goto(f"/products/{car.product.pk}/")
    thumbnail = page.get_by_role("img", name="front")
    thumbnail.scroll_into_view_if_needed()
    expect(thumbnail).to_be_visible()
    # Loaded and decoded through the file view (a lazy image loads once scrolled to).
    page.wait_for_function("() => document.querySelector('img[alt=front]').naturalWidth === 1")
    assert errors.take() == []


def test_an_admin_adds_a_rule_in_the_option_editor_on_a_phone(open_page, catalog):  # noqa: F811
    car, _book = catalog
    page, errors = open_page(PHONE)
    sign_in(page, EMAIL, factories.PASSWORD)
    page.goto(f"/products/{car.product.pk}/options/")

    red = page.get_by_role("form", name="Red")
    red.get_by_label("Requires").select_option(label="Sport (Packages)")
    red.get_by_role("button", name="Save Red").click()

    expect(page.get_by_text("Options saved.")).to_be_visible()
    expect(page.locator("#rules-title + ul")).to_contain_text("Red requires Sport")
    assert_fits(page)
    page.goto(f"/products/{car.product.pk}/")
    expect(page.get_by_text("Red requires Sport")).to_be_visible()
    assert errors.take() == []
