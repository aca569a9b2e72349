"""The funnel reports through the API: a data set with a known answer loaded through the
API with migrated histories, drill-downs that add up, visibility and other organisations."""

import datetime

import pytest

from tests import factories

START = datetime.date(2025, 3, 1)


def at(day: int, hour: int = 12) -> str:
    """A time in March 2025 (UTC), as the API takes it."""
    return f"2025-03-{day:02d}T{hour:02d}:00:00Z"


def create(client, pipeline, name, history, **fields):
    body = {
        "name": name,
        "pipeline": pipeline.pk,
        "amount": "1000.00",
        "lost_reason": "Price",
        "stage_history": [{"stage": stage, "at": moment} for stage, moment in history],
        **fields,
    }
    response = client.call("post", "/opportunities", body)
    assert response.status_code == 201, response.content
    return response.json()["id"]


@pytest.fixture
def known(admin, rep, api_as):
    """Five deals of March 2025 (and one older), loaded through the API."""
    client = api_as(admin)
    pipeline = factories.pipeline(admin, name="Known")
    ids = {
        # Straight through to won.
        "won": create(
            client,
            pipeline,
            "Straight win",
            [
                ("Qualification", at(2)),
                ("Needs analysis", at(4)),
                ("Proposal", at(6)),
                ("Negotiation", at(8)),
                ("Won", at(10)),
            ],
            owner=rep.user.pk,
            source="Web",
        ),
        # Skips Needs analysis, then moves back to it and is lost.
        "skip": create(
            client,
            pipeline,
            "Skipper",
            [
                ("Qualification", at(3)),
                ("Proposal", at(5)),
                ("Needs analysis", at(7)),
                ("Lost", at(9)),
            ],
            source="Partner",
        ),
        # Lost in Qualification, reopened into Qualification, still there.
        "reopened": create(
            client,
            pipeline,
            "Reopened",
            [("Qualification", at(3)), ("Lost", at(4)), ("Qualification", at(6))],
            owner=rep.user.pk,
            source="Web",
        ),
        # Lost straight from Proposal.
        "lost": create(
            client,
            pipeline,
            "Lost at proposal",
            [("Qualification", at(10)), ("Proposal", at(11)), ("Lost", at(12))],
        ),
        # Entered before the period: counts nowhere in March except its later entries.
        "older": create(
            client,
            pipeline,
            "Older",
            [("Qualification", "2025-02-20T12:00:00Z"), ("Needs analysis", at(15))],
        ),
    }
    return pipeline, ids


def history(client, pipeline, **params):
    query = {"pipeline": pipeline.pk, "from": "2025-03-01", "to": "2025-04-01", **params}
    response = client.call("get", "/reports/funnel/history", query)
    assert response.status_code == 200, response.content
    return response.json()


def rows_by_name(report) -> dict:
    return {row["name"]: row for row in report["stages"]}


def test_the_historical_funnel_of_a_known_data_set(admin, api_as, known):
    pipeline, _ids = known
    rows = rows_by_name(history(api_as(admin), pipeline))
    q = rows["Qualification"]
    # "older" entered Qualification in February: not counted; the reopening counts once.
    assert (q["entered"], q["advanced"], q["lost"], q["open"]) == (4, 3, 0, 1)
    assert q["conversion"] == 0.75
    needs = rows["Needs analysis"]
    # mode any: the skipper entered Needs analysis when it reached Proposal; "older" on the 15th.
    assert (needs["entered"], needs["advanced"], needs["lost"], needs["open"]) == (4, 3, 0, 1)
    proposal = rows["Proposal"]
    assert (proposal["entered"], proposal["advanced"], proposal["lost"]) == (3, 1, 2)
    assert rows["Won"]["entered"] == 1 and rows["Won"]["advanced"] is None
    assert rows["Lost"]["entered"] == 3
    # Time in Qualification (days) of the deals that left it: 2, 2, 1 (the reopened deal
    # is back in it): median 2.
    assert q["median_days_in_stage"] == 2.0


def test_strict_mode_counts_only_real_entries(admin, api_as, known):
    pipeline, _ids = known
    rows = rows_by_name(history(api_as(admin), pipeline, mode="strict"))
    needs = rows["Needs analysis"]
    # The skipper really entered Needs analysis on the 7th (backwards) and was then lost.
    assert (needs["entered"], needs["advanced"], needs["lost"], needs["open"]) == (3, 1, 1, 1)


