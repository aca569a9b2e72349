from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from funia.core.jobs import enqueue_on_commit
from tests.core import sample_jobs

pytestmark = pytest.mark.django_db(transaction=True)


def run_worker():
    call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0", verbosity=0)


def results():
    return list(DBTaskResult.objects.order_by("enqueued_at"))


def make_due(result):
    DBTaskResult.objects.filter(pk=result.pk).update(
        run_after=timezone.now() - timedelta(seconds=1)
    )


def test_a_job_enqueued_in_a_rolled_back_transaction_never_runs(tmp_path):
    out = tmp_path / "out.txt"
    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue_on_commit(sample_jobs.append_line, str(out), "should not run")
        raise RuntimeError("the write failed")

    run_worker()

    assert results() == []
    assert not out.exists()


def test_a_job_enqueued_in_a_committed_transaction_runs_once(tmp_path):
    out = tmp_path / "out.txt"
    with transaction.atomic():
        enqueue_on_commit(sample_jobs.append_line, str(out), "hello")
        assert results() == []  # nothing is visible to workers before the commit

    run_worker()

    assert out.read_text() == "hello\n"
    assert [r.status for r in results()] == ["SUCCESSFUL"]


def test_a_failed_job_records_its_error_and_is_retried_later(tmp_path):
    marker = tmp_path / "remote"
    sample_jobs.fail_until_file_exists.enqueue(str(marker))

    run_worker()

    first, retry = results()
    assert first.status == "FAILED"
    assert first.exception_class_path.endswith("ConnectionError")
    assert "remote service unavailable" in first.traceback
    assert retry.status == "READY"
    assert retry.run_after > timezone.now() + timedelta(seconds=30)  # backed off, not hot-looping

    marker.touch()  # the remote service is back
    make_due(retry)
    run_worker()

    retry.refresh_from_db()
    assert retry.status == "SUCCESSFUL"
    assert retry.return_value == "delivered"


def test_a_job_that_keeps_failing_stops_after_its_last_attempt(tmp_path):
    marker = tmp_path / "remote"
    sample_jobs.fail_until_file_exists.enqueue(str(marker))

    run_worker()
    make_due(results()[-1])
    run_worker()
    run_worker()

    assert [r.status for r in results()] == ["FAILED", "FAILED"]
    assert marker.with_suffix(".attempts").read_text() == "2"
