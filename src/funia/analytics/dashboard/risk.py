"""Deals at risk: open deals that have stayed in their current stage longer than usual.

Definitions (binding; shown on the pages and in the API documentation):

- A **stay** in a stage lasts from a deal's entry into the stage to the deal's next entry
  (into any stage), read from the append-only stage history (`sales.StageChange`).
- The **usual time** of an open stage is the 75th percentile of the stays in that stage that
  ended in the last 365 days, by the nearest-rank method: the shortest stay that at least
  75 % of those stays do not exceed. Every live deal of the organisation counts, whoever may
  see it, so a deal is at risk or not whoever looks. With fewer than 10 such stays the usual
  time is a fixed 30 days; it is never less than one day (migrated histories can hold many
  entries at the same moment, stays of zero).
- **days_in_stage** of an open deal: the time since it entered its current stage.
- A live deal in an open stage is **at risk** when days_in_stage > usual time;
  **ratio** = days_in_stage / usual time.
- Listed by amount in the organisation's currency (largest first, deals without an amount
  last), then by ratio (largest first).

Two queries: one grouped pass over the history for the usual time of every open stage, and
one over the deals (their age against their stage's usual time, in SQL).
"""

# ruff: noqa: S608  (SQL built from table names and fixed text; values are params)

import datetime
from dataclasses import dataclass

from django.core.cache import cache
from django.db import connection
from django.db.models import Case, F, FloatField, IntegerField, QuerySet, Value, When
from django.utils import timezone
from pydantic import Field

from funia.analytics import sql as q
from funia.analytics.filters import ReportFilter, deals_in_scope, report_pipeline
from funia.api.schemas import Id
from funia.core.actor import Actor
from funia.sales.models import Opportunity, Stage, StageChange, StageKind

PERCENTILE = 75
MIN_STAYS = 10
FALLBACK_DAYS = 30
MIN_USUAL_DAYS = 1.0
NORMS_CACHE_SECONDS = 600
WINDOW_DAYS = 365
DAY = 86400.0


class RiskParams(ReportFilter):
    pipeline: Id | None = Field(
        None, description="only the deals of this pipeline; default: every pipeline"
    )


@dataclass(frozen=True)
class StageNorm:
    """The usual time of one open stage and the number of stays it was computed from."""

    stage_id: int
    stays: int
    usual_days: float

    @property
    def from_history(self) -> bool:
        return self.stays >= MIN_STAYS


def stage_norms(tenant, *, now: datetime.datetime | None = None) -> dict[int, StageNorm]:
    """The usual time of every open stage of the organisation with at least one stay that
    ended in the window (one grouped query); stages missing here use FALLBACK_DAYS."""
    now = now or timezone.now()
    since = now - datetime.timedelta(days=WINDOW_DAYS)
    history = StageChange._meta.db_table
    deals = Opportunity._meta.db_table
    stages = Stage._meta.db_table
    stay = q.seconds_between("e.next_at", "e.at")
    text = f"""
        WITH active AS (
            SELECT DISTINCT c.opportunity_id AS deal FROM {history} c
            WHERE c.tenant_id = %s AND c.at >= %s AND c.at <= %s
        ),
        entries AS (
            SELECT c.to_stage_id AS stage, c.at AS at,
                   LEAD(c.at) OVER (PARTITION BY c.opportunity_id ORDER BY c.at, c.id) AS next_at
            FROM {history} c JOIN {deals} o ON o.id = c.opportunity_id
            WHERE c.tenant_id = %s AND o.tenant_id = %s AND o.deleted_at IS NULL
              AND c.opportunity_id IN (SELECT a.deal FROM active a)
        ),
        stays AS (
            SELECT e.stage AS stage, {stay} AS v
            FROM entries e JOIN {stages} s ON s.id = e.stage
            WHERE s.tenant_id = %s AND s.kind = %s AND s.deleted_at IS NULL
              AND e.next_at IS NOT NULL AND e.next_at >= %s AND e.next_at <= %s
        ),
        ranked AS (
            SELECT stage, v, ROW_NUMBER() OVER (PARTITION BY stage ORDER BY v) AS rn,
                   COUNT(*) OVER (PARTITION BY stage) AS cnt
            FROM stays
        )
        SELECT stage, MAX(cnt),
               MAX(CASE WHEN rn = ({PERCENTILE} * cnt + 99) / 100 THEN v END)
        FROM ranked GROUP BY stage
    """
    start, end = q.db_time(since), q.db_time(now)
    tenant_id = tenant.pk
    params = [tenant_id, start, end, tenant_id, tenant_id, tenant_id, StageKind.OPEN, start, end]
    with connection.cursor() as cursor:
        cursor.execute(text, params)
        rows = cursor.fetchall()
    return {
        int(stage): StageNorm(
            stage_id=int(stage),
            stays=int(count),
            usual_days=max(float(seconds or 0) / DAY, MIN_USUAL_DAYS)
            if count >= MIN_STAYS
            else float(FALLBACK_DAYS),
        )
        for stage, count, seconds in rows
    }


