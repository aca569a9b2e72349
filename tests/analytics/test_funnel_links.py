"""Every number of the funnel report links to its deals: the `groups` key only with
group_by, the deals that did not advance behind each conversion (API and page, two clicks
from a rep's weak conversion), and the snapshot's totals row; other organisations get 404."""

import datetime
import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from funia.analytics import drilldown
from funia.analytics.filters import HistoryParams
from funia.sales import opportunities
from tests import factories

UTC = datetime.UTC
PERIOD = {"from": "2025-03-01", "to": "2025-04-01"}


def at(day: int) -> datetime.datetime:
    return datetime.datetime(2025, 3, day, 12, tzinfo=UTC)


def _deal(admin, pipeline, name, history, owner=None, **fields):
    if history[-1][0] == "Lost":
        fields["lost_reason"] = "Price"
    fields.setdefault("amount", 1000)
    return opportunities.opportunity_create(
        by=admin,
        name=name,
        pipeline_id=pipeline.pk,
        owner_id=(owner or admin).user.pk,
        stage_history=[{"stage": stage, "at": moment} for stage, moment in history],
        **fields,
    )


@pytest.fixture
def march(admin, manager, rep):
    """Deals of March 2025 with a known answer at Proposal (mode any): entered: won, stuck,
    lost, skipper, rep-lost, rep-stuck, rep-won (7); advanced: won, skipper (its skip past
    Proposal to Negotiation, lost later), rep-won; lost: lost, rep-lost; open: stuck,
    rep-stuck. Not advanced = lost + open: lost, stuck, rep-lost, rep-stuck. The rep:
    entered 3, advanced 1 (rep-won), not advanced 2."""
    pipeline = factories.pipeline(admin, name="March", is_default=True)
    factories.team(admin, "North", manager=manager, members=[rep])
    deals = {
        "won": _deal(
            admin,
            pipeline,
            "Won deal",
            [("Qualification", at(2)), ("Proposal", at(4)), ("Negotiation", at(6)), ("Won", at(8))],
        ),
        "stuck": _deal(admin, pipeline, "Stuck", [("Qualification", at(3)), ("Proposal", at(5))]),
        "lost": _deal(
            admin, pipeline, "Lost deal", [("Proposal", at(6)), ("Lost", at(9))], amount=300
        ),
        "skipper": _deal(
            admin,
            pipeline,
            "Skipper",
            [("Qualification", at(4)), ("Negotiation", at(7)), ("Lost", at(10))],
        ),
        "rep_lost": _deal(
            admin,
            pipeline,
            "Rep lost",
            [("Qualification", at(5)), ("Proposal", at(7)), ("Lost", at(12))],
            owner=rep,
        ),
        "rep_stuck": _deal(admin, pipeline, "Rep stuck", [("Proposal", at(11))], owner=rep),
        "rep_won": _deal(
            admin,
            pipeline,
            "Rep went on",
            [("Proposal", at(13)), ("Negotiation", at(14))],
            owner=rep,
        ),
    }
    return pipeline, deals


def ids(*deals) -> set[int]:
    return {d.pk for d in deals}


def listed(client, path, **query) -> set[int]:
    response = client.call("get", path, {**query, "limit": 100})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == len(body["items"])
    return {d["id"] for d in body["items"]}


def history_report(client, pipeline, **query):
    response = client.call(
        "get", "/reports/funnel/history", {"pipeline": pipeline.pk, **PERIOD, **query}
    )
    assert response.status_code == 200, response.content
    return response.json()


def stage_row(stages, name):
    return next(r for r in stages if r["name"] == name)


# -- 1. `groups` only with group_by ------------------------------------------------------------


def test_the_history_has_no_groups_key_without_group_by(api_as, admin, march):
    pipeline, _deals = march
    report = history_report(api_as(admin), pipeline)
    assert "groups" not in report
    assert report["group_by"] is None
    assert report["stages"]


def test_the_history_lists_its_groups_with_group_by(api_as, admin, rep, march):
    pipeline, _deals = march
    report = history_report(api_as(admin), pipeline, group_by="owner")
    assert isinstance(report["groups"], list)
    assert {g["key"] for g in report["groups"]} == {admin.user.pk, rep.user.pk}


def test_groups_that_find_nothing_are_an_empty_list(api_as, admin, march):
    pipeline, _deals = march
    report = history_report(
        api_as(admin), pipeline, group_by="owner", **{"from": "2020-01-01", "to": "2020-02-01"}
    )
    assert report["groups"] == []


