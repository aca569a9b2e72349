"""Writes of opportunities: create (optionally with a migrated stage history), update,
move to a stage through its gate, bulk reassign and move, trash and restore.

Every entry into a stage appends a `StageChange` (from, to, at, by, amount and probability
at that moment); the history is never edited, so reports computed from it stay honest.
"""

import zoneinfo
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from funia.analytics import facts as funnel_facts
from funia.core import periods
from funia.core.actor import Actor
from funia.core.records import (
    StaleVersion,
    etag_matches,
    record_create,
    record_restore,
    record_soft_delete,
    record_update,
)
from funia.core.services import check_owner
from funia.core.visibility import can_change, require_admin, require_change, require_writer
from funia.customers.models import Account, Contact
from funia.sales import money
from funia.sales.models import (
    ForecastCategory,
    Opportunity,
    Pipeline,
    Quote,
    QuoteStatus,
    Stage,
    StageChange,
    StageKind,
)
from funia.sales.pipelines import GATE_FIELDS
from funia.sales.selectors import default_pipeline

MAX_HISTORY = 200
BULK_LIMIT = 1000


def _field_label(name: str) -> str:
    return str(Opportunity._meta.get_field(name).verbose_name)


def gate_missing(deal: Opportunity, stage: Stage) -> list[str]:
    """The fields the stage requires (a lost stage: the lost reason) that the deal lacks."""
    required = [f for f in stage.required_fields if f in GATE_FIELDS]
    if stage.kind == StageKind.LOST and "lost_reason" not in required:
        required.append("lost_reason")
    return [
        name
        for name in required
        if getattr(deal, f"{name}_id" if name in ("account", "contact") else name) in (None, "")
    ]


def _gate_errors(deal: Opportunity, stage: Stage) -> dict:
    """What the stage requires that the deal lacks, as field errors."""
    return {
        name: _("“%(stage)s” requires %(field)s.")
        % {"stage": stage.name, "field": _field_label(name)}
        for name in gate_missing(deal, stage)
    }


def _resolve_stage(tenant, pipeline: Pipeline | int, ref) -> Stage:
    """A stage of the pipeline (given as a Pipeline or its id) by id, or by name
    (migrations name stages)."""
    pipeline_id = pipeline if isinstance(pipeline, int) else pipeline.pk
    stages = Stage.objects.for_tenant(tenant).filter(pipeline_id=pipeline_id)
    by_id = isinstance(ref, int) or (
        isinstance(ref, str) and ref.strip().isascii() and ref.strip().isdecimal()
    )
    try:
        if by_id:
            if not 0 < int(ref) < 2**63:  # beyond any id: no such stage
                raise Stage.DoesNotExist
            return stages.get(pk=int(ref))
        return stages.get(name__iexact=str(ref).strip())
    except Stage.DoesNotExist:
        if isinstance(pipeline, int):
            pipeline = Pipeline.objects.for_tenant(tenant, with_deleted=True).get(pk=pipeline)
        # An id is not echoed: a stage of another organisation answers like a missing one.
        message = (
            _("No such stage in the pipeline “%(pipeline)s”.")
            if by_id
            else _("“%(stage)s” is not a stage of the pipeline “%(pipeline)s”.")
        )
        raise ValidationError(
            {"stage": message % {"stage": ref, "pipeline": pipeline.name}}
        ) from None
    except Stage.MultipleObjectsReturned:
        raise ValidationError(
            {"stage": _("Several stages are named “%(stage)s”.") % {"stage": ref}}
        ) from None


def _check_price_book(tenant, data: dict, current: Opportunity | None) -> None:
    """The deal's price book must be an active book in the deal's currency."""
    from funia.sales.catalog.models import PriceBook

    book_id = data.get("price_book_id", current.price_book_id if current else None)
    if book_id is None:
        return
    currency = data.get("currency") or (current.currency if current else tenant.currency)
    book = PriceBook.objects.for_tenant(tenant).filter(pk=book_id, is_active=True).first()
    if book is None:
        raise ValidationError({"price_book": _("No such active price book in this organisation.")})
    if book.currency != currency:
        raise ValidationError(
            {
                "price_book": _(
                    "The price book is in %(book)s but the deal is in %(deal)s: choose a book "
                    "in the deal's currency."
                )
                % {"book": book.currency, "deal": currency}
            }
        )


