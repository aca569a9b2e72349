"""The import flow in a real Chromium at phone width: upload, columns, preview, progress."""

import pytest
from playwright.sync_api import expect

from funia.imports import engine
from funia.imports.models import ImportJob
from tests import factories
from tests.browser.conftest import DESKTOP, PHONE, browser, open_page, sign_in  # noqa: F401
from tests.browser.test_pages import OVERFLOW_REPORT

pytestmark = pytest.mark.browser

EMAIL = "admin@acme.example"
PEOPLE = (
    "Име;Фамилия;Имейл;Мобилен телефон;Фирма;Много дълга колона с бележки за клиента\n"
    "Иван;Петров;ivan@example.com;0888 123 456;Фуния ООД;нещо\n"
    "Мария;Иванова;not-an-email;;Фуния ООД;друго\n"
)


@pytest.fixture
def admin(transactional_db):
    org = factories.OrganizationFactory(name="Acme Sales", slug="acme")
    return factories.member(org, "admin", email=EMAIL)


def assert_fits(page) -> None:
    assert page.evaluate(OVERFLOW_REPORT) is None


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_a_file_is_uploaded_mapped_previewed_and_imported(
    open_page,  # noqa: F811
    admin,
    tmp_path,
    viewport,
):
    page, errors = open_page(viewport)
    sign_in(page, EMAIL, factories.PASSWORD)
    upload = tmp_path / "клиенти.csv"
    upload.write_bytes(PEOPLE.encode("cp1251"))

    page.goto("/contacts/")
    page.locator("#main").get_by_role("link", name="Import").click()
    assert_fits(page)
    page.get_by_label("File").set_input_files(str(upload))
    page.get_by_role("button", name="Upload").click()

    expect(page.get_by_role("heading", name="клиенти.csv")).to_be_visible()
    expect(page.get_by_label("Мобилен телефон")).to_have_value("mobile")
    assert_fits(page)
    page.get_by_role("button", name="Next: preview").click()

    expect(page.get_by_text("“not-an-email” is not a valid email address.")).to_be_visible()
    assert_fits(page)
    page.get_by_label("Update the existing record").check()
    page.get_by_role("button", name="Start the import").click()

    expect(page.get_by_text("Waiting for a background worker")).to_be_visible()
    engine.process_import(ImportJob.objects.for_tenant(admin.tenant).get())
    # The progress fragment polls every second and shows the result without a reload.
    expect(page.get_by_role("link", name="Download the problems (CSV)")).to_be_visible()
    expect(page.locator("progress")).to_have_attribute("value", "100")
    assert_fits(page)
    assert errors.take() == []
