"""The planning and report flows in a real Chromium, at desktop and phone width: an admin
types a rep's quota into the command center's grid, a manager adjusts a rep's commit in the
forecast and opens the deals behind a number, an admin draws a territory and finds its
accounts on the coverage report.

The data sit in March 2025 (a past, fixed month), so the numbers do not depend on today."""

import datetime
import re
from dataclasses import dataclass
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from funia.analytics.models import ForecastAdjustment
from funia.core.models import Role
from funia.sales import opportunities
from funia.sales.models import Quota, Territory
from tests import factories
from tests.browser.conftest import DESKTOP, PHONE, sign_in
from tests.browser.test_pages import OVERFLOW_REPORT

pytestmark = pytest.mark.browser

ADMIN_EMAIL = "admin@acme.example"
MANAGER_EMAIL = "mira@acme.example"
MARCH = datetime.date(2025, 3, 1)
VIEWPORTS = pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])


@dataclass
class Org:
    admin: object
    manager: object
    rita: object
    bob: object
    pipeline: object


@pytest.fixture
def org(transactional_db):
    """Mira manages Rita and Bob. Rita won 5,000 in March 2025 and has two commit deals
    (1,000 and 500) closing then; Bob has one (700)."""
    tenant = factories.OrganizationFactory(name="Acme Sales", slug="acme")
    admin = factories.member(
        tenant, Role.ADMIN, email=ADMIN_EMAIL, first_name="Ana", last_name="Admin"
    )
    manager = factories.member(
        tenant, Role.SALES_MANAGER, email=MANAGER_EMAIL, first_name="Mira", last_name="Manager"
    )
    rita = factories.member(tenant, Role.SALES_REP, first_name="Rita", last_name="Rep")
    bob = factories.member(tenant, Role.SALES_REP, first_name="Bob", last_name="Builder")
    factories.team(admin, "Sofia sales", manager=manager, members=[rita, bob])
    pipeline = factories.pipeline(admin, is_default=True)
    account = factories.account(admin, name="Balkan Foods")
    won_at = datetime.datetime(2025, 3, 10, 10, tzinfo=datetime.UTC)
    opportunities.opportunity_create(
        by=admin,
        name="Rita won",
        pipeline_id=pipeline.pk,
        owner_id=rita.user.pk,
        account_id=account.pk,
        amount=Decimal(5000),
        stage_history=[
            {"stage": "Qualification", "at": won_at - datetime.timedelta(days=20)},
            {"stage": "Won", "at": won_at},
        ],
    )
    for name, owner, amount, day in (
        ("Rita fleet", rita, 1000, 10),
        ("Rita vans", rita, 500, 20),
        ("Bob trucks", bob, 700, 15),
    ):
        deal = opportunities.opportunity_create(
            by=admin,
            name=name,
            pipeline_id=pipeline.pk,
            stage_id=factories.stage(pipeline, "Negotiation").pk,
            owner_id=owner.user.pk,
            account_id=account.pk,
            amount=Decimal(amount),
            expected_close_date=datetime.date(2025, 3, day),
        )
        opportunities.opportunity_update(
            by=admin, opportunity=deal, fields={"forecast_category": "commit"}
        )
    return Org(admin, manager, rita, bob, pipeline)


def no_overflow(page) -> None:
    report = page.evaluate(OVERFLOW_REPORT)
    assert report is None, f"{page.url}: {report}"


# -- 1. the command center -------------------------------------------------------------------


def quota_cell(page, rep):
    return page.locator(f"#cc-user-{rep.user.pk}-{MARCH:%Y-%m-%d}")


@VIEWPORTS
def test_an_admin_types_a_quota_into_the_grid_and_sees_the_progress(open_page, org, viewport):
    page, errors = open_page(viewport)
    sign_in(page, ADMIN_EMAIL, factories.PASSWORD)
    page.goto("/sales/command-center/?year=2025&granularity=month")
    expect(page.get_by_role("heading", level=1)).to_have_text("Command center")
    cell = quota_cell(page, org.rita)
    expect(cell).to_contain_text("won 5,000")
    page.evaluate("window.notReloaded = true")

    field = cell.get_by_label("Quota of Rita Rep for 2025-03")
    with page.expect_response(lambda r: "/sales/command-center/" in r.url and r.status == 200):
        field.fill("20000")
        field.press("Tab")

    expect(cell.locator(".cc-percent")).to_have_text("25 %")
    expect(cell).to_contain_text("won 5,000")
    expect(cell.locator(".badge")).to_have_text("missed")  # a past month below its quota
    assert page.evaluate("window.notReloaded") is True  # swapped in place, no reload
    quota = Quota.objects.for_tenant(org.admin.tenant).get(user=org.rita.user)
    assert (quota.period, quota.start, quota.amount) == ("month", MARCH, Decimal(20000))
    if viewport == PHONE:
        no_overflow(page)

    page.reload()
    expect(quota_cell(page, org.rita).get_by_label("Quota of Rita Rep for 2025-03")).to_have_value(
        "20000"
    )
    expect(quota_cell(page, org.rita).locator(".cc-percent")).to_have_text("25 %")

    quota_cell(page, org.rita).locator(".cc-fact a").click()
    expect(page).to_have_url(re.compile(r"/sales/command-center/won/\?"))
    expect(page.locator("main")).to_contain_text("Rita won")
    assert errors.take() == []


