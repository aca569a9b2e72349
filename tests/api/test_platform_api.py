"""The platform API: authentication, /me, /users, /teams, /tokens."""

import pytest
from django.utils import timezone

from funia.core import services as core_services
from funia.core.models import ApiToken, Membership, Team, User
from tests import factories
from tests.conftest import ApiClient

PROBLEM = "application/problem+json"


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    assert response.json()["detail"]
    return response.json()


def error_fields(response) -> list[str]:
    return [e["field"] for e in response.json()["errors"]]


# -- authentication ----------------------------------------------------------------------


def test_a_request_without_a_token_is_a_401_problem(org, api_anonymous):
    response = api_anonymous.call("get", "/me")
    assert_problem(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_an_unknown_token_is_a_401_problem(org):
    assert_problem(ApiClient("funia_not-a-real-token").call("get", "/me"), 401)


def test_a_token_without_the_prefix_is_a_401_problem(org):
    assert_problem(ApiClient("garbage").call("get", "/me"), 401)


def test_a_revoked_token_is_a_401_problem(admin):
    token, secret = core_services.token_create(tenant=admin.tenant, user=admin.user)
    core_services.token_revoke(by=admin, token=token)
    assert_problem(ApiClient(secret).call("get", "/me"), 401)


def test_a_token_of_a_deactivated_membership_is_refused(admin, rep):
    secret = factories.token_for(rep)
    core_services.membership_update(by=admin, membership=_membership(rep), is_active=False)
    assert_problem(ApiClient(secret).call("get", "/accounts"), 401)


def test_a_token_of_a_deactivated_user_is_refused(rep):
    secret = factories.token_for(rep)
    User.objects.filter(pk=rep.user.pk).update(is_active=False)
    assert_problem(ApiClient(secret).call("get", "/me"), 401)


def test_a_token_of_a_user_removed_from_the_organisation_is_refused(rep):
    secret = factories.token_for(rep)
    _membership(rep).delete()
    assert_problem(ApiClient(secret).call("get", "/me"), 401)


def test_using_a_token_records_when_it_was_last_used(admin):
    token, secret = core_services.token_create(tenant=admin.tenant, user=admin.user)
    assert token.last_used_at is None
    before = timezone.now()
    assert ApiClient(secret).call("get", "/me").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None and token.last_used_at >= before


def test_a_refused_token_does_not_record_use(admin):
    token, secret = core_services.token_create(tenant=admin.tenant, user=admin.user)
    core_services.token_revoke(by=admin, token=token)
    ApiClient(secret).call("get", "/me")
    token.refresh_from_db()
    assert token.last_used_at is None


def test_tokens_are_stored_hashed(admin):
    token, secret = core_services.token_create(tenant=admin.tenant, user=admin.user)
    row = ApiToken.objects.for_tenant(admin.tenant).filter(pk=token.pk).values().get()
    assert all(secret not in str(value) for value in row.values())
    assert row["key_hash"] == ApiToken.hash(secret)
    assert secret.startswith(row["key_prefix"])


def test_a_token_authenticates_in_its_own_organisation_only(admin, outsider):
    # The same person in two organisations: each token acts in the organisation it names.
    Membership.objects.create(tenant=outsider.tenant, user=admin.user, role="admin")
    _token, secret = core_services.token_create(tenant=outsider.tenant, user=admin.user)
    assert ApiClient(secret).call("get", "/me").json()["organization"] == outsider.tenant.slug


def _membership(actor) -> Membership:
    return Membership.objects.for_tenant(actor.tenant).get(user=actor.user)


# -- /me ---------------------------------------------------------------------------------


def test_me_describes_the_user_and_the_organisation(rep, api_as):
    body = api_as(rep).call("get", "/me").json()
    assert body["id"] == rep.user.pk
    assert body["email"] == rep.user.email
    assert body["role"] == "sales_rep"
    assert body["organization"] == rep.tenant.slug
    assert body["organization_name"] == rep.tenant.name
    assert body["currency"] == "EUR"


def test_me_works_with_the_web_session(admin):
    client = ApiClient()
    client.force_login(admin.user)
    assert client.call("get", "/me").json()["id"] == admin.user.pk


# -- /users ------------------------------------------------------------------------------


def test_an_admin_lists_the_users_of_the_organisation_with_roles_and_teams(
    admin, rep, outsider, api_as
):
    team = factories.team(admin, members=[rep])
    items = api_as(admin).call("get", "/users").json()["items"]
    by_id = {item["id"]: item for item in items}
    assert set(by_id) == {admin.user.pk, rep.user.pk}
    assert by_id[rep.user.pk]["role"] == "sales_rep"
    assert by_id[rep.user.pk]["teams"] == [team.pk]
    assert by_id[admin.user.pk]["teams"] == []


def test_the_user_list_filters_by_role(admin, rep, api_as):
    items = api_as(admin).call("get", "/users", {"role": "sales_rep"}).json()["items"]
    assert [item["id"] for item in items] == [rep.user.pk]


def test_a_rep_reads_the_directory_of_colleagues_to_pick_owners(rep, admin, api_as):
    # Every member sees who works in the organisation (owners, managers); only admins change it.
    items = api_as(rep).call("get", "/users").json()["items"]
    assert {item["id"] for item in items} == {rep.user.pk, admin.user.pk}


def test_a_rep_cannot_change_a_colleagues_role(rep, admin, api_as):
    response = api_as(rep).call("patch", f"/users/{admin.user.pk}", {"role": "sales_rep"})
    assert_problem(response, 403)


def test_an_admin_adds_a_user_with_a_role(admin, api_as, org):
    response = api_as(admin).call(
        "post", "/users", {"email": "New.Rep@Example.com", "role": "sales_rep", "first_name": "N"}
    )
    assert response.status_code == 201, response.content
    assert response.json()["email"] == "new.rep@example.com"
    assert Membership.objects.for_tenant(org).get(user__email="new.rep@example.com").role == (
        "sales_rep"
    )


@pytest.mark.parametrize("role", ["sales_rep", "sales_manager", "analyst"])
def test_only_admins_may_add_users(org, api_as, role):
    actor = factories.member(org, role)
    response = api_as(actor).call("post", "/users", {"email": "x@example.com", "role": "admin"})
    assert_problem(response, 403)
    assert not User.objects.filter(email="x@example.com").exists()


def test_adding_a_user_with_an_unknown_role_is_a_422(admin, api_as):
    response = api_as(admin).call("post", "/users", {"email": "x@example.com", "role": "king"})
    assert_problem(response, 422)
    assert error_fields(response) == ["role"]
    assert not User.objects.filter(email="x@example.com").exists()


def test_adding_an_existing_member_again_is_a_422(admin, rep, api_as):
    response = api_as(admin).call("post", "/users", {"email": rep.user.email, "role": "admin"})
    assert_problem(response, 422)
    assert _membership(rep).role == "sales_rep"


def test_adding_a_user_with_an_invalid_email_is_a_422(admin, api_as):
    response = api_as(admin).call("post", "/users", {"email": "not-an-email", "role": "admin"})
    assert_problem(response, 422)
    assert error_fields(response) == ["email"]


def test_an_admin_changes_a_users_role(admin, rep, api_as):
    response = api_as(admin).call("patch", f"/users/{rep.user.pk}", {"role": "sales_manager"})
    assert response.status_code == 200
    assert response.json()["role"] == "sales_manager"
    assert _membership(rep).role == "sales_manager"


def test_an_admin_deactivates_a_user(admin, rep, api_as):
    response = api_as(admin).call("patch", f"/users/{rep.user.pk}", {"is_active": False})
    assert response.json()["is_active"] is False
    assert _membership(rep).is_active is False


def test_changing_a_role_to_an_unknown_one_is_a_422(admin, rep, api_as):
    response = api_as(admin).call("patch", f"/users/{rep.user.pk}", {"role": "king"})
    assert_problem(response, 422)
    assert error_fields(response) == ["role"]
    assert _membership(rep).role == "sales_rep"


def test_a_rep_cannot_change_a_role(rep, admin, api_as):
    response = api_as(rep).call("patch", f"/users/{rep.user.pk}", {"role": "admin"})
    assert_problem(response, 403)
    assert _membership(rep).role == "sales_rep"


def test_an_admin_cannot_remove_their_own_admin_role(admin, api_as):
    response = api_as(admin).call("patch", f"/users/{admin.user.pk}", {"role": "sales_rep"})
    assert_problem(response, 422)
    assert _membership(admin).role == "admin"


def test_a_user_of_another_organisation_is_404(admin, outsider, api_as):
    assert_problem(api_as(admin).call("get", f"/users/{outsider.user.pk}"), 404)


# -- /teams ------------------------------------------------------------------------------


def test_an_admin_creates_a_team_with_a_manager_and_members(admin, manager, rep, api_as):
    body = {"name": "North", "manager": manager.user.pk, "members": [rep.user.pk]}
    response = api_as(admin).call("post", "/teams", body)
    assert response.status_code == 201, response.content
    team = response.json()
    assert (team["name"], team["manager"], team["members"]) == (
        "North",
        manager.user.pk,
        [rep.user.pk],
    )
    assert team["version"] == 1 and team["deleted"] is False


def test_a_team_is_read_with_its_member_ids(admin, rep, api_as):
    team = factories.team(admin, members=[admin, rep])
    body = api_as(rep).call("get", f"/teams/{team.pk}").json()
    assert body["members"] == sorted([admin.user.pk, rep.user.pk])


def test_the_member_list_of_a_team_is_replaced_by_patch(admin, manager, rep, api_as):
    team = factories.team(admin, members=[admin, rep])
    response = api_as(admin).call("patch", f"/teams/{team.pk}", {"members": [manager.user.pk]})
    assert response.status_code == 200
    assert response.json()["members"] == [manager.user.pk]
    assert response.json()["version"] == 2


def test_a_patch_without_members_keeps_them(admin, rep, api_as):
    team = factories.team(admin, members=[rep])
    response = api_as(admin).call("patch", f"/teams/{team.pk}", {"name": "Renamed"})
    assert response.json()["members"] == [rep.user.pk]


def test_the_team_list_shows_the_organisations_teams(admin, outsider, api_as):
    ours = factories.team(admin, "Ours")
    factories.team(outsider, "Theirs")
    items = api_as(admin).call("get", "/teams").json()["items"]
    assert [(t["id"], t["name"]) for t in items] == [(ours.pk, "Ours")]


@pytest.mark.parametrize("field", ["members", "manager"])
def test_a_team_member_or_manager_from_another_organisation_is_a_422_that_leaks_nothing(
    admin, outsider, api_as, org, field
):
    value = [outsider.user.pk] if field == "members" else outsider.user.pk
    response = api_as(admin).call("post", "/teams", {"name": "Poachers", field: value})
    assert_problem(response, 422)
    assert error_fields(response) == [field]
    text = response.content.decode()
    for secret in (outsider.user.email, outsider.user.last_name, outsider.tenant.name):
        assert secret not in text
    assert not Team.objects.for_tenant(org).exists()


@pytest.mark.parametrize("field", ["members", "manager"])
def test_patching_in_a_member_from_another_organisation_changes_nothing(
    admin, rep, outsider, api_as, field
):
    team = factories.team(admin, members=[rep])
    value = [outsider.user.pk] if field == "members" else outsider.user.pk
    response = api_as(admin).call("patch", f"/teams/{team.pk}", {field: value})
    assert_problem(response, 422)
    team.refresh_from_db()
    assert team.version == 1 and team.manager_id is None
    assert [u.pk for u in team.members.all()] == [rep.user.pk]


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("post", "", {"name": "Mine"}),
        ("patch", "/{id}", {"name": "Mine"}),
        ("delete", "/{id}", None),
    ],
)
def test_only_admins_may_change_teams(admin, manager, api_as, org, method, suffix, body):
    team = factories.team(admin, "North")
    response = api_as(manager).call(method, "/teams" + suffix.format(id=team.pk), body)
    assert_problem(response, 403)
    assert list(Team.objects.for_tenant(org).values_list("name", "version")) == [("North", 1)]


