"""The contact registry: the same customer, the same purpose, another user, within the window."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import formats, timezone

from funia.activities import registry, services
from funia.activities.models import ActivityConflict
from tests import factories
from tests.activities.helpers import days_ago, log, purpose


@pytest.fixture
def maria(org, admin):
    """Maria Ivanova of the service desk (service agents see every customer)."""
    actor = factories.member(org, "service_agent", first_name="Maria", last_name="Ivanova")
    factories.team(admin, "Service desk", members=[actor])
    return actor


@pytest.fixture
def seller(org, admin, rep):
    factories.team(admin, "Field sales", members=[rep])
    return rep


@pytest.fixture
def customer(seller):
    account = factories.account(seller, name="Balkan Foods")
    petar = factories.contact(seller, first_name="Petar", last_name="Dimov", account_id=account.pk)
    elena = factories.contact(seller, first_name="Elena", last_name="Koleva", account_id=account.pk)
    return account, petar, elena


@pytest.fixture
def collection(org):
    return purpose(org, "Collection")


def test_a_colleague_of_another_department_calling_the_same_contact_is_a_conflict(
    maria, seller, customer, collection
):
    _account, petar, _elena = customer
    earlier = log(maria, contact_id=petar.pk, purpose_obj=collection, when=days_ago(3))

    call = log(seller, contact_id=petar.pk, purpose_obj=collection)

    assert call.found_conflicts == [earlier]
    stored = ActivityConflict.objects.for_tenant(seller.tenant).get(activity=call)
    assert stored.earlier_id == earlier.pk
    data = registry.conflict_data(call.found_conflicts[0])
    assert data["user"] == {"id": maria.user.pk, "name": "Maria Ivanova"}
    assert data["team"]["name"] == "Service desk"
    assert data["at"] == earlier.done_at
    assert data["purpose"] == collection.pk
    # The day in the organisation's time zone (late evenings in UTC are tomorrow in Sofia).
    zone = ZoneInfo(seller.tenant.time_zone)
    day = formats.date_format(timezone.localtime(earlier.done_at, zone), "j M Y")
    assert registry.conflict_message(call.found_conflicts[0]) == (
        f"Maria Ivanova (Service desk) called this customer for Collection on {day}"
    )


def test_another_contact_of_the_same_account_is_the_same_customer(
    maria, seller, customer, collection
):
    account, petar, elena = customer
    earlier = log(maria, kind="visit", contact_id=petar.pk, purpose_obj=collection)
    assert log(seller, contact_id=elena.pk, purpose_obj=collection).found_conflicts == [earlier]
    # The account itself counts too, both ways.
    assert log(seller, kind="email", account_id=account.pk, purpose_obj=collection).found_conflicts
    on_account = log(maria, kind="meeting", account_id=account.pk, purpose_obj=collection)
    later = log(seller, contact_id=petar.pk, purpose_obj=collection)
    assert on_account in later.found_conflicts


def test_the_same_user_is_no_conflict(seller, customer, collection):
    _account, petar, elena = customer
    log(seller, contact_id=petar.pk, purpose_obj=collection, when=days_ago(1))
    assert log(seller, contact_id=elena.pk, purpose_obj=collection).found_conflicts == []


def test_another_purpose_is_no_conflict(maria, seller, customer, collection, org):
    petar = customer[1]
    log(maria, contact_id=petar.pk, purpose_obj=collection, when=days_ago(1))
    call = log(seller, contact_id=petar.pk, purpose_obj=purpose(org, "Offer"))
    assert call.found_conflicts == []


def test_outside_the_window_is_no_conflict_until_the_window_grows(
    maria, seller, customer, collection, org
):
    petar = customer[1]
    log(maria, contact_id=petar.pk, purpose_obj=collection, when=days_ago(15))
    assert log(seller, contact_id=petar.pk, purpose_obj=collection).found_conflicts == []
    org.contact_window_days = 30
    org.save()
    seller.tenant.refresh_from_db()
    assert log(seller, contact_id=petar.pk, purpose_obj=collection).found_conflicts


def test_a_colleagues_planned_visit_nearby_is_a_conflict(maria, seller, customer, collection):
    petar = customer[1]
    planned = services.activity_create(
        by=maria,
        kind="visit",
        contact_id=petar.pk,
        purpose_id=collection.pk,
        due_at=timezone.now() + timedelta(days=5),
    )
    call = log(seller, contact_id=petar.pk, purpose_obj=collection)
    assert call.found_conflicts == [planned]
    assert "plans to visit" in registry.conflict_message(planned)


def test_tasks_notes_and_trashed_activities_do_not_count(maria, seller, customer, collection):
    petar = customer[1]
    trashed = log(maria, contact_id=petar.pk, purpose_obj=collection)
    services.activity_delete(by=maria, activity=trashed)
    services.activity_create(
        by=maria, kind="task", contact_id=petar.pk, purpose_id=collection.pk, subject="Chase"
    )
    assert log(seller, contact_id=petar.pk, purpose_obj=collection).found_conflicts == []


def test_the_check_without_saving_names_the_conflict_and_stores_nothing(
    maria, seller, customer, collection
):
    account = customer[0]
    earlier = log(maria, contact_id=customer[1].pk, purpose_obj=collection)
    probe = registry.Probe(
        tenant=seller.tenant,
        owner_id=seller.user.pk,
        kind="call",
        purpose_id=collection.pk,
        at=timezone.now() + timedelta(days=1),
        account_id=account.pk,
    )
    assert registry.find_conflicts(probe) == [earlier]
    assert not ActivityConflict.objects.for_tenant(seller.tenant).exists()


def test_changing_the_purpose_rechecks(maria, seller, customer, collection, org):
    petar = customer[1]
    log(maria, contact_id=petar.pk, purpose_obj=collection)
    call = log(seller, contact_id=petar.pk, purpose_obj=purpose(org, "Offer"))
    assert call.found_conflicts == []
    updated = services.activity_update(
        by=seller, activity=call, fields={"purpose_id": collection.pk}
    )
    assert len(updated.found_conflicts) == 1
    assert ActivityConflict.objects.for_tenant(org).filter(activity=call).count() == 1
    services.activity_update(
        by=seller, activity=call, fields={"purpose_id": purpose(org, "Survey").pk}
    )
    assert not ActivityConflict.objects.for_tenant(org).filter(activity=call).exists()


def test_another_organisations_outreach_is_never_a_conflict(
    seller, customer, collection, other_org_records
):
    # Rival's call is on Rival's contact; nothing of Rival's can match Acme's customers.
    assert log(seller, contact_id=customer[1].pk, purpose_obj=collection).found_conflicts == []


def test_the_check_reads_through_indexes(maria, seller, customer, collection):
    """No full scan of the activities table: the customer's and the purpose's indexes."""
    if connection.vendor != "sqlite":
        pytest.skip("the plan is checked on SQLite")
    log(maria, contact_id=customer[1].pk, purpose_obj=collection)
    probe = registry.Probe(
        tenant=seller.tenant,
        owner_id=seller.user.pk,
        kind="call",
        purpose_id=collection.pk,
        at=timezone.now(),
        contact_id=customer[2].pk,
    )
    with CaptureQueriesContext(connection) as queries:
        assert registry.find_conflicts(probe)
    plans = []
    with connection.cursor() as cursor:
        for query in queries.captured_queries:
            if "activities_activity" not in query["sql"]:
                continue
            cursor.execute(f"EXPLAIN QUERY PLAN {query['sql']}")
            plans += [row[-1] for row in cursor.fetchall()]
    assert plans
    scans = [
        line
        for line in plans
        if "activities_activity" in line
        and (line.startswith("SCAN") or line.endswith("(tenant_id=?)"))
    ]
    assert not scans, plans
