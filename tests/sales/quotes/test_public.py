"""The customer's quote page (no login): the quote, accept with a typed name, decline with a
reason, the PDF; replaced, expired, decided and draft quotes; other tokens."""

import datetime
from decimal import Decimal

import pytest
from django.test import Client

from funia.core import periods
from funia.core.models import Membership, Notification, Role
from funia.sales.models import Opportunity, Order, Quote
from funia.sales.quotes import services
from funia.sales.quotes.models import QuoteStatus
from tests.sales.quotes.conftest import assert_the_totals_add_up, printed_totals


@pytest.fixture
def customer():
    return Client()


def url(quote) -> str:
    return f"/q/{quote.public_token}/"


def reread(quote):
    return Quote.objects.for_tenant(quote.tenant_id, with_deleted=True).get(pk=quote.pk)


def text(response) -> str:
    return response.content.decode()


def test_the_customer_sees_the_quote_without_signing_in(customer, shop):
    quote = shop.sent_quote()

    response = customer.get(url(quote))

    html = text(response)
    assert response.status_code == 200
    assert response["X-Robots-Tag"] == "noindex"
    assert "Acme Sales" in html
    assert "VAT BG123456789" in html
    assert "Balkan Foods" in html
    assert "Roadster (Colour: Red, Seats: Leather, Packages: Premium)" in html
    assert "85,200.00 EUR" in html
    assert "Accept this quote" in html
    assert "Decline this quote" in html
    assert f'href="/q/{quote.public_token}/pdf/"' in html


def test_the_customer_page_shows_nothing_internal(customer, shop):
    quote = shop.quote(discount_percent=20)
    shop.service_line(quote)
    services.quote_approve(by=shop.manager, quote=quote, note="Internal: margin is thin")
    quote = services.quote_send(by=shop.rep, quote=reread(quote))

    html = text(customer.get(url(quote)))

    assert "margin is thin" not in html
    assert shop.rep.user.email not in html
    assert "sidenav" not in html


def test_accepting_with_a_typed_name_creates_the_order_and_shows_its_reference(customer, shop):
    quote = shop.sent_quote()

    response = customer.post(url(quote), {"decision": "accept", "name": "Elena Petrova"})
    page = customer.get(response["Location"])

    order = Order.objects.for_tenant(quote.tenant).get(quote=quote)
    assert response.status_code == 302
    assert reread(quote).decided_by_name == "Elena Petrova"
    assert f"Your order reference is {order.reference}." in text(page)
    assert "Accept this quote" not in text(page)


def test_accepting_updates_the_deals_amount_and_tells_the_owner(customer, shop):
    quote = shop.sent_quote()

    customer.post(url(quote), {"decision": "accept", "name": "Elena Petrova"})

    deal = Opportunity.objects.for_tenant(quote.tenant).get(pk=shop.deal.pk)
    assert deal.amount == Decimal("71000.00")
    assert Notification.objects.filter(
        tenant=quote.tenant, user=shop.rep.user, kind="quote_accepted"
    ).exists()


def test_accepting_without_a_name_is_refused_and_changes_nothing(customer, shop):
    quote = shop.sent_quote()

    response = customer.post(url(quote), {"decision": "accept", "name": " "})

    assert response.status_code == 400
    assert "Type your full name to accept." in text(response)
    assert reread(quote).status == QuoteStatus.SENT
    assert not Order.objects.for_tenant(quote.tenant).exists()


def test_declining_keeps_the_reason_and_says_thank_you(customer, shop):
    quote = shop.sent_quote()

    response = customer.post(url(quote), {"decision": "reject", "reason": "We chose a van"})
    page = text(customer.get(response["Location"]))

    assert reread(quote).decision_note == "We chose a van"
    assert "This quote was declined on" in page
    assert "Decline this quote" not in page


def test_declining_without_a_reason_is_refused(customer, shop):
    quote = shop.sent_quote()

    response = customer.post(url(quote), {"decision": "reject", "reason": ""})

    assert response.status_code == 400
    assert reread(quote).status == QuoteStatus.SENT


def test_an_expired_quote_says_so_and_offers_no_buttons(customer, shop):
    quote = shop.sent_quote()
    past = periods.today(quote.tenant) - datetime.timedelta(days=3)
    Quote.objects.for_tenant(quote.tenant).filter(pk=quote.pk).update(valid_until=past)

    page = text(customer.get(url(quote)))
    refused = customer.post(url(quote), {"decision": "accept", "name": "Elena Petrova"})

    assert "This quote expired on" in page
    assert "Accept this quote" not in page
    assert refused.status_code == 400
    assert "This quote expired on" in text(refused)
    assert reread(quote).status == QuoteStatus.EXPIRED


