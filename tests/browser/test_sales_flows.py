"""The sales flows in a real Chromium, tried as a new user would: a lead from the public
form converted into a deal, the deal dragged across the board to won, a call warned about
a colleague's earlier call, the calendar feed, and a rep's day on a phone."""

import datetime
import re
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import unquote_plus
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from funia.activities.models import ActivityPurpose
from funia.activities.services import activity_create
from funia.core.models import Role
from funia.sales.leads.services import lead_create
from funia.sales.leads.webform import lead_form_create
from funia.sales.models import Lead, Opportunity
from tests import factories
from tests.browser.conftest import DESKTOP, PHONE, sign_in
from tests.browser.test_pages import OVERFLOW_REPORT

pytestmark = pytest.mark.browser

ADMIN_EMAIL = "admin@acme.example"
REP_EMAIL = "rita@acme.example"
AGENT_EMAIL = "sam@acme.example"
MANAGER_EMAIL = "mira@acme.example"


@dataclass
class Sales:
    admin: object
    rep: object
    agent: object
    manager: object
    pipeline: object
    account: object
    contact: object
    colleague: object  # another contact of the same account

    def stage(self, name: str):
        return factories.stage(self.pipeline, name)

    def purpose(self, name: str):
        return ActivityPurpose.objects.for_tenant(self.admin.tenant).get(name=name)


@pytest.fixture
def sales(transactional_db):
    """An organisation with a sales team and a service desk, the B2B pipeline, an account
    with two contacts."""
    org = factories.OrganizationFactory(name="Acme Sales", slug="acme")
    admin = factories.member(
        org, Role.ADMIN, email=ADMIN_EMAIL, first_name="Ana", last_name="Admin"
    )
    rep = factories.member(org, Role.SALES_REP, email=REP_EMAIL, first_name="Rita", last_name="Rep")
    agent = factories.member(
        org, Role.SERVICE_AGENT, email=AGENT_EMAIL, first_name="Sam", last_name="Service"
    )
    manager = factories.member(
        org, Role.SALES_MANAGER, email=MANAGER_EMAIL, first_name="Mira", last_name="Manager"
    )
    factories.team(admin, "Sofia sales", manager=manager, members=[admin, rep, manager])
    factories.team(admin, "Service desk", members=[agent])
    pipeline = factories.pipeline(admin, is_default=True)
    account = factories.account(
        admin, name="Balkan Foods", domain="balkan-foods.example", owner_id=rep.user.pk
    )
    contact = factories.contact(
        admin, first_name="Ivan", last_name="Petrov", account_id=account.pk, owner_id=rep.user.pk
    )
    colleague = factories.contact(
        admin, first_name="Elena", last_name="Georgieva", account_id=account.pk
    )
    return Sales(admin, rep, agent, manager, pipeline, account, contact, colleague)


@pytest.fixture
def as_user(open_page, sales):
    """as_user(email, viewport) -> (page, errors), signed in through the login form."""

    def make(email=ADMIN_EMAIL, viewport=DESKTOP):
        page, errors = open_page(viewport)
        sign_in(page, email, factories.PASSWORD)
        return page, errors

    return make


def no_overflow(page) -> None:
    report = page.evaluate(OVERFLOW_REPORT)
    assert report is None, f"{page.url}: {report}"


def fill_and_leave(page, field, value: str) -> None:
    """Fill a field and leave it as a person does before tapping the button, waiting for the
    registry's check that its change sends (with SQLite a save cannot write while that check
    reads the activities)."""
    field.fill(value)
    sent = f"={value}&"
    with page.expect_response(
        lambda r: "/check-conflicts/" in r.url and sent in unquote_plus(r.url + "&")
    ):
        field.press("Tab")


def column(page, stage):
    return page.locator(f"#column-{stage.pk}")


def card(page, deal):
    return page.locator(f'li.board-card[data-deal="{deal.pk}"]')


# -- 1. a lead from the public form, converted ----------------------------------------------