def test_an_amount_the_grid_refuses_is_explained_in_the_cell(open_page, org):
    page, errors = open_page(DESKTOP)
    sign_in(page, ADMIN_EMAIL, factories.PASSWORD)
    page.goto("/sales/command-center/?year=2025&granularity=month")
    cell = quota_cell(page, org.rita)
    field = cell.get_by_label("Quota of Rita Rep for 2025-03")

    with page.expect_response(lambda r: "/sales/command-center/" in r.url):
        field.fill("100000000000000000")  # 10^17, the limit is 10^16
        field.press("Tab")

    cell = quota_cell(page, org.rita)
    expect(cell.get_by_role("alert")).to_have_text("An amount must be below 10^16.")
    expect(cell.get_by_label("Quota of Rita Rep for 2025-03")).to_have_attribute(
        "aria-invalid", "true"
    )
    assert not Quota.objects.for_tenant(org.admin.tenant).exists()
    assert errors.take() == []


def test_a_negative_quota_is_explained_in_the_cell(open_page, org):
    page, _errors = open_page(DESKTOP)
    sign_in(page, ADMIN_EMAIL, factories.PASSWORD)
    page.goto("/sales/command-center/?year=2025&granularity=month")
    field = quota_cell(page, org.rita).get_by_label("Quota of Rita Rep for 2025-03")

    field.fill("-5")
    field.press("Tab")

    expect(quota_cell(page, org.rita).get_by_role("alert")).to_be_visible(timeout=2000)


# -- 2. the forecast -------------------------------------------------------------------------


@VIEWPORTS
def test_a_manager_adjusts_a_reps_commit_and_opens_the_deals_behind_it(open_page, org, viewport):
    page, errors = open_page(viewport)
    sign_in(page, MANAGER_EMAIL, factories.PASSWORD)
    page.goto(f"/reports/forecast/?from=2025-03&months=2&owner={org.rita.user.pk}")
    months = page.locator("section", has=page.get_by_role("heading", name="By close month"))
    march = months.locator("tr.forecast-row-month", has_text="March 2025")
    commit = march.locator("td.forecast-cell").first
    expect(commit.locator("a.forecast-amount")).to_have_text("1,500")
    expect(commit).to_contain_text("2 deals")

    commit.locator("details.forecast-adjust > summary").click()  # "Adjust Commit"
    commit.get_by_label("Adjusted amount").fill("2500")
    commit.get_by_label("Why").fill("CFO confirmed")
    with page.expect_response(lambda r: "/reports/forecast/adjust/" in r.url):
        commit.get_by_role("button", name="Save").click()

    expect(commit.locator("a.forecast-amount")).to_have_text("2,500")
    expect(commit.locator(".badge-adjusted")).to_have_text("adjusted")
    expect(commit).to_contain_text("computed 1,500")
    expect(commit.locator(".forecast-who")).to_contain_text("by Mira Manager")
    expect(commit.locator(".forecast-who")).to_contain_text("CFO confirmed")
    adjustment = ForecastAdjustment.objects.for_tenant(org.admin.tenant).get()
    assert (adjustment.user_id, adjustment.start, adjustment.category) == (
        org.rita.user.pk,
        MARCH,
        "commit",
    )
    assert (adjustment.amount, adjustment.adjusted_by_id) == (Decimal(2500), org.manager.user.pk)
    if viewport == PHONE:
        no_overflow(page)

    commit.locator("a.forecast-amount").click()
    expect(page).to_have_url(re.compile(r"/reports/forecast/deals/\?"))
    rows = page.locator("#drilldown-rows tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator("#drilldown-rows")).to_contain_text("Rita fleet")
    expect(page.locator("#drilldown-rows")).to_contain_text("Rita vans")
    expect(page.locator("#drilldown-rows")).not_to_contain_text("Bob trucks")
    assert errors.take() == []


# -- 3. territories --------------------------------------------------------------------------


@VIEWPORTS
def test_an_admin_creates_a_territory_and_the_coverage_counts_its_accounts(
    open_page, org, viewport
):
    for name, country in (("Sofia Bakery", "BG"), ("Varna Fish", "BG"), ("Bucharest Ltd", "RO")):
        factories.account(org.admin, name=name, country=country)
    page, errors = open_page(viewport)
    sign_in(page, ADMIN_EMAIL, factories.PASSWORD)
    page.goto("/settings/territories/")
    page.get_by_role("link", name="New territory").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New territory")
    page.get_by_role("textbox", name="Name").fill("Bulgaria")
    page.get_by_label("Countries").fill("BG")
    page.get_by_label("Rita Rep").check()
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Bulgaria")
    expect(page.locator("dl.details")).to_contain_text("Rita Rep")
    territory = Territory.objects.for_tenant(org.admin.tenant).get()
    assert territory.countries == ["BG"]

    page.goto("/reports/territories/")
    row = page.locator("table.coverage-table tbody tr", has_text="Bulgaria")
    expect(row.locator("td[data-label=Reps]")).to_have_text("1")
    expect(row.locator("td[data-label=Accounts]")).to_have_text("2")
    none = page.locator("tr.coverage-none")
    expect(none.locator("td[data-label=Accounts]")).to_have_text("2")  # Balkan Foods, RO
    if viewport == PHONE:
        no_overflow(page)

    row.locator("td[data-label=Accounts] a").click()
    expect(page.locator("main")).to_contain_text("Sofia Bakery")
    expect(page.locator("main")).to_contain_text("Varna Fish")
    expect(page.locator("main")).not_to_contain_text("Bucharest Ltd")
    assert errors.take() == []
