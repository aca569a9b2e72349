"""Activity reminders: a job per reminder at `remind_at`, plus a catch-up for lost jobs.

A reminder is delivered at most once: delivery re-reads the activity and only proceeds when
it is still due (alive, not done, `remind_at` unchanged and past, `reminded_at` empty), and
claims it with a conditional update, so a stale job or a second worker never delivers twice.
The owner gets an in-app notification and an email in their language.
"""

import logging
from datetime import datetime

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from funia.core.jobs import enqueue_on_commit
from funia.core.models import Membership

log = logging.getLogger(__name__)

CATCH_UP_BATCH = 500


def schedule_reminder(activity) -> None:
    """Enqueue the reminder job of `activity` to run at its `remind_at` (after commit).

    Safe to call on every change: a job whose `remind_at` no longer matches does nothing.
    A `remind_at` later than the last delivery is a new reminder: it is delivered again."""
    if activity.remind_at is None:
        return
    if activity.reminded_at is not None:
        if activity.remind_at <= activity.reminded_at:
            return
        from funia.activities.models import Activity

        Activity.objects.for_tenant(activity.tenant_id).filter(
            pk=activity.pk, remind_at=activity.remind_at
        ).update(reminded_at=None)
        activity.reminded_at = None
    from funia.activities.tasks import deliver_reminder

    enqueue_on_commit(
        deliver_reminder.using(run_after=activity.remind_at),
        activity.tenant_id,
        activity.pk,
        activity.remind_at.isoformat(),
    )


def site_url() -> str:
    """The public base address (scheme + host) for links in emails and feeds, or ''.

    From the FUNIA_BASE_URL setting, else the first trusted origin."""
    base = settings.FUNIA_BASE_URL
    if not base and settings.CSRF_TRUSTED_ORIGINS:
        base = settings.CSRF_TRUSTED_ORIGINS[0]
    return base.rstrip("/")


def activity_path(activity_id: int) -> str:
    try:
        return reverse("activity_detail", kwargs={"pk": activity_id})
    except NoReverseMatch:
        return f"/activities/{activity_id}/"


def user_language(user, tenant) -> str:
    return getattr(user, "language", "") or tenant.language or settings.LANGUAGE_CODE


def _is_due(activity, now) -> bool:
    return (
        activity.deleted_at is None
        and activity.done_at is None
        and activity.reminded_at is None
        and activity.remind_at is not None
        and activity.remind_at <= now
    )


def _claim(activity, now) -> bool:
    """Mark the reminder delivered unless someone else did first (or it changed)."""
    from funia.activities.models import Activity

    return bool(
        Activity.objects.for_tenant(activity.tenant_id)
        .filter(
            pk=activity.pk,
            remind_at=activity.remind_at,
            reminded_at__isnull=True,
            done_at__isnull=True,
        )
        .update(reminded_at=now)
    )


def _deliver(activity, now) -> bool:
    """Deliver one due reminder (claim, notify, email) in one transaction."""
    from funia.core.notifications import notify

    with transaction.atomic():
        if not _claim(activity, now):
            return False
        activity.reminded_at = now
        owner = activity.owner
        tenant = activity.tenant
        if owner is None or not owner.is_active:
            return True
        is_member = Membership.objects.filter(tenant=tenant, user=owner, is_active=True).exists()
        if not is_member:
            return True
        path = activity_path(activity.pk)
        with (
            translation.override(user_language(owner, tenant)),
            timezone.override(tenant.time_zone),
        ):
            moment = activity.due_at or activity.remind_at
            when = formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")
            title = _("Reminder: %(subject)s, %(when)s") % {
                "subject": activity.subject,
                "when": when,
            }
            lines = [activity.subject, _("When: %(when)s") % {"when": when}]
            if activity.location:
                lines.append(_("Where: %(location)s") % {"location": activity.location})
            customer = activity.contact or activity.account
            if customer is not None:
                lines.append(_("Customer: %(customer)s") % {"customer": customer})
            if activity.description:
                lines += ["", activity.description]
            body = "\n".join(lines)
            notify(tenant=tenant, user=owner, kind="reminder", title=title, body=body, url=path)
            if owner.email:
                link = f"{site_url()}{path}"
                EmailMessage(
                    subject=title,
                    body=f"{body}\n\n{link}\n",
                    to=[owner.email],
                ).send()
    return True


def reminder_deliver(*, tenant_id: int, activity_id: int, remind_at: datetime) -> bool:
    """The job: deliver the reminder planned for `remind_at` if still due. True if sent."""
    from funia.activities.models import Activity

    activity = (
        Activity.objects.for_tenant(tenant_id)
        .select_related("owner", "tenant", "contact", "account")
        .filter(pk=activity_id)
        .first()
    )
    now = timezone.now()
    if activity is None or activity.remind_at != remind_at or not _is_due(activity, now):
        return False
    return _deliver(activity, now)


def reminders_deliver_due(*, now: datetime | None = None) -> int:
    """Deliver every overdue, undelivered reminder of every organisation (the catch-up for
    jobs that were lost). Uses the partial index `activity_reminder_due`. Answers how many."""
    from funia.activities.models import Activity

    now = now or timezone.now()
    delivered = 0
    last_id = 0
    while True:
        batch = list(
            Activity.objects.across_tenants()
            .filter(
                remind_at__lte=now,
                reminded_at__isnull=True,
                deleted_at__isnull=True,
                done_at__isnull=True,
                pk__gt=last_id,
            )
            .select_related("owner", "tenant", "contact", "account")
            .order_by("pk")[:CATCH_UP_BATCH]
        )
        if not batch:
            return delivered
        for activity in batch:
            last_id = activity.pk
            try:
                delivered += _deliver(activity, now)
            except Exception:
                log.exception("Reminder of activity %s could not be delivered", activity.pk)
