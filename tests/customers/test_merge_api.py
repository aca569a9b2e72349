"""Merges through the API: POST /contacts/merge, /accounts/merge, GET /merges/{id}, undo."""

import datetime

import pytest
from django.utils import timezone

from funia.customers.models import Merge
from tests import factories
from tests.conftest import tenant_snapshot

PROBLEM = "application/problem+json"


@pytest.fixture
def api(admin, api_as):
    return api_as(admin)


@pytest.fixture
def pair(admin):
    first = factories.contact(admin, first_name="Maria", title="", emails=["maria@work.example"])
    second = factories.contact(admin, first_name="Mariya", title="CFO", emails=["m@home.example"])
    return first, second


def fresh(record):
    model = type(record)
    return model.objects.for_tenant(record.tenant_id, with_deleted=True).get(pk=record.pk)


def merge_of(api, first, second, **extra):
    return api.call(
        "post", "/contacts/merge", {"survivor": first.pk, "merged": [second.pk], **extra}
    )


def test_merging_contacts_answers_201_with_the_merge(api, pair):
    first, second = pair

    response = merge_of(api, first, second)

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {
        "id",
        "type",
        "survivor",
        "merged",
        "created_at",
        "undo_until",
        "undone_at",
    }
    assert (body["type"], body["survivor"], body["merged"], body["undone_at"]) == (
        "contact",
        first.pk,
        [second.pk],
        None,
    )
    created = datetime.datetime.fromisoformat(body["created_at"])
    until = datetime.datetime.fromisoformat(body["undo_until"])
    assert until - created == datetime.timedelta(days=30)


def test_the_survivor_shows_the_merged_values_and_the_merged_contact_points_to_it(api, pair):
    first, second = pair
    merge_of(api, first, second, fields={"first_name": first.pk})

    survivor = api.call("get", f"/contacts/{first.pk}").json()
    merged = api.call("get", f"/contacts/{second.pk}").json()

    assert (survivor["first_name"], survivor["title"]) == ("Maria", "CFO")
    assert [e["value"] for e in survivor["emails"]] == ["maria@work.example", "m@home.example"]
    assert (merged["deleted"], merged["merged_into"]) == (True, first.pk)


def test_merging_accounts_answers_201_and_moves_their_contacts(api, admin):
    survivor = factories.account(admin, name="Balkan Foods")
    merged = factories.account(admin, name="Balkan Foods Ltd")
    contact = factories.contact(admin, account_id=merged.pk)

    response = api.call("post", "/accounts/merge", {"survivor": survivor.pk, "merged": [merged.pk]})

    assert response.status_code == 201, response.content
    assert response.json()["type"] == "account"
    assert api.call("get", f"/contacts/{contact.pk}").json()["account"] == survivor.pk


def test_a_merge_can_be_read_back(api, pair):
    first, second = pair
    created = merge_of(api, first, second).json()

    response = api.call("get", f"/merges/{created['id']}")

    assert response.status_code == 200
    assert response.json() == created


def test_undo_answers_the_merge_with_undone_at_and_restores_the_records(api, pair):
    first, second = pair
    created = merge_of(api, first, second).json()

    response = api.call("post", f"/merges/{created['id']}/undo")

    assert response.status_code == 200, response.content
    assert response.json()["undone_at"] is not None
    restored = api.call("get", f"/contacts/{second.pk}").json()
    assert (restored["deleted"], restored["merged_into"], restored["title"]) == (False, None, "CFO")
    assert [e["value"] for e in restored["emails"]] == ["m@home.example"]
    survivor = api.call("get", f"/contacts/{first.pk}").json()
    assert (survivor["title"], len(survivor["emails"])) == ("", 1)


def test_undoing_twice_is_a_422_problem_saying_so(api, pair):
    first, second = pair
    created = merge_of(api, first, second).json()
    api.call("post", f"/merges/{created['id']}/undo")

    response = api.call("post", f"/merges/{created['id']}/undo")

    assert response.status_code == 422
    assert response["Content-Type"] == PROBLEM
    assert "already undone" in response.json()["detail"]


def test_undo_after_the_window_is_a_422_problem_saying_so(api, admin, pair):
    first, second = pair
    created = merge_of(api, first, second).json()
    Merge.objects.for_tenant(admin.tenant).filter(pk=created["id"]).update(
        created_at=timezone.now() - datetime.timedelta(days=30, minutes=1)
    )
    api.call("get", "/me")
    before = tenant_snapshot(admin.tenant)

    response = api.call("post", f"/merges/{created['id']}/undo")

    assert response.status_code == 422
    assert "can no longer be undone" in response.json()["detail"]
    assert tenant_snapshot(admin.tenant) == before


