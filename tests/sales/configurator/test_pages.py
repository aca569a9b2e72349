"""The rep's configurator page (steps, live price, add to quote, share), the pages of
configurator links, and the public configurator a customer opens from a shared link."""

import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from funia.core.models import Notification
from funia.core.records import record_soft_delete, record_update
from funia.sales.configurator.services import configurator_link_submit
from funia.sales.models import ConfiguratorLink, Quote, QuoteLine
from funia.sales.quotes.services import quote_create
from tests import factories
from tests.sales.configurator.conftest import make_link


def configure_path(shop, deal=True) -> str:
    query = f"?opportunity={shop.deal.pk}" if deal else ""
    return f"/products/{shop.product.pk}/configure/{query}"


def choice(shop, *names) -> dict:
    """The form data of a configuration: each option in its group's field."""
    data = {"configured": "1"}
    for name in names:
        option = shop.car.options[name]
        data.setdefault(f"group-{option.group_id}", []).append(str(option.pk))
    return data


def adding(shop, *names, **fields) -> dict:
    """The form data of "Add to quote" with a configuration."""
    return {
        **choice(shop, *names),
        "action": "add",
        "quantity": "1",
        "discount_percent": "0",
        **fields,
    }


def text(response) -> str:
    return response.content.decode()


def alert(html: str) -> str:
    found = re.search(r'<div class="alert alert-error" role="alert"[^>]*>(.*?)</div>', html, re.S)
    return found[1] if found else ""


def primary_button(html: str) -> str:
    return re.search(r'<button[^>]*id="config-primary"[^>]*>', html)[0]


@pytest.fixture
def rep_browser(shop, web_as):
    return web_as(shop.rep)


# -- the rep's configurator ----------------------------------------------------------------


def test_the_rep_opens_the_configurator_for_a_deal_with_one_step_per_group(shop, rep_browser):
    response = rep_browser.get(configure_path(shop))

    html = text(response)
    assert response.status_code == 200
    steps = re.findall(r'<li data-step-label="\d+"[^>]*><span[^>]*>(\d+)</span> (\w+)</li>', html)
    assert steps == [("1", "Colour"), ("2", "Seats"), ("3", "Packages"), ("4", "Summary")]
    assert "Fleet for Balkan Foods" in html
    # Only the first step shows; the others wait behind Next.
    assert re.search(r'id="config-step-1" data-step="1">', html)
    assert re.search(r'id="config-step-2" data-step="2" hidden>', html)


def test_each_option_shows_its_effect_on_the_price(shop, rep_browser):
    html = text(rep_browser.get(configure_path(shop)))

    def effect(name):
        pattern = rf">{name}</span><span class=\"config-option-effect\">([^<]*)</span>"
        return re.search(pattern, html)[1]

    assert effect("Leather") == "+2,000.00 EUR"
    assert effect("Premium") == "+10 % (+3,000.00 EUR)"
    assert effect("Eco") == "-300.00 EUR"
    assert effect("White") == "included"


def test_single_choice_groups_are_radio_buttons_and_multiple_ones_checkboxes(shop, rep_browser):
    html = text(rep_browser.get(configure_path(shop)))

    seats = shop.car.groups["Seats"].pk
    packages = shop.car.groups["Packages"].pk
    assert f'type="radio" name="group-{seats}"' in html
    assert f'type="checkbox" name="group-{packages}"' in html


def test_the_defaults_are_chosen_on_the_first_visit(shop, rep_browser):
    html = text(rep_browser.get(configure_path(shop)))

    assert f'value="{shop.car.options["White"].pk}" checked' in html
    assert f'value="{shop.car.options["Fabric"].pk}" checked' in html
    assert "30,000.00 EUR" in html


def test_a_change_posted_by_htmx_answers_the_summary_with_the_price(shop, rep_browser):
    response = rep_browser.post(
        configure_path(shop),
        choice(shop, "Red", "Leather", "Premium"),
        headers={"HX-Request": "true"},
    )

    html = text(response)
    assert "<html" not in html
    assert re.search(r"data-unit-price>35,500.00 EUR<", html)
    assert 'Colour: Red</dt><dd class="num">+500.00 EUR' in html
    assert 'Packages: Premium</dt><dd class="num">+3,000.00 EUR' in html
    assert 'role="alert"' not in html
    assert "disabled" not in primary_button(html)


