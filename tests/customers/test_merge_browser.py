"""The merge flow in a real Chromium at phone width: pick, compare, merge, undo."""

import re

import pytest
from playwright.sync_api import expect

from funia.customers.models import Contact
from tests import factories
from tests.browser import conftest as browser_setup
from tests.browser.conftest import PHONE, sign_in
from tests.browser.test_pages import OVERFLOW_REPORT

pytestmark = pytest.mark.browser

# The browser fixtures of tests/browser, for this module too.
browser = browser_setup.browser
open_page = browser_setup.open_page

EMAIL = "merger@acme.example"


@pytest.fixture
def twins(transactional_db):
    org = factories.OrganizationFactory(name="Acme Sales", slug="acme")
    admin = factories.member(org, "admin", email=EMAIL)
    first = factories.contact(
        admin,
        first_name="Todor",
        last_name="Stoyanov-Vasilev",
        emails=["todor.stoyanov-vasilev@a-very-long-company-domain.example"],
    )
    second = factories.contact(
        admin,
        first_name="Todor",
        last_name="Stoyanov-Vasilev",
        title="Regional director of procurement and logistics",
        emails=["t.stoyanov@another-long-domain.example"],
        phones=["+359888123456"],
        tags=["key account"],
    )
    return first, second


def test_merging_and_undoing_at_phone_width(open_page, live_server, twins):
    first, second = twins
    page, errors = open_page(PHONE)
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(page, EMAIL, factories.PASSWORD)

    page.goto(f"/contacts/{first.pk}/")
    page.get_by_role("link", name="Merge with…").click()
    page.get_by_role("checkbox", name=re.compile(f"#{second.pk}")).check()
    assert page.evaluate(OVERFLOW_REPORT) is None
    page.get_by_role("button", name="Compare and merge").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Merge contacts")
    assert page.evaluate(OVERFLOW_REPORT) is None
    page.get_by_role("button", name="Merge", exact=True).click()

    expect(page).to_have_url(re.compile(rf"/contacts/{first.pk}/$"))
    expect(page.locator("main")).to_contain_text("Regional director of procurement")
    assert page.evaluate(OVERFLOW_REPORT) is None
    page.get_by_role("button", name="Undo merge").click()

    expect(page.locator("main")).to_contain_text("The merge was undone")
    restored = Contact.objects.for_tenant(first.tenant_id).get(pk=second.pk)
    assert restored.merged_into_id is None
    assert errors.take() == []
