"""The API of /products: option groups written with the product and read back with ids,
filters, roles, other organisations and the cost of the list."""

import copy

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from funia.sales.catalog.models import Option, Product
from tests import factories
from tests.conftest import tenant_snapshot
from tests.sales.catalog.helpers import PNG, ROADSTER, group_ids, option_ids, upload

PROBLEM = "application/problem+json"


def create_car(api, **changes) -> dict:
    response = api.call("post", "/products", copy.deepcopy(ROADSTER) | changes)
    assert response.status_code == 201, response.content
    return response.json()


def test_a_car_is_created_with_option_groups_and_read_back_with_ids(api):
    created = api.call("post", "/products", ROADSTER)

    assert created.status_code == 201, created.content
    body = created.json()
    assert created["ETag"] == f'"{body["id"]}-1"'
    ids = option_ids(body)
    assert set(ids) == {"White", "Red", "Fabric", "Leather", "Premium", "Sport", "Eco"}
    seats = body["option_groups"][1]
    assert seats == {
        "id": group_ids(body)["Seats"],
        "name": "Seats",
        "kind": "single",
        "required": True,
        "options": [
            {
                "id": ids["Fabric"],
                "name": "Fabric",
                "price_adjustment": "0.00",
                "adjustment_type": "fixed",
                "default": True,
                "requires": [],
                "excludes": [],
            },
            {
                "id": ids["Leather"],
                "name": "Leather",
                "price_adjustment": "2000.00",
                "adjustment_type": "fixed",
                "default": False,
                "requires": [{"id": ids["Premium"], "name": "Premium", "group": "Packages"}],
                "excludes": [],
            },
        ],
    }
    sport = body["option_groups"][2]["options"][1]
    assert sport["excludes"] == [{"id": ids["Eco"], "name": "Eco", "group": "Packages"}]
    assert (body["sku"], body["tax_rate"], body["category"]) == ("CAR-1", "20.00", "Cars")
    assert body["files"] == []
    assert api.call("get", f"/products/{body['id']}").json() == body


def test_a_product_read_back_can_be_sent_back_unchanged(api):
    body = create_car(api)
    read = api.call("get", f"/products/{body['id']}")
    response = api.call(
        "patch",
        f"/products/{body['id']}",
        {"option_groups": body["option_groups"]},
        headers={"If-Match": read["ETag"]},
    )
    assert response.status_code == 200, response.content
    assert response.json()["option_groups"] == body["option_groups"]
    assert response.json()["version"] == 1


def test_patching_the_option_groups_keeps_the_ids_of_unchanged_names(api):
    body = create_car(api)
    before = option_ids(body)
    groups = copy.deepcopy(ROADSTER["option_groups"])
    groups[0]["options"].append({"name": "Blue", "price_adjustment": "450"})
    groups[2]["options"] = groups[2]["options"][:1]

    response = api.call("patch", f"/products/{body['id']}", {"option_groups": groups})

    assert response.status_code == 200, response.content
    after = option_ids(response.json())
    assert {n: after[n] for n in ("White", "Red", "Fabric", "Leather", "Premium")} == {
        n: before[n] for n in ("White", "Red", "Fabric", "Leather", "Premium")
    }
    assert after["Blue"] not in before.values()
    assert "Sport" not in after and "Eco" not in after
    assert group_ids(response.json()) == group_ids(body)
    assert response.json()["version"] == 2


def test_a_patch_without_option_groups_leaves_them_alone(api):
    body = create_car(api)
    response = api.call("patch", f"/products/{body['id']}", {"name": "Roadster S"})
    assert response.json()["option_groups"] == body["option_groups"]
    assert response.json()["name"] == "Roadster S"


def test_rules_may_name_options_by_id_or_by_name_and_group(api):
    body = create_car(api)
    ids = option_ids(body)
    groups = copy.deepcopy(body["option_groups"])
    groups[0]["options"][1]["requires"] = [ids["Sport"]]
    groups[0]["options"][1]["excludes"] = [{"name": "Eco", "group": "Packages"}]
    response = api.call("patch", f"/products/{body['id']}", {"option_groups": groups})
    assert response.status_code == 200, response.content
    red = response.json()["option_groups"][0]["options"][1]
    assert (red["requires"][0]["name"], red["excludes"][0]["name"]) == ("Sport", "Eco")