def test_leather_without_premium_shows_the_message_and_no_usable_add_to_quote(shop, rep_browser):
    live = rep_browser.post(
        configure_path(shop), choice(shop, "White", "Leather"), headers={"HX-Request": "true"}
    )
    attempt = rep_browser.post(configure_path(shop), adding(shop, "White", "Leather"))

    assert "Leather (Seats) requires Premium (Packages)." in alert(text(live))
    assert " disabled" in primary_button(text(live))
    assert attempt.status_code == 200
    assert "Leather (Seats) requires Premium (Packages)." in text(attempt)
    assert " disabled" in primary_button(text(attempt))
    assert not Quote.objects.for_tenant(shop.rep.tenant).exists()


def test_with_premium_the_rep_adds_the_car_to_a_new_draft_quote(shop, rep_browser):
    response = rep_browser.post(
        configure_path(shop),
        {
            **choice(shop, "Red", "Leather", "Premium"),
            "action": "add",
            "quantity": "2",
            "discount_percent": "3",
        },
    )

    quote = Quote.objects.for_tenant(shop.rep.tenant).get()
    line = QuoteLine.objects.for_tenant(shop.rep.tenant).get()
    assert response.status_code == 302
    assert response["Location"] == f"/quotes/{quote.pk}/"
    assert quote.opportunity_id == shop.deal.pk
    assert (line.unit_price, line.quantity, line.discount_percent) == (
        Decimal("35500.00"),
        Decimal("2.000"),
        Decimal("3.00"),
    )
    assert line.description == "Roadster (Colour: Red, Seats: Leather, Packages: Premium)"
    assert [option["name"] for option in line.options] == ["Red", "Leather", "Premium"]


def test_the_deals_current_draft_quote_gets_the_line(shop, rep_browser):
    draft = quote_create(by=shop.rep, opportunity=shop.deal)

    response = rep_browser.post(
        configure_path(shop),
        adding(shop, "White", "Fabric"),
    )

    assert response["Location"] == f"/quotes/{draft.pk}/"
    assert Quote.objects.for_tenant(shop.rep.tenant).count() == 1
    assert QuoteLine.objects.for_tenant(shop.rep.tenant).get().quote_id == draft.pk


def test_a_sent_quote_is_left_alone_and_a_new_draft_gets_the_line(shop, rep_browser):
    sent = quote_create(by=shop.rep, opportunity=shop.deal)
    Quote.objects.for_tenant(shop.rep.tenant).filter(pk=sent.pk).update(status="sent")

    response = rep_browser.post(
        configure_path(shop),
        adding(shop, "White", "Fabric"),
    )

    new = Quote.objects.for_tenant(shop.rep.tenant).exclude(pk=sent.pk).get()
    assert response["Location"] == f"/quotes/{new.pk}/"
    assert not QuoteLine.objects.for_tenant(shop.rep.tenant).filter(quote=sent).exists()


def test_a_bad_quantity_is_shown_on_the_form_and_adds_nothing(shop, rep_browser):
    response = rep_browser.post(
        configure_path(shop),
        adding(shop, "White", "Fabric", quantity="0"),
    )

    assert response.status_code == 200
    assert 'id="q-quantity_error"' in text(response)
    assert not QuoteLine.objects.for_tenant(shop.rep.tenant).exists()


def test_without_javascript_next_shows_the_next_step(shop, rep_browser):
    response = rep_browser.post(
        configure_path(shop), {**choice(shop, "Red", "Fabric"), "step": "1", "go": "2"}
    )

    html = text(response)
    assert re.search(r'id="config-step-2" data-step="2">', html)
    assert re.search(r'id="config-step-1" data-step="1" hidden>', html)
    # What was chosen on the first step stays chosen.
    assert f'value="{shop.car.options["Red"].pk}" checked' in html


