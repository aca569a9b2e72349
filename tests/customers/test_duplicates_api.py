"""The duplicate check in the API (409 with candidates) and the /duplicates endpoints."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from funia.customers import dedupe
from funia.customers.models import Contact, DuplicateScan
from tests import factories
from tests.conftest import tenant_snapshot

PROBLEM = "application/problem+json"


def finished_scan(by, record_type="contact") -> DuplicateScan:
    scan = dedupe.duplicate_scan_start(by=by, record_type=record_type)
    dedupe.duplicate_scan_run(tenant_id=by.tenant.pk, scan_id=scan.pk)
    scan.refresh_from_db()
    return scan


def business_rows(tenant) -> dict:
    """The organisation's rows but its API tokens (a request notes when its token was used)."""
    rows = tenant_snapshot(tenant)
    rows.pop("core.apitoken")
    return rows


def twins(by, first="Ivan", last="Petrov", **fields) -> list:
    return [factories.contact(by, first_name=first, last_name=last, **fields) for _ in range(2)]


# -- 409 on create -----------------------------------------------------------------------


def test_creating_a_contact_that_exists_answers_409_with_the_candidates(admin, api_as):
    existing = factories.contact(admin, first_name="Иван", last_name="Петров")
    before = Contact.objects.for_tenant(admin.tenant).count()

    response = api_as(admin).call(
        "post", "/contacts", {"first_name": "Ivan", "last_name": "Petrov"}
    )

    assert response.status_code == 409
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["candidates"] == [
        {"id": existing.pk, "name": "Иван Петров", "score": 70, "reasons": ["name"]}
    ]
    assert "on_duplicate=create" in body["detail"]
    assert Contact.objects.for_tenant(admin.tenant).count() == before


def test_creating_it_with_on_duplicate_create_answers_201(admin, api_as):
    factories.contact(admin, first_name="Иван", last_name="Петров")

    response = api_as(admin).call(
        "post", "/contacts?on_duplicate=create", {"first_name": "Ivan", "last_name": "Petrov"}
    )

    assert response.status_code == 201, response.content
    assert Contact.objects.for_tenant(admin.tenant).filter(last_name="Petrov").exists()


def test_an_account_with_a_known_domain_answers_409(admin, api_as):
    existing = factories.account(admin, name="Balkan Foods", domain="balkanfoods.bg")

    response = api_as(admin).call(
        "post", "/accounts", {"name": "BF", "domain": "www.balkanfoods.bg"}
    )

    assert response.status_code == 409
    [candidate] = response.json()["candidates"]
    assert (candidate["id"], candidate["reasons"]) == (existing.pk, ["domain"])


def test_renaming_a_contact_into_a_duplicate_answers_409(admin, api_as):
    existing = factories.contact(admin, first_name="Gosho", last_name="Ivanov")
    other = factories.contact(admin, first_name="Maria", last_name="Koleva")

    response = api_as(admin).call(
        "patch", f"/contacts/{other.pk}", {"first_name": "Georgi", "last_name": "Ivanov"}
    )

    assert response.status_code == 409
    assert [c["id"] for c in response.json()["candidates"]] == [existing.pk]
    assert response.json()["candidates"][0]["reasons"] == ["nickname"]


# -- starting scans ----------------------------------------------------------------------


@pytest.mark.parametrize("role", ["admin", "sales_manager"])
def test_admins_and_managers_start_a_scan(org, api_as, role):
    actor = factories.member(org, role)

    response = api_as(actor).call("post", "/duplicates/scan", {"type": "contact"})

    assert response.status_code == 202, response.content
    body = response.json()
    assert (body["type"], body["status"], body["progress"], body["clusters"]) == (
        "contact",
        "queued",
        0,
        0,
    )
    assert DuplicateScan.objects.for_tenant(org).get(pk=body["id"]).requested_by == actor.user


@pytest.mark.parametrize("role", ["sales_rep", "analyst", "marketer", "service_agent"])
def test_other_roles_may_not_start_a_scan_and_nothing_changes(org, api_as, role):
    api = api_as(factories.member(org, role))
    before = business_rows(org)

    response = api.call("post", "/duplicates/scan", {"type": "contact"})

    assert response.status_code == 403
    assert response["Content-Type"] == PROBLEM
    assert business_rows(org) == before


def test_a_scan_type_must_be_contact_or_account(admin, api_as):
    response = api_as(admin).call("post", "/duplicates/scan", {"type": "lead"})

    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["type"]


def test_a_scan_reads_with_its_progress(admin, api_as):
    scan = finished_scan(admin)

    response = api_as(admin).call("get", f"/duplicates/scans/{scan.pk}")

    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["status"], body["progress"]) == (scan.pk, "done", 100)
    assert body["finished_at"] is not None


