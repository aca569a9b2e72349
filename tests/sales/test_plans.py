"""Plan (quotas, rolled up from months) and fact (won amount) of a rep or a team."""

import datetime
from decimal import Decimal

import pytest

from funia.core import periods
from funia.core.models import TeamMember
from funia.core.records import record_create, record_soft_delete
from funia.sales import opportunities, plans
from funia.sales.models import Quota
from tests import factories

D = datetime.date


@pytest.fixture
def sales(admin):
    rep = factories.member(admin.tenant, "sales_rep", email="rep@acme.example")
    other = factories.member(admin.tenant, "sales_rep", email="other@acme.example")
    team = factories.team(admin, "Sofia", members=[rep])
    return rep, other, team


def quota(admin, **fields):
    return record_create(model=Quota, by=admin, **fields)


def test_a_quarter_without_its_own_quota_is_the_sum_of_its_months(admin, sales):
    rep, _other, team = sales
    quota(admin, user=rep.user, period="month", start=D(2026, 10, 1), amount=Decimal("100"))
    quota(admin, user=rep.user, period="month", start=D(2026, 11, 1), amount=Decimal("50.5"))
    gone = quota(admin, user=rep.user, period="month", start=D(2026, 12, 1), amount=9)
    record_soft_delete(obj=gone, by=admin)
    tenant = admin.tenant
    uid = rep.user.pk
    assert plans.plan_amount(tenant=tenant, kind="month", start=D(2026, 10, 1), user_id=uid) == 100
    assert plans.plan_amount(
        tenant=tenant, kind="quarter", start=D(2026, 10, 1), user_id=uid
    ) == Decimal("150.5")
    assert plans.plan_amount(tenant=tenant, kind="year", start=D(2026, 1, 1), user_id=uid) == (
        Decimal("150.5")
    )
    # Nothing set: no plan (not zero); a team without its own plans its members'.
    assert (
        plans.plan_amount(tenant=tenant, kind="quarter", start=D(2026, 7, 1), user_id=uid) is None
    )
    assert plans.plan_amount(
        tenant=tenant, kind="quarter", start=D(2026, 10, 1), team_id=team.pk
    ) == Decimal("150.5")
    quota(admin, team=team, period="quarter", start=D(2026, 10, 1), amount=Decimal("1000"))
    assert plans.plan_amount(
        tenant=tenant, kind="quarter", start=D(2026, 10, 1), team_id=team.pk
    ) == Decimal("1000")
    # A quarter quota set for the rep wins over the sum of the months.
    quota(admin, user=rep.user, period="quarter", start=D(2026, 10, 1), amount=Decimal("400"))
    assert plans.plan_amount(
        tenant=tenant, kind="quarter", start=D(2026, 10, 1), user_id=uid
    ) == Decimal("400")


def test_the_fact_is_the_won_amount_in_the_period_of_the_rep_or_the_team(admin, sales):
    rep, other, team = sales
    pipeline = factories.pipeline(admin)
    won = factories.stage(pipeline, "Won")
    first = pipeline.stages.get(name="Qualification")

    def deal(owner, amount, stage):
        d = factories.opportunity(
            admin,
            pipeline_id=pipeline.pk,
            stage_id=first.pk,
            owner_id=owner.user.pk,
            amount=Decimal(amount),
            currency=admin.tenant.currency,
        )
        if stage is not first:
            opportunities.opportunity_move(by=admin, opportunity=d, stage_id=stage.pk)
        return d

    deal(rep, "1200.40", won)
    deal(rep, "99.60", won)
    deal(rep, "5000", first)  # open: not a fact
    deal(other, "700", won)
    gone = deal(rep, "300", won)
    opportunities.opportunity_delete(by=admin, opportunity=gone)
    tenant = admin.tenant
    start = periods.period_start("month", periods.today(tenant))
    assert plans.won_amount(tenant=tenant, kind="month", start=start, user_id=rep.user.pk) == (
        Decimal("1300.00")
    )
    assert plans.won_amount(tenant=tenant, kind="month", start=start, team_id=team.pk) == (
        Decimal("1300.00")
    )
    assert plans.won_amount(tenant=tenant, kind="month", start=start) == Decimal("2000.00")
    last_year = D(start.year - 1, 1, 1)
    assert plans.won_amount(tenant=tenant, kind="year", start=last_year) == Decimal("0.00")


def test_a_team_without_its_own_quota_plans_the_sum_of_its_members(admin, sales):
    rep, other, team = sales
    TeamMember.objects.create(tenant=admin.tenant, team=team, user=other.user)
    tenant, month = admin.tenant, D(2026, 11, 1)
    quota(admin, user=rep.user, period="month", start=month, amount=Decimal("100"))
    quota(admin, user=other.user, period="month", start=month, amount=Decimal("250"))
    assert plans.plan_amount(tenant=tenant, kind="month", start=month, team_id=team.pk) == 350
    assert (
        plans.plan_amount(tenant=tenant, kind="quarter", start=D(2026, 10, 1), team_id=team.pk)
        == 350
    )
    quota(admin, team=team, period="month", start=month, amount=Decimal("300"))
    assert plans.plan_amount(tenant=tenant, kind="month", start=month, team_id=team.pk) == 300
