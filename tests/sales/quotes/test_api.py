"""The API of quotes: records with their lines, the 422s of bad lines, approval, sending,
revisions, the customer's answer recorded by a rep, the PDF and another organisation's
quotes (404)."""

import datetime

import pytest

from funia.core import periods
from funia.sales.models import Opportunity, Order, Quote, QuoteLine
from funia.sales.quotes import services
from tests import factories


@pytest.fixture
def api(shop, api_as):
    return api_as(shop.rep)


def car_line(shop, *options, quantity=1, discount=0):
    return {
        "product": shop.car.product.pk,
        "configuration": shop.car.ids(*options),
        "quantity": quantity,
        "discount_percent": discount,
    }


def created(api, shop, **body):
    body.setdefault("opportunity", shop.deal.pk)
    response = api.call("post", "/quotes", body)
    assert response.status_code == 201, response.content
    return response.json()


# -- create and read ------------------------------------------------------------------------


def test_creating_a_quote_with_lines_answers_its_totals_and_lines(api, shop):
    response = api.call(
        "post",
        "/quotes",
        {
            "opportunity": shop.deal.pk,
            "discount_percent": 5,
            "lines": [car_line(shop, "Red", "Leather", "Premium", quantity=2, discount=3)],
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert response["ETag"] == f'"{body["id"]}-1"'
    line = body["lines"][0]
    assert body | {"id": 0, "created_at": "", "updated_at": "", "lines": []} == {
        "id": 0,
        "reference": "Q-00001",
        "number": 1,
        "revision": 1,
        "version": 1,
        "is_current": True,
        "superseded_by": None,
        "opportunity": shop.deal.pk,
        "account": shop.account.pk,
        "contact": shop.contact.pk,
        "owner": shop.rep.user.pk,
        "title": "Fleet renewal",
        "status": "draft",
        "price_book": shop.book.pk,
        "currency": "EUR",
        "discount_percent": "5.00",
        "valid_until": None,
        "notes": "",
        "update_opportunity_amount": True,
        "approval_status": "not_needed",
        "approved_by": None,
        "approved_at": None,
        "approval_note": "",
        "subtotal": "71000.00",
        "discount_total": "5573.50",
        "tax_total": "13085.30",
        "total": "78511.80",
        "net_total": "65426.50",
        "sent_at": None,
        "decided_at": None,
        "decided_by_name": "",
        "decision_note": "",
        "public_url": None,
        "order": None,
        "lines": [],
        "created_at": "",
        "updated_at": "",
        "deleted": False,
        "deleted_at": None,
    }
    assert line | {"id": 0, "options": []} == {
        "id": 0,
        "product": shop.car.product.pk,
        "sku": "CAR-1",
        "description": "Roadster (Colour: Red, Seats: Leather, Packages: Premium)",
        "options": [],
        "configuration": shop.car.ids("Red", "Leather", "Premium"),
        "quantity": "2",
        "unit_price": "35500.00",
        "discount_percent": "3.00",
        "tax_rate": "20.00",
        "gross": "71000.00",
        "line_discount": "2130.00",
        "total": "68870.00",
        "quote_discount": "3443.50",
        "tax": "13085.30",
    }
    assert line["options"][2] == {
        "id": shop.car.options["Premium"].pk,
        "name": "Premium",
        "group": "Packages",
        "price_adjustment": "3000.00",
    }


def test_a_client_cannot_set_prices_or_totals(api, shop):
    response = api.call(
        "post",
        "/quotes",
        {"opportunity": shop.deal.pk, "total": "1.00", "lines": []},
    )

    assert response.status_code == 422
    assert "total" in {error["field"] for error in response.json()["errors"]}


def test_one_bad_line_answers_422_naming_it_with_every_violation_and_creates_nothing(api, shop):
    response = api.call(
        "post",
        "/quotes",
        {
            "opportunity": shop.deal.pk,
            "lines": [
                {"product": shop.service.pk},
                car_line(shop, "White", "Leather", "Sport", "Eco"),
            ],
        },
    )

    assert response.status_code == 422, response.content
    errors = [(e["field"], e["message"]) for e in response.json()["errors"]]
    assert errors == [
        ("lines.1.configuration", "Leather (Seats) requires Premium (Packages)."),
        ("lines.1.configuration", "Sport (Packages) cannot be combined with Eco (Packages)."),
    ]
    assert not Quote.objects.for_tenant(shop.deal.tenant, with_deleted=True).exists()
    assert not QuoteLine.objects.for_tenant(shop.deal.tenant).exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"discount_percent": 101}, "discount_percent"),
        ({"discount_percent": "1.234"}, "discount_percent"),
        ({"lines": [{"product": "SRV"}]}, "lines.0.product"),
        ({"lines": [{"product": 1, "quantity": 0}]}, "lines.0.quantity"),
        ({"lines": [{"product": 1, "discount_percent": -1}]}, "lines.0.discount_percent"),
        ({"opportunity": 2**40}, "opportunity"),
        ({"contact": 2**40}, "contact"),
        ({"price_book": 2**40}, "price_book"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_invalid_bodies_answer_422_naming_the_field(api, shop, change, field):
    response = api.call("post", "/quotes", {"opportunity": shop.deal.pk} | change)

    assert response.status_code == 422, response.content
    assert field in {e["field"] for e in response.json()["errors"]}
    assert not Quote.objects.for_tenant(shop.deal.tenant).exists()


def test_a_product_of_another_organisation_answers_422_on_its_line(api, shop, other_org_records):
    response = api.call(
        "post",
        "/quotes",
        {"opportunity": shop.deal.pk, "lines": [{"product": other_org_records.ids["product"]}]},
    )

    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "lines.0.product", "message": "No such product in this organisation."}
    ]
    assert not other_org_records.leaked_markers(response.content.decode())