def test_the_description_is_sanitised(api):
    body = create_car(api, description='<p onclick="x()">Hi</p><script>alert(1)</script>')
    assert body["description"] == "<p>Hi</p>"


def roadster_with(path, value):
    data = copy.deepcopy(ROADSTER)
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return data


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        (
            roadster_with(["option_groups", 1, "options", 1, "requires"], ["Premum"]),
            "option_groups",
            "Leather (Seats): “Premum” is not an option of this product.",
        ),
        (
            roadster_with(["option_groups", 2, "options", 1, "excludes"], ["Sport"]),
            "option_groups",
            "Sport (Packages) cannot exclude itself.",
        ),
        (
            roadster_with(["option_groups", 0, "options", 1, "default"], True),
            "option_groups",
            "“Colour” is a single choice: only one of its options can be the default.",
        ),
        (
            roadster_with(["option_groups", 2, "name"], "Seats"),
            "option_groups",
            "There are two groups named “Seats”: group names differ within a product.",
        ),
        (
            roadster_with(["option_groups", 0, "kind"], "several"),
            "option_groups.0.kind",
            None,
        ),
        (roadster_with(["tax_rate"], "101"), "tax_rate", None),
        (roadster_with(["sku"], ""), "sku", None),
        (roadster_with(["colour"], "red"), "colour", None),
        (
            roadster_with(["option_groups", 0, "options", 0, "price_adjustment"], "1.234"),
            None,
            None,
        ),
    ],
)
def test_invalid_products_answer_422_naming_the_problem(api, admin, body, field, message):
    response = api.call("post", "/products", body)
    assert response.status_code == 422, response.content
    assert response["Content-Type"] == PROBLEM
    errors = response.json()["errors"]
    if field:
        assert field in {e["field"] for e in errors}, errors
    if message:
        assert message in {e["message"] for e in errors}, errors
    assert not Product.objects.for_tenant(admin.tenant).exists()


def test_a_taken_sku_answers_422_on_the_sku(api):
    create_car(api)
    response = api.call("post", "/products", {"sku": "car-1", "name": "Other"})
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "sku", "message": "The SKU CAR-1 is already used by the product “Roadster”."}
    ]


def test_a_stale_if_match_changes_nothing(api):
    body = create_car(api)
    url = f"/products/{body['id']}"
    etag = api.call("get", url)["ETag"]
    assert api.call("patch", url, {"name": "New"}, headers={"If-Match": etag}).status_code == 200
    stale = api.call("patch", url, {"option_groups": []}, headers={"If-Match": etag})
    assert stale.status_code == 412
    assert len(api.call("get", url).json()["option_groups"]) == 3


def test_delete_moves_to_the_trash_and_restore_brings_it_back(api):
    body = create_car(api)
    url = f"/products/{body['id']}"
    assert api.call("delete", url).status_code == 204
    assert api.call("get", "/products").json()["count"] == 0
    assert api.call("get", "/products", {"deleted": "true"}).json()["count"] == 1
    restored = api.call("post", f"{url}/restore")
    assert restored.status_code == 200
    assert restored.json()["deleted"] is False
    assert len(restored.json()["option_groups"]) == 3


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ({"q": "car-"}, ["Roadster"]),
        ({"q": "hour"}, ["Service hour"]),
        ({"category": "cars"}, ["Roadster"]),
        ({"is_active": "false"}, ["Old model"]),
        ({}, ["Roadster", "Service hour"]),
    ],
)
def test_the_list_filters_by_text_category_and_activity(api, admin, query, names):
    create_car(api)
    factories.product(admin, sku="SVC-1", name="Service hour", category="Services")
    factories.product(admin, sku="OLD-1", name="Old model", is_active=False)
    listed = api.call("get", "/products", {"is_active": "true"} | query).json()
    assert [p["name"] for p in listed["items"]] == names


