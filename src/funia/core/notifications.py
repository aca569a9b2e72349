"""In-app notifications: services and selectors, always scoped to one organisation and user."""

from django.db.models import QuerySet
from django.utils import timezone

from funia.core.models import Notification

NOTIFICATION_LIST_LIMIT = 200


def notify(*, tenant, user, kind: str, title: str, body: str = "", url: str = "") -> Notification:
    """Leave a message for `user` in `tenant` (shown under the bell in the top bar)."""
    return Notification.objects.create(
        tenant=tenant,
        user=user,
        kind=kind[:40],
        title=title[:300],
        body=body,
        url=url[:500],
    )


# Selectors -------------------------------------------------------------------------------


def notification_list(*, tenant, user, unread: bool | None = None) -> QuerySet[Notification]:
    """The user's notifications in the organisation, newest first."""
    qs = Notification.objects.filter(tenant=tenant, user=user)
    if unread is True:
        qs = qs.filter(read_at__isnull=True)
    elif unread is False:
        qs = qs.filter(read_at__isnull=False)
    return qs.order_by("-created_at", "-id")


def notification_get(*, tenant, user, notification_id: int) -> Notification:
    """One of the user's notifications; DoesNotExist (404) for anybody else's."""
    return Notification.objects.filter(tenant=tenant, user=user).get(pk=notification_id)


def unread_count(*, tenant, user) -> int:
    return Notification.objects.filter(tenant=tenant, user=user, read_at__isnull=True).count()


# Services --------------------------------------------------------------------------------


def mark_read(*, by, notification: Notification) -> Notification:
    """Mark one of the actor's own notifications read (idempotent)."""
    if notification.tenant_id != by.tenant.pk or notification.user_id != by.user.pk:
        raise Notification.DoesNotExist
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(tenant=by.tenant, pk=notification.pk).update(
            read_at=notification.read_at
        )
    return notification


def mark_all_read(*, by) -> int:
    """Mark every unread notification of the actor read; answers how many changed."""
    return Notification.objects.filter(tenant=by.tenant, user=by.user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