def _check_refs(by: Actor, data: dict, errors: dict) -> None:
    tenant = by.tenant
    check_owner(tenant, data.get("owner_id"), errors)
    for name, model in (("account", Account), ("contact", Contact)):
        pk = data.get(f"{name}_id")
        if pk is not None and not model.objects.for_tenant(tenant).filter(pk=pk).exists():
            errors[name] = _("No such %(model)s in this organisation.") % {
                "model": model._meta.verbose_name
            }


def _apply_closure(deal: Opportunity, stage: Stage, at: datetime) -> None:
    """Keep `closed_at` and the forecast category in step with the stage's kind."""
    if stage.kind == StageKind.OPEN:
        deal.closed_at = None
        if deal.forecast_category in (ForecastCategory.CLOSED, ForecastCategory.OMITTED):
            deal.forecast_category = ForecastCategory.PIPELINE
    else:
        deal.closed_at = at
        deal.forecast_category = (
            ForecastCategory.CLOSED if stage.kind == StageKind.WON else ForecastCategory.OMITTED
        )


def _append_change(deal: Opportunity, *, from_stage, to_stage, at, by, imported=False):
    StageChange.objects.create(
        tenant_id=deal.tenant_id,
        opportunity=deal,
        from_stage=from_stage,
        to_stage=to_stage,
        at=at,
        by=by.user if by else None,
        amount=deal.amount,
        amount_base=deal.amount_base,
        currency=deal.currency,
        probability=to_stage.probability,
        imported=imported,
    )


def _prepare(by: Actor, data: dict, current: Opportunity | None) -> dict:
    """Validate references, pipeline/stage consistency and the currency; fill defaults."""
    data = dict(data)
    errors: dict = {}
    _check_refs(by, data, errors)
    tenant = by.tenant
    pipeline_id = data.get("pipeline_id", current.pipeline_id if current else None)
    pipeline = None
    if current is not None and pipeline_id == current.pipeline_id:
        # The deal's own pipeline: no need to read it (a move within the pipeline).
        data["pipeline_id"] = pipeline_id
        stage_ref = data.pop("stage_id", None)
        if errors:
            raise ValidationError(errors)
        if stage_ref is not None:
            data["stage"] = _resolve_stage(tenant, pipeline_id, stage_ref)
        if "currency" in data:
            data["currency"] = money.normalize_currency(data.get("currency") or tenant.currency)
        _check_price_book(tenant, data, current)
        return data
    if pipeline_id is None:
        pipeline = default_pipeline(tenant=tenant)
        if pipeline is None:
            errors["pipeline"] = _("Create a pipeline first.")
    else:
        pipeline = Pipeline.objects.for_tenant(tenant).filter(pk=pipeline_id).first()
        if pipeline is None:
            errors["pipeline"] = _("No such pipeline in this organisation.")
    if errors:
        raise ValidationError(errors)
    data["pipeline_id"] = pipeline.pk
    stage_ref = data.pop("stage_id", None)
    if stage_ref is not None:
        data["stage"] = _resolve_stage(tenant, pipeline, stage_ref)
    elif current is None or current.pipeline_id != pipeline.pk:
        stage = (
            Stage.objects.for_tenant(tenant)
            .filter(pipeline=pipeline, kind=StageKind.OPEN)
            .order_by("position", "id")
            .first()
        )
        if current is not None:
            raise ValidationError({"stage": _("Choose the stage in the new pipeline.")})
        data["stage"] = stage
    if "currency" in data or current is None:
        data["currency"] = money.normalize_currency(data.get("currency") or tenant.currency)
    _check_price_book(tenant, data, current)
    return data


def opportunity_create(
    *, by: Actor, stage_history: list[dict] | None = None, **fields
) -> Opportunity:
    """Create a deal in its stage (default: the default pipeline's first open stage). The
    creator owns it unless an owner is given. With `stage_history` (administrators, for
    migrations) the deal gets exactly that past: chronological entries, the last being the
    current stage."""
    require_writer(by)
    if stage_history:
        require_admin(by)
    fields.setdefault("owner_id", by.user.pk)
    data = _prepare(by, fields, None)
    history = _clean_history(by, data, stage_history) if stage_history else None
    if history and fields.get("stage_id") is not None and history[-1][0] != data["stage"]:
        raise ValidationError(
            {"stage_history": _("The last entry must be the deal's current stage.")}
        )
    if history:
        data["stage"] = history[-1][0]
    stage: Stage = data["stage"]
    now = timezone.now()
    entered = history[-1][1] if history else now
    with transaction.atomic():
        deal = Opportunity(tenant=by.tenant, **data)
        deal.amount_base = money.to_base(by.tenant, deal.amount, deal.currency)
        deal.stage_entered_at = entered
        if history:
            deal.created_at = history[0][1]
        _apply_closure(deal, stage, entered)
        errors = _gate_errors(deal, stage) if not history else {}
        if errors:
            raise ValidationError(errors)
        deal = record_create(model=Opportunity, by=by, **_row_fields(deal))
        if history:
            previous = None
            for stage_entry, at in history:
                _append_change(
                    deal, from_stage=previous, to_stage=stage_entry, at=at, by=by, imported=True
                )
                previous = stage_entry
        else:
            _append_change(deal, from_stage=None, to_stage=stage, at=entered, by=by)
        funnel_facts.refresh_deals(tenant=by.tenant, deal_ids=[deal.pk])
    return deal


