"""The rep's quote pages: the list, a quote (lines edited in place with HTMX, approval,
sending, versions, the customer's answer), a new quote from a deal, the deal's quotes
block, and other organisations' quotes (404)."""

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from funia.core import periods
from funia.sales.models import Order, Quote
from funia.sales.quotes import services
from funia.sales.quotes.models import QuoteStatus
from tests import factories

HTMX = {"HX-Request": "true"}


def reread(quote):
    return Quote.objects.for_tenant(quote.tenant_id, with_deleted=True).get(pk=quote.pk)


@pytest.fixture
def browser(shop, web_as):
    return web_as(shop.rep)


def text(response) -> str:
    return response.content.decode()


# -- the list ---------------------------------------------------------------------------------


def test_the_list_shows_each_quote_with_its_status_and_total(browser, shop):
    shop.sent_quote()

    response = browser.get("/quotes/")

    html = text(response)
    assert response.status_code == 200
    assert "Q-00001" in html
    assert "Fleet renewal" in html
    assert "Balkan Foods" in html
    assert "71,000.00 EUR" not in html  # the list shows the total with tax
    assert "85,200.00 EUR" in html  # 71,000.00 + 20 % tax
    assert ">Sent<" in html


def test_the_list_filters_by_status(browser, shop):
    shop.sent_quote()
    shop.quote(title="A draft for later")

    html = text(browser.get("/quotes/", {"status": "draft"}, headers=HTMX))

    assert "A draft for later" in html
    assert "Q-00001<" not in html


def test_the_list_shows_mine_only_when_asked(shop, web_as):
    shop.quote(title="The rep's quote")
    browser = web_as(shop.manager)

    assert "The rep&#x27;s quote" in text(browser.get("/quotes/"))
    assert "The rep&#x27;s quote" not in text(browser.get("/quotes/", {"mine": "true"}))


def test_the_list_hides_replaced_versions_unless_asked(browser, shop):
    old = shop.sent_quote()
    services.quote_revise(by=shop.rep, quote=old)

    latest = text(browser.get("/quotes/"))
    every = text(browser.get("/quotes/", {"all_versions": "1"}))

    assert "Q-00001 v2" in latest
    assert f'href="/quotes/{old.pk}/"' not in latest
    assert f'href="/quotes/{old.pk}/"' in every


def test_the_list_costs_the_same_queries_for_more_quotes(browser, shop):
    def add(n):
        for _ in range(n):
            shop.service_line(shop.quote())

    add(2)
    browser.get("/quotes/")
    with CaptureQueriesContext(connection) as few:
        browser.get("/quotes/")
    add(5)
    with CaptureQueriesContext(connection) as more:
        assert text(browser.get("/quotes/")).count('href="/quotes/') >= 7

    assert len(more) == len(few)


# -- one quote --------------------------------------------------------------------------------


def test_a_quote_page_shows_its_lines_totals_and_versions(browser, shop):
    quote = shop.quote(discount_percent=5)
    shop.car_line(quote, "Red", "Leather", "Premium", quantity=2, discount=3)

    html = text(browser.get(f"/quotes/{quote.pk}/"))

    assert "Roadster (Colour: Red, Seats: Leather, Packages: Premium)" in html
    assert "71,000.00 EUR" in html
    assert "5,573.50 EUR" in html
    assert "13,085.30 EUR" in html
    assert "78,511.80 EUR" in html
    assert 'aria-labelledby="versions-title"' in html
    assert f'href="/opportunities/{shop.deal.pk}/"' in html


def test_a_draft_offers_its_priced_products_and_marks_the_configurable_one(browser, shop):
    quote = shop.quote()

    html = text(browser.get(f"/quotes/{quote.pk}/"))

    assert "Add product" in html
    assert re.search(r"Roadster \(CAR-1\) · 30,000.00 EUR · configure", html)
    assert "Service plan (SRV-1) · 1,234.56 EUR<" in html


def test_adding_a_product_with_htmx_answers_the_lines_and_totals(browser, shop):
    quote = shop.quote()

    response = browser.post(
        f"/quotes/{quote.pk}/lines/",
        {"op": "add", "product": shop.service.pk, "quantity": "2", "discount_percent": "0"},
        headers=HTMX,
    )

    html = text(response)
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="quote-work"')
    assert "Service plan" in html
    assert "2,469.12 EUR" in html
    assert reread(quote).subtotal == Decimal("2469.12")


