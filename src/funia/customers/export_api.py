"""API of exports: GET /contacts/export and /accounts/export with the lists' filters.

Registered before the customers router, so `/contacts/export` is not read as a contact id.
"""

from typing import Literal

from ninja import Query, Router

from funia.customers.exports import CONTENT_TYPES, export_response
from funia.customers.filters import AccountFilter, ContactFilter

router = Router(tags=["customers"])

ExportFormat = Literal["csv", "xlsx", "vcf"]


def _documented(label: str) -> dict:
    content = {
        media_type.split(";")[0]: {"schema": {"type": "string", "format": "binary"}}
        for media_type in CONTENT_TYPES.values()
    }
    return {
        "responses": {
            "200": {
                "description": f"The filtered {label} as a file (CSV, XLSX or vCard 4.0).",
                "content": content,
            }
        }
    }


@router.get(
    "/contacts/export",
    response={200: None},
    summary="Export the filtered contacts (CSV, XLSX or vCard)",
    openapi_extra=_documented("contacts"),
)
def contact_export(request, filters: Query[ContactFilter], format: ExportFormat = "csv"):
    return export_response(
        actor=request.auth, entity="contact", filters=filters, file_format=format
    )


@router.get(
    "/accounts/export",
    response={200: None},
    summary="Export the filtered accounts (CSV, XLSX or vCard)",
    openapi_extra=_documented("accounts"),
)
def account_export(request, filters: Query[AccountFilter], format: ExportFormat = "csv"):
    return export_response(
        actor=request.auth, entity="account", filters=filters, file_format=format
    )
