"""The customer master through the API: /accounts and /contacts."""

import pytest

from funia.customers.models import Account, Contact
from tests import factories


@pytest.fixture
def api(admin, api_as):
    return api_as(admin)


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item.get("name") or item.get("last_name") for item in response.json()["items"]]


def error_fields(response) -> list[str]:
    assert response.status_code == 422, response.content
    return [e["field"] for e in response.json()["errors"]]


# -- accounts ----------------------------------------------------------------------------


def test_creating_an_account_returns_it_with_normalised_fields(api, admin):
    response = api.call(
        "post",
        "/accounts",
        {
            "name": "Balkan Foods",
            "country": "bg",
            "emails": [{"value": " Sales@Balkan.example ", "label": "sales"}],
            "phones": ["02 987 6543"],
            "domain": "https://www.Balkan.example/about",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["name"], body["country"], body["domain"]) == (
        "Balkan Foods",
        "BG",
        "balkan.example",
    )
    assert body["emails"] == [{"value": "sales@balkan.example", "label": "sales"}]
    assert body["phones"] == [{"value": "+35929876543", "label": ""}]
    assert body["version"] == 1 and body["deleted"] is False


def test_the_creator_owns_a_new_account_unless_an_owner_is_given(api, admin, rep):
    mine = api.call("post", "/accounts", {"name": "Mine"}).json()
    theirs = api.call("post", "/accounts", {"name": "Theirs", "owner": rep.user.pk}).json()
    assert (mine["owner"], theirs["owner"]) == (admin.user.pk, rep.user.pk)


def test_an_account_can_be_created_without_an_owner(api):
    assert (
        api.call("post", "/accounts", {"name": "Nobody's", "owner": None}).json()["owner"] is None
    )


def test_an_owner_who_is_not_a_member_is_refused(api, org):
    stranger = factories.UserFactory()
    response = api.call("post", "/accounts", {"name": "X", "owner": stranger.pk})
    assert error_fields(response) == ["owner"]
    assert not Account.objects.for_tenant(org).exists()


def test_an_account_may_have_a_parent_account(api, admin):
    parent = factories.account(admin, name="Holding")
    child = api.call("post", "/accounts", {"name": "Subsidiary", "parent": parent.pk}).json()
    assert child["parent"] == parent.pk


def test_an_account_cannot_become_its_own_ancestor(api, admin):
    grandparent = factories.account(admin, name="Top")
    parent = factories.account(admin, name="Middle", parent_id=grandparent.pk)
    response = api.call("patch", f"/accounts/{grandparent.pk}", {"parent": parent.pk})
    assert error_fields(response) == ["parent"]
    grandparent.refresh_from_db()
    assert grandparent.parent_id is None and grandparent.version == 1


def test_patch_changes_only_the_fields_sent(api, admin):
    acct = factories.account(admin, name="Keep", city="Sofia", industry="Food")
    body = api.call("patch", f"/accounts/{acct.pk}", {"city": "Varna"}).json()
    assert (body["name"], body["city"], body["industry"]) == ("Keep", "Varna", "Food")


def test_patch_with_null_clears_a_text_field(api, admin):
    acct = factories.account(admin, emails=["a@b.example"], domain="b.example")
    body = api.call("patch", f"/accounts/{acct.pk}", {"emails": None, "domain": None}).json()
    assert (body["emails"], body["domain"]) == ([], "")


def test_an_invalid_country_code_is_refused(api):
    assert error_fields(api.call("post", "/accounts", {"name": "X", "country": "BGR"})) == [
        "country"
    ]


def test_the_account_list_is_sorted_by_name_by_default(api, admin):
    for name in ("Charlie", "Alpha", "Bravo"):
        factories.account(admin, name=name)
    assert names(api.call("get", "/accounts")) == ["Alpha", "Bravo", "Charlie"]


def test_the_account_list_sorts_on_request(api, admin):
    for name in ("Charlie", "Alpha", "Bravo"):
        factories.account(admin, name=name)
    assert names(api.call("get", "/accounts", {"sort": "-name"})) == ["Charlie", "Bravo", "Alpha"]


def test_an_unknown_sort_is_refused(api):
    assert error_fields(api.call("get", "/accounts", {"sort": "owner"})) == ["sort"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"q": "bakery"}, ["Sofia Bakery"]),
        ({"q": "dairy.example"}, ["Milk Co"]),
        ({"industry": "FOOD"}, ["Milk Co", "Sofia Bakery"]),
        ({"country": "ro"}, ["Milk Co"]),
    ],
)
def test_the_account_list_filters(api, admin, query, expected):
    factories.account(admin, name="Sofia Bakery", industry="Food", country="BG")
    factories.account(admin, name="Milk Co", domain="dairy.example", industry="food", country="RO")
    factories.account(admin, name="Steel Works", industry="Metal", country="BG")
    assert names(api.call("get", "/accounts", query)) == expected


def test_the_account_list_filters_by_owner(api, admin, rep):
    factories.account(admin, name="Admin's")
    factories.account(rep, name="Rep's")
    assert names(api.call("get", "/accounts", {"owner": rep.user.pk})) == ["Rep's"]


# -- contacts ----------------------------------------------------------------------------


def test_creating_a_contact_links_it_to_an_account(api, admin):
    acct = factories.account(admin)
    response = api.call(
        "post",
        "/contacts",
        {"first_name": "Maria", "last_name": "Ivanova", "account": acct.pk, "title": "CFO"},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["account"], body["title"], body["owner"]) == (acct.pk, "CFO", admin.user.pk)


def test_a_contact_needs_a_last_name(api, org):
    assert error_fields(api.call("post", "/contacts", {"first_name": "Only"})) == ["last_name"]
    assert not Contact.objects.for_tenant(org).exists()


def test_a_contact_cannot_point_at_a_missing_account(api):
    assert error_fields(api.call("post", "/contacts", {"last_name": "X", "account": 999999})) == [
        "account"
    ]


def test_the_contact_list_filters_by_account(api, admin):
    acct = factories.account(admin)
    factories.contact(admin, last_name="Inside", account_id=acct.pk)
    factories.contact(admin, last_name="Outside")
    assert names(api.call("get", "/contacts", {"account": acct.pk})) == ["Inside"]


def test_the_contact_list_searches_names_and_email(api, admin):
    factories.contact(admin, first_name="Maria", last_name="Ivanova")
    factories.contact(admin, last_name="Petrov", emails=["mp@shop.example"])
    factories.contact(admin, last_name="Georgiev")
    assert names(api.call("get", "/contacts", {"q": "maria"})) == ["Ivanova"]
    assert names(api.call("get", "/contacts", {"q": "shop.example"})) == ["Petrov"]


def test_a_deleted_account_keeps_its_contacts_link(api, admin):
    acct = factories.account(admin)
    contact = factories.contact(admin, account_id=acct.pk)
    api.call("delete", f"/accounts/{acct.pk}")
    assert api.call("get", f"/contacts/{contact.pk}").json()["account"] == acct.pk


def test_a_contact_cannot_be_moved_to_a_deleted_account(api, admin):
    acct = factories.account(admin)
    api.call("delete", f"/accounts/{acct.pk}")
    contact = factories.contact(admin)
    response = api.call("patch", f"/contacts/{contact.pk}", {"account": acct.pk})
    assert error_fields(response) == ["account"]
