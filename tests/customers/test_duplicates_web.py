"""Duplicates on the pages: candidates on the record forms, the review page, the scan."""

import pytest
from django.urls import reverse

from funia.customers import dedupe
from funia.customers.models import Account, Contact, DuplicateScan
from tests import factories


def finished_scan(by, record_type="contact") -> DuplicateScan:
    scan = dedupe.duplicate_scan_start(by=by, record_type=record_type)
    dedupe.duplicate_scan_run(tenant_id=by.tenant.pk, scan_id=scan.pk)
    return scan


# -- the record forms --------------------------------------------------------------------


def test_the_contact_form_shows_the_possible_duplicates_and_saves_nothing(admin, web_as):
    existing = factories.contact(admin, first_name="Georgi", last_name="Ivanov")

    response = web_as(admin).post(
        reverse("contact_create"), {"first_name": "Gosho", "last_name": "Ivanov"}
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "Possible duplicates" in html
    assert f'href="{reverse("contact_detail", args=[existing.pk])}"' in html
    assert "Georgi Ivanov" in html and "score 66" in html and "Nickname" in html
    assert 'name="on_duplicate" value="create"' in html
    assert 'value="Gosho"' in html  # what was typed is kept
    assert not Contact.objects.for_tenant(admin.tenant).filter(first_name="Gosho").exists()


def test_save_anyway_creates_the_contact(admin, web_as):
    factories.contact(admin, first_name="Georgi", last_name="Ivanov")

    response = web_as(admin).post(
        reverse("contact_create"),
        {"first_name": "Gosho", "last_name": "Ivanov", "on_duplicate": "create"},
    )

    created = Contact.objects.for_tenant(admin.tenant).get(first_name="Gosho")
    assert response.status_code == 302
    assert response["Location"] == reverse("contact_detail", args=[created.pk])


def test_the_edit_form_shows_duplicates_and_save_anyway_updates(admin, web_as):
    factories.contact(admin, first_name="Ivan", last_name="Petrov")
    other = factories.contact(admin, first_name="Maria", last_name="Koleva")
    browser = web_as(admin)
    url = reverse("contact_edit", args=[other.pk])
    data = {"first_name": "Иван", "last_name": "Петров", "etag": other.etag}

    shown = browser.post(url, data)
    saved = browser.post(url, data | {"on_duplicate": "create"})

    assert "Possible duplicates" in shown.content.decode()
    assert saved.status_code == 302
    other.refresh_from_db()
    assert (other.first_name, other.last_name) == ("Иван", "Петров")


def test_the_account_form_shows_an_account_with_the_same_domain(admin, web_as):
    existing = factories.account(admin, name="Balkan Foods", domain="balkanfoods.bg")
    browser = web_as(admin)
    data = {"name": "BF Group", "domain": "balkanfoods.bg"}

    shown = browser.post(reverse("account_create"), data).content.decode()
    browser.post(reverse("account_create"), data | {"on_duplicate": "create"})

    assert "Balkan Foods" in shown and "Same website domain" in shown
    assert f'href="{reverse("account_detail", args=[existing.pk])}"' in shown
    assert Account.objects.for_tenant(admin.tenant).filter(name="BF Group").exists()


def test_a_candidate_the_user_cannot_see_is_shown_without_its_name(admin, rep, web_as):
    factories.contact(admin, first_name="Secretina", last_name="Hiddenova")

    html = (
        web_as(rep)
        .post(reverse("contact_create"), {"first_name": "Secretina", "last_name": "Hiddenova"})
        .content.decode()
    )

    assert "A record you cannot see" in html
    assert html.count("Hiddenova") == 1  # the form's own field only
    assert not Contact.objects.for_tenant(admin.tenant).filter(owner=rep.user).exists()


# -- the review page ---------------------------------------------------------------------


def test_the_duplicates_page_lists_clusters_with_links_to_the_records_and_the_merge(admin, web_as):
    first = factories.contact(admin, first_name="Ivan", last_name="Petrov")
    second = factories.contact(admin, first_name="Петров", last_name="Иван")
    finished_scan(admin)

    html = web_as(admin).get(reverse("duplicate_list")).content.decode()

    assert f'href="{reverse("contact_detail", args=[first.pk])}"' in html
    assert f'href="{reverse("contact_detail", args=[second.pk])}"' in html
    assert f'href="/merge/new/?type=contact&amp;ids={first.pk},{second.pk}"' in html
    assert "First and last name swapped" in html
    assert "1 group of possible duplicates" in html


def test_the_duplicates_page_of_accounts_lists_account_clusters(admin, web_as):
    funia = factories.account(admin, name="Funiya Ltd")
    factories.account(admin, name="Фуния ООД")
    finished_scan(admin, "account")

    html = web_as(admin).get(reverse("duplicate_list"), {"type": "account"}).content.decode()

    assert f'href="{reverse("account_detail", args=[funia.pk])}"' in html
    assert "type=account&amp;ids=" in html


def test_the_duplicates_page_without_a_scan_invites_one(admin, web_as):
    html = web_as(admin).get(reverse("duplicate_list")).content.decode()

    assert "No scan yet." in html
    assert "Scan for duplicates" in html


@pytest.mark.parametrize(("role", "may_scan"), [("admin", True), ("sales_manager", True)])
def test_admins_and_managers_see_the_scan_button(org, web_as, role, may_scan):
    html = web_as(factories.member(org, role)).get(reverse("duplicate_list")).content.decode()
    assert ("Scan for duplicates" in html) is may_scan


@pytest.mark.parametrize("role", ["sales_rep", "analyst", "marketer", "service_agent"])
def test_other_roles_see_the_page_but_no_scan_button_and_cannot_scan(org, web_as, role):
    browser = web_as(factories.member(org, role))

    page = browser.get(reverse("duplicate_list"))
    refused = browser.post(reverse("duplicate_scan_start"), {"type": "contact"})

    assert page.status_code == 200
    assert "Scan for duplicates" not in page.content.decode()
    assert refused.status_code == 403
    assert not DuplicateScan.objects.for_tenant(org).exists()


def test_the_navigation_shows_duplicates_to_every_member(rep, web_as):
    html = web_as(rep).get(reverse("home")).content.decode()
    assert f'href="{reverse("duplicate_list")}"' in html


# -- the scan and its progress bar -------------------------------------------------------


def test_starting_a_scan_shows_a_progress_bar_that_polls_every_second(admin, web_as):
    response = web_as(admin).post(
        reverse("duplicate_scan_start"), {"type": "contact"}, headers={"HX-Request": "true"}
    )

    scan = DuplicateScan.objects.for_tenant(admin.tenant).get()
    html = response.content.decode()
    assert response.status_code == 200
    assert 'hx-trigger="every 1s"' in html
    assert f"watch={scan.pk}" in html
    assert "<progress" in html
    assert "Scan for duplicates" not in html  # no second scan while this one runs


def test_starting_a_scan_without_htmx_returns_to_the_page(admin, web_as):
    response = web_as(admin).post(reverse("duplicate_scan_start"), {"type": "account"})

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('duplicate_list')}?type=account"
    assert DuplicateScan.objects.for_tenant(admin.tenant).get().type == "account"