def test_without_a_deal_the_page_offers_the_reps_open_deals_and_sharing(shop, rep_browser, manager):
    factories.opportunity(manager, name="Manager's private deal")

    html = text(rep_browser.get(configure_path(shop, deal=False)))

    deals = re.search(r'<select id="config-deal" name="deal">(.*?)</select>', html, re.S)[1]
    assert "Fleet for Balkan Foods" in deals
    assert "Manager&#x27;s private deal" not in html
    assert "Share with customer" in html


def test_without_a_deal_the_rep_adds_to_a_chosen_deals_quote(shop, rep_browser):
    response = rep_browser.post(
        configure_path(shop, deal=False),
        {
            **choice(shop, "White", "Fabric"),
            "action": "add",
            "deal": str(shop.deal.pk),
            "quantity": "1",
            "discount_percent": "0",
        },
    )

    quote = Quote.objects.for_tenant(shop.rep.tenant).get()
    assert response["Location"] == f"/quotes/{quote.pk}/"
    assert quote.opportunity_id == shop.deal.pk


def test_sharing_creates_a_link_for_the_deal_and_shows_its_public_address(shop, rep_browser):
    response = rep_browser.post(
        configure_path(shop), {**choice(shop, "White", "Fabric"), "action": "share"}
    )

    link = ConfiguratorLink.objects.for_tenant(shop.rep.tenant).get()
    assert response["Location"] == f"/configurator-links/{link.pk}/"
    assert link.opportunity_id == shop.deal.pk
    detail = text(rep_browser.get(response["Location"]))
    assert f'value="http://testserver/configure/{link.token}/" readonly' in detail
    assert "data-copy=" in detail


def test_an_analyst_sees_the_price_but_no_add_or_share(shop, analyst, web_as):
    html = text(web_as(analyst).get(configure_path(shop, deal=False)))

    assert "30,000.00 EUR" in html
    assert 'id="config-primary"' not in html
    assert 'value="share"' not in html


def test_an_inactive_product_is_explained_and_cannot_be_added(shop, rep_browser):
    record_update(obj=shop.product, by=shop.admin, fields={"is_active": False})

    response = rep_browser.post(
        configure_path(shop),
        adding(shop, "White", "Fabric"),
    )

    assert "Roadster (CAR-1) is no longer sold." in alert(text(response))
    assert not Quote.objects.for_tenant(shop.rep.tenant).exists()


@pytest.mark.parametrize(
    "query", ["opportunity={opportunity}", "price_book={price_book}", "opportunity=abc"]
)
def test_another_organisations_deal_or_price_book_in_the_query_is_not_found(
    shop, rep_browser, other_org_records, query
):
    path = f"/products/{shop.product.pk}/configure/?" + query.format(**other_org_records.ids)

    response = rep_browser.get(path)

    assert response.status_code == 404
    assert other_org_records.leaked_markers(text(response)) == []


def test_another_organisations_product_is_not_found(rep_browser, shop, other_org_records):
    before = other_org_records.snapshot()
    path = f"/products/{other_org_records.ids['product']}/configure/"

    responses = [rep_browser.get(path), rep_browser.post(path, {"action": "share"})]

    assert [r.status_code for r in responses] == [404, 404]
    assert other_org_records.snapshot() == before


def test_a_deal_the_rep_does_not_see_is_not_found(shop, rep_browser, manager):
    hidden = factories.opportunity(manager, name="Manager's deal")

    response = rep_browser.get(f"/products/{shop.product.pk}/configure/?opportunity={hidden.pk}")

    assert response.status_code == 404


# -- the rep's pages of links ----------------------------------------------------------------


def submitted_link(shop, *names, deal=True):
    link = make_link(shop, opportunity_id=shop.deal.pk if deal else None)
    return configurator_link_submit(
        link=link,
        option_ids=shop.car.ids(*names),
        customer_name="Maria Ivanova",
        customer_email="maria@example.com",
    )


def test_the_link_page_shows_the_customers_configuration_priced(shop, rep_browser):
    link = submitted_link(shop, "Red", "Leather", "Premium")

    html = text(rep_browser.get(f"/configurator-links/{link.pk}/"))

    assert "Maria Ivanova" in html
    assert "maria@example.com" in html
    assert "Roadster (Colour: Red, Seats: Leather, Packages: Premium)" in html
    assert re.search(r"data-unit-price>35,500.00 EUR<", html)
    assert "Add to quote" in html


