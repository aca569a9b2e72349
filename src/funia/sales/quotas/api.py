"""API of quotas (/quotas): the standard record routes plus a bulk "set" for planning
tools. A second quota for the same rep or team and period answers 409."""

from django.utils.translation import gettext as _
from ninja import Router
from ninja.errors import HttpError

from funia.api.records import RecordRoutes
from funia.core.periods import period_label
from funia.sales.quotas import selectors, services
from funia.sales.quotas.filters import QuotaFilter
from funia.sales.quotas.schemas import QuotaBulkIn, QuotaBulkOut, QuotaIn, QuotaOut, QuotaPatch

router = Router(tags=["quotas"])

REFERENCES = {"user": "user_id", "team": "team_id"}


def quota_fields(data: dict) -> dict:
    """API payload -> service fields: `user`/`team` become *_id; a null amount in a PATCH
    leaves it unchanged; a null note is empty."""
    fields = {REFERENCES.get(name, name): value for name, value in data.items()}
    if "amount" in fields and fields["amount"] is None:
        fields.pop("amount")
    if "note" in fields and fields["note"] is None:
        fields["note"] = ""
    return fields


def _conflict(exc: services.DuplicateQuota) -> HttpError:
    existing = exc.existing
    return HttpError(
        409,
        _(
            "There is already a quota for this %(who)s and %(period)s (id %(id)d); change "
            "its amount with PATCH /api/v1/quotas/%(id)d."
        )
        % {
            "who": _("rep") if existing.user_id is not None else _("team"),
            "period": period_label(existing.period, existing.start),
            "id": existing.pk,
        },
    )


def quota_create(*, by, **fields):
    try:
        return services.quota_create(by=by, **fields)
    except services.DuplicateQuota as exc:
        raise _conflict(exc) from None


def quota_restore(*, by, quota, if_match=None):
    try:
        return services.quota_restore(by=by, quota=quota, if_match=if_match)
    except services.DuplicateQuota as exc:
        raise _conflict(exc) from None


# Before the record routes (a habit: /quotas/{quota_id} must not capture fixed paths).
@router.post(
    "/quotas/bulk",
    response=QuotaBulkOut,
    operation_id="quota_bulk_set",
    summary="Set many quotas at once (create, update or remove each; reported per row)",
    description=(
        "Each item names its rep (`user`) or `team`, the `period` and its `start`, and the "
        "`amount` (null removes the quota to the trash). Each row is done or refused on its "
        "own: `status` is created, updated, unchanged, deleted, absent (nothing to remove) "
        "or error with the row's field `errors`. At most 500 rows. Administrators set any "
        "quota; sales managers those of the teams they manage and of their members (403 for "
        "other roles)."
    ),
)
def quota_bulk_set(request, payload: QuotaBulkIn):
    rows = [quota_fields(item.model_dump()) for item in payload.items]
    for row in rows:
        row.setdefault("amount", None)
    results = services.quota_bulk_set(by=request.auth, rows=rows)
    counts = {status: 0 for status in ("created", "updated", "unchanged", "deleted")}
    for result in results:
        if result["status"] in counts:
            counts[result["status"]] += 1
    failed = sum(1 for r in results if r["status"] == "error")
    return {"items": results, **counts, "failed": failed}


RecordRoutes(
    name="quota",
    plural="quotas",
    label="quota",
    output=QuotaOut,
    create_input=QuotaIn,
    patch_input=QuotaPatch,
    filters=QuotaFilter,
    list_selector=selectors.quota_list,
    get_selector=selectors.quota_get,
    create=quota_create,
    update=services.quota_update,
    delete=services.quota_delete,
    restore=quota_restore,
    to_fields=quota_fields,
).register(router)
