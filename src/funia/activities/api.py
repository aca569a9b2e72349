"""API of /activities, /activity-purposes and the contact registry's conflicts."""

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.utils import timezone
from ninja import Query, Router
from ninja.pagination import paginate

from funia.activities import registry, selectors, services
from funia.activities.filters import ActivityConflictFilter, ActivityFilter, ActivityPurposeFilter
from funia.activities.schemas import (
    ActivityCompleted,
    ActivityCompleteIn,
    ActivityConflictOut,
    ActivityIn,
    ActivityOut,
    ActivityPatch,
    ActivityPurposeIn,
    ActivityPurposeOut,
    ActivityPurposePatch,
    ConflictCheckIn,
    ConflictCheckOut,
)
from funia.api.concurrency import if_match, with_etag
from funia.api.pagination import Page
from funia.api.records import RecordRoutes
from funia.api.schemas import Id

router = Router(tags=["activities"])

REFERENCES = {
    "owner": "owner_id",
    "purpose": "purpose_id",
    "lead": "lead_id",
    "contact": "contact_id",
    "account": "account_id",
    "opportunity": "opportunity_id",
    "follow_up_of": "follow_up_of_id",
}
TEXT_FIELDS = ("subject", "description", "outcome", "location")


def activity_fields(data: dict) -> dict:
    """API payload -> service fields: references become *_id, null text becomes ''."""
    fields = {REFERENCES.get(name, name): value for name, value in data.items()}
    for name in TEXT_FIELDS:
        if name in fields and fields[name] is None:
            fields[name] = ""
    return fields


# Custom routes first: RecordRoutes' /activities/{activity_id} comes after them.


@router.post(
    "/activities/check-conflicts",
    response=ConflictCheckOut,
    operation_id="activity_check_conflicts",
    summary="Ask the contact registry about an outreach before saving it",
)
def check_conflicts(request, payload: ConflictCheckIn):
    actor = request.auth
    errors = selectors.probe_refs_visible(
        actor=actor, contact_id=payload.contact, account_id=payload.account, lead_id=payload.lead
    )
    if errors:
        raise ValidationError(errors)
    probe = registry.Probe(
        tenant=actor.tenant,
        owner_id=payload.owner or actor.user.pk,
        kind=payload.kind,
        purpose_id=payload.purpose,
        at=payload.at or timezone.now(),
        contact_id=payload.contact,
        account_id=payload.account,
        lead_id=payload.lead,
        exclude_id=payload.activity,
    )
    found = registry.find_conflicts(probe)
    return {
        "conflicts": [registry.conflict_data(a) for a in found],
        "messages": [registry.conflict_message(a) for a in found],
    }


@router.post(
    "/activities/{activity_id}/complete",
    response=ActivityCompleted,
    operation_id="activity_complete",
    summary="Mark done with the outcome; optionally create the follow-up (honours If-Match)",
)
def complete_activity(
    request, activity_id: Id, payload: ActivityCompleteIn, response: HttpResponse
):
    actor = request.auth
    activity = selectors.activity_get(actor=actor, pk=activity_id)
    follow_up = None
    if payload.follow_up is not None:
        follow_up = activity_fields(payload.follow_up.model_dump(exclude_unset=True))
    done, next_activity = services.activity_complete(
        by=actor,
        activity=activity,
        outcome=payload.outcome,
        done_at=payload.done_at,
        duration_minutes=payload.duration_minutes,
        follow_up=follow_up,
        if_match=if_match(request),
    )
    done = with_etag(response, selectors.activity_get(actor=actor, pk=done.pk))
    if next_activity is not None:
        next_activity = selectors.activity_get(actor=actor, pk=next_activity.pk)
    return {"activity": done, "follow_up": next_activity}


@router.get(
    "/activity-conflicts",
    response=list[ActivityConflictOut],
    operation_id="activity_conflict_list",
    summary="The contact registry's conflicts (managers, analysts, administrators)",
)
@paginate(Page)
def list_conflicts(request, filters: Query[ActivityConflictFilter]):
    return _ConflictPage(selectors.conflict_list(actor=request.auth, filters=filters))


class _ConflictPage:
    """A sliceable, countable view of the conflicts queryset that yields the API shape."""

    def __init__(self, queryset):
        self.queryset = queryset

    def count(self) -> int:
        return self.queryset.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        rows = self.queryset[index]
        return [_conflict_out(c) for c in rows]


def _side(activity) -> dict:
    data = registry.conflict_data(activity)
    return {
        "id": activity.pk,
        "subject": activity.subject,
        "kind": activity.kind,
        "user": data["user"],
        "team": data["team"],
        "at": activity.when,
        "purpose": activity.purpose_id,
        "contact": activity.contact_id,
        "account": activity.account_id,
        "lead": activity.lead_id,
    }


def _conflict_out(conflict) -> dict:
    return {
        "id": conflict.pk,
        "detected_at": conflict.detected_at,
        "activity": _side(conflict.activity),
        "earlier": _side(conflict.earlier),
        "message": registry.conflict_message(conflict.earlier),
    }


RecordRoutes(
    name="activity",
    plural="activities",
    label="activity",
    output=ActivityOut,
    create_input=ActivityIn,
    patch_input=ActivityPatch,
    filters=ActivityFilter,
    list_selector=selectors.activity_list,
    get_selector=selectors.activity_get,
    create=services.activity_create,
    update=services.activity_update,
    delete=services.activity_delete,
    restore=services.activity_restore,
    to_fields=activity_fields,
).register(router)

RecordRoutes(
    name="activity_purpose",
    plural="activity-purposes",
    label="activity purpose",
    output=ActivityPurposeOut,
    create_input=ActivityPurposeIn,
    patch_input=ActivityPurposePatch,
    filters=ActivityPurposeFilter,
    list_selector=selectors.activity_purpose_list,
    get_selector=selectors.activity_purpose_get,
    create=services.activity_purpose_create,
    update=services.activity_purpose_update,
    delete=services.activity_purpose_delete,
    restore=services.activity_purpose_restore,
).register(router)
