"""The card on the account and contact pages: details, filled sections, the timeline."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from funia.customers import card, services
from funia.customers.card import CardItem
from tests import factories


@pytest.fixture
def browser(admin, web_as):
    return web_as(admin)


@pytest.fixture
def section():
    keys = []

    def register(key, title, provider, **options):
        keys.append(key)
        return card.register_section(key, title, provider, **options)

    yield register
    for key in keys:
        card.unregister_section(key)


def html_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_the_account_page_shows_details_contacts_and_the_timeline(browser, admin):
    acme = factories.account(admin, name="Acme", domain="acme.example")
    maria = factories.contact(admin, first_name="Maria", last_name="Ivanova", account_id=acme.pk)
    services.account_update(by=admin, account=acme, fields={"industry": "Retail"})
    html = html_of(browser.get(reverse("account_detail", args=[acme.pk])))
    assert "acme.example" in html  # the details
    assert f'href="{reverse("contact_detail", args=[maria.pk])}">Maria Ivanova</a>' in html
    assert 'id="history-title">Timeline<' in html
    assert "Contact Maria Ivanova: created" in html
    assert "<del>—</del> → <ins>Retail</ins>" in html
    assert f'href="{reverse("contact_create")}?account={acme.pk}"' in html


def test_the_contact_page_shows_its_creation_and_update_on_the_timeline(browser, admin):
    maria = factories.contact(admin, first_name="Maria", last_name="Ivanova")
    services.contact_update(by=admin, contact=maria, fields={"title": "CEO"})
    html = html_of(browser.get(reverse("contact_detail", args=[maria.pk])))
    assert html.index(">Updated<") < html.index(">Created<")  # newest first
    assert "<del>—</del> → <ins>CEO</ins>" in html


def test_an_empty_section_is_not_shown(browser, admin):
    acme = factories.account(admin, name="Acme")
    html = html_of(browser.get(reverse("account_detail", args=[acme.pk])))
    assert 'id="section-contacts"' not in html


def test_a_registered_section_with_items_is_shown(browser, admin, section):
    section(
        "test_tickets",
        "Tickets",
        lambda actor, record: [CardItem("Printer on fire", status="Open", url="/t/1/")],
    )
    section("test_empty", "Never shown", lambda actor, record: [])
    maria = factories.contact(admin, last_name="Ivanova")
    html = html_of(browser.get(reverse("contact_detail", args=[maria.pk])))
    assert 'id="section-test_tickets-title">Tickets</h2>' in html
    assert '<a href="/t/1/">Printer on fire</a> <span class="badge">Open</span>' in html
    assert "Never shown" not in html


def test_a_long_timeline_offers_older_entries(browser, admin):
    maria = factories.contact(admin, last_name="Ivanova")
    for n in range(card.TIMELINE_PAGE + 2):
        services.contact_update(by=admin, contact=maria, fields={"title": f"T{n}"})
    html = html_of(browser.get(reverse("contact_detail", args=[maria.pk])))
    assert html.count('class="timeline-entry') == card.TIMELINE_PAGE
    more = reverse("contact_timeline", args=[maria.pk]) + "?before="
    assert f'hx-get="{more}' in html


def test_older_entries_come_as_a_fragment_for_htmx_and_as_a_page_otherwise(browser, admin):
    maria = factories.contact(admin, last_name="Ivanova")
    for n in range(card.TIMELINE_PAGE + 2):
        services.contact_update(by=admin, contact=maria, fields={"title": f"T{n}"})
    first_page = card.timeline(actor=admin, record=maria)
    url = card.timeline_url(maria, first_page[1])

    fragment = html_of(browser.get(url, headers={"HX-Request": "true"}))
    assert "<html" not in fragment
    assert fragment.count('class="timeline-entry') == 3  # two updates and the creation
    assert ">Created<" in fragment and "Older entries" not in fragment

    page = html_of(browser.get(url))
    assert "<html" in page and "Timeline of Ivan Ivanova" in page


def test_the_timeline_page_ignores_a_malformed_cursor(browser, admin):
    maria = factories.contact(admin, last_name="Ivanova")
    url = reverse("contact_timeline", args=[maria.pk])
    assert ">Created<" in html_of(browser.get(url, {"before": "yesterday"}))


def test_a_rep_does_not_see_another_reps_contact_on_an_account_card(org, rep, web_as):
    acme = factories.account(rep, name="Acme")
    admin = factories.member(org, "admin")
    other = factories.member(org, "sales_rep")
    factories.contact(admin, last_name="Theirs", account_id=acme.pk, owner_id=other.user.pk)
    html = html_of(web_as(rep).get(reverse("account_detail", args=[acme.pk])))
    assert "Theirs" not in html


def test_the_account_page_runs_as_many_queries_for_20_contacts_as_for_2(browser, admin):
    acme = factories.account(admin, name="Acme")
    url = reverse("account_detail", args=[acme.pk])

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            html_of(browser.get(url))
        return len(captured)

    for n in range(2):
        factories.contact(admin, last_name=f"A{n}", account_id=acme.pk, emails=[f"a{n}@x.example"])
    browser.get(reverse("home"))
    few = queries()
    for n in range(18):
        factories.contact(admin, last_name=f"B{n}", account_id=acme.pk, title="CEO")
    assert queries() == few


def test_the_card_offers_to_log_a_call_and_start_a_deal_prefilled(web_as, rep, analyst):
    account = factories.account(rep, name="Globex")
    contact = factories.contact(rep, account_id=account.pk)
    html = web_as(rep).get(reverse("contact_detail", args=[contact.pk])).content.decode()
    assert f"/activities/new/?contact={contact.pk}&amp;kind=call" in html
    assert f"contact={contact.pk}&amp;account={account.pk}" in html
    analyst_html = web_as(analyst).get(reverse("contact_detail", args=[contact.pk])).content
    assert b"Log a call" not in analyst_html