def test_a_deal_of_another_organisation_answers_422_without_naming_it(api, shop, other_org_records):
    response = api.call("post", "/quotes", {"opportunity": other_org_records.ids["opportunity"]})

    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "opportunity", "message": "No such deal in this organisation."}
    ]


def test_an_analyst_reads_quotes_but_cannot_make_one(shop, analyst, api_as):
    shop.quote()
    client = api_as(analyst)

    assert client.call("get", "/quotes").json()["count"] == 1
    assert client.call("post", "/quotes", {"opportunity": shop.deal.pk}).status_code == 403


# -- change -----------------------------------------------------------------------------------


def test_patch_changes_fields_and_replaces_the_lines(api, shop):
    quote = created(api, shop, lines=[{"product": shop.service.pk}])
    day = periods.today(shop.deal.tenant) + datetime.timedelta(days=10)

    response = api.call(
        "patch",
        f"/quotes/{quote['id']}",
        {
            "title": "Two roadsters",
            "valid_until": day.isoformat(),
            "contact": None,
            "lines": [car_line(shop, "Red", "Fabric", quantity=2)],
        },
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["title"], body["valid_until"], body["contact"]) == (
        "Two roadsters",
        day.isoformat(),
        None,
    )
    assert [(line["description"], line["quantity"]) for line in body["lines"]] == [
        ("Roadster (Colour: Red, Seats: Fabric)", "2")
    ]
    assert body["subtotal"] == "61000.00"


def test_a_patch_answers_the_next_record_version_and_keeps_the_revision(api, shop):
    quote = created(api, shop)
    etag = f'"{quote["id"]}-1"'

    response = api.call(
        "patch", f"/quotes/{quote['id']}", {"title": "Two roadsters"}, {"If-Match": etag}
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["version"], body["revision"], body["reference"]) == (2, 1, "Q-00001")
    assert response["ETag"] == f'"{quote["id"]}-2"'


def test_a_patch_with_a_stale_if_match_answers_412_and_changes_nothing(api, shop):
    quote = created(api, shop, lines=[{"product": shop.service.pk}])
    url = f"/quotes/{quote['id']}"
    read = api.call("get", url)
    assert api.call("patch", url, {"title": "First"}, {"If-Match": read["ETag"]}).status_code == 200

    stale = api.call(
        "patch",
        url,
        {"title": "Second", "discount_percent": 10, "lines": [car_line(shop, "Red", "Fabric")]},
        {"If-Match": read["ETag"]},
    )

    assert stale.status_code == 412
    current = api.call("get", url).json()
    assert (current["title"], current["discount_percent"], current["version"]) == (
        "First",
        "0.00",
        2,
    )
    assert [line["sku"] for line in current["lines"]] == ["SRV-1"]


def test_a_delete_with_a_stale_if_match_answers_412(api, shop):
    quote = created(api, shop)
    url = f"/quotes/{quote['id']}"
    read = api.call("get", url)
    api.call("patch", url, {"title": "Changed"})

    response = api.call("delete", url, headers={"If-Match": read["ETag"]})

    assert response.status_code == 412
    assert api.call("get", url).json()["deleted"] is False


def test_an_action_with_a_stale_if_match_answers_412_and_changes_nothing(api, shop):
    quote = created(api, shop, lines=[{"product": shop.service.pk}])
    url = f"/quotes/{quote['id']}"
    read = api.call("get", url)
    api.call("patch", url, {"title": "Changed"})

    response = api.call("post", f"{url}/send", headers={"If-Match": read["ETag"]})

    assert response.status_code == 412
    assert api.call("get", url).json()["status"] == "draft"


