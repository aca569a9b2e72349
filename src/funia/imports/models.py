"""Imports of customer files: the job with its settings and progress, and its row errors.

The uploaded file itself lives under MEDIA_ROOT/imports/<tenant id>/, never in the database.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from funia.core.tenancy import TenantModel, TenantScoped


class ImportJob(TenantModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")  # uploaded in the web UI, mapping not confirmed yet
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    class OnDuplicate(models.TextChoices):
        SKIP = "skip", _("Skip the row")
        UPDATE = "update", _("Update the existing record")
        CREATE = "create", _("Create a new record anyway")

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "XLSX"
        VCARD = "vcf", "vCard"

    # Who started it; the visibility policy applies (owners, their managers, admins).
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("started by"),
    )
    token = models.ForeignKey(
        "core.ApiToken", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    target = models.CharField(_("record type"), max_length=40)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    file_name = models.CharField(_("file"), max_length=255)  # as uploaded
    stored_path = models.CharField(max_length=255, editable=False)  # in default_storage
    file_size = models.PositiveBigIntegerField(default=0)
    file_format = models.CharField(max_length=4, choices=Format.choices)
    encoding = models.CharField(max_length=40, blank=True)
    delimiter = models.CharField(max_length=1, blank=True)
    headers = models.JSONField(default=list, blank=True)
    # {column header: target field key}; "" leaves a column out.
    mapping = models.JSONField(default=dict, blank=True)
    on_duplicate = models.CharField(
        _("duplicates"), max_length=10, choices=OnDuplicate.choices, default=OnDuplicate.SKIP
    )
    dry_run = models.BooleanField(_("dry run"), default=False)

    total = models.PositiveIntegerField(null=True, blank=True)
    # Rows consumed so far: committed in the same transaction as those rows' records, so a
    # restarted job continues exactly where the last committed chunk ended.
    processed = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    # Links to resolve after the last row (e.g. a parent account named further down the file).
    deferred = models.JSONField(default=list, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    message = models.TextField(blank=True)  # why the whole job failed
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        indexes = [
            models.Index(fields=["tenant", "created_at"]),
            models.Index(fields=["tenant", "owner"]),
        ]

    def __str__(self) -> str:
        return self.file_name

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.DONE, self.Status.FAILED}

    @property
    def percent(self) -> int:
        if not self.total:
            return 100 if self.status == self.Status.DONE else 0
        return min(100, round(100 * self.processed / self.total))


class ImportRowError(TenantScoped):
    """One problem of one row: written with the row's chunk, so a resumed job never doubles it."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="row_errors")
    row = models.PositiveIntegerField(_("row"))
    column = models.CharField(_("column"), max_length=255, blank=True)
    value = models.TextField(_("value"), blank=True)
    message = models.TextField(_("message"))

    class Meta:
        ordering = ["row", "id"]
        indexes = [models.Index(fields=["tenant", "job", "row"])]
