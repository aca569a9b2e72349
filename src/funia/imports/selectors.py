"""Reads of imports, restricted like customer records: your own, your team's (managers), all
(administrators)."""

import csv

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from funia.core.actor import Actor
from funia.core.visibility import visible_records
from funia.customers.exports import Echo, neutralise
from funia.imports.models import ImportJob, ImportRowError


def import_list(*, actor: Actor) -> QuerySet[ImportJob]:
    return visible_records(ImportJob, actor).select_related("owner").order_by("-created_at", "-id")


def import_get(*, actor: Actor, pk: int) -> ImportJob:
    return visible_records(ImportJob, actor).select_related("owner").get(pk=pk)


def import_errors(*, job: ImportJob) -> QuerySet[ImportRowError]:
    return ImportRowError.objects.for_tenant(job.tenant_id).filter(job=job).order_by("row", "id")


def errors_csv(*, job: ImportJob):
    """The row errors as CSV lines (row, column, value, message), formulas neutralised."""
    writer = csv.writer(Echo())
    yield "\ufeff"  # so spreadsheet programs read UTF-8
    yield writer.writerow([_("row"), _("column"), _("value"), _("message")])
    for error in import_errors(job=job).iterator(chunk_size=2000):
        yield writer.writerow(
            [error.row, neutralise(error.column), neutralise(error.value), error.message]
        )
