"""/api/v1/quotas: CRUD with ETags, field errors, 409 on a second quota, roles, the fact and
progress of each quota (a fixed number of queries), filters and the bulk set."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from funia.core import periods
from funia.sales import opportunities
from funia.sales.quotas import services
from tests import factories

D = datetime.date


@pytest.fixture
def sales(admin, manager):
    rep = factories.member(admin.tenant, "sales_rep", email="rep@acme.example")
    other = factories.member(admin.tenant, "sales_rep", email="other@acme.example")
    team = factories.team(admin, "Sofia", manager=manager, members=[rep, other])
    return rep, other, team


def body(**fields):
    return {"period": "quarter", "start": "2026-10-01", "amount": "50000"} | fields


def test_create_read_update_delete_restore(admin, api_as, sales):
    rep = sales[0]
    client = api_as(admin)

    created = client.call("post", "/quotas", body(user=rep.user.pk, note="Q4 target"))
    assert created.status_code == 201, created.content
    data = created.json()
    assert data | {"id": 0, "created_at": "", "updated_at": ""} == {
        "id": 0,
        "user": rep.user.pk,
        "team": None,
        "period": "quarter",
        "start": "2026-10-01",
        "label": "2026-Q4",
        "amount": "50000.00",
        "currency": "EUR",
        "note": "Q4 target",
        "won": "0.00",
        "progress": 0.0,
        "version": 1,
        "created_at": "",
        "updated_at": "",
        "deleted": False,
        "deleted_at": None,
    }
    url = f"/quotas/{data['id']}"
    etag = client.call("get", url)["ETag"]

    stale = client.call("patch", url, {"amount": "1"}, headers={"If-Match": '"0-0"'})
    patched = client.call("patch", url, {"amount": 60000.5}, headers={"If-Match": etag})
    assert stale.status_code == 412
    assert patched.status_code == 200, patched.content
    assert (patched.json()["amount"], patched.json()["version"]) == ("60000.50", 2)

    assert client.call("delete", url).status_code == 204
    assert client.call("get", "/quotas").json()["count"] == 0
    assert client.call("get", "/quotas", {"deleted": "true"}).json()["count"] == 1
    restored = client.call("post", f"{url}/restore")
    assert (restored.status_code, restored.json()["deleted"]) == (200, False)
    assert restored.json()["won"] == "0.00"


def test_a_second_quota_for_the_same_period_answers_409_naming_the_first(admin, api_as, sales):
    client = api_as(admin)
    first = client.call("post", "/quotas", body(team=sales[2].pk)).json()

    again = client.call("post", "/quotas", body(team=sales[2].pk, amount="1"))

    assert again.status_code == 409
    assert again["Content-Type"] == "application/problem+json"
    assert f"(id {first['id']})" in again.json()["detail"]
    assert "2026-Q4" in again.json()["detail"]


def test_restoring_a_quota_whose_place_is_taken_answers_409(admin, api_as, sales):
    client = api_as(admin)
    old = client.call("post", "/quotas", body(team=sales[2].pk)).json()
    client.call("delete", f"/quotas/{old['id']}")
    client.call("post", "/quotas", body(team=sales[2].pk))
    assert client.call("post", f"/quotas/{old['id']}/restore").status_code == 409


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"start": "2026-11-01"}, "start"),
        ({"amount": "12.345"}, "amount"),
        ({"amount": "-5"}, "amount"),
        ({"period": "week"}, "period"),
        ({"colour": "red"}, "colour"),
        ({"team": 1}, "team"),  # with a user: not both
        ({"user": None}, "user"),  # neither
    ],
)
def test_invalid_quotas_answer_422_with_the_field(admin, api_as, sales, fields, field):
    rep = sales[0]
    response = api_as(admin).call("post", "/quotas", body(user=rep.user.pk) | fields)
    assert response.status_code == 422, response.content
    assert field in {e["field"] for e in response.json()["errors"]}


def test_a_patch_cannot_move_a_quota_to_another_rep_or_period(admin, api_as, sales):
    client = api_as(admin)
    quota = client.call("post", "/quotas", body(user=sales[0].user.pk)).json()
    response = client.call("patch", f"/quotas/{quota['id']}", {"start": "2027-01-01"})
    assert response.status_code == 422


def test_reps_and_analysts_read_but_do_not_write(admin, analyst, api_as, sales):
    rep, other, team = sales
    quota = services.quota_create(
        by=admin, team_id=team.pk, period="year", start=D(2026, 1, 1), amount=1
    )
    theirs = services.quota_create(
        by=admin, user_id=other.user.pk, period="year", start=D(2026, 1, 1), amount=1
    )
    # A team's quota carries the won amount of every member: a rep reads it only when the
    # organisation lets reps see their team's records.
    assert api_as(rep).call("get", f"/quotas/{quota.pk}").status_code == 404
    admin.tenant.reps_see_team_records = True
    admin.tenant.save()
    rep.tenant.reps_see_team_records = True
    for actor in (rep, analyst):
        client = api_as(actor)
        assert client.call("get", f"/quotas/{quota.pk}").status_code == 200
        assert client.call("post", "/quotas", body(team=team.pk)).status_code == 403
        patch = client.call("patch", f"/quotas/{quota.pk}", {"amount": "2"})
        assert patch.status_code == 403
        assert client.call("delete", f"/quotas/{quota.pk}").status_code == 403
    # A rep does not see a teammate's own quota: 404, as for a missing one.
    assert api_as(rep).call("get", f"/quotas/{theirs.pk}").status_code == 404
    assert api_as(analyst).call("get", f"/quotas/{theirs.pk}").status_code == 200


def test_a_manager_sets_quotas_for_their_team_not_for_themself(manager, api_as, sales):
    client = api_as(manager)
    assert client.call("post", "/quotas", body(user=sales[0].user.pk)).status_code == 201
    assert client.call("post", "/quotas", body(team=sales[2].pk)).status_code == 201
    own = client.call("post", "/quotas", body(user=manager.user.pk))
    assert own.status_code == 403
    assert "administrator" in own.json()["detail"]


def _won(admin, pipeline, owner, amount):
    deal = factories.opportunity(
        admin,
        pipeline_id=pipeline.pk,
        owner_id=owner.user.pk,
        amount=Decimal(amount),
    )
    won = pipeline.stages.get(kind="won")
    return opportunities.opportunity_move(by=admin, opportunity=deal, stage_id=won.pk)


def test_won_and_progress_match_a_hand_count(admin, api_as, sales):
    rep, other, team = sales
    pipeline = factories.pipeline(admin)
    _won(admin, pipeline, rep, "1200.40")
    _won(admin, pipeline, rep, "99.60")
    _won(admin, pipeline, other, "700")
    factories.opportunity(admin, pipeline_id=pipeline.pk, owner_id=rep.user.pk, amount=5000)
    gone = _won(admin, pipeline, rep, "300")
    opportunities.opportunity_delete(by=admin, opportunity=gone)
    month = periods.period_start("month", periods.today(admin.tenant))
    client = api_as(admin)
    client.call("post", "/quotas", body(user=rep.user.pk, period="month", start=str(month)))
    client.call("post", "/quotas", body(team=team.pk, period="year", start=f"{month.year}-01-01"))
    client.call(
        "post", "/quotas", body(user=other.user.pk, period="month", amount="0", start=str(month))
    )
    last_year = client.call(
        "post", "/quotas", body(user=rep.user.pk, period="year", start=f"{month.year - 1}-01-01")
    )

    items = {
        (i["user"], i["team"], i["period"]): i
        for i in client.call("get", "/quotas").json()["items"]
    }

    assert items[(rep.user.pk, None, "month")]["won"] == "1300.00"
    assert items[(rep.user.pk, None, "month")]["progress"] == 0.026
    assert items[(None, team.pk, "year")]["won"] == "2000.00"
    assert items[(None, team.pk, "year")]["progress"] == 0.04
    assert items[(other.user.pk, None, "month")]["progress"] is None  # a quota of 0
    assert last_year.json()["won"] == "0.00"


def test_the_list_costs_the_same_queries_for_two_quotas_or_twenty(admin, api_as, sales):
    rep, other, team = sales
    pipeline = factories.pipeline(admin)
    _won(admin, pipeline, rep, "100")
    client = api_as(admin)
    month = D(2026, 1, 1)
    services.quota_create(by=admin, user_id=rep.user.pk, period="month", start=month, amount=1)
    services.quota_create(by=admin, team_id=team.pk, period="year", start=month, amount=1)
    client.call("get", "/quotas")  # warm up (token, caches)
    with CaptureQueriesContext(connection) as two:
        assert client.call("get", "/quotas").json()["count"] == 2
    extra_team = factories.team(admin, "Plovdiv", members=[other])
    for index in range(1, 10):
        start = periods.add_months(month, index)
        services.quota_create(
            by=admin, user_id=other.user.pk, period="month", start=start, amount=index
        )
        services.quota_create(
            by=admin, team_id=extra_team.pk, period="month", start=start, amount=index
        )
    with CaptureQueriesContext(connection) as twenty:
        assert client.call("get", "/quotas").json()["count"] == 20
    assert len(twenty) == len(two)


def test_filters_by_rep_team_period_and_year(admin, api_as, sales):
    rep, other, team = sales
    for who in ({"user_id": rep.user.pk}, {"user_id": other.user.pk}, {"team_id": team.pk}):
        services.quota_create(by=admin, period="year", start=D(2026, 1, 1), amount=1, **who)
        services.quota_create(by=admin, period="month", start=D(2027, 2, 1), amount=1, **who)
    client = api_as(admin)

    def count(**query):
        return client.call("get", "/quotas", query).json()["count"]

    assert count() == 6
    assert count(user=rep.user.pk) == 2
    assert count(team=team.pk) == 2
    assert count(period="month") == 3
    assert count(year=2027) == 3
    assert count(user=rep.user.pk, year=2026, period="year") == 1
    assert client.call("get", "/quotas", {"year": 1}).status_code == 422


def test_bulk_sets_many_and_reports_each_row(manager, api_as, sales):
    rep, other, team = sales
    client = api_as(manager)
    items = [
        {"user": rep.user.pk, "period": "month", "start": "2026-10-01", "amount": "100"},
        {"user": manager.user.pk, "period": "month", "start": "2026-10-01", "amount": "100"},
        {"team": team.pk, "period": "quarter", "start": "2026-10-01", "amount": 900},
        {"user": other.user.pk, "period": "month", "start": "2026-10-02", "amount": "1"},
        {"user": other.user.pk, "period": "month", "start": "2026-10-01", "amount": None},
    ]

    first = client.call("post", "/quotas/bulk", {"items": items})
    again = client.call("post", "/quotas/bulk", {"items": items[:1] + items[2:3]})

    assert first.status_code == 200, first.content
    answer = first.json()
    assert [r["status"] for r in answer["items"]] == [
        "created",
        "error",
        "created",
        "error",
        "absent",
    ]
    assert (answer["created"], answer["failed"]) == (2, 2)
    assert answer["items"][3]["errors"] == [
        {
            "field": "start",
            "message": "A period starts on its first day: for 2026-10 give 2026-10-01.",
        }
    ]
    assert [r["status"] for r in again.json()["items"]] == ["unchanged", "unchanged"]


def test_bulk_is_refused_to_reps_and_limited_to_500_rows(admin, rep, api_as):
    row = {"user": rep.user.pk, "period": "month", "start": "2026-10-01", "amount": "1"}
    assert api_as(rep).call("post", "/quotas/bulk", {"items": [row]}).status_code == 403
    too_many = api_as(admin).call("post", "/quotas/bulk", {"items": [row] * 501})
    assert too_many.status_code == 422
