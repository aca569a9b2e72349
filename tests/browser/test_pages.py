"""The main pages in a real Chromium, at desktop and phone width."""

import re
from dataclasses import dataclass

import pytest
from playwright.sync_api import expect

from funia.core.models import User
from tests import factories
from tests.browser.conftest import DESKTOP, PHONE, sign_in

pytestmark = pytest.mark.browser

ADMIN_EMAIL = "admin@acme.example"

# The right edges of elements wider than the window (the first few), to say what overflows.
OVERFLOW_REPORT = """() => {
  const width = window.innerWidth;
  const doc = document.documentElement;
  if (doc.scrollWidth <= width + 1) return null;
  const culprits = [];
  for (const el of document.querySelectorAll("body *")) {
    const box = el.getBoundingClientRect();
    if (box.right > width + 1 && box.width > 0) {
      const name = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
        + (el.className && typeof el.className === "string"
           ? "." + el.className.trim().split(/\\s+/).join(".") : "");
      culprits.push(name + " right=" + Math.round(box.right));
      if (culprits.length >= 5) break;
    }
  }
  return "scrollWidth=" + doc.scrollWidth + " > innerWidth=" + width + ": " + culprits.join(", ");
}"""


@dataclass
class Crm:
    account: object
    contact: object
    team: object


@pytest.fixture
def crm(transactional_db):
    """An organisation with its admin, a team, three accounts and a contact."""
    org = factories.OrganizationFactory(name="Acme Sales", slug="acme")
    admin = factories.member(org, "admin", email=ADMIN_EMAIL)
    rep = factories.member(org, "sales_rep")
    team = factories.team(admin, "Sofia sales", manager=admin, members=[admin, rep])
    account = factories.account(admin, name="Balkan Foods", domain="balkan-foods.example")
    factories.account(admin, name="Danube Logistics", domain="danube.example")
    factories.account(admin, name="Rila Water", domain="rila.example")
    contact = factories.contact(admin, first_name="Ivan", last_name="Petrov", account_id=account.pk)
    return Crm(account=account, contact=contact, team=team)


@pytest.fixture
def signed_in(open_page, crm):
    """signed_in(viewport) -> (page, errors) of the admin, signed in through the form."""

    def make(viewport=DESKTOP):
        page, errors = open_page(viewport)
        sign_in(page, ADMIN_EMAIL, factories.PASSWORD)
        return page, errors

    return make


def top_level_pages(page, crm: Crm) -> list[str]:
    """Every link of the main navigation, the profile, the tokens and one card of each kind."""
    navigation = page.eval_on_selector_all(
        "nav#sidenav a", "links => links.map(a => a.getAttribute('href'))"
    )
    assert navigation, "no links in nav#sidenav"
    more = [
        "/profile/",
        "/settings/tokens/",
        f"/accounts/{crm.account.pk}/",
        f"/contacts/{crm.contact.pk}/",
        f"/teams/{crm.team.pk}/",
    ]
    return list(dict.fromkeys([*navigation, *more]))


def test_signing_in_through_the_login_form_opens_the_home_page(open_page, crm):
    page, errors = open_page()

    sign_in(page, ADMIN_EMAIL, factories.PASSWORD)

    assert re.fullmatch(r"http://[^/]+/", page.url), page.url
    expect(page.locator("nav#sidenav")).to_be_visible()
    expect(page.locator(".topbar")).to_contain_text("Acme Sales")
    assert errors.take() == []


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_every_top_level_page_answers_200_without_console_errors(signed_in, crm, viewport):
    page, errors = signed_in(viewport)
    problems = [f"/login/ or /: {message}" for message in errors.take()]

    for url in top_level_pages(page, crm):
        response = page.goto(url)
        if response is None or response.status != 200:
            problems.append(f"{url}: HTTP {response and response.status}")
        problems.extend(f"{url}: {message}" for message in errors.take())

    assert problems == []


@pytest.mark.parametrize("language", ["en", "bg"])
def test_no_page_overflows_horizontally_at_phone_width(signed_in, crm, language):
    User.objects.filter(email=ADMIN_EMAIL).update(language=language)  # longer Bulgarian words
    page, _errors = signed_in(PHONE)

    overflowing = []
    for url in top_level_pages(page, crm):
        page.goto(url)
        assert page.get_attribute("html", "lang") == language
        if report := page.evaluate(OVERFLOW_REPORT):
            overflowing.append(f"{url}: {report}")
    page.context.clear_cookies()
    page.goto("/login/")
    if report := page.evaluate(OVERFLOW_REPORT):
        overflowing.append(f"/login/: {report}")

    assert overflowing == []


def test_the_menu_button_opens_the_navigation_at_phone_width(signed_in):
    page, errors = signed_in(PHONE)
    navigation = page.locator("nav#sidenav")
    menu = page.get_by_role("button", name="Menu")
    expect(navigation).to_be_hidden()

    menu.click()

    expect(navigation).to_be_visible()
    expect(menu).to_have_attribute("aria-expanded", "true")
    navigation.get_by_role("link", name="Accounts").click()
    expect(page).to_have_url(re.compile(r"/accounts/$"))
    assert errors.take() == []


def test_the_navigation_is_shown_without_a_menu_button_at_desktop_width(signed_in):
    page, _errors = signed_in(DESKTOP)

    expect(page.locator("nav#sidenav")).to_be_visible()
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()


def test_an_account_created_through_the_form_shows_on_its_detail_page(signed_in):
    page, errors = signed_in(DESKTOP)
    page.goto("/accounts/")
    page.get_by_role("link", name="New account").click()

    # By accessible name: the required marker "*" of the label is aria-hidden.
    page.get_by_role("textbox", name="Name", exact=True).fill("Thracian Wines")
    page.get_by_role("textbox", name="Domain", exact=True).fill("thracian-wines.example")
    page.get_by_role("button", name="Save").click()

    expect(page).to_have_url(re.compile(r"/accounts/\d+/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Thracian Wines")
    expect(page.locator("main")).to_contain_text("thracian-wines.example")
    expect(page.locator("main")).to_contain_text("Saved.")
    assert errors.take() == []


def test_the_search_on_accounts_filters_rows_without_a_full_reload(signed_in):
    page, errors = signed_in(DESKTOP)
    page.goto("/accounts/")
    rows = page.locator("#rows tbody tr")
    expect(rows).to_have_count(3)
    page.evaluate("window.searchedWithoutReload = true")

    page.get_by_label("Search").fill("danube")

    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("Danube Logistics")
    expect(page).to_have_url(re.compile(r"[?&]q=danube"))
    assert page.evaluate("window.searchedWithoutReload") is True
    assert errors.take() == []
