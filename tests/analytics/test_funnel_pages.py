"""The funnel page: every role sees it, every number links to its deals, CSV exports, and
a manager gets from a rep's weak conversion to the deals behind it in two clicks."""

import datetime
import re
from html import unescape

import pytest
from django.urls import reverse

from funia.sales import opportunities
from tests import factories


def _at(days_ago: int):
    return datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=days_ago)


@pytest.fixture
def data(admin, manager, rep):
    pipeline = factories.pipeline(admin, name="Pages", is_default=True)
    factories.team(admin, "North", manager=manager, members=[rep])
    lost = opportunities.opportunity_create(
        by=admin,
        name="Lost at proposal",
        pipeline_id=pipeline.pk,
        owner_id=rep.user.pk,
        lost_reason="Price",
        stage_history=[
            {"stage": "Qualification", "at": _at(20)},
            {"stage": "Proposal", "at": _at(15)},
            {"stage": "Lost", "at": _at(10)},
        ],
    )
    advanced = opportunities.opportunity_create(
        by=admin,
        name="Went on",
        pipeline_id=pipeline.pk,
        owner_id=rep.user.pk,
        amount=500,
        stage_history=[
            {"stage": "Proposal", "at": _at(12)},
            {"stage": "Negotiation", "at": _at(5)},
        ],
    )
    return pipeline, lost, advanced


@pytest.mark.parametrize("role", ["admin", "manager", "rep", "analyst"])
def test_every_role_sees_the_funnel_page(request, web_as, data, role):
    actor = request.getfixturevalue(role)
    response = web_as(actor).get(reverse("funnel_report"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "How these numbers are counted" in html
    assert "Snapshot" in html and "History" in html


def test_the_page_refreshes_only_the_report_for_htmx(web_as, admin, data):
    response = web_as(admin).get(reverse("funnel_report"), headers={"HX-Request": "true"})
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="funnel-report"')
    assert "<form" not in html


def drill_links(html: str) -> list[str]:
    return [unescape(u) for u in re.findall(r'href="(/reports/funnel/deals/\?[^"]+)"', html)]


def test_a_manager_reaches_a_reps_lost_deals_in_two_clicks(web_as, manager, rep, data):
    pipeline, lost, _advanced = data
    browser = web_as(manager)
    # Click 1: one funnel per owner.
    page = browser.get(reverse("funnel_report"), {"group_by": "owner"}).content.decode()
    proposal = pipeline.stages.get(name="Proposal")
    wanted = [
        link
        for link in drill_links(page)
        if f"group={rep.user.pk}" in link
        and f"stage={proposal.pk}" in link
        and "metric=lost" in link
    ]
    assert wanted, "no link to the rep's lost deals at Proposal"
    # Click 2: the deals, linked to their pages.
    listed = browser.get(wanted[0]).content.decode()
    assert "Lost at proposal" in listed
    assert "Went on" not in listed
    assert reverse("opportunity_detail", args=[lost.pk]) in listed


def test_every_number_of_the_history_table_links_to_as_many_deals(web_as, admin, data):
    browser = web_as(admin)
    page = browser.get(reverse("funnel_report")).content.decode()
    cells = re.findall(r'<a href="(/reports/funnel/deals/\?[^"]+)">(\d+)</a>', page)
    assert cells
    for url, number in cells:
        listed = browser.get(unescape(url)).content.decode()
        count = re.search(r'data-count="(\d+)"', listed)
        assert count and count.group(1) == number, (url, number)


def test_the_tables_export_as_csv(web_as, admin, data):
    browser = web_as(admin)
    snapshot = browser.get(reverse("funnel_report"), {"format": "csv", "table": "snapshot"})
    assert snapshot["Content-Type"].startswith("text/csv")
    assert "Qualification" in snapshot.content.decode()
    history = browser.get(
        reverse("funnel_report"), {"format": "csv", "table": "history", "group_by": "owner"}
    ).content.decode()
    assert history.splitlines()[0].startswith("Group,Stage,Entered")
    pipeline, _lost, _advanced = data
    proposal = pipeline.stages.get(name="Proposal")
    deals = browser.get(
        reverse("funnel_drilldown"), {"stage": proposal.pk, "metric": "lost", "format": "csv"}
    ).content.decode()
    assert "Lost at proposal" in deals


def test_bad_parameters_show_errors_instead_of_failing(web_as, admin, data):
    response = web_as(admin).get(
        reverse("funnel_report"), {"from": "2025-04-01", "to": "2025-03-01", "mode": "odd"}
    )
    assert response.status_code == 200
    assert "alert-error" in response.content.decode()


def test_a_rival_pipeline_on_the_page_is_not_found(web_as, admin, data, other_org_records):
    browser = web_as(admin)
    response = browser.get(
        reverse("funnel_report"), {"pipeline": other_org_records.ids["pipeline"]}
    )
    assert response.status_code == 404
    response = browser.get(reverse("funnel_drilldown"), {"stage": other_org_records.ids["stage"]})
    assert response.status_code == 404
