"""The forecast against a hand computation of the data set in conftest.py: columns, categories,
weighted pipeline, won, roll-ups, plans, quarters, plan vs fact, trend, adjustments,
grouping and who sees what."""

import datetime
from decimal import Decimal

import pytest

from funia.analytics.forecast.adjustments import forecast_adjustment_delete
from funia.analytics.forecast.schemas import ForecastParams
from funia.analytics.forecast.services import forecast_report
from funia.sales import opportunities, plans
from funia.sales.models import Pipeline
from tests import factories
from tests.analytics.forecast.conftest import WINDOW

D = Decimal


def report(actor, **params):
    return forecast_report(actor=actor, params=ForecastParams(**{**WINDOW, **params}))


def row_of(rows, key):
    return next(r for r in rows if r["key"] == key)


def amounts(row) -> dict:
    """{category: (count, amount used, computed)}"""
    return {
        name: (cell["count"], cell["amount"], cell["computed"])
        for name, cell in row["categories"].items()
    }


def group_of(result, key):
    return next(g for g in result["groups"] if g["key"] == key)


# -- the columns -----------------------------------------------------------------------------


def test_the_columns_are_overdue_each_month_and_no_close_date(scene):
    rows = report(scene.admin)["forecast"]["rows"]
    assert [(r["key"], r["kind"]) for r in rows] == [
        ("overdue", "overdue"),
        ("2025-03", "month"),
        ("2025-04", "month"),
        ("none", "none"),
    ]


def test_march_holds_the_open_deals_closing_in_march_and_the_wins_of_march(scene):
    march = row_of(report(scene.admin)["forecast"]["rows"], "2025-03")
    # d1 commit 1000 (adjusted to 2500 by Mira), d2 best case 2000; d4 is omitted.
    assert amounts(march) == {
        "commit": (1, D("2500.00"), D("1000.00")),
        "best_case": (1, D("2000.00"), D("2000.00")),
        "pipeline": (0, D("0.00"), D("0.00")),
    }
    assert march["open_count"] == 2
    assert march["weighted"] == D("1750.00")  # 1000 × 75 % + 2000 × 50 %
    assert march["won"] == {"count": 1, "amount": D("1500.00")}  # w1
    assert march["commit_forecast"] == D("4000.00")  # won 1500 + commit 2500
    assert march["best_case_forecast"] == D("6000.00")  # + best case 2000
    assert march["plan"] == D("3000")  # Ana's quota; Boris has none for March


def test_a_win_late_on_31_march_utc_is_an_april_win_in_sofia(scene):
    april = row_of(report(scene.admin)["forecast"]["rows"], "2025-04")
    assert april["won"] == {"count": 1, "amount": D("700.00")}  # w2
    # d3 pipeline 500 (closes 1 April), d7 best case 800 (no owner).
    assert amounts(april) == {
        "commit": (0, D("0.00"), D("0.00")),
        "best_case": (1, D("800.00"), D("800.00")),
        "pipeline": (1, D("500.00"), D("500.00")),
    }
    assert april["weighted"] == D("450.00")  # 800 × 50 % + 500 × 10 %
    assert april["commit_forecast"] == D("700.00")
    assert april["best_case_forecast"] == D("1500.00")
    assert april["plan"] is None  # Boris's plan is for the quarter


def test_an_open_deal_marked_closed_and_overdue_counts_as_commit_in_the_overdue_column(scene):
    overdue = row_of(report(scene.admin)["forecast"]["rows"], "overdue")
    assert amounts(overdue)["commit"] == (1, D("300.00"), D("300.00"))  # d5
    assert overdue["weighted"] == D("75.00")
    assert overdue["won"]["count"] == 0
    assert overdue["plan"] is None and overdue["trend"] is None


def test_a_deal_without_close_date_or_amount_is_counted_with_zero(scene):
    none = row_of(report(scene.admin)["forecast"]["rows"], "none")
    assert amounts(none)["pipeline"] == (1, D("0.00"), D("0.00"))  # d6
    assert none["commit_forecast"] == D("0.00")


def test_the_total_adds_every_column(scene):
    total = report(scene.admin)["forecast"]["total"]
    assert amounts(total) == {
        "commit": (2, D("2800.00"), D("1300.00")),
        "best_case": (2, D("2800.00"), D("2800.00")),
        "pipeline": (2, D("500.00"), D("500.00")),
    }
    assert total["weighted"] == D("2275.00")
    assert total["won"] == {"count": 2, "amount": D("2200.00")}
    assert total["commit_forecast"] == D("5000.00")
    assert total["best_case_forecast"] == D("7800.00")
    assert total["plan"] == D("3000")


