"""The API of territories, of a territory's accounts and of the coverage report."""

import datetime
import zoneinfo

import pytest

from funia.core import periods
from funia.sales.models import Territory
from funia.sales.territories.selectors import months_before
from tests import factories
from tests.conftest import tenant_snapshot
from tests.sales.territories.conftest import EVER, PERIOD, make_deal
from tests.sales.territories.helpers import account, territory

QUERY = {"from": PERIOD["start"].isoformat(), "to": PERIOD["end"].isoformat(), **EVER}


@pytest.fixture
def api(admin, api_as):
    return api_as(admin)


def test_create_read_update_delete_and_restore(api, admin, rep, manager):
    created = api.call(
        "post",
        "/territories",
        {
            "name": "Sofia & West",
            "countries": ["bg"],
            "regions": ["Sofia City"],
            "industries": ["Software"],
            "min_employees": 10,
            "max_employees": 250,
            "manager": manager.user.pk,
            "reps": [rep.user.pk],
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body | {"id": 0, "created_at": "", "updated_at": "", "position": 0} == {
        "id": 0,
        "name": "Sofia & West",
        "position": 0,
        "is_active": True,
        "countries": ["BG"],
        "regions": ["Sofia City"],
        "industries": ["Software"],
        "min_employees": 10,
        "max_employees": 250,
        "manager": manager.user.pk,
        "reps": [rep.user.pk],
        "version": 1,
        "created_at": "",
        "updated_at": "",
        "deleted": False,
    }
    url = f"/territories/{body['id']}"
    read = api.call("get", url)
    assert read["ETag"] == f'"{body["id"]}-1"'

    patched = api.call(
        "patch", url, {"reps": [], "max_employees": None}, headers={"If-Match": read["ETag"]}
    )
    assert patched.status_code == 200, patched.content
    assert patched.json()["reps"] == []
    assert patched.json()["max_employees"] is None
    stale = api.call("patch", url, {"name": "Again"}, headers={"If-Match": read["ETag"]})
    assert stale.status_code == 412

    assert api.call("delete", url).status_code == 204
    assert api.call("get", "/territories").json()["count"] == 0
    assert api.call("get", "/territories", {"deleted": "true"}).json()["count"] == 1
    restored = api.call("post", f"{url}/restore")
    assert restored.status_code == 200
    assert restored.json()["deleted"] is False


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "T", "countries": ["Atlantis"]}, "countries"),
        ({"name": "T", "countries": "BG"}, "countries"),
        ({"name": "T", "min_employees": 10, "max_employees": 5}, "max_employees"),
        ({"name": "T", "min_employees": -1}, "min_employees"),
        ({"name": "T", "manager": 2**40}, "manager"),
        ({"name": "T", "reps": [2**40]}, "reps"),
        ({"name": "T", "reps": [0]}, "reps.0"),
        ({"name": "T", "colour": "red"}, "colour"),
    ],
)
def test_invalid_bodies_answer_422_naming_the_field(api, admin, body, field):
    response = api.call("post", "/territories", body)
    assert response.status_code == 422, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert field in {e["field"] for e in response.json()["errors"]}
    assert not Territory.objects.for_tenant(admin.tenant).exists()


def test_every_member_reads_territories_but_only_administrators_write(admin, rep, api_as):
    t = territory(admin, "T", countries=["BG"])
    client = api_as(rep)
    assert client.call("get", "/territories").json()["count"] == 1
    assert client.call("get", f"/territories/{t.pk}").status_code == 200
    before = tenant_snapshot(admin.tenant)
    for method, path, body in [
        ("post", "/territories", {"name": "Mine"}),
        ("patch", f"/territories/{t.pk}", {"name": "Mine"}),
        ("delete", f"/territories/{t.pk}", None),
        ("post", "/territories/order", {"territories": [t.pk]}),
    ]:
        response = client.call(method, path, body)
        assert response.status_code == 403, (method, path)
    assert tenant_snapshot(admin.tenant) == before


def test_the_order_endpoint_sets_the_matching_order(api, admin):
    a, b = territory(admin, "A"), territory(admin, "B")
    response = api.call("post", "/territories/order", {"territories": [b.pk, a.pk]})
    assert response.status_code == 200, response.content
    assert [t["name"] for t in response.json()] == ["B", "A"]
    assert [t["name"] for t in api.call("get", "/territories").json()["items"]] == ["B", "A"]
    unknown = api.call("post", "/territories/order", {"territories": [2**40]})
    assert unknown.status_code == 422


def test_the_accounts_of_a_territory_as_prospects_or_customers(scene, api_as):
    api = api_as(scene.admin)
    url = f"/territories/{scene.bulgaria.pk}/accounts"

    everyone = api.call("get", url, EVER).json()
    prospects = api.call("get", url, {"status": "prospect", **EVER}).json()
    customers = api.call("get", url, {"status": "customer", **EVER}).json()

    assert everyone["count"] == 3
    assert {a["name"] for a in prospects["items"]} == {"Manager's Varna shop"}
    assert {(a["name"], a["status"]) for a in customers["items"]} == {
        ("Rep's Sofia shop", "customer"),
        ("Rep's Plovdiv shop", "customer"),
    }
    assert api.call("get", url, {"status": "vip"}).status_code == 422
    # The rep sees only their own accounts of the territory.
    assert api_as(scene.rep).call("get", url).json()["count"] == 2