def risk_scope(actor: Actor, params: RiskParams) -> QuerySet:
    """The live deals in open stages the actor may see, narrowed by the filters (a pipeline
    or territory that is not the organisation's live one raises DoesNotExist)."""
    pipeline = report_pipeline(actor, params.pipeline) if params.pipeline is not None else None
    return deals_in_scope(actor, pipeline, params).filter(stage__kind=StageKind.OPEN)


def cached_stage_norms(tenant) -> dict[int, StageNorm]:
    """`stage_norms` as of at most NORMS_CACHE_SECONDS ago: the home page's card reads the
    whole year of history otherwise on every visit; a usual time moves slowly."""
    key = f"funia:stage-norms:{tenant.pk}"
    norms = cache.get(key)
    if norms is None:
        norms = stage_norms(tenant)
        cache.set(key, norms, NORMS_CACHE_SECONDS)
    return norms


def deals_at_risk(
    *,
    actor: Actor,
    params: RiskParams,
    now: datetime.datetime | None = None,
    norms: dict[int, StageNorm] | None = None,
) -> QuerySet:
    """The deals at risk in the actor's scope (see the module's definitions), annotated with
    `age_seconds`, `usual_seconds`, `usual_stays` and `ratio`, in the list's order."""
    now = now or timezone.now()
    deals = risk_scope(actor, params)
    if norms is None:
        norms = stage_norms(actor.tenant, now=now)
    usual = Case(
        *[
            When(stage_id=pk, then=Value(norm.usual_days * DAY))
            for pk, norm in norms.items()
            if norm.from_history
        ],
        default=Value(FALLBACK_DAYS * DAY),
        output_field=FloatField(),
    )
    stays = Case(
        *[When(stage_id=pk, then=Value(norm.stays)) for pk, norm in norms.items()],
        default=Value(0),
        output_field=IntegerField(),
    )
    age = Value(now.timestamp(), output_field=FloatField()) - q.EpochSeconds(F("stage_entered_at"))
    return (
        deals.annotate(usual_seconds=usual, age_seconds=age, usual_stays=stays)
        .filter(age_seconds__gt=F("usual_seconds"))
        .annotate(ratio=F("age_seconds") / F("usual_seconds"))
        .select_related("owner", "account", "stage", "pipeline")
        .order_by(F("amount_base").desc(nulls_last=True), F("ratio").desc(), "id")
    )


def describe(deal) -> dict:
    """The figures of one listed deal, rounded as the pages and the API show them."""
    return {
        "days_in_stage": round(deal.age_seconds / DAY, 2),
        "usual_days": round(deal.usual_seconds / DAY, 2),
        "usual_from_history": deal.usual_stays >= MIN_STAYS,
        "ratio": round(deal.ratio, 2),
    }
