"""Drill-downs: the deals that make up exactly one number of a report.

Each drill-down reuses the report's own query (the same scope, the same definitions) and
keeps the deals of one stage, metric and group, so the list's count always equals the
number it was opened from.
"""

# ruff: noqa: S608, S611  (SQL built from ids, table names and fixed text; values are params)

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext as _

from funia.analytics import funnel_history
from funia.analytics.filters import (
    HistoryParams,
    SnapshotParams,
    deals_in_scope,
    pipeline_stages,
    report_pipeline,
    report_stage,
)
from funia.analytics.funnel_snapshot import won_in_window
from funia.core.actor import Actor
from funia.core.tenancy import TenantQuerySet
from funia.sales.models import Opportunity, StageKind

METRIC_CONDITION = {
    "entered": "1 = 1",
    "advanced": "f.advanced = 1",
    "lost": "f.lost = 1",
    "open": "f.advanced = 0 AND f.lost = 0",
    # Entered and did not advance (lost + open): what a conversion below 100 % leaves.
    "not_advanced": "f.advanced = 0",
}
SNAPSHOT_METRICS = ("count", "won")
# The snapshot drill-down's `stage` for the totals row: every open stage.
ALL_STAGES = "all"


class _CountedDeals(TenantQuerySet):
    """The drill-down's deals, counted from the report's own rows (no read of the deals:
    the rows are one per live deal in scope). A further filter, a slice or any other
    clone counts the usual way."""

    count_sql: tuple[str, list] | None = None

    def count(self):
        if self.count_sql is None or self._result_cache is not None:
            return super().count()
        with connection.cursor() as cursor:
            cursor.execute(*self.count_sql)
            return cursor.fetchone()[0]

    def _clone(self):
        clone = super()._clone()
        clone.count_sql = None
        return clone

    def all(self):
        # The same rows (paginators count `queryset.all()`): keep the count.
        clone = super().all()
        clone.count_sql = self.count_sql
        return clone


def _listed(actor: Actor, ids_sql: str, params: list, *, counted: bool = False) -> QuerySet:
    deals = (
        Opportunity.objects.for_tenant(actor.tenant)
        .filter(pk__in=RawSQL(ids_sql, params))
        .select_related("owner", "account", "stage")
        .order_by("-stage_entered_at", "-id")
    )
    if counted:
        deals = deals._chain()
        deals.__class__ = _CountedDeals
        deals.count_sql = (f"SELECT COUNT(DISTINCT d.deal) FROM ({ids_sql}) AS d", params)
    return deals


def history_drilldown(
    *,
    actor: Actor,
    params: HistoryParams,
    stage_id: int,
    metric: str,
    group: str | None = None,
    raw: bool = False,
) -> QuerySet:
    """The deals counted in `metric` of the stage (and group) of the historical funnel
    (`raw`: computed from the raw history)."""
    fq = funnel_history.prepare(actor, params, raw=raw)
    stage = report_stage(actor, fq.pipeline, stage_id)
    if metric not in METRIC_CONDITION:
        raise ValidationError(
            {"metric": _("Choose entered, advanced, not_advanced, lost or open.")}
        )
    if stage.kind != StageKind.OPEN and metric != "entered":
        raise ValidationError({"metric": _("A won or lost stage has only its entered deals.")})
    group_value = funnel_history.parse_group(fq, group)
    facts, facts_params = funnel_history.facts_sql(fq)
    conditions = [f"f.slot = {int(stage.pk)}", METRIC_CONDITION[metric]]
    extra: list = []
    if group_value is funnel_history.NO_GROUP or group_value == funnel_history.NO_GROUP:
        conditions.append("f.grp IS NULL")
    elif group_value is not None:
        conditions.append("f.grp = %s")
        extra.append(group_value)
    ids_sql = f"SELECT f.deal AS deal FROM ({facts}) AS f WHERE {' AND '.join(conditions)}"
    # From the funnel facts, every row is a live deal in scope: count the rows alone.
    return _listed(actor, ids_sql, [*facts_params, *extra], counted=fq.use_facts)


def snapshot_drilldown(
    *, actor: Actor, params: SnapshotParams, stage_id: int | None, metric: str = "count", now=None
) -> QuerySet:
    """The live deals now in the stage (metric `count`: they make up its count, amount,
    weighted amount and age; without a stage, the deals now in any open stage: the totals
    row), or the won deals of the sales cycle (metric `won`)."""
    pipeline = report_pipeline(actor, params.pipeline)
    deals = deals_in_scope(actor, pipeline, params)
    if metric == "won":
        from django.utils import timezone

        deals = won_in_window(deals, params.cycle_days, now or timezone.now())
    elif metric == "count":
        if stage_id is None:
            # The open stages by id, as the report counts its totals.
            open_ids = [s.pk for s in pipeline_stages(actor, pipeline) if s.kind == StageKind.OPEN]
            deals = deals.filter(stage_id__in=open_ids)
        else:
            stage = report_stage(actor, pipeline, stage_id)
            if stage.kind != StageKind.OPEN:
                raise ValidationError({"stage": _("The snapshot lists open stages only.")})
            deals = deals.filter(stage=stage)
    else:
        raise ValidationError({"metric": _("Choose count or won.")})
    return (
        Opportunity.objects.for_tenant(actor.tenant)
        .filter(pk__in=deals.values("pk"))
        .select_related("owner", "account", "stage")
        .order_by("-stage_entered_at", "-id")
    )
