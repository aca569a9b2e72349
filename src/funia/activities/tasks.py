"""Background jobs of activities: reminder delivery."""

from datetime import datetime

from funia.core.jobs import job


@job(max_attempts=3, backoff_seconds=60)
def deliver_reminder(tenant_id: int, activity_id: int, remind_at: str) -> bool:
    """Deliver the reminder planned for `remind_at` if it is still due (else do nothing)."""
    from funia.activities.reminders import reminder_deliver

    return reminder_deliver(
        tenant_id=tenant_id,
        activity_id=activity_id,
        remind_at=datetime.fromisoformat(remind_at),
    )


@job(max_attempts=1)
def deliver_due_reminders() -> int:
    """Catch-up: deliver every overdue reminder whose job was lost."""
    from funia.activities.reminders import reminders_deliver_due

    return reminders_deliver_due()
