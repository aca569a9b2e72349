"""Pages of in-app notifications: the list, marking read, and the top bar's bell."""

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from funia.core import notifications
from funia.core.models import Notification
from funia.web.decorators import member_required

PAGE_SIZE = 30


@member_required
def notification_list(request):
    actor = request.actor
    unread_only = request.GET.get("unread") in {"true", "1"}
    qs = notifications.notification_list(
        tenant=actor.tenant, user=actor.user, unread=True if unread_only else None
    )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "core/notifications.html",
        {
            "page": page,
            "unread_only": unread_only,
            "unread_count": notifications.unread_count(tenant=actor.tenant, user=actor.user),
            "base_query": "unread=true" if unread_only else "",
        },
    )


@require_POST
@member_required
def notification_read(request, notification_id: int):
    """Mark one read; with `open`, go to what it is about (a page of this site only)."""
    actor = request.actor
    try:
        notification = notifications.notification_get(
            tenant=actor.tenant, user=actor.user, notification_id=notification_id
        )
    except Notification.DoesNotExist as exc:
        raise Http404 from exc
    notifications.mark_read(by=actor, notification=notification)
    target = notification.url
    if (
        request.POST.get("open")
        and target.startswith("/")
        and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure())
    ):
        return redirect(target)
    return redirect("notification_list")


@require_POST
@member_required
def notification_read_all(request):
    notifications.mark_all_read(by=request.actor)
    return redirect("notification_list")


@require_GET
@member_required
def notification_bell(request):
    """The bell alone, for the top bar's poll."""
    actor = request.actor
    return render(
        request,
        "core/notifications_bell.html",
        {
            "actor": actor,
            "unread": notifications.unread_count(tenant=actor.tenant, user=actor.user),
        },
    )
