"""The funnel facts: a per-(deal, stage) summary of the stage history that the historical
funnel and its drill-downs read instead of the raw history (see `build` for the SQL and
`analytics.FunnelFact` for the columns).

What keeps them exact, in the transaction of each write:
- `refresh_deals()` after every write of a deal that changes its facts: create (with a
  migrated history), update (a move, a new owner, source or pipeline), bulk move and
  reassign (through update), lead conversion (through create), trash and restore;
- `pipeline_changed()` after a pipeline's stages are saved: when the ranks changed, the
  pipeline's facts are rebuilt, at once when it is small, else by a background job; until
  then `is_current()` is false and the reports compute from the raw history;
- `rebuild_pipelines()`: the set-based rebuild (`funia rebuild-funnel-facts`, the bench,
  the data migration).
"""

from django.db import transaction

from funia.analytics.facts.build import (
    is_current,
    rebuild_pipelines,
    refresh_deals,
    signature,
)

__all__ = [
    "SYNC_LIMIT",
    "is_current",
    "pipeline_changed",
    "rebuild_pipelines",
    "refresh_deals",
    "signature",
]

# A pipeline with more deals than this has its facts rebuilt by a background job.
SYNC_LIMIT = 20_000


def pipeline_changed(*, tenant, pipeline) -> None:
    """Call after saving a pipeline's stages (in the same transaction)."""
    from funia.analytics.models import FunnelFactState
    from funia.core.jobs import enqueue_on_commit
    from funia.sales.models import Opportunity, Stage

    tenant_id = tenant if isinstance(tenant, int) else tenant.pk
    stages = list(Stage.objects.for_tenant(tenant_id).filter(pipeline=pipeline))
    state = FunnelFactState.objects.for_tenant(tenant_id).filter(pipeline=pipeline).first()
    if state is not None and state.signature == signature(stages):
        return
    deals = Opportunity.objects.for_tenant(tenant_id).filter(pipeline=pipeline)
    if not deals[SYNC_LIMIT : SYNC_LIMIT + 1].exists():
        with transaction.atomic():
            rebuild_pipelines(tenant=tenant_id, pipeline_ids=[pipeline.pk])
        return
    from funia.analytics.facts.tasks import rebuild_funnel_facts

    enqueue_on_commit(rebuild_funnel_facts, tenant_id, [pipeline.pk])


def rebuild_all(*, tenant=None, out=print) -> int:
    """`funia rebuild-funnel-facts`: rebuild the facts of one organisation (or of all),
    each in its own transaction; returns the number of fact rows written."""
    import time

    from django.db import connection

    from funia.analytics.models import FunnelFact
    from funia.core.models import Organization

    organizations = [tenant] if tenant is not None else list(Organization.objects.order_by("pk"))
    total = 0
    for organization in organizations:
        started = time.perf_counter()
        rows = rebuild_pipelines(tenant=organization)
        total += rows
        out(
            f"{organization.slug}: {rows:,} funnel fact rows "
            f"in {time.perf_counter() - started:.1f} s"
        )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {FunnelFact._meta.db_table}")
    return total
