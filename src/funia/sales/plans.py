"""Plan and fact of a rep or a team for a period: the quota (plan) and the won amount
(fact), both in the organisation's currency. Shared by the command center, the plan risk,
the forecast and the dashboards, so they all count the same way.

- **Plan** of a period: the quota set for exactly that period; for a quarter or a year
  without one, the sum of the quotas of its months (a year also sums its quarters that have
  no month quotas); None when nothing is set.
- **Fact** (won) of a period: the sum of `amount_base` of the live deals, in any pipeline,
  now in a won stage, whose win (`closed_at`) is in the period (organisation time zone),
  owned by the rep or by a current member of the team.
"""

import datetime
from decimal import Decimal

from django.db.models import Sum

from funia.core import periods
from funia.core.models import TeamMember
from funia.sales.models import Opportunity, Quota, StageKind


def _quota(tenant, *, user_id, team_id, kind, start) -> Decimal | None:
    qs = Quota.objects.for_tenant(tenant).filter(period=kind, start=start)
    qs = qs.filter(user_id=user_id) if user_id is not None else qs.filter(team_id=team_id)
    row = qs.values_list("amount", flat=True).first()
    return row


def plan_amount(
    *,
    tenant,
    kind: str,
    start: datetime.date,
    user_id: int | None = None,
    team_id: int | None = None,
) -> Decimal | None:
    """The plan of one rep (`user_id`) or one team (`team_id`) for the period."""
    if (user_id is None) == (team_id is None):
        raise ValueError("give exactly one of user_id and team_id")
    own = _quota(tenant, user_id=user_id, team_id=team_id, kind=kind, start=start)
    if own is not None or kind == periods.MONTH:
        return own
    finer = periods.QUARTER if kind == periods.YEAR else periods.MONTH
    parts = [
        plan_amount(tenant=tenant, kind=finer, start=s, user_id=user_id, team_id=team_id)
        for s in periods.periods_between(finer, start, periods.period_end(kind, start))
    ]
    known = [p for p in parts if p is not None]
    return sum(known, Decimal("0")) if known else None


def team_member_ids(tenant, team_id: int) -> list[int]:
    return list(
        TeamMember.objects.for_tenant(tenant)
        .filter(team_id=team_id)
        .values_list("user_id", flat=True)
    )


def won_deals(tenant, *, start: datetime.datetime, end: datetime.datetime, owner_ids=None):
    """Live deals now won whose win is in [start, end), of the given owners (all when None)."""
    qs = Opportunity.objects.for_tenant(tenant).filter(
        stage__kind=StageKind.WON, closed_at__gte=start, closed_at__lt=end
    )
    if owner_ids is not None:
        qs = qs.filter(owner_id__in=list(owner_ids))
    return qs


def won_amount(
    *,
    tenant,
    kind: str,
    start: datetime.date,
    user_id: int | None = None,
    team_id: int | None = None,
) -> Decimal:
    """The fact of one rep or one team (or the whole organisation when neither is given)."""
    begin, end = periods.moments(tenant, kind, start)
    owners = None
    if user_id is not None:
        owners = [user_id]
    elif team_id is not None:
        owners = team_member_ids(tenant, team_id)
    total = won_deals(tenant, start=begin, end=end, owner_ids=owners).aggregate(
        s=Sum("amount_base")
    )["s"]
    return (total or Decimal("0")).quantize(Decimal("0.01"))
