"""The coverage report against a hand count, per role, and its cost."""

import datetime
import zoneinfo
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from funia.core import periods
from funia.sales.orders import services as order_services
from funia.sales.territories import coverage, selectors
from tests import factories
from tests.sales.territories.conftest import AS_OF, PERIOD, make_deal
from tests.sales.territories.helpers import account, territory

D = Decimal
UTC = datetime.UTC
SOFIA = zoneinfo.ZoneInfo("Europe/Sofia")  # the organisation's time zone


def rows_by_name(report) -> dict:
    return {row["name"]: row for row in report["territories"]}


def numbers(row) -> dict:
    keys = (*coverage.COUNTS, *coverage.AMOUNTS, "reps")
    return {k: row[k] for k in keys}


def test_the_coverage_matches_a_hand_count_for_an_administrator(scene):
    report = coverage.coverage_report(actor=scene.admin, **PERIOD, today=AS_OF)
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
    rows = rows_by_name(coverage.coverage_report(actor=scene.rep, **PERIOD, today=AS_OF))

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


# -- active customers ---------------------------------------------------------------------


def noon(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(12), tzinfo=SOFIA)


def statuses(admin, territory_id=None, **window) -> dict[str, str]:
    """Account name -> "customer" or "prospect", as the page behind the numbers lists them."""
    accounts = selectors.territory_accounts(
        actor=admin,
        territory_id=territory_id,
        window=selectors.active_window(admin.tenant, **window),
    )
    return {a.name: "customer" if a.is_customer else "prospect" for a in accounts}


def split(row) -> tuple[int, int, int]:
    return row["accounts"], row["customers"], row["prospects"]


def test_an_account_whose_only_win_is_older_than_the_window_is_a_prospect(admin):
    today = periods.today(admin.tenant)
    pipeline = factories.pipeline(admin)
    bulgaria = territory(admin, "Bulgaria", countries=["BG"])
    for name, months in (("Lapsed", 13), ("Recent", 11)):
        make_deal(
            admin,
            pipeline,
            stage="Won",
            amount="100",
            owner=admin,
            account_obj=account(admin, name, country="BG"),
            won_at=noon(selectors.months_before(today, months)),
        )

    row = rows_by_name(coverage.coverage_report(actor=admin))["Bulgaria"]
    wider = rows_by_name(coverage.coverage_report(actor=admin, active_months=24))["Bulgaria"]

    assert split(row) == (2, 1, 1)
    assert statuses(admin, bulgaria.pk) == {"Lapsed": "prospect", "Recent": "customer"}
    assert split(wider) == (2, 2, 0)
    assert statuses(admin, bulgaria.pk, months=24) == {"Lapsed": "customer", "Recent": "customer"}


def test_the_window_runs_from_the_same_day_months_ago_to_today_in_the_organisations_time_zone(
    admin,
):
    pipeline = factories.pipeline(admin)
    for name, won_at in (
        # 00:30 on 30 June 2024 in Sofia: the first day of the window ending 30 June 2025.
        ("First day", datetime.datetime(2024, 6, 29, 21, 30, tzinfo=UTC)),
        # 23:30 on 29 June 2024 in Sofia: the day before.
        ("Day before", datetime.datetime(2024, 6, 29, 20, 30, tzinfo=UTC)),
    ):
        make_deal(
            admin,
            pipeline,
            stage="Won",
            amount="100",
            owner=admin,
            account_obj=account(admin, name),
            won_at=won_at,
        )
    today = datetime.date(2025, 6, 30)

    report = coverage.coverage_report(actor=admin, today=today)

    assert (report["active_since"], report["active_until"]) == (datetime.date(2024, 6, 30), today)
    assert split(report["total"]) == (2, 1, 1)
    assert statuses(admin, today=today) == {"First day": "customer", "Day before": "prospect"}
    # Seen on 29 June 2024, the win of the next day is not in the window yet.
    earlier = datetime.date(2024, 6, 29)
    assert statuses(admin, today=earlier) == {"First day": "prospect", "Day before": "customer"}


def test_a_window_from_a_longer_month_starts_on_the_last_day_of_the_shorter_one(admin):
    report = coverage.coverage_report(
        actor=admin, active_months=1, today=datetime.date(2025, 3, 31)
    )
    assert report["active_months"] == 1
    assert report["active_since"] == datetime.date(2025, 2, 28)


def test_a_recent_order_makes_an_account_an_active_customer(admin):
    today = periods.today(admin.tenant)
    product = factories.product(admin)

    def order(name: str, day: datetime.date):
        return order_services.order_create(
            by=admin,
            account=account(admin, name, country="BG"),
            ordered_on=day,
            lines=[{"product": product, "quantity": 1, "unit_price": D("10")}],
        )

    order("Buyer", selectors.months_before(today, 2))
    order("Lapsed buyer", selectors.months_before(today, 13))
    order("Pre-order", today + datetime.timedelta(days=10))  # dated after today
    cancelled = order("Cancelled buyer", today)
    order_services.order_set_status(by=admin, order=cancelled, status="cancelled")
    trashed = order("Trashed order", today)
    order_services.order_delete(by=admin, order=trashed)

    report = coverage.coverage_report(actor=admin)

    assert split(report["total"]) == (5, 1, 4)
    assert statuses(admin) == {
        "Buyer": "customer",
        "Lapsed buyer": "prospect",
        "Pre-order": "prospect",
        "Cancelled buyer": "prospect",
        "Trashed order": "prospect",
    }


@pytest.mark.parametrize("months", [0, -1, 121])
def test_the_active_window_is_one_to_a_hundred_and_twenty_months(admin, months):
    with pytest.raises(ValidationError) as refused:
        coverage.coverage_report(actor=admin, active_months=months)
    assert "active_months" in refused.value.message_dict
    assert coverage.coverage_report(actor=admin, active_months=1)["active_months"] == 1
    assert coverage.coverage_report(actor=admin, active_months=120)["active_months"] == 120