def test_reps_read_products_but_may_not_write_them(admin, rep, api_as):
    body = create_car(api_as(admin))
    client = api_as(rep)
    assert client.call("get", "/products").json()["count"] == 1
    assert client.call("get", f"/products/{body['id']}").json()["option_groups"]
    before = tenant_snapshot(admin.tenant)
    url = f"/products/{body['id']}"
    for method, path, data in [
        ("post", "/products", {"sku": "MINE", "name": "Mine"}),
        ("patch", url, {"name": "Mine"}),
        ("patch", url, {"option_groups": []}),
        ("delete", url, None),
        ("post", f"{url}/restore", None),
    ]:
        response = client.call(method, path, data)
        assert response.status_code == 403, (method, path)
        assert response["Content-Type"] == PROBLEM
    upload_response = client.post(
        f"/api/v1{url}/files",
        {"file": upload("photo.png", PNG)},
        headers={"Authorization": f"Bearer {client.token}"},
    )
    assert upload_response.status_code == 403
    assert tenant_snapshot(admin.tenant) == before


# -- other organisations -----------------------------------------------------------------


def rival_paths(ids: dict) -> list[tuple[str, str]]:
    product, product_file = ids["product"], ids["product_file"]
    return [
        ("get", f"/products/{product}"),
        ("patch", f"/products/{product}"),
        ("delete", f"/products/{product}"),
        ("post", f"/products/{product}/restore"),
        ("post", f"/products/{ids['product_deleted']}/restore"),
        ("get", f"/products/{ids['product_deleted']}"),
        ("post", f"/products/{product}/files"),
        ("get", f"/products/{product}/files/{product_file}"),
        ("delete", f"/products/{product}/files/{product_file}"),
    ]


def test_every_product_endpoint_answers_404_for_another_organisations_records(
    api, other_org_records
):
    before = other_org_records.snapshot()
    for method, path in rival_paths(other_org_records.ids):
        body = {"name": "Hijacked"} if method == "patch" else None
        response = api.call(method, path, body)
        assert response.status_code == 404, (method, path, response.content)
        assert response["Content-Type"] == PROBLEM
        assert not other_org_records.leaked_markers(response.content.decode())
    assert other_org_records.snapshot() == before


def test_a_file_of_another_organisation_is_404_under_an_own_product(api, other_org_records):
    own = create_car(api)
    path = f"/products/{own['id']}/files/{other_org_records.ids['product_file']}"
    assert api.call("get", path).status_code == 404
    assert api.call("delete", path).status_code == 404


def test_the_product_list_never_shows_another_organisations_products(api, other_org_records):
    create_car(api)
    for query in ({}, {"deleted": "true"}, {"q": "Rival"}):
        response = api.call("get", "/products", {"limit": 500} | query)
        assert not other_org_records.leaked_markers(response.content.decode())
        ids = {p["id"] for p in response.json()["items"]}
        theirs = {other_org_records.ids["product"], other_org_records.ids["product_deleted"]}
        assert not ids & theirs


def test_an_option_of_another_organisation_cannot_be_named_in_a_rule(api, other_org_records):
    data = copy.deepcopy(ROADSTER)
    data["option_groups"][0]["options"][1]["requires"] = [other_org_records.ids["option"]]
    response = api.call("post", "/products", data)
    assert response.status_code == 422
    assert not other_org_records.leaked_markers(response.content.decode())
    assert "Rival Secret Option" not in response.content.decode()


# -- cost --------------------------------------------------------------------------------


def test_the_list_costs_the_same_queries_for_more_products_options_and_files(
    api, admin, django_assert_max_num_queries
):
    from funia.sales.catalog import services

    create_car(api)
    api.call("get", "/products")  # the token's first use is recorded once
    with CaptureQueriesContext(connection) as few:
        assert api.call("get", "/products").json()["count"] == 1
    for n in range(4):
        body = create_car(api, sku=f"CAR-{n + 2}", name=f"Roadster {n}")
        product = Product.objects.for_tenant(admin.tenant).get(pk=body["id"])
        services.product_file_add(by=admin, product=product, uploaded=upload("a.png", PNG))
    assert Option.objects.for_tenant(admin.tenant).count() == 35
    with CaptureQueriesContext(connection) as many:
        assert api.call("get", "/products").json()["count"] == 5
    assert len(many) == len(few)
    with django_assert_max_num_queries(12):
        api.call("get", "/products")