# -- /tokens -----------------------------------------------------------------------------


def test_creating_a_token_shows_its_secret_once(rep, api_as):
    api = api_as(rep)
    created = api.call("post", "/tokens", {"name": "Laptop"})
    assert created.status_code == 201
    secret = created.json()["token"]
    assert secret.startswith("funia_")
    listed = api.call("get", "/tokens")
    assert secret not in listed.content.decode()
    assert all("token" not in item for item in listed.json()["items"])
    assert "Laptop" in [item["name"] for item in listed.json()["items"]]


def test_a_created_token_works(rep, api_as):
    secret = api_as(rep).call("post", "/tokens", {"name": "CLI"}).json()["token"]
    assert ApiClient(secret).call("get", "/me").json()["id"] == rep.user.pk


def test_the_token_list_shows_only_your_own_tokens(admin, rep, api_as):
    core_services.token_create(tenant=admin.tenant, user=admin.user, name="Admin's")
    names = [t["name"] for t in api_as(rep).call("get", "/tokens").json()["items"]]
    assert "Admin's" not in names


def test_a_revoked_token_stops_working(rep, api_as):
    api = api_as(rep)
    created = api.call("post", "/tokens", {"name": "Old"}).json()
    assert api.call("delete", f"/tokens/{created['id']}").status_code == 204
    assert_problem(ApiClient(created["token"]).call("get", "/me"), 401)
    listed = {t["id"]: t for t in api.call("get", "/tokens").json()["items"]}
    assert listed[created["id"]]["revoked_at"] is not None


def test_a_token_can_revoke_itself(rep):
    token, secret = core_services.token_create(tenant=rep.tenant, user=rep.user)
    client = ApiClient(secret)
    assert client.call("delete", f"/tokens/{token.pk}").status_code == 204
    assert_problem(client.call("get", "/me"), 401)


def test_another_users_token_cannot_be_revoked_through_the_api(admin, rep, api_as):
    token, secret = core_services.token_create(tenant=admin.tenant, user=admin.user)
    assert_problem(api_as(rep).call("delete", f"/tokens/{token.pk}"), 404)
    assert ApiClient(secret).call("get", "/me").status_code == 200
