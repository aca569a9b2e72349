"""Pages of the calendar: the public .ics feed, the feed settings page, meeting invitations."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from funia.activities import calendar, invitations
from funia.activities.models import Activity
from funia.activities.reminders import activity_path
from funia.core.visibility import visible_records
from funia.web.decorators import member_required


@never_cache
def calendar_feed_ics(request, token: str):
    """The user's feed, without login: the secret token in the address is the credential.

    An unknown or revoked token is 404 whatever the method; the feed is read-only (405)."""
    feed = calendar.calendar_feed_by_token(token)
    if feed is None:
        raise Http404
    if request.method not in {"GET", "HEAD"}:
        return HttpResponseNotAllowed(["GET", "HEAD"])
    base_url = request.build_absolute_uri("/").rstrip("/")
    response = HttpResponse(
        calendar.calendar_feed_ics(feed, base_url=base_url),
        content_type="text/calendar; charset=utf-8",
    )
    response["Content-Disposition"] = 'inline; filename="funia.ics"'
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response


def _feed_page(request, feed):
    url = request.build_absolute_uri(calendar.calendar_feed_path(feed)) if feed else ""
    webcal = url.replace("https://", "webcal://", 1).replace("http://", "webcal://", 1)
    return render(
        request,
        "activities/calendar_feed.html",
        {"feed": feed, "feed_url": url, "webcal_url": webcal},
    )


@member_required
def calendar_feed(request):
    """Show the feed address (creating it on first visit), with subscription instructions."""
    feed = calendar.calendar_feed_of(by=request.actor)
    if feed is None and request.method == "POST":
        feed = calendar.calendar_feed_get_or_create(by=request.actor)
        return redirect("calendar_feed")
    return _feed_page(request, feed)


@require_POST
@member_required
def calendar_feed_rotate(request):
    calendar.calendar_feed_rotate(by=request.actor)
    messages.success(
        request, _("Your calendar has a new address. Subscribe again with the new one.")
    )
    return redirect("calendar_feed")


@require_POST
@member_required
def calendar_feed_revoke(request):
    if calendar.calendar_feed_revoke(by=request.actor):
        messages.success(request, _("Your calendar address was revoked; it no longer works."))
    return redirect("calendar_feed")


@require_POST
@member_required
def activity_invite(request, pk: int):
    """Send the meeting invitation (button on the activity page); back to where it came from."""
    activity = (
        visible_records(Activity, request.actor)
        .select_related("tenant", "owner", "contact", "account", "purpose")
        .filter(pk=pk)
        .first()
    )
    if activity is None:
        raise Http404
    raw = request.POST.get("emails", "")
    emails = [e for e in raw.replace(";", ",").replace("\n", ",").split(",") if e.strip()]
    try:
        sent_to = invitations.meeting_invite(
            by=request.actor,
            activity=activity,
            emails=emails,
            base_url=request.build_absolute_uri("/").rstrip("/"),
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(
            request, _("Invitation sent to %(emails)s.") % {"emails": ", ".join(sent_to)}
        )
    return redirect(_back(request, activity))


def _back(request, activity) -> str:
    from django.utils.http import url_has_allowed_host_and_scheme

    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, request.is_secure()
    ):
        return target
    return activity_path(activity.pk)
