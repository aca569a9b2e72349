"""Building the funnel facts (`analytics.FunnelFact`) from the stage history, set-based.

One SQL statement computes the fact rows of any set of deals (one deal after a write, a
pipeline after its stages changed, a whole organisation): a window pass over the deals'
`sales.StageChange` rows (order, time of the next entry), one grouped pass per deal and
stage slot. It reads the definitions of `funia.analytics.funnel_history` literally, as its
raw-history query does, so both give the same numbers (the property tests check it).

Concurrency (PostgreSQL): a deal's refresh holds a shared advisory lock on each pipeline it
touches, a pipeline's rebuild the exclusive one, both until the transaction ends, so a
rebuild never commits rows computed from a history a concurrent write has since changed.
SQLite runs one writer at a time.
"""

# ruff: noqa: S608  (SQL built from ids, table names and fixed text; values are params)

from collections.abc import Iterable

from django.db import connection, transaction
from django.utils import timezone

from funia.analytics import sql as q
from funia.analytics.models import FunnelFact, FunnelFactState
from funia.sales.models import Opportunity, Pipeline, Stage, StageChange, StageKind

# Advisory lock namespace of the funnel facts (the second key is the pipeline id).
LOCK_SPACE = 0x46554E  # "FUN"
FACT_COLUMNS = (
    "tenant_id, pipeline_id, opportunity_id, stage_id, owner_id, source, entered_any, "
    "entered_strict, advanced_any, advanced_strict, lost_now, stay_days"
)


def ranks_of(stages: Iterable[Stage]) -> dict[int, int]:
    """Open stages 1..k in the pipeline's order, won stages k + 1, lost stages 0."""
    stages = list(stages)
    open_stages = sorted(
        (s for s in stages if s.kind == StageKind.OPEN), key=lambda s: (s.position, s.pk)
    )
    ranks = {s.pk: n for n, s in enumerate(open_stages, start=1)}
    for s in stages:
        if s.kind == StageKind.WON:
            ranks[s.pk] = len(open_stages) + 1
        elif s.kind == StageKind.LOST:
            ranks[s.pk] = 0
    return ranks


def signature(stages: Iterable[Stage]) -> str:
    """The stage ranks and kinds the facts of a pipeline depend on, as text."""
    stages = list(stages)
    ranks = ranks_of(stages)
    return ",".join(
        f"{s.pk}:{s.kind}:{ranks.get(s.pk)}" for s in sorted(stages, key=lambda s: s.pk)
    )


def _stages_of(tenant_id: int, pipeline_ids: Iterable[int]) -> dict[int, list[Stage]]:
    by_pipeline: dict[int, list[Stage]] = {pk: [] for pk in pipeline_ids}
    for stage in Stage.objects.for_tenant(tenant_id).filter(pipeline_id__in=list(by_pipeline)):
        by_pipeline[stage.pipeline_id].append(stage)
    return by_pipeline


def _slots_sql(by_pipeline: dict[int, list[Stage]]) -> str:
    """VALUES rows (stage_id, pipeline_id, rnk, closed, lost) of every stage given."""
    rows = []
    for pipeline_id, stages in by_pipeline.items():
        ranks = ranks_of(stages)
        for s in stages:
            closed = 0 if s.kind == StageKind.OPEN else 1
            lost = 1 if s.kind == StageKind.LOST else 0
            rows.append(f"({int(s.pk)}, {int(pipeline_id)}, {int(ranks[s.pk])}, {closed}, {lost})")
    return ", ".join(rows)


def insert_sql(by_pipeline: dict[int, list[Stage]], scope: str) -> str:
    """INSERT of the fact rows of the live deals of the tenant (param 1 and 2) that `scope`
    (a condition on the deal `o`) selects, in the pipelines given (with their stages)."""
    slots = _slots_sql(by_pipeline)
    if not slots:
        return ""
    history = StageChange._meta.db_table
    deals = Opportunity._meta.db_table
    stay = q.float_seconds_between("e.next_at", "e.at")
    real_entry = "MIN(CASE WHEN e.stage = s.stage_id THEN e.at END)"
    first_real_pos = "MIN(CASE WHEN e.stage = s.stage_id THEN e.pos END)"
    pipeline_list = ", ".join(str(int(pk)) for pk in by_pipeline)
    return f"""
        WITH slots (stage_id, pipeline_id, rnk, closed, lost) AS (VALUES {slots}),
        deals AS (
            SELECT o.id AS id, o.pipeline_id AS pipeline_id, o.owner_id AS owner_id,
                   o.source AS source, COALESCE(cs.lost, 0) AS lost_now
            FROM {deals} o LEFT JOIN slots cs ON cs.stage_id = o.stage_id
            WHERE o.tenant_id = %s AND o.deleted_at IS NULL
              AND o.pipeline_id IN ({pipeline_list}) AND ({scope})
        ),
        entries AS (
            SELECT c.opportunity_id AS deal, d.pipeline_id AS pipeline_id,
                   c.at AS at, c.to_stage_id AS stage, rs.rnk AS rnk,
                   ROW_NUMBER() OVER w AS pos, LEAD(c.at) OVER w AS next_at
            FROM {history} c
            JOIN deals d ON d.id = c.opportunity_id
            LEFT JOIN slots rs ON rs.stage_id = c.to_stage_id AND rs.pipeline_id = d.pipeline_id
            WHERE c.tenant_id = %s
            WINDOW w AS (PARTITION BY c.opportunity_id ORDER BY c.at, c.id)
        ),
        per_slot AS (
            SELECT e.deal AS deal, s.pipeline_id AS pipeline_id, s.stage_id AS slot,
                   CASE WHEN s.closed = 1 THEN {real_entry} ELSE MIN(e.at) END AS entered_any,
                   {real_entry} AS entered_strict,
                   CASE WHEN s.closed = 1 THEN NULL
                        WHEN MAX(e.rnk) > s.rnk THEN 1 ELSE 0 END AS advanced_any,
                   CASE WHEN s.closed = 1 OR {first_real_pos} IS NULL THEN NULL
                        WHEN MAX(CASE WHEN e.rnk > s.rnk THEN e.pos END) > {first_real_pos}
                        THEN 1 ELSE 0 END AS advanced_strict,
                   CASE WHEN s.closed = 1 THEN NULL
                        WHEN {first_real_pos} IS NULL
                          OR MAX(CASE WHEN e.stage = s.stage_id AND e.next_at IS NULL
                                 THEN 1 ELSE 0 END) = 1 THEN NULL
                        ELSE SUM(CASE WHEN e.stage = s.stage_id THEN {stay} END) / 86400.0
                   END AS stay_days
            FROM entries e
            JOIN slots s ON s.pipeline_id = e.pipeline_id
                        AND ((s.closed = 0 AND e.rnk >= s.rnk)
                             OR (s.closed = 1 AND e.stage = s.stage_id))
            GROUP BY e.deal, s.pipeline_id, s.stage_id, s.rnk, s.closed
        )
        INSERT INTO {FunnelFact._meta.db_table} ({FACT_COLUMNS})
        SELECT %s, f.pipeline_id, f.deal, f.slot, d.owner_id, d.source, f.entered_any,
               f.entered_strict, f.advanced_any, f.advanced_strict, d.lost_now, f.stay_days
        FROM per_slot f JOIN deals d ON d.id = f.deal
        WHERE f.entered_any IS NOT NULL
    """


