"""Import pages: list, upload, mapping, preview and start, progress (HTMX-polled), errors."""

import itertools

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from funia.core.visibility import require_writer
from funia.imports import engine, parsers, registry, selectors, services
from funia.imports.forms import MappingForm, StartForm, UploadForm
from funia.imports.models import ImportJob
from funia.web.decorators import member_required
from funia.web.forms import add_service_errors
from funia.web.htmx import render_page_or_fragment

SAMPLE_ROWS = 3
PREVIEW_ROWS = 20
ERRORS_SHOWN = 100


def _job(request, import_id: int) -> ImportJob:
    try:
        return selectors.import_get(actor=request.actor, pk=import_id)
    except ObjectDoesNotExist as exc:
        raise Http404 from exc


def _next_step(job: ImportJob):
    if job.status == ImportJob.Status.DRAFT:
        return redirect("import_mapping", import_id=job.pk)
    return redirect("import_detail", import_id=job.pk)


@member_required
def import_list(request):
    page = Paginator(selectors.import_list(actor=request.actor), 50).get_page(
        request.GET.get("page")
    )
    return render(request, "imports/import_list.html", {"page": page, "query": ""})


@member_required
def import_create(request):
    require_writer(request.actor)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = services.import_create(
                by=request.actor,
                target=form.cleaned_data["target"],
                uploaded=upload,
                file_name=upload.name,
                start=False,
            )
        except services.FileTooLarge as exc:
            form.add_error("file", str(exc))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return redirect("import_mapping", import_id=job.pk)
    initial_target = request.GET.get("type")
    if initial_target and registry.get(initial_target) and not form.is_bound:
        form.fields["target"].initial = initial_target
    return render(request, "imports/import_form.html", {"form": form})


def _samples(job: ImportJob) -> dict[str, list[str]]:
    samples: dict[str, list[str]] = {header: [] for header in job.headers}
    try:
        with engine.open_file(job) as binary:
            rows = parsers.rows(binary, engine.table_info(job))
            for row in itertools.islice(rows, SAMPLE_ROWS):
                for header, cell in zip(job.headers, row.cells, strict=False):
                    if cell:
                        samples[header].append(cell[:80])
    except (engine.ImportStopped, parsers.FileProblem):
        pass
    return samples


@member_required
def import_mapping(request, import_id: int):
    job = _job(request, import_id)
    if job.status != ImportJob.Status.DRAFT:
        return _next_step(job)
    form = MappingForm(
        request.POST or None, job=job, tenant=request.actor.tenant, samples=_samples(job)
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.import_set_mapping(by=request.actor, job=job, mapping=form.mapping(job))
        except ValidationError as exc:
            for message in exc.message_dict.get("mapping", exc.messages):
                form.add_error(None, message)
        else:
            return redirect("import_preview", import_id=job.pk)
    target = registry.get(job.target)
    return render(
        request, "imports/import_mapping.html", {"job": job, "form": form, "target": target}
    )


def _preview_rows(job: ImportJob) -> tuple[list, list, str]:
    """(columns, rows, problem): each row with its cells, outcome and errors by column."""
    columns = [(index, header) for index, header, _key in engine.mapped_columns(job)]
    try:
        results = engine.preview(job, PREVIEW_ROWS)
    except (engine.ImportStopped, parsers.FileProblem) as exc:
        return columns, [], str(exc)
    rows = []
    for row, outcome in results:
        errors: dict[str, list[str]] = {}
        general = []
        for column, _value, message in outcome.errors:
            (errors.setdefault(column, []) if column else general).append(message)
        cells = [
            (header, row.cells[index] if index < len(row.cells) else "", errors.get(header, []))
            for index, header in columns
        ]
        rows.append({"number": row.number, "outcome": outcome, "cells": cells, "general": general})
    return columns, rows, ""


@member_required
def import_preview(request, import_id: int):
    job = _job(request, import_id)
    if job.status != ImportJob.Status.DRAFT:
        return _next_step(job)
    form = StartForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.import_start(
                by=request.actor,
                job=job,
                on_duplicate=form.cleaned_data["on_duplicate"],
                dry_run=form.cleaned_data["dry_run"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return redirect("import_detail", import_id=job.pk)
    columns, rows, problem = _preview_rows(job)
    target = registry.get(job.target)
    fields = {f.key: f.label for f in target.fields(request.actor.tenant)}
    headers = [(header, fields.get(job.mapping.get(header), "")) for _i, header in columns]
    context = {
        "job": job,
        "form": form,
        "headers": headers,
        "rows": rows,
        "problem": problem,
        "duplicate_help": target.duplicate_help,
    }
    return render(request, "imports/import_preview.html", context)


@member_required
def import_detail(request, import_id: int):
    job = _job(request, import_id)
    if job.status == ImportJob.Status.DRAFT:
        return _next_step(job)
    context = {
        "job": job,
        "errors": selectors.import_errors(job=job)[:ERRORS_SHOWN] if job.is_finished else [],
        "error_count": selectors.import_errors(job=job).count() if job.is_finished else 0,
        "can_resume": services.is_stalled(job),
    }
    return render_page_or_fragment(
        request, "imports/import_detail.html", "imports/_progress.html", context
    )


@member_required
def import_errors_csv(request, import_id: int):
    job = _job(request, import_id)
    response = StreamingHttpResponse(
        selectors.errors_csv(job=job), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-errors.csv"'
    return response


@require_POST
@member_required
def import_resume(request, import_id: int):
    job = _job(request, import_id)
    try:
        services.import_resume(by=request.actor, job=job)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The import continues where it stopped."))
    return redirect("import_detail", import_id=job.pk)


@require_POST
@member_required
def import_rerun(request, import_id: int):
    job = _job(request, import_id)
    real = services.import_rerun(by=request.actor, job=job)
    messages.success(request, _("Importing the rows for real."))
    return redirect("import_detail", import_id=real.pk)
