"""The API of /price-books: prices written with the book, the default of each currency,
filters, roles, other organisations and the cost of the list."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from funia.sales.catalog import services
from funia.sales.catalog.models import PriceBook
from tests import factories
from tests.conftest import tenant_snapshot

PROBLEM = "application/problem+json"


@pytest.fixture
def products(admin):
    return {
        "hour": factories.product(admin, sku="H-1", name="Service hour"),
        "day": factories.product(admin, sku="D-1", name="Workshop day"),
    }


def create(api, **fields) -> dict:
    body = {"name": "Standard", "currency": "EUR"} | fields
    response = api.call("post", "/price-books", body)
    assert response.status_code == 201, response.content
    return response.json()


def test_a_price_book_is_created_and_read_back_with_its_prices(api, products):
    hour, day = products["hour"], products["day"]
    body = create(
        api,
        currency="eur",
        valid_from="2026-01-01",
        valid_until="2026-12-31",
        is_default=True,
        entries=[
            {"product": hour.pk, "unit_price": 80},
            {"product": day.pk, "unit_price": "600.5"},
        ],
    )
    assert body | {"id": 0, "created_at": "", "updated_at": ""} == {
        "id": 0,
        "name": "Standard",
        "currency": "EUR",
        "valid_from": "2026-01-01",
        "valid_until": "2026-12-31",
        "is_active": True,
        "is_default": True,
        "entries": [
            {"product": hour.pk, "sku": "H-1", "name": "Service hour", "unit_price": "80.00"},
            {"product": day.pk, "sku": "D-1", "name": "Workshop day", "unit_price": "600.50"},
        ],
        "version": 1,
        "created_at": "",
        "updated_at": "",
        "deleted": False,
    }
    assert api.call("get", f"/price-books/{body['id']}").json() == body


def test_entries_given_on_update_replace_the_prices(api, products):
    hour, day = products["hour"], products["day"]
    body = create(api, entries=[{"product": hour.pk, "unit_price": 80}])
    response = api.call(
        "patch", f"/price-books/{body['id']}", {"entries": [{"product": day.pk, "unit_price": 5}]}
    )
    assert response.status_code == 200, response.content
    assert [(e["sku"], e["unit_price"]) for e in response.json()["entries"]] == [("D-1", "5.00")]
    unchanged = api.call("patch", f"/price-books/{body['id']}", {"name": "Renamed"})
    assert len(unchanged.json()["entries"]) == 1


def test_a_null_date_opens_the_period(api):
    body = create(api, valid_from="2026-01-01")
    response = api.call("patch", f"/price-books/{body['id']}", {"valid_from": None, "name": None})
    assert response.json()["valid_from"] is None
    assert response.json()["name"] == "Standard"


def test_a_new_default_clears_the_other_default_of_its_currency(api):
    first = create(api, name="First", is_default=True)
    usd = create(api, name="USD", currency="USD", is_default=True)
    create(api, name="Second", is_default=True)
    assert api.call("get", f"/price-books/{first['id']}").json()["is_default"] is False
    assert api.call("get", f"/price-books/{usd['id']}").json()["is_default"] is True


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": ""}, "name"),
        ({"currency": "EURO"}, "currency"),
        ({"valid_from": "2026-02-01", "valid_until": "2026-01-31"}, "valid_until"),
        ({"entries": [{"product": "PRODUCT", "unit_price": 1}]}, "entries.0.product"),
        ({"entries": [{"unit_price": 1}]}, "entries.0.product"),
        ({"entries": [{"product": 2**40, "unit_price": 1}]}, "entries.0.product"),
        ({"entries": [{"product": "HOUR", "unit_price": -1}]}, "entries.0.unit_price"),
        ({"entries": [{"product": "HOUR", "unit_price": "1.234"}]}, "entries.0.unit_price"),
        (
            {
                "entries": [
                    {"product": "HOUR", "unit_price": 1},
                    {"product": "HOUR", "unit_price": 2},
                ]
            },
            "entries.1.product",
        ),
        ({"discount": 5}, "discount"),
    ],
)
def test_invalid_price_books_answer_422_naming_the_field(api, admin, products, body, field):
    for entry in body.get("entries", []):
        if entry.get("product") == "HOUR":
            entry["product"] = products["hour"].pk
    response = api.call("post", "/price-books", {"name": "Standard"} | body)
    assert response.status_code == 422, response.content
    assert response["Content-Type"] == PROBLEM
    assert field in {e["field"] for e in response.json()["errors"]}, response.json()
    assert not PriceBook.objects.for_tenant(admin.tenant).exists()


def test_a_trashed_product_gets_no_price(api, admin, products):
    services.product_delete(by=admin, product=products["hour"])
    response = api.call(
        "post",
        "/price-books",
        {"name": "Standard", "entries": [{"product": products["hour"].pk, "unit_price": 1}]},
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "field": "entries.0.product",
            "message": f"Product {products['hour'].pk} is not a product of your organisation "
            "(or it is in the trash).",
        }
    ]


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ({"currency": "usd"}, ["Dollars"]),
        ({"is_active": "false"}, ["Archive"]),
        ({"is_active": "true"}, ["Dollars", "Euros"]),
        ({}, ["Archive", "Dollars", "Euros"]),
    ],
)
def test_the_list_filters_by_currency_and_activity(api, query, names):
    create(api, name="Euros")
    create(api, name="Dollars", currency="USD")
    create(api, name="Archive", is_active=False)
    listed = api.call("get", "/price-books", query).json()
    assert [b["name"] for b in listed["items"]] == names


def test_a_bad_currency_filter_answers_422(api):
    assert api.call("get", "/price-books", {"currency": "EURO"}).status_code == 422


def test_the_trash_and_restore(api):
    body = create(api)
    url = f"/price-books/{body['id']}"
    assert api.call("delete", url).status_code == 204
    assert api.call("get", "/price-books").json()["count"] == 0
    assert api.call("get", "/price-books", {"deleted": "true"}).json()["count"] == 1
    assert api.call("post", f"{url}/restore").json()["deleted"] is False


def test_reps_read_price_books_but_may_not_write_them(admin, rep, api_as, products):
    body = create(api_as(admin), entries=[{"product": products["hour"].pk, "unit_price": 9}])
    client = api_as(rep)
    assert client.call("get", "/price-books").json()["count"] == 1
    assert client.call("get", f"/price-books/{body['id']}").json()["entries"]
    before = tenant_snapshot(admin.tenant)
    url = f"/price-books/{body['id']}"
    for method, path, data in [
        ("post", "/price-books", {"name": "Mine"}),
        ("patch", url, {"entries": []}),
        ("delete", url, None),
        ("post", f"{url}/restore", None),
    ]:
        response = client.call(method, path, data)
        assert response.status_code == 403, (method, path)
    assert tenant_snapshot(admin.tenant) == before


def test_every_price_book_endpoint_answers_404_for_another_organisations_books(
    api, other_org_records
):
    ids = other_org_records.ids
    before = other_org_records.snapshot()
    for method, path in [
        ("get", f"/price-books/{ids['price_book']}"),
        ("get", f"/price-books/{ids['price_book_deleted']}"),
        ("patch", f"/price-books/{ids['price_book']}"),
        ("delete", f"/price-books/{ids['price_book']}"),
        ("post", f"/price-books/{ids['price_book']}/restore"),
        ("post", f"/price-books/{ids['price_book_deleted']}/restore"),
    ]:
        response = api.call(method, path, {"name": "Hijacked"} if method == "patch" else None)
        assert response.status_code == 404, (method, path)
        assert not other_org_records.leaked_markers(response.content.decode())
    assert other_org_records.snapshot() == before


def test_a_price_for_another_organisations_product_is_refused_like_a_missing_one(
    api, other_org_records
):
    theirs = api.call(
        "post",
        "/price-books",
        {"name": "B", "entries": [{"product": other_org_records.ids["product"], "unit_price": 1}]},
    )
    missing = api.call(
        "post", "/price-books", {"name": "B", "entries": [{"product": 2**40, "unit_price": 1}]}
    )
    assert theirs.status_code == missing.status_code == 422
    assert theirs.json()["errors"][0]["message"].replace(
        str(other_org_records.ids["product"]), "ID"
    ) == missing.json()["errors"][0]["message"].replace(str(2**40), "ID")
    assert not other_org_records.leaked_markers(theirs.content.decode())


def test_the_list_never_shows_another_organisations_books(api, other_org_records):
    create(api)
    for query in ({}, {"deleted": "true"}):
        response = api.call("get", "/price-books", {"limit": 500} | query)
        assert not other_org_records.leaked_markers(response.content.decode())


def test_the_list_costs_the_same_queries_for_more_books_and_prices(
    api, admin, django_assert_max_num_queries
):
    first = factories.product(admin, sku="P-0")
    create(api, entries=[{"product": first.pk, "unit_price": 1}])
    api.call("get", "/price-books")  # the token's first use is recorded once
    with CaptureQueriesContext(connection) as few:
        api.call("get", "/price-books")
    products = [factories.product(admin, sku=f"P-{n}") for n in range(1, 6)]
    for n in range(4):
        create(
            api,
            name=f"Book {n}",
            entries=[{"product": p.pk, "unit_price": n} for p in products],
        )
    with CaptureQueriesContext(connection) as many:
        assert api.call("get", "/price-books").json()["count"] == 5
    assert len(many) == len(few)
    with django_assert_max_num_queries(8):
        api.call("get", "/price-books")