# -- 2. the deals that did not advance ---------------------------------------------------------


def drill(client, pipeline, stage, metric, **query):
    return listed(
        client,
        "/reports/funnel/history/drilldown",
        pipeline=pipeline.pk,
        stage=stage.pk,
        metric=metric,
        **PERIOD,
        **query,
    )


def test_not_advanced_lists_the_lost_and_open_deals_of_the_stage(api_as, admin, march):
    pipeline, deals = march
    client = api_as(admin)
    proposal = pipeline.stages.get(name="Proposal")
    not_advanced = drill(client, pipeline, proposal, "not_advanced")
    assert not_advanced == ids(deals["stuck"], deals["lost"], deals["rep_lost"], deals["rep_stuck"])
    lost = drill(client, pipeline, proposal, "lost")
    still_open = drill(client, pipeline, proposal, "open")
    assert not_advanced == lost | still_open
    row = stage_row(history_report(client, pipeline)["stages"], "Proposal")
    assert len(not_advanced) == row["entered"] - row["advanced"] == row["lost"] + row["open"]


@pytest.mark.parametrize("mode", ["any", "strict"])
@pytest.mark.parametrize("group_by", [None, "owner", "team", "source", "month"])
def test_not_advanced_is_lost_and_open_for_every_stage_and_group(
    api_as, admin, march, mode, group_by
):
    pipeline, _deals = march
    client = api_as(admin)
    query = {"mode": mode, **({"group_by": group_by} if group_by else {})}
    report = history_report(client, pipeline, **query)
    funnels = [(None, report["stages"])]
    for group in report.get("groups", []):
        key = "__none__" if group["key"] is None else str(group["key"])
        funnels.append((key, group["stages"]))
    for key, stages in funnels:
        for row in stages:
            if row["kind"] != "open":
                continue
            extra = {**query, **({"group": key} if key else {})}
            stage = pipeline.stages.get(pk=row["stage"])
            not_advanced = drill(client, pipeline, stage, "not_advanced", **extra)
            lost = drill(client, pipeline, stage, "lost", **extra)
            still_open = drill(client, pipeline, stage, "open", **extra)
            assert not_advanced == lost | still_open, (key, row["name"])
            assert len(not_advanced) == row["entered"] - row["advanced"], (key, row["name"])


def test_not_advanced_agrees_with_the_raw_history(admin, march):
    pipeline, _deals = march
    params = HistoryParams(pipeline=pipeline.pk, **PERIOD)
    for stage in pipeline.stages.filter(kind="open"):
        from_facts = drilldown.history_drilldown(
            actor=admin, params=params, stage_id=stage.pk, metric="not_advanced"
        )
        from_raw = drilldown.history_drilldown(
            actor=admin, params=params, stage_id=stage.pk, metric="not_advanced", raw=True
        )
        assert set(from_facts.values_list("pk", flat=True)) == set(
            from_raw.values_list("pk", flat=True)
        )


def test_a_won_stage_has_no_not_advanced_list(api_as, admin, march):
    pipeline, _deals = march
    won = pipeline.stages.get(name="Won")
    response = api_as(admin).call(
        "get",
        "/reports/funnel/history/drilldown",
        {"pipeline": pipeline.pk, "stage": won.pk, "metric": "not_advanced", **PERIOD},
    )
    assert response.status_code == 422
    assert "metric" in response.content.decode()


def drill_links(html: str) -> list[str]:
    return [unescape(u) for u in re.findall(r'href="(/reports/funnel/deals/\?[^"]+)"', html)]


def count_of(html: str) -> int:
    return int(re.search(r'data-count="(\d+)"', html).group(1))


def test_the_conversion_cells_link_to_the_deals_that_did_not_advance(web_as, admin, march):
    pipeline, deals = march
    browser = web_as(admin)
    page = browser.get(reverse("funnel_report"), {**PERIOD, "group_by": "owner"})
    html = page.content.decode()
    proposal = pipeline.stages.get(name="Proposal")
    conversion = [
        link
        for link in drill_links(html)
        if "metric=not_advanced" in link and f"stage={proposal.pk}" in link and "group=" not in link
    ]
    assert len(set(conversion)) == 1
    # The cell shows the conversion: 3 of the 7 deals advanced.
    escaped = conversion[0].replace("&", "&amp;")
    assert re.search(rf'href="{re.escape(escaped)}"[^>]*>43 %</a>', html)
    listing = browser.get(conversion[0]).content.decode()
    assert count_of(listing) == 4
    for name in ("Stuck", "Lost deal", "Rep lost", "Rep stuck"):
        assert name in listing
    for name in ("Won deal", "Skipper", "Rep went on"):
        assert name not in listing
    assert reverse("opportunity_detail", args=[deals["stuck"].pk]) in listing
    assert "Did not advance" in listing  # its tab, next to the other numbers of the stage


