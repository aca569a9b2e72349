"""Reads of pipelines, stages and opportunities, restricted by the visibility policy."""

from django.db.models import Prefetch, QuerySet

from funia.core.actor import Actor
from funia.core.visibility import visible_records
from funia.sales.models import ExchangeRate, Opportunity, Pipeline, Stage, StageChange


def pipeline_list(*, actor: Actor, filters=None) -> QuerySet[Pipeline]:
    stages = Stage.objects.for_tenant(actor.tenant).order_by("position", "id")
    qs = Pipeline.objects.for_tenant(actor.tenant, with_deleted=True)
    if filters is not None:
        qs = filters.filter(qs)
    return qs.prefetch_related(Prefetch("stages", queryset=stages)).order_by("position", "id")


def pipeline_get(*, actor: Actor, pk: int, with_deleted: bool = False) -> Pipeline:
    stages = Stage.objects.for_tenant(actor.tenant).order_by("position", "id")
    return (
        Pipeline.objects.for_tenant(actor.tenant, with_deleted=with_deleted)
        .prefetch_related(Prefetch("stages", queryset=stages))
        .get(pk=pk)
    )


def default_pipeline(*, tenant) -> Pipeline | None:
    """The pipeline new deals go to when none is named: the default, else the first."""
    return Pipeline.objects.for_tenant(tenant).order_by("-is_default", "position", "id").first()


def stages_of(*, tenant, pipeline_id: int) -> list[Stage]:
    return list(
        Stage.objects.for_tenant(tenant).filter(pipeline_id=pipeline_id).order_by("position", "id")
    )


def stage_get(*, actor: Actor, pk: int) -> Stage:
    return Stage.objects.for_tenant(actor.tenant).select_related("pipeline").get(pk=pk)


def exchange_rate_list(*, actor: Actor, filters=None) -> QuerySet[ExchangeRate]:
    qs = ExchangeRate.objects.for_tenant(actor.tenant, with_deleted=True)
    if filters is not None:
        qs = filters.filter(qs)
    return qs.order_by("currency", "id")


def exchange_rate_get(*, actor: Actor, pk: int, with_deleted: bool = False) -> ExchangeRate:
    return ExchangeRate.objects.for_tenant(actor.tenant, with_deleted=with_deleted).get(pk=pk)


def _opportunity_details(qs: QuerySet, details: bool = True) -> QuerySet:
    if not details:  # the stage only: what the API shows besides ids
        return qs.select_related("stage")
    return qs.select_related("owner", "account", "contact", "pipeline", "stage", "price_book")


def opportunity_list(*, actor: Actor, filters=None, details: bool = True) -> QuerySet[Opportunity]:
    """Deals the actor sees; `details=False` joins the stage only (owner, account, contact
    and pipeline stay ids)."""
    qs = visible_records(Opportunity, actor, with_deleted=True)
    sort = "-updated_at"
    if filters is not None:
        qs = filters.filter(qs)
        sort = getattr(filters, "sort", None) or sort
    return _opportunity_details(qs, details).order_by(sort, "id")


def opportunity_get(
    *, actor: Actor, pk: int, with_deleted: bool = False, details: bool = True
) -> Opportunity:
    return _opportunity_details(
        visible_records(Opportunity, actor, with_deleted=with_deleted), details
    ).get(pk=pk)


def stage_history(*, opportunity: Opportunity) -> QuerySet[StageChange]:
    """The deal's entries into stages, oldest first."""
    return (
        StageChange.objects.for_tenant(opportunity.tenant_id)
        .filter(opportunity=opportunity)
        .select_related("from_stage", "to_stage", "by")
        .order_by("at", "id")
    )


def time_in_stages(*, opportunity: Opportunity, now=None) -> list[dict]:
    """Each stay in a stage, oldest first: stage, entered, left (None: still there), and
    its length in seconds (up to now for the current stay; a closed deal's last stay has
    no length, as the deal no longer moves)."""
    from django.utils import timezone

    now = now or timezone.now()
    changes = list(stage_history(opportunity=opportunity))
    stays = []
    for index, change in enumerate(changes):
        left = changes[index + 1].at if index + 1 < len(changes) else None
        closed = left is None and change.to_stage.is_closed
        end = left or (None if closed else now)
        stays.append(
            {
                "change": change,
                "stage": change.to_stage,
                "entered": change.at,
                "left": left,
                "by": change.by,
                "seconds": (end - change.at).total_seconds() if end else None,
            }
        )
    return stays