def test_the_rep_adds_the_customers_configuration_to_the_deals_quote(shop, rep_browser):
    link = submitted_link(shop, "Red", "Leather", "Premium")

    response = rep_browser.post(
        f"/configurator-links/{link.pk}/quote/", {"quantity": "1", "discount_percent": "0"}
    )

    line = QuoteLine.objects.for_tenant(shop.rep.tenant).get()
    assert response["Location"] == f"/quotes/{line.quote_id}/"
    assert line.unit_price == Decimal("35500.00")


def test_a_link_without_a_deal_offers_no_add_to_quote(shop, rep_browser):
    link = submitted_link(shop, "White", "Fabric", deal=False)

    html = text(rep_browser.get(f"/configurator-links/{link.pk}/"))
    refused = rep_browser.post(
        f"/configurator-links/{link.pk}/quote/", {"quantity": "1", "discount_percent": "0"}
    )

    assert "Add to quote" not in html
    assert "open the configurator from the deal" in alert(text(refused))
    assert not QuoteLine.objects.for_tenant(shop.rep.tenant).exists()


def test_a_submission_that_no_longer_fits_the_rules_is_not_added(shop, rep_browser):
    link = submitted_link(shop, "Red", "Fabric", "Sport")
    shop.car.options["Sport"].excludes.add(shop.car.options["Red"])

    html = text(rep_browser.get(f"/configurator-links/{link.pk}/"))
    refused = rep_browser.post(
        f"/configurator-links/{link.pk}/quote/", {"quantity": "1", "discount_percent": "0"}
    )

    assert "Sport (Packages) cannot be combined with Red (Colour)." in alert(html)
    assert f'action="/configurator-links/{link.pk}/quote/"' not in html
    assert "Sport (Packages) cannot be combined with Red (Colour)." in alert(text(refused))
    assert not QuoteLine.objects.for_tenant(shop.rep.tenant).exists()


def test_the_rep_revokes_a_link_and_its_address_stops_working(shop, rep_browser, client):
    link = make_link(shop)

    response = rep_browser.post(f"/configurator-links/{link.pk}/revoke/")

    assert response["Location"] == "/configurator-links/"
    assert client.get(f"/configure/{link.token}/").status_code == 404
    assert "revoked" in text(rep_browser.get(f"/configurator-links/{link.pk}/"))


def test_the_list_shows_the_reps_links_with_the_customer_and_price(shop, rep_browser):
    submitted_link(shop, "Red", "Leather", "Premium")
    make_link(shop)

    html = text(rep_browser.get("/configurator-links/"))

    assert len(re.findall(r'href="/configurator-links/\d+/"', html)) == 2
    assert "Maria Ivanova" in html
    assert "35,500.00 EUR" in html
    assert "not yet" in html


def test_the_configurator_page_links_to_the_list(shop, rep_browser):
    assert 'href="/configurator-links/"' in text(rep_browser.get(configure_path(shop)))


def test_the_list_page_takes_a_fixed_number_of_queries(
    shop, rep_browser, django_assert_max_num_queries
):
    def add(n):
        for _ in range(n):
            submitted_link(shop, "Red", "Leather", "Premium")
            make_link(shop)

    add(1)
    with django_assert_max_num_queries(40) as few:
        rep_browser.get("/configurator-links/")
    add(10)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = rep_browser.get("/configurator-links/")
    assert text(response).count("Maria Ivanova") == 11


@pytest.mark.parametrize("suffix", ["", "quote/", "revoke/"])
def test_another_organisations_link_is_not_found_on_the_reps_pages(
    rep_browser, shop, other_org_records, suffix
):
    before = other_org_records.snapshot()
    path = f"/configurator-links/{other_org_records.ids['configurator_link']}/{suffix}"

    response = rep_browser.post(path) if suffix else rep_browser.get(path)

    assert response.status_code == 404
    assert other_org_records.snapshot() == before
    assert other_org_records.leaked_markers(text(response)) == []


