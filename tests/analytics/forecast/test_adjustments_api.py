"""/forecast-adjustments: the record conventions, who may adjust whom, validation, one live
adjustment per rep, period and category (409), and a refused write changes nothing."""

import pytest

from funia.analytics.models import ForecastAdjustment
from tests import factories
from tests.conftest import ApiClient, tenant_snapshot

PROBLEM = "application/problem+json"


@pytest.fixture
def people(org, admin, manager, rep, analyst):
    """Mira manages North (the rep and herself); Olga is in South, which nobody manages."""
    other = factories.member(org, "sales_rep", first_name="Olga", last_name="Other")
    factories.team(admin, "North", manager=manager, members=[rep, manager])
    factories.team(admin, "South", members=[other])
    return {"admin": admin, "manager": manager, "rep": rep, "analyst": analyst, "other": other}


def signed_in(actor) -> ApiClient:
    """The API through the web session (a token would record its last use)."""
    client = ApiClient()
    client.force_login(actor.user)
    return client


def body(rep, **fields):
    return {
        "user": rep.user.pk,
        "period": "month",
        "start": "2026-11-01",
        "category": "commit",
        "amount": "1200.50",
        "note": "Verbal yes from the buyer",
        **fields,
    }


def test_a_manager_adjusts_a_rep_of_their_team_and_is_recorded_as_adjusting(people, api_as):
    response = api_as(people["manager"]).call("post", "/forecast-adjustments", body(people["rep"]))
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["user"] == people["rep"].user.pk
    assert data["adjusted_by"] == people["manager"].user.pk
    assert data["amount"] == "1200.50"
    assert data["label"] == "2026-11"
    assert response["ETag"] == f'"{data["id"]}-1"'


def test_adjusted_by_cannot_be_sent(people, api_as):
    payload = body(people["rep"], adjusted_by=people["rep"].user.pk)
    response = api_as(people["admin"]).call("post", "/forecast-adjustments", payload)
    assert response.status_code == 422
    assert "adjusted_by" in {e["field"] for e in response.json()["errors"]}


def test_an_update_makes_the_writer_the_one_who_adjusted(people, api_as):
    created = api_as(people["manager"]).call("post", "/forecast-adjustments", body(people["rep"]))
    pk = created.json()["id"]
    response = api_as(people["admin"]).call(
        "patch", f"/forecast-adjustments/{pk}", {"amount": 900, "note": None}
    )
    assert response.status_code == 200, response.content
    assert response.json()["adjusted_by"] == people["admin"].user.pk
    assert (response.json()["amount"], response.json()["note"]) == ("900.00", "")


@pytest.mark.parametrize("who", ["admin", "manager"])
def test_admins_and_managers_may_adjust_the_rep(people, api_as, who):
    response = api_as(people[who]).call("post", "/forecast-adjustments", body(people["rep"]))
    assert response.status_code == 201


def test_a_manager_may_not_adjust_a_rep_outside_their_teams(people, api_as, org):
    client = signed_in(people["manager"])
    before = tenant_snapshot(org)
    response = client.call("post", "/forecast-adjustments", body(people["other"]))
    assert response.status_code == 403
    assert response["Content-Type"] == PROBLEM
    assert "teams they manage" in response.json()["detail"]
    assert tenant_snapshot(org) == before


def test_a_manager_may_not_adjust_their_own_forecast(people, api_as, org):
    """A member of the team she manages, still: her own number is her manager's call."""
    client = signed_in(people["manager"])
    before = tenant_snapshot(org)
    response = client.call("post", "/forecast-adjustments", body(people["manager"]))
    assert response.status_code == 403
    assert tenant_snapshot(org) == before


@pytest.mark.parametrize("who", ["rep", "analyst"])
def test_reps_and_analysts_only_read(people, api_as, org, who):
    client = signed_in(people[who])
    before = tenant_snapshot(org)
    response = client.call("post", "/forecast-adjustments", body(people["rep"]))
    assert response.status_code == 403
    assert tenant_snapshot(org) == before


@pytest.mark.parametrize("who", ["rep", "analyst"])
def test_reps_and_analysts_may_not_change_or_delete_one(people, api_as, who):
    created = api_as(people["admin"]).call("post", "/forecast-adjustments", body(people["rep"]))
    pk = created.json()["id"]
    client = api_as(people[who])
    assert client.call("patch", f"/forecast-adjustments/{pk}", {"amount": 1}).status_code == 403
    assert client.call("delete", f"/forecast-adjustments/{pk}").status_code == 403
    assert (
        ForecastAdjustment.objects.for_tenant(people["admin"].tenant).get(pk=pk).amount == 1200.50
    )


def test_a_manager_may_not_move_an_adjustment_to_a_rep_outside_their_teams(people, api_as):
    created = api_as(people["manager"]).call("post", "/forecast-adjustments", body(people["rep"]))
    pk = created.json()["id"]
    response = api_as(people["manager"]).call(
        "patch", f"/forecast-adjustments/{pk}", {"user": people["other"].user.pk}
    )
    assert response.status_code == 403


def test_a_second_live_adjustment_of_the_same_number_is_a_conflict(people, api_as):
    client = api_as(people["admin"])
    first = client.call("post", "/forecast-adjustments", body(people["rep"]))
    second = client.call("post", "/forecast-adjustments", body(people["rep"], amount=5))
    assert second.status_code == 409
    assert second["Content-Type"] == PROBLEM
    detail = second.json()["detail"]
    assert "already an adjustment" in detail and str(first.json()["id"]) in detail
    # Another category, period or rep is another number.
    assert (
        client.call(
            "post", "/forecast-adjustments", body(people["rep"], category="best_case")
        ).status_code
        == 201
    )
    assert (
        client.call(
            "post",
            "/forecast-adjustments",
            body(people["rep"], period="quarter", start="2026-10-01"),
        ).status_code
        == 201
    )