def test_a_lead_from_the_public_form_is_converted_into_account_contact_and_deal(
    open_page, as_user, sales
):
    form = lead_form_create(
        by=sales.admin,
        name="Ask for an offer",
        fields=["first_name", "last_name", "company", "email", "message"],
        required=["last_name", "email"],
        consent_text="You may email me about offers.",
        source="Website",
        campaign="Spring fair",
    )
    visitor, visitor_errors = open_page()
    visitor.goto(f"/f/{form.key}/")
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Ask for an offer")
    visitor.get_by_role("textbox", name="First name", exact=True).fill("Dimitar")
    visitor.get_by_role("textbox", name="Last name", exact=True).fill("Kolev")
    visitor.get_by_role("textbox", name="Company", exact=True).fill("Rhodope Dairy")
    visitor.get_by_role("textbox", name="Email", exact=True).fill("dimitar@rhodope-dairy.example")
    visitor.get_by_role("textbox", name="Message", exact=True).fill(
        "Please send prices for 40 trucks."
    )
    visitor.get_by_label("You may email me about offers.").check()
    visitor.get_by_role("button", name="Send").click()

    expect(visitor).to_have_url(re.compile(rf"/f/{form.key}/thanks/$"))
    expect(visitor.locator("main")).to_contain_text("Thank you! We will be in touch soon.")
    assert visitor_errors.take() == []

    page, errors = as_user(ADMIN_EMAIL)
    page.goto("/leads/")
    page.get_by_role("link", name="Dimitar Kolev").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Dimitar Kolev")
    details = page.locator("dl.details")
    expect(details).to_contain_text("Rhodope Dairy")
    expect(details).to_contain_text("Spring fair")
    expect(details).to_contain_text("Marketing: yes")

    page.get_by_role("link", name="Convert").click()
    expect(page).to_have_url(re.compile(r"/leads/\d+/convert/$"))
    expect(page.get_by_label("Create the account “Rhodope Dairy”")).to_be_checked()
    expect(page.get_by_label("Create the contact “Dimitar Kolev”")).to_be_checked()
    page.get_by_label("Create a deal").check()
    page.get_by_label("Deal name").fill("Rhodope Dairy trucks")
    page.get_by_label("Stage").select_option(label="B2B sales: Needs analysis")
    page.get_by_role("button", name="Convert").click()

    banner = page.locator(".alert-success[role=status]")
    expect(banner).to_contain_text("This lead is read-only now.")
    tenant = sales.admin.tenant
    lead = Lead.objects.for_tenant(tenant).get(email="dimitar@rhodope-dairy.example")
    deal = Opportunity.objects.for_tenant(tenant).get(pk=lead.converted_opportunity_id)
    assert deal.stage.name == "Needs analysis"
    expect(banner.get_by_role("link", name="Rhodope Dairy", exact=True)).to_have_attribute(
        "href", f"/accounts/{lead.converted_account_id}/"
    )
    expect(banner.get_by_role("link", name="Dimitar Kolev")).to_have_attribute(
        "href", f"/contacts/{lead.converted_contact_id}/"
    )
    banner.get_by_role("link", name="Rhodope Dairy trucks").click()
    expect(page).to_have_url(re.compile(rf"/opportunities/{deal.pk}/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Rhodope Dairy trucks")
    expect(page.locator("main")).to_contain_text("Rhodope Dairy")
    assert errors.take() == []


# -- 2. the board ----------------------------------------------------------------------------


def test_dragging_a_deal_across_the_board_to_won_with_the_stage_gate(as_user, sales):
    needs, proposal = sales.stage("Needs analysis"), sales.stage("Proposal")
    negotiation, won = sales.stage("Negotiation"), sales.stage("Won")
    deal = factories.opportunity(
        sales.admin,
        name="Fleet renewal",
        account_id=sales.account.pk,
        pipeline_id=sales.pipeline.pk,
        stage_id=needs.pk,
    )
    page, errors = as_user(ADMIN_EMAIL)
    page.goto("/opportunities/board/")
    expect(card(page, deal)).to_have_count(1)
    expect(column(page, needs).locator("[data-count]")).to_have_text("1 deal")
    expect(column(page, proposal).locator("[data-count]")).to_have_text("0 deals")

    # Proposal asks for an amount: the move is refused, the card goes back, the dialog asks.
    card(page, deal).drag_to(column(page, proposal).locator("[data-dropzone]"))
    dialog = page.locator("#board-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("“Proposal” needs more before the deal can enter it.")
    expect(column(page, needs).locator(card(page, deal))).to_have_count(1)
    expect(column(page, proposal).locator("li.board-card")).to_have_count(0)

    dialog.get_by_label("Amount").fill("12000")
    # The refusal is a 422 answer, which Chromium reports in the console; nothing else.
    refused = errors.take()
    assert len(refused) == 1 and "422" in refused[0] and f"/{deal.pk}/move/" in refused[0]

    dialog.get_by_role("button", name="Move").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#board-status")).to_have_text("“Fleet renewal” moved to “Proposal”.")
    expect(column(page, proposal).locator(card(page, deal))).to_have_count(1)
    expect(column(page, proposal).locator("[data-count]")).to_have_text("1 deal")
    expect(column(page, proposal).locator("[data-total]")).to_have_text("12,000.00 EUR")
    expect(column(page, needs).locator("[data-count]")).to_have_text("0 deals")
    expect(column(page, needs).locator("[data-total]")).to_have_text("0.00 EUR")

    for target in (negotiation, won):
        # Scroll the board to the column first, as a person would: a drag does not scroll
        # the headless window.
        column(page, target).scroll_into_view_if_needed()
        card(page, deal).drag_to(column(page, target).locator("[data-dropzone]"))
        expect(page.locator("#board-status")).to_have_text(
            f"“Fleet renewal” moved to “{target.name}”."
        )
        expect(column(page, target).locator(card(page, deal))).to_have_count(1)
        expect(column(page, target).locator("[data-count]")).to_have_text("1 deal")
    expect(column(page, negotiation).locator("[data-count]")).to_have_text("0 deals")
    expect(dialog).to_be_hidden()
    deal.refresh_from_db()
    assert deal.stage_id == won.pk

    column(page, won).get_by_role("link", name="Fleet renewal").click()
    expect(page).to_have_url(re.compile(rf"/opportunities/{deal.pk}/$"))
    rows = page.locator("table.stage-history tbody tr")
    expect(rows).to_have_count(4)
    names = [rows.nth(i).locator("td").first.inner_text() for i in range(4)]
    assert names == ["Needs analysis", "Proposal", "Negotiation", "Won"]
    time_in_stage = rows.nth(0).locator("td").nth(2)
    expect(time_in_stage).not_to_be_empty()
    expect(time_in_stage).not_to_contain_text("closed")
    expect(rows.nth(3).locator("td").nth(2)).to_contain_text("closed")
    expect(rows.nth(3).locator("td").nth(3)).to_contain_text("Ana Admin")
    assert errors.take() == []


# -- 3. the contact registry -----------------------------------------------------------------


def test_a_call_warns_about_a_colleague_of_another_department_before_and_after_saving(
    as_user, sales
):
    collection = sales.purpose("Collection")
    earlier = timezone.now() - datetime.timedelta(days=2)
    activity_create(
        by=sales.agent,
        kind="call",
        subject="Unpaid invoice",
        purpose_id=collection.pk,
        contact_id=sales.colleague.pk,  # another contact of the same account
        done_at=earlier,
    )
    # The day in the organisation's time zone (late evenings in UTC are tomorrow in Sofia).
    zone = ZoneInfo(sales.agent.tenant.time_zone)
    when = timezone.localtime(earlier, zone).strftime("%-d %b %Y")
    page, errors = as_user(REP_EMAIL)
    page.goto("/")
    page.locator("nav#sidenav").get_by_role("link", name="Activities").click()
    page.get_by_role("link", name="New activity").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New activity")
    page.get_by_label("Kind").select_option(label="Call")
    page.get_by_role("searchbox", name="Find a customer").fill("Petrov")
    customer = page.get_by_label("Customer", exact=True)
    expect(customer.locator("option", has_text="Ivan Petrov")).not_to_have_count(0)
    customer.select_option(f"contact:{sales.contact.pk}")
    warning = page.locator("#conflict-warning")
    expect(warning).to_be_empty()

    page.get_by_label("Purpose").select_option(label="Collection")

    expect(warning).to_contain_text("This customer was contacted for the same purpose recently:")
    expect(warning).to_contain_text("Sam Service (Service desk)")
    expect(warning).to_contain_text(when)
    page.get_by_label("Purpose").select_option(label="Offer")
    expect(warning).to_be_empty()
    page.get_by_label("Purpose").select_option(label="Collection")
    expect(warning).to_contain_text("Sam Service (Service desk)")

    page.get_by_label("Subject").fill("Payment reminder")
    page.get_by_label("Already done").check()
    fill_and_leave(page, page.get_by_label("Outcome"), "Promised to pay on Friday")
    page.get_by_role("button", name="Save").click()

    expect(page).to_have_url(re.compile(r"/activities/\d+/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Payment reminder")
    conflicts = page.locator("#conflicts")
    expect(conflicts).to_contain_text("Sam Service (Service desk)")
    expect(conflicts).to_contain_text(when)
    assert errors.take() == []


# -- 4. the calendar feed --------------------------------------------------------------------


def test_subscribing_to_the_calendar_feed_gives_an_ics_with_the_meeting(as_user, sales):
    from icalendar import Calendar

    start = timezone.now() + datetime.timedelta(days=1)
    activity_create(
        by=sales.rep,
        kind="meeting",
        subject="Demo at Balkan Foods",
        purpose_id=sales.purpose("Offer").pk,
        contact_id=sales.contact.pk,
        due_at=start,
        duration_minutes=60,
    )
    page, errors = as_user(REP_EMAIL)
    page.goto("/")
    page.locator("nav#sidenav").get_by_role("link", name="Calendar feed").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Calendar feed")

    page.get_by_role("button", name="Turn on the calendar feed").click()

    address = page.get_by_label("Calendar address")
    expect(address).to_have_value(re.compile(r"^http://.+/calendar/[\w-]+\.ics$"))
    url = address.input_value()
    response = page.request.get(url)
    assert response.status == 200
    assert response.headers["content-type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.body())
    events = [c for c in calendar.walk("VEVENT")]
    assert [str(e["SUMMARY"]) for e in events] == ["Demo at Balkan Foods"]
    assert events[0].decoded("DTSTART") == start.replace(microsecond=0)
    assert errors.take() == []


# -- 5. a rep's day on a phone ---------------------------------------------------------------


def test_a_rep_works_through_the_day_on_a_phone(as_user, sales):
    proposal, negotiation = sales.stage("Proposal"), sales.stage("Negotiation")
    deal = factories.opportunity(
        sales.rep,
        name="Cold store",
        account_id=sales.account.pk,
        pipeline_id=sales.pipeline.pk,
        stage_id=proposal.pk,
        amount=Decimal("5000"),
    )
    lead = lead_create(by=sales.rep, first_name="Petya", last_name="Dimova", company="Vitosha Tea")
    planned = activity_create(
        by=sales.rep,
        kind="call",
        subject="Call Ivan about the offer",
        purpose_id=sales.purpose("Offer").pk,
        contact_id=sales.contact.pk,
        due_at=timezone.now() + datetime.timedelta(minutes=30),
    )
    page, errors = as_user(REP_EMAIL, PHONE)

    # Today's agenda.
    page.goto("/")
    page.get_by_role("button", name="Menu").click()
    page.locator("nav#sidenav").get_by_role("link", name="My day").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("My day")
    expect(page.locator(f"#activity-{planned.pk}")).to_contain_text("Call Ivan about the offer")
    no_overflow(page)

    # Find a customer through the top-bar search.
    page.locator("#global-search").fill("Petrov")
    page.locator("#search-live").get_by_role("link", name=re.compile("Ivan Petrov")).click()
    expect(page).to_have_url(re.compile(rf"/contacts/{sales.contact.pk}/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ivan Petrov")

    # Log a call in a few taps on "my day".
    page.goto("/my-day/")
    quick = page.locator("#quick-log")
    quick.get_by_role("searchbox", name="Find a customer").fill("Petrov")
    customer = quick.get_by_role("combobox", name="Customer", exact=True)
    expect(customer.locator("option", has_text="Ivan Petrov")).not_to_have_count(0)
    customer.select_option(f"contact:{sales.contact.pk}")
    quick.get_by_label("Purpose").select_option(label="Offer")
    fill_and_leave(page, quick.get_by_label("Outcome"), "Wants a quote by Monday")
    no_overflow(page)
    quick.get_by_role("button", name="Log it").click()
    expect(page.locator("main")).to_contain_text("Logged:")
    done = page.locator("section[aria-labelledby=done-title]")
    expect(done).to_contain_text("Wants a quote by Monday")
    expect(done).to_contain_text("Offer")

    # Move a deal with "Move to…" on its card.
    page.goto("/opportunities/board/")
    no_overflow(page)
    card(page, deal).get_by_label("Move “Cold store” to").select_option(label="Negotiation")
    expect(page.locator("#board-status")).to_have_text("“Cold store” moved to “Negotiation”.")
    expect(column(page, negotiation).locator(card(page, deal))).to_have_count(1)
    expect(column(page, proposal).locator("[data-count]")).to_have_text("0 deals")
    deal.refresh_from_db()
    assert deal.stage_id == negotiation.pk

    for url in (
        "/leads/",
        f"/leads/{lead.pk}/",
        f"/opportunities/{deal.pk}/",
        f"/activities/new/?contact={sales.contact.pk}&kind=call",
    ):
        page.goto(url)
        no_overflow(page)
    assert errors.take() == []


# -- 6. the new pages with data, at both widths ----------------------------------------------


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_sales_pages_with_data_render_without_console_errors(as_user, sales, viewport):
    """The navigation's pages are walked by test_pages (on an empty organisation); here
    they hold a deal, a lead, a web form, activities and a conflict, plus the pages outside
    the navigation: notifications, and the conflicts report as a sales manager."""
    deal = factories.opportunity(
        sales.admin,
        name="Fleet renewal",
        account_id=sales.account.pk,
        pipeline_id=sales.pipeline.pk,
        stage_id=sales.stage("Proposal").pk,
        amount=Decimal("8000"),
    )
    form = lead_form_create(by=sales.admin, name="Contact us", consent_text="Email me.")
    offer = sales.purpose("Offer")
    for who in (sales.agent, sales.rep):
        activity_create(
            by=who,
            kind="call",
            purpose_id=offer.pk,
            contact_id=sales.contact.pk,
            done_at=timezone.now(),
        )
    pages = {
        ADMIN_EMAIL: [
            "/opportunities/board/",
            "/opportunities/",
            f"/opportunities/{deal.pk}/",
            "/leads/",
            "/settings/web-forms/",
            f"/settings/web-forms/{form.pk}/",
            "/activities/",
            "/my-day/",
            "/settings/calendar/",
            "/notifications/",
            "/settings/pipelines/",
            f"/settings/pipelines/{sales.pipeline.pk}/",
        ],
        MANAGER_EMAIL: ["/activities/conflicts/", "/notifications/"],
    }
    problems = []
    for email, urls in pages.items():
        page, errors = as_user(email, viewport)
        for url in urls:
            response = page.goto(url)
            if response is None or response.status != 200:
                problems.append(f"{email} {url}: HTTP {response and response.status}")
            problems.extend(f"{email} {url}: {message}" for message in errors.take())
            if viewport is PHONE and (report := page.evaluate(OVERFLOW_REPORT)):
                problems.append(f"{email} {url}: {report}")
        if email == MANAGER_EMAIL:
            page.goto("/activities/conflicts/")
            expect(page.locator("main")).to_contain_text("Sam Service")
    assert problems == []