def test_every_conversion_link_lists_entered_minus_advanced(api_as, web_as, admin, march):
    pipeline, _deals = march
    report = history_report(api_as(admin), pipeline, group_by="owner")
    funnels = {None: report["stages"], **{str(g["key"]): g["stages"] for g in report["groups"]}}
    browser = web_as(admin)
    html = browser.get(reverse("funnel_report"), {**PERIOD, "group_by": "owner"}).content.decode()
    cells = re.findall(
        r'<a href="(/reports/funnel/deals/\?[^"]*metric=not_advanced[^"]*)"[^>]*>\d+ %</a>', html
    )
    assert len(cells) >= 6  # every open stage with entries, overall and per owner
    for url in map(unescape, cells):
        query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        row = next(r for r in funnels[query.get("group")] if str(r["stage"]) == query["stage"])
        listing = browser.get(url).content.decode()
        assert count_of(listing) == row["entered"] - row["advanced"], url


def test_a_manager_reaches_a_reps_deals_behind_a_weak_conversion_in_two_clicks(
    web_as, manager, rep, march
):
    pipeline, deals = march
    browser = web_as(manager)
    proposal = pipeline.stages.get(name="Proposal")
    # Click 1: one funnel per rep.
    page = browser.get(reverse("funnel_report"), {**PERIOD, "group_by": "owner"}).content.decode()
    wanted = [
        link
        for link in drill_links(page)
        if f"group={rep.user.pk}" in link
        and f"stage={proposal.pk}" in link
        and "metric=not_advanced" in link
    ]
    assert wanted, "no link from the rep's Proposal conversion"
    # Click 2: the rep's deals that entered Proposal and did not advance.
    listing = browser.get(wanted[0]).content.decode()
    assert count_of(listing) == 2
    assert "Rep lost" in listing and "Rep stuck" in listing
    assert "Rep went on" not in listing
    assert reverse("opportunity_detail", args=[deals["stuck"].pk]) not in listing
    assert reverse("opportunity_detail", args=[deals["rep_lost"].pk]) in listing


# -- 3. the snapshot's totals row --------------------------------------------------------------


@pytest.fixture
def live(admin, rep):
    """Open deals now: three in the default pipeline (one the rep's), one won, one lost, one
    in another pipeline."""
    pipeline = factories.pipeline(admin, name="Live", is_default=True)
    other = factories.pipeline(admin, name="Elsewhere")
    now = datetime.datetime.now(UTC)
    day = datetime.timedelta(days=1)
    deals = {
        "a": _deal(admin, pipeline, "Open A", [("Qualification", now - 5 * day)], amount=100),
        "b": _deal(admin, pipeline, "Open B", [("Proposal", now - 3 * day)], amount=250),
        "mine": _deal(
            admin, pipeline, "Rep open", [("Negotiation", now - day)], owner=rep, amount=400
        ),
        "won": _deal(admin, pipeline, "Won now", [("Proposal", now - 9 * day), ("Won", now - day)]),
        "lost": _deal(
            admin, pipeline, "Lost now", [("Proposal", now - 9 * day), ("Lost", now - day)]
        ),
        "elsewhere": _deal(admin, other, "Elsewhere open", [("Proposal", now - 2 * day)]),
    }
    return pipeline, other, deals


@pytest.mark.parametrize("stage", [None, "all"])
def test_the_snapshot_drill_down_without_a_stage_lists_every_open_deal(api_as, admin, live, stage):
    pipeline, _other, deals = live
    client = api_as(admin)
    query = {"pipeline": pipeline.pk, **({"stage": stage} if stage else {})}
    found = listed(client, "/reports/funnel/snapshot/drilldown", **query)
    assert found == ids(deals["a"], deals["b"], deals["mine"])
    report = client.call("get", "/reports/funnel/snapshot", {"pipeline": pipeline.pk}).json()
    assert report["total_count"] == len(found)


