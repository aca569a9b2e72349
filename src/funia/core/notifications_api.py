"""API of in-app notifications (/notifications): the caller's own, in their organisation."""

from datetime import datetime

from ninja import Router, Schema
from ninja.pagination import paginate

from funia.api.pagination import Page
from funia.api.schemas import Id
from funia.core import notifications

router = Router(tags=["notifications"])


class NotificationOut(Schema):
    id: int
    kind: str
    title: str
    body: str
    url: str
    created_at: datetime
    read_at: datetime | None


class ReadAllOut(Schema):
    marked_read: int


@router.get("/notifications", response=list[NotificationOut], summary="Your notifications")
@paginate(Page)
def notification_list(request, unread: bool | None = None):
    """Newest first; `?unread=true` for the unread ones only."""
    return notifications.notification_list(
        tenant=request.auth.tenant, user=request.auth.user, unread=unread
    )


@router.post(
    "/notifications/read-all", response=ReadAllOut, summary="Mark all your notifications read"
)
def notification_read_all(request):
    return {"marked_read": notifications.mark_all_read(by=request.auth)}


@router.post(
    "/notifications/{notification_id}/read",
    response=NotificationOut,
    summary="Mark a notification read",
)
def notification_read(request, notification_id: Id):
    notification = notifications.notification_get(
        tenant=request.auth.tenant, user=request.auth.user, notification_id=notification_id
    )
    return notifications.mark_read(by=request.auth, notification=notification)
