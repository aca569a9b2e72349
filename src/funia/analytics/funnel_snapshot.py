"""The snapshot funnel: the active deals in each open stage right now, and the sales cycle.

Definitions (binding; shown on the page and in the API documentation):
- Per open stage: **count** of live deals now in it, **amount** = the sum of their amounts
  in the organisation's currency (`amount_base`; deals without an amount add nothing),
  **weighted_amount** = amount x the stage's win probability, **avg_age_days** = the mean
  time since each deal entered the stage (its current stay), in days.
- **Sales cycle** of a won deal = time from its creation (for a migrated history: its first
  stage entry) to its win (`closed_at`); mean and median over the deals of the pipeline
  now won whose win is within the look-back window (`cycle_days`, default 365 days).
- Only live deals now in the pipeline that the reader may see, narrowed by the filters.
"""

import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection
from django.db.models import Avg, Count, F, Sum
from django.utils import timezone

from funia.analytics import sql as q
from funia.analytics.filters import SnapshotParams, deals_in_scope, pipeline_stages, report_pipeline
from funia.core.actor import Actor
from funia.sales.models import StageKind

CENT = Decimal("0.01")


def _money(value) -> Decimal:
    return Decimal(value or 0).quantize(CENT, rounding=ROUND_HALF_UP)


def snapshot_funnel(*, actor: Actor, params: SnapshotParams, now=None) -> dict:
    now = now or timezone.now()
    pipeline = report_pipeline(actor, params.pipeline)
    stages = [s for s in pipeline_stages(actor, pipeline) if s.kind == StageKind.OPEN]
    deals = deals_in_scope(actor, pipeline, params)
    per_stage = {
        row["stage_id"]: row
        # The open stages by id (the index leads with them; no join to the stages).
        for row in deals.filter(stage_id__in=[s.pk for s in stages])
        .values("stage_id")
        .annotate(
            count=Count("id"),
            amount=Sum("amount_base"),
            entered=Avg(q.EpochSeconds(F("stage_entered_at"))),
        )
        .order_by()
    }
    now_epoch = now.timestamp()
    rows = []
    for stage in stages:
        row = per_stage.get(stage.pk, {"count": 0, "amount": None, "entered": None})
        amount = _money(row["amount"])
        rows.append(
            {
                "stage": stage.pk,
                "name": stage.name,
                "probability": stage.probability,
                "count": row["count"],
                "amount": amount,
                "weighted_amount": _money(amount * stage.probability / 100),
                "avg_age_days": None
                if row["entered"] is None
                else round((now_epoch - float(row["entered"])) / 86400, 4),
            }
        )
    mean, median, won = sales_cycle(actor=actor, deals=deals, days=params.cycle_days, now=now)
    return {
        "pipeline": pipeline.pk,
        "currency": actor.tenant.currency,
        "stages": rows,
        "total_count": sum(r["count"] for r in rows),
        "total_amount": _money(sum(r["amount"] for r in rows)),
        "total_weighted_amount": _money(sum(r["weighted_amount"] for r in rows)),
        "avg_sales_cycle_days": mean,
        "median_sales_cycle_days": median,
        "won_in_window": won,
        "cycle_days": params.cycle_days,
    }


def won_in_window(deals, days: int, now):
    since = now - datetime.timedelta(days=days)
    return deals.filter(stage__kind=StageKind.WON, closed_at__gte=since, closed_at__lte=now)


def sales_cycle(*, actor: Actor, deals, days: int, now) -> tuple[float | None, float | None, int]:
    """(mean, median) days from creation to win of the deals won in the last `days` days,
    and how many they are."""
    won = won_in_window(deals, days, now).annotate(
        v=(q.EpochSeconds(F("closed_at")) - q.EpochSeconds(F("created_at"))) / 86400.0
    )
    values_sql, params = q.queryset_sql(won.values("v"))
    if connection.vendor == "postgresql":
        # One pass: the count, the mean and the median together.
        median = "percentile_cont(0.5) WITHIN GROUP (ORDER BY v)"
        text = f"SELECT COUNT(*), AVG(v), {median} FROM ({values_sql}) AS w"  # noqa: S608
        with q.report_cursor() as cursor:
            cursor.execute(text, params)
            n, mean, median = cursor.fetchone()
        if not n:
            return None, None, 0
        return round(float(mean), 4), round(float(median), 4), n
    totals = won.aggregate(n=Count("id"), mean=Avg("v"))
    if not totals["n"]:
        return None, None, 0
    with connection.cursor() as cursor:
        cursor.execute(q.median_sql(values_sql), params)
        (median,) = cursor.fetchone()
    return round(float(totals["mean"]), 4), round(float(median), 4), totals["n"]