def test_omitted_deals_and_deals_closing_after_the_window_are_left_out(scene):
    result = report(scene.admin)
    counted = result["forecast"]["total"]["open_count"]
    assert counted == 6  # d1 d2 d3 d5 d6 d7: not d4 (omitted) nor d8 (June)


def test_the_fact_is_what_the_plans_module_counts(scene):
    result = report(scene.admin, group_by="owner")
    ana = group_of(result, scene.ana.user.pk)
    expected = plans.won_amount(
        tenant=scene.admin.tenant,
        kind="month",
        start=datetime.date(2025, 3, 1),
        user_id=scene.ana.user.pk,
    )
    assert row_of(ana["rows"], "2025-03")["won"]["amount"] == expected == D("1500.00")


# -- quarters ----------------------------------------------------------------------------------


def test_the_quarters_cover_whole_quarters(scene):
    q1, q2 = report(scene.admin)["quarters"]
    assert (q1["key"], q2["key"]) == ("2025-Q1", "2025-Q2")
    # Q1: d1 + d5 commit, d2 best case; wins w1 and w3.
    assert amounts(q1) == {
        "commit": (2, D("1300.00"), D("1300.00")),
        "best_case": (1, D("2000.00"), D("2000.00")),
        "pipeline": (0, D("0.00"), D("0.00")),
    }
    assert q1["won"] == {"count": 2, "amount": D("2500.00")}
    assert q1["weighted"] == D("1825.00")
    assert q1["plan"] == D("5000")  # Ana's January + March
    # Q2: d8 commit (June), d7 best case, d3 pipeline; the win w2.
    assert amounts(q2)["commit"] == (1, D("400.00"), D("400.00"))
    assert q2["won"] == {"count": 1, "amount": D("700.00")}
    assert q2["best_case_forecast"] == D("1900.00")
    assert q2["plan"] == D("6000")  # Boris's quarter


def test_a_quarter_adjustment_replaces_the_quarters_number_not_the_months(scene):
    from funia.analytics.forecast.adjustments import forecast_adjustment_create

    forecast_adjustment_create(
        by=scene.admin,
        user_id=scene.ana.user.pk,
        period="quarter",
        start=datetime.date(2025, 4, 1),
        category="pipeline",
        amount=D("50"),
    )
    result = report(scene.admin)
    q2 = result["quarters"][1]
    assert amounts(q2)["pipeline"] == (1, D("50.00"), D("500.00"))
    april = row_of(result["forecast"]["rows"], "2025-04")
    assert amounts(april)["pipeline"] == (1, D("500.00"), D("500.00"))


# -- adjustments -------------------------------------------------------------------------------


def test_the_adjustment_is_shown_next_to_the_computed_value_with_who_and_why(scene):
    result = report(scene.admin, group_by="owner")
    cell = row_of(group_of(result, scene.ana.user.pk)["rows"], "2025-03")["categories"]["commit"]
    assert cell["adjusted"] is True
    assert (cell["amount"], cell["computed"]) == (D("2500.00"), D("1000.00"))
    [brief] = cell["adjustments"]
    assert brief["adjusted_by"] == scene.manager.user.pk
    assert brief["adjusted_by_name"] == "Mira Manager"
    assert brief["note"] == "CFO confirmed"


def test_without_the_adjustment_the_computed_value_counts_again(scene):
    forecast_adjustment_delete(by=scene.manager, forecast_adjustment=scene.adjustment)
    march = row_of(report(scene.admin)["forecast"]["rows"], "2025-03")
    assert amounts(march)["commit"] == (1, D("1000.00"), D("1000.00"))
    assert march["categories"]["commit"]["adjustments"] == []
    assert march["commit_forecast"] == D("2500.00")


def test_an_adjustment_counts_even_for_a_rep_without_deals_in_that_category(scene):
    from funia.analytics.forecast.adjustments import forecast_adjustment_create

    forecast_adjustment_create(
        by=scene.admin,
        user_id=scene.boris.user.pk,
        period="month",
        start=datetime.date(2025, 4, 1),
        category="commit",
        amount=D("900"),
    )
    april = row_of(report(scene.admin)["forecast"]["rows"], "2025-04")
    assert amounts(april)["commit"] == (0, D("900.00"), D("0.00"))
    assert april["commit_forecast"] == D("1600.00")  # won 700 + 900


