"""Activities for the calendar, invitation and reminder tests (written through record_create)."""

from datetime import timedelta

from django.utils import timezone

from funia.activities.models import Activity
from funia.core.records import record_create


def activity(by, *, kind="meeting", subject="Kick-off", owner=None, **fields):
    fields.setdefault("due_at", timezone.now() + timedelta(days=1))
    return record_create(
        model=Activity,
        by=by,
        kind=kind,
        subject=subject,
        owner=(owner or by).user,
        **fields,
    )
