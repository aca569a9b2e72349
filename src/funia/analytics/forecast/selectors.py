"""Reads the forecast shares with its pages and API: the deals and reps in scope, the
periods (buckets) and what falls in each, the adjustments, and the drill-down.

The report (`services.forecast_report`) and the drill-down (`forecast_drilldown`) build on
the same scope and the same bucket conditions, so a drill-down lists exactly the deals
behind the number it was opened from.
"""

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Case, CharField, F, Q, QuerySet, Value, When
from django.utils.translation import gettext as _

from funia.analytics.forecast.schemas import ForecastAdjustmentFilter, ForecastParams
from funia.analytics.models import ForecastAdjustment
from funia.core import periods
from funia.core.actor import Actor
from funia.core.models import Membership, Role, Team, TeamMember
from funia.core.visibility import SEES_ALL, restrict, visible_owner_q, visible_records
from funia.sales.models import ForecastCategory, Opportunity, Pipeline, StageKind

OPEN_CATEGORIES = (ForecastCategory.COMMIT, ForecastCategory.BEST_CASE, ForecastCategory.PIPELINE)
NO_GROUP = "__none__"

# The category an open deal counts in: its own, except that an open deal marked "closed"
# (it is not won until it is) counts as commit. Omitted deals are left out.
REPORT_CATEGORY = Case(
    When(forecast_category=ForecastCategory.CLOSED, then=Value(ForecastCategory.COMMIT.value)),
    default=F("forecast_category"),
    output_field=CharField(),
)


@dataclass(frozen=True)
class Bucket:
    """A column of the report: overdue, a month, a quarter, or no close date. Open deals
    fall in it by their expected close date in [start, end); won deals by their win."""

    key: str
    kind: str  # overdue | month | quarter | none
    start: datetime.date | None = None
    end: datetime.date | None = None

    @property
    def period(self) -> str | None:
        return self.kind if self.kind in (periods.MONTH, periods.QUARTER) else None


def month_bucket(start: datetime.date) -> Bucket:
    return Bucket(
        periods.period_label(periods.MONTH, start),
        periods.MONTH,
        start,
        periods.period_end(periods.MONTH, start),
    )


def quarter_bucket(start: datetime.date) -> Bucket:
    start = periods.period_start(periods.QUARTER, start)
    return Bucket(
        periods.period_label(periods.QUARTER, start),
        periods.QUARTER,
        start,
        periods.period_end(periods.QUARTER, start),
    )


def first_month(tenant, params: ForecastParams) -> datetime.date:
    if params.from_:
        return periods.parse_period(params.from_, "from")[1]
    return periods.today(tenant).replace(day=1)


def forecast_buckets(first: datetime.date, months: int) -> list[Bucket]:
    """Overdue, each close month, no close date."""
    return [
        Bucket("overdue", "overdue", None, first),
        *(month_bucket(periods.add_months(first, n)) for n in range(months)),
        Bucket("none", "none"),
    ]


def quarter_buckets(first: datetime.date, months: int) -> list[Bucket]:
    """The whole quarters that the report's months touch."""
    end = periods.add_months(first, months)
    return [quarter_bucket(s) for s in periods.periods_between(periods.QUARTER, first, end)]


def past_buckets(first: datetime.date, months: int) -> list[Bucket]:
    """The `months` months before `first`, oldest first."""
    return [month_bucket(periods.add_months(first, -n)) for n in range(months, 0, -1)]


def parse_bucket(text: str) -> Bucket:
    """ "overdue", "none", "2026-11" or "2026-Q4" (the overdue bucket needs the report's
    first month: see `drill_bucket`)."""
    if text in ("overdue", "none"):
        return Bucket(text, text)
    kind, start = periods.parse_period(text, "month")
    if kind == periods.MONTH:
        return month_bucket(start)
    if kind == periods.QUARTER:
        return quarter_bucket(start)
    raise ValidationError({"month": _("Give a month as YYYY-MM, a quarter as YYYY-Qn.")})


def open_condition(bucket: Bucket) -> Q:
    """Open deals whose expected close date puts them in the bucket."""
    if bucket.kind == "none":
        return Q(expected_close_date__isnull=True)
    if bucket.kind == "overdue":
        return Q(expected_close_date__lt=bucket.end)
    return Q(expected_close_date__gte=bucket.start, expected_close_date__lt=bucket.end)