def test_a_scan_of_another_organisation_is_404(admin, outsider, api_as):
    theirs = finished_scan(outsider)

    response = api_as(admin).call("get", f"/duplicates/scans/{theirs.pk}")

    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM


# -- the clusters ------------------------------------------------------------------------


def test_the_list_has_the_clusters_of_the_latest_finished_scan(admin, api_as):
    ivans = twins(admin)
    finished = finished_scan(admin)
    running = dedupe.duplicate_scan_start(by=admin, record_type="contact")

    body = api_as(admin).call("get", "/duplicates", {"type": "contact"}).json()

    assert body["count"] == 1
    [cluster] = body["items"]
    assert cluster["type"] == "contact"
    assert cluster["records"] == [{"id": c.pk, "name": "Ivan Petrov"} for c in ivans]
    assert (cluster["score"], cluster["reasons"]) == (70, ["name"])
    assert body["scan"]["id"] == finished.pk
    assert (body["latest_scan"]["id"], body["latest_scan"]["status"]) == (running.pk, "queued")


def test_the_list_without_a_finished_scan_is_empty(admin, api_as):
    body = api_as(admin).call("get", "/duplicates").json()

    assert body == {"items": [], "count": 0, "next": None, "scan": None, "latest_scan": None}


def test_the_list_is_paged_like_every_list(admin, api_as):
    twins(admin, "Ivan", "Petrov")
    twins(admin, "Maria", "Koleva")
    twins(admin, "Stoyan", "Dimitrov")
    finished_scan(admin)
    api = api_as(admin)

    first = api.call("get", "/duplicates", {"limit": 2}).json()
    second = api.call("get", "/duplicates", {"limit": 2, "offset": 2}).json()

    assert (first["count"], len(first["items"]), len(second["items"])) == (3, 2, 1)
    assert "offset=2" in first["next"] and second["next"] is None
    assert api.call("get", "/duplicates", {"limit": 501}).status_code == 422


def test_the_list_of_accounts_has_the_account_clusters(admin, api_as):
    factories.account(admin, name="Funiya Ltd")
    factories.account(admin, name="Фуния ООД")
    twins(admin)
    finished_scan(admin, "account")

    body = api_as(admin).call("get", "/duplicates", {"type": "account"}).json()

    assert [{r["name"] for r in c["records"]} for c in body["items"]] == [
        {"Funiya Ltd", "Фуния ООД"}
    ]


def test_a_rep_sees_only_clusters_of_two_records_they_can_see(org, admin, rep, api_as):
    mine = twins(rep, "Ivan", "Petrov")
    factories.contact(rep, first_name="Maria", last_name="Koleva")
    factories.contact(admin, first_name="Maria", last_name="Koleva")  # not the rep's
    twins(admin, "Stoyan", "Dimitrov")  # not the rep's
    finished_scan(admin)

    body = api_as(rep).call("get", "/duplicates").json()

    assert body["count"] == 1
    assert [r["id"] for r in body["items"][0]["records"]] == [c.pk for c in mine]
    assert "Koleva" not in str(body) and "Dimitrov" not in str(body)


def test_a_merged_or_trashed_record_drops_out_of_its_cluster(admin, api_as):
    from funia.customers import services

    first, second = twins(admin)
    third = factories.contact(admin, first_name="Ivan", last_name="Petrov")
    finished_scan(admin)
    api = api_as(admin)
    assert len(api.call("get", "/duplicates").json()["items"][0]["records"]) == 3

    services.contact_delete(by=admin, contact=third)
    assert len(api.call("get", "/duplicates").json()["items"][0]["records"]) == 2
    Contact.objects.for_tenant(admin.tenant).filter(pk=second.pk).update(merged_into=first)
    assert api.call("get", "/duplicates").json()["count"] == 0


def test_another_organisation_never_sees_these_clusters(admin, outsider, api_as):
    ours = twins(admin, "Rivalsecret", "Clusterova")
    finished_scan(admin)

    body = api_as(outsider).call("get", "/duplicates").json()

    assert body["items"] == [] and body["scan"] is None
    assert not {c.pk for c in ours} & {r["id"] for c in body["items"] for r in c["records"]}
    assert "Rivalsecret" not in str(body)


def test_the_list_takes_the_same_queries_for_one_cluster_or_many(admin, api_as):
    api = api_as(admin)
    twins(admin, "Ivan", "Petrov")
    finished_scan(admin)
    api.call("get", "/duplicates")  # warm up (token lookup caches, ...)
    with CaptureQueriesContext(connection) as one:
        api.call("get", "/duplicates")
    for first, last in [("Maria", "Koleva"), ("Stoyan", "Dimitrov"), ("Elena", "Vasileva")]:
        twins(admin, first, last)
    finished_scan(admin)

    with CaptureQueriesContext(connection) as many:
        body = api.call("get", "/duplicates").json()

    assert body["count"] == 4
    assert len(many) == len(one)
