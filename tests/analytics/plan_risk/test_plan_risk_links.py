"""Every number of the plan risk links to its deals: the open deals and open amount of each
stage, the forecast (every open deal in scope), the expected amounts even when nothing
counts; the list of every open deal through the API; other organisations get 404."""

import datetime
import re
from decimal import Decimal
from html import unescape

import pytest
from django.urls import reverse

from funia.core import periods
from funia.sales.quotas import services as quota_services
from tests import factories

PAGE = "/reports/plan-risk/"
DEALS = "/reports/plan-risk/deals/"


@pytest.fixture
def scope(admin):
    """This quarter, the rep: won 2000 today; open: Analysis 1000 (Needs analysis, due
    today: counts at 25 %), Offer 600 (Proposal, due today: counts at 50 %), Later offer
    900 (Proposal, the rep's date after the quarter: does not count), Undated 300 (Needs
    analysis, no date and no history: does not count). Another rep's open deal is out of
    scope. Quota 5000."""
    rep = factories.member(admin.tenant, "sales_rep", email="rep@acme.example")
    other = factories.member(admin.tenant, "sales_rep", email="other@acme.example")
    pipeline = factories.pipeline(admin)
    today = periods.today(admin.tenant)
    quarter = periods.period_start("quarter", today)
    factories.opportunity(
        admin,
        name="Closed fleet",
        pipeline_id=pipeline.pk,
        owner_id=rep.user.pk,
        amount=Decimal("2000"),
        stage_history=[
            {"stage": "Qualification", "at": periods.midnight(admin.tenant, today)},
            {"stage": "Won", "at": periods.midnight(admin.tenant, today)},
        ],
    )
    deals = {}
    for name, stage, amount, close, owner in (
        ("Analysis", "Needs analysis", "1000", today, rep),
        ("Offer", "Proposal", "600", today, rep),
        ("Later offer", "Proposal", "900", today + datetime.timedelta(days=400), rep),
        ("Undated", "Needs analysis", "300", None, rep),
        ("Not theirs", "Proposal", "7000", today, other),
    ):
        deals[name] = factories.opportunity(
            admin,
            name=name,
            pipeline_id=pipeline.pk,
            stage_id=factories.stage(pipeline, stage).pk,
            owner_id=owner.user.pk,
            amount=Decimal(amount),
            expected_close_date=close,
        )
    quota_services.quota_create(
        by=admin, user_id=rep.user.pk, period="quarter", start=quarter, amount=5000
    )
    label = periods.period_label("quarter", quarter)
    return rep, pipeline, label, deals


def count_of(html: str) -> int:
    return int(re.search(r'data-count="(\d+)"', html).group(1))


def page(browser, rep, label) -> str:
    response = browser.get(PAGE, {"who": f"user-{rep.user.pk}", "period": label})
    assert response.status_code == 200
    return response.content.decode()


def test_the_api_lists_every_open_deal_in_scope(api_as, admin, scope):
    rep, _pipeline, label, _deals = scope
    client = api_as(admin)
    query = {"user": rep.user.pk, "period": label}
    report = client.call("get", "/reports/plan-risk", query).json()
    every = client.call("get", "/reports/plan-risk/deals", {**query, "deals": "open"}).json()
    by_name = {d["name"]: d for d in every["items"]}
    assert set(by_name) == {"Analysis", "Offer", "Later offer", "Undated"}
    assert every["count"] == report["open_count"] == 4
    assert sum(Decimal(d["amount_base"]) for d in every["items"]) == Decimal(report["open_amount"])
    # Counted first; the others have no expected amount.
    assert [d["name"] for d in every["items"][:2]] == ["Offer", "Analysis"]
    assert by_name["Later offer"]["expected"] is None
    assert by_name["Undated"]["expected"] is None and by_name["Undated"]["expected_close"] is None
    assert sum(Decimal(d["expected"] or 0) for d in every["items"]) == Decimal(report["expected"])
    counted = client.call("get", "/reports/plan-risk/deals", query).json()
    assert {d["name"] for d in counted["items"]} == {"Analysis", "Offer"}


def test_the_api_lists_the_open_deals_of_one_stage(api_as, admin, scope):
    rep, pipeline, label, _deals = scope
    proposal = factories.stage(pipeline, "Proposal")
    response = api_as(admin).call(
        "get",
        "/reports/plan-risk/deals",
        {"user": rep.user.pk, "period": label, "deals": "open", "stage": proposal.pk},
    )
    assert {d["name"] for d in response.json()["items"]} == {"Offer", "Later offer"}


def test_an_unknown_list_is_refused(api_as, admin, scope):
    rep, _pipeline, label, _deals = scope
    response = api_as(admin).call(
        "get", "/reports/plan-risk/deals", {"user": rep.user.pk, "period": label, "deals": "all"}
    )
    assert response.status_code == 422