def won_condition(tenant, bucket: Bucket) -> Q | None:
    """Won deals whose win (organisation time zone) is in the bucket's period; None for the
    overdue and no-close-date buckets, which hold no wins. The same definition as
    `sales.plans.won_deals`."""
    if bucket.period is None:
        return None
    begin, end = periods.moments(tenant, bucket.period, bucket.start)
    return Q(closed_at__gte=begin, closed_at__lt=end)


# -- scope -------------------------------------------------------------------------------------


def forecast_deals(actor: Actor, params: ForecastParams) -> QuerySet:
    """Live deals the actor may see, of the pipeline (all by default), owner and team.
    A pipeline that is not the organisation's live one is 404 (DoesNotExist)."""
    qs = visible_records(Opportunity, actor)
    if params.pipeline is not None:
        pipeline = Pipeline.objects.for_tenant(actor.tenant).get(pk=params.pipeline)
        qs = qs.filter(pipeline=pipeline)
    if params.owner is not None:
        qs = qs.filter(owner_id=params.owner)
    if params.team is not None:
        qs = qs.filter(owner_id__in=_team_members(actor.tenant, params.team))
    return qs


def open_deals(scope: QuerySet) -> QuerySet:
    """The open deals of the forecast: in an open stage, category commit, best case or
    pipeline (omitted ones are left out)."""
    return (
        scope.filter(stage__kind=StageKind.OPEN)
        .annotate(report_category=REPORT_CATEGORY)
        .filter(report_category__in=[c.value for c in OPEN_CATEGORIES])
    )


def won_deals(scope: QuerySet) -> QuerySet:
    return scope.filter(stage__kind=StageKind.WON)


def _team_members(tenant, team_id: int):
    return (
        TeamMember.objects.for_tenant(tenant)
        .filter(team_id=team_id, team__deleted_at__isnull=True)
        .values("user_id")
    )


def teams_of(tenant, user_ids) -> dict[int, list[int]]:
    """user id -> ids of the live teams the user is a member of."""
    result: dict[int, list[int]] = {}
    rows = (
        TeamMember.objects.for_tenant(tenant)
        .filter(user_id__in=[u for u in user_ids if u is not None], team__deleted_at__isnull=True)
        .values_list("user_id", "team_id")
        .order_by("team_id")
    )
    for user_id, team_id in rows:
        result.setdefault(user_id, []).append(team_id)
    return result


def reps_in_scope(actor: Actor, params: ForecastParams) -> list[int]:
    """Members whose forecast the actor may read, narrowed by the owner and team filters:
    everyone for admins and analysts, a manager and the members of the teams they manage,
    a rep themselves (and their teams' members when the organisation shows them)."""
    qs = Membership.objects.for_tenant(actor.tenant)
    q = visible_owner_q(actor, "user")
    if q is not None:
        qs = qs.filter(q)
    if params.owner is not None:
        qs = qs.filter(user_id=params.owner)
    if params.team is not None:
        qs = qs.filter(user_id__in=_team_members(actor.tenant, params.team))
    return list(qs.order_by("user_id").values_list("user_id", flat=True))


def plan_teams(actor: Actor) -> list[int]:
    """Teams whose plans make up the overall plan when no rep has one: every live team for
    those who see everything, the teams a manager manages; none for a rep."""
    teams = Team.objects.for_tenant(actor.tenant)
    if actor.role in SEES_ALL:
        return list(teams.values_list("pk", flat=True))
    if actor.role == Role.SALES_MANAGER:
        return list(teams.filter(manager=actor.user).values_list("pk", flat=True))
    return []


def group_condition(actor: Actor, group_by: str | None, group: str | None) -> Q:
    """Deals of one group of the report ("__none__": no owner / owner in no team)."""
    if group is None:
        return Q()
    if group_by is None:
        raise ValidationError({"group": _("A group needs group_by (owner or team).")})
    if group != NO_GROUP and not (group.isascii() and group.isdecimal() and len(group) < 19):
        raise ValidationError({"group": _("Give a group's key from the report.")})
    if group_by == "owner":
        return Q(owner__isnull=True) if group == NO_GROUP else Q(owner_id=int(group))
    teamed = (
        TeamMember.objects.for_tenant(actor.tenant)
        .filter(team__deleted_at__isnull=True)
        .values("user_id")
    )
    if group == NO_GROUP:
        return Q(owner__isnull=True) | ~Q(owner_id__in=teamed)
    return Q(owner_id__in=_team_members(actor.tenant, int(group)))


