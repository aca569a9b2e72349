"""Each user's private iCalendar feed (RFC 5545) and the events it is built from.

The feed address carries a secret token: whoever has it reads the user's calendar, so the
user can rotate it (a new address; the old one stops working) or revoke it.

What the feed holds: the user's own calls, meetings, visits and tasks of one organisation,
not deleted, from FEED_PAST_DAYS ago to FEED_FUTURE_DAYS ahead, at most FEED_MAX_EVENTS.
Calls, meetings and visits are timed events (DTSTART at the due time, DTEND after the
duration, DEFAULT_DURATION_MINUTES when none is set). Tasks are all-day events on their due
date in the organisation's time zone: calendar subscriptions in Google Calendar, Outlook and
Apple Calendar ignore VTODO, so a task as VTODO would simply not show up.
"""

from datetime import datetime, timedelta
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, vCalAddress, vText

from funia.activities.models import (
    CALENDAR_KINDS,
    Activity,
    ActivityKind,
    CalendarFeed,
    new_feed_token,
)
from funia.activities.reminders import activity_path, site_url
from funia.core.audit import AuditAction, audit_record
from funia.core.models import Membership

FEED_PAST_DAYS = 90
FEED_FUTURE_DAYS = 365
FEED_MAX_EVENTS = 2000
DEFAULT_DURATION_MINUTES = 30
PRODID = "-//Funia//Funia CRM//EN"
TIMED_KINDS = frozenset({ActivityKind.CALL, ActivityKind.MEETING, ActivityKind.VISIT})


# -- the feed record ----------------------------------------------------------------------


def calendar_feed_path(feed: CalendarFeed) -> str:
    return reverse("calendar_feed_ics", kwargs={"token": feed.token})


def calendar_feed_of(*, by) -> CalendarFeed | None:
    """The actor's feed in their organisation, if they have one."""
    return CalendarFeed.objects.filter(tenant=by.tenant, user=by.user).first()


def calendar_feed_get_or_create(*, by) -> CalendarFeed:
    """The actor's feed, created on first use (one per user per organisation)."""
    feed = calendar_feed_of(by=by)
    if feed is not None:
        return feed
    try:
        with transaction.atomic():
            feed = CalendarFeed.objects.create(tenant=by.tenant, user=by.user)
            audit_record(by=by, obj=feed, action=AuditAction.CREATE, changes={})
    except IntegrityError:  # created concurrently: use that one
        feed = CalendarFeed.objects.filter(tenant=by.tenant, user=by.user).get()
    return feed


def calendar_feed_rotate(*, by) -> CalendarFeed:
    """Give the actor's feed a new secret address; the old address stops working."""
    with transaction.atomic():
        feed = (
            CalendarFeed.objects.filter(tenant=by.tenant, user=by.user).select_for_update().first()
        )
        if feed is None:
            feed = CalendarFeed.objects.create(tenant=by.tenant, user=by.user)
            audit_record(by=by, obj=feed, action=AuditAction.CREATE, changes={})
            return feed
        feed.token = new_feed_token()
        feed.save(update_fields=["token"])
        audit_record(by=by, obj=feed, action=AuditAction.UPDATE, changes={"token": ["*", "*"]})
    return feed


def calendar_feed_revoke(*, by) -> bool:
    """Remove the actor's feed: its address answers 404 from now on. True if there was one."""
    with transaction.atomic():
        feed = calendar_feed_of(by=by)
        if feed is None:
            return False
        audit_record(by=by, obj=feed, action=AuditAction.DELETE, changes={})
        CalendarFeed.objects.filter(tenant=by.tenant, pk=feed.pk).delete()
    return True


def calendar_feed_by_token(token: str) -> CalendarFeed | None:
    """The feed a public address names, if it still exists and its user is still an active
    member of the organisation. The token is the credential: lookups cross organisations."""
    if not token or len(token) > 64:
        return None
    feed = (
        CalendarFeed.objects.across_tenants()
        .select_related("tenant", "user")
        .filter(token=token)
        .first()
    )
    if feed is None or not feed.user.is_active:
        return None
    member = Membership.objects.filter(tenant=feed.tenant, user=feed.user, is_active=True)
    return feed if member.exists() else None


# -- building iCalendar -------------------------------------------------------------------


def uid_host() -> str:
    """The domain part of event UIDs: fixed per installation so UIDs never change."""
    host = urlparse(site_url()).hostname if site_url() else ""
    if not host:
        host = next(
            (h for h in settings.ALLOWED_HOSTS if h and not h.startswith((".", "*", "["))),
            "funia.invalid",
        )
    return host


