"""The territory pages, the coverage page with its links and CSV export, the accounts and
deals behind its numbers, and the territory on the account card; in English and Bulgarian."""

import csv
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from funia.sales.models import Territory
from funia.sales.territories import services
from tests.sales.territories.conftest import EVER, PERIOD
from tests.sales.territories.helpers import account, territory

QUERY = {"from": PERIOD["start"].isoformat(), "to": PERIOD["end"].isoformat(), **EVER}


def html_lang(response) -> str:
    return re.search(r'<html lang="([^"]*)"', response.content.decode())[1]


@pytest.fixture(params=["en", "bg"])
def language(request, admin, rep):
    for actor in (admin, rep):
        actor.user.language = request.param
        actor.user.save(update_fields=["language"])
    return request.param


def test_an_admin_creates_a_territory_with_reps_on_the_form(admin, rep, web_as, language):
    browser = web_as(admin)
    form = browser.get("/settings/territories/new/")
    assert form.status_code == 200
    assert html_lang(form) == language
    assert 'type="checkbox" name="reps"' in form.content.decode()

    response = browser.post(
        "/settings/territories/new/",
        {
            "name": "Sofia & West",
            "is_active": "on",
            "countries": "BG\nRO",
            "regions": "Sofia City, Pernik",
            "min_employees": "10",
            "reps": [str(rep.user.pk)],
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    created = Territory.objects.for_tenant(admin.tenant).get()
    assert (created.countries, created.regions) == (["BG", "RO"], ["Sofia City", "Pernik"])
    assert services.current_rep_ids(created) == [rep.user.pk]
    detail = browser.get(response["Location"])
    assert html_lang(detail) == language
    assert "Sofia &amp; West" in detail.content.decode()
    assert str(rep.user) in detail.content.decode()
    listing = browser.get("/settings/territories/")
    assert "Sofia &amp; West" in listing.content.decode()


def test_the_form_shows_the_services_refusal(admin, web_as):
    response = web_as(admin).post(
        "/settings/territories/new/",
        {"name": "Bad", "min_employees": "500", "max_employees": "5", "countries": "Atlantis"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "The maximum must not be below the minimum." in html
    assert "Unknown country" in html
    assert not Territory.objects.for_tenant(admin.tenant).exists()


def test_editing_keeps_the_reps_and_changes_the_rules(admin, rep, web_as):
    t = territory(admin, "T", countries=["BG"], rep_ids=[rep.user.pk])
    browser = web_as(admin)
    form = browser.get(f"/settings/territories/{t.pk}/edit/").content.decode()
    assert re.search(rf'value="{rep.user.pk}"[^>]*checked', form)
    response = browser.post(
        f"/settings/territories/{t.pk}/edit/",
        {"name": "T", "countries": "RO", "reps": [str(rep.user.pk)], "etag": t.etag},
    )
    assert response.status_code == 302
    t.refresh_from_db()
    assert t.countries == ["RO"]
    assert services.current_rep_ids(t) == [rep.user.pk]


def test_territories_are_moved_in_the_order_and_trashed_and_restored(admin, web_as):
    a, b = territory(admin, "Alpha"), territory(admin, "Beta")
    browser = web_as(admin)
    browser.post(f"/settings/territories/{b.pk}/move/", {"direction": "up"})
    order = Territory.objects.for_tenant(admin.tenant).order_by("position", "id")
    assert [t.name for t in order] == ["Beta", "Alpha"]
    browser.post(f"/settings/territories/{a.pk}/delete/")
    trash = browser.get("/settings/territories/", {"deleted": "true"}).content.decode()
    assert "Alpha" in trash
    browser.post(f"/settings/territories/{a.pk}/restore/")
    assert Territory.objects.for_tenant(admin.tenant).count() == 2


def test_other_roles_read_territories_but_are_refused_writes(admin, rep, web_as):
    t = territory(admin, "T")
    browser = web_as(rep)
    detail = browser.get(f"/settings/territories/{t.pk}/")
    assert detail.status_code == 200
    assert f"/settings/territories/{t.pk}/edit/" not in detail.content.decode()
    assert browser.post(f"/settings/territories/{t.pk}/delete/").status_code == 403
    assert browser.post("/settings/territories/new/", {"name": "Mine"}).status_code == 403
    assert (
        browser.post(f"/settings/territories/{t.pk}/move/", {"direction": "up"}).status_code == 403
    )
    assert Territory.objects.for_tenant(admin.tenant).get().name == "T"


def test_the_coverage_page_links_every_number_to_its_records(scene, web_as, language):
    browser = web_as(scene.admin)
    page = browser.get("/reports/territories/", QUERY)
    assert page.status_code == 200
    assert html_lang(page) == language
    html = page.content.decode()
    assert "Bulgaria" in html
    assert "2,080.00" in html or "2\xa0080,00" in html or "2 080,00" in html
    links = set(re.findall(r'href="([^"]+)"', html.replace("&amp;", "&")))
    bg = scene.bulgaria.pk
    # The accounts behind prospects and customers are those of the same active window.
    assert f"/reports/territories/accounts/?territory={bg}&status=customer&active_months=120" in (
        links
    )
    assert "/reports/territories/accounts/?territory=none&status=prospect&active_months=120" in (
        links
    )
    assert f"/reports/territories/deals/?territory={bg}&status=open" in links
    assert (
        f"/reports/territories/deals/?territory={bg}&status=won&from=2025-01-01&to=2025-07-01"
        in links
    )

    # Each page behind a number lists exactly that many records.
    customers = browser.get(
        "/reports/territories/accounts/", {"territory": bg, "status": "customer", **EVER}
    )
    assert 'data-count="2"' in customers.content.decode()
    won = browser.get(
        "/reports/territories/deals/", {"territory": bg, "status": "won", **QUERY}
    ).content.decode()
    assert 'data-count="3"' in won
    nowhere = browser.get("/reports/territories/deals/", {"territory": "none", "status": "open"})
    assert 'data-count="1"' in nowhere.content.decode()


def test_the_links_of_the_default_window_do_not_repeat_it(scene, web_as):
    html = web_as(scene.admin).get("/reports/territories/").content.decode()
    links = set(re.findall(r'href="([^"]+)"', html.replace("&amp;", "&")))
    bg = scene.bulgaria.pk
    assert f"/reports/territories/accounts/?territory={bg}&status=customer" in links
    assert 'name="active_months"' in html


def test_an_old_win_makes_a_prospect_on_the_page_and_a_wider_window_a_customer(scene, web_as):
    browser = web_as(scene.admin)
    bg = scene.bulgaria.pk
    # The scene's wins are of 2024 and 2025: a one-month window ending today has none.
    narrow = {"territory": bg, "active_months": "1"}
    customers = browser.get("/reports/territories/accounts/", {**narrow, "status": "customer"})
    prospects = browser.get("/reports/territories/accounts/", {**narrow, "status": "prospect"})
    assert 'data-count="0"' in customers.content.decode()
    assert 'data-count="3"' in prospects.content.decode()
    wide = browser.get(
        "/reports/territories/accounts/", {"territory": bg, "status": "customer", **EVER}
    )
    assert 'data-count="2"' in wide.content.decode()


@pytest.mark.parametrize("months", ["0", "121", "twelve"])
def test_a_bad_active_window_is_shown_and_the_default_used(scene, web_as, months):
    browser = web_as(scene.admin)
    page = browser.get("/reports/territories/", {**QUERY, "active_months": months})
    html = page.content.decode()
    assert page.status_code == 200
    assert "alert-error" in html and "active_months" in html
    # The valid period is kept; the window falls back to twelve months.
    assert "2,080.00" in html
    accounts = browser.get(
        "/reports/territories/accounts/", {"territory": scene.bulgaria.pk, "active_months": months}
    )
    assert accounts.status_code == 200
    assert "alert-error" in accounts.content.decode()


def test_the_coverage_fragment_for_htmx(scene, web_as):
    response = web_as(scene.admin).get(
        "/reports/territories/", QUERY, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert html.startswith('<div id="coverage">') and "<html" not in html


def test_a_bad_period_is_shown_not_failed(scene, web_as):
    response = web_as(scene.admin).get(
        "/reports/territories/", {"from": "2025-07-01", "to": "2025-01-01"}
    )
    assert response.status_code == 200
    assert "alert-error" in response.content.decode()


def test_the_coverage_csv_neutralises_formulas(admin, web_as):
    territory(admin, '=HYPERLINK("http://evil.example")', countries=["BG"])
    account(admin, "Shop", country="BG")
    response = web_as(admin).get("/reports/territories/", {"format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:3] == ["Territory", "Reps", "Accounts"]
    assert rows[1][0].startswith("'=")
    assert rows[1][2] == "1"
    assert rows[-1][0] == "Total"


def test_the_pages_behind_the_numbers_show_a_rep_only_their_records(scene, web_as):
    browser = web_as(scene.rep)
    accounts = browser.get(
        "/reports/territories/accounts/", {"territory": scene.bulgaria.pk}
    ).content.decode()
    assert 'data-count="2"' in accounts
    assert "Manager&#x27;s Varna shop" not in accounts


@pytest.mark.parametrize("page", ["accounts", "deals"])
def test_an_unknown_territory_behind_a_number_is_not_found(scene, web_as, other_org_records, page):
    browser = web_as(scene.admin)
    for value in (
        other_org_records.ids["territory"],
        other_org_records.ids["territory_deleted"],
        "x",
        "0",
    ):
        response = browser.get(f"/reports/territories/{page}/", {"territory": value})
        assert response.status_code == 404
    assert browser.get(f"/reports/territories/{page}/").status_code == 302


def test_the_coverage_page_costs_a_fixed_number_of_queries(scene, web_as):
    browser = web_as(scene.admin)
    browser.get("/reports/territories/")  # warm the session and caches
    with CaptureQueriesContext(connection) as few:
        browser.get("/reports/territories/")
    for n in range(4):
        territory(scene.admin, f"Extra {n}", countries=["AT"], regions=[f"R{n}"])
        account(scene.admin, f"Extra {n}", country="AT", region=f"R{n}")
    with CaptureQueriesContext(connection) as many:
        browser.get("/reports/territories/")
    assert len(few) == len(many)


def test_the_account_card_shows_its_territory_and_reps(scene, web_as):
    browser = web_as(scene.admin)
    card = browser.get(f"/accounts/{scene.accounts['rep_bg'].pk}/").content.decode()
    assert "Bulgaria" in card and str(scene.rep.user) in card
    nowhere = browser.get(f"/accounts/{scene.accounts['ro_small'].pk}/").content.decode()
    assert "No territory" in nowhere


def test_the_territory_list_page_costs_the_same_queries_for_more_territories(admin, rep, web_as):
    browser = web_as(admin)
    territory(admin, "First", rep_ids=[rep.user.pk])
    browser.get("/settings/territories/")
    with CaptureQueriesContext(connection) as few:
        browser.get("/settings/territories/")
    for n in range(5):
        territory(admin, f"More {n}", rep_ids=[rep.user.pk], countries=["BG"])
    with CaptureQueriesContext(connection) as many:
        html = browser.get("/settings/territories/").content.decode()
    assert "More 4" in html
    assert len(few) == len(many)
