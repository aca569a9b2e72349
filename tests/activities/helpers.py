"""Shared set-up of the activities tests: two departments, a customer, purposes."""

from datetime import timedelta

from django.utils import timezone

from funia.activities import services
from funia.activities.models import ActivityPurpose


def purpose(org, name: str) -> ActivityPurpose:
    return ActivityPurpose.objects.for_tenant(org).get(name=name)


def log(by, *, kind="call", purpose_obj=None, when=None, **fields):
    """An outreach done at `when` (default now) through the service."""
    fields.setdefault("subject", f"{kind} by {by.user.email}")
    return services.activity_create(
        by=by,
        kind=kind,
        purpose_id=purpose_obj.pk if purpose_obj else None,
        done_at=when or timezone.now(),
        **fields,
    )


def days_ago(n: float):
    return timezone.now() - timedelta(days=n)
