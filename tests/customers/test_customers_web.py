"""Pages of accounts and contacts: lists with filters and pages, forms, trash, concurrency.

The query-count tests of the platform's list pages (teams, users) live here too: every list
page shares the rule that its query count does not grow with its rows.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from funia.customers import services as customer_services
from funia.customers.models import Account, Contact
from tests import factories


@pytest.fixture
def browser(admin, web_as):
    return web_as(admin)


def html_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def current(record):
    return type(record).objects.for_tenant(record.tenant_id, with_deleted=True).get(pk=record.pk)


# -- lists -------------------------------------------------------------------------------


def test_the_account_list_shows_the_accounts(browser, admin):
    acct = factories.account(admin, name="Sofia Bakery", industry="Food")
    html = html_of(browser.get(reverse("account_list")))
    assert "Sofia Bakery" in html
    assert reverse("account_detail", args=[acct.pk]) in html


def test_the_account_list_filters_by_search(browser, admin):
    factories.account(admin, name="Sofia Bakery")
    factories.account(admin, name="Steel Works")
    html = html_of(browser.get(reverse("account_list"), {"q": "bakery"}))
    assert "Sofia Bakery" in html
    assert "Steel Works" not in html


def test_the_account_list_filters_by_country(browser, admin):
    factories.account(admin, name="Sofia Bakery", country="BG")
    factories.account(admin, name="Bucharest Mill", country="RO")
    html = html_of(browser.get(reverse("account_list"), {"country": "ro"}))
    assert "Bucharest Mill" in html and "Sofia Bakery" not in html


def test_the_contact_list_filters_by_search(browser, admin):
    factories.contact(admin, first_name="Maria", last_name="Ivanova")
    factories.contact(admin, first_name="Georgi", last_name="Petrov")
    html = html_of(browser.get(reverse("contact_list"), {"q": "ivanova"}))
    assert "Ivanova" in html and "Petrov" not in html


def test_an_invalid_filter_is_ignored_with_a_message(browser, admin):
    factories.account(admin, name="Still Listed")
    html = html_of(browser.get(reverse("account_list"), {"sort": "bogus"}))
    assert "Still Listed" in html
    assert "not valid" in html


def test_the_account_list_pages_by_50(browser, admin):
    for n in range(52):
        factories.account(admin, name=f"Account {n:02}")
    first = html_of(browser.get(reverse("account_list")))
    second = html_of(browser.get(reverse("account_list"), {"page": 2}))
    assert "Account 49" in first and "Account 50" not in first
    assert "Account 50" in second and "Account 51" in second and "Account 49" not in second
    assert 'rel="next"' in first and 'rel="next"' not in second


def test_the_pages_keep_the_filter(browser, admin):
    for n in range(51):
        factories.account(admin, name=f"Match {n:02}")
    factories.account(admin, name="Zzz other")
    html = html_of(browser.get(reverse("account_list"), {"q": "Match"}))
    assert "q=Match" in html[html.index('rel="next"') - 200 :]


def test_an_htmx_request_gets_only_the_rows(browser, admin):
    factories.account(admin, name="Sofia Bakery")
    full = html_of(browser.get(reverse("account_list")))
    rows = html_of(browser.get(reverse("account_list"), headers={"HX-Request": "true"}))
    assert "Sofia Bakery" in rows
    assert "<html" in full and "<html" not in rows
    assert 'id="sidenav"' not in rows
    assert '<form class="filters"' in full and '<form class="filters"' not in rows


def test_an_htmx_request_honours_the_filters(browser, admin):
    factories.account(admin, name="Sofia Bakery")
    factories.account(admin, name="Steel Works")
    rows = html_of(
        browser.get(reverse("account_list"), {"q": "steel"}, headers={"HX-Request": "true"})
    )
    assert "Steel Works" in rows and "Sofia Bakery" not in rows


def test_an_htmx_request_to_the_contact_list_gets_only_the_rows(browser, admin):
    factories.contact(admin, last_name="Ivanova")
    rows = html_of(browser.get(reverse("contact_list"), headers={"HX-Request": "true"}))
    assert "Ivanova" in rows and "<html" not in rows


def test_an_htmx_history_restore_gets_the_full_page(browser, admin):
    headers = {"HX-Request": "true", "HX-History-Restore-Request": "true"}
    html = html_of(browser.get(reverse("account_list"), headers=headers))
    assert "<html" in html


def test_a_list_page_varies_on_the_htmx_header(browser, admin):
    response = browser.get(reverse("account_list"), headers={"HX-Request": "true"})
    assert "HX-Request" in response.get("Vary", "")


def test_the_trash_lists_only_deleted_records(browser, admin):
    factories.account(admin, name="Alive")
    gone = factories.account(admin, name="Gone")
    customer_services.account_delete(by=admin, account=gone)
    normal = html_of(browser.get(reverse("account_list")))
    trash = html_of(browser.get(reverse("account_list"), {"deleted": "true"}))
    assert "Alive" in normal and "Gone" not in normal
    assert "Gone" in trash and "Alive" not in trash


def test_signed_out_visitors_are_sent_to_the_login_page(org):
    from django.test import Client

    response = Client().get(reverse("account_list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# -- forms -------------------------------------------------------------------------------


def test_an_account_is_created_through_the_form(browser, admin, org):
    response = browser.post(
        reverse("account_create"), {"name": "Balkan Foods", "country": "bg", "owner": ""}
    )
    acct = Account.objects.for_tenant(org).get(name="Balkan Foods")
    assert response.status_code == 302
    assert response["Location"] == reverse("account_detail", args=[acct.pk])
    assert acct.country == "BG"


def test_the_new_account_form_proposes_the_user_as_owner(browser, admin):
    html = html_of(browser.get(reverse("account_create")))
    assert f'<option value="{admin.user.pk}" selected>' in html


def test_an_invalid_form_shows_errors_and_creates_nothing(browser, org):
    response = browser.post(reverse("account_create"), {"name": ""})
    assert 'class="error"' in html_of(response)
    assert not Account.objects.for_tenant(org).exists()


def test_a_contact_is_created_through_the_form_for_an_account(browser, admin, org):
    acct = factories.account(admin)
    form = html_of(browser.get(reverse("contact_create"), {"account": acct.pk}))
    assert f'<option value="{acct.pk}" selected>' in form
    browser.post(
        reverse("contact_create"),
        {"first_name": "Maria", "last_name": "Ivanova", "account": acct.pk},
    )
    assert Contact.objects.for_tenant(org).get(last_name="Ivanova").account_id == acct.pk


def test_an_account_is_edited_through_the_form(browser, admin):
    acct = factories.account(admin, name="Old Name")
    response = browser.post(
        reverse("account_edit", args=[acct.pk]),
        {"name": "New Name", "owner": admin.user.pk, "etag": acct.etag},
    )
    assert response.status_code == 302
    acct = current(acct)
    assert (acct.name, acct.version) == ("New Name", 2)


def test_the_edit_form_carries_the_records_etag(browser, admin):
    acct = factories.account(admin)
    html = html_of(browser.get(reverse("account_edit", args=[acct.pk])))
    assert f'name="etag" value="{escape(acct.etag)}"' in html


@pytest.mark.parametrize("kind", ["account", "contact"])
def test_an_edit_with_a_stale_etag_shows_an_error_and_changes_nothing(browser, admin, kind):
    if kind == "account":
        record = factories.account(admin, name="Original")
        stale_etag = record.etag
        customer_services.account_update(by=admin, account=record, fields={"city": "Varna"})
        data = {"name": "Overwritten"}
    else:
        record = factories.contact(admin, last_name="Original")
        stale_etag = record.etag
        customer_services.contact_update(by=admin, contact=record, fields={"title": "CEO"})
        data = {"last_name": "Overwritten"}

    response = browser.post(
        reverse(f"{kind}_edit", args=[record.pk]),
        data | {"owner": admin.user.pk, "etag": stale_etag},
    )

    html = html_of(response)
    assert "changed this record meanwhile" in html
    record = current(record)
    assert record.version == 2
    assert "Overwritten" not in (getattr(record, "name", "") + getattr(record, "last_name", ""))


def test_an_account_is_deleted_and_restored_through_the_pages(browser, admin):
    acct = factories.account(admin, name="Round Trip")
    deleted = browser.post(reverse("account_delete", args=[acct.pk]))
    assert deleted.status_code == 302 and deleted["Location"] == reverse("account_list")
    assert current(acct).is_deleted
    page = html_of(browser.get(reverse("account_detail", args=[acct.pk])))
    assert reverse("account_restore", args=[acct.pk]) in page

    restored = browser.post(reverse("account_restore", args=[acct.pk]))

    assert restored["Location"] == reverse("account_detail", args=[acct.pk])
    assert not current(acct).is_deleted


def test_a_contact_is_deleted_and_restored_through_the_pages(browser, admin):
    contact = factories.contact(admin)
    browser.post(reverse("contact_delete", args=[contact.pk]))
    assert current(contact).is_deleted
    browser.post(reverse("contact_restore", args=[contact.pk]))
    assert not current(contact).is_deleted


def test_delete_refuses_a_get(browser, admin):
    acct = factories.account(admin)
    assert browser.get(reverse("account_delete", args=[acct.pk])).status_code == 405
    assert not current(acct).is_deleted


def test_a_deleted_account_cannot_be_edited(browser, admin):
    acct = customer_services.account_delete(by=admin, account=factories.account(admin))
    assert browser.get(reverse("account_edit", args=[acct.pk])).status_code == 404


def test_the_account_page_lists_its_contacts(browser, admin):
    acct = factories.account(admin)
    factories.contact(admin, last_name="Ivanova", account_id=acct.pk)
    assert "Ivanova" in html_of(browser.get(reverse("account_detail", args=[acct.pk])))


# -- query counts of list pages ----------------------------------------------------------


def add_rows(page: str, admin, n: int) -> None:
    org = admin.tenant
    for _ in range(n):
        if page == "account_list":
            parent = factories.account(admin, name="Parent")
            acct = factories.account(admin, parent_id=parent.pk)
            factories.contact(admin, account_id=acct.pk)
        elif page == "contact_list":
            factories.contact(admin, account_id=factories.account(admin).pk)
        elif page == "team_list":
            person = factories.member(org, "sales_rep")
            factories.team(admin, manager=person, members=[admin, person])
        elif page == "user_list":
            factories.member(org, "sales_rep")


def queries_of(browser, page: str, **kwargs) -> int:
    browser.get(reverse("home"))  # warm up: the first request stores the chosen organisation
    with CaptureQueriesContext(connection) as captured:
        response = browser.get(reverse(page), **kwargs)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("page", ["account_list", "contact_list", "team_list", "user_list"])
def test_a_list_page_runs_as_many_queries_for_30_rows_as_for_5(browser, admin, page):
    add_rows(page, admin, 5)
    few = queries_of(browser, page)
    add_rows(page, admin, 25)
    many = queries_of(browser, page)
    assert many == few, f"{page}: {few} queries for 5 rows, {many} for 30"


@pytest.mark.parametrize("page", ["account_list", "contact_list"])
def test_an_htmx_list_fragment_runs_as_many_queries_for_30_rows_as_for_5(browser, admin, page):
    headers = {"HX-Request": "true"}
    add_rows(page, admin, 5)
    few = queries_of(browser, page, headers=headers)
    add_rows(page, admin, 25)
    many = queries_of(browser, page, headers=headers)
    assert many == few


def test_a_reps_list_page_runs_as_many_queries_for_30_rows_as_for_5(rep, web_as, org):
    browser = web_as(rep)
    org.reps_see_team_records = True
    org.save()
    for _ in range(5):
        factories.account(rep)
    few = queries_of(browser, "account_list")
    for _ in range(25):
        factories.account(rep)
    assert queries_of(browser, "account_list") == few
