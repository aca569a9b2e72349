"""The dashboard's remaining numbers link to their deals: the funnel's average ages and its
open deals in all, the conversion of each stage (the deals that did not advance), and the
commit forecast of each month (won and commit)."""

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from funia.core import periods
from funia.sales import opportunities
from tests import factories
from tests.analytics.dashboard.helpers import deal_with_history

HX = {"HX-Request": "true"}


@pytest.fixture
def board(admin):
    """Default pipeline: in Qualification now "Q open" and "Fresh", in Proposal "Q went on",
    lost "Q lost" (all entered Qualification in the last 90 days; one advanced). Another
    pipeline holds this month's forecast: "Commit deal" (commit), "Maybe deal" (best case),
    both due today, and "Won today"."""
    pipeline = factories.pipeline(admin, name="Main", is_default=True)
    forecasts = factories.pipeline(admin, name="Forecasts")
    deals = {
        "went_on": deal_with_history(
            admin, pipeline, "Q went on", [("Qualification", 30), ("Proposal", 20)], amount=100
        ),
        "lost": deal_with_history(
            admin,
            pipeline,
            "Q lost",
            [("Qualification", 30), ("Lost", 10)],
            amount=100,
            lost_reason="Price",
        ),
        "open": deal_with_history(admin, pipeline, "Q open", [("Qualification", 25)], amount=100),
        "fresh": deal_with_history(admin, pipeline, "Fresh", [("Qualification", 2)], amount=100),
    }
    today = periods.today(admin.tenant)
    for key, name, category in (
        ("commit", "Commit deal", "commit"),
        ("maybe", "Maybe deal", "best_case"),
    ):
        deal = opportunities.opportunity_create(
            by=admin,
            name=name,
            pipeline_id=forecasts.pk,
            stage_id=factories.stage(forecasts, "Proposal").pk,
            amount=1000,
            expected_close_date=today,
        )
        deals[key] = opportunities.opportunity_update(
            by=admin, opportunity=deal, fields={"forecast_category": category}
        )
    midnight = periods.midnight(admin.tenant, today)
    deals["won"] = opportunities.opportunity_create(
        by=admin,
        name="Won today",
        pipeline_id=forecasts.pk,
        amount=500,
        stage_history=[{"stage": "Won", "at": midnight}],
    )
    return pipeline, deals


def element(client, name, **query) -> str:
    response = client.get(reverse("sales_dashboard"), {**query, "element": name}, headers=HX)
    assert response.status_code == 200, response.content
    return response.content.decode()


def count_of(html: str) -> int:
    return int(re.search(r'data-count="(\d+)"', html).group(1))


def detail(deal) -> str:
    return reverse("opportunity_detail", args=[deal.pk])


def test_the_funnel_average_ages_link_to_the_deals_of_their_stage(web_as, admin, board):
    pipeline, deals = board
    browser = web_as(admin)
    html = element(browser, "funnel")
    qualification = factories.stage(pipeline, "Qualification")
    row = re.search(r"<tr>\s*<td>Qualification</td>.*?</tr>", html, re.S).group(0)
    cells = re.findall(r'<td class="num" data-label="([^"]+)"><a href="([^"]+)">', row)
    by_label = {label: unescape(url) for label, url in cells}
    assert set(by_label) == {"Deals", "Amount", "Average age (days)"}
    age = by_label["Average age (days)"]
    assert age == by_label["Deals"]
    assert f"stage={qualification.pk}" in age
    listing = browser.get(age).content.decode()
    assert count_of(listing) == 2
    assert detail(deals["open"]) in listing and detail(deals["fresh"]) in listing


def test_the_funnel_total_links_to_every_open_deal(web_as, admin, board):
    _pipeline, deals = board
    browser = web_as(admin)
    html = element(browser, "funnel")
    total = re.search(r'<p class="muted"><a href="([^"]+)">Main: 3 open deals', html)
    assert total, "the funnel's total has no link"
    url = unescape(total.group(1))
    assert "stage=all" in url
    listing = browser.get(url).content.decode()
    assert count_of(listing) == 3
    for key in ("went_on", "open", "fresh"):
        assert detail(deals[key]) in listing
    for key in ("lost", "commit", "won"):
        assert detail(deals[key]) not in listing


def test_each_conversion_links_to_the_deals_that_did_not_advance(web_as, admin, board):
    _pipeline, deals = board
    browser = web_as(admin)
    html = element(browser, "conversion")
    cell = re.search(
        r'<td class="num" data-label="Conversion"><a href="([^"]+)"[^>]*>25 %</a>', html
    )
    assert cell, "the Qualification conversion (1 of 4) has no link"
    url = unescape(cell.group(1))
    query = parse_qs(urlsplit(url).query)
    assert query["metric"] == ["not_advanced"] and query["report"] == ["history"]
    listing = browser.get(url).content.decode()
    assert count_of(listing) == 3
    for key in ("lost", "open", "fresh"):
        assert detail(deals[key]) in listing
    assert detail(deals["went_on"]) not in listing
    # Every conversion shown opens as many deals as entered minus advanced.
    table = re.search(r"<table class=\"table\">.*?</table>", html, re.S).group(0)
    for row in re.findall(r"<tr>.*?</tr>", table, re.S)[1:]:
        numbers = re.findall(r'data-label="(Entered|Advanced)"><a href="[^"]+">(\d+)</a>', row)
        link = re.search(r'data-label="Conversion"><a href="([^"]+)"', row)
        if not link:
            continue
        entered, advanced = (int(n) for _label, n in numbers)
        assert count_of(browser.get(unescape(link.group(1))).content.decode()) == (
            entered - advanced
        )


def test_the_commit_forecast_links_to_the_won_and_commit_deals(web_as, admin, board):
    _pipeline, deals = board
    browser = web_as(admin)
    html = element(browser, "forecast")
    month = periods.period_label("month", periods.today(admin.tenant))
    cells = re.findall(r'<td class="num" data-label="Commit forecast"><a href="([^"]+)">', html)
    assert len(cells) == 3  # one per month shown
    this_month = [u for u in map(unescape, cells) if f"month={month}" in u]
    assert len(this_month) == 1
    url = this_month[0]
    assert url.startswith(reverse("forecast_drilldown"))
    assert "category=commit_forecast" in url
    listing = browser.get(url).content.decode()
    assert count_of(listing) == 2
    assert detail(deals["commit"]) in listing and detail(deals["won"]) in listing
    assert detail(deals["maybe"]) not in listing
    # The amount shown is theirs: 1,000 + 500.
    assert re.search(rf'href="[^"]*month={month}[^"]*commit_forecast">1,500 ', html)
