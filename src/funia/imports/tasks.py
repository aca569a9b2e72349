"""The background job that runs an import (see `engine.process_import`)."""

import logging

from django.core.exceptions import PermissionDenied

from funia.core.jobs import job
from funia.imports import engine, parsers
from funia.imports.models import ImportJob

MAX_ATTEMPTS = 3
log = logging.getLogger(__name__)


@job(max_attempts=MAX_ATTEMPTS, backoff_seconds=30)
def run_import(tenant_id: int, import_id: int) -> None:
    """Run or continue an import; retried with back-off, failed for good after the last try."""
    import_job = ImportJob.objects.for_tenant(tenant_id).filter(pk=import_id).first()
    if import_job is None or import_job.is_finished:
        return
    try:
        engine.process_import(import_job)
    except (parsers.FileProblem, engine.ImportStopped, PermissionDenied) as exc:
        engine.mark_failed(import_job, str(exc))  # retrying cannot help
    except Exception as exc:
        import_job.refresh_from_db()
        if import_job.attempts >= MAX_ATTEMPTS:
            engine.mark_failed(import_job, f"{type(exc).__name__}: {exc}")
        log.exception("Import %s failed (attempt %s)", import_id, import_job.attempts)
        raise
