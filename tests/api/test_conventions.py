"""API conventions every endpoint shares: pages, problem+json errors, ETag/If-Match, trash."""

from urllib.parse import urlsplit

import pytest

from funia.core.models import AuditEntry
from tests import factories

PROBLEM = "application/problem+json"

# Record resources with the same conventions: path, a valid new body, a field to change.
RESOURCES = {
    "accounts": ("/accounts", {"name": "Balkan Foods"}, "name"),
    "contacts": ("/contacts", {"last_name": "Petrova"}, "last_name"),
    "teams": ("/teams", {"name": "North"}, "name"),
}
LISTS = ["/accounts", "/contacts", "/teams", "/users", "/tokens"]


@pytest.fixture(params=list(RESOURCES))
def resource(request):
    return RESOURCES[request.param]


@pytest.fixture
def api(admin, api_as):
    return api_as(admin)


def create(api, resource) -> dict:
    path, body, _field = resource
    response = api.call("post", path, body)
    assert response.status_code == 201, response.content
    return response.json()


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    assert body["title"] and body["type"]
    assert isinstance(body["detail"], str) and body["detail"]
    return body


def audit_count(org) -> int:
    return AuditEntry.objects.for_tenant(org).count()


def relative(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


# -- lists -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", LISTS)
def test_a_list_answers_items_count_and_next(api, path):
    response = api.call("get", path)
    assert response.status_code == 200
    assert set(response.json()) == {"items", "count", "next"}


def test_a_list_returns_50_items_by_default(api, admin):
    for n in range(51):
        factories.account(admin, name=f"Account {n:02}")
    body = api.call("get", "/accounts").json()
    assert len(body["items"]) == 50
    assert body["count"] == 51
    assert body["next"] is not None


def test_a_list_returns_up_to_500_items_on_request(api):
    assert api.call("get", "/accounts", {"limit": 500}).status_code == 200


def test_a_limit_above_500_is_refused_with_a_field_error(api):
    body = assert_problem(api.call("get", "/accounts", {"limit": 501}), 422)
    assert [e["field"] for e in body["errors"]] == ["limit"]


def test_a_limit_of_zero_is_refused(api):
    assert_problem(api.call("get", "/accounts", {"limit": 0}), 422)


def test_a_negative_offset_is_refused(api):
    assert_problem(api.call("get", "/accounts", {"offset": -1}), 422)


def test_following_next_walks_every_item_once_until_next_is_null(api, admin):
    created = {factories.account(admin, name=f"Account {n}").pk for n in range(7)}
    seen, pages = [], 0
    url = "/accounts?limit=3"
    while url:
        body = api.call("get", url).json()
        seen += [item["id"] for item in body["items"]]
        assert body["count"] == 7
        pages += 1
        url = body["next"] and relative(body["next"])
    assert pages == 3
    assert sorted(seen) == sorted(created)


def test_the_next_link_keeps_the_filters(api, admin):
    for n in range(3):
        factories.account(admin, name=f"Keep {n}")
    factories.account(admin, name="Other")
    first = api.call("get", "/accounts", {"q": "Keep", "limit": 2}).json()
    assert "q=Keep" in first["next"]
    second = api.call("get", relative(first["next"])).json()
    assert [i["name"] for i in second["items"]] == ["Keep 2"]
    assert second["next"] is None


def test_an_offset_past_the_end_returns_an_empty_page(api, admin):
    factories.account(admin)
    body = api.call("get", "/accounts", {"offset": 10}).json()
    assert body == {"items": [], "count": 1, "next": None}


# -- errors ------------------------------------------------------------------------------


def test_a_missing_record_is_a_404_problem(api):
    assert_problem(api.call("get", "/accounts/999999"), 404)


def test_a_forbidden_action_is_a_403_problem(rep, api_as):
    assert_problem(api_as(rep).call("post", "/teams", {"name": "Mine"}), 403)


def test_an_invalid_value_is_a_422_problem_naming_the_field(api):
    body = assert_problem(api.call("post", "/accounts", {"name": ""}), 422)
    assert body["errors"][0]["field"] == "name"
    assert body["errors"][0]["message"]


def test_every_field_error_has_a_field_and_a_message(api):
    body = assert_problem(api.call("post", "/accounts", {"name": "", "employees": -1}), 422)
    assert {e["field"] for e in body["errors"]} == {"name", "employees"}
    assert all(set(e) == {"field", "message"} for e in body["errors"])


def test_a_service_validation_error_is_a_422_problem_naming_the_field(api):
    body = assert_problem(api.call("post", "/accounts", {"name": "X", "parent": 999999}), 422)
    assert [e["field"] for e in body["errors"]] == ["parent"]


def test_an_invalid_path_id_is_a_422_problem(api):
    body = assert_problem(api.call("get", "/accounts/abc"), 422)
    assert body["errors"][0]["field"] == "account_id"


def test_an_unparseable_body_is_a_400_problem(api, admin):
    response = api.post(
        "/api/v1/accounts",
        data="{not json",
        content_type="application/json",
        headers={"Authorization": f"Bearer {api.token}"},
    )
    assert_problem(response, 400)


@pytest.mark.parametrize("method", ["post", "patch"])
def test_an_unknown_body_field_is_refused_naming_it(api, admin, method):
    acct = factories.account(admin, name="Before")
    path = "/accounts" if method == "post" else f"/accounts/{acct.pk}"
    body = assert_problem(api.call(method, path, {"name": "After", "colour": "red"}), 422)
    assert [e["field"] for e in body["errors"]] == ["colour"]
    acct.refresh_from_db()
    assert (acct.name, acct.version) == ("Before", 1)


def test_an_unknown_api_path_is_a_404_problem(api):
    assert_problem(api.call("get", "/no-such-endpoint"), 404)


def test_an_unsupported_method_is_a_405_problem(api, admin):
    acct = factories.account(admin)
    assert_problem(api.call("put", f"/accounts/{acct.pk}", {"name": "X"}), 405)


# -- ETag and If-Match -------------------------------------------------------------------


def test_a_read_returns_the_records_etag(api, resource):
    record = create(api, resource)
    response = api.call("get", f"{resource[0]}/{record['id']}")
    assert response["ETag"] == f'"{record["id"]}-1"'


def test_a_create_returns_the_records_etag(api, resource):
    path, body, _field = resource
    response = api.call("post", path, body)
    assert response["ETag"] == f'"{response.json()["id"]}-1"'


def test_an_update_with_a_stale_if_match_is_refused_and_changes_nothing(api, resource, org):
    path, _body, field = resource
    record = create(api, resource)
    url = f"{path}/{record['id']}"
    api.call("patch", url, {field: "Second"})
    audits = audit_count(org)

    response = api.call("patch", url, {field: "Third"}, headers={"If-Match": f'"{record["id"]}-1"'})

    assert_problem(response, 412)
    assert response["ETag"] == f'"{record["id"]}-2"'
    current = api.call("get", url).json()
    assert (current[field], current["version"]) == ("Second", 2)
    assert audit_count(org) == audits


def test_an_update_with_the_current_if_match_succeeds_and_bumps_the_version(api, resource):
    path, _body, field = resource
    record = create(api, resource)
    url = f"{path}/{record['id']}"
    etag = api.call("get", url)["ETag"]

    response = api.call("patch", url, {field: "Renamed"}, headers={"If-Match": etag})

    assert response.status_code == 200, response.content
    assert response.json()["version"] == record["version"] + 1
    assert response.json()[field] == "Renamed"
    assert response["ETag"] == f'"{record["id"]}-2"'


def test_an_update_with_if_match_star_succeeds(api, resource):
    path, _body, field = resource
    record = create(api, resource)
    response = api.call("patch", f"{path}/{record['id']}", {field: "Any"}, {"If-Match": "*"})
    assert response.status_code == 200
    assert response.json()["version"] == 2


def test_an_if_match_listing_the_current_etag_among_others_succeeds(api, resource):
    path, _body, field = resource
    record = create(api, resource)
    tags = f'"{record["id"]}-7", "{record["id"]}-1"'
    response = api.call("patch", f"{path}/{record['id']}", {field: "Listed"}, {"If-Match": tags})
    assert response.status_code == 200


def test_a_delete_with_a_stale_if_match_is_refused_and_deletes_nothing(api, resource, org):
    path, _body, field = resource
    record = create(api, resource)
    url = f"{path}/{record['id']}"
    api.call("patch", url, {field: "Second"})
    audits = audit_count(org)

    assert_problem(api.call("delete", url, headers={"If-Match": f'"{record["id"]}-1"'}), 412)

    current = api.call("get", url).json()
    assert (current["deleted"], current["version"]) == (False, 2)
    assert audit_count(org) == audits


def test_a_delete_with_the_current_if_match_succeeds(api, resource):
    path, _body, _field = resource
    record = create(api, resource)
    url = f"{path}/{record['id']}"
    response = api.call("delete", url, headers={"If-Match": f'"{record["id"]}-1"'})
    assert response.status_code == 204
    assert api.call("get", url).json()["version"] == 2


def test_a_restore_with_a_stale_if_match_is_refused(api, resource):
    path, _body, _field = resource
    record = create(api, resource)
    url = f"{path}/{record['id']}"
    api.call("delete", url)
    stale = {"If-Match": f'"{record["id"]}-1"'}
    assert_problem(api.call("post", f"{url}/restore", headers=stale), 412)
    assert api.call("get", url).json()["deleted"] is True


# -- soft delete and restore -------------------------------------------------------------


def test_delete_answers_204_and_the_record_is_still_readable_as_deleted(api, resource):
    path, _body, _field = resource
    record = create(api, resource)
    url = f"{path}/{record['id']}"
    response = api.call("delete", url)
    assert response.status_code == 204
    assert response.content == b""
    read = api.call("get", url)
    assert read.status_code == 200
    assert read.json()["deleted"] is True


def test_a_deleted_record_leaves_the_list(api, resource):
    path, _body, _field = resource
    record = create(api, resource)
    api.call("delete", f"{path}/{record['id']}")
    ids = [item["id"] for item in api.call("get", path).json()["items"]]
    assert record["id"] not in ids


def test_the_deleted_filter_lists_only_the_trash(api, resource):
    path, body, field = resource
    kept = create(api, resource)
    trashed = api.call("post", path, {**body, field: "Trashed"}).json()
    api.call("delete", f"{path}/{trashed['id']}")
    ids = [item["id"] for item in api.call("get", path, {"deleted": "true"}).json()["items"]]
    assert ids == [trashed["id"]]
    assert kept["id"] not in ids


def test_restore_brings_a_record_back_into_the_list(api, resource):
    path, _body, _field = resource
    record = create(api, resource)
    api.call("delete", f"{path}/{record['id']}")
    response = api.call("post", f"{path}/{record['id']}/restore")
    assert response.status_code == 200
    assert response.json()["deleted"] is False
    assert response.json()["version"] == 3
    ids = [item["id"] for item in api.call("get", path).json()["items"]]
    assert record["id"] in ids


def test_a_deleted_record_cannot_be_updated(api, resource):
    path, _body, field = resource
    record = create(api, resource)
    api.call("delete", f"{path}/{record['id']}")
    assert_problem(api.call("patch", f"{path}/{record['id']}", {field: "Ghost"}), 404)


def test_deleting_twice_answers_404_the_second_time(api, resource):
    path, _body, _field = resource
    record = create(api, resource)
    api.call("delete", f"{path}/{record['id']}")
    assert_problem(api.call("delete", f"{path}/{record['id']}"), 404)


def test_restoring_a_live_record_changes_nothing(api, resource):
    path, _body, _field = resource
    record = create(api, resource)
    response = api.call("post", f"{path}/{record['id']}/restore")
    assert response.status_code == 200
    assert response.json()["version"] == 1


# -- query counts ------------------------------------------------------------------------


def add_rows(path: str, admin, n: int) -> None:
    """n more rows behind a list endpoint, each with the references the list shows."""
    org = admin.tenant
    for _ in range(n):
        if path == "/users":
            person = factories.member(org, "sales_rep")
            factories.team(admin, members=[person])
        elif path == "/teams":
            person = factories.member(org, "sales_rep")
            factories.team(admin, manager=admin, members=[admin, person])
        elif path == "/accounts":
            parent = factories.account(admin, name="Parent")
            acct = factories.account(admin, parent_id=parent.pk)
            factories.contact(admin, account_id=acct.pk)
        elif path == "/contacts":
            acct = factories.account(admin)
            factories.contact(admin, account_id=acct.pk)


def queries_of(api, path: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = api.call("get", path, {"limit": 500})
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("path", ["/accounts", "/contacts", "/teams", "/users"])
def test_a_list_endpoint_runs_as_many_queries_for_30_rows_as_for_5(api, admin, path):
    add_rows(path, admin, 5)
    api.call("get", path)  # warm up: the token's first use records last_used_at
    few = queries_of(api, path)
    add_rows(path, admin, 25)
    many = queries_of(api, path)
    assert many == few, f"{path}: {few} queries for 5 rows, {many} for 30"


def test_a_list_endpoint_stays_within_a_small_query_budget(
    api, admin, django_assert_max_num_queries
):
    add_rows("/accounts", admin, 10)
    api.call("get", "/accounts")
    with django_assert_max_num_queries(8):
        api.call("get", "/accounts")