def test_patching_a_sent_quote_answers_422(api, shop):
    quote = shop.sent_quote()

    response = api.call("patch", f"/quotes/{quote.pk}", {"title": "Cheaper"})

    assert response.status_code == 422
    assert "revise it" in response.json()["errors"][0]["message"]


def test_delete_moves_a_draft_to_the_trash_and_restore_brings_it_back(api, shop):
    quote = created(api, shop)

    assert api.call("delete", f"/quotes/{quote['id']}").status_code == 204
    assert api.call("get", "/quotes").json()["count"] == 0
    restored = api.call("post", f"/quotes/{quote['id']}/restore")

    assert restored.status_code == 200
    assert restored.json()["deleted"] is False


# -- actions ----------------------------------------------------------------------------------


def test_sending_answers_the_absolute_public_url(api, shop):
    quote = created(api, shop, lines=[{"product": shop.service.pk}])

    response = api.call("post", f"/quotes/{quote['id']}/send")

    assert response.status_code == 200, response.content
    body = response.json()
    token = Quote.objects.for_tenant(shop.deal.tenant).get(pk=quote["id"]).public_token
    assert body["status"] == "sent"
    assert body["public_url"] == f"http://testserver/q/{token}/"
    assert (
        body["valid_until"]
        == (periods.today(shop.deal.tenant) + datetime.timedelta(days=30)).isoformat()
    )


def test_sending_a_discount_waiting_for_approval_answers_422_with_the_reason(api, shop):
    quote = created(api, shop, discount_percent=20, lines=[{"product": shop.service.pk}])

    response = api.call("post", f"/quotes/{quote['id']}/send")

    assert response.status_code == 422
    assert response.json()["errors"][0]["message"] == (
        "A discount above 15 % needs a sales manager's approval first."
    )


def test_the_manager_approves_over_the_api_after_the_rep_asks(api, shop, api_as):
    quote = created(api, shop, discount_percent=20, lines=[{"product": shop.service.pk}])

    asked = api.call("post", f"/quotes/{quote['id']}/request-approval")
    approved = api_as(shop.manager).call(
        "post", f"/quotes/{quote['id']}/approve", {"note": "Key account"}
    )

    assert asked.status_code == 200
    assert approved.status_code == 200, approved.content
    assert approved.json()["approval_status"] == "approved"
    assert approved.json()["approved_by"] == shop.manager.user.pk
    assert api.call("post", f"/quotes/{quote['id']}/send").status_code == 200


def test_approving_ones_own_quote_answers_403_with_the_reason(shop, admin, api_as):
    deal = factories.opportunity(admin, name="Admin deal")
    quote = services.quote_create(by=admin, opportunity=deal, discount_percent=40)

    response = api_as(admin).call("post", f"/quotes/{quote.pk}/approve", {})

    assert response.status_code == 403
    assert "your own quote" in response.json()["detail"]


def test_refusing_needs_a_note(shop, api, api_as):
    quote = created(api, shop, discount_percent=20, lines=[{"product": shop.service.pk}])

    response = api_as(shop.manager).call("post", f"/quotes/{quote['id']}/refuse", {})

    assert response.status_code == 422


def test_revising_answers_201_with_the_new_version(api, shop):
    quote = shop.sent_quote()

    response = api.call("post", f"/quotes/{quote.pk}/revise")

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["reference"], body["revision"], body["status"]) == ("Q-00001 v2", 2, "draft")
    assert (body["version"], response["ETag"]) == (1, f'"{body["id"]}-1"')
    old = api.call("get", f"/quotes/{quote.pk}").json()
    assert (old["is_current"], old["superseded_by"]) == (False, body["id"])


def test_a_rep_records_the_customers_acceptance_and_gets_the_order(api, shop):
    quote = shop.sent_quote()

    response = api.call(
        "post", f"/quotes/{quote.pk}/accept", {"name": "Elena Petrova", "note": "By phone"}
    )

    assert response.status_code == 200, response.content
    body = response.json()
    order = Order.objects.for_tenant(shop.deal.tenant).get(quote_id=quote.pk)
    assert (body["status"], body["order"], body["decided_by_name"]) == (
        "accepted",
        order.pk,
        "Elena Petrova",
    )
    assert Opportunity.objects.for_tenant(shop.deal.tenant).get(pk=shop.deal.pk).amount == (
        quote.subtotal - quote.discount_total
    )


def test_a_rep_records_the_customers_rejection(api, shop):
    quote = shop.sent_quote()

    response = api.call("post", f"/quotes/{quote.pk}/reject", {"reason": "Over budget"})

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["decision_note"]) == (
        "rejected",
        "Over budget",
    )


