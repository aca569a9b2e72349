"""Duplicates in a real Chromium: the form's candidates at phone width, a scan's progress."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from funia.customers.models import Contact
from tests import factories
from tests.browser import conftest as browser_setup
from tests.browser.conftest import DESKTOP, PHONE, sign_in
from tests.browser.test_pages import OVERFLOW_REPORT

pytestmark = pytest.mark.browser

# The browser fixtures of tests/browser, for this module too.
browser = browser_setup.browser
open_page = browser_setup.open_page

EMAIL = "deduper@acme.example"


@pytest.fixture
def admin(transactional_db):
    org = factories.OrganizationFactory(name="Acme Sales", slug="acme")
    return factories.member(org, "admin", email=EMAIL)


def test_a_duplicate_is_shown_on_the_form_and_saved_anyway_at_phone_width(open_page, admin):
    existing = factories.contact(admin, first_name="Георги", last_name="Стоянов-Василев")
    page, errors = open_page(PHONE)
    sign_in(page, EMAIL, factories.PASSWORD)

    page.goto("/contacts/new/")
    page.get_by_label("First name").fill("Gosho")
    page.get_by_label("Last name").fill("Stoyanov-Vasilev")
    page.get_by_role("button", name="Save", exact=True).click()

    panel = page.get_by_role("region", name="Possible duplicates")
    expect(panel).to_contain_text("Георги Стоянов-Василев")
    expect(panel).to_contain_text("Nickname")
    assert page.evaluate(OVERFLOW_REPORT) is None
    page.get_by_role("button", name="Save anyway").click()

    created = Contact.objects.for_tenant(admin.tenant).get(first_name="Gosho")
    expect(page).to_have_url(re.compile(rf"/contacts/{created.pk}/$"))
    assert created.pk != existing.pk
    assert errors.take() == []


def test_a_scan_shows_its_progress_and_then_its_clusters(open_page, admin):
    for _twice in range(2):
        factories.contact(admin, first_name="Ivan", last_name="Petrov")
    page, errors = open_page(DESKTOP)
    sign_in(page, EMAIL, factories.PASSWORD)

    page.goto("/duplicates/")
    page.get_by_role("button", name="Scan for duplicates").click()
    expect(page.locator("#scan-progress")).to_be_visible()
    call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0", verbosity=0)

    # The progress bar polls every second; when the scan is done the page shows its clusters.
    expect(page.get_by_role("link", name="Merge…")).to_be_visible()
    expect(page.locator("main")).to_contain_text("1 group of possible duplicates")
    assert page.evaluate(OVERFLOW_REPORT) is None
    assert errors.take() == []
