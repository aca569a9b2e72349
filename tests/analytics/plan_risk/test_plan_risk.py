"""The plan risk against the hand computation of conftest.py's history."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from funia.analytics.plan_risk.services import Subject, plan_risk, plan_risk_deals, plan_risk_many
from funia.core.records import record_create
from funia.sales import opportunities
from funia.sales.models import Quota
from tests import factories
from tests.analytics.plan_risk.conftest import NOW, Q2

D = datetime.date


def month_quotas(admin, user, amount):
    for month in (4, 5, 6):
        record_create(
            model=Quota, by=admin, user=user, period="month", start=D(2025, month, 1), amount=amount
        )


def stage_row(report, name):
    return next(row for row in report["stages"] if row["name"] == name)


def test_the_rep_is_at_risk_when_won_plus_expected_falls_short_of_the_quota(admin, history):
    month_quotas(admin, history.rep.user, Decimal("3000"))

    report = plan_risk(actor=admin, kind="quarter", start=Q2, user_id=history.rep.user.pk, now=NOW)

    assert report["period"] == "2025-Q2"
    assert (report["from"], report["to"]) == (D(2025, 4, 1), D(2025, 7, 1))
    assert report["quota"] == Decimal("9000.00")
    assert report["won"] == Decimal("2500.00")
    assert report["expected"] == Decimal("5325.00")
    assert report["forecast"] == Decimal("7825.00")
    assert report["gap"] == Decimal("1175.00")
    assert report["at_risk"] is True
    assert report["remaining"] == Decimal("6500.00")
    assert report["open_count"] == 8
    assert report["open_amount"] == Decimal("19599.99")
    assert report["counted_count"] == 5
    assert report["coverage"] == round(19599.99 / 6500, 4)


def test_the_rep_is_on_track_when_the_forecast_covers_the_quota(admin, history):
    month_quotas(admin, history.rep.user, Decimal("2500"))

    report = plan_risk(actor=admin, kind="quarter", start=Q2, user_id=history.rep.user.pk, now=NOW)

    assert report["gap"] == Decimal("-325.00")
    assert report["at_risk"] is False


def test_without_a_quota_there_is_no_gap_and_no_risk(admin, history):
    report = plan_risk(actor=admin, kind="quarter", start=Q2, user_id=history.rep.user.pk, now=NOW)

    assert report["quota"] is None
    assert report["gap"] is None
    assert report["coverage"] is None
    assert report["at_risk"] is False
    assert report["forecast"] == Decimal("7825.00")


def test_a_stage_with_ten_closed_deals_uses_its_history(admin, history):
    report = plan_risk(actor=admin, kind="quarter", start=Q2, user_id=history.rep.user.pk, now=NOW)
    proposal = stage_row(report, "Proposal")

    assert proposal["win_rate_source"] == "history"
    assert proposal["history_deals"] == 12
    assert proposal["win_rate"] == 0.75
    assert proposal["median_days_to_win"] == 18.0
    assert (proposal["open_count"], proposal["open_amount"]) == (3, Decimal("3500.00"))
    assert (proposal["counted_count"], proposal["counted_amount"]) == (2, Decimal("1500.00"))
    assert proposal["expected"] == Decimal("1125.00")


def test_a_stage_with_fewer_than_ten_closed_deals_uses_its_probability(admin, history):
    report = plan_risk(actor=admin, kind="quarter", start=Q2, user_id=history.rep.user.pk, now=NOW)
    negotiation = stage_row(report, "Negotiation")
    qualification = stage_row(report, "Qualification")
    needs = stage_row(report, "Needs analysis")

    # Two of three closed deals won (0.6667), but three is too few: 75 % is used.
    assert (negotiation["win_rate_source"], negotiation["win_rate"]) == ("probability", 0.75)
    assert negotiation["history_deals"] == 3
    assert negotiation["median_days_to_win"] == 7.0
    assert negotiation["expected"] == Decimal("3000.00")
    assert (qualification["win_rate"], qualification["median_days_to_win"]) == (0.1, 17.0)
    assert qualification["expected"] == Decimal("1000.00")
    assert (needs["win_rate"], needs["median_days_to_win"]) == (0.25, None)
    assert needs["expected"] == Decimal("200.00")


def test_trashed_deals_and_history_older_than_a_year_are_left_out(admin, history):
    from funia.sales import opportunities

    # Trashing the three lost deals leaves 9 closed deals (all won): below 10.
    for name in ("L1", "L2", "L3"):
        opportunities.opportunity_delete(by=admin, opportunity=history.deals[name])

    report = plan_risk(actor=admin, kind="quarter", start=Q2, user_id=history.rep.user.pk, now=NOW)

    proposal = stage_row(report, "Proposal")
    assert (proposal["win_rate_source"], proposal["win_rate"]) == ("probability", 0.5)
    assert proposal["history_deals"] == 9
    assert proposal["median_days_to_win"] == 18.0


def test_the_counted_deals_follow_the_timing_rule_and_add_up(admin, history):
    deals = plan_risk_deals(
        actor=admin, kind="quarter", start=Q2, user_id=history.rep.user.pk, now=NOW
    )

    assert [(d.name, d.expected) for d in deals] == [
        ("D", Decimal("3000.00")),
        ("G", Decimal("1000.00")),
        ("A", Decimal("750.00")),
        ("C", Decimal("375.00")),
        ("E", Decimal("200.00")),
    ]
    by_name = {d.name: d for d in deals}
    assert by_name["C"].expected_close == NOW  # the median has passed: expected now
    assert by_name["A"].expected_close == NOW + datetime.timedelta(days=8)
    assert by_name["E"].win_rate_source == "probability"


def test_a_period_that_has_ended_expects_nothing(admin, history):
    report = plan_risk(
        actor=admin, kind="month", start=D(2025, 5, 1), user_id=history.rep.user.pk, now=NOW
    )
    assert report["expected"] == Decimal("0.00")
    assert report["won"] == Decimal("0.00")  # P1 and P2 were won in June


def test_a_later_period_expects_only_the_deals_timed_for_it(admin, history):
    report = plan_risk(
        actor=admin, kind="month", start=D(2025, 7, 1), user_id=history.rep.user.pk, now=NOW
    )
    # Only J is timed for July (1 July, 10 % of 999.99); B's history times it for 28 June.
    assert report["counted_count"] == 1
    assert report["expected"] == Decimal("100.00")


def test_a_team_counts_its_current_members(admin, history):
    team = factories.team(admin, "Sofia", members=[history.rep, history.other])
    record_create(
        model=Quota, by=admin, team=team, period="quarter", start=Q2, amount=Decimal("20000")
    )

    report = plan_risk(actor=admin, kind="quarter", start=Q2, team_id=team.pk, now=NOW)

    # Other's wins in Q2: P3..P9 (7 x 100) and N2 (100); H: Proposal, now + 15 d -> 0.75.
    assert report["won"] == Decimal("2500.00") + Decimal("800.00")
    assert report["expected"] == Decimal("5325.00") + Decimal("5250.00")
    assert report["subject"] == "team"
    assert report["gap"] == Decimal("20000") - report["forecast"]


def test_one_pipeline_only(admin, history):
    other_pipeline = factories.pipeline(admin, name="Renewals")
    factories.opportunity(
        admin,
        pipeline_id=other_pipeline.pk,
        owner_id=history.rep.user.pk,
        amount=Decimal("50000"),
        expected_close_date=D(2025, 6, 30),
    )
    everything = plan_risk(
        actor=admin, kind="quarter", start=Q2, user_id=history.rep.user.pk, now=NOW
    )
    one = plan_risk(
        actor=admin,
        kind="quarter",
        start=Q2,
        user_id=history.rep.user.pk,
        pipeline_id=history.pipeline.pk,
        now=NOW,
    )
    assert one["expected"] == Decimal("5325.00")
    assert {row["pipeline"] for row in one["stages"]} == {history.pipeline.pk}
    assert everything["open_count"] == 9


def test_with_a_pipeline_won_is_that_pipelines_and_the_quota_stays_whole(admin, history):
    month_quotas(admin, history.rep.user, Decimal("3000"))
    renewals = factories.pipeline(admin, name="Renewals")
    # Won in the quarter (3 June) in the other pipeline, and in the first pipeline.
    opportunities.opportunity_create(
        by=admin,
        name="Renewal won",
        pipeline_id=renewals.pk,
        owner_id=history.rep.user.pk,
        amount=Decimal("4000"),
        stage_history=[{"stage": "Won", "at": NOW - datetime.timedelta(days=12)}],
    )

    def risk(pipeline=None):
        return plan_risk(
            actor=admin,
            kind="quarter",
            start=Q2,
            user_id=history.rep.user.pk,
            pipeline_id=pipeline.pk if pipeline else None,
            now=NOW,
        )

    everything, first, other = risk(), risk(history.pipeline), risk(renewals)

    assert everything["won"] == Decimal("6500.00")  # P1 + P2 + the renewal
    assert first["won"] == Decimal("2500.00")  # P1 + P2 only
    assert other["won"] == Decimal("4000.00")
    assert everything["quota"] == first["quota"] == other["quota"] == Decimal("9000.00")
    # The gap compares the whole quota with that pipeline's won and expected.
    assert first["forecast"] == Decimal("2500.00") + first["expected"]
    assert first["gap"] == Decimal("9000.00") - first["forecast"]
    assert other["expected"] == Decimal("0.00")
    assert other["gap"] == Decimal("5000.00")
    assert first["remaining"] == Decimal("6500.00")
    assert other["remaining"] == Decimal("5000.00")


def test_with_a_pipeline_a_team_counts_its_members_wins_in_that_pipeline_only(admin, history):
    team = factories.team(admin, "Sofia", members=[history.rep, history.other])
    renewals = factories.pipeline(admin, name="Renewals")
    opportunities.opportunity_create(
        by=admin,
        name="Renewal won",
        pipeline_id=renewals.pk,
        owner_id=history.other.user.pk,
        amount=Decimal("700"),
        stage_history=[{"stage": "Won", "at": NOW - datetime.timedelta(days=2)}],
    )
    reports = plan_risk_many(
        actor=admin,
        kind="quarter",
        start=Q2,
        subjects=[
            Subject("team", team.pk, "Sofia", (history.rep.user.pk, history.other.user.pk)),
            Subject("user", history.other.user.pk, "other", (history.other.user.pk,)),
        ],
        pipeline_id=renewals.pk,
        now=NOW,
    )
    assert reports[("team", team.pk)]["won"] == Decimal("700.00")
    assert reports[("user", history.other.user.pk)]["won"] == Decimal("700.00")


def test_the_reader_sees_only_whom_their_role_allows(admin, history):
    manager = factories.member(admin.tenant, "sales_manager")
    team = factories.team(admin, "Sofia", manager=manager, members=[history.rep])
    outsider_team = factories.team(admin, "Plovdiv", members=[history.other])

    assert plan_risk(actor=history.rep, kind="quarter", start=Q2, now=NOW)["user"] == (
        history.rep.user.pk
    )
    assert plan_risk(actor=manager, kind="quarter", start=Q2, team_id=team.pk, now=NOW)
    with pytest.raises(ObjectDoesNotExist):
        plan_risk(actor=history.rep, kind="quarter", start=Q2, user_id=history.other.user.pk)
    with pytest.raises(ObjectDoesNotExist):
        plan_risk(actor=manager, kind="quarter", start=Q2, team_id=outsider_team.pk)
    with pytest.raises(ValidationError):
        plan_risk(actor=admin, kind="quarter", start=D(2025, 5, 1), user_id=history.rep.user.pk)


def test_a_rep_reading_their_own_risk_counts_the_deals_they_see(admin, history):
    mine = plan_risk(actor=history.rep, kind="quarter", start=Q2, now=NOW)
    assert mine["expected"] == Decimal("5325.00")


def test_many_reps_and_teams_cost_a_fixed_number_of_queries(admin, history):
    subjects = [
        Subject("user", history.rep.user.pk, "rep", (history.rep.user.pk,)),
        Subject("user", history.other.user.pk, "other", (history.other.user.pk,)),
    ]
    with CaptureQueriesContext(connection) as two:
        plan_risk_many(actor=admin, kind="quarter", start=Q2, subjects=subjects, now=NOW)
    many = subjects + [
        Subject("user", factories.member(admin.tenant, "sales_rep").user.pk, f"r{i}", ())
        for i in range(5)
    ]
    with CaptureQueriesContext(connection) as seven:
        reports = plan_risk_many(actor=admin, kind="quarter", start=Q2, subjects=many, now=NOW)
    assert len(seven) == len(two)
    assert reports[("user", history.rep.user.pk)]["expected"] == Decimal("5325.00")