def test_adding_a_configurable_product_opens_the_configurator_for_the_deal(browser, shop):
    quote = shop.quote()

    response = browser.post(
        f"/quotes/{quote.pk}/lines/",
        {"op": "add", "product": shop.car.product.pk, "quantity": "1"},
        headers=HTMX,
    )

    assert response["HX-Redirect"] == (
        f"/products/{shop.car.product.pk}/configure/"
        f"?opportunity={shop.deal.pk}&price_book={shop.book.pk}"
    )
    assert not quote.lines.exists()


def test_changing_a_lines_quantity_with_htmx_updates_the_totals(browser, shop):
    quote = shop.quote()
    line = shop.service_line(quote)

    response = browser.post(
        f"/quotes/{quote.pk}/lines/",
        {"op": "update", "line": line.pk, "quantity": "3", "discount_percent": "0"},
        headers=HTMX,
    )

    assert "3,703.68 EUR" in text(response)
    assert reread(quote).subtotal == Decimal("3703.68")


def test_a_line_discount_above_the_limit_asks_for_approval_instead_of_sending(browser, shop):
    quote = shop.quote()
    line = shop.service_line(quote)

    html = text(
        browser.post(
            f"/quotes/{quote.pk}/lines/",
            {"op": "update", "line": line.pk, "quantity": "1", "discount_percent": "20"},
            headers=HTMX,
        )
    )

    assert "needs a sales manager's approval before the quote is sent" in html
    assert "Request approval" in html
    assert f'action="/quotes/{quote.pk}/send/"' not in html


def test_an_invalid_line_change_is_explained_and_changes_nothing(browser, shop):
    quote = shop.quote()
    line = shop.service_line(quote)

    html = text(
        browser.post(
            f"/quotes/{quote.pk}/lines/",
            {"op": "update", "line": line.pk, "quantity": "1", "discount_percent": "120"},
            headers=HTMX,
        )
    )

    assert 'role="alert"' in html
    line.refresh_from_db()
    assert line.discount_percent == 0


def test_removing_a_line_with_htmx(browser, shop):
    quote = shop.quote()
    line = shop.service_line(quote)

    html = text(browser.post(f"/quotes/{quote.pk}/lines/", {"op": "remove", "line": line.pk}))

    assert not quote.lines.exists()
    assert html == ""  # without HTMX: back to the quote's page


def test_a_line_of_another_quote_is_not_found(browser, shop):
    mine = shop.quote()
    other = shop.quote()
    line = shop.service_line(other)

    response = browser.post(f"/quotes/{mine.pk}/lines/", {"op": "remove", "line": line.pk})

    assert response.status_code == 404
    assert other.lines.exists()


def test_the_draft_fields_are_saved_from_the_quote_page(browser, shop):
    quote = shop.quote()
    day = periods.today(quote.tenant) + datetime.timedelta(days=14)

    response = browser.post(
        f"/quotes/{quote.pk}/edit/",
        {
            "title": "Roadsters 2027",
            "contact": shop.contact.pk,
            "price_book": shop.book.pk,
            "discount_percent": "4",
            "valid_until": day.isoformat(),
            "notes": "Delivery in spring",
        },
    )

    assert response.status_code == 302
    quote = reread(quote)
    assert (quote.title, quote.discount_percent, quote.valid_until, quote.notes) == (
        "Roadsters 2027",
        Decimal(4),
        day,
        "Delivery in spring",
    )
    assert quote.update_opportunity_amount is False


def test_a_sent_quotes_fields_cannot_be_saved_and_the_page_says_why(browser, shop):
    quote = shop.sent_quote()

    response = browser.post(f"/quotes/{quote.pk}/edit/", {"title": "Cheaper"}, follow=True)

    assert "revise it to make a new version" in text(response)
    assert reread(quote).title == "Fleet renewal"