def test_every_number_drills_down_to_exactly_its_deals(admin, api_as, known):
    pipeline, ids = known
    client = api_as(admin)
    report = history(client, pipeline)
    for row in report["stages"]:
        metrics = ("entered", "advanced", "lost", "open") if row["kind"] == "open" else ("entered",)
        for metric in metrics:
            response = client.call(
                "get",
                "/reports/funnel/history/drilldown",
                {
                    "pipeline": pipeline.pk,
                    "from": "2025-03-01",
                    "to": "2025-04-01",
                    "stage": row["stage"],
                    "metric": metric,
                    "limit": 100,
                },
            )
            assert response.status_code == 200, response.content
            assert response.json()["count"] == row[metric], (row["name"], metric)
    lost_at_proposal = client.call(
        "get",
        "/reports/funnel/history/drilldown",
        {
            "pipeline": pipeline.pk,
            "from": "2025-03-01",
            "to": "2025-04-01",
            "stage": rows_by_name(report)["Proposal"]["stage"],
            "metric": "lost",
        },
    ).json()["items"]
    assert {d["id"] for d in lost_at_proposal} == {ids["skip"], ids["lost"]}


def test_grouping_by_owner_gives_one_funnel_per_rep(admin, rep, api_as, known):
    pipeline, ids = known
    client = api_as(admin)
    report = history(client, pipeline, group_by="owner")
    groups = {g["key"]: g for g in report["groups"]}
    assert set(groups) == {admin.user.pk, rep.user.pk}
    mine = rows_by_name(groups[rep.user.pk])
    assert mine["Qualification"]["entered"] == 2
    assert mine["Won"]["entered"] == 1
    response = client.call(
        "get",
        "/reports/funnel/history/drilldown",
        {
            "pipeline": pipeline.pk,
            "from": "2025-03-01",
            "to": "2025-04-01",
            "group_by": "owner",
            "group": rep.user.pk,
            "stage": mine["Qualification"]["stage"],
            "metric": "open",
        },
    )
    assert [d["id"] for d in response.json()["items"]] == [ids["reopened"]]


def test_grouping_by_month_splits_the_entries_by_month(admin, api_as, known):
    pipeline, _ids = known
    report = history(api_as(admin), pipeline, group_by="month", **{"from": "2025-02-01"})
    months = {g["key"]: rows_by_name(g) for g in report["groups"]}
    assert months["2025-02"]["Qualification"]["entered"] == 1
    assert months["2025-03"]["Qualification"]["entered"] == 4
    assert rows_by_name(report)["Qualification"]["entered"] == 5


def test_a_rep_counts_only_their_own_deals(rep, api_as, known):
    pipeline, _ids = known
    rows = rows_by_name(history(api_as(rep), pipeline))
    assert rows["Qualification"]["entered"] == 2
    assert rows["Proposal"]["entered"] == 1


def test_the_snapshot_funnel_of_a_known_data_set(admin, api_as, known):
    pipeline, ids = known
    client = api_as(admin)
    response = client.call("get", "/reports/funnel/snapshot", {"pipeline": pipeline.pk})
    assert response.status_code == 200, response.content
    report = response.json()
    rows = {r["name"]: r for r in report["stages"]}
    assert [r["name"] for r in report["stages"]] == [
        "Qualification",
        "Needs analysis",
        "Proposal",
        "Negotiation",
    ]
    assert rows["Qualification"]["count"] == 1
    assert rows["Qualification"]["amount"] == "1000.00"
    assert rows["Qualification"]["weighted_amount"] == "100.00"
    assert rows["Needs analysis"]["count"] == 1
    assert report["currency"] == admin.tenant.currency
    assert report["won_in_window"] in (0, 1)  # the win was on 2025-03-10
    drill = client.call(
        "get",
        "/reports/funnel/snapshot/drilldown",
        {"pipeline": pipeline.pk, "stage": rows["Qualification"]["stage"]},
    ).json()
    assert [d["id"] for d in drill["items"]] == [ids["reopened"]]
    assert drill["count"] == rows["Qualification"]["count"]