def test_an_expired_quote_shows_as_expired_and_cannot_be_accepted(api, shop):
    quote = shop.sent_quote()
    past = periods.today(quote.tenant) - datetime.timedelta(days=2)
    Quote.objects.for_tenant(quote.tenant).filter(pk=quote.pk).update(valid_until=past)

    shown = api.call("get", f"/quotes/{quote.pk}").json()
    refused = api.call("post", f"/quotes/{quote.pk}/accept", {"name": "Elena"})

    assert shown["status"] == "expired"
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["message"].startswith("This quote expired on ")


def test_the_pdf_downloads_under_the_quotes_reference(api, shop):
    quote = shop.sent_quote()

    response = api.call("get", f"/quotes/{quote.pk}/pdf")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="Q-00001.pdf"'
    assert response.content.startswith(b"%PDF")


# -- lists ------------------------------------------------------------------------------------


def test_the_list_filters_by_status_as_shown(api, shop):
    draft = shop.quote()
    expired = shop.sent_quote()
    past = periods.today(expired.tenant) - datetime.timedelta(days=1)
    Quote.objects.for_tenant(expired.tenant).filter(pk=expired.pk).update(valid_until=past)

    drafts = api.call("get", "/quotes", {"status": "draft"}).json()["items"]
    expired_items = api.call("get", "/quotes", {"status": "expired"}).json()["items"]

    assert [q["id"] for q in drafts] == [draft.pk]
    assert [q["id"] for q in expired_items] == [expired.pk]
    assert api.call("get", "/quotes", {"status": "sent"}).json()["count"] == 0


def test_the_list_filters_by_deal_and_account(api, shop, admin):
    mine = shop.quote()
    other_deal = factories.opportunity(shop.rep, name="Another deal")
    services.quote_create(by=shop.rep, opportunity=other_deal)

    by_deal = api.call("get", "/quotes", {"opportunity": shop.deal.pk}).json()["items"]
    by_account = api.call("get", "/quotes", {"account": shop.account.pk}).json()["items"]

    assert [q["id"] for q in by_deal] == [mine.pk]
    assert [q["id"] for q in by_account] == [mine.pk]


def test_a_rep_lists_only_the_quotes_they_may_see(shop, api_as):
    shop.quote()

    assert api_as(shop.other_rep).call("get", "/quotes").json()["count"] == 0


def test_the_list_costs_the_same_queries_for_more_quotes(api, shop, django_assert_max_num_queries):
    def add_quotes(n):
        for _ in range(n):
            quote = shop.quote()
            shop.car_line(quote, "Red", "Leather", "Premium")
            shop.service_line(quote)

    add_quotes(2)
    api.call("get", "/quotes")
    with django_assert_max_num_queries(12) as few:
        assert api.call("get", "/quotes").json()["count"] == 2
    add_quotes(4)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert api.call("get", "/quotes").json()["count"] == 6


# -- another organisation ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/quotes/{id}", None),
        ("patch", "/quotes/{id}", {"title": "Hijacked"}),
        ("delete", "/quotes/{id}", None),
        ("post", "/quotes/{id}/restore", None),
        ("post", "/quotes/{id}/send", None),
        ("post", "/quotes/{id}/request-approval", None),
        ("post", "/quotes/{id}/approve", {}),
        ("post", "/quotes/{id}/refuse", {"note": "x"}),
        ("post", "/quotes/{id}/revise", None),
        ("post", "/quotes/{id}/accept", {"name": "Hijacker"}),
        ("post", "/quotes/{id}/reject", {"reason": "x"}),
        ("get", "/quotes/{id}/pdf", None),
    ],
)
@pytest.mark.parametrize("kind", ["quote", "quote_deleted"])
def test_another_organisations_quote_is_not_found(
    shop, admin, api_as, other_org_records, method, path, body, kind
):
    before = other_org_records.snapshot()

    response = api_as(admin).call(method, path.format(id=other_org_records.ids[kind]), body)

    assert response.status_code == 404, response.content
    assert not other_org_records.leaked_markers(response.content.decode())
    assert other_org_records.snapshot() == before


def test_the_list_never_shows_another_organisations_quotes(shop, admin, api_as, other_org_records):
    shop.quote()

    for query in ({}, {"deleted": "true"}):
        response = api_as(admin).call("get", "/quotes", query)
        assert not other_org_records.leaked_markers(response.content.decode())
        ids = {q["id"] for q in response.json()["items"]}
        assert not ids & {other_org_records.ids["quote"], other_org_records.ids["quote_deleted"]}