def test_adding_a_product_without_a_price_is_explained(browser, shop, admin):
    unpriced = factories.product(admin, sku="NEW-1", name="Not in the book")
    quote = shop.quote()

    response = browser.post(
        f"/quotes/{quote.pk}/lines/",
        {"op": "add", "product": unpriced.pk, "quantity": "1"},
        follow=True,
    )

    assert "Product: Select a valid choice." in text(response)
    assert not quote.lines.exists()


def test_sending_from_the_page_shows_the_customers_link(browser, shop):
    quote = shop.quote()
    shop.service_line(quote)

    response = browser.post(f"/quotes/{quote.pk}/send/", follow=True)

    html = text(response)
    assert f'value="http://testserver/q/{reread(quote).public_token}/"' in html
    assert reread(quote).status == QuoteStatus.SENT


def test_a_refused_send_is_explained_on_the_page(browser, shop):
    quote = shop.quote(discount_percent=30)
    shop.service_line(quote)

    response = browser.post(f"/quotes/{quote.pk}/send/", follow=True)

    assert "A discount above 15 % needs a sales manager&#x27;s approval first." in text(response)
    assert reread(quote).status == QuoteStatus.DRAFT


def test_the_team_manager_approves_from_the_quote_page(shop, web_as):
    quote = shop.quote(discount_percent=30)
    shop.service_line(quote)
    manager = web_as(shop.manager)

    page = text(manager.get(f"/quotes/{quote.pk}/"))
    manager.post(f"/quotes/{quote.pk}/approval/", {"action": "approve", "note": "OK"})

    assert 'value="approve"' in page
    assert reread(quote).approval_status == "approved"


def test_the_rep_sees_no_approve_button_on_their_own_quote(browser, shop):
    quote = shop.quote(discount_percent=30)

    assert 'value="approve"' not in text(browser.get(f"/quotes/{quote.pk}/"))


def test_the_rep_cannot_approve_by_posting_anyway(browser, shop):
    quote = shop.quote(discount_percent=30)

    response = browser.post(f"/quotes/{quote.pk}/approval/", {"action": "approve"})

    assert response.status_code == 403
    assert reread(quote).approval_status == "pending"


def test_revising_from_the_page_opens_the_new_version(browser, shop):
    quote = shop.sent_quote()

    response = browser.post(f"/quotes/{quote.pk}/revise/")

    revision = reread(quote).superseded_by
    assert response.status_code == 302
    assert response["Location"] == f"/quotes/{revision.pk}/"
    assert "Q-00001 v2" in text(browser.get(response["Location"]))


def test_the_rep_records_the_customers_acceptance_from_the_page(browser, shop):
    quote = shop.sent_quote()

    browser.post(f"/quotes/{quote.pk}/decision/", {"decision": "accept", "name": "Elena Petrova"})

    html = text(browser.get(f"/quotes/{quote.pk}/"))
    order = Order.objects.for_tenant(quote.tenant).get(quote=quote)
    assert order.reference in html
    assert f'href="/orders/{order.pk}/"' in html


def test_the_pdf_downloads_from_the_quote_page(browser, shop):
    quote = shop.sent_quote()

    response = browser.get(f"/quotes/{quote.pk}/pdf/")

    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_a_draft_is_deleted_from_its_page(browser, shop):
    quote = shop.quote()

    response = browser.post(f"/quotes/{quote.pk}/delete/")

    assert response["Location"] == "/quotes/"
    assert reread(quote).is_deleted


# -- a new quote from a deal and the deal's page ---------------------------------------------


def test_a_new_quote_is_made_from_the_deal_and_opens(browser, shop):
    form = browser.get("/quotes/new/", {"opportunity": shop.deal.pk})

    response = browser.post(
        f"/quotes/new/?opportunity={shop.deal.pk}", {"price_book": shop.book.pk}
    )

    quote = Quote.objects.for_tenant(shop.deal.tenant).get()
    assert "Fleet renewal" in text(form)
    assert response["Location"] == f"/quotes/{quote.pk}/"
    assert (quote.opportunity_id, quote.status) == (shop.deal.pk, QuoteStatus.DRAFT)


def test_the_deals_new_quote_button_makes_a_draft_in_the_default_book(browser, shop):
    response = browser.post(f"/quotes/new/?opportunity={shop.deal.pk}")

    quote = Quote.objects.for_tenant(shop.deal.tenant).get()
    assert response["Location"] == f"/quotes/{quote.pk}/"
    assert quote.price_book_id == shop.book.pk


