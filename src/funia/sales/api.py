"""API of /pipelines, /exchange-rates and /opportunities."""

import functools

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Router

from funia.api.concurrency import if_match, with_etag
from funia.api.problems import _django_errors, problem
from funia.api.records import RecordRoutes
from funia.api.schemas import Id
from funia.sales import opportunities, pipelines, selectors
from funia.sales.filters import ExchangeRateFilter, OpportunityFilter, PipelineFilter
from funia.sales.schemas import (
    BulkMoveIn,
    BulkReassignIn,
    BulkResultOut,
    ExchangeRateIn,
    ExchangeRateOut,
    ExchangeRatePatch,
    MoveIn,
    OpportunityIn,
    OpportunityOut,
    OpportunityPatch,
    PipelineIn,
    PipelineOut,
    PipelinePatch,
    StageChangeOut,
    instant_text,
    money_text,
)

router = Router(tags=["sales"])

# API names of references -> model attribute names.
REFERENCES = {
    "owner": "owner_id",
    "account": "account_id",
    "contact": "contact_id",
    "pipeline": "pipeline_id",
    "stage": "stage_id",
    "price_book": "price_book_id",
}
TEXT_FIELDS = ("source", "campaign", "lost_reason", "next_step", "description")
# Fields that cannot be emptied: null leaves them unchanged.
NOT_NULL = ("name", "forecast_category", "pipeline_id", "stage_id", "is_default", "position")


def opportunity_fields(data: dict) -> dict:
    """API payload -> service fields: references become *_id, null text becomes ''."""
    fields = {REFERENCES.get(name, name): value for name, value in data.items()}
    for name in TEXT_FIELDS:
        if name in fields and fields[name] is None:
            fields[name] = ""
    return {k: v for k, v in fields.items() if not (k in NOT_NULL and v is None)}


def pipeline_fields(data: dict) -> dict:
    return {k: v for k, v in data.items() if not (k in NOT_NULL and v is None)}


# The API shows owner, account, contact and pipeline as ids: only the stage is joined.
opportunity_get = functools.partial(selectors.opportunity_get, details=False)
opportunity_list = functools.partial(selectors.opportunity_list, details=False)


def _bulk_answer(result: opportunities.BulkResult) -> dict:
    return {
        "done": result.done,
        "refused": [{"id": pk, "reason": reason} for pk, reason in result.refused.items()],
    }


# Before the record routes: /opportunities/{opportunity_id} would capture these paths.
@router.post(
    "/opportunities/bulk-reassign",
    response=BulkResultOut,
    summary="Give deals to another owner; each deal is done or refused on its own",
)
def opportunity_bulk_reassign(request, payload: BulkReassignIn):
    result = opportunities.opportunity_bulk_reassign(
        by=request.auth, ids=payload.ids, owner_id=payload.owner
    )
    return _bulk_answer(result)


@router.post(
    "/opportunities/bulk-move",
    response=BulkResultOut,
    summary="Move deals to a stage; each deal passes the stage gate on its own",
)
def opportunity_bulk_move(request, payload: BulkMoveIn):
    result = opportunities.opportunity_bulk_move(
        by=request.auth, ids=payload.ids, stage_id=payload.stage
    )
    return _bulk_answer(result)


@router.post(
    "/opportunities/{opportunity_id}/move",
    response=OpportunityOut,
    summary="Move a deal to a stage through its gate (honours If-Match)",
)
def opportunity_move(request, opportunity_id: Id, payload: MoveIn, response: HttpResponse):
    deal = opportunity_get(actor=request.auth, pk=opportunity_id)
    data = payload.model_dump(exclude_unset=True)
    stage_id = data.pop("stage")
    try:
        moved = opportunities.opportunity_move(
            by=request.auth,
            opportunity=deal,
            stage_id=stage_id,
            fields=opportunity_fields(data),
            if_match=if_match(request),
        )
    except ValidationError as exc:
        return _refused_move(request, deal, stage_id, exc)
    return with_etag(response, opportunity_get(actor=request.auth, pk=moved.pk))


def _refused_move(request, deal, stage_id: int, exc: ValidationError):
    """422 whose detail names the stage, so a board can show why the card snapped back."""
    try:
        stage = selectors.stage_get(actor=request.auth, pk=stage_id)
    except ObjectDoesNotExist:
        stage = None
    if stage is None or stage.pipeline_id != deal.pipeline_id:
        detail = _("The deal cannot move to this stage; see errors.")
    else:
        detail = _("The move to “%(stage)s” is refused; see errors.") % {"stage": stage.name}
    return problem(422, detail, errors=_django_errors(exc))


@router.get(
    "/opportunities/{opportunity_id}/stage-history",
    response=list[StageChangeOut],
    summary="The deal's stage changes, oldest first, with the time spent in each stage",
)
def opportunity_stage_history(request, opportunity_id: Id):
    deal = opportunity_get(actor=request.auth, pk=opportunity_id, with_deleted=True)
    entries = []
    for stay in selectors.time_in_stages(opportunity=deal):
        change = stay["change"]
        entries.append(
            {
                "stage": change.to_stage_id,
                "stage_name": change.to_stage.name,
                "from_stage": change.from_stage_id,
                "from_stage_name": change.from_stage.name if change.from_stage else None,
                "at": instant_text(change.at),
                "by": change.by_id,
                "amount": money_text(change.amount),
                "currency": change.currency,
                "probability": change.probability,
                "imported": change.imported,
                "days_in_stage": (
                    None if stay["seconds"] is None else round(stay["seconds"] / 86400, 4)
                ),
            }
        )
    return entries


RecordRoutes(
    name="pipeline",
    plural="pipelines",
    label="pipeline",
    output=PipelineOut,
    create_input=PipelineIn,
    patch_input=PipelinePatch,
    filters=PipelineFilter,
    list_selector=selectors.pipeline_list,
    get_selector=selectors.pipeline_get,
    create=pipelines.pipeline_create,
    update=pipelines.pipeline_update,
    delete=pipelines.pipeline_delete,
    restore=pipelines.pipeline_restore,
    to_fields=pipeline_fields,
).register(router)

RecordRoutes(
    name="exchange_rate",
    plural="exchange-rates",
    label="exchange rate",
    output=ExchangeRateOut,
    create_input=ExchangeRateIn,
    patch_input=ExchangeRatePatch,
    filters=ExchangeRateFilter,
    list_selector=selectors.exchange_rate_list,
    get_selector=selectors.exchange_rate_get,
    create=pipelines.exchange_rate_create,
    update=pipelines.exchange_rate_update,
    delete=pipelines.exchange_rate_delete,
    restore=pipelines.exchange_rate_restore,
).register(router)

RecordRoutes(
    name="opportunity",
    plural="opportunities",
    label="opportunity",
    output=OpportunityOut,
    create_input=OpportunityIn,
    patch_input=OpportunityPatch,
    filters=OpportunityFilter,
    list_selector=opportunity_list,
    get_selector=opportunity_get,
    create=opportunities.opportunity_create,
    update=opportunities.opportunity_update,
    delete=opportunities.opportunity_delete,
    restore=opportunities.opportunity_restore,
    to_fields=opportunity_fields,
).register(router)
