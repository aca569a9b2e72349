"""Demo quotas: every sales rep gets a monthly quota for the last twelve months, this month
and the next three, and each team with reps a quarterly quota, set from what the demo's
deals really brought, so the command center shows met and missed months and the plan risk
shows some reps at risk this quarter and others on track."""

from decimal import Decimal

from funia.core import periods
from funia.core.actor import Actor
from funia.core.models import Membership, Role, Team
from funia.sales import plans
from funia.sales.quotas import services

PAST_MONTHS, NEXT_MONTHS = 12, 3
# Quota / what the rep is expected to bring: below 1 on track, above 1 at risk.
AMBITION = (Decimal("0.8"), Decimal("1.35"), Decimal("0.9"), Decimal("1.6"))
FLOOR = Decimal("5000")


def _round(amount: Decimal, step: int = 100) -> Decimal:
    return max(Decimal(step), (amount / step).quantize(Decimal(1)) * step)


def build_quotas(admin: Actor, *, users: dict, rng) -> None:
    """Create the demo's quotas through the services (as the administrator)."""
    from funia.analytics.plan_risk.services import Subject, plan_risk_many

    tenant = admin.tenant
    today = periods.today(tenant)
    this_month = periods.period_start(periods.MONTH, today)
    first = periods.add_months(this_month, -PAST_MONTHS)
    months = [periods.add_months(first, k) for k in range(PAST_MONTHS + 1 + NEXT_MONTHS)]
    known = {user.pk for user in users.values()}
    reps = [
        m.user
        for m in Membership.objects.for_tenant(tenant)
        .filter(role=Role.SALES_REP, is_active=True)
        .select_related("user")
        .order_by("user__email")
        if not known or m.user_id in known
    ]
    if not reps:
        return
    history = plans.won_by_owner_month(
        tenant, start=first, end=this_month, owner_ids=[r.pk for r in reps]
    )
    quarter = periods.period_start(periods.QUARTER, today)
    quarter_months = periods.periods_between(
        periods.MONTH, quarter, periods.period_end(periods.QUARTER, quarter)
    )
    forecasts = plan_risk_many(
        actor=admin,
        kind=periods.QUARTER,
        start=quarter,
        subjects=[Subject("user", r.pk, str(r), (r.pk,)) for r in reps],
    )
    monthly_of: dict[int, dict] = {}
    for index, rep in enumerate(reps):
        ambition = AMBITION[index % len(AMBITION)]
        average = (
            sum(
                (history.get((rep.pk, m), Decimal("0")) for m in months[:PAST_MONTHS]), Decimal("0")
            )
            / PAST_MONTHS
        )
        usual = max(average, FLOOR)
        # This quarter's months share the quarter's forecast, times the rep's ambition.
        forecast = forecasts[("user", rep.pk)]["forecast"]
        quarter_share = forecast * ambition / len(quarter_months) if forecast else None
        for month in months:
            if month in quarter_months and quarter_share:
                amount = quarter_share
            else:
                noise = Decimal(str(round(rng.uniform(0.85, 1.2), 2)))
                amount = usual * ambition * noise
            amount = _round(amount)
            monthly_of.setdefault(rep.pk, {})[month] = amount
            services.quota_create(
                by=admin,
                user_id=rep.pk,
                period=periods.MONTH,
                start=month,
                amount=amount,
                note="Demo plan" if month < this_month else "",
            )
    _team_quotas(admin, months, monthly_of)


def _team_quotas(admin: Actor, months: list, monthly_of: dict) -> None:
    """Each team's quarter: its reps' months, rounded up to a thousand, plus a margin."""
    tenant = admin.tenant
    teams = list(Team.objects.for_tenant(tenant).order_by("name", "id"))
    members = plans.team_members_of(tenant, [t.pk for t in teams])
    quarters = sorted({periods.period_start(periods.QUARTER, m) for m in months})
    for team in teams:
        reps = [uid for uid in members[team.pk] if uid in monthly_of]
        if not reps:
            continue
        for quarter in quarters:
            inside = periods.periods_between(
                periods.MONTH, quarter, periods.period_end(periods.QUARTER, quarter)
            )
            total = sum(
                (monthly_of[uid].get(m, Decimal("0")) for uid in reps for m in inside),
                Decimal("0"),
            )
            if total:
                services.quota_create(
                    by=admin,
                    team_id=team.pk,
                    period=periods.QUARTER,
                    start=quarter,
                    amount=_round(total * Decimal("1.05"), 1000),
                    note="Team target",
                )
