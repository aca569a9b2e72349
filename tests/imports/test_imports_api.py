"""API of imports: upload (201), progress, list, row errors as CSV; tenancy and limits."""

import csv
import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command

from funia.customers.models import Contact
from funia.imports import engine
from funia.imports.models import ImportJob
from tests import factories
from tests.conftest import ApiClient
from tests.imports.conftest import upload

PEOPLE = "First Name,Last Name,Email\nIvan,Petrov,ivan@example.com\nBad,Row,not-an-email\n"


def post_import(client: ApiClient, content=PEOPLE, name="people.csv", **fields):
    data = {"type": "contacts", "file": upload(name, content)} | fields
    return client.post("/api/v1/imports", data, headers=client._headers(None))


def test_an_upload_answers_201_with_the_queued_import(admin, api_as, media_root):
    response = post_import(api_as(admin), on_duplicate="update", dry_run="true")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "queued"
    assert (body["type"], body["on_duplicate"], body["dry_run"]) == ("contacts", "update", True)
    assert body["mapping"] == {
        "First Name": "first_name",
        "Last Name": "last_name",
        "Email": "email",
    }
    assert body["errors_url"].endswith(f"/api/v1/imports/{body['id']}/errors")
    job = ImportJob.objects.for_tenant(admin.tenant).get(pk=body["id"])
    stored = Path(media_root) / job.stored_path
    assert stored.parent == Path(media_root) / "imports" / str(admin.tenant.pk)
    assert stored.read_text() == PEOPLE


def test_progress_counts_and_the_errors_csv_are_served_after_the_run(admin, api_as):
    client = api_as(admin)
    import_id = post_import(client).json()["id"]
    engine.process_import(ImportJob.objects.for_tenant(admin.tenant).get(pk=import_id))

    body = client.call("get", f"/imports/{import_id}").json()
    errors = client.call("get", f"/imports/{import_id}/errors")

    assert {
        k: body[k]
        for k in ("status", "total", "processed", "created", "updated", "skipped", "failed")
    } == {
        "status": "done",
        "total": 2,
        "processed": 2,
        "created": 1,
        "updated": 0,
        "skipped": 0,
        "failed": 1,
    }
    assert errors.status_code == 200
    assert errors["Content-Type"].startswith("text/csv")
    text = b"".join(errors.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["row", "column", "value", "message"]
    assert rows[1][:3] == ["3", "Email", "not-an-email"]


def test_an_explicit_mapping_overrides_the_guess(admin, api_as):
    mapping = json.dumps({"First Name": "", "Email": "email_2"})

    body = post_import(api_as(admin), mapping=mapping).json()

    assert body["mapping"] == {"First Name": "", "Last Name": "last_name", "Email": "email_2"}


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"mapping": "{not json"}, "mapping"),
        ({"mapping": json.dumps({"Last Name": "shoe_size"})}, "mapping"),
        ({"type": "spaceships"}, "type"),
        ({"on_duplicate": "merge"}, "on_duplicate"),
    ],
    ids=["mapping-not-json", "unknown-field", "unknown-type", "unknown-policy"],
)
def test_an_invalid_upload_is_refused_with_422_naming_the_field(admin, api_as, fields, field):
    response = post_import(api_as(admin), **fields)

    assert response.status_code == 422, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert field in {e["field"] for e in response.json()["errors"]}
    assert not ImportJob.objects.for_tenant(admin.tenant).exists()


def test_an_unreadable_file_is_refused_with_422(admin, api_as):
    response = post_import(api_as(admin), content=b"\xd0\xcf\x11\xe0" + b"\0" * 50, name="a.xls")

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "file"


def test_a_file_over_the_limit_is_refused_with_413(admin, api_as, settings):
    settings.IMPORT_MAX_BYTES = 20

    response = post_import(api_as(admin))

    assert response.status_code == 413
    assert response["Content-Type"] == "application/problem+json"
    assert "limit" in response.json()["detail"]
    assert not ImportJob.objects.for_tenant(admin.tenant).exists()


def test_an_analyst_may_not_import(analyst, api_as):
    assert post_import(api_as(analyst)).status_code == 403


def test_the_list_shows_your_imports_and_a_rep_sees_only_their_own(admin, rep, api_as):
    mine = post_import(api_as(rep)).json()["id"]
    post_import(api_as(admin))

    as_rep = api_as(rep).call("get", "/imports").json()
    as_admin = api_as(admin).call("get", "/imports").json()

    assert [i["id"] for i in as_rep["items"]] == [mine]
    assert as_admin["count"] == 2


def test_another_organisation_gets_404_for_an_import_and_its_errors(admin, api_as, outsider):
    import_id = post_import(api_as(admin)).json()["id"]
    theirs = api_as(outsider)

    for path in (f"/imports/{import_id}", f"/imports/{import_id}/errors"):
        response = theirs.call("get", path)
        assert response.status_code == 404, path
        assert response["Content-Type"] == "application/problem+json"
    assert theirs.call("post", f"/imports/{import_id}/resume").status_code == 404


def test_a_failed_import_can_be_resumed_and_a_running_one_cannot(admin, api_as):
    client = api_as(admin)
    import_id = post_import(client).json()["id"]

    refused = client.call("post", f"/imports/{import_id}/resume")
    job = ImportJob.objects.for_tenant(admin.tenant).get(pk=import_id)
    engine.mark_failed(job, "The database went away.")
    resumed = client.call("post", f"/imports/{import_id}/resume")

    assert refused.status_code == 422
    assert resumed.status_code == 200
    assert resumed.json()["status"] == "queued"


@pytest.mark.django_db(transaction=True)
def test_the_real_worker_runs_an_import_created_through_the_api(media_root):
    org = factories.OrganizationFactory()
    admin = factories.member(org, "admin")
    client = ApiClient(factories.token_for(admin))
    import_id = post_import(client).json()["id"]

    call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0")

    body = client.call("get", f"/imports/{import_id}").json()
    assert (body["status"], body["created"], body["failed"]) == ("done", 1, 1)
    assert Contact.objects.for_tenant(org).get().last_name == "Petrov"
