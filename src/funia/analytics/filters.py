"""Parameters of the pipeline reports, shared by the API and the pages.

`ReportFilter` chooses the pipeline and narrows the deals (owner, team, source,
territory: the deals of the accounts of a territory). `HistoryParams` adds the period,
the counting mode and the grouping of the historical funnel. `deals_in_scope()` turns them
into the one queryset every report starts from: live deals of the pipeline the actor may
see (`visible_records`), so no report can count a deal its reader may not open.
"""

import datetime
import zoneinfo
from typing import Literal

from django.core.exceptions import ValidationError
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import Field, model_validator

from funia.api.schemas import Id, RejectNul
from funia.core.actor import Actor
from funia.core.visibility import visible_records
from funia.sales.models import Opportunity, Pipeline, Stage, StageKind
from funia.sales.selectors import default_pipeline
from funia.sales.territories.selectors import territory_scope_q

Mode = Literal["any", "strict"]
GroupBy = Literal["owner", "team", "source", "month"]
# A month grouping of more months than this is refused (one funnel per month).
MAX_MONTHS = 60
DEFAULT_CYCLE_DAYS = 365


class ReportFilter(RejectNul, Schema):
    pipeline: Id | None = Field(None, description="pipeline id; default: the default pipeline")
    owner: Id | None = Field(None, description="deals owned by this user")
    team: Id | None = Field(None, description="deals owned by members of this team")
    source: str | None = Field(
        None, max_length=100, description="acquisition channel (case-insensitive)"
    )
    territory: Id | None = Field(
        None, description="deals of the accounts of this territory (see /territories)"
    )


class SnapshotParams(ReportFilter):
    cycle_days: int = Field(
        DEFAULT_CYCLE_DAYS,
        ge=1,
        le=3660,
        description="look-back window of the sales cycle, in days (default 365)",
    )


class HistoryParams(ReportFilter):
    from_: datetime.date | None = Field(
        None,
        alias="from",
        description="first day of the period (organisation time zone); default: the first "
        "day of the month eleven months ago",
    )
    to: datetime.date | None = Field(
        None,
        description="day after the period (exclusive); default: the first day of next month",
    )
    mode: Mode = Field("any", description="any (default) or strict; see the definitions")
    group_by: GroupBy | None = Field(None, description="owner, team, source or month")

    model_config = {"populate_by_name": True}

    @model_validator(mode="after")
    def _ordered(self):
        if self.from_ is not None and self.to is not None and self.from_ >= self.to:
            raise ValueError("`from` must be before `to`.")
        return self


def tenant_zone(tenant) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(tenant.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def add_months(day: datetime.date, months: int) -> datetime.date:
    index = day.year * 12 + day.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def default_period(tenant, today: datetime.date | None = None):
    """The last twelve calendar months, the current one included."""
    today = today or timezone.now().astimezone(tenant_zone(tenant)).date()
    this_month = today.replace(day=1)
    return add_months(this_month, -11), add_months(this_month, 1)


def period_of(tenant, params: HistoryParams) -> tuple[datetime.datetime, datetime.datetime]:
    """[from, to) as aware datetimes at midnight in the organisation's time zone."""
    default_start, default_end = default_period(tenant)
    end = params.to or default_end
    if params.to is None and params.from_ is not None and params.from_ >= default_end:
        end = add_months(params.from_, 12)
    start = params.from_ or (default_start if params.to is None else add_months(end, -12))
    if start >= end:
        raise ValidationError({"from": _("The period must start before it ends.")})
    zone = tenant_zone(tenant)

    def midnight(day):
        return datetime.datetime.combine(day, datetime.time(), tzinfo=zone)

    return midnight(start), midnight(end)


def month_starts(tenant, start: datetime.datetime, end: datetime.datetime) -> list:
    """The month boundaries of [start, end) in the organisation's time zone: the first is
    `start`, the last `end` (a partial month at either end is its own bucket)."""
    zone = tenant_zone(tenant)
    bounds = [start]
    day = add_months(start.astimezone(zone).date().replace(day=1), 1)
    while True:
        moment = datetime.datetime.combine(day, datetime.time(), tzinfo=zone)
        if moment >= end:
            break
        bounds.append(moment)
        day = add_months(day, 1)
        if len(bounds) > MAX_MONTHS:
            raise ValidationError(
                {"group_by": _("Group by month covers at most %(n)d months.") % {"n": MAX_MONTHS}}
            )
    bounds.append(end)
    return bounds


def report_pipeline(actor: Actor, pipeline_id: int | None) -> Pipeline:
    """The pipeline of a report: the one named (404 when it is not the organisation's live
    pipeline), else the default one (404 when there is none)."""
    if pipeline_id is None:
        pipeline = default_pipeline(tenant=actor.tenant)
        if pipeline is None:
            raise Pipeline.DoesNotExist
        return pipeline
    return Pipeline.objects.for_tenant(actor.tenant).get(pk=pipeline_id)


def pipeline_stages(actor: Actor, pipeline: Pipeline) -> list[Stage]:
    """Open stages in order, then won, then lost stages."""
    order = {StageKind.OPEN: 0, StageKind.WON: 1, StageKind.LOST: 2}
    stages = Stage.objects.for_tenant(actor.tenant).filter(pipeline=pipeline)
    return sorted(stages, key=lambda s: (order.get(s.kind, 3), s.position, s.pk))


def report_stage(actor: Actor, pipeline: Pipeline, stage_id: int) -> Stage:
    """A stage of the report's pipeline; any other id is 404."""
    return Stage.objects.for_tenant(actor.tenant).get(pipeline=pipeline, pk=stage_id)


def deals_in_scope(actor: Actor, pipeline: Pipeline | None, params: ReportFilter) -> QuerySet:
    """Live deals now in the pipeline (every pipeline when None), visible to the actor,
    narrowed by the filters."""
    qs = visible_records(Opportunity, actor)
    if pipeline is not None:
        qs = qs.filter(pipeline=pipeline)
    if params.owner is not None:
        qs = qs.filter(owner_id=params.owner)
    if params.team is not None:
        # The owner is a member of the team (the team must be the organisation's own).
        qs = qs.filter(
            owner__teams__id=params.team,
            owner__teams__tenant_id=F("tenant_id"),
            owner__teams__deleted_at__isnull=True,
        )
    if params.source:
        qs = qs.filter(source__iexact=params.source)
    if params.territory is not None:
        # A territory of another organisation or in the trash is 404, like a pipeline.
        qs = qs.filter(territory_scope_q(actor, params.territory, prefix="account__"))
    return qs