def _row_fields(deal: Opportunity) -> dict:
    names = [f.attname for f in Opportunity._meta.concrete_fields]
    skip = {"id", "tenant_id", "version", "updated_at", "deleted_at"}
    return {name: getattr(deal, name) for name in names if name not in skip}


def _tenant_zone(tenant):
    """The organisation's time zone (a history time without an offset is local time)."""
    try:
        return zoneinfo.ZoneInfo(tenant.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return timezone.get_default_timezone()


def _clean_history(by: Actor, data: dict, raw: list[dict]) -> list[tuple[Stage, datetime]]:
    if len(raw) > MAX_HISTORY:
        raise ValidationError({"stage_history": _("At most %(n)d entries.") % {"n": MAX_HISTORY}})
    pipeline = Pipeline.objects.for_tenant(by.tenant).get(pk=data["pipeline_id"])
    entries, previous_at, now = [], None, timezone.now()
    for index, item in enumerate(raw):
        try:
            stage = _resolve_stage(by.tenant, pipeline, item.get("stage"))
        except ValidationError as exc:
            raise ValidationError(
                {
                    "stage_history": _("Entry %(n)d: %(error)s")
                    % {"n": index + 1, "error": exc.message_dict["stage"][0]}
                }
            ) from None
        at = item.get("at")
        if not isinstance(at, datetime):
            raise ValidationError(
                {"stage_history": _("Entry %(n)d needs its time (ISO 8601).") % {"n": index + 1}}
            )
        if timezone.is_naive(at):
            at = timezone.make_aware(at, _tenant_zone(by.tenant))
        if previous_at is not None and at < previous_at:
            raise ValidationError(
                {
                    "stage_history": _(
                        "Entry %(n)d is earlier than the one before; give the "
                        "history in chronological order."
                    )
                    % {"n": index + 1}
                }
            )
        if at > now:
            raise ValidationError(
                {"stage_history": _("Entry %(n)d is in the future.") % {"n": index + 1}}
            )
        entries.append((stage, at))
        previous_at = at
    return entries


def opportunity_update(
    *, by: Actor, opportunity: Opportunity, fields: dict, if_match: str | None = None
) -> Opportunity:
    """Change fields; a new `stage` (or `pipeline` with its stage) is a move through the
    stage gate and appends to the history."""
    require_change(by, opportunity)
    data = _prepare(by, fields, opportunity)
    with transaction.atomic():
        current = (
            Opportunity.objects.for_tenant(by.tenant, with_deleted=True)
            .select_for_update()
            .select_related("stage")
            .get(pk=opportunity.pk)
        )
        if not etag_matches(if_match, current):
            raise StaleVersion(current.etag)
        new_stage = data.pop("stage", None)
        moved = new_stage is not None and new_stage.pk != current.stage_id
        previous_owner_id = current.owner_id
        for name, value in data.items():
            setattr(current, name, value)
        now = timezone.now()
        if moved:
            old_stage = current.stage
            current.stage = new_stage
            current.stage_entered_at = now
            _apply_closure(current, new_stage, now)
            errors = _gate_errors(current, new_stage)
            if errors:
                raise ValidationError(errors)
        current.amount_base = money.to_base(by.tenant, current.amount, current.currency)
        changed = {f: getattr(current, f) for f in _row_fields(current)}
        updated = record_update(obj=current, by=by, fields=changed, if_match=None)
        if updated.owner_id and updated.owner_id != previous_owner_id:
            _quotes_follow_owner(updated)
        if moved:
            _append_change(updated, from_stage=old_stage, to_stage=new_stage, at=now, by=by)
        funnel_facts.refresh_deals(tenant=by.tenant, deal_ids=[updated.pk])
    return updated


def _quotes_follow_owner(deal: Opportunity) -> None:
    """The deal's open quotes (current drafts, and sent ones still valid) move to its new
    owner, so that they stay with whoever works the deal.

    One queryset update in the deal's transaction: the reassignment of the deal is the
    audited change, and the quotes' owner is derived from it; the version is raised so that
    an edit made against the old owner's copy is refused as stale. Decided, expired and
    replaced quotes keep the owner they had."""
    valid = Q(valid_until__isnull=True) | Q(valid_until__gte=periods.today(deal.tenant))
    Quote.objects.for_tenant(deal.tenant_id).filter(
        Q(status=QuoteStatus.DRAFT) | (Q(status=QuoteStatus.SENT) & valid),
        opportunity_id=deal.pk,
        superseded_by__isnull=True,
    ).exclude(owner_id=deal.owner_id).update(
        owner_id=deal.owner_id, version=F("version") + 1, updated_at=timezone.now()
    )


def opportunity_move(
    *,
    by: Actor,
    opportunity: Opportunity,
    stage_id: int,
    fields: dict | None = None,
    if_match: str | None = None,
) -> Opportunity:
    """Move a deal to a stage of its pipeline, with any fields the gate asks for (e.g.
    `lost_reason`). Refused with field errors naming what the stage requires."""
    return opportunity_update(
        by=by,
        opportunity=opportunity,
        fields={**(fields or {}), "stage_id": stage_id},
        if_match=if_match,
    )


def opportunity_delete(
    *, by: Actor, opportunity: Opportunity, if_match: str | None = None
) -> Opportunity:
    require_change(by, opportunity)
    with transaction.atomic():
        deal = record_soft_delete(obj=opportunity, by=by, if_match=if_match)
        funnel_facts.refresh_deals(tenant=by.tenant, deal_ids=[deal.pk])
    return deal


def opportunity_restore(
    *, by: Actor, opportunity: Opportunity, if_match: str | None = None
) -> Opportunity:
    require_change(by, opportunity)
    with transaction.atomic():
        deal = record_restore(obj=opportunity, by=by, if_match=if_match)
        funnel_facts.refresh_deals(tenant=by.tenant, deal_ids=[deal.pk])
    return deal


@dataclass
class BulkResult:
    done: list[int]
    refused: dict[int, str]  # deal id -> why


def _bulk(by: Actor, ids: list[int], action) -> BulkResult:
    require_writer(by)
    if len(ids) > BULK_LIMIT:
        raise ValidationError({"ids": _("At most %(n)d deals at once.") % {"n": BULK_LIMIT}})
    from funia.sales.selectors import opportunity_get

    result = BulkResult([], {})
    for pk in dict.fromkeys(ids):
        try:
            deal = opportunity_get(actor=by, pk=pk)
            if not can_change(by, deal):
                raise PermissionDenied
            with transaction.atomic():
                action(deal)
            result.done.append(pk)
        except (ObjectDoesNotExist, PermissionDenied):
            result.refused[pk] = _("Not found.")
        except ValidationError as exc:
            messages = [
                m for ms in getattr(exc, "message_dict", {"": exc.messages}).values() for m in ms
            ]
            result.refused[pk] = " ".join(messages)
    return result


def opportunity_bulk_reassign(*, by: Actor, ids: list[int], owner_id: int) -> BulkResult:
    errors: dict = {}
    _check_refs(by, {"owner_id": owner_id}, errors)
    if errors:
        raise ValidationError(errors)
    return _bulk(
        by,
        ids,
        lambda deal: opportunity_update(by=by, opportunity=deal, fields={"owner_id": owner_id}),
    )


def opportunity_bulk_move(*, by: Actor, ids: list[int], stage_id: int) -> BulkResult:
    """Move deals to a stage; each deal passes the gate on its own (one refusal does not
    stop the others). Deals of another pipeline are refused."""
    stage = Stage.objects.for_tenant(by.tenant).filter(pk=stage_id).first()
    if stage is None:
        raise ValidationError({"stage": _("No such stage in this organisation.")})

    def move(deal):
        if deal.pipeline_id != stage.pipeline_id:
            raise ValidationError({"stage": _("The deal is in another pipeline.")})
        opportunity_move(by=by, opportunity=deal, stage_id=stage.pk)

    return _bulk(by, ids, move)
