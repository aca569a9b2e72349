"""Writes of pipelines, their stages and the exchange-rate table (administrators only).

A pipeline is saved with its whole ordered list of stages: stages named by `id` are kept
and updated, stages without one are added, and stages left out are removed, which is
refused while a deal is in them or their history mentions them (history never changes).
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from funia.analytics import facts as funnel_facts
from funia.core.actor import Actor
from funia.core.audit import AuditAction, audit_record
from funia.core.records import record_create, record_restore, record_soft_delete, record_update
from funia.core.visibility import require_admin
from funia.sales import money
from funia.sales.models import (
    ExchangeRate,
    Opportunity,
    Pipeline,
    Stage,
    StageChange,
    StageKind,
)

# Opportunity fields a stage may require before a deal enters it.
GATE_FIELDS = (
    "account",
    "contact",
    "amount",
    "expected_close_date",
    "next_step",
    "source",
    "description",
    "lost_reason",
)
STAGE_FIELDS = ("name", "probability", "kind", "required_fields")


def _clean_stages(raw: list[dict]) -> list[dict]:
    if not raw:
        raise ValidationError({"stages": _("A pipeline needs its stages.")})
    stages, errors = [], []
    for index, item in enumerate(raw):
        name = (item.get("name") or "").strip()
        kind = item.get("kind") or StageKind.OPEN
        probability = item.get("probability")
        required = list(item.get("required_fields") or [])
        if not name:
            errors.append(_("Stage %(n)d needs a name.") % {"n": index + 1})
        if kind not in StageKind.values:
            errors.append(_("Stage %(n)d: unknown kind.") % {"n": index + 1})
        if probability is None:
            probability = {"won": 100, "lost": 0}.get(kind, 0)
        if not 0 <= int(probability) <= 100:
            errors.append(_("Stage %(n)d: a probability is between 0 and 100.") % {"n": index + 1})
        unknown = [f for f in required if f not in GATE_FIELDS]
        if unknown:
            errors.append(
                _("Stage %(n)d: %(fields)s cannot be required; choose from %(allowed)s.")
                % {"n": index + 1, "fields": ", ".join(unknown), "allowed": ", ".join(GATE_FIELDS)}
            )
        stages.append(
            {
                "id": item.get("id"),
                "name": name,
                "kind": kind,
                "probability": int(probability),
                "required_fields": required,
            }
        )
    kinds = {s["kind"] for s in stages}
    if not {StageKind.OPEN, StageKind.WON, StageKind.LOST} <= kinds:
        errors.append(_("A pipeline needs at least one open, one won and one lost stage."))
    names = [s["name"].casefold() for s in stages]
    if len(set(names)) != len(names):
        errors.append(_("Stage names must differ within a pipeline."))
    if errors:
        raise ValidationError({"stages": errors})
    return stages


def _save_stages(pipeline: Pipeline, raw: list[dict]) -> list[list]:
    """Apply the stage list; returns its audit form [[id, name, kind, probability], ...]."""
    stages = _clean_stages(raw)
    existing = {
        s.pk: s for s in Stage.objects.for_tenant(pipeline.tenant_id).filter(pipeline=pipeline)
    }
    unknown = [s["id"] for s in stages if s["id"] is not None and s["id"] not in existing]
    if unknown:
        raise ValidationError(
            {"stages": _("Stage %(id)s is not in this pipeline.") % {"id": unknown[0]}}
        )
    kept = {s["id"] for s in stages if s["id"] is not None}
    for stage in existing.values():
        if stage.pk in kept:
            continue
        in_use = (
            Opportunity.objects.for_tenant(pipeline.tenant_id, with_deleted=True)
            .filter(stage=stage)
            .exists()
            or StageChange.objects.for_tenant(pipeline.tenant_id).filter(to_stage=stage).exists()
        )
        if in_use:
            raise ValidationError(
                {
                    "stages": _(
                        "The stage “%(name)s” has deals or history; move the deals and keep "
                        "the stage."
                    )
                    % {"name": stage.name}
                }
            )
        stage.delete()
    saved = []
    for position, data in enumerate(stages):
        stage = existing.get(data["id"]) or Stage(tenant_id=pipeline.tenant_id, pipeline=pipeline)
        stage.position = position
        for name in STAGE_FIELDS:
            setattr(stage, name, data[name])
        stage.full_clean()
        stage.save()
        saved.append([stage.pk, stage.name, stage.kind, stage.probability])
    return saved


def _make_only_default(pipeline: Pipeline) -> None:
    if pipeline.is_default:
        Pipeline.objects.for_tenant(pipeline.tenant_id).exclude(pk=pipeline.pk).filter(
            is_default=True
        ).update(is_default=False)


def pipeline_create(*, by: Actor, stages: list[dict], **fields) -> Pipeline:
    require_admin(by)
    with transaction.atomic():
        first = not Pipeline.objects.for_tenant(by.tenant).exists()
        fields.setdefault("is_default", first)
        pipeline = record_create(model=Pipeline, by=by, **fields)
        saved = _save_stages(pipeline, stages)
        funnel_facts.pipeline_changed(tenant=by.tenant, pipeline=pipeline)
        audit_record(
            by=by, obj=pipeline, action=AuditAction.UPDATE, changes={"stages": [None, saved]}
        )
        _make_only_default(pipeline)
    return pipeline


def pipeline_update(
    *, by: Actor, pipeline: Pipeline, fields: dict, if_match: str | None = None
) -> Pipeline:
    require_admin(by)
    fields = dict(fields)
    stages = fields.pop("stages", None)
    with transaction.atomic():
        before = None
        if stages is not None:
            before = [
                [s.pk, s.name, s.kind, s.probability]
                for s in Stage.objects.for_tenant(by.tenant).filter(pipeline=pipeline)
            ]
        extra = {}
        if stages is not None:
            after = _save_stages(pipeline, stages)
            funnel_facts.pipeline_changed(tenant=by.tenant, pipeline=pipeline)
            if after != before:
                extra = {"stages": [before, after]}
        pipeline = record_update(
            obj=pipeline, by=by, fields=fields, if_match=if_match, extra_changes=extra
        )
        _make_only_default(pipeline)
    return pipeline


def pipeline_delete(*, by: Actor, pipeline: Pipeline, if_match: str | None = None) -> Pipeline:
    require_admin(by)
    if Opportunity.objects.for_tenant(by.tenant).filter(pipeline=pipeline).exists():
        raise ValidationError(
            {"pipeline": _("This pipeline has open or closed deals; move them first.")}
        )
    return record_soft_delete(obj=pipeline, by=by, if_match=if_match)


def pipeline_restore(*, by: Actor, pipeline: Pipeline, if_match: str | None = None) -> Pipeline:
    require_admin(by)
    return record_restore(obj=pipeline, by=by, if_match=if_match)


def exchange_rate_create(*, by: Actor, currency: str, rate: Decimal) -> ExchangeRate:
    require_admin(by)
    currency = money.normalize_currency(currency)
    if currency == by.tenant.currency:
        raise ValidationError(
            {"currency": _("This is the organisation's own currency; its rate is always 1.")}
        )
    if ExchangeRate.objects.for_tenant(by.tenant).filter(currency=currency).exists():
        raise ValidationError({"currency": _("There is already a rate for this currency.")})
    _check_rate(rate)
    with transaction.atomic():
        record = record_create(model=ExchangeRate, by=by, currency=currency, rate=rate)
        _rebase(by, currency)
    return record


def _check_rate(rate) -> None:
    if rate is None or rate <= 0:
        raise ValidationError({"rate": _("A rate is a positive number.")})


def _rebase(by: Actor, currency: str) -> None:
    """Recompute the organisation-currency amounts of deals in `currency`."""
    rate = money.rate_of(by.tenant, currency)
    deals = Opportunity.objects.for_tenant(by.tenant, with_deleted=True).filter(
        currency=currency, amount__isnull=False
    )
    batch = []
    for deal in deals.only("pk", "amount").iterator(chunk_size=2000):
        deal.amount_base = (deal.amount * rate).quantize(money.CENT)
        batch.append(deal)
    # bulk_update runs through the default manager: scope it to the tenant explicitly.
    Opportunity.objects.for_tenant(by.tenant, with_deleted=True).bulk_update(
        batch, ["amount_base"], batch_size=1000
    )


def exchange_rate_update(
    *, by: Actor, exchange_rate: ExchangeRate, fields: dict, if_match: str | None = None
) -> ExchangeRate:
    require_admin(by)
    fields = {k: v for k, v in fields.items() if k == "rate"}
    if "rate" in fields:
        _check_rate(fields["rate"])
    with transaction.atomic():
        record = record_update(obj=exchange_rate, by=by, fields=fields, if_match=if_match)
        _rebase(by, record.currency)
    return record


def exchange_rate_delete(
    *, by: Actor, exchange_rate: ExchangeRate, if_match: str | None = None
) -> ExchangeRate:
    require_admin(by)
    if Opportunity.objects.for_tenant(by.tenant).filter(currency=exchange_rate.currency).exists():
        raise ValidationError(
            {"currency": _("Deals are in this currency; their amounts need the rate.")}
        )
    return record_soft_delete(obj=exchange_rate, by=by, if_match=if_match)


def exchange_rate_restore(
    *, by: Actor, exchange_rate: ExchangeRate, if_match: str | None = None
) -> ExchangeRate:
    require_admin(by)
    if ExchangeRate.objects.for_tenant(by.tenant).filter(currency=exchange_rate.currency).exists():
        raise ValidationError({"currency": _("There is already a rate for this currency.")})
    return record_restore(obj=exchange_rate, by=by, if_match=if_match)
