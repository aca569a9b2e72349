"""The demo's forecast: open deals spread over the coming months with categories, and the
demo managers' adjustments of their own reps."""

import datetime
import random
from decimal import Decimal

from funia.analytics.forecast.demo import build_forecast
from funia.analytics.forecast.schemas import ForecastParams
from funia.analytics.forecast.services import forecast_report
from funia.analytics.models import ForecastAdjustment
from funia.core import periods
from funia.sales.models import Opportunity
from tests import factories

STAGES = ("Qualification", "Proposal", "Negotiation")
REPS = {
    "manager.sofia": ["rep.ivan", "rep.anna"],
    "manager.plovdiv": ["rep.nikolay", "rep.desislava"],
}


def test_the_demo_spreads_the_open_deals_and_the_managers_adjust_their_reps(admin):
    tenant = admin.tenant
    users = {"admin": admin.user}
    for manager, reps in REPS.items():
        boss = factories.member(tenant, "sales_manager", email=f"{manager}@acme.example")
        members = [factories.member(tenant, "sales_rep", email=f"{r}@acme.example") for r in reps]
        factories.team(admin, manager, manager=boss, members=[boss, *members])
        users[manager] = boss.user
        users |= {r: m.user for r, m in zip(reps, members, strict=True)}
    pipeline = factories.pipeline(admin)
    long_ago = datetime.date(2024, 1, 10)
    for index in range(48):
        rep = users[[r for reps in REPS.values() for r in reps][index % 4]]
        factories.opportunity(
            admin,
            name=f"Deal {index}",
            pipeline_id=pipeline.pk,
            owner_id=rep.pk,
            amount=Decimal(1000 + index * 100),
            expected_close_date=long_ago,
            stage_id=factories.stage(pipeline, STAGES[index // 4 % 3]).pk,
        )

    build_forecast(admin, users=users, rng=random.Random(3))

    first = periods.today(tenant).replace(day=1)
    deals = Opportunity.objects.for_tenant(tenant)
    months = {d.expected_close_date.replace(day=1) for d in deals if d.expected_close_date}
    assert len(months - {long_ago.replace(day=1)}) >= 4
    assert all(m >= first for m in months - {long_ago.replace(day=1)})
    assert {d.forecast_category for d in deals} >= {"commit", "best_case"}
    adjustments = ForecastAdjustment.objects.for_tenant(tenant).select_related("user")
    assert adjustments.count() == 4
    for adjustment in adjustments:
        manager = next(m for m, reps in REPS.items() if adjustment.user.email.split("@")[0] in reps)
        assert adjustment.adjusted_by == users[manager]
        assert adjustment.note
    report = forecast_report(actor=admin, params=ForecastParams(months=6))
    total = report["forecast"]["total"]
    assert total["categories"]["commit"]["adjusted"] or any(
        q["categories"]["commit"]["adjusted"] for q in report["quarters"]
    )
