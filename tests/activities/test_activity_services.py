"""Activities: creating, validating, completing with a follow-up, purposes, reminders."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from funia.activities import services
from funia.activities.models import Activity, ActivityConflict, ActivityPurpose
from funia.core.models import AuditEntry
from tests import factories
from tests.activities.helpers import purpose


@pytest.fixture
def customer(rep):
    account = factories.account(rep, name="Balkan Foods")
    contact = factories.contact(rep, first_name="Petar", last_name="Dimov", account_id=account.pk)
    return account, contact


def test_a_new_organisation_gets_the_default_purposes(org):
    names = list(ActivityPurpose.objects.for_tenant(org).values_list("name", flat=True))
    assert names == ["Offer", "Follow-up", "Collection", "Survey", "Support"]


def test_default_purposes_are_not_seeded_twice(org):
    assert services.default_purposes_create(org) == []
    assert ActivityPurpose.objects.for_tenant(org).count() == 5


def test_a_call_to_a_contact_takes_its_account_owner_and_department(rep, customer):
    account, contact = customer
    team = factories.team(factories.member(rep.tenant, "admin"), "Field sales", members=[rep])
    call = services.activity_create(
        by=rep,
        kind="call",
        contact_id=contact.pk,
        purpose_id=purpose(rep.tenant, "Offer").pk,
    )
    assert call.account_id == account.pk
    assert call.owner_id == rep.user.pk
    assert call.team_id == team.pk
    assert call.subject == "Call: Petar Dimov"
    assert (
        AuditEntry.objects.for_tenant(rep.tenant)
        .filter(object_type="activities.activity", object_id=call.pk, action="create")
        .exists()
    )


def test_the_department_is_the_first_team_by_name(rep, admin, customer):
    factories.team(admin, "Zeta", members=[rep])
    first = factories.team(admin, "Alpha", members=[rep])
    call = services.activity_create(
        by=rep, kind="note", contact_id=customer[1].pk, subject="Met at the fair"
    )
    assert call.team_id == first.pk


def test_an_outreach_needs_a_customer_but_a_task_may_stand_alone(rep):
    with pytest.raises(ValidationError) as exc:
        services.activity_create(by=rep, kind="call", purpose_id=purpose(rep.tenant, "Offer").pk)
    assert "contact" in exc.value.message_dict
    task = services.activity_create(by=rep, kind="task", subject="Prepare price list")
    assert task.pk and task.contact_id is None


def test_an_outreach_needs_a_purpose_when_the_organisation_has_purposes(rep, customer):
    with pytest.raises(ValidationError) as exc:
        services.activity_create(by=rep, kind="visit", contact_id=customer[1].pk)
    assert "purpose" in exc.value.message_dict


def test_without_active_purposes_an_outreach_needs_none(rep, customer):
    ActivityPurpose.objects.for_tenant(rep.tenant).update(is_active=False)
    call = services.activity_create(by=rep, kind="call", contact_id=customer[1].pk)
    assert call.purpose_id is None


def test_an_inactive_purpose_cannot_be_chosen_but_stays_on_old_activities(rep, admin, customer):
    offer = purpose(rep.tenant, "Offer")
    call = services.activity_create(
        by=rep, kind="call", contact_id=customer[1].pk, purpose_id=offer.pk
    )
    services.activity_purpose_update(by=admin, activity_purpose=offer, fields={"is_active": False})
    updated = services.activity_update(by=rep, activity=call, fields={"outcome": "Interested"})
    assert updated.purpose_id == offer.pk
    with pytest.raises(ValidationError) as exc:
        services.activity_create(
            by=rep, kind="call", contact_id=customer[1].pk, purpose_id=offer.pk
        )
    assert "purpose" in exc.value.message_dict


def test_references_must_be_visible_records_of_the_organisation(rep, admin, other_org_records):
    hidden = factories.contact(admin, first_name="Not", last_name="Mine")
    for contact_id in (hidden.pk, other_org_records.ids["contact"]):
        with pytest.raises(ValidationError) as exc:
            services.activity_create(by=rep, kind="note", subject="x", contact_id=contact_id)
        assert exc.value.message_dict["contact"] == ["No such contact."]
    with pytest.raises(ValidationError) as exc:
        services.activity_create(
            by=rep, kind="note", subject="x", purpose_id=other_org_records.ids["activity_purpose"]
        )
    assert "purpose" in exc.value.message_dict
    with pytest.raises(ValidationError):
        services.activity_create(
            by=rep, kind="task", subject="x", owner_id=other_org_records.ids["user"]
        )


def test_an_opportunity_implies_its_account(rep, customer):
    account, _contact = customer
    factories.pipeline(rep)
    deal = factories.opportunity(rep, account_id=account.pk)
    meeting = services.activity_create(
        by=rep, kind="meeting", opportunity_id=deal.pk, purpose_id=purpose(rep.tenant, "Offer").pk
    )
    assert meeting.account_id == account.pk


def test_an_analyst_cannot_log_activities(analyst, customer):
    with pytest.raises(PermissionDenied):
        services.activity_create(by=analyst, kind="task", subject="Nope")


def test_completing_records_the_outcome_and_creates_the_follow_up(rep, customer):
    account, contact = customer
    factories.pipeline(rep)
    deal = factories.opportunity(rep, account_id=account.pk)
    offer = purpose(rep.tenant, "Offer")
    call = services.activity_create(
        by=rep,
        kind="call",
        contact_id=contact.pk,
        opportunity_id=deal.pk,
        purpose_id=offer.pk,
        due_at=timezone.now(),
    )
    due = timezone.now() + timedelta(days=3)
    done, follow_up = services.activity_complete(
        by=rep,
        activity=call,
        outcome="Wants a proposal",
        follow_up={"kind": "meeting", "due_at": due},
    )
    assert done.done_at is not None and done.outcome == "Wants a proposal"
    assert follow_up.follow_up_of_id == call.pk
    assert (follow_up.contact_id, follow_up.account_id, follow_up.opportunity_id) == (
        contact.pk,
        account.pk,
        deal.pk,
    )
    assert follow_up.kind == "meeting" and follow_up.due_at == due
    assert follow_up.purpose_id == offer.pk
    assert follow_up.done_at is None
    assert follow_up.subject == f"Follow-up: {call.subject}"


def test_completing_without_a_time_means_now_and_a_given_time_is_kept(rep, customer):
    call = services.activity_create(by=rep, kind="task", subject="Send catalogue")
    before = timezone.now()
    done, follow_up = services.activity_complete(by=rep, activity=call)
    assert done.done_at >= before and follow_up is None
    at = timezone.now() - timedelta(hours=5)
    other = services.activity_create(by=rep, kind="task", subject="Check stock")
    done, _ = services.activity_complete(by=rep, activity=other, done_at=at)
    assert done.done_at == at


def test_a_bad_follow_up_changes_nothing(rep, customer):
    call = services.activity_create(
        by=rep, kind="call", contact_id=customer[1].pk, purpose_id=purpose(rep.tenant, "Offer").pk
    )
    with pytest.raises(ValidationError) as exc:
        services.activity_complete(by=rep, activity=call, follow_up={"owner_id": 2**62})
    assert "follow_up.owner" in exc.value.message_dict
    call.refresh_from_db()
    assert call.done_at is None


def test_delete_and_restore(rep, customer):
    task = services.activity_create(by=rep, kind="task", subject="Trash me")
    services.activity_delete(by=rep, activity=task)
    assert not Activity.objects.for_tenant(rep.tenant).filter(pk=task.pk).exists()
    services.activity_restore(by=rep, activity=task)
    assert Activity.objects.for_tenant(rep.tenant).filter(pk=task.pk).exists()


def test_a_rep_cannot_change_a_colleagues_activity(rep, org, customer):
    colleague = factories.member(org, "sales_rep")
    task = services.activity_create(by=colleague, kind="task", subject="Mine")
    with pytest.raises(PermissionDenied):
        services.activity_update(by=rep, activity=task, fields={"subject": "Hijacked"})


def test_setting_a_reminder_schedules_it_after_commit(rep, django_capture_on_commit_callbacks):
    remind = timezone.now() + timedelta(hours=1)
    with django_capture_on_commit_callbacks() as callbacks:
        task = services.activity_create(by=rep, kind="task", subject="Call back", remind_at=remind)
    assert callbacks, "the reminder is scheduled when the transaction commits"
    with django_capture_on_commit_callbacks() as callbacks:
        services.activity_update(by=rep, activity=task, fields={"subject": "Call back soon"})
    assert not callbacks
    with django_capture_on_commit_callbacks() as callbacks:
        updated = services.activity_update(
            by=rep, activity=task, fields={"remind_at": remind + timedelta(hours=1)}
        )
    assert callbacks and updated.reminded_at is None


# -- purposes ---------------------------------------------------------------------------------


def test_only_admins_write_purposes(rep, admin):
    with pytest.raises(PermissionDenied):
        services.activity_purpose_create(by=rep, name="Upsell")
    created = services.activity_purpose_create(by=admin, name="Upsell")
    assert created.position == 6 and created.is_active


def test_purpose_names_are_unique_ignoring_case(admin):
    with pytest.raises(ValidationError) as exc:
        services.activity_purpose_create(by=admin, name="offer")
    assert "name" in exc.value.message_dict


def test_a_purpose_in_use_goes_to_the_trash_and_its_activities_keep_it(rep, admin, customer):
    offer = purpose(rep.tenant, "Offer")
    call = services.activity_create(
        by=rep, kind="call", contact_id=customer[1].pk, purpose_id=offer.pk
    )
    services.activity_purpose_delete(by=admin, activity_purpose=offer)
    call.refresh_from_db()
    assert call.purpose_id == offer.pk
    assert not ActivityPurpose.objects.for_tenant(rep.tenant).filter(pk=offer.pk).exists()
    services.activity_purpose_restore(by=admin, activity_purpose=offer)
    assert ActivityPurpose.objects.for_tenant(rep.tenant).filter(pk=offer.pk).exists()


def test_an_activity_turned_into_a_task_has_no_conflicts_left(rep, org, customer):
    colleague = factories.member(org, "service_agent")
    offer = purpose(org, "Offer")
    services.activity_create(
        by=colleague, kind="call", contact_id=customer[1].pk, purpose_id=offer.pk
    )
    call = services.activity_create(
        by=rep, kind="call", contact_id=customer[1].pk, purpose_id=offer.pk
    )
    assert ActivityConflict.objects.for_tenant(org).filter(activity=call).exists()
    services.activity_update(by=rep, activity=call, fields={"kind": "task"})
    assert not ActivityConflict.objects.for_tenant(org).filter(activity=call).exists()
