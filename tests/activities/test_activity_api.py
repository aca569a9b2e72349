"""/api/v1/activities, /activity-purposes, /activity-conflicts."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests import factories
from tests.activities.helpers import days_ago, log, purpose


@pytest.fixture
def maria(org, admin):
    actor = factories.member(org, "service_agent", first_name="Maria", last_name="Ivanova")
    factories.team(admin, "Service desk", members=[actor])
    return actor


@pytest.fixture
def petar(rep):
    account = factories.account(rep, name="Balkan Foods")
    return factories.contact(rep, first_name="Petar", last_name="Dimov", account_id=account.pk)


def test_creating_a_call_answers_its_conflicts(api_as, rep, maria, petar, org):
    collection = purpose(org, "Collection")
    earlier = log(maria, contact_id=petar.pk, purpose_obj=collection, when=days_ago(2))

    response = api_as(rep).call(
        "post",
        "/activities",
        {"kind": "call", "contact": petar.pk, "purpose": collection.pk, "outcome": "Promised"},
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["account"] == petar.account_id
    assert body["purpose"] == collection.pk
    assert body["owner"] == rep.user.pk
    [conflict] = body["conflicts"]
    assert conflict["activity"] == earlier.pk
    assert conflict["subject"] == earlier.subject
    assert conflict["kind"] == "call"
    assert conflict["user"] == {"id": maria.user.pk, "name": "Maria Ivanova"}
    assert conflict["team"]["name"] == "Service desk"
    assert conflict["purpose"] == collection.pk
    assert conflict["at"].startswith(earlier.done_at.date().isoformat())
    assert response["ETag"]


def test_a_patch_that_changes_the_purpose_answers_the_new_conflicts(api_as, rep, maria, petar, org):
    client = api_as(rep)
    log(maria, contact_id=petar.pk, purpose_obj=purpose(org, "Survey"))
    created = client.call(
        "post",
        "/activities",
        {"kind": "visit", "contact": petar.pk, "purpose": purpose(org, "Offer").pk},
    ).json()
    assert created["conflicts"] == []
    patched = client.call(
        "patch", f"/activities/{created['id']}", {"purpose": purpose(org, "Survey").pk}
    )
    assert patched.status_code == 200
    assert [c["user"]["name"] for c in patched.json()["conflicts"]] == ["Maria Ivanova"]


def test_bad_input_is_a_422_naming_the_field(api_as, rep, other_org_records):
    client = api_as(rep)
    response = client.call("post", "/activities", {"kind": "call", "subject": "Who?"})
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert "contact" in fields
    rival = client.call(
        "post",
        "/activities",
        {"kind": "note", "subject": "x", "contact": other_org_records.ids["contact"]},
    )
    missing = client.call("post", "/activities", {"kind": "note", "subject": "x", "contact": 2**62})
    assert rival.status_code == 422 and rival.json() == missing.json()


def test_complete_with_a_follow_up(api_as, rep, petar, org):
    client = api_as(rep)
    offer = purpose(org, "Offer")
    call = client.call(
        "post",
        "/activities",
        {
            "kind": "call",
            "contact": petar.pk,
            "purpose": offer.pk,
            "due_at": timezone.now().isoformat(),
        },
    ).json()
    due = (timezone.now() + timedelta(days=2)).replace(microsecond=0)
    response = client.call(
        "post",
        f"/activities/{call['id']}/complete",
        {"outcome": "Send the offer", "follow_up": {"kind": "email", "due_at": due.isoformat()}},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["activity"]["done"] is True
    assert body["activity"]["outcome"] == "Send the offer"
    follow_up = body["follow_up"]
    assert follow_up["follow_up_of"] == call["id"]
    assert follow_up["kind"] == "email" and follow_up["contact"] == petar.pk
    assert follow_up["purpose"] == offer.pk and follow_up["done"] is False


def test_the_list_filters(api_as, rep, petar, org):
    client = api_as(rep)
    offer = purpose(org, "Offer")
    client.call("post", "/activities", {"kind": "call", "contact": petar.pk, "purpose": offer.pk})
    client.call("post", "/activities", {"kind": "task", "subject": "Plan the week"})
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    client.call(
        "post",
        "/activities",
        {"kind": "task", "subject": "Tomorrow's", "due_at": f"{tomorrow}T10:00:00+02:00"},
    )

    def subjects(**query):
        response = client.call("get", "/activities", query)
        assert response.status_code == 200, response.content
        return sorted(a["subject"] for a in response.json()["items"])

    assert subjects(kind="call") == ["Call: Petar Dimov"]
    assert subjects(contact=petar.pk) == ["Call: Petar Dimov"]
    assert subjects(account=petar.account_id) == ["Call: Petar Dimov"]
    assert subjects(purpose=offer.pk) == ["Call: Petar Dimov"]
    assert subjects(due_from=tomorrow, due_to=tomorrow) == ["Tomorrow's"]
    assert subjects(state="done") == []
    assert len(subjects(state="open")) == 3
    assert subjects(q="plan") == ["Plan the week"]
    assert client.call("get", "/activities", {"sort": "nonsense"}).status_code == 422


def test_purposes_are_read_by_everyone_and_written_by_admins(api_as, rep, admin):
    listed = api_as(rep).call("get", "/activity-purposes").json()
    assert [p["name"] for p in listed["items"]][:2] == ["Offer", "Follow-up"]
    assert api_as(rep).call("post", "/activity-purposes", {"name": "Upsell"}).status_code == 403
    created = api_as(admin).call("post", "/activity-purposes", {"name": "Upsell"})
    assert created.status_code == 201
    pid = created.json()["id"]
    off = api_as(admin).call("patch", f"/activity-purposes/{pid}", {"is_active": False})
    assert off.json()["is_active"] is False
    active = api_as(rep).call("get", "/activity-purposes", {"active": "true"}).json()
    assert "Upsell" not in [p["name"] for p in active["items"]]
    assert api_as(admin).call("delete", f"/activity-purposes/{pid}").status_code == 204
    trash = api_as(admin).call("get", "/activity-purposes", {"deleted": "true"}).json()
    assert [p["id"] for p in trash["items"]] == [pid]


def test_the_conflict_report_is_for_managers(api_as, rep, manager, admin, maria, petar, org):
    collection = purpose(org, "Collection")
    log(maria, contact_id=petar.pk, purpose_obj=collection, when=days_ago(1))
    log(rep, contact_id=petar.pk, purpose_obj=collection)
    factories.team(admin, "Field sales", manager=manager, members=[rep])

    assert api_as(rep).call("get", "/activity-conflicts").status_code == 403
    response = api_as(manager).call("get", "/activity-conflicts")
    assert response.status_code == 200
    [item] = response.json()["items"]
    assert item["activity"]["user"]["id"] == rep.user.pk
    assert item["earlier"]["user"]["name"] == "Maria Ivanova"
    assert "Maria Ivanova (Service desk)" in item["message"]
    by_purpose = api_as(admin).call(
        "get", "/activity-conflicts", {"purpose": purpose(org, "Offer").pk}
    )
    assert by_purpose.json()["count"] == 0


def test_check_conflicts_before_saving(api_as, rep, maria, petar, org):
    collection = purpose(org, "Collection")
    log(maria, contact_id=petar.pk, purpose_obj=collection)
    response = api_as(rep).call(
        "post",
        "/activities/check-conflicts",
        {"kind": "call", "account": petar.account_id, "purpose": collection.pk},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["conflicts"][0]["user"]["name"] == "Maria Ivanova"
    assert body["messages"][0].startswith("Maria Ivanova (Service desk) called this customer")