def test_the_all_stages_list_keeps_the_reports_filters(api_as, admin, rep, live):
    pipeline, _other, deals = live
    found = listed(
        api_as(admin),
        "/reports/funnel/snapshot/drilldown",
        pipeline=pipeline.pk,
        stage="all",
        owner=rep.user.pk,
    )
    assert found == ids(deals["mine"])
    # A rep sees only their own open deals.
    assert listed(api_as(rep), "/reports/funnel/snapshot/drilldown", pipeline=pipeline.pk) == ids(
        deals["mine"]
    )


def test_a_stage_that_is_neither_an_id_nor_all_is_refused(api_as, web_as, admin, live):
    pipeline, _other, _deals = live
    response = api_as(admin).call(
        "get", "/reports/funnel/snapshot/drilldown", {"pipeline": pipeline.pk, "stage": "every"}
    )
    assert response.status_code == 422
    page = (
        web_as(admin)
        .get(reverse("funnel_drilldown"), {"report": "snapshot", "stage": "every"})
        .content.decode()
    )
    assert "alert-error" in page and "data-count" not in page


def test_the_snapshot_totals_row_links_to_every_open_deal(web_as, admin, live):
    _pipeline, _other, deals = live
    browser = web_as(admin)
    html = browser.get(reverse("funnel_report")).content.decode()
    total_row = re.search(r'<tr class="funnel-total">.*?</tr>', html, re.S).group(0)
    links = set(drill_links(total_row))
    assert len(links) == 1
    link = links.pop()
    assert "report=snapshot" in link and "stage=all" in link
    # Deals, amount and weighted amount all open the same list.
    assert len(re.findall(r"<a href=", total_row)) == 3
    assert ">3</a>" in total_row and ">750.00</a>" in total_row
    listing = browser.get(link).content.decode()
    assert count_of(listing) == 3
    for name in ("Open A", "Open B", "Rep open"):
        assert name in listing
    for name in ("Won now", "Lost now", "Elsewhere open"):
        assert name not in listing
    for key in ("a", "b", "mine"):
        assert reverse("opportunity_detail", args=[deals[key].pk]) in listing
    assert "Open deals now, every open stage" in listing


def test_the_totals_link_keeps_the_page_filters(web_as, admin, rep, live):
    _pipeline, _other, _deals = live
    browser = web_as(admin)
    html = browser.get(reverse("funnel_report"), {"owner": rep.user.pk}).content.decode()
    total_row = re.search(r'<tr class="funnel-total">.*?</tr>', html, re.S).group(0)
    link = drill_links(total_row)[0]
    assert f"owner={rep.user.pk}" in link
    listing = browser.get(link).content.decode()
    assert count_of(listing) == 1 and "Rep open" in listing


# -- other organisations -----------------------------------------------------------------------


def test_another_organisation_gets_404_from_the_new_lists(
    api_as, web_as, outsider, other_org, march
):
    pipeline, _deals = march
    proposal = pipeline.stages.get(name="Proposal")
    client = api_as(outsider)
    own = factories.pipeline(outsider, name="Theirs", is_default=True)
    their_stage = own.stages.get(name="Proposal")
    cases = [
        (
            "/reports/funnel/history/drilldown",
            {"pipeline": pipeline.pk, "stage": proposal.pk, "metric": "not_advanced", **PERIOD},
        ),
        # Their own pipeline with our stage: the stage is not theirs.
        (
            "/reports/funnel/history/drilldown",
            {"pipeline": own.pk, "stage": proposal.pk, "metric": "not_advanced", **PERIOD},
        ),
        ("/reports/funnel/snapshot/drilldown", {"pipeline": pipeline.pk}),
        ("/reports/funnel/snapshot/drilldown", {"pipeline": pipeline.pk, "stage": "all"}),
    ]
    for path, query in cases:
        assert client.call("get", path, query).status_code == 404, (path, query)
    browser = web_as(outsider)
    for query in (
        {
            "report": "history",
            "pipeline": pipeline.pk,
            "stage": proposal.pk,
            "metric": "not_advanced",
        },
        {"report": "snapshot", "pipeline": pipeline.pk, "stage": "all"},
    ):
        assert browser.get(reverse("funnel_drilldown"), query).status_code == 404, query
    # Their own lists never show our deals.
    assert (
        listed(
            client,
            "/reports/funnel/history/drilldown",
            pipeline=own.pk,
            stage=their_stage.pk,
            metric="not_advanced",
            **PERIOD,
        )
        == set()
    )
    assert listed(client, "/reports/funnel/snapshot/drilldown", stage="all") == set()