def _lock(pipeline_ids: Iterable[int], *, shared: bool) -> None:
    """Advisory locks (PostgreSQL) on pipelines' facts until the transaction ends."""
    ids = sorted({int(pk) for pk in pipeline_ids})
    if connection.vendor != "postgresql" or not ids:
        return
    function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
    calls = ", ".join(f"{function}({LOCK_SPACE}, {pk})" for pk in ids)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {calls}")


def refresh_deals(*, tenant, deal_ids: Iterable[int]) -> None:
    """Recompute the fact rows of these deals (any that is deleted or gone loses them), in
    the caller's transaction: call it after every write that changes a deal's history,
    stage, owner, source, pipeline or trash state."""
    tenant_id = tenant if isinstance(tenant, int) else tenant.pk
    ids = sorted({int(pk) for pk in deal_ids})
    if not ids:
        return
    facts = FunnelFact._meta.db_table
    id_list = ", ".join(str(pk) for pk in ids)
    with transaction.atomic():
        pipeline_ids = set(
            Opportunity.objects.for_tenant(tenant_id)
            .filter(pk__in=ids)
            .values_list("pipeline_id", flat=True)
        )
        pipeline_ids |= set(
            FunnelFact.objects.for_tenant(tenant_id)
            .filter(opportunity_id__in=ids)
            .values_list("pipeline_id", flat=True)
            .distinct()
        )
        _lock(pipeline_ids, shared=True)
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {facts} WHERE tenant_id = %s AND opportunity_id IN ({id_list})",
                [tenant_id],
            )
            text = insert_sql(_stages_of(tenant_id, pipeline_ids), f"o.id IN ({id_list})")
            if text:
                cursor.execute(text, [tenant_id, tenant_id, tenant_id])


def rebuild_pipelines(*, tenant, pipeline_ids: Iterable[int] | None = None) -> int:
    """Rebuild the facts of these pipelines (default: every pipeline of the organisation)
    from their history, set-based, in one transaction; record the ranks they were built
    with. Returns the number of fact rows."""
    tenant_id = tenant if isinstance(tenant, int) else tenant.pk
    pipelines = Pipeline.objects.for_tenant(tenant_id, with_deleted=True)
    if pipeline_ids is not None:
        pipelines = pipelines.filter(pk__in=list(pipeline_ids))
    ids = sorted(pipelines.values_list("pk", flat=True))
    facts = FunnelFact._meta.db_table
    if not ids:
        return 0
    id_list = ", ".join(str(pk) for pk in ids)
    with transaction.atomic():
        _lock(ids, shared=False)
        by_pipeline = _stages_of(tenant_id, ids)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # The window pass and the grouping sort millions of rows at full scale.
                cursor.execute("SET LOCAL work_mem = '256MB'")
            cursor.execute(
                f"DELETE FROM {facts} WHERE tenant_id = %s AND pipeline_id IN ({id_list})",
                [tenant_id],
            )
            rows = 0
            text = insert_sql(by_pipeline, "1 = 1")
            if text:
                cursor.execute(text, [tenant_id, tenant_id, tenant_id])
                rows = cursor.rowcount
        if rows < 0:  # SQLite does not count the rows of an INSERT with a WITH clause
            rows = FunnelFact.objects.for_tenant(tenant_id).filter(pipeline_id__in=ids).count()
        now = timezone.now()
        for pipeline_id, stages in by_pipeline.items():
            FunnelFactState.objects.update_or_create(
                tenant_id=tenant_id,
                pipeline_id=pipeline_id,
                defaults={"signature": signature(stages), "built_at": now},
            )
    return rows


def is_current(tenant, pipeline: Pipeline, stages: Iterable[Stage]) -> bool:
    """Whether the pipeline's facts were built with its current stage ranks."""
    state = (
        FunnelFactState.objects.for_tenant(tenant)
        .filter(pipeline=pipeline)
        .values_list("signature", flat=True)
        .first()
    )
    return state is not None and state == signature(stages)
