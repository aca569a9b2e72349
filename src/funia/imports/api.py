"""API of imports: upload a file (201 with the import), follow it, download its row errors."""

import json

from django.http import StreamingHttpResponse
from ninja import File, Form, Router, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from funia.api.pagination import Page
from funia.api.problems import problem
from funia.api.schemas import Id
from funia.imports import selectors, services
from funia.imports.schemas import ImportIn, ImportOut

router = Router(tags=["imports"])


def _mapping(text: str | None):
    if not text:
        return None
    try:
        mapping = json.loads(text)
    except ValueError:
        mapping = None
    if not isinstance(mapping, dict):
        return problem(
            422,
            "The mapping is not valid; see errors.",
            errors=[{"field": "mapping", "message": 'Give a JSON object {"column": "field"}.'}],
        )
    return mapping


@router.post(
    "/imports",
    response={201: ImportOut, 413: None},
    summary="Upload a CSV, XLSX or vCard file to import (runs in the background)",
    openapi_extra={
        "responses": {
            "413": {
                "description": "The file is larger than the limit (50 MB).",
                "content": {
                    "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
                },
            }
        }
    },
)
def import_create(request, data: Form[ImportIn], file: File[UploadedFile]):
    mapping = _mapping(data.mapping)
    if not isinstance(mapping, dict | None):
        return mapping
    try:
        job = services.import_create(
            by=request.auth,
            target=data.type,
            uploaded=file,
            file_name=file.name,
            mapping=mapping,
            on_duplicate=data.on_duplicate,
            dry_run=data.dry_run,
        )
    except services.FileTooLarge as exc:
        return problem(413, str(exc))
    return Status(201, job)


@router.get("/imports", response=list[ImportOut], summary="List the imports you may see")
@paginate(Page)
def import_list(request):
    return selectors.import_list(actor=request.auth)


@router.get("/imports/{import_id}", response=ImportOut, summary="Read an import's progress")
def import_get(request, import_id: Id):
    return selectors.import_get(actor=request.auth, pk=import_id)


@router.get(
    "/imports/{import_id}/errors",
    response={200: None},
    summary="The import's row errors as CSV (row, column, value, message)",
    openapi_extra={
        "responses": {
            "200": {
                "description": "CSV with a header line.",
                "content": {"text/csv": {"schema": {"type": "string"}}},
            }
        }
    },
)
def import_errors(request, import_id: Id):
    job = selectors.import_get(actor=request.auth, pk=import_id)
    response = StreamingHttpResponse(
        selectors.errors_csv(job=job), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-errors.csv"'
    return response


@router.post(
    "/imports/{import_id}/resume",
    response=ImportOut,
    summary="Continue a failed or stalled import after its last committed row",
)
def import_resume(request, import_id: Id):
    job = selectors.import_get(actor=request.auth, pk=import_id)
    return services.import_resume(by=request.auth, job=job)
