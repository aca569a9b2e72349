"""GET /api/v1/reports/deals-at-risk and the /reports/deals-at-risk/ page: pagination,
filters (pipeline, owner, team, territory), visibility, other organisations, queries."""

import re
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from funia.analytics.dashboard import views
from funia.sales import opportunities
from funia.sales.territories.services import territory_create
from tests import factories
from tests.analytics.dashboard.helpers import deal_with_history

PATH = "/reports/deals-at-risk"


@pytest.fixture
def stuck(admin, rep, manager):
    """Seven deals at risk (30-day fallback: 40 to 46 days in Qualification), amounts
    700..100; the rep owns the odd ones, all of them in Bulgaria; one fresh deal."""
    pipeline = factories.pipeline(admin, is_default=True)
    factories.team(admin, "North", manager=manager, members=[rep])
    bulgarian = factories.account(admin, name="Sofia Foods", country="BG")
    greek = factories.account(admin, name="Athens Foods", country="GR")
    deals = []
    for n in range(7):
        deals.append(
            deal_with_history(
                admin,
                pipeline,
                f"Stuck {n}",
                [("Qualification", 40 + n)],
                amount=700 - 100 * n,
                owner_id=(rep if n % 2 else admin).user.pk,
                account_id=(bulgarian if n % 2 else greek).pk,
            )
        )
    deal_with_history(admin, pipeline, "Fresh", [("Qualification", 2)], amount=10000)
    return pipeline, deals


def test_the_list_is_paginated_largest_amount_first(admin, api_as, stuck):
    client = api_as(admin)
    response = client.call("get", PATH, {"limit": 3})
    assert response.status_code == 200
    page = response.json()
    assert page["count"] == 7
    assert [i["name"] for i in page["items"]] == ["Stuck 0", "Stuck 1", "Stuck 2"]
    names = [i["name"] for i in page["items"]]
    while page["next"]:
        parts = urlsplit(page["next"])
        page = client.call("get", f"/api/v1{parts.path.removeprefix('/api/v1')}?{parts.query}")
        page = page.json()
        names += [i["name"] for i in page["items"]]
    assert names == [f"Stuck {n}" for n in range(7)]


def test_each_item_says_how_long_and_how_usual(admin, rep, api_as, stuck):
    item = api_as(admin).call("get", PATH, {"limit": 1}).json()["items"][0]
    assert item["name"] == "Stuck 0"
    assert item["account_name"] == "Athens Foods"
    assert item["owner"] == admin.user.pk
    assert item["stage_name"] == "Qualification"
    assert item["amount_base"] == "700.00"
    assert item["days_in_stage"] == pytest.approx(40, abs=0.01)
    assert item["usual_days"] == 30
    assert item["usual_stays"] == 0
    assert item["ratio"] == pytest.approx(1.33, abs=0.01)


def test_the_filters_narrow_the_list(admin, rep, manager, api_as, stuck):
    pipeline, _deals = stuck
    client = api_as(admin)

    def names(**query):
        response = client.call("get", PATH, query)
        assert response.status_code == 200, response.content
        return [i["name"] for i in response.json()["items"]]

    assert names(owner=rep.user.pk) == ["Stuck 1", "Stuck 3", "Stuck 5"]
    team = factories.team(admin, "Solo", members=[admin])
    assert names(team=team.pk) == ["Stuck 0", "Stuck 2", "Stuck 4", "Stuck 6"]
    assert len(names(pipeline=pipeline.pk)) == 7
    other = factories.pipeline(admin, name="Other")
    assert names(pipeline=other.pk) == []
    bulgaria = territory_create(by=admin, name="Bulgaria", countries=["BG"])
    assert names(territory=bulgaria.pk) == ["Stuck 1", "Stuck 3", "Stuck 5"]


def test_a_rep_gets_only_their_own_deals(rep, api_as, stuck):
    items = api_as(rep).call("get", PATH).json()["items"]
    assert [i["name"] for i in items] == ["Stuck 1", "Stuck 3", "Stuck 5"]


@pytest.mark.parametrize("kind", ["pipeline", "territory"])
def test_a_rival_pipeline_or_territory_is_not_found(admin, api_as, other_org_records, kind):
    response = api_as(admin).call("get", PATH, {kind: other_org_records.ids[kind]})
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert not other_org_records.leaked_markers(response.content.decode())