def test_with_a_pipeline_filter_adjustments_are_shown_but_not_applied(scene):
    renewals = factories.pipeline(scene.admin, name="Renewals")
    opportunities.opportunity_create(
        by=scene.admin,
        name="Renewal",
        pipeline_id=renewals.pk,
        owner_id=scene.ana.user.pk,
        amount=D(100),
        expected_close_date=datetime.date(2025, 3, 20),
        forecast_category="commit",
    )
    filtered = report(scene.admin, pipeline=renewals.pk)
    assert filtered["adjustments_applied"] is False
    cell = row_of(filtered["forecast"]["rows"], "2025-03")["categories"]["commit"]
    assert (cell["count"], cell["amount"], cell["computed"]) == (1, D("100.00"), D("100.00"))
    assert cell["adjusted"] is False and len(cell["adjustments"]) == 1
    # All pipelines: the adjustment replaces Ana's whole March commit (1000 + 100).
    overall = report(scene.admin)
    assert amounts(row_of(overall["forecast"]["rows"], "2025-03"))["commit"] == (
        2,
        D("2500.00"),
        D("1100.00"),
    )


def test_a_pipeline_of_another_organisation_is_not_found(scene, other_org_records):
    with pytest.raises(Pipeline.DoesNotExist):
        report(scene.admin, pipeline=other_org_records.ids["pipeline"])


# -- plan vs fact and trend -------------------------------------------------------------------


def test_plan_vs_fact_of_the_past_months(scene):
    plan = report(scene.admin)["plan_vs_fact"]
    assert [r["key"] for r in plan["rows"]] == [
        "2024-09",
        "2024-10",
        "2024-11",
        "2024-12",
        "2025-01",
        "2025-02",
    ]
    january = row_of(plan["rows"], "2025-01")
    assert (january["plan"], january["won"]["amount"], january["attainment"]) == (
        D("2000"),
        D("1000.00"),
        50.0,
    )
    assert row_of(plan["rows"], "2025-02")["attainment"] is None  # no plan
    assert (plan["total"]["plan"], plan["total"]["won"]["amount"]) == (D("2000"), D("1000.00"))
    assert plan["total"]["attainment"] == 50.0


def test_no_past_months_gives_an_empty_plan_vs_fact(scene):
    plan = report(scene.admin, months_back=0)["plan_vs_fact"]
    assert plan["rows"] == [] and plan["total"]["plan"] is None


def test_the_trend_is_the_least_squares_line_through_twelve_past_months(scene):
    result = report(scene.admin)
    trend = result["trend"]
    assert trend["months"] == 12 and trend["method"] == "least_squares_linear"
    assert [p["won"] for p in trend["history"]][10] == D("1000.00")  # January 2025
    # Points (0..11, 0 … 1000 at x=10 … 0): slope 4500/143, intercept 1000/12 - 5.5 × slope.
    assert trend["slope"] == D("31.47")
    assert trend["intercept"] == D("-89.74")
    rows = result["forecast"]["rows"]
    assert row_of(rows, "2025-03")["trend"] == D("287.88")  # x = 12
    assert row_of(rows, "2025-04")["trend"] == D("319.35")  # x = 13
    assert result["forecast"]["total"]["trend"] == D("607.23")


def test_the_win_rate_forecast_applies_the_past_win_rate_to_the_open_amount(scene):
    result = report(scene.admin)
    # Closed in the twelve months: won 1000 (w3), lost 500 (l1).
    assert result["trend"]["win_rate"] == 0.6667
    march = row_of(result["forecast"]["rows"], "2025-03")
    assert march["win_rate_forecast"] == D("3500.10")  # 1500 + 0.6667 × 3000
    april = row_of(result["forecast"]["rows"], "2025-04")
    assert april["win_rate_forecast"] == D("1566.71")  # 700 + 0.6667 × 1300


# -- groups ------------------------------------------------------------------------------------


def test_group_by_owner_gives_one_table_per_rep_with_figures_and_the_unowned_deals(scene):
    result = report(scene.admin, group_by="owner")
    assert [(g["key"], g["label"]) for g in result["groups"]] == [
        (scene.ana.user.pk, "Ana Aneva"),
        (scene.boris.user.pk, "Boris Borisov"),
        (None, "No owner"),
    ]
    boris = group_of(result, scene.boris.user.pk)
    assert amounts(row_of(boris["rows"], "overdue"))["commit"] == (1, D("300.00"), D("300.00"))
    assert row_of(boris["rows"], "2025-04")["won"]["amount"] == D("700.00")
    assert boris["quarters"][1]["plan"] == D("6000")
    ana = group_of(result, scene.ana.user.pk)
    assert row_of(ana["rows"], "2025-03")["plan"] == D("3000")
    nobody = group_of(result, None)
    assert amounts(nobody["total"])["best_case"] == (1, D("800.00"), D("800.00"))
    # The groups add up to the whole.
    totals = [g["total"]["best_case_forecast"] for g in result["groups"]]
    assert sum(totals) == result["forecast"]["total"]["best_case_forecast"]


