"""Demo data of the forecast: open deals spread over the coming months with their forecast
categories (a few left overdue, a few without a close date, a few omitted), and the demo
sales managers' adjustments of their reps' numbers."""

import datetime
from decimal import ROUND_HALF_UP, Decimal

from funia.analytics.forecast.adjustments import forecast_adjustment_create
from funia.analytics.forecast.schemas import ForecastParams
from funia.analytics.forecast.services import forecast_report
from funia.core import periods
from funia.core.actor import Actor
from funia.core.models import Membership
from funia.sales import opportunities
from funia.sales.models import Opportunity, StageKind

# Categories of open deals by stage (with their odds); other stages mostly "pipeline".
CATEGORY_BY_STAGE = {
    "Negotiation": {"commit": 85, "best_case": 15},
    "Proposal": {"best_case": 65, "commit": 30, "pipeline": 5},
    "Demo": {"pipeline": 70, "best_case": 25, "omitted": 5},
    "Quote sent": {"commit": 70, "best_case": 30},
}
OTHER_STAGES = {"pipeline": 92, "best_case": 3, "omitted": 5}
# How far ahead (months) the open deals close: more soon than late.
MONTH_WEIGHTS = [5, 5, 4, 3, 2, 1]


def _actor(tenant, user) -> Actor:
    return Actor.from_membership(Membership.objects.for_tenant(tenant).get(user=user))


def _close_dates(admin: Actor, rng) -> None:
    """Spread the open deals over this month and the next five; keep some overdue."""
    first = periods.today(admin.tenant).replace(day=1)
    deals = (
        Opportunity.objects.for_tenant(admin.tenant)
        .filter(stage__kind=StageKind.OPEN)
        .select_related("stage")
        .order_by("id")
    )
    for deal in deals:
        roll = rng.random()
        fields = {}
        if roll < 0.08 and deal.stage.name not in ("Proposal", "Negotiation", "Quote sent"):
            fields["expected_close_date"] = None
        elif roll < 0.2 and deal.expected_close_date and deal.expected_close_date < first:
            pass  # left overdue: the report's "overdue" column
        else:
            months = rng.choices(range(len(MONTH_WEIGHTS)), weights=MONTH_WEIGHTS)[0]
            start = periods.add_months(first, months)
            days = (periods.add_months(start, 1) - start).days
            fields["expected_close_date"] = start + datetime.timedelta(days=rng.randrange(days))
        odds = CATEGORY_BY_STAGE.get(deal.stage.name, OTHER_STAGES)
        category = rng.choices(list(odds), weights=list(odds.values()))[0]
        if category != deal.forecast_category:
            fields["forecast_category"] = category
        if fields:
            opportunities.opportunity_update(by=admin, opportunity=deal, fields=fields)


def _rounded(value: Decimal) -> Decimal:
    return (value / 1000).quantize(Decimal(1), rounding=ROUND_HALF_UP) * 1000


def _adjust(manager: Actor, rep, *, period: str, start, category: str, factor, note: str):
    """The manager's call on the rep's number: the computed amount times `factor`, in the
    first period (from `start`, of the next three) where the rep has deals of the category."""
    params = ForecastParams(**{"from": start.strftime("%Y-%m")}, months=3, owner=rep.pk)
    report = forecast_report(actor=manager, params=params)
    rows = report["quarters"] if period == periods.QUARTER else report["forecast"]["rows"]
    for row in rows:
        computed = row["categories"][category]["computed"]
        if row["kind"] == period and computed > 0:
            forecast_adjustment_create(
                by=manager,
                user_id=rep.pk,
                period=period,
                start=row["start"],
                category=category,
                amount=max(_rounded(computed * Decimal(str(factor))), Decimal(1000)),
                note=note,
            )
            return


def build_forecast(admin: Actor, *, users: dict, rng) -> None:
    """Close dates and categories of the demo's open deals, then a few adjustments by the
    two sales managers (`users`: the demo's users by their email's local part)."""
    _close_dates(admin, rng)
    tenant = admin.tenant
    this_month = periods.today(tenant).replace(day=1)
    next_month = periods.add_months(this_month, 1)
    quarter = periods.period_start(periods.QUARTER, this_month)
    sofia = _actor(tenant, users["manager.sofia"])
    plovdiv = _actor(tenant, users["manager.plovdiv"])
    _adjust(
        sofia,
        users["rep.ivan"],
        period=periods.MONTH,
        start=this_month,
        category="commit",
        factor=1.2,
        note="The CFO confirmed the budget for both renewals.",
    )
    _adjust(
        sofia,
        users["rep.anna"],
        period=periods.MONTH,
        start=next_month,
        category="best_case",
        factor=0.6,
        note="Two proposals wait on a tender; half of it at best.",
    )
    _adjust(
        plovdiv,
        users["rep.nikolay"],
        period=periods.QUARTER,
        start=quarter,
        category="commit",
        factor=1.1,
        note="Quarter-end push agreed in the pipeline review.",
    )
    _adjust(
        plovdiv,
        users["rep.desislava"],
        period=periods.MONTH,
        start=next_month,
        category="pipeline",
        factor=0.5,
        note="Early-stage deals from the trade show are not qualified yet.",
    )