def test_a_deal_of_another_organisation_makes_no_quote(browser, shop, other_org_records):
    deal = other_org_records.ids["opportunity"]
    before = other_org_records.snapshot()

    response = browser.post(f"/quotes/new/?opportunity={deal}", {"price_book": shop.book.pk})

    assert response.status_code == 302
    assert response["Location"] == "/opportunities/"
    assert not Quote.objects.for_tenant(shop.deal.tenant).exists()
    assert other_org_records.snapshot() == before


def test_the_deal_page_lists_its_quotes_and_offers_new_ones(browser, shop):
    quote = shop.sent_quote()

    html = text(browser.get(f"/opportunities/{shop.deal.pk}/"))

    assert f'href="/quotes/{quote.pk}/"' in html
    assert "85,200.00 EUR" in html
    assert f'action="/quotes/new/?opportunity={shop.deal.pk}"' in html
    assert (
        f'href="/products/{shop.car.product.pk}/configure/'
        f'?opportunity={shop.deal.pk}&amp;price_book={shop.book.pk}"'
    ) in html


# -- access -----------------------------------------------------------------------------------


def test_another_reps_quote_is_not_found(shop, web_as):
    quote = shop.quote()

    assert web_as(shop.other_rep).get(f"/quotes/{quote.pk}/").status_code == 404


PAGES = [
    ("get", ""),
    ("get", "pdf/"),
    ("post", "edit/"),
    ("post", "lines/"),
    ("post", "send/"),
    ("post", "approval/"),
    ("post", "revise/"),
    ("post", "decision/"),
    ("post", "delete/"),
    ("post", "restore/"),
]


@pytest.mark.parametrize(("method", "page"), PAGES)
@pytest.mark.parametrize("kind", ["quote", "quote_deleted"])
def test_another_organisations_quote_is_not_found_on_any_page(
    shop, web_as, other_org_records, method, page, kind
):
    before = other_org_records.snapshot()
    url = f"/quotes/{other_org_records.ids[kind]}/{page}"

    response = getattr(web_as(shop.admin), method)(
        url, {"op": "remove", "action": "approve", "decision": "accept", "name": "Hijacker"}
    )

    assert response.status_code == 404
    assert not other_org_records.leaked_markers(text(response))
    assert other_org_records.snapshot() == before


def test_the_quote_list_never_shows_another_organisations_quotes(shop, web_as, other_org_records):
    browser = web_as(shop.admin)

    for query in ({}, {"deleted": "true"}, {"all_versions": "1"}):
        response = browser.get("/quotes/", query)
        assert not other_org_records.leaked_markers(text(response))


# -- recipients and prices as the rep sees them -----------------------------------------------


def test_the_recipient_choices_leave_out_contacts_the_rep_does_not_see(browser, shop, admin):
    factories.contact(
        admin, first_name="Hidden", account_id=shop.account.pk, owner_id=admin.user.pk
    )
    quote = shop.quote()

    html = text(browser.get(f"/quotes/{quote.pk}/"))

    assert "Elena Petrova" in html
    assert "Hidden" not in html


def test_posting_a_recipient_the_rep_does_not_see_changes_nothing(browser, shop, admin):
    hidden = factories.contact(
        admin, first_name="Hidden", account_id=shop.account.pk, owner_id=admin.user.pk
    )
    quote = shop.quote()

    response = browser.post(
        f"/quotes/{quote.pk}/edit/",
        {"title": "Roadsters", "contact": hidden.pk, "price_book": shop.book.pk},
    )

    assert response.status_code == 200
    assert reread(quote).contact_id == shop.contact.pk


def test_the_product_prices_follow_the_bulgarian_number_format(browser, shop):
    shop.rep.user.language = "bg"
    shop.rep.user.save(update_fields=["language"])
    quote = shop.quote()

    with translation.override("en"):  # the page's language is not kept after it
        html = text(browser.get(f"/quotes/{quote.pk}/"))

    assert "Service plan (SRV-1) · 1\xa0234,56 EUR<" in html