def test_a_replaced_quote_says_so_and_cannot_be_accepted(customer, shop):
    old = shop.sent_quote()
    services.quote_revise(by=shop.rep, quote=old)

    page = text(customer.get(url(old)))
    refused = customer.post(url(old), {"decision": "accept", "name": "Elena Petrova"})

    assert "replaced by a newer version" in page
    assert "Accept this quote" not in page
    assert refused.status_code == 400
    assert reread(old).status == QuoteStatus.SENT
    assert not Order.objects.for_tenant(old.tenant).exists()


def test_a_drafts_link_does_not_exist_yet(customer, shop):
    quote = shop.quote()

    assert customer.get(url(quote)).status_code == 404
    assert customer.get(f"{url(quote)}pdf/").status_code == 404


def test_a_deleted_revision_no_longer_has_a_link(customer, shop):
    quote = shop.quote()
    services.quote_delete(by=shop.rep, quote=quote)

    assert customer.get(url(quote)).status_code == 404


@pytest.mark.parametrize("token", ["nope", "x" * 65, "rival-secret-quote-token-1"])
def test_unknown_tokens_are_not_found(customer, shop, other_org_records, token):
    response = customer.get(f"/q/{token}/")

    assert response.status_code == 404
    assert not other_org_records.leaked_markers(text(response))


def test_another_organisations_quote_id_is_not_a_token(shop, web_as, other_org_records):
    browser = web_as(shop.admin)

    for kind in ("quote", "quote_deleted"):
        response = browser.get(f"/q/{other_org_records.ids[kind]}/")
        assert response.status_code == 404
        assert not other_org_records.leaked_markers(text(response))


def test_the_customer_downloads_the_pdf(customer, shop):
    quote = shop.sent_quote()

    response = customer.get(f"{url(quote)}pdf/")

    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="Q-00001.pdf"'
    assert response.content.startswith(b"%PDF")


def test_the_decision_forms_keep_csrf_protection(shop):
    quote = shop.sent_quote()
    strict = Client(enforce_csrf_checks=True)

    response = strict.post(url(quote), {"decision": "accept", "name": "Elena Petrova"})

    assert response.status_code == 403
    assert reread(quote).status == QuoteStatus.SENT


# -- the printed totals, caching, an owner who can no longer write ----------------------------


def test_the_customers_page_prints_discount_rows_that_add_up_to_the_total(customer, shop):
    quote = shop.quote(discount_percent=5)
    shop.car_line(quote, "Red", "Leather", "Premium", quantity=2, discount=3)
    quote = services.quote_send(by=shop.rep, quote=reread(quote))

    html = text(customer.get(url(quote)))

    assert [label for label, _ in printed_totals(html)][:3] == [
        "Subtotal",
        "Discounts (quote discount 5 %)",
        "Net total",
    ]
    assert_the_totals_add_up(html)


@pytest.mark.parametrize("suffix", ["", "pdf/"])
def test_the_customers_page_and_pdf_are_never_cached(customer, shop, suffix):
    quote = shop.sent_quote()

    response = customer.get(f"{url(quote)}{suffix}")

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def owner_membership(shop):
    return Membership.objects.for_tenant(shop.deal.tenant).filter(user=shop.rep.user)


def test_the_customer_accepts_when_the_owner_became_an_analyst(customer, shop):
    quote = shop.sent_quote()
    owner_membership(shop).update(role=Role.ANALYST)

    response = customer.post(url(quote), {"decision": "accept", "name": "Elena Petrova"})

    assert response.status_code == 302
    assert reread(quote).status == QuoteStatus.ACCEPTED
    assert Order.objects.for_tenant(quote.tenant).filter(quote=quote).exists()


def test_the_customer_accepts_when_the_owner_left_the_organisation(customer, shop):
    quote = shop.sent_quote()
    owner_membership(shop).update(is_active=False)

    response = customer.post(url(quote), {"decision": "accept", "name": "Elena Petrova"})

    assert response.status_code == 302
    assert Order.objects.for_tenant(quote.tenant).filter(quote=quote).exists()


def test_the_customer_declines_when_the_owners_user_was_deactivated(customer, shop):
    quote = shop.sent_quote()
    type(shop.rep.user).objects.filter(pk=shop.rep.user.pk).update(is_active=False)

    response = customer.post(url(quote), {"decision": "reject", "reason": "Too dear"})

    assert response.status_code == 302
    assert reread(quote).status == QuoteStatus.REJECTED
