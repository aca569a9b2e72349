"""Plan and fact of a rep or a team for a period: the quota (plan) and the won amount
(fact), both in the organisation's currency. Shared by the command center, the plan risk,
the forecast and the dashboards, so they all count the same way.

- **Plan** of a period: the quota set for exactly that period; for a quarter or a year
  without one, the sum of the quotas of its months (a year also sums its quarters that have
  no month quotas); None when nothing is set. A team without a plan of its own for the
  period plans the sum of its current members' plans (None when none of them has one).
- **Fact** (won) of a period: the sum of `amount_base` of the live deals, in any pipeline,
  now in a won stage, whose win (`closed_at`) is in the period (organisation time zone),
  owned by the rep or by a current member of the team.
"""

import datetime
from decimal import Decimal

from django.db.models import DateField, Q, Sum
from django.db.models.functions import TruncMonth

from funia.core import periods
from funia.core.models import TeamMember
from funia.sales.models import Opportunity, Quota, StageKind


def quotas_of(
    tenant,
    *,
    start: datetime.date,
    end: datetime.date,
    user_ids=None,
    team_ids=None,
) -> dict[tuple[str, int], dict[tuple[str, datetime.date], Decimal]]:
    """The live quotas whose period starts in [start, end), in one query, keyed by
    ("user", id) or ("team", id), then by (kind, start). `user_ids` / `team_ids` narrow to
    those reps and teams (both None: everyone's; an empty list: none)."""
    qs = Quota.objects.for_tenant(tenant).filter(start__gte=start, start__lt=end)
    if user_ids is not None or team_ids is not None:
        qs = qs.filter(Q(user_id__in=list(user_ids or [])) | Q(team_id__in=list(team_ids or [])))
    table: dict = {}
    for user_id, team_id, kind, day, amount in qs.values_list(
        "user_id", "team_id", "period", "start", "amount"
    ):
        key = ("user", user_id) if user_id is not None else ("team", team_id)
        table.setdefault(key, {})[(kind, day)] = amount
    return table


def rolled_up_plan(quotas: dict, kind: str, start: datetime.date) -> Decimal | None:
    """The plan of a period from one rep's or team's quotas {(kind, start): amount}: its
    own quota, else the sum of its finer periods' plans (see the module's definition)."""
    own = quotas.get((kind, start))
    if own is not None or kind == periods.MONTH:
        return own
    finer = periods.QUARTER if kind == periods.YEAR else periods.MONTH
    parts = [
        rolled_up_plan(quotas, finer, s)
        for s in periods.periods_between(finer, start, periods.period_end(kind, start))
    ]
    known = [p for p in parts if p is not None]
    return sum(known, Decimal("0")) if known else None


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
    table = quotas_of(
        tenant,
        start=start,
        end=periods.period_end(kind, start),
        user_ids=[user_id] if user_id is not None else [],
        team_ids=[team_id] if team_id is not None else [],
    )
    if user_id is not None:
        return rolled_up_plan(table.get(("user", user_id), {}), kind, start)
    members = team_member_ids(tenant, team_id)
    table.update(
        quotas_of(
            tenant,
            start=start,
            end=periods.period_end(kind, start),
            user_ids=members,
            team_ids=[],
        )
    )
    return team_plan(table, team_id, members, kind, start)


def team_plan(quotas: dict, team_id: int, member_ids, kind: str, start) -> Decimal | None:
    """A team's plan from `quotas_of`'s table (which must hold the team's and its members'
    quotas): its own, else the sum of its members' plans."""
    own = rolled_up_plan(quotas.get(("team", team_id), {}), kind, start)
    if own is not None:
        return own
    parts = [rolled_up_plan(quotas.get(("user", u), {}), kind, start) for u in set(member_ids)]
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


def team_members_of(tenant, team_ids) -> dict[int, list[int]]:
    """The current members of each team, in one query: {team_id: [user_id, ...]}."""
    members: dict[int, list[int]] = {pk: [] for pk in team_ids}
    rows = TeamMember.objects.for_tenant(tenant).filter(team_id__in=list(team_ids))
    for team_id, user_id in rows.values_list("team_id", "user_id").order_by("user_id"):
        members[team_id].append(user_id)
    return members


def won_by_owner_month(
    tenant, *, start: datetime.date, end: datetime.date, owner_ids=None
) -> dict[tuple[int, datetime.date], Decimal]:
    """The fact per owner and calendar month (organisation time zone) of the months in
    [start, end), in one grouped query: {(owner_id, first day of the month): won amount}.
    Any period's fact of any rep or team is a sum of these (`fact_from`)."""
    begin, finish = periods.midnight(tenant, start), periods.midnight(tenant, end)
    month = TruncMonth("closed_at", output_field=DateField(), tzinfo=periods.zone_of(tenant))
    rows = (
        won_deals(tenant, start=begin, end=finish, owner_ids=owner_ids)
        .filter(owner_id__isnull=False)
        .annotate(month=month)
        .values("owner_id", "month")
        .annotate(total=Sum("amount_base"))
        .order_by()
    )
    return {(row["owner_id"], row["month"]): row["total"] or Decimal("0") for row in rows}


def fact_from(monthly: dict, owner_ids, kind: str, start: datetime.date) -> Decimal:
    """The won amount of the owners in the period, from `won_by_owner_month`'s table."""
    months = periods.periods_between(periods.MONTH, start, periods.period_end(kind, start))
    total = sum(
        (monthly.get((owner, month), Decimal("0")) for owner in set(owner_ids) for month in months),
        Decimal("0"),
    )
    return total.quantize(Decimal("0.01"))
