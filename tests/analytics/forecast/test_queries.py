"""The forecast reads a constant number of queries, whatever the number of deals, and its
lists have no query per row."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from funia.analytics.forecast.adjustments import forecast_adjustment_create
from funia.analytics.forecast.schemas import ForecastParams
from funia.analytics.forecast.services import forecast_report
from funia.core.records import record_create
from funia.sales import opportunities
from funia.sales.models import Quota
from tests.analytics.forecast.conftest import WINDOW


def more_deals(scene, n: int) -> None:
    for index in range(n):
        for owner in (scene.ana, scene.boris):
            opportunities.opportunity_create(
                by=scene.admin,
                name=f"More {index}",
                pipeline_id=scene.pipeline.pk,
                owner_id=owner.user.pk,
                amount=Decimal(100 + index),
                expected_close_date=datetime.date(2025, 3 + index % 2, 1 + index),
                forecast_category=("commit", "best_case", "pipeline")[index % 3],
            )


def count(func) -> int:
    func()  # once first: sessions, token use and caches are read on a first request only
    with CaptureQueriesContext(connection) as queries:
        func()
    return len(queries)


@pytest.mark.parametrize("group_by", [None, "owner", "team"])
def test_the_report_does_not_read_more_for_more_deals(scene, group_by):
    params = ForecastParams(**WINDOW, group_by=group_by)

    def run():
        forecast_report(actor=scene.admin, params=params)

    before = count(run)
    more_deals(scene, 12)
    for month in (1, 2, 3, 4):  # plans of more reps and months are read at once too
        for who in (scene.boris, scene.manager):
            record_create(
                model=Quota,
                by=scene.admin,
                user=who.user,
                period="month",
                start=datetime.date(2025, month, 1),
                amount=Decimal(10),
            )
    assert count(run) == before


@pytest.mark.parametrize(
    "path", ["/reports/forecast/deals", "/forecast-adjustments", "/reports/forecast"]
)
def test_the_endpoints_do_not_read_per_row(scene, api_as, path):
    client = api_as(scene.admin)

    def run():
        assert client.call("get", path, {**WINDOW, "limit": 500}).status_code == 200

    before = count(run)
    more_deals(scene, 6)
    for month in (4, 5, 6):
        forecast_adjustment_create(
            by=scene.admin,
            user_id=scene.boris.user.pk,
            period="month",
            start=datetime.date(2025, month, 1),
            category="commit",
            amount=Decimal(1),
        )
    assert count(run) == before


@pytest.mark.parametrize(
    "path", ["/reports/forecast/", "/reports/forecast/deals/", "/reports/forecast/adjustments/"]
)
def test_the_pages_do_not_read_per_row(scene, web_as, path):
    browser = web_as(scene.manager)

    def run():
        assert browser.get(path, {**WINDOW, "group_by": "owner"}).status_code == 200

    before = count(run)
    more_deals(scene, 6)
    forecast_adjustment_create(
        by=scene.manager,
        user_id=scene.ana.user.pk,
        period="month",
        start=datetime.date(2025, 4, 1),
        category="pipeline",
        amount=Decimal(1),
    )
    assert count(run) == before
