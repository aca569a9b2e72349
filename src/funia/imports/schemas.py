"""API schemas of imports."""

from datetime import datetime
from typing import Literal

from django.urls import reverse
from ninja import Schema
from pydantic import Field

from funia.api.schemas import RejectNul
from funia.imports import registry
from funia.imports.customers import targets

targets.register_targets()  # the API's enum of types needs them now
ImportType = Literal[tuple(registry.keys())]  # contacts | accounts (| leads, orders, ...)
OnDuplicate = Literal["skip", "update", "create"]


class ImportIn(RejectNul, Schema):
    """The form fields of an upload (multipart/form-data, beside the `file`)."""

    type: ImportType = Field(description="What the rows are.")
    mapping: str | None = Field(
        None,
        max_length=100_000,
        description=(
            'JSON object {"column header": "field"}; overrides the guessed mapping column by '
            'column ("" leaves a column out). Fields: first_name, last_name, full_name, '
            "title, account, name, domain, industry, segment, employees, parent, email, "
            "email_2, phone, mobile, street, city, postal_code, region, country, tags, "
            "source, owner (a user's email), custom.<key>. Orders: order_number, ordered_on, "
            "account, domain, email, status, currency, sku, description, quantity, unit_price, "
            "discount_percent, tax_rate."
        ),
    )
    on_duplicate: OnDuplicate = Field(
        "skip",
        description=(
            "A row matching a record (email, phone; accounts: name, domain; orders: the "
            "order number)."
        ),
    )
    dry_run: bool = Field(False, description="Validate and count, write nothing.")


class ImportOut(Schema):
    id: int
    type: str = Field(alias="target")
    status: Literal["draft", "queued", "running", "done", "failed"]
    file_name: str
    file_format: str
    file_size: int
    headers: list[str]
    mapping: dict[str, str]
    on_duplicate: str
    dry_run: bool
    total: int | None
    processed: int
    created: int
    updated: int
    skipped: int
    failed: int
    message: str = Field(description="Why the import failed, when it did.")
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    errors_url: str = Field(description="The row errors as CSV: row, column, value, message.")

    @staticmethod
    def resolve_errors_url(obj, context) -> str:
        url = reverse("api:import_errors", kwargs={"import_id": obj.pk})
        request = (context or {}).get("request")
        return request.build_absolute_uri(url) if request is not None else url
