"""The coverage report against a hand count, per role, and its cost."""

import datetime
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext

from funia.core import periods
from funia.sales.territories import coverage
from tests import factories
from tests.sales.territories.conftest import PERIOD
from tests.sales.territories.helpers import account, territory

D = Decimal


def rows_by_name(report) -> dict:
    return {row["name"]: row for row in report["territories"]}


def numbers(row) -> dict:
    keys = (*coverage.COUNTS, *coverage.AMOUNTS, "reps")
    return {k: row[k] for k in keys}


def test_the_coverage_matches_a_hand_count_for_an_administrator(scene):
    report = coverage.coverage_report(actor=scene.admin, **PERIOD)
    rows = rows_by_name(report)

    assert [r["name"] for r in report["territories"]] == ["Bulgaria", "Large", "No territory"]
    assert rows["Bulgaria"]["rep_ids"] == [scene.rep.user.pk]  # the inactive rep is not counted
    assert numbers(rows["Bulgaria"]) == {
        "reps": 1,
        "accounts": 3,
        "prospects": 1,
        "customers": 2,
        "open_deals": 2,
        "won_deals": 3,  # won 10 March, and 00:30 on 1 January in Sofia; not 31 December
        "open_pipeline": D("1400.00"),
        "weighted_pipeline": D("400.00"),  # 1000 x 10 % + 400 x 75 %
        "revenue": D("2080.00"),
    }
    assert numbers(rows["Large"]) == {
        "reps": 0,
        "accounts": 1,
        "prospects": 0,
        "customers": 1,
        "open_deals": 0,
        "won_deals": 1,
        "open_pipeline": D("0.00"),
        "weighted_pipeline": D("0.00"),
        "revenue": D("300.00"),
    }
    # Trashed accounts and deals, lost deals and deals without an account count nowhere.
    assert numbers(rows["No territory"]) == {
        "reps": 0,
        "accounts": 1,
        "prospects": 1,
        "customers": 0,
        "open_deals": 1,
        "won_deals": 0,
        "open_pipeline": D("200.00"),
        "weighted_pipeline": D("100.00"),
        "revenue": D("0.00"),
    }
    assert rows["No territory"]["territory"] is None
    assert numbers(report["total"]) == {
        "reps": 1,
        "accounts": 5,
        "prospects": 2,
        "customers": 3,
        "open_deals": 3,
        "won_deals": 4,
        "open_pipeline": D("1600.00"),
        "weighted_pipeline": D("500.00"),
        "revenue": D("2380.00"),
    }


def test_a_rep_counts_only_the_accounts_and_deals_they_may_see(scene):
    rows = rows_by_name(coverage.coverage_report(actor=scene.rep, **PERIOD))

    assert numbers(rows["Bulgaria"]) == {
        "reps": 1,
        "accounts": 2,
        "prospects": 0,
        # A won deal the rep may not see still makes their account a customer.
        "customers": 2,
        "open_deals": 1,
        "won_deals": 2,
        "open_pipeline": D("1000.00"),
        "weighted_pipeline": D("100.00"),
        "revenue": D("2010.00"),
    }
    assert rows["Large"]["accounts"] == rows["Large"]["won_deals"] == 0
    assert rows["No territory"]["accounts"] == rows["No territory"]["open_deals"] == 0


def test_the_default_period_is_the_current_calendar_year(scene):
    report = coverage.coverage_report(actor=scene.admin)
    this_year = periods.today(scene.admin.tenant).year
    assert report["from"] == datetime.date(this_year, 1, 1)
    assert report["to"] == datetime.date(this_year + 1, 1, 1)
    assert report["total"]["revenue"] == D("0.00")  # the scene's wins are in 2025 and before


def test_without_territories_every_account_is_in_no_territory(admin):
    account(admin, "Alone", country="BG")
    report = coverage.coverage_report(actor=admin)
    assert [(r["name"], r["accounts"]) for r in report["territories"]] == [("No territory", 1)]


def test_the_report_costs_the_same_queries_for_more_territories_and_accounts(admin, rep):
    pipeline = factories.pipeline(admin)

    def grow(n):
        for i in range(n):
            territory(
                admin, f"T{n}-{i}", countries=["BG"], regions=[f"R{i}"], rep_ids=[rep.user.pk]
            )
            shop = account(admin, f"Shop {n}-{i}", country="BG", region=f"R{i}")
            factories.opportunity(admin, pipeline_id=pipeline.pk, account_id=shop.pk, amount=D(10))

    def count():
        with CaptureQueriesContext(connection) as queries:
            coverage.coverage_report(actor=admin)
        return len(queries)

    grow(1)
    few = count()
    grow(6)
    many = count()

    assert few == many
    assert many <= 4