# -- drill-down --------------------------------------------------------------------------------


def forecast_drilldown(
    *,
    actor: Actor,
    params: ForecastParams,
    month: str | None = None,
    category: str | None = None,
    group: str | None = None,
) -> QuerySet:
    """The deals behind one number of the forecast: open deals of a category (or of the
    three: `open`, the weighted pipeline) in a bucket, or the won deals of a period, of one
    group. Without `month`: the report's whole window (its total column)."""
    scope = forecast_deals(actor, params).filter(group_condition(actor, params.group_by, group))
    first = first_month(actor.tenant, params)
    if month is None:
        buckets = forecast_buckets(first, params.months)
    elif month == "past":
        buckets = past_buckets(first, params.months_back)
    else:
        bucket = parse_bucket(month)
        if bucket.kind == "overdue":
            bucket = Bucket("overdue", "overdue", None, first)
        buckets = [bucket]
    open_q = Q(pk__in=[])
    won_q = Q(pk__in=[])
    for bucket in buckets:
        open_q |= open_condition(bucket)
        won = won_condition(actor.tenant, bucket)
        if won is not None:
            won_q |= won
    if category in OPEN_CATEGORIES or category == "open":
        return _listed(actor, Q(pk__in=_open_in(scope, open_q, category).values("pk")))
    if category == "won":
        return _listed(actor, Q(pk__in=won_deals(scope).filter(won_q).values("pk")))
    return _listed(
        actor,
        Q(pk__in=_open_in(scope, open_q, category).values("pk"))
        | Q(pk__in=won_deals(scope).filter(won_q).values("pk")),
    )


# The open categories each roll-up adds to the won deals.
ROLL_UPS = {
    "commit_forecast": (ForecastCategory.COMMIT,),
    "best_case_forecast": (ForecastCategory.COMMIT, ForecastCategory.BEST_CASE),
}


def _open_in(scope: QuerySet, open_q: Q, category: str | None) -> QuerySet:
    deals = open_deals(scope).filter(open_q)
    if category in OPEN_CATEGORIES:
        return deals.filter(report_category=category)
    if category in ROLL_UPS:
        return deals.filter(report_category__in=[c.value for c in ROLL_UPS[category]])
    return deals


def _listed(actor: Actor, condition: Q) -> QuerySet:
    return (
        Opportunity.objects.for_tenant(actor.tenant)
        .filter(condition)
        .select_related("owner", "account", "stage")
        .order_by(F("expected_close_date").asc(nulls_last=True), "id")
    )


# -- adjustments -------------------------------------------------------------------------------


def _adjustments(actor: Actor, *, with_deleted: bool = False) -> QuerySet:
    """The adjustments of the reps the actor may see (the visibility of their deals)."""
    qs = ForecastAdjustment.objects.for_tenant(actor.tenant, with_deleted=with_deleted)
    return restrict(qs, actor, owner_field="user").select_related("user", "adjusted_by")


def forecast_adjustment_list(
    *, actor: Actor, filters: ForecastAdjustmentFilter | None = None
) -> QuerySet:
    filters = filters or ForecastAdjustmentFilter()
    qs = filters.filter(_adjustments(actor, with_deleted=True))
    return qs.order_by("-start", "user__last_name", "user__email", "category", "id")


def forecast_adjustment_get(
    *, actor: Actor, pk: int, with_deleted: bool = False
) -> ForecastAdjustment:
    return _adjustments(actor, with_deleted=with_deleted).get(pk=pk)


def adjustments_for(
    tenant, *, user_ids, months: list[datetime.date], quarters: list[datetime.date]
) -> dict[tuple, ForecastAdjustment]:
    """(user id, period, start, category) -> the live adjustment, for the given reps and
    periods."""
    qs = (
        ForecastAdjustment.objects.for_tenant(tenant)
        .filter(user_id__in=list(user_ids))
        .filter(
            Q(period=periods.MONTH, start__in=months)
            | Q(period=periods.QUARTER, start__in=quarters)
        )
        .select_related("user", "adjusted_by")
    )
    return {(a.user_id, a.period, a.start, a.category): a for a in qs}
