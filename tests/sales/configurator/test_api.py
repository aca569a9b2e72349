"""The API of the configurator: /products/{id}/configure and /configurator-links."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from funia.core.records import record_soft_delete, record_update
from funia.sales.models import ConfiguratorLink
from tests import factories
from tests.conftest import tenant_snapshot
from tests.sales.configurator.conftest import make_link


@pytest.fixture
def api(shop, api_as):
    return api_as(shop.rep)


def configure_url(product) -> str:
    return f"/products/{product.pk}/configure"


# -- /products/{product_id}/configure ------------------------------------------------------


def test_configuring_red_leather_premium_answers_the_priced_configuration(api, shop):
    car = shop.car

    response = api.call(
        "post", configure_url(shop.product), {"options": car.ids("Red", "Leather", "Premium")}
    )

    assert response.status_code == 200, response.content
    assert response.json() == {
        "product": shop.product.pk,
        "price_book": shop.book.pk,
        "valid": True,
        "violations": [],
        "unit_price": "35500.00",
        "base_price": "30000.00",
        "currency": "EUR",
        "options": [
            {
                "id": car.options["Red"].pk,
                "name": "Red",
                "group": "Colour",
                "price_adjustment": "500.00",
            },
            {
                "id": car.options["Leather"].pk,
                "name": "Leather",
                "group": "Seats",
                "price_adjustment": "2000.00",
            },
            {
                "id": car.options["Premium"].pk,
                "name": "Premium",
                "group": "Packages",
                "price_adjustment": "3000.00",
            },
        ],
        "description": "Roadster (Colour: Red, Seats: Leather, Packages: Premium)",
    }


def test_null_options_configure_the_defaults(api, shop):
    response = api.call("post", configure_url(shop.product), {"options": None})

    assert response.status_code == 200
    assert [o["name"] for o in response.json()["options"]] == ["White", "Fabric"]
    assert response.json()["unit_price"] == "30000.00"


def test_a_broken_rule_answers_200_with_the_violation(api, shop):
    response = api.call(
        "post", configure_url(shop.product), {"options": shop.car.ids("White", "Leather")}
    )

    assert response.status_code == 200
    assert response.json()["valid"] is False
    assert response.json()["violations"] == [
        {"rule": "requires", "message": "Leather (Seats) requires Premium (Packages)."}
    ]


def test_another_price_book_of_the_organisation_may_be_named(api, shop):
    special = factories.price_book(
        shop.admin, name="Fleet", prices={shop.product: Decimal("28000.00")}
    )

    response = api.call("post", configure_url(shop.product), {"price_book": special.pk})

    assert response.json()["unit_price"] == "28000.00"
    assert response.json()["price_book"] == special.pk


def test_without_a_default_price_book_the_request_is_refused_with_a_clear_message(api, shop):
    record_update(obj=shop.book, by=shop.admin, fields={"is_default": False})

    response = api.call("post", configure_url(shop.product), {})

    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "field": "price_book",
            "message": "There is no default active price book in EUR: choose a price book, or "
            "ask an administrator to make one the default.",
        }
    ]


def test_an_inactive_product_is_refused(api, shop):
    record_update(obj=shop.product, by=shop.admin, fields={"is_active": False})

    response = api.call("post", configure_url(shop.product), {})

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "product"


def test_a_trashed_product_is_not_found(api, shop):
    record_soft_delete(obj=shop.product, by=shop.admin)

    assert api.call("post", configure_url(shop.product), {}).status_code == 404


def test_an_unknown_option_id_is_a_violation_not_an_error(api, shop):
    response = api.call("post", configure_url(shop.product), {"options": [2**40]})

    assert response.status_code == 200
    assert response.json()["violations"][0]["rule"] == "unknown"


def test_another_organisations_product_is_not_found(api, other_org_records):
    response = api.call(
        "post", f"/products/{other_org_records.ids['product']}/configure", {"options": None}
    )

    assert response.status_code == 404
    assert other_org_records.leaked_markers(response.content.decode()) == []


def test_another_organisations_price_book_is_not_found(api, shop, other_org_records):
    response = api.call(
        "post",
        configure_url(shop.product),
        {"price_book": other_org_records.ids["price_book"]},
    )

    assert response.status_code == 404
    assert other_org_records.leaked_markers(response.content.decode()) == []


# -- /configurator-links -------------------------------------------------------------------


def test_creating_a_link_for_a_deal_answers_its_public_address(api, shop):
    before = timezone.now()

    response = api.call(
        "post", "/configurator-links", {"product": shop.product.pk, "opportunity": shop.deal.pk}
    )

    assert response.status_code == 201, response.content
    body = response.json()
    link = ConfiguratorLink.objects.for_tenant(shop.rep.tenant).get()
    assert body | {"expires_at": "", "created_at": ""} == {
        "id": link.pk,
        "url": f"http://testserver/configure/{link.token}/",
        "expires_at": "",
        "product": shop.product.pk,
        "price_book": shop.book.pk,
        "opportunity": shop.deal.pk,
        "created_by": shop.rep.user.pk,
        "created_at": "",
        "revoked": False,
        "submitted_at": None,
        "options": [],
        "customer_name": "",
        "customer_email": "",
        "configuration": None,
    }
    expires = datetime.datetime.fromisoformat(body["expires_at"])
    assert (
        before + datetime.timedelta(days=30)
        <= expires
        <= timezone.now() + datetime.timedelta(days=30)
    )


def test_the_link_token_is_long_random_and_never_in_the_audit_trail(api, shop):
    from funia.core.models import AuditEntry

    api.call("post", "/configurator-links", {"product": shop.product.pk})
    link = ConfiguratorLink.objects.for_tenant(shop.rep.tenant).get()

    entry = AuditEntry.objects.for_tenant(shop.rep.tenant).get(object_type="sales.configuratorlink")
    assert len(link.token) >= 40
    assert "token" not in entry.changes
    assert link.token not in str(entry.changes)


def test_a_link_may_expire_sooner(api, shop):
    response = api.call(
        "post", "/configurator-links", {"product": shop.product.pk, "expires_in_days": 2}
    )

    expires = datetime.datetime.fromisoformat(response.json()["expires_at"])
    assert expires - timezone.now() < datetime.timedelta(days=2, minutes=1)


@pytest.mark.parametrize("days", [0, 366])
def test_a_link_lives_one_to_365_days(api, shop, days):
    response = api.call(
        "post", "/configurator-links", {"product": shop.product.pk, "expires_in_days": days}
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "expires_in_days"


def test_an_analyst_may_not_create_a_link(shop, analyst, api_as):
    client = api_as(analyst)
    assert client.call("get", "/configurator-links").status_code == 200  # analysts read
    before = tenant_snapshot(shop.rep.tenant)

    response = client.call("post", "/configurator-links", {"product": shop.product.pk})

    assert response.status_code == 403
    assert tenant_snapshot(shop.rep.tenant) == before


def test_a_link_for_a_product_without_a_price_in_the_book_is_refused(api, shop):
    empty = factories.price_book(shop.admin, name="Empty")

    response = api.call(
        "post", "/configurator-links", {"product": shop.product.pk, "price_book": empty.pk}
    )

    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "price_book", "message": "Roadster has no price in the price book Empty."}
    ]


def test_a_link_for_a_deal_in_another_currency_than_the_book_is_refused(api, shop):
    deal = factories.opportunity(shop.rep, name="Dollar deal", currency="USD")

    response = api.call(
        "post",
        "/configurator-links",
        {"product": shop.product.pk, "opportunity": deal.pk, "price_book": shop.book.pk},
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "price_book"


def test_a_link_for_a_deal_the_rep_does_not_see_is_refused(api, shop, manager):
    hidden = factories.opportunity(manager, name="Manager's deal")

    response = api.call(
        "post", "/configurator-links", {"product": shop.product.pk, "opportunity": hidden.pk}
    )

    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "opportunity", "message": "There is no such deal among the deals you see."}
    ]


@pytest.mark.parametrize("field", ["product", "price_book", "opportunity"])
def test_another_organisations_records_in_the_body_are_refused_and_not_named(
    api, shop, other_org_records, field
):
    body = {"product": shop.product.pk, field: other_org_records.ids[field]}

    response = api.call("post", "/configurator-links", body)

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == field
    assert other_org_records.leaked_markers(response.content.decode()) == []


def test_reading_a_link_gives_the_submitted_configuration_priced(api, shop):
    from funia.sales.configurator.services import configurator_link_submit

    link = make_link(shop, opportunity_id=shop.deal.pk)
    configurator_link_submit(
        link=link,
        option_ids=shop.car.ids("Red", "Leather", "Premium"),
        customer_name="Maria Ivanova",
        customer_email="maria@example.com",
    )

    response = api.call("get", f"/configurator-links/{link.pk}")

    assert response.status_code == 200
    assert response["ETag"]
    body = response.json()
    assert body["customer_name"] == "Maria Ivanova"
    assert body["customer_email"] == "maria@example.com"
    assert body["options"] == shop.car.ids("Red", "Leather", "Premium")
    assert body["configuration"]["valid"] is True
    assert body["configuration"]["unit_price"] == "35500.00"


def test_the_list_holds_the_reps_links_and_those_of_deals_they_see(shop, api_as, manager):
    other_rep = factories.member(shop.rep.tenant, "sales_rep")
    mine = make_link(shop)
    of_my_deal = make_link(shop, by=shop.admin, opportunity_id=shop.deal.pk)
    others = make_link(shop, by=other_rep)

    def listed(actor):
        items = api_as(actor).call("get", "/configurator-links").json()["items"]
        return sorted(item["id"] for item in items)

    ids, admin_ids = listed(shop.rep), listed(shop.admin)

    assert ids == sorted([mine.pk, of_my_deal.pk])
    assert others.pk not in ids
    assert admin_ids == sorted([mine.pk, of_my_deal.pk, others.pk])


def test_another_reps_link_without_a_visible_deal_is_not_found(shop, api_as):
    other_rep = factories.member(shop.rep.tenant, "sales_rep")
    link = make_link(shop, by=other_rep)

    assert api_as(shop.rep).call("get", f"/configurator-links/{link.pk}").status_code == 404


def test_the_list_filters_by_deal_and_submission(api, shop):
    from funia.sales.configurator.services import configurator_link_submit

    plain = make_link(shop)
    for_deal = make_link(shop, opportunity_id=shop.deal.pk)
    configurator_link_submit(
        link=for_deal,
        option_ids=shop.car.ids("White", "Fabric"),
        customer_name="Maria",
        customer_email="maria@example.com",
    )

    by_deal = api.call("get", "/configurator-links", {"opportunity": shop.deal.pk}).json()
    submitted = api.call("get", "/configurator-links", {"submitted": "true"}).json()
    waiting = api.call("get", "/configurator-links", {"submitted": "false"}).json()

    assert [i["id"] for i in by_deal["items"]] == [for_deal.pk]
    assert [i["id"] for i in submitted["items"]] == [for_deal.pk]
    assert [i["id"] for i in waiting["items"]] == [plain.pk]


def test_listing_links_takes_a_fixed_number_of_queries(api, shop, django_assert_max_num_queries):
    from funia.sales.configurator.services import configurator_link_submit

    def add_links(n):
        for index in range(n):
            car = factories.configurable_car(shop.admin, sku=f"L-{n}-{index}", name=f"Car {index}")
            factories.price_book(shop.admin, name=f"B {n} {index}", prices={car.product: 100})
            link = make_link(shop, opportunity_id=shop.deal.pk)
            configurator_link_submit(
                link=link,
                option_ids=shop.car.ids("Red", "Fabric"),
                customer_name="Maria",
                customer_email="maria@example.com",
            )

    add_links(2)
    with django_assert_max_num_queries(30) as few:
        assert api.call("get", "/configurator-links").status_code == 200
    add_links(8)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = api.call("get", "/configurator-links")
    assert response.json()["count"] == 10
    assert all(item["configuration"]["valid"] for item in response.json()["items"])


def test_revoking_a_link_stops_its_address_and_keeps_it_readable(api, shop, client):
    link = make_link(shop)

    response = api.call("delete", f"/configurator-links/{link.pk}")

    assert response.status_code == 204
    assert client.get(f"/configure/{link.token}/").status_code == 404
    read = api.call("get", f"/configurator-links/{link.pk}")
    assert read.json()["revoked"] is True
    assert api.call("get", "/configurator-links").json()["count"] == 0
    assert api.call("get", "/configurator-links", {"revoked": "true"}).json()["count"] == 1


def test_an_analyst_may_not_revoke_a_link(shop, analyst, api_as):
    link = make_link(shop)

    response = api_as(analyst).call("delete", f"/configurator-links/{link.pk}")

    assert response.status_code == 403
    link.refresh_from_db()
    assert link.deleted_at is None


def test_another_organisations_link_is_not_found(api, shop, other_org_records):
    link_id = other_org_records.ids["configurator_link"]
    before = other_org_records.snapshot()

    read = api.call("get", f"/configurator-links/{link_id}")
    revoke = api.call("delete", f"/configurator-links/{link_id}")
    listing = api.call("get", "/configurator-links")

    assert (read.status_code, revoke.status_code) == (404, 404)
    assert link_id not in [item["id"] for item in listing.json()["items"]]
    assert other_org_records.snapshot() == before
    assert other_org_records.leaked_markers(read.content.decode() + listing.content.decode()) == []
