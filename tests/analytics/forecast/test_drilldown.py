"""Every number of the forecast lists exactly its deals: the drill-down's count and the sum
of its amounts equal the number (the computed one where a manager adjusted it)."""

from decimal import Decimal

import pytest

from tests.analytics.forecast.conftest import WINDOW

D = Decimal
CATEGORIES = ("commit", "best_case", "pipeline")


def drill(client, **query) -> list[dict]:
    response = client.call("get", "/reports/forecast/deals", {**query, "limit": 500})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == len(body["items"])
    return body["items"]


def total(items, field="amount_base") -> Decimal:
    return sum((D(i[field]) for i in items if i[field] is not None), D(0))


def check_rows(client, params: dict, rows: list[dict], group=None) -> int:
    """Compare every number of the rows with its drill-down; returns how many were checked."""
    checked = 0
    extra = {"group": group} if group is not None else {}
    for row in rows:
        month = {} if row["key"] == "total" else {"month": row["key"]}
        for category in CATEGORIES:
            cell = row["categories"][category]
            items = drill(client, **params, **month, **extra, category=category)
            assert len(items) == cell["count"], (row["key"], category)
            assert total(items) == D(cell["computed"]), (row["key"], category)
            assert {i["forecast_category"] for i in items} <= {category, "closed"}
            checked += 1
        items = drill(client, **params, **month, **extra, category="open")
        assert len(items) == row["open_count"]
        assert total(items, "weighted_amount") == D(row["weighted"])
        won = drill(client, **params, **month, **extra, category="won")
        assert (len(won), total(won)) == (row["won"]["count"], D(row["won"]["amount"]))
        assert all(i["stage_kind"] == "won" for i in won)
        commit = row["categories"]["commit"]
        rolled = drill(client, **params, **month, **extra, category="commit_forecast")
        assert len(rolled) == row["won"]["count"] + commit["count"]
        assert total(rolled) == D(row["won"]["amount"]) + D(commit["computed"])
        everything = drill(client, **params, **month, **extra)
        assert len(everything) == row["open_count"] + row["won"]["count"]
        checked += 5
    return checked


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"group_by": "owner"},
        {"group_by": "team"},
        {"months": 3, "from": "2025-02"},
    ],
    ids=["all", "by-owner", "by-team", "other-window"],
)
def test_every_number_lists_exactly_its_deals(scene, api_as, params):
    client = api_as(scene.admin)
    params = {**WINDOW, **params}
    report = client.call("get", "/reports/forecast", params).json()
    checked = check_rows(client, params, [*report["forecast"]["rows"], report["forecast"]["total"]])
    checked += check_rows(client, params, report["quarters"])
    for group in report["groups"] or []:
        key = "__none__" if group["key"] is None else str(group["key"])
        checked += check_rows(
            client, params, [*group["rows"], group["total"], *group["quarters"]], key
        )
    assert checked > 40


def test_plan_vs_fact_lists_the_wins_of_each_past_month_and_of_all_of_them(scene, api_as):
    client = api_as(scene.admin)
    report = client.call("get", "/reports/forecast", WINDOW).json()
    plan = report["plan_vs_fact"]
    for row in plan["rows"]:
        won = drill(client, **WINDOW, month=row["key"], category="won")
        assert (len(won), total(won)) == (row["won"]["count"], D(row["won"]["amount"]))
    won = drill(client, **WINDOW, month="past", category="won")
    assert [i["name"] for i in won] == ["w3"]
    assert total(won) == D(plan["total"]["won"]["amount"])


def test_a_rep_drills_only_into_their_own_deals(scene, api_as):
    names = {i["name"] for i in drill(api_as(scene.ana), **WINDOW)}
    assert names == {"d1", "d2", "d3", "w1"}


def test_the_adjusted_cell_lists_the_deals_behind_the_computed_amount(scene, api_as):
    items = drill(api_as(scene.admin), **WINDOW, month="2025-03", category="commit")
    assert [i["name"] for i in items] == ["d1"]


def test_an_open_deal_marked_closed_is_listed_under_commit(scene, api_as):
    items = drill(api_as(scene.admin), **WINDOW, month="overdue", category="commit")
    assert [(i["name"], i["forecast_category"]) for i in items] == [("d5", "closed")]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"month": "2025-13"}, "month"),
        ({"month": "soon"}, "month"),
        ({"category": "omitted"}, "category"),
        ({"group": "abc", "group_by": "owner"}, "group"),
        ({"from": "2025-3"}, "from"),
        ({"months": 25}, "months"),
        ({"months": 0}, "months"),
        ({"group_by": "source"}, "group_by"),
    ],
)
def test_a_bad_parameter_is_a_field_error(scene, api_as, query, field):
    response = api_as(scene.admin).call("get", "/reports/forecast/deals", query)
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert field in {e["field"] for e in response.json()["errors"]}


def test_a_group_without_group_by_is_a_field_error(scene, api_as):
    response = api_as(scene.admin).call("get", "/reports/forecast/deals", {"group": "1"})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["group"]


def test_the_drill_down_pages_like_every_list(scene, api_as):
    client = api_as(scene.admin)
    first = client.call("get", "/reports/forecast/deals", {**WINDOW, "limit": 2}).json()
    assert first["count"] == 8 and len(first["items"]) == 2 and first["next"]


def test_another_organisations_pipeline_is_404_and_its_people_give_nothing(
    scene, api_as, other_org_records
):
    client = api_as(scene.admin)
    pipeline = {"pipeline": other_org_records.ids["pipeline"]}
    for path in ("/reports/forecast", "/reports/forecast/deals"):
        response = client.call("get", path, {**WINDOW, **pipeline})
        assert response.status_code == 404
        assert not other_org_records.leaked_markers(response.content.decode())
    for field, kind in (("owner", "user"), ("team", "team")):
        query = {**WINDOW, field: other_org_records.ids[kind]}
        report = client.call("get", "/reports/forecast", query).json()
        assert report["forecast"]["total"]["open_count"] == 0
        assert report["forecast"]["total"]["plan"] is None
        assert drill(client, **query) == []
        assert not other_org_records.leaked_markers(str(report))
