"""Meeting invitations: an email with an iCalendar REQUEST (.ics) to the customer.

The invitation carries the same UID as the user's calendar feed and SEQUENCE = the activity's
version, so sending it again after a change updates the event in the attendee's calendar
instead of adding a second one. Each invitation is recorded in the activity's audit trail.
"""

from email.mime.text import MIMEText

from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.db import transaction
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from funia.activities.calendar import invitation_ics
from funia.activities.models import ActivityKind
from funia.activities.reminders import site_url
from funia.core.audit import AuditAction, audit_record
from funia.core.visibility import require_change, require_writer

INVITABLE_KINDS = frozenset({ActivityKind.MEETING, ActivityKind.VISIT})
MAX_INVITEES = 50


def _clean_emails(emails) -> list[str]:
    cleaned, bad = [], []
    for raw in emails or []:
        email = str(raw).strip().lower()
        if not email:
            continue
        try:
            validate_email(email)
        except ValidationError:
            bad.append(str(raw))
            continue
        if email not in cleaned:
            cleaned.append(email)
    if bad:
        raise ValidationError(
            {"emails": _("Not valid email addresses: %(emails)s") % {"emails": ", ".join(bad)}}
        )
    return cleaned


def invitation_recipients(activity, emails=None) -> list[str]:
    """The contact's primary email (if any) followed by the given addresses, once each."""
    extra = _clean_emails(emails)
    recipients = []
    contact = activity.contact
    if contact is not None and contact.deleted_at is None:
        primary = contact.points.filter(kind="email").order_by("position", "id").first()
        if primary is not None:
            recipients.append(primary.value.lower())
    return recipients + [e for e in extra if e not in recipients]


def meeting_invite(*, by, activity, emails=None, base_url: str | None = None) -> list[str]:
    """Email an invitation to `activity` (a meeting or visit) with a REQUEST .ics attached.

    Goes to the activity's contact (primary email) and any `emails`; answers who got it."""
    require_writer(by)
    require_change(by, activity)
    errors = {}
    if activity.kind not in INVITABLE_KINDS:
        errors["kind"] = _("Only meetings and visits can be sent as invitations.")
    elif activity.due_at is None:
        errors["due_at"] = _("Set the date and time of the meeting before inviting.")
    if errors:
        raise ValidationError(errors)
    recipients = invitation_recipients(activity, emails)
    if not recipients:
        raise ValidationError(
            {"emails": _("Nobody to invite: the contact has no email; add an address.")}
        )
    if len(recipients) > MAX_INVITEES:
        raise ValidationError(
            {"emails": _("At most %(n)d people can be invited at once.") % {"n": MAX_INVITEES}}
        )
    base_url = site_url() if base_url is None else base_url.rstrip("/")
    ics = invitation_ics(activity, emails=recipients, base_url=base_url)
    tenant = activity.tenant
    owner = activity.owner
    with translation.override(tenant.language), timezone.override(tenant.time_zone):
        when = formats.date_format(timezone.localtime(activity.due_at), "DATETIME_FORMAT")
        subject = _("Invitation: %(subject)s, %(when)s") % {
            "subject": activity.subject,
            "when": when,
        }
        lines = [activity.subject, _("When: %(when)s") % {"when": when}]
        if activity.location:
            lines.append(_("Where: %(location)s") % {"location": activity.location})
        if activity.description:
            lines += ["", activity.description]
        if owner is not None:
            lines += ["", str(owner)]
    message = EmailMultiAlternatives(
        subject=subject,
        body="\n".join(lines),
        to=recipients,
        reply_to=[owner.email] if owner is not None and owner.email else None,
    )
    # The REQUEST as an alternative part (what calendar clients act on) and as a file.
    message.attach_alternative(ics.decode(), "text/calendar; method=REQUEST")
    attachment = MIMEText(ics.decode(), "calendar", "utf-8")
    attachment.set_param("method", "REQUEST")
    attachment.add_header("Content-Disposition", "attachment", filename="invite.ics")
    message.attach(attachment)
    with transaction.atomic():
        audit_record(
            by=by,
            obj=activity,
            action=AuditAction.UPDATE,
            changes={"invited": [None, recipients], "sequence": [None, activity.version]},
        )
        message.send()
    return recipients