def test_the_sales_cycle_is_over_the_look_back_window(admin, api_as, known):
    pipeline, ids = known
    client = api_as(admin)
    report = client.call(
        "get", "/reports/funnel/snapshot", {"pipeline": pipeline.pk, "cycle_days": 3000}
    ).json()
    assert report["won_in_window"] == 1
    assert report["avg_sales_cycle_days"] == 8.0  # created the 2nd, won the 10th
    assert report["median_sales_cycle_days"] == 8.0
    won = client.call(
        "get",
        "/reports/funnel/snapshot/drilldown",
        {"pipeline": pipeline.pk, "metric": "won", "cycle_days": 3000},
    ).json()
    assert [d["id"] for d in won["items"]] == [ids["won"]]


def test_deleted_deals_are_never_counted(admin, api_as, known):
    pipeline, ids = known
    client = api_as(admin)
    assert client.call("delete", f"/opportunities/{ids['reopened']}").status_code in (200, 204)
    rows = rows_by_name(history(client, pipeline))
    assert rows["Qualification"]["entered"] == 3
    snapshot = client.call("get", "/reports/funnel/snapshot", {"pipeline": pipeline.pk}).json()
    assert snapshot["stages"][0]["count"] == 0


def test_filters_narrow_the_deals(admin, rep, api_as, known):
    pipeline, _ids = known
    client = api_as(admin)
    web = rows_by_name(history(client, pipeline, source="web"))
    assert web["Qualification"]["entered"] == 2
    theirs = rows_by_name(history(client, pipeline, owner=rep.user.pk))
    assert theirs["Qualification"]["entered"] == 2
    team = factories.team(admin, "Solo", members=[rep])
    in_team = rows_by_name(history(client, pipeline, team=team.pk))
    assert in_team["Qualification"]["entered"] == 2


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"metric": "advanced", "stage_name": "Won"}, "metric"),
        ({"group": "7", "stage_name": "Proposal"}, "group"),
        ({"group_by": "owner", "group": "x", "stage_name": "Proposal"}, "group"),
    ],
)
def test_a_drilldown_that_has_no_number_is_refused(admin, api_as, known, params, field):
    pipeline, _ids = known
    params = dict(params)
    stage = pipeline.stages.get(name=params.pop("stage_name"))
    response = api_as(admin).call(
        "get",
        "/reports/funnel/history/drilldown",
        {"pipeline": pipeline.pk, "stage": stage.pk, **params},
    )
    assert response.status_code == 422, response.content
    assert field in response.content.decode()


def test_a_period_that_ends_before_it_starts_is_refused(admin, api_as, known):
    pipeline, _ids = known
    response = api_as(admin).call(
        "get",
        "/reports/funnel/history",
        {"pipeline": pipeline.pk, "from": "2025-04-01", "to": "2025-03-01"},
    )
    assert response.status_code == 422


REPORTS = [
    ("/reports/funnel/snapshot", {}),
    ("/reports/funnel/history", {}),
    ("/reports/funnel/history/drilldown", {"stage": None}),
    ("/reports/funnel/snapshot/drilldown", {"stage": None}),
]


@pytest.mark.parametrize(("path", "extra"), REPORTS)
def test_a_pipeline_of_another_organisation_is_not_found(
    admin, api_as, other_org_records, path, extra
):
    rival_pipeline = other_org_records.ids["pipeline"]
    rival_stage = other_org_records.ids["stage"]
    query = {"pipeline": rival_pipeline, **{k: rival_stage for k in extra}}
    response = api_as(admin).call("get", path, query)
    assert response.status_code == 404
    assert not other_org_records.leaked_markers(response.content.decode())


@pytest.mark.parametrize("path", [p for p, extra in REPORTS if extra])
def test_a_stage_of_another_organisation_is_not_found(
    admin, api_as, known, other_org_records, path
):
    pipeline, _ids = known
    query = {"pipeline": pipeline.pk, "stage": other_org_records.ids["stage"]}
    response = api_as(admin).call("get", path, query)
    assert response.status_code == 404


def test_rival_deals_are_never_counted(admin, api_as, other_org_records):
    """Without a pipeline the report is of Acme's default one; Rival's deal is in Rival's."""
    pipeline = factories.pipeline(admin, name="Ours", is_default=True)
    client = api_as(admin)
    snapshot = client.call("get", "/reports/funnel/snapshot").json()
    assert snapshot["pipeline"] == pipeline.pk
    assert snapshot["total_count"] == 0
    report = client.call("get", "/reports/funnel/history").json()
    assert all(row["entered"] == 0 for row in report["stages"])
    listed = client.call(
        "get", "/reports/funnel/snapshot/drilldown", {"metric": "won", "cycle_days": 3660}
    ).json()
    assert listed["count"] == 0