def test_after_the_trash_a_new_one_may_be_made_and_the_old_one_not_restored(people, api_as):
    client = api_as(people["admin"])
    first = client.call("post", "/forecast-adjustments", body(people["rep"])).json()
    assert client.call("delete", f"/forecast-adjustments/{first['id']}").status_code == 204
    assert client.call("post", "/forecast-adjustments", body(people["rep"])).status_code == 201
    restore = client.call("post", f"/forecast-adjustments/{first['id']}/restore")
    assert restore.status_code == 409


def test_moving_an_adjustment_onto_another_live_one_is_a_conflict(people, api_as):
    client = api_as(people["admin"])
    client.call("post", "/forecast-adjustments", body(people["rep"]))
    other = client.call("post", "/forecast-adjustments", body(people["rep"], category="pipeline"))
    response = client.call(
        "patch", f"/forecast-adjustments/{other.json()['id']}", {"category": "commit"}
    )
    assert response.status_code == 409


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"start": "2026-11-02"}, "start"),
        ({"period": "quarter", "start": "2026-11-01"}, "start"),
        ({"period": "year", "start": "2026-01-01"}, "period"),
        ({"category": "omitted"}, "category"),
        ({"category": "closed"}, "category"),
        ({"amount": "-1"}, "amount"),
        ({"amount": "1.234"}, "amount"),
        ({"amount": "1e20"}, "amount"),
        ({"note": "x" * 301}, "note"),
        ({"user": 2**62}, "user"),
    ],
)
def test_an_invalid_adjustment_is_a_field_error(people, api_as, org, fields, field):
    client = signed_in(people["admin"])
    before = tenant_snapshot(org)
    response = client.call("post", "/forecast-adjustments", body(people["rep"], **fields))
    assert response.status_code == 422, response.content
    assert field in {e["field"] for e in response.json()["errors"]}
    assert tenant_snapshot(org) == before


def test_the_start_error_names_the_right_first_day(people, api_as):
    response = api_as(people["admin"]).call(
        "post", "/forecast-adjustments", body(people["rep"], period="quarter", start="2026-11-15")
    )
    assert "2026-10-01" in response.json()["errors"][0]["message"]


def test_a_rep_of_another_organisation_is_refused_like_a_missing_one(
    people, api_as, other_org_records
):
    client = api_as(people["admin"])
    theirs = client.call(
        "post",
        "/forecast-adjustments",
        {**body(people["rep"]), "user": other_org_records.ids["user"]},
    )
    missing = client.call("post", "/forecast-adjustments", {**body(people["rep"]), "user": 2**62})
    assert theirs.status_code == 422
    assert theirs.json() == missing.json()


def test_a_stale_if_match_is_412(people, api_as):
    client = api_as(people["admin"])
    created = client.call("post", "/forecast-adjustments", body(people["rep"]))
    pk = created.json()["id"]
    client.call("patch", f"/forecast-adjustments/{pk}", {"amount": 1})
    stale = client.call(
        "patch", f"/forecast-adjustments/{pk}", {"amount": 2}, headers={"If-Match": created["ETag"]}
    )
    assert stale.status_code == 412


def test_the_list_shows_each_reader_the_adjustments_of_the_reps_they_see(people, api_as):
    admin = api_as(people["admin"])
    mine = admin.call("post", "/forecast-adjustments", body(people["rep"])).json()["id"]
    others = admin.call("post", "/forecast-adjustments", body(people["other"])).json()["id"]

    def listed(who, **query):
        response = api_as(people[who]).call("get", "/forecast-adjustments", query)
        assert response.status_code == 200
        return {item["id"] for item in response.json()["items"]}

    assert listed("admin") == listed("analyst") == {mine, others}
    assert listed("manager") == {mine}
    assert listed("rep") == {mine}
    assert listed("admin", user=people["other"].user.pk) == {others}
    assert listed("admin", category="best_case") == set()
    # A rep reads their own; another rep's is 404.
    assert api_as(people["rep"]).call("get", f"/forecast-adjustments/{others}").status_code == 404


def test_the_trash_lists_deleted_adjustments(people, api_as):
    client = api_as(people["admin"])
    pk = client.call("post", "/forecast-adjustments", body(people["rep"])).json()["id"]
    client.call("delete", f"/forecast-adjustments/{pk}")
    assert client.call("get", "/forecast-adjustments").json()["items"] == []
    trash = client.call("get", "/forecast-adjustments", {"deleted": "true"}).json()["items"]
    assert [(i["id"], i["deleted"]) for i in trash] == [(pk, True)]


def test_an_adjustment_shows_in_the_forecast_of_its_month(people, api_as):
    client = api_as(people["manager"])
    client.call("post", "/forecast-adjustments", body(people["rep"], amount=700))
    report = client.call(
        "get", "/reports/forecast", {"from": "2026-11", "months": 1, "group_by": "owner"}
    ).json()
    [group] = [g for g in report["groups"] if g["key"] == people["rep"].user.pk]
    cell = next(r for r in group["rows"] if r["key"] == "2026-11")["categories"]["commit"]
    assert (cell["amount"], cell["computed"], cell["adjusted"]) == ("700.00", "0.00", True)
    assert cell["adjustments"][0]["adjusted_by_name"] == str(people["manager"].user)
