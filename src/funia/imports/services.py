"""Writes of imports: upload, configure, start, resume. The rows are written by `engine`."""

import datetime
import uuid
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from funia.core.actor import Actor
from funia.core.jobs import enqueue_on_commit
from funia.core.visibility import require_change, require_writer
from funia.imports import parsers, registry
from funia.imports.mapping import check_mapping, merged_mapping
from funia.imports.models import ImportJob

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
# A running job that has not committed a chunk for this long is presumed dead.
STALLED_AFTER = datetime.timedelta(minutes=5)
EXTENSIONS = {"csv": "csv", "xlsx": "xlsx", "vcf": "vcf"}


def max_bytes() -> int:
    """The upload limit (settings.IMPORT_MAX_BYTES, 50 MB by default)."""
    return getattr(settings, "IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES)


class FileTooLarge(Exception):
    def __init__(self, size: int):
        super().__init__(
            _("The file is %(size)s MB; the limit is %(limit)s MB.")
            % {"size": f"{size / 1024 / 1024:.1f}", "limit": f"{max_bytes() / 1024 / 1024:g}"}
        )


def _target(key: str):
    target = registry.get(key)
    if target is None:
        raise ValidationError(
            {"type": _("Choose one of: %(types)s.") % {"types": ", ".join(registry.keys())}}
        )
    return target


def _check_options(on_duplicate: str) -> None:
    if on_duplicate not in ImportJob.OnDuplicate.values:
        raise ValidationError({"on_duplicate": _("Use skip, update or create.")})


def _store(by: Actor, uploaded, file_format: str) -> str:
    name = f"imports/{by.tenant.pk}/{uuid.uuid4().hex}.{EXTENSIONS[file_format]}"
    uploaded.seek(0)
    return default_storage.save(name, uploaded)


def import_create(
    *,
    by: Actor,
    target: str,
    uploaded,
    file_name: str = "",
    mapping: dict | None = None,
    on_duplicate: str = "skip",
    dry_run: bool = False,
    start: bool = True,
    background: bool = True,
) -> ImportJob:
    """Store an uploaded file and create its import; queued at once unless `start` is False.

    A started import runs as a background job, unless `background` is False: then the
    caller runs it (`engine.process_import`, as `funia import` does).

    `mapping` ({column: field key}; "" leaves a column out) overrides the guessed mapping
    column by column. Raises FileTooLarge, or ValidationError for an unreadable file, an
    unknown type or a mapping that does not fit the file.
    """
    require_writer(by)
    import_target = _target(target)
    _check_options(on_duplicate)
    size = getattr(uploaded, "size", None)
    if size is None:
        uploaded.seek(0, 2)
        size = uploaded.tell()
    if size > max_bytes():
        raise FileTooLarge(size)
    file_name = PurePath(file_name or getattr(uploaded, "name", "") or "upload").name[:255]
    try:
        info = parsers.sniff(uploaded, file_name)
    except parsers.FileProblem as exc:
        raise ValidationError({"file": str(exc)}) from exc
    if mapping is not None and not isinstance(mapping, dict):
        raise ValidationError({"mapping": _("Give the mapping as {column: field}.")})
    if mapping and not all(isinstance(v, str | None) for v in mapping.values()):
        raise ValidationError({"mapping": _("Give the mapping as {column: field}.")})
    columns = merged_mapping(import_target, by.tenant, info.headers, mapping)
    if start:
        problems = check_mapping(import_target, by.tenant, info.headers, columns)
        if problems:
            raise ValidationError({"mapping": problems})
    stored = _store(by, uploaded, info.file_format)
    with transaction.atomic():
        job = ImportJob.objects.create(
            tenant=by.tenant,
            owner=by.user,
            token=by.token,
            target=import_target.key,
            status=ImportJob.Status.QUEUED if start else ImportJob.Status.DRAFT,
            file_name=file_name,
            stored_path=stored,
            file_size=size,
            file_format=info.file_format,
            encoding=info.encoding,
            delimiter=info.delimiter,
            headers=info.headers,
            mapping=columns,
            on_duplicate=on_duplicate,
            dry_run=dry_run,
        )
        if start and background:
            _enqueue(job)
    return job


def _enqueue(job: ImportJob) -> None:
    from funia.imports.tasks import run_import

    enqueue_on_commit(run_import, job.tenant_id, job.pk)


def _require_draft(by: Actor, job: ImportJob) -> None:
    require_change(by, job)
    if job.status != ImportJob.Status.DRAFT:
        raise ValidationError(_("This import has started already."))


def import_set_mapping(*, by: Actor, job: ImportJob, mapping: dict) -> ImportJob:
    """Save the mapping of a draft; ValidationError lists what does not fit."""
    _require_draft(by, job)
    target = _target(job.target)
    mapping = {column: mapping.get(column) or "" for column in job.headers}
    problems = check_mapping(target, by.tenant, job.headers, mapping)
    if problems:
        raise ValidationError({"mapping": problems})
    job.mapping = mapping
    job.updated_at = timezone.now()
    job.save(update_fields=["mapping", "updated_at"])
    return job


def import_start(
    *, by: Actor, job: ImportJob, on_duplicate: str = "skip", dry_run: bool = False
) -> ImportJob:
    """Queue a draft with its duplicate policy."""
    _require_draft(by, job)
    _check_options(on_duplicate)
    problems = check_mapping(_target(job.target), by.tenant, job.headers, job.mapping)
    if problems:
        raise ValidationError({"mapping": problems})
    with transaction.atomic():
        job.on_duplicate = on_duplicate
        job.dry_run = dry_run
        job.status = ImportJob.Status.QUEUED
        job.updated_at = timezone.now()
        job.save()
        _enqueue(job)
    return job


def is_stalled(job: ImportJob) -> bool:
    stale = job.updated_at < timezone.now() - STALLED_AFTER
    return job.status == ImportJob.Status.FAILED or (
        job.status in {ImportJob.Status.RUNNING, ImportJob.Status.QUEUED} and stale
    )


def import_resume(*, by: Actor, job: ImportJob) -> ImportJob:
    """Queue a failed or stalled import again; it continues after its last committed row."""
    require_change(by, job)
    if not is_stalled(job):
        raise ValidationError(_("Only a failed or stalled import can be resumed."))
    with transaction.atomic():
        job.status = ImportJob.Status.QUEUED
        job.attempts = 0
        job.message = ""
        job.finished_at = None
        job.updated_at = timezone.now()
        job.save()
        _enqueue(job)
    return job


def import_rerun(*, by: Actor, job: ImportJob) -> ImportJob:
    """After a dry run: import the same file with the same settings for real."""
    require_change(by, job)
    require_writer(by)
    if not (job.dry_run and job.status == ImportJob.Status.DONE):
        raise PermissionDenied(_("Only a finished dry run can be run for real."))
    with transaction.atomic():
        real = ImportJob.objects.create(
            tenant=by.tenant,
            owner=by.user,
            token=by.token,
            target=job.target,
            status=ImportJob.Status.QUEUED,
            file_name=job.file_name,
            stored_path=job.stored_path,
            file_size=job.file_size,
            file_format=job.file_format,
            encoding=job.encoding,
            delimiter=job.delimiter,
            headers=job.headers,
            mapping=job.mapping,
            on_duplicate=job.on_duplicate,
            dry_run=False,
        )
        _enqueue(real)
    return real
