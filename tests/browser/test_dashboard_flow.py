"""The sales dashboard in a real Chromium: a manager opens it from the menu and gets from a
rep's weak conversion to the deals behind it in two clicks, at desktop and phone width."""

import os
import re
from dataclasses import dataclass
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from funia.core import periods
from funia.core.models import Role, User
from funia.sales.quotas.services import quota_create
from tests import factories
from tests.analytics.dashboard.helpers import deal_with_history
from tests.browser.conftest import DESKTOP, PHONE, sign_in
from tests.browser.test_pages import OVERFLOW_REPORT

pytestmark = pytest.mark.browser

MANAGER_EMAIL = "mira@acme.example"
# Set FUNIA_SCREENSHOTS=<dir> to keep a picture of the dashboard at each width.
SCREENSHOTS = os.environ.get("FUNIA_SCREENSHOTS")


@dataclass
class Team:
    manager: object
    rita: object
    bob: object
    pipeline: object


@pytest.fixture
def team(transactional_db):
    """Mira manages Rita and Bob. Rita: three deals entered Proposal in the last 90 days,
    one went on to Negotiation, two were lost. Bob: both of his went on. One deal of Rita's
    has sat in Qualification for 45 days (at risk)."""
    org = factories.OrganizationFactory(name="Acme Sales", slug="acme")
    admin = factories.member(org, Role.ADMIN, first_name="Ana", last_name="Admin")
    manager = factories.member(
        org, Role.SALES_MANAGER, email=MANAGER_EMAIL, first_name="Mira", last_name="Manager"
    )
    rita = factories.member(org, Role.SALES_REP, first_name="Rita", last_name="Rep")
    bob = factories.member(org, Role.SALES_REP, first_name="Bob", last_name="Builder")
    factories.team(admin, "Sofia sales", manager=manager, members=[rita, bob])
    pipeline = factories.pipeline(admin, is_default=True)
    account = factories.account(admin, name="Balkan Foods")

    def deal(name, owner, history, **fields):
        return deal_with_history(
            admin,
            pipeline,
            name,
            history,
            owner_id=owner.user.pk,
            account_id=account.pk,
            amount=fields.pop("amount", 10000),
            **fields,
        )

    deal("Rita advanced", rita, [("Qualification", 60), ("Proposal", 40), ("Negotiation", 20)])
    for n in (1, 2):
        deal(
            f"Rita lost {n}",
            rita,
            [("Qualification", 60), ("Proposal", 40), ("Lost", 10 + n)],
            lost_reason="Price",
        )
    for n in (1, 2):
        deal(
            f"Bob advanced {n}",
            bob,
            [("Proposal", 50), ("Negotiation", 30), ("Won", 5 + n)],
            amount=25000,
        )
    deal("Rita stuck", rita, [("Qualification", 45)], amount=40000)
    this_month = periods.period_start(periods.MONTH, periods.today(org))
    for offset in range(-5, 1):
        start = periods.add_months(this_month, offset)
        quota_create(
            by=admin,
            period="month",
            start=start,
            amount=Decimal(60000),
            user_id=bob.user.pk,
        )
    return Team(manager, rita, bob, pipeline)


def shoot(page, name: str) -> None:
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/{name}.png", full_page=True)
        for section in page.locator("section.dashboard-card").all():
            section.screenshot(path=f"{SCREENSHOTS}/{name}-{section.get_attribute('id')}.png")


def open_dashboard(page) -> None:
    """Click 1: the dashboard from the menu (folded behind the button on a phone)."""
    menu = page.get_by_role("button", name="Menu")
    if menu.is_visible():
        menu.click()
    page.locator("nav#sidenav").get_by_role("link", name="Dashboard").click()
    expect(page).to_have_url(re.compile(r"/reports/dashboard/"))
    # Every element has loaded (each replaces its "Loading…").
    expect(page.locator(".dashboard-loading")).to_have_count(0)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_manager_gets_from_a_reps_conversion_to_the_deals_in_two_clicks(
    open_page, team, viewport
):
    page, errors = open_page(viewport)
    sign_in(page, MANAGER_EMAIL, factories.PASSWORD)

    open_dashboard(page)

    conversion = page.locator("#dash-conversion")
    expect(page.get_by_label("Whose numbers")).to_have_value("team")
    expect(conversion.locator("svg.chart-bars")).to_be_visible()
    expect(page.locator("#dash-funnel svg.chart-bars")).to_be_visible()
    expect(page.locator("#dash-risk")).to_contain_text("Rita stuck")
    rita_cell = conversion.get_by_role(
        "link", name=re.compile(r"^Rita Rep, Proposal → Negotiation: 33 %$")
    )
    expect(rita_cell).to_be_visible()
    expect(conversion.get_by_role("link", name=re.compile(r"^Bob Builder, Proposal"))).to_have_text(
        "100 %"
    )
    assert page.evaluate(OVERFLOW_REPORT) is None, page.evaluate(OVERFLOW_REPORT)
    shoot(page, f"dashboard-{viewport['width']}")

    rita_cell.click()  # click 2

    expect(page).to_have_url(re.compile(r"/reports/funnel/deals/\?"))
    rows = page.locator("#drilldown-rows tbody tr")
    expect(rows).to_have_count(3)
    for name in ("Rita advanced", "Rita lost 1", "Rita lost 2"):
        expect(page.locator("#drilldown-rows")).to_contain_text(name)
    expect(page.locator("#drilldown-rows")).not_to_contain_text("Bob")
    page.get_by_role("link", name="Lost", exact=True).click()
    expect(rows).to_have_count(2)
    assert errors.take() == []


def test_changing_the_scope_reloads_the_elements_for_that_scope(open_page, team):
    page, errors = open_page(DESKTOP)
    sign_in(page, MANAGER_EMAIL, factories.PASSWORD)
    open_dashboard(page)

    page.get_by_label("Whose numbers").select_option("me")

    expect(page).to_have_url(re.compile(r"scope=me"))
    expect(page.locator(".dashboard-loading")).to_have_count(0)
    expect(page.locator("#dash-risk")).to_contain_text("No deal is stuck longer than usual.")
    expect(page.locator("#dash-conversion")).not_to_contain_text("Conversion by owner")
    assert errors.take() == []


def test_the_loaded_dashboard_fits_a_phone_in_bulgarian(open_page, team):
    User.objects.filter(email=MANAGER_EMAIL).update(language="bg")
    page, errors = open_page(PHONE)
    sign_in(page, MANAGER_EMAIL, factories.PASSWORD)

    page.goto("/reports/dashboard/?scope=company")
    expect(page.locator(".dashboard-loading")).to_have_count(0)

    assert page.get_attribute("html", "lang") == "bg"
    assert page.evaluate(OVERFLOW_REPORT) is None, page.evaluate(OVERFLOW_REPORT)
    shoot(page, "dashboard-bg-390")
    assert errors.take() == []