def test_group_by_team_uses_the_teams_plans(scene):
    result = report(scene.admin, group_by="team")
    assert [g["label"] for g in result["groups"]] == ["North", "South", "No team"]
    north = group_of(result, scene.north.pk)
    march = row_of(north["rows"], "2025-03")
    assert march["plan"] == D("5000")
    assert amounts(march)["commit"] == (1, D("2500.00"), D("1000.00"))
    assert group_of(result, None)["total"]["categories"]["best_case"]["count"] == 1  # d7
    assert result["plan_vs_fact"]["groups"][0]["label"] == "North"


def test_a_team_filter_takes_the_teams_own_plan(scene):
    result = report(scene.admin, team=scene.north.pk)
    assert row_of(result["forecast"]["rows"], "2025-03")["plan"] == D("5000")
    assert result["forecast"]["total"]["won"]["amount"] == D("1500.00")  # Ana's w1 only


def test_an_owner_filter_takes_the_reps_plan(scene):
    result = report(scene.admin, owner=scene.boris.user.pk)
    assert row_of(result["forecast"]["rows"], "2025-03")["plan"] is None
    assert result["quarters"][1]["plan"] == D("6000")
    assert result["forecast"]["total"]["open_count"] == 2  # d5, d6


# -- who sees what -----------------------------------------------------------------------------


def test_a_rep_sees_only_their_own_deals_and_adjustments(scene):
    result = report(scene.ana)
    rows = result["forecast"]["rows"]
    assert amounts(row_of(rows, "overdue"))["commit"][0] == 0  # d5 is Boris's
    march = row_of(rows, "2025-03")
    assert amounts(march)["commit"] == (1, D("2500.00"), D("1000.00"))
    assert row_of(rows, "2025-04")["won"]["count"] == 0  # w2 is Boris's
    assert amounts(row_of(rows, "2025-04"))["best_case"][0] == 0  # d7 has no owner

    boris = report(scene.boris)
    march = row_of(boris["forecast"]["rows"], "2025-03")
    assert march["categories"]["commit"]["adjustments"] == []
    assert row_of(boris["forecast"]["rows"], "2025-04")["won"]["amount"] == D("700.00")


def test_a_manager_sees_their_teams_deals_and_the_unowned_ones(scene):
    rows = report(scene.manager)["forecast"]["rows"]
    assert amounts(row_of(rows, "2025-03"))["commit"] == (1, D("2500.00"), D("1000.00"))
    assert amounts(row_of(rows, "2025-04"))["best_case"] == (1, D("800.00"), D("800.00"))
    assert amounts(row_of(rows, "overdue"))["commit"][0] == 0  # Boris is not in North
    assert row_of(rows, "2025-04")["won"]["count"] == 0


@pytest.mark.parametrize("who", ["admin", "analyst"])
def test_admins_and_analysts_see_everything(scene, who):
    total = report(getattr(scene, who))["forecast"]["total"]
    assert (total["open_count"], total["won"]["amount"]) == (6, D("2200.00"))


def test_the_default_parameters_start_this_month_for_three_months(scene):
    from funia.core import periods

    result = forecast_report(actor=scene.admin, params=ForecastParams())
    this_month = periods.today(scene.admin.tenant).replace(day=1)
    assert result["from_month"] == f"{this_month:%Y-%m}"
    assert [r["kind"] for r in result["forecast"]["rows"]] == [
        "overdue",
        "month",
        "month",
        "month",
        "none",
    ]
    # Every open deal of the data set closed before this month: all overdue, but d6.
    overdue = row_of(result["forecast"]["rows"], "overdue")
    assert overdue["open_count"] == 6  # d1 d2 d3 d5 d7 d8


def test_an_organisation_without_pipelines_gets_an_empty_report(admin):
    result = forecast_report(actor=admin, params=ForecastParams())
    assert result["forecast"]["total"]["open_count"] == 0
    assert result["groups"] is None
