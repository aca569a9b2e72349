"""A killed import continues after its last committed chunk and never writes a row twice."""

import pytest

from funia.core.models import AuditEntry
from funia.customers.models import Contact, ContactPoint
from funia.imports import engine
from funia.imports.customers.processors import CustomerProcessor
from funia.imports.models import ImportRowError

ROWS = 10


def people(rows: int = ROWS, bad_every: int = 4) -> str:
    lines = ["First Name,Last Name,Email"]
    for n in range(rows):
        email = "broken" if n % bad_every == 3 else f"person{n}@example.com"
        lines.append(f"Person,Number{n},{email}")
    return "\n".join(lines) + "\n"


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(engine, "CHUNK_SIZE", 3)


def assert_imported_once(actor, job):
    contacts = Contact.objects.for_tenant(actor.tenant)
    emails = list(
        ContactPoint.objects.for_tenant(actor.tenant)
        .filter(kind="email")
        .values_list("value", flat=True)
    )
    assert (job.status, job.processed, job.total) == ("done", ROWS, ROWS)
    assert (job.created, job.failed) == (8, 2)
    assert contacts.count() == 8
    assert len(emails) == len(set(emails)) == 8
    assert AuditEntry.objects.for_tenant(actor.tenant).filter(action="create").count() == 8
    errors = ImportRowError.objects.for_tenant(actor.tenant).filter(job=job)
    assert sorted(errors.values_list("row", flat=True)) == [5, 9]


def test_an_import_stopped_after_its_first_chunk_finishes_without_duplicates_when_run_again(
    admin, start_import, small_chunks
):
    job = start_import(admin, "people.csv", people())

    job = engine.process_import(job, max_chunks=1)

    assert (job.status, job.processed) == ("running", 3)
    assert Contact.objects.for_tenant(admin.tenant).count() == 3

    job = engine.process_import(job)

    assert_imported_once(admin, job)


def test_a_crash_in_the_middle_of_a_chunk_rolls_the_chunk_back_and_the_rerun_completes(
    admin, start_import, small_chunks, monkeypatch
):
    job = start_import(admin, "people.csv", people())
    original = CustomerProcessor.write
    calls = []

    def crash_on_the_second_chunk(self, candidates, outcomes):
        calls.append(1)
        original(self, candidates, outcomes)  # the rows are written ...
        if len(calls) == 2:
            raise RuntimeError("killed")  # ... and the process dies before the commit

    monkeypatch.setattr(CustomerProcessor, "write", crash_on_the_second_chunk)
    with pytest.raises(RuntimeError, match="killed"):
        engine.process_import(job)
    job.refresh_from_db()
    assert (job.status, job.processed) == ("running", 3)
    assert Contact.objects.for_tenant(admin.tenant).count() == 3
    monkeypatch.setattr(CustomerProcessor, "write", original)

    job = engine.process_import(job)

    assert_imported_once(admin, job)


def test_a_finished_import_run_again_changes_nothing(admin, start_import):
    job = engine.process_import(start_import(admin, "people.csv", people()))
    before = Contact.objects.for_tenant(admin.tenant).count()

    again = engine.process_import(job)

    assert (again.status, again.processed, again.created) == ("done", ROWS, 8)
    assert Contact.objects.for_tenant(admin.tenant).count() == before


def test_the_helper_process_gives_the_same_result_as_running_inline(
    admin, start_import, monkeypatch
):
    monkeypatch.setattr(engine, "CHUNK_SIZE", 4)
    monkeypatch.setattr(engine, "HELPER_FROM_ROWS", 5)
    monkeypatch.setattr(engine.os, "cpu_count", lambda: 2)
    job = start_import(admin, "people.csv", people())

    job = engine.process_import(job)

    assert_imported_once(admin, job)