def test_an_unknown_field_name_is_a_422_naming_it(api, admin, pair):
    first, second = pair
    api.call("get", "/me")  # the token's first use is recorded: before the snapshot
    before = tenant_snapshot(admin.tenant)

    response = merge_of(api, first, second, fields={"colour": first.pk})

    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["fields.colour"]
    assert tenant_snapshot(admin.tenant) == before


def test_the_survivor_among_the_merged_is_a_422(api, pair):
    first, second = pair
    response = api.call(
        "post", "/contacts/merge", {"survivor": first.pk, "merged": [second.pk, first.pk]}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "merged"


def test_merging_an_already_merged_contact_is_a_422(api, admin, pair):
    first, second = pair
    merge_of(api, first, second)
    third = factories.contact(admin)

    response = merge_of(api, third, second)

    assert response.status_code == 422
    assert "already merged" in response.json()["detail"]


def test_an_empty_list_of_merged_records_is_a_422(api, pair):
    response = api.call("post", "/contacts/merge", {"survivor": pair[0].pk, "merged": []})
    assert response.status_code == 422


@pytest.mark.parametrize("role", ["survivor", "merged"])
def test_a_contact_of_another_organisation_is_a_404_and_changes_nothing(
    api, pair, other_org_records, role
):
    theirs = other_org_records.ids["contact"]
    body = {"survivor": theirs, "merged": [pair[0].pk]}
    if role == "merged":
        body = {"survivor": pair[0].pk, "merged": [theirs]}
    before = other_org_records.snapshot()

    response = api.call("post", "/contacts/merge", body)

    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM
    assert other_org_records.snapshot() == before
    assert not other_org_records.leaked_markers(response.content.decode())


def test_a_rep_cannot_merge_contacts_they_cannot_see(rep, api_as, pair, admin):
    mine = factories.contact(rep)
    client = api_as(rep)
    client.call("get", "/me")
    before = tenant_snapshot(admin.tenant)

    response = client.call("post", "/contacts/merge", {"survivor": mine.pk, "merged": [pair[0].pk]})

    assert response.status_code == 404
    assert tenant_snapshot(admin.tenant) == before


def test_a_rep_cannot_read_a_merge_of_contacts_they_cannot_see(rep, api_as, api, pair):
    created = merge_of(api, *pair).json()
    assert api_as(rep).call("get", f"/merges/{created['id']}").status_code == 404
    assert api_as(rep).call("post", f"/merges/{created['id']}/undo").status_code == 404


def test_an_analyst_cannot_merge(analyst, api_as, pair, admin):
    client = api_as(analyst)
    client.call("get", "/me")
    before = tenant_snapshot(admin.tenant)

    response = client.call(
        "post", "/contacts/merge", {"survivor": pair[0].pk, "merged": [pair[1].pk]}
    )

    assert response.status_code == 403
    assert response["Content-Type"] == PROBLEM
    assert tenant_snapshot(admin.tenant) == before


def test_an_analyst_may_read_a_merge_but_not_undo_it(analyst, api_as, api, pair):
    created = merge_of(api, *pair).json()
    assert api_as(analyst).call("get", f"/merges/{created['id']}").status_code == 200
    assert api_as(analyst).call("post", f"/merges/{created['id']}/undo").status_code == 403


def test_the_merge_route_is_not_taken_for_a_contact_id(api, pair):
    # /contacts/{contact_id} must not capture /contacts/merge, nor the other way round.
    assert api.call("get", f"/contacts/{pair[0].pk}").status_code == 200
    assert api.call("get", "/contacts/merge").status_code == 405
    assert api.call("post", f"/contacts/{pair[0].pk}/restore").status_code == 200
    assert merge_of(api, *pair).status_code == 201


def test_the_merge_is_in_the_audit_api_of_the_survivor(api, pair):
    first, second = pair
    created = merge_of(api, first, second).json()

    trail = api.call(
        "get", "/audit", {"object_type": "customers.contact", "object_id": first.pk}
    ).json()["items"]

    assert trail[-1]["changes"]["merged"] == [None, [second.pk]]
    assert trail[-1]["changes"]["merge"] == [None, created["id"]]