def activity_uid(activity: Activity) -> str:
    """The same UID in the feed and in every invitation, so clients update one event."""
    return f"activity-{activity.pk}@{uid_host()}"


def feed_activities(feed: CalendarFeed, *, now: datetime | None = None) -> list[Activity]:
    """The feed's activities, in one query: the user's own, alive, in the window, capped."""
    now = now or timezone.now()
    start, end = now - timedelta(days=FEED_PAST_DAYS), now + timedelta(days=FEED_FUTURE_DAYS)
    return list(
        Activity.objects.for_tenant(feed.tenant)
        .filter(owner_id=feed.user_id, kind__in=sorted(CALENDAR_KINDS))
        .annotate(starts=Coalesce("due_at", "done_at"))
        .filter(Q(starts__gte=start) & Q(starts__lt=end))
        .select_related("contact", "account", "purpose", "owner")
        .order_by("starts", "id")[:FEED_MAX_EVENTS]
    )


def _description(activity: Activity) -> str:
    lines = []
    customer = ", ".join(str(c) for c in (activity.contact, activity.account) if c is not None)
    if customer:
        lines.append(_("Customer: %(customer)s") % {"customer": customer})
    if activity.purpose_id:
        lines.append(_("Purpose: %(purpose)s") % {"purpose": activity.purpose})
    if activity.description:
        lines.append(activity.description)
    if activity.outcome:
        lines.append(_("Outcome: %(outcome)s") % {"outcome": activity.outcome})
    return "\n".join(lines)


def activity_event(
    activity: Activity, *, base_url: str, tz: ZoneInfo, stamp: datetime | None = None
) -> Event | None:
    """The VEVENT of one activity (None when it has no date)."""
    starts = activity.due_at or activity.done_at
    if starts is None:
        return None
    event = Event()
    event.add("uid", activity_uid(activity))
    event.add("dtstamp", stamp or activity.updated_at)
    event.add("created", activity.created_at)
    event.add("last-modified", activity.updated_at)
    event.add("sequence", activity.version)
    summary = activity.subject
    if activity.kind == ActivityKind.TASK:
        if activity.is_done:
            summary = f"✓ {summary}"
        day = timezone.localtime(starts, tz).date()
        event.add("dtstart", day)
        event.add("dtend", day + timedelta(days=1))
        event.add("transp", "TRANSPARENT")
    else:
        minutes = activity.duration_minutes or DEFAULT_DURATION_MINUTES
        event.add("dtstart", starts)
        event.add("dtend", starts + timedelta(minutes=minutes))
    event.add("summary", summary)
    event.add("categories", [str(ActivityKind(activity.kind).label)])
    description = _description(activity)
    if description:
        event.add("description", description)
    if activity.location:
        event.add("location", activity.location)
    # VEVENT statuses are TENTATIVE, CONFIRMED and CANCELLED; a planned or done item stands.
    event.add("status", "CONFIRMED")
    event.add("url", f"{base_url}{activity_path(activity.pk)}")
    return event


def _calendar(name: str, tz_name: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", tz_name)
    return cal


def calendar_feed_ics(feed: CalendarFeed, *, base_url: str, now: datetime | None = None) -> bytes:
    """The feed as iCalendar bytes."""
    tenant = feed.tenant
    tz = ZoneInfo(tenant.time_zone)
    cal = _calendar(f"Funia · {tenant.name}", tenant.time_zone)
    cal.add("x-published-ttl", "PT1H")
    cal.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    for activity in feed_activities(feed, now=now):
        event = activity_event(activity, base_url=base_url, tz=tz)
        if event is not None:
            cal.add_component(event)
    return cal.to_ical()


def invitation_ics(activity: Activity, *, emails: list[str], base_url: str) -> bytes:
    """A METHOD:REQUEST calendar inviting `emails` to `activity`, organised by its owner."""
    tenant = activity.tenant
    cal = _calendar(tenant.name, tenant.time_zone)
    cal.add("method", "REQUEST")
    event = activity_event(
        activity, base_url=base_url, tz=ZoneInfo(tenant.time_zone), stamp=timezone.now()
    )
    owner = activity.owner
    if owner is not None:
        organizer = vCalAddress(f"mailto:{owner.email}")
        organizer.params["cn"] = vText(str(owner))
        event.add("organizer", organizer)
    for email in emails:
        attendee = vCalAddress(f"mailto:{email}")
        attendee.params["role"] = vText("REQ-PARTICIPANT")
        attendee.params["partstat"] = vText("NEEDS-ACTION")
        attendee.params["rsvp"] = vText("TRUE")
        event.add("attendee", attendee, encode=0)
    cal.add_component(event)
    return cal.to_ical()
