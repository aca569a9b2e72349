"""The audit trail: every create, update, delete and restore leaves an append-only entry."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from funia.core import services as core_services
from funia.core.models import AuditEntry
from funia.customers import services as customer_services
from funia.customers.models import Account
from tests import factories


def entries_of(obj):
    return list(
        AuditEntry.objects.for_tenant(obj.tenant_id)
        .filter(object_type=obj._meta.label_lower, object_id=obj.pk)
        .order_by("at", "id")
    )


# -- what each write records -------------------------------------------------------------


def test_creating_a_record_writes_a_create_entry_with_its_fields(admin, org):
    acct = factories.account(admin, name="Balkan Foods", country="BG")
    (entry,) = entries_of(acct)
    assert entry.action == "create"
    assert entry.tenant_id == org.pk
    assert entry.user_id == admin.user.pk
    assert entry.token_id is None
    assert entry.object_type == "customers.account"
    assert entry.changes["name"] == [None, "Balkan Foods"]
    assert entry.changes["country"] == [None, "BG"]


def test_updating_a_record_writes_the_changed_fields_old_and_new(admin):
    acct = factories.account(admin, name="Old name", city="Sofia")
    customer_services.account_update(
        by=admin, account=acct, fields={"name": "New name", "city": "Sofia"}
    )
    entry = entries_of(acct)[-1]
    assert entry.action == "update"
    assert entry.changes == {"name": ["Old name", "New name"]}
    assert entry.user_id == admin.user.pk


def test_an_update_that_changes_nothing_writes_no_entry(admin):
    acct = factories.account(admin, name="Same")
    customer_services.account_update(by=admin, account=acct, fields={"name": "Same"})
    assert [e.action for e in entries_of(acct)] == ["create"]


def test_deleting_a_record_writes_a_delete_entry(admin):
    acct = factories.account(admin)
    customer_services.account_delete(by=admin, account=acct)
    entry = entries_of(acct)[-1]
    assert entry.action == "delete"
    old, new = entry.changes["deleted_at"]
    assert old is None and new is not None


def test_restoring_a_record_writes_a_restore_entry(admin):
    acct = factories.account(admin)
    acct = customer_services.account_delete(by=admin, account=acct)
    customer_services.account_restore(by=admin, account=acct)
    entry = entries_of(acct)[-1]
    assert entry.action == "restore"
    old, new = entry.changes["deleted_at"]
    assert old is not None and new is None


def test_a_change_through_the_api_records_the_token(admin, api_as):
    api = api_as(admin)
    created = api.call("post", "/accounts", {"name": "Via API"}).json()
    api.call("patch", f"/accounts/{created['id']}", {"name": "Renamed via API"})
    acct = Account.objects.for_tenant(admin.tenant).get(pk=created["id"])
    token_ids = {e.token_id for e in entries_of(acct)}
    assert len(token_ids) == 1 and None not in token_ids
    assert {e.user_id for e in entries_of(acct)} == {admin.user.pk}


def test_a_change_through_the_web_records_the_user_without_a_token(admin, web_as):
    acct = factories.account(admin, name="Web")
    web_as(admin).post(reverse("account_delete", args=[acct.pk]))
    entry = entries_of(acct)[-1]
    assert (entry.action, entry.user_id, entry.token_id) == ("delete", admin.user.pk, None)


def test_team_membership_changes_are_audited(admin, rep):
    team = factories.team(admin, members=[admin])
    core_services.team_update(
        by=admin, team=team, fields={"member_ids": [admin.user.pk, rep.user.pk]}
    )
    entry = entries_of(team)[-1]
    assert entry.changes["members"] == [[admin.user.pk], sorted([admin.user.pk, rep.user.pk])]


# -- append-only -------------------------------------------------------------------------


def test_an_audit_entry_cannot_be_changed(admin):
    entry = entries_of(factories.account(admin))[0]
    entry.action = "delete"
    with pytest.raises(ValidationError):
        entry.save()
    assert AuditEntry.objects.for_tenant(admin.tenant).get(pk=entry.pk).action == "create"


def test_an_audit_entry_cannot_be_deleted(admin):
    acct = factories.account(admin)
    entry = entries_of(acct)[0]
    with pytest.raises(ValidationError):
        entry.delete()
    assert len(entries_of(acct)) == 1


def test_audit_entries_cannot_be_changed_in_bulk(admin, org):
    acct = factories.account(admin)
    with pytest.raises(ValidationError):
        AuditEntry.objects.for_tenant(org).filter(object_id=acct.pk).update(changes={})
    assert entries_of(acct)[0].changes != {}


def test_audit_entries_cannot_be_deleted_in_bulk(admin, org):
    acct = factories.account(admin)
    with pytest.raises(ValidationError):
        AuditEntry.objects.for_tenant(org).filter(object_id=acct.pk).delete()
    assert len(entries_of(acct)) == 1


# -- reading the trail -------------------------------------------------------------------


def test_the_audit_endpoint_returns_a_records_entries_oldest_first(admin, api_as):
    acct = factories.account(admin, name="First")
    customer_services.account_update(by=admin, account=acct, fields={"name": "Second"})
    acct = customer_services.account_delete(by=admin, account=acct)
    customer_services.account_restore(by=admin, account=acct)
    response = api_as(admin).call(
        "get", "/audit", {"object_type": "customers.account", "object_id": acct.pk}
    )
    assert response.status_code == 200
    body = response.json()
    assert [e["action"] for e in body["items"]] == ["create", "update", "delete", "restore"]
    assert body["items"][1]["changes"] == {"name": ["First", "Second"]}
    assert body["items"][1]["user"] == admin.user.pk
    assert body["count"] == 4


def test_the_audit_endpoint_names_the_token_of_an_api_change(admin, api_as):
    api = api_as(admin)
    created = api.call("post", "/accounts", {"name": "Via API"}).json()
    body = api.call(
        "get", "/audit", {"object_type": "customers.account", "object_id": created["id"]}
    ).json()
    assert body["items"][0]["token"] is not None


def test_the_audit_endpoint_answers_404_for_an_unknown_object_type(admin, api_as):
    response = api_as(admin).call("get", "/audit", {"object_type": "core.user", "object_id": 1})
    assert response.status_code == 404


def test_the_audit_endpoint_answers_404_for_a_record_the_user_may_not_see(admin, rep, api_as):
    acct = factories.account(admin)
    response = api_as(rep).call(
        "get", "/audit", {"object_type": "customers.account", "object_id": acct.pk}
    )
    assert response.status_code == 404


def test_the_record_page_shows_the_old_and_new_value_of_a_change(admin, web_as):
    acct = factories.account(admin, name="Sofia Bakery")
    customer_services.account_update(by=admin, account=acct, fields={"name": "Plovdiv Bakery"})
    html = web_as(admin).get(reverse("account_detail", args=[acct.pk])).content.decode()
    history = html[html.index('id="history-title"') :]
    assert "Sofia Bakery" in history
    assert "Plovdiv Bakery" in history


def test_the_team_page_shows_its_history(admin, web_as):
    team = factories.team(admin, name="North")
    core_services.team_update(by=admin, team=team, fields={"name": "South"})
    html = web_as(admin).get(reverse("team_detail", args=[team.pk])).content.decode()
    history = html[html.index('id="history-title"') :]
    assert "North" in history and "South" in history