def test_a_trashed_territory_has_no_accounts_to_list(api, admin):
    from funia.sales.territories import services

    t = territory(admin, "T")
    account(admin, "Shop")
    services.territory_delete(by=admin, territory=t)
    assert api.call("get", f"/territories/{t.pk}/accounts").status_code == 404


def test_the_coverage_report_in_the_api(scene, api_as):
    response = api_as(scene.admin).call("get", "/reports/territories", QUERY)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["from"] == "2025-01-01" and body["to"] == "2025-07-01"
    assert body["active_months"] == 120
    assert body["currency"] == scene.admin.tenant.currency
    bulgaria = body["territories"][0]
    assert bulgaria == {
        "territory": scene.bulgaria.pk,
        "name": "Bulgaria",
        "reps": 1,
        "rep_ids": [scene.rep.user.pk],
        "accounts": 3,
        "prospects": 1,
        "customers": 2,
        "open_pipeline": "1400.00",
        "weighted_pipeline": "400.00",
        "open_deals": 2,
        "revenue": "2080.00",
        "won_deals": 3,
    }
    assert body["territories"][-1]["territory"] is None
    assert body["total"]["revenue"] == "2380.00"


def test_a_rep_and_an_administrator_see_different_coverage(scene, api_as):
    admin_view = api_as(scene.admin).call("get", "/reports/territories", QUERY).json()
    rep_view = api_as(scene.rep).call("get", "/reports/territories", QUERY).json()
    assert admin_view["total"]["accounts"] == 5
    assert rep_view["total"]["accounts"] == 2
    assert rep_view["total"]["open_pipeline"] == "1000.00"


@pytest.mark.parametrize(
    "query",
    [
        {"from": "2025-07-01", "to": "2025-01-01"},
        {"from": "not a date"},
        {"from": "0001-01-01"},
        {"to": "9999-12-31"},
        {"active_months": "0"},
        {"active_months": "121"},
        {"active_months": "-3"},
        {"active_months": "twelve"},
        {"active_months": "1.5"},
    ],
)
def test_a_bad_period_answers_422(api, query):
    response = api.call("get", "/reports/territories", query)
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    if "active_months" in query:
        assert "active_months" in response.content.decode()


@pytest.mark.parametrize("months", ["0", "121", "twelve"])
def test_a_bad_active_window_of_a_territorys_accounts_answers_422(api, admin, months):
    t = territory(admin, "T")
    response = api.call("get", f"/territories/{t.pk}/accounts", {"active_months": months})
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"


def test_an_account_whose_only_win_is_older_than_the_window_is_a_prospect(api, admin):
    today = periods.today(admin.tenant)
    bulgaria = territory(admin, "Bulgaria", countries=["BG"])
    make_deal(
        admin,
        factories.pipeline(admin),
        stage="Won",
        amount="100",
        owner=admin,
        account_obj=account(admin, "Lapsed", country="BG"),
        won_at=datetime.datetime.combine(
            months_before(today, 13), datetime.time(12), tzinfo=zoneinfo.ZoneInfo("Europe/Sofia")
        ),
    )
    url = f"/territories/{bulgaria.pk}/accounts"

    body = api.call("get", "/reports/territories").json()
    wider = api.call("get", "/reports/territories", {"active_months": 24}).json()

    assert body["active_months"] == 12
    assert body["active_since"] == months_before(today, 12).isoformat()
    assert body["active_until"] == today.isoformat()
    row = body["territories"][0]
    assert (row["name"], row["customers"], row["prospects"]) == ("Bulgaria", 0, 1)
    assert api.call("get", url).json()["items"][0]["status"] == "prospect"
    assert wider["active_months"] == 24
    assert (wider["territories"][0]["customers"], wider["territories"][0]["prospects"]) == (1, 0)
    customers = api.call("get", url, {"status": "customer", "active_months": 24}).json()
    assert [a["name"] for a in customers["items"]] == ["Lapsed"]


def test_a_period_given_by_one_end_lasts_a_year(api):
    body = api.call("get", "/reports/territories", {"from": "2024-02-29"}).json()
    assert (body["from"], body["to"]) == ("2024-02-29", "2025-02-28")
    body = api.call("get", "/reports/territories", {"to": "2025-07-01"}).json()
    assert (body["from"], body["to"]) == ("2024-07-01", "2025-07-01")


def test_the_list_costs_the_same_queries_for_more_territories_and_reps(api, admin, rep, manager):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    territory(admin, "First", rep_ids=[rep.user.pk], manager_id=manager.user.pk)
    api.call("get", "/territories")  # the token's first use is recorded once
    with CaptureQueriesContext(connection) as few:
        assert api.call("get", "/territories").json()["count"] == 1
    for n in range(5):
        territory(admin, f"More {n}", rep_ids=[rep.user.pk, manager.user.pk])
    with CaptureQueriesContext(connection) as many:
        assert api.call("get", "/territories").json()["count"] == 6
    assert len(few) == len(many)
