"""API of merges: POST /contacts/merge, POST /accounts/merge, GET /merges/{id}, undo.

Registered before the customers router: Ninja turns `/contacts/{contact_id}` into a Django
pattern that would otherwise capture `/contacts/merge`.
"""

from datetime import datetime
from typing import Annotated, Literal

from django.core.exceptions import ValidationError
from ninja import Router, Schema, Status
from pydantic import Field

from funia.api.problems import problem
from funia.api.schemas import Id, InputSchema
from funia.customers import merge as merging
from funia.customers.models import Account, Contact

router = Router(tags=["customers"])

FieldName = Annotated[str, Field(min_length=1, max_length=120)]


class MergeIn(InputSchema):
    survivor: Id = Field(description="The record that remains.")
    merged: list[Id] = Field(
        min_length=1,
        max_length=merging.MAX_MERGED,
        description="Records merged into the survivor (they go to the trash).",
    )
    fields: dict[FieldName, Id] = Field(
        default_factory=dict,
        max_length=200,
        description=(
            'Field name (or "custom.<key>") -> id of the record to take its value from; '
            "fields not named take the most recent non-empty value."
        ),
    )


class MergeOut(Schema):
    id: int
    type: Literal["contact", "account"]
    survivor: int
    merged: list[int]
    created_at: datetime
    undo_until: datetime
    undone_at: datetime | None


def merge_out(merge) -> dict:
    return {
        "id": merge.pk,
        "type": merge.type,
        "survivor": merge.survivor_id,
        "merged": list(merge.merged_ids),
        "created_at": merge.created_at,
        "undo_until": merge.undo_until,
        "undone_at": merge.undone_at,
    }


def refused(exc: ValidationError):
    """A refused merge or undo: 422 whose detail says why, with the field errors."""
    if hasattr(exc, "error_dict"):
        errors = [
            {"field": field, "message": message}
            for field, messages in exc.message_dict.items()
            for message in messages
        ]
    else:
        errors = [{"field": "__all__", "message": message} for message in exc.messages]
    return problem(422, " ".join(e["message"] for e in errors), errors=errors)


def _merge(request, model, service, payload: MergeIn):
    actor = request.auth
    records = merging.records_for_merge(
        actor=actor, model=model, ids=[payload.survivor, *payload.merged]
    )
    try:
        merge = service(by=actor, survivor=records[0], merged=records[1:], fields=payload.fields)
    except ValidationError as exc:
        return refused(exc)
    return Status(201, merge_out(merging.merge_get(actor=actor, pk=merge.pk)))


@router.post(
    "/contacts/merge",
    response={201: MergeOut},
    summary="Merge contacts into a survivor (undo with /merges/{merge_id}/undo)",
)
def contact_merge(request, payload: MergeIn):
    return _merge(request, Contact, merging.contact_merge, payload)


@router.post(
    "/accounts/merge",
    response={201: MergeOut},
    summary="Merge accounts into a survivor (their contacts and child accounts move too)",
)
def account_merge(request, payload: MergeIn):
    return _merge(request, Account, merging.account_merge, payload)


@router.get("/merges/{merge_id}", response=MergeOut, summary="Read one merge")
def merge_get(request, merge_id: Id):
    return merge_out(merging.merge_get(actor=request.auth, pk=merge_id))


@router.post(
    "/merges/{merge_id}/undo",
    response=MergeOut,
    summary="Undo a merge (within the organisation's undo window)",
)
def merge_undo(request, merge_id: Id):
    merge = merging.merge_get(actor=request.auth, pk=merge_id)
    try:
        merge = merging.merge_undo(by=request.auth, merge=merge)
    except ValidationError as exc:
        return refused(exc)
    return merge_out(merging.merge_get(actor=request.auth, pk=merge.pk))
