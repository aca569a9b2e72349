"""The search page, the top bar's box and its live results (one view, page or fragment)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests import factories

LIVE = {"HX-Request": "true", "HX-Target": "search-live"}


@pytest.fixture
def web(admin, web_as):
    return web_as(admin)


def html_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_the_search_page_lists_the_hits_with_links(web, admin):
    ivan = factories.contact(admin, first_name="Иван", last_name="Петров")
    html = html_of(web.get(reverse("search"), {"q": "ivan petrov"}))
    assert "<h1>Search</h1>" in html
    assert 'value="ivan petrov"' in html
    assert f'href="{reverse("contact_detail", args=[ivan.pk])}"' in html
    assert "Иван Петров" in html


def test_the_search_page_without_a_query_explains_what_to_type(web):
    html = html_of(web.get(reverse("search")))
    assert "phone number" in html


def test_the_search_page_says_when_nothing_is_found(web):
    html = html_of(web.get(reverse("search"), {"q": "zzyzx"}))
    assert "Nothing found for “zzyzx”" in html


def test_the_search_page_filters_by_record_type(web, admin):
    acme = factories.account(admin, name="Acme")
    factories.contact(admin, last_name="Ivanova", account_id=acme.pk)
    html = html_of(web.get(reverse("search"), {"q": "acme", "types": "contact"}))
    assert "Ivanova" in html and reverse("account_detail", args=[acme.pk]) not in html
    assert 'value="contact" checked' in html


def test_the_live_results_are_a_fragment_with_a_link_to_all_results(web, admin):
    factories.contact(admin, first_name="Иван", last_name="Петров")
    html = html_of(web.get(reverse("search"), {"q": "petrov"}, headers=LIVE))
    assert "<html" not in html
    assert "Иван Петров" in html
    assert f'href="{reverse("search")}?q=petrov"' in html


def test_the_live_results_show_at_most_eight(web, admin):
    for n in range(10):
        factories.contact(admin, last_name=f"Ivanova{n}")
    html = html_of(web.get(reverse("search"), {"q": "ivanova"}, headers=LIVE))
    assert html.count("<li>") == 8


def test_the_live_results_of_an_empty_box_are_empty(web):
    assert html_of(web.get(reverse("search"), {"q": ""}, headers=LIVE)).strip() == ""


def test_an_htmx_request_from_the_search_page_gets_the_results_fragment(web, admin):
    factories.contact(admin, last_name="Ivanova")
    headers = {"HX-Request": "true", "HX-Target": "search-results"}
    html = html_of(web.get(reverse("search"), {"q": "ivanova"}, headers=headers))
    assert "<html" not in html and "Ivanova" in html
    assert "All results" not in html


def test_every_page_has_the_search_box_with_its_shortcut(web):
    html = html_of(web.get(reverse("home")))
    assert 'role="search"' in html
    assert 'id="global-search"' in html
    assert 'aria-keyshortcuts="/"' in html
    assert f'hx-get="{reverse("search")}"' in html
    assert 'hx-trigger="input changed delay:250ms, search"' in html


def test_the_search_page_is_for_members_only(client, org):
    response = client.get(reverse("search"), {"q": "x"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_nul_character_in_the_query_is_harmless(web):
    assert web.get(reverse("search"), {"q": "iv\x00an"}).status_code == 200


def test_the_number_of_queries_does_not_grow_with_the_hits(web, admin):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            web.get(reverse("search"), {"q": "ivanova"}, headers=LIVE)
        return len(captured)

    acme = factories.account(admin, name="Acme")
    factories.contact(admin, last_name="Ivanova", account_id=acme.pk, emails=["a@b.example"])
    web.get(reverse("home"))
    few = queries()
    for n in range(6):
        factories.contact(admin, last_name=f"Ivanova{n}", account_id=acme.pk, phones=["0888123456"])
    assert queries() == few
