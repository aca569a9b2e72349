"""Deals at risk against a hand computation: the usual time of a stage is the 75th
percentile (nearest rank) of its stays that ended in the last 365 days, 30 days with fewer
than 10 stays; a deal is at risk when it has been in its stage longer than that."""

import pytest

from funia.analytics.dashboard.risk import RiskParams, deals_at_risk, stage_norms
from funia.sales import opportunities
from tests import factories
from tests.analytics.dashboard.helpers import deal_with_history


def names(qs) -> list[str]:
    return [deal.name for deal in qs]


@pytest.fixture
def pipeline(admin):
    return factories.pipeline(admin, name="Risky", is_default=True)


@pytest.fixture
def history(admin, rep, pipeline):
    """12 past stays in Proposal of 1..12 days, ended within the year (p75 = 9 days), older
    and deleted stays that must not count, and open deals of known ages."""
    for days in range(1, 13):
        deal_with_history(
            admin,
            pipeline,
            f"Past {days}",
            [("Proposal", 100 + days), ("Won", 100)],
        )
    # Stays that ended more than 365 days ago, and a deleted deal's stays: they would raise
    # the percentile if they counted.
    for n in range(5):
        deal_with_history(admin, pipeline, f"Ancient {n}", [("Proposal", 700), ("Won", 400)])
    for n in range(5):
        gone = deal_with_history(
            admin, pipeline, f"Gone {n}", [("Proposal", 300), ("Negotiation", 200)]
        )
        opportunities.opportunity_delete(by=admin, opportunity=gone)
    deals = {
        # Proposal: usual 9 days.
        "late proposal": deal_with_history(
            admin,
            pipeline,
            "Late proposal",
            [("Qualification", 20), ("Proposal", 10)],
            amount=1000,
            owner_id=rep.user.pk,
        ),
        "fresh proposal": deal_with_history(
            admin,
            pipeline,
            "Fresh proposal",
            [("Proposal", 8)],
            amount=5000,
            owner_id=rep.user.pk,
        ),
        # Qualification has 1 stay in the window (of "Late proposal"): 30 days.
        "stale qualification": deal_with_history(
            admin, pipeline, "Stale qualification", [("Qualification", 31)], amount=3000
        ),
        "young qualification": deal_with_history(
            admin, pipeline, "Young qualification", [("Qualification", 29)], amount=9000
        ),
        "no amount": deal_with_history(
            admin, pipeline, "No amount", [("Qualification", 90)], owner_id=rep.user.pk
        ),
        "very late": deal_with_history(
            admin, pipeline, "Very late", [("Proposal", 27)], amount=1000
        ),
        # Closed deals are never at risk.
        "won long ago": deal_with_history(
            admin, pipeline, "Won long ago", [("Proposal", 500), ("Won", 400)], amount=8000
        ),
    }
    return deals


def test_the_usual_time_is_the_75th_percentile_of_the_stays_of_the_last_year(
    admin, pipeline, history
):
    norms = stage_norms(admin.tenant)
    proposal = factories.stage(pipeline, "Proposal")
    # Stays ended within the year: 1..12 days (12 stays) -> rank ceil(0.75 * 12) = 9.
    assert norms[proposal.pk].stays == 12
    assert norms[proposal.pk].usual_days == pytest.approx(9, abs=1e-6)
    assert norms[proposal.pk].from_history


def test_a_stage_with_fewer_than_ten_stays_uses_thirty_days(admin, pipeline, history):
    norms = stage_norms(admin.tenant)
    qualification = factories.stage(pipeline, "Qualification")
    assert norms[qualification.pk].stays == 1
    assert norms[qualification.pk].usual_days == 30
    assert not norms[qualification.pk].from_history


def test_deals_longer_than_usual_in_their_stage_are_at_risk_largest_amount_first(admin, history):
    found = deals_at_risk(actor=admin, params=RiskParams())
    # Amount first (3000, then the two of 1000 by ratio: 27/9 before 10/9), no amount last.
    assert names(found) == ["Stale qualification", "Very late", "Late proposal", "No amount"]
    late = found.get(name="Late proposal")
    assert late.age_seconds / 86400 == pytest.approx(10, abs=0.01)
    assert late.usual_seconds / 86400 == pytest.approx(9)
    assert late.ratio == pytest.approx(10 / 9, abs=0.01)
    assert late.usual_stays == 12
    stale = found.get(name="Stale qualification")
    assert stale.usual_seconds / 86400 == 30
    assert stale.ratio == pytest.approx(31 / 30, abs=0.01)


def test_a_rep_sees_only_their_own_deals_at_risk(rep, history):
    assert names(deals_at_risk(actor=rep, params=RiskParams())) == ["Late proposal", "No amount"]


def test_the_usual_time_is_the_organisations_whoever_looks(admin, rep, history):
    mine = deals_at_risk(actor=rep, params=RiskParams()).get(name="Late proposal")
    theirs = deals_at_risk(actor=admin, params=RiskParams()).get(name="Late proposal")
    assert mine.usual_seconds == theirs.usual_seconds


def test_the_owner_team_and_pipeline_filters_narrow_the_list(
    admin, rep, manager, pipeline, history
):
    by_owner = deals_at_risk(actor=admin, params=RiskParams(owner=rep.user.pk))
    assert names(by_owner) == ["Late proposal", "No amount"]
    team = factories.team(admin, "North", manager=manager, members=[rep])
    by_team = deals_at_risk(actor=admin, params=RiskParams(team=team.pk))
    assert names(by_team) == ["Late proposal", "No amount"]
    other = factories.pipeline(admin, name="Other")
    deal_with_history(admin, other, "Elsewhere", [("Qualification", 60)], amount=99999)
    assert names(deals_at_risk(actor=admin, params=RiskParams()))[0] == "Elsewhere"
    in_pipeline = deals_at_risk(actor=admin, params=RiskParams(pipeline=pipeline.pk))
    assert "Elsewhere" not in names(in_pipeline)
    assert names(deals_at_risk(actor=admin, params=RiskParams(pipeline=other.pk))) == ["Elsewhere"]


def test_a_manager_sees_the_teams_deals_and_unowned_ones(admin, rep, manager, history):
    factories.team(admin, "North", manager=manager, members=[rep])
    found = names(deals_at_risk(actor=manager, params=RiskParams()))
    # The admin-created deals without an explicit owner belong to the admin: not visible.
    assert found == ["Late proposal", "No amount"]


def test_the_list_takes_a_fixed_number_of_queries(admin, history, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        found = list(deals_at_risk(actor=admin, params=RiskParams()))
        assert [d.account for d in found] and [d.owner for d in found]
        assert [d.stage.name for d in found]
