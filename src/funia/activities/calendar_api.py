"""API of the user's private calendar feed (/me/calendar-feed) and meeting invitations."""

from ninja import Field, Router, Schema, Status

from funia.activities import calendar, invitations
from funia.activities.models import Activity
from funia.api.schemas import Id, InputSchema
from funia.core.visibility import visible_records

router = Router(tags=["calendar"])


class CalendarFeedOut(Schema):
    url: str = Field(description="The secret iCalendar address; anyone with it can read it.")


class InvitationIn(InputSchema):
    emails: list[str] = Field(
        default_factory=list,
        max_length=invitations.MAX_INVITEES,
        description="Addresses invited besides the activity's contact (primary email).",
    )


class InvitationOut(Schema):
    sent_to: list[str]


def _feed_out(request, feed) -> dict:
    return {"url": request.build_absolute_uri(calendar.calendar_feed_path(feed))}


@router.get(
    "/me/calendar-feed",
    response=CalendarFeedOut,
    summary="Your private calendar feed address (created on first use)",
)
def calendar_feed_get(request):
    return _feed_out(request, calendar.calendar_feed_get_or_create(by=request.auth))


@router.post(
    "/me/calendar-feed/rotate",
    response=CalendarFeedOut,
    summary="Replace the feed address; the old one stops working",
)
def calendar_feed_rotate(request):
    return _feed_out(request, calendar.calendar_feed_rotate(by=request.auth))


@router.delete(
    "/me/calendar-feed", response={204: None}, summary="Revoke your calendar feed address"
)
def calendar_feed_revoke(request):
    calendar.calendar_feed_revoke(by=request.auth)
    return Status(204, None)


@router.post(
    "/activities/{activity_id}/invitation",
    response=InvitationOut,
    summary="Email a meeting or visit invitation (.ics) to the contact and more addresses",
)
def activity_invitation_send(request, activity_id: Id, payload: InvitationIn):
    activity = (
        visible_records(Activity, request.auth)
        .select_related("tenant", "owner", "contact", "account", "purpose")
        .get(pk=activity_id)
    )
    base_url = request.build_absolute_uri("/").rstrip("/")
    sent_to = invitations.meeting_invite(
        by=request.auth, activity=activity, emails=payload.emails, base_url=base_url
    )
    return {"sent_to": sent_to}
