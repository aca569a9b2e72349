"""Activity reminders: delivered once by a job at remind_at, or by the catch-up."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import formats, timezone, translation
from django_tasks_db.models import DBTaskResult

from funia.activities.models import Activity
from funia.activities.reminders import reminders_deliver_due, schedule_reminder
from funia.activities.tasks import deliver_reminder
from funia.core.models import Notification
from funia.core.records import record_soft_delete, record_update
from tests import factories
from tests.activities.calendar_helpers import activity

# The worker closes the database connection when it is done: outside a test transaction.
pytestmark = pytest.mark.django_db(transaction=True)


def run_jobs():
    call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0", verbosity=0)


def past(minutes=5):
    return timezone.now() - timedelta(minutes=minutes)


def notifications_of(actor):
    return list(Notification.objects.filter(tenant=actor.tenant, user=actor.user))


def scheduled(item, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        schedule_reminder(item)


def test_a_reminder_job_runs_at_remind_at(rep, django_capture_on_commit_callbacks):
    when = timezone.now() + timedelta(hours=1)
    item = activity(rep, remind_at=when)
    scheduled(item, django_capture_on_commit_callbacks)

    (job,) = DBTaskResult.objects.all()
    assert job.run_after == when
    assert job.task_path.endswith("deliver_reminder")
    run_jobs()  # not due yet: it waits
    assert notifications_of(rep) == []


def test_a_due_reminder_is_delivered_once(rep, django_capture_on_commit_callbacks):
    item = activity(rep, subject="Call Ivan about the offer", remind_at=past())
    scheduled(item, django_capture_on_commit_callbacks)
    scheduled(item, django_capture_on_commit_callbacks)  # scheduled twice by mistake

    run_jobs()
    reminders_deliver_due()

    (note,) = notifications_of(rep)
    assert note.kind == "reminder"
    assert "Call Ivan about the offer" in note.title
    assert note.url == f"/activities/{item.pk}/"
    assert note.read_at is None
    (message,) = mail.outbox
    assert message.to == [rep.user.email]
    assert "Call Ivan about the offer" in message.subject
    assert f"/activities/{item.pk}/" in message.body
    item.refresh_from_db()
    assert item.reminded_at is not None


def test_a_changed_remind_at_makes_the_old_job_do_nothing(rep):
    item = activity(rep, remind_at=past(10))
    old = item.remind_at.isoformat()
    item = record_update(obj=item, by=rep, fields={"remind_at": timezone.now() + timedelta(days=1)})

    assert deliver_reminder.call(rep.tenant.pk, item.pk, old) is False
    assert notifications_of(rep) == [] and mail.outbox == []


def test_the_job_of_the_new_time_delivers(rep):
    item = activity(rep, remind_at=past(10))
    assert deliver_reminder.call(rep.tenant.pk, item.pk, item.remind_at.isoformat()) is True
    assert deliver_reminder.call(rep.tenant.pk, item.pk, item.remind_at.isoformat()) is False
    assert len(notifications_of(rep)) == 1


@pytest.mark.parametrize("state", ["deleted", "done"])
def test_deleted_and_done_activities_are_not_reminded(rep, state):
    item = activity(rep, remind_at=past())
    if state == "deleted":
        record_soft_delete(obj=item, by=rep)
    else:
        record_update(obj=item, by=rep, fields={"done_at": timezone.now()})

    assert deliver_reminder.call(rep.tenant.pk, item.pk, item.remind_at.isoformat()) is False
    assert reminders_deliver_due() == 0
    assert notifications_of(rep) == [] and mail.outbox == []


def test_the_catch_up_delivers_every_overdue_reminder_whose_job_was_lost(rep, admin, outsider):
    activity(rep, subject="Rep's", remind_at=past())
    activity(admin, subject="Admin's", remind_at=past(60))
    activity(outsider, subject="Rival's", remind_at=past())
    activity(rep, subject="Later", remind_at=timezone.now() + timedelta(hours=2))

    assert reminders_deliver_due() == 3
    assert reminders_deliver_due() == 0

    assert [n.title.split(",")[0] for n in notifications_of(rep)] == ["Reminder: Rep's"]
    assert len(notifications_of(admin)) == 1
    assert len(notifications_of(outsider)) == 1
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [rep.user.email, admin.user.email, outsider.user.email]
    )


def test_the_reminder_email_is_in_the_owners_language(org):
    bulgarian = factories.member(org, "sales_rep", language="bg")
    due = activity(bulgarian, subject="Среща", remind_at=past()).due_at
    english = factories.member(org, "sales_rep", language="en")
    activity(english, subject="Meeting", remind_at=past())

    reminders_deliver_due()

    by_address = {m.to[0]: m.subject for m in mail.outbox}
    assert by_address[english.user.email].startswith("Reminder: Meeting")
    assert "Среща" in by_address[bulgarian.user.email]
    with translation.override("bg"), timezone.override(org.time_zone):
        month = formats.date_format(timezone.localtime(due), "F")
    assert month in by_address[bulgarian.user.email]  # the date is written in Bulgarian


def test_an_activity_without_owner_is_marked_but_nobody_is_notified(rep):
    item = activity(rep, remind_at=past())
    Activity.objects.for_tenant(rep.tenant).filter(pk=item.pk).update(owner=None)
    assert reminders_deliver_due() == 1
    assert Notification.objects.filter(tenant=rep.tenant).count() == 0
    assert mail.outbox == []


def test_the_worker_command_catches_up_before_running_jobs(rep):
    from funia.cli import main

    activity(rep, subject="Lost job", remind_at=past())
    assert main(["worker", "--batch"]) == 0
    assert len(notifications_of(rep)) == 1


def test_funia_reminders_delivers_due_reminders(rep, capsys):
    from funia.cli import main

    activity(rep, subject="Lost job", remind_at=past())
    assert main(["reminders"]) == 0
    assert "delivered: 1" in capsys.readouterr().out
    assert len(notifications_of(rep)) == 1


def test_a_new_reminder_after_a_delivered_one_is_delivered_again(
    rep, django_capture_on_commit_callbacks
):
    item = activity(rep, remind_at=past(90))
    assert reminders_deliver_due() == 1
    # delivered an hour ago; now the user sets a new reminder
    Activity.objects.for_tenant(rep.tenant).filter(pk=item.pk).update(reminded_at=past(60))
    item.refresh_from_db()
    item = record_update(obj=item, by=rep, fields={"remind_at": past(1)})
    scheduled(item, django_capture_on_commit_callbacks)
    run_jobs()
    assert len(notifications_of(rep)) == 2