def test_another_organisations_links_are_not_listed(rep_browser, shop, other_org_records):
    html = text(rep_browser.get("/configurator-links/"))

    assert other_org_records.leaked_markers(html) == []
    assert f"/configurator-links/{other_org_records.ids['configurator_link']}/" not in html


# -- the public configurator ---------------------------------------------------------------


@pytest.fixture
def link(shop):
    return make_link(shop, opportunity_id=shop.deal.pk)


def public_path(link) -> str:
    return f"/configure/{link.token}/"


def test_the_customer_sees_the_organisation_the_product_and_the_reps_name_only(shop, link, client):
    response = client.get(public_path(link))

    html = text(response)
    assert response.status_code == 200
    assert "Acme Sales" in html
    assert "Configure your Roadster" in html
    assert shop.rep.user.get_full_name() in html
    assert shop.rep.user.email not in html
    assert "Fleet for Balkan Foods" not in html
    assert 'id="sidenav"' not in html
    assert response["X-Robots-Tag"] == "noindex, nofollow"


def test_the_public_page_prices_a_change_live(shop, link, client):
    response = client.post(
        public_path(link), choice(shop, "White", "Leather"), headers={"HX-Request": "true"}
    )

    html = text(response)
    assert "Leather (Seats) requires Premium (Packages)." in alert(html)
    assert " disabled" in primary_button(html)
    assert "Fleet for Balkan Foods" not in html