def test_a_bad_filter_is_a_field_error(admin, api_as):
    response = api_as(admin).call("get", PATH, {"owner": "x"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"].endswith("owner")


def test_the_list_takes_as_many_queries_for_seven_deals_as_for_one(admin, api_as, stuck):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = api_as(admin)
    client.call("get", PATH)  # the token's first use records last_used_at
    with CaptureQueriesContext(connection) as one:
        client.call("get", PATH, {"limit": 1})
    with CaptureQueriesContext(connection) as seven:
        client.call("get", PATH, {"limit": 7})
    assert len(one) == len(seven)


# -- the page ------------------------------------------------------------------------------------


def test_the_page_lists_filters_and_paginates(web_as, admin, rep, stuck, monkeypatch):
    monkeypatch.setattr(views, "PAGE_SIZE", 5)
    browser = web_as(admin)
    first = browser.get(reverse("deals_at_risk")).content.decode()
    assert 'data-count="7"' in first
    assert "Stuck 0" in first and "Stuck 5" not in first
    assert "Page 1 of 2" in first
    second = browser.get(reverse("deals_at_risk"), {"page": 2}).content.decode()
    assert "Stuck 5" in second and "Stuck 6" in second
    mine = browser.get(reverse("deals_at_risk"), {"owner": rep.user.pk}).content.decode()
    assert 'data-count="3"' in mine


def test_the_page_refreshes_only_its_rows_for_htmx(web_as, admin, stuck):
    response = web_as(admin).get(reverse("deals_at_risk"), headers={"HX-Request": "true"})
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="risk-rows">')
    assert "<form" not in html


def test_the_page_exports_every_deal_as_csv(web_as, admin, stuck):
    response = web_as(admin).get(reverse("deals_at_risk"), {"format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode().splitlines()
    assert lines[0].startswith("Id,Deal,Account,Owner")
    assert len(lines) == 8


def test_a_bad_filter_on_the_page_shows_an_error(web_as, admin, stuck):
    response = web_as(admin).get(reverse("deals_at_risk"), {"owner": "abc"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "alert-error" in html and 'data-count="7"' in html


def test_a_rival_territory_on_the_page_is_not_found(web_as, admin, other_org_records):
    response = web_as(admin).get(
        reverse("deals_at_risk"), {"territory": other_org_records.ids["territory"]}
    )
    assert response.status_code == 404


def test_the_page_takes_as_many_queries_for_seven_deals_as_for_one(web_as, admin, stuck):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    browser = web_as(admin)
    browser.get(reverse("deals_at_risk"))
    _pipeline, deals = stuck
    with CaptureQueriesContext(connection) as seven:
        browser.get(reverse("deals_at_risk"), headers={"HX-Request": "true"})
    for deal in deals[1:]:
        opportunities.opportunity_delete(by=admin, opportunity=deal)
    with CaptureQueriesContext(connection) as one:
        html = browser.get(reverse("deals_at_risk"), headers={"HX-Request": "true"})
    assert re.search(r'data-count="1"', html.content.decode())
    assert len(one) == len(seven)


def test_stays_of_zero_from_a_migrated_history_never_divide_by_zero(admin, api_as, web_as):
    """A date-only export gives many entries at the same moment: the usual time of a stage
    can be 0, and it is then one day, so the list and its page still answer."""
    import datetime

    from django.urls import reverse
    from django.utils import timezone

    from funia.sales import opportunities
    from tests import factories

    pipeline = factories.pipeline(admin, is_default=True)
    base = timezone.now() - datetime.timedelta(days=100)
    for n in range(12):
        at = base + datetime.timedelta(days=n)
        opportunities.opportunity_create(
            by=admin,
            name=f"Migrated {n}",
            pipeline_id=pipeline.pk,
            stage_history=[{"stage": "Qualification", "at": at}, {"stage": "Proposal", "at": at}],
        )
    opportunities.opportunity_create(
        by=admin,
        name="Sitting",
        pipeline_id=pipeline.pk,
        stage_history=[{"stage": "Qualification", "at": base}],
    )
    response = api_as(admin).call("get", "/reports/deals-at-risk")
    assert response.status_code == 200
    sitting = [d for d in response.json()["items"] if d["name"] == "Sitting"]
    assert len(sitting) == 1 and sitting[0]["usual_days"] == 1.0
    assert web_as(admin).get(reverse("deals_at_risk")).status_code == 200