def test_the_progress_bar_shows_how_far_the_scan_has_read(admin, web_as):
    scan = dedupe.duplicate_scan_start(by=admin, record_type="contact")
    DuplicateScan.objects.for_tenant(admin.tenant).filter(pk=scan.pk).update(
        status="running", processed=250, total=1000
    )

    html = (
        web_as(admin)
        .get(
            reverse("duplicate_list"),
            {"type": "contact", "watch": scan.pk},
            headers={"HX-Request": "true"},
        )
        .content.decode()
    )

    assert 'value="25"' in html and "250 of 1000" in html
    assert 'hx-trigger="every 1s"' in html
    assert "<h1>" not in html  # the fragment only


def test_the_progress_bar_stops_and_the_page_reloads_when_the_scan_is_done(admin, web_as):
    factories.contact(admin, first_name="Ivan", last_name="Petrov")
    factories.contact(admin, first_name="Ivan", last_name="Petrov")
    scan = finished_scan(admin)
    browser = web_as(admin)
    poll = {"type": "contact", "watch": scan.pk}

    polled = browser.get(reverse("duplicate_list"), poll, headers={"HX-Request": "true"})
    page = browser.get(reverse("duplicate_list")).content.decode()

    assert polled["HX-Refresh"] == "true"
    assert "every 1s" not in page
    assert "Last scan" in page and "1 group found" in page