def test_the_customer_submits_a_valid_configuration_and_the_rep_is_notified(shop, link, client):
    response = client.post(
        public_path(link),
        {
            **choice(shop, "Red", "Leather", "Premium"),
            "action": "submit",
            "customer_name": "Maria Ivanova",
            "customer_email": "maria@example.com",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == f"/configure/{link.token}/thanks/"
    link.refresh_from_db()
    assert link.options == shop.car.ids("Red", "Leather", "Premium")
    assert (link.customer_name, link.customer_email) == ("Maria Ivanova", "maria@example.com")
    assert link.submitted_at is not None
    notice = Notification.objects.for_tenant(shop.rep.tenant).get(user=shop.rep.user)
    assert notice.title == "Maria Ivanova sent a configuration of Roadster"
    assert notice.url == f"/configurator-links/{link.pk}/"
    thanks = text(client.get(response["Location"]))
    assert "Thank you, Maria Ivanova!" in thanks
    assert "35,500.00 EUR" in thanks


def test_an_invalid_configuration_is_shown_again_and_nothing_is_stored(shop, link, client):
    response = client.post(
        public_path(link),
        {
            **choice(shop, "White", "Leather"),
            "action": "submit",
            "customer_name": "Maria Ivanova",
            "customer_email": "maria@example.com",
        },
    )

    assert response.status_code == 200
    assert "Leather (Seats) requires Premium (Packages)." in alert(text(response))
    link.refresh_from_db()
    assert (link.submitted_at, link.options, link.customer_name) == (None, [], "")
    assert not Notification.objects.for_tenant(shop.rep.tenant).exists()


def test_the_customer_must_give_a_name_and_a_valid_email(shop, link, client):
    response = client.post(
        public_path(link),
        {**choice(shop, "White", "Fabric"), "action": "submit", "customer_email": "nope"},
    )

    html = text(response)
    assert 'id="id_customer_name_error"' in html
    assert 'id="id_customer_email_error"' in html
    link.refresh_from_db()
    assert link.submitted_at is None


def test_the_public_form_keeps_csrf_protection(shop, link):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post(
        public_path(link),
        {
            **choice(shop, "White", "Fabric"),
            "action": "submit",
            "customer_name": "Bot",
            "customer_email": "bot@example.com",
        },
    )

    assert response.status_code == 403
    link.refresh_from_db()
    assert link.submitted_at is None


def test_back_from_the_thank_you_page_starts_from_what_was_sent(shop, link, client):
    configurator_link_submit(
        link=link,
        option_ids=shop.car.ids("Red", "Fabric"),
        customer_name="Maria",
        customer_email="maria@example.com",
    )

    html = text(client.get(public_path(link)))

    assert f'value="{shop.car.options["Red"].pk}" checked' in html


def test_an_expired_link_is_not_found(shop, link, client):
    ConfiguratorLink.objects.for_tenant(shop.rep.tenant).filter(pk=link.pk).update(
        expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )

    assert client.get(public_path(link)).status_code == 404
    assert client.post(public_path(link), choice(shop, "White", "Fabric")).status_code == 404


def test_a_revoked_link_is_not_found(shop, link, client):
    record_soft_delete(obj=link, by=shop.rep)

    assert client.get(public_path(link)).status_code == 404
    assert client.get(f"/configure/{link.token}/thanks/").status_code == 404


@pytest.mark.parametrize("token", ["unknown-token", "x" * 65])
def test_an_unknown_token_is_not_found(shop, client, token):
    assert client.get(f"/configure/{token}/").status_code == 404


def test_the_thank_you_page_waits_for_a_submission(shop, link, client):
    response = client.get(f"/configure/{link.token}/thanks/")

    assert response["Location"] == public_path(link)


def test_another_organisations_link_shows_only_its_own_organisation(
    shop, client, other_org_records
):
    response = client.get("/configure/rival-secret-configurator-token/")

    html = text(response)
    assert response.status_code == 200
    assert "Rival Corp" in html
    assert "Acme Sales" not in html
    assert "Rival Secret Deal" not in html


def test_the_public_page_fits_a_phone_and_has_the_viewport_meta(shop, link, client):
    html = text(client.get(public_path(link)))

    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert "configurator/configurator.css" in html


def test_the_rep_is_not_notified_once_no_longer_a_member(shop, link, client):
    from funia.core.models import Membership

    Membership.objects.for_tenant(shop.rep.tenant).filter(user=shop.rep.user).update(
        is_active=False
    )

    client.post(
        public_path(link),
        {
            **choice(shop, "White", "Fabric"),
            "action": "submit",
            "customer_name": "Maria",
            "customer_email": "maria@example.com",
        },
    )

    link.refresh_from_db()
    assert link.submitted_at is not None
    assert not Notification.objects.for_tenant(shop.rep.tenant).exists()


# -- refusals shown on the page, and prices that are no longer valid ---------------------------


def test_a_read_only_role_posting_add_anyway_sees_why_and_nothing_is_added(shop, analyst, web_as):
    response = web_as(analyst).post(configure_path(shop), adding(shop, "White", "Fabric"))

    assert response.status_code == 200
    assert "Your role may only read records." in alert(text(response))
    assert not Quote.objects.for_tenant(shop.rep.tenant).exists()


def test_a_draft_of_the_deal_owned_by_someone_else_is_not_added_to(shop, org, rep_browser):
    other = factories.member(org, "sales_rep")
    stranded = quote_create(by=shop.rep, opportunity=shop.deal)
    Quote.objects.for_tenant(org).filter(pk=stranded.pk).update(owner_id=other.user.pk)

    response = rep_browser.post(configure_path(shop), adding(shop, "White", "Fabric"))

    new = Quote.objects.for_tenant(org).exclude(pk=stranded.pk).get()
    assert response["Location"] == f"/quotes/{new.pk}/"
    assert not QuoteLine.objects.for_tenant(org).filter(quote=stranded).exists()


def test_once_the_links_book_expired_the_customer_sees_no_price_and_cannot_submit(
    shop, link, client
):
    yesterday = timezone.localdate() - datetime.timedelta(days=2)
    record_update(obj=shop.book, by=shop.admin, fields={"valid_until": yesterday})

    page = client.get(public_path(link))
    posted = client.post(
        public_path(link),
        {
            **choice(shop, "White", "Fabric"),
            "action": "submit",
            "customer_name": "Elena Petrova",
            "customer_email": "elena@example.com",
        },
    )

    name = shop.rep.user.get_full_name()
    assert f"The prices of this offer are no longer valid: ask {name} for a new link." in alert(
        text(page)
    )
    assert "30,000.00" not in text(page)
    assert 'id="config-primary"' not in text(page)
    assert posted.status_code == 200
    assert ConfiguratorLink.objects.for_tenant(shop.rep.tenant).get(pk=link.pk).submitted_at is None
