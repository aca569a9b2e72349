"""The funnel reports and their drill-downs narrowed to the deals of a territory's accounts."""

import pytest

from funia.sales.territories import services

PERIOD = {"from": "2024-01-01", "to": "2027-01-01"}


def snapshot(client, scene, **params):
    query = {"pipeline": scene.pipeline.pk, **params}
    response = client.call("get", "/reports/funnel/snapshot", query)
    assert response.status_code == 200, response.content
    return {row["name"]: row for row in response.json()["stages"]}


def history(client, scene, **params):
    query = {"pipeline": scene.pipeline.pk, **PERIOD, **params}
    response = client.call("get", "/reports/funnel/history", query)
    assert response.status_code == 200, response.content
    return {row["name"]: row for row in response.json()["stages"]}


def test_the_snapshot_counts_the_open_deals_of_the_territorys_accounts(scene, api_as):
    client = api_as(scene.admin)
    bulgaria = snapshot(client, scene, territory=scene.bulgaria.pk)
    large = snapshot(client, scene, territory=scene.large.pk)
    everything = snapshot(client, scene)

    assert (bulgaria["Qualification"]["count"], bulgaria["Qualification"]["amount"]) == (
        1,
        "1000.00",
    )
    assert (bulgaria["Negotiation"]["count"], bulgaria["Negotiation"]["amount"]) == (1, "400.00")
    assert bulgaria["Proposal"]["count"] == 0  # the Romanian deal is in no territory
    assert sum(r["count"] for r in large.values()) == 0
    assert everything["Qualification"]["count"] > bulgaria["Qualification"]["count"]

    stage = bulgaria["Qualification"]["stage"]
    drill = client.call(
        "get",
        "/reports/funnel/snapshot/drilldown",
        {"pipeline": scene.pipeline.pk, "stage": stage, "territory": scene.bulgaria.pk},
    ).json()
    assert [d["id"] for d in drill["items"]] == [scene.deals["rep_open"].pk]


def test_the_history_counts_the_deals_of_the_territorys_accounts(scene, api_as):
    client = api_as(scene.admin)
    bulgaria = history(client, scene, territory=scene.bulgaria.pk)
    large = history(client, scene, territory=scene.large.pk)

    # Won in Bulgaria: 10 March, New Year's night in Sofia, 31 December, and the other
    # owner's win; lost: the manager's deal.
    assert bulgaria["Won"]["entered"] == 4
    assert bulgaria["Lost"]["entered"] == 1
    assert large["Won"]["entered"] == 1
    assert large["Lost"]["entered"] == 0

    drill = client.call(
        "get",
        "/reports/funnel/history/drilldown",
        {
            "pipeline": scene.pipeline.pk,
            **PERIOD,
            "territory": scene.bulgaria.pk,
            "stage": bulgaria["Won"]["stage"],
            "metric": "entered",
        },
    ).json()
    won = {"rep_won", "rep_won_new_year", "rep_won_before", "other_won"}
    assert {d["id"] for d in drill["items"]} == {scene.deals[k].pk for k in won}


def test_a_rep_sees_only_their_deals_of_the_territory(scene, api_as):
    rows = snapshot(api_as(scene.rep), scene, territory=scene.bulgaria.pk)
    assert rows["Qualification"]["count"] == 1
    assert rows["Negotiation"]["count"] == 0  # the manager's deal


@pytest.mark.parametrize(
    "path",
    [
        "/reports/funnel/snapshot",
        "/reports/funnel/history",
        "/reports/funnel/snapshot/drilldown",
        "/reports/funnel/history/drilldown",
    ],
)
def test_a_territory_of_another_organisation_or_in_the_trash_is_not_found(
    scene, api_as, other_org_records, path
):
    client = api_as(scene.admin)
    trashed = services.territory_create(by=scene.admin, name="Old")
    services.territory_delete(by=scene.admin, territory=trashed)
    stage = scene.pipeline.stages.get(name="Qualification").pk
    base = {"pipeline": scene.pipeline.pk, "stage": stage, **PERIOD}
    for territory_id in (other_org_records.ids["territory"], trashed.pk, 2**40):
        response = client.call("get", path, {**base, "territory": territory_id})
        assert response.status_code == 404, (territory_id, response.content)
        assert "Rival" not in response.content.decode()


def test_an_inactive_territory_has_no_deals(scene, api_as):
    services.territory_update(by=scene.admin, territory=scene.bulgaria, fields={"is_active": False})
    client = api_as(scene.admin)
    rows = snapshot(client, scene, territory=scene.bulgaria.pk)
    assert sum(r["count"] for r in rows.values()) == 0
    past = history(client, scene, territory=scene.bulgaria.pk)
    assert sum(r["entered"] for r in past.values()) == 0


def test_the_funnel_page_filters_by_territory(scene, web_as, other_org_records):
    browser = web_as(scene.admin)
    page = browser.get("/reports/funnel/", {"pipeline": scene.pipeline.pk})
    html = page.content.decode()
    assert 'name="territory"' in html and ">Bulgaria</option>" in html
    narrowed = browser.get(
        "/reports/funnel/", {"pipeline": scene.pipeline.pk, "territory": scene.bulgaria.pk}
    )
    assert narrowed.status_code == 200
    # The drill-down links carry the territory.
    assert f"territory={scene.bulgaria.pk}" in narrowed.content.decode()
    rival = browser.get(
        "/reports/funnel/",
        {"pipeline": scene.pipeline.pk, "territory": other_org_records.ids["territory"]},
    )
    assert rival.status_code == 404
    drill = browser.get(
        "/reports/funnel/deals/",
        {
            "report": "snapshot",
            "pipeline": scene.pipeline.pk,
            "stage": scene.pipeline.stages.get(name="Qualification").pk,
            "territory": other_org_records.ids["territory"],
        },
    )
    assert drill.status_code == 404
