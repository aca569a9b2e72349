"""The demo's quotas: monthly for every rep over sixteen months, quarterly for the teams
with reps, some reps at risk this quarter and some on track."""

import datetime
import random
from decimal import Decimal

from django.utils import timezone

from funia.analytics.plan_risk.services import plan_risk
from funia.core import periods
from funia.sales.models import Quota
from funia.sales.quotas.demo import build_quotas
from tests import factories


def test_the_demo_plans_every_rep_and_team_with_reps_at_risk_and_on_track(admin):
    tenant = admin.tenant
    reps = [factories.member(tenant, "sales_rep", email=f"rep{i}@acme.example") for i in range(4)]
    manager = factories.member(tenant, "sales_manager", email="boss@acme.example")
    factories.team(admin, "Sofia sales", manager=manager, members=[manager, *reps[:2]])
    factories.team(admin, "Plovdiv sales", members=reps[2:])
    factories.team(admin, "Service desk")
    pipeline = factories.pipeline(admin)
    now = timezone.now()
    for index, rep in enumerate(reps):  # a year of wins, and a deal about to close
        for months_ago in range(1, 12):
            won_at = now - datetime.timedelta(days=30 * months_ago)
            factories.opportunity(
                admin,
                pipeline_id=pipeline.pk,
                owner_id=rep.user.pk,
                amount=Decimal(4000 + 1000 * index),
                stage_history=[
                    {"stage": "Proposal", "at": won_at - datetime.timedelta(days=20)},
                    {"stage": "Won", "at": won_at},
                ],
            )
        factories.opportunity(
            admin,
            pipeline_id=pipeline.pk,
            owner_id=rep.user.pk,
            amount=Decimal(9000),
            expected_close_date=periods.today(tenant),
            stage_history=[{"stage": "Negotiation", "at": now - datetime.timedelta(days=1)}],
        )
    users = {f"rep{i}": r.user for i, r in enumerate(reps)} | {"admin": admin.user}

    build_quotas(admin, users=users, rng=random.Random(1))

    quotas = Quota.objects.for_tenant(tenant)
    for rep in reps:
        assert quotas.filter(user_id=rep.user.pk, period="month").count() == 16
    assert not quotas.filter(user_id=manager.user.pk).exists()
    assert quotas.filter(team__name="Sofia sales", period="quarter").count() >= 5
    assert not quotas.filter(team__name="Service desk").exists()
    quarter = periods.period_start("quarter", periods.today(tenant))
    flags = [
        plan_risk(actor=admin, kind="quarter", start=quarter, user_id=rep.user.pk)["at_risk"]
        for rep in reps
    ]
    assert flags == [False, True, False, True]