def stage_row(html: str, stage: str) -> str:
    return re.search(rf"<tr>\s*<td>{stage} <span.*?</tr>", html, re.S).group(0)


def test_each_stages_open_deals_and_amount_link_to_its_open_deals(web_as, admin, scope):
    rep, pipeline, label, _deals = scope
    browser = web_as(admin)
    html = page(browser, rep, label)
    proposal = factories.stage(pipeline, "Proposal")
    row = stage_row(html, "Proposal")
    links = [unescape(u) for u in re.findall(r'href="([^"]+)"', row)]
    open_links = [u for u in links if "deals=open" in u]
    # The open deals (2) and the open amount (1500) open the same list.
    assert len(open_links) == 2 and len(set(open_links)) == 1
    assert ">2</a>" in row and ">1,500.00</a>" in row
    link = open_links[0]
    assert f"stage={proposal.pk}" in link and link.startswith(DEALS)
    listing = browser.get(link).content.decode()
    assert count_of(listing) == 2
    assert "Offer" in listing and "Later offer" in listing
    assert "Analysis" not in listing and "Not theirs" not in listing


def test_the_forecast_links_to_every_open_deal_in_scope(web_as, admin, scope):
    rep, _pipeline, label, deals = scope
    browser = web_as(admin)
    html = page(browser, rep, label)
    forecast = re.search(r"<dt>Forecast</dt><dd><a href=\"([^\"]+)\"[^>]*>([^<]+)</a>", html)
    assert forecast, "the forecast has no link"
    assert forecast.group(2) == "2,550.00"  # won 2000 + expected 550
    url = unescape(forecast.group(1))
    assert "deals=open" in url and "stage=" not in url
    listing = browser.get(url).content.decode()
    assert count_of(listing) == 4
    for name in ("Analysis", "Offer", "Later offer", "Undated"):
        assert reverse("opportunity_detail", args=[deals[name].pk]) in listing
    assert reverse("opportunity_detail", args=[deals["Not theirs"].pk]) not in listing
    # The list says what the open deals are expected to bring, and leads to the counted ones.
    assert "expected 550.00 in the period" in listing
    assert "Expected to close in the period" in listing


def test_a_stage_with_nothing_expected_still_links_its_zero(web_as, admin, scope):
    rep, _pipeline, label, _deals = scope
    browser = web_as(admin)
    html = page(browser, rep, label)
    row = stage_row(html, "Qualification")
    links = {unescape(u) for u in re.findall(r'href="([^"]+)"', row)}
    assert len(links) == 2  # its open deals, and the (empty) list of its counted deals
    for link in links:
        assert count_of(browser.get(link).content.decode()) == 0


def test_the_open_pipeline_sentence_links_both_lists(web_as, admin, scope):
    rep, _pipeline, label, _deals = scope
    browser = web_as(admin)
    html = page(browser, rep, label)
    sentence = re.search(r"Open pipeline: .*?</p>", html, re.S).group(0)
    links = [unescape(u) for u in re.findall(r'href="([^"]+)"', sentence)]
    assert len(links) == 2
    counts = [count_of(browser.get(u).content.decode()) for u in links]
    assert counts == [4, 2]


def test_the_quota_links_to_the_command_center(web_as, admin, scope):
    rep, _pipeline, label, _deals = scope
    html = page(web_as(admin), rep, label)
    quota = re.search(r'<dt>Quota</dt><dd><a href="([^"]+)">5,000.00</a>', html)
    assert quota and unescape(quota.group(1)).startswith(reverse("command_center"))


def test_the_open_list_exports_as_csv(web_as, admin, scope):
    rep, _pipeline, label, _deals = scope
    response = web_as(admin).get(
        DEALS, {"who": f"user-{rep.user.pk}", "period": label, "deals": "open", "format": "csv"}
    )
    text = response.content.decode()
    assert response["Content-Type"].startswith("text/csv")
    assert "Undated" in text and "Later offer" in text and "Not theirs" not in text


def test_another_organisation_gets_404_from_the_open_list(api_as, web_as, outsider, scope):
    rep, pipeline, label, _deals = scope
    query = {"user": rep.user.pk, "period": label, "deals": "open"}
    assert api_as(outsider).call("get", "/reports/plan-risk/deals", query).status_code == 404
    stage = factories.stage(pipeline, "Proposal")
    own = api_as(outsider).call(
        "get", "/reports/plan-risk/deals", {"period": label, "deals": "open", "stage": stage.pk}
    )
    assert own.status_code == 404
    browser = web_as(outsider)
    response = browser.get(DEALS, {"who": f"user-{rep.user.pk}", "period": label, "deals": "open"})
    assert response.status_code == 404
    # Their own open list is empty, never ours.
    mine = api_as(outsider).call("get", "/reports/plan-risk/deals", {"deals": "open"}).json()
    assert mine["count"] == 0
