"""API of /products (with option groups and files) and /price-books.

Every member of the organisation reads the catalog; administrators write it."""

from django.http import FileResponse, Http404
from ninja import File, Form, Router, Status
from ninja.files import UploadedFile

from funia.api.records import RecordRoutes
from funia.api.schemas import Id
from funia.sales.catalog import selectors, services
from funia.sales.catalog.schemas import (
    PriceBookFilter,
    PriceBookIn,
    PriceBookOut,
    PriceBookPatch,
    ProductFileIn,
    ProductFileOut,
    ProductFilter,
    ProductIn,
    ProductOut,
    ProductPatch,
)

router = Router(tags=["catalog"])

OPTION_GROUPS_HELP = (
    "`option_groups` is the product's whole list of groups, each with its options; on "
    "update it replaces the groups, and groups and options named as before (or by `id`) "
    "keep their ids. `requires` / `excludes` name options of the same product by name, id, "
    'or `{"id"}` / `{"name", "group"}`, and read back as `[{"id", "name", "group"}]`.'
)


def _without_nulls(data: dict, keep: tuple[str, ...]) -> dict:
    """A null leaves a field unchanged, except for those that may be emptied."""
    return {k: v for k, v in data.items() if v is not None or k in keep}


def product_fields(data: dict) -> dict:
    """API payload -> service fields: null description or category empties them; other
    nulls leave the field unchanged."""
    fields = _without_nulls(data, ("description", "category"))
    for name in ("description", "category"):
        if name in fields and fields[name] is None:
            fields[name] = ""
    return fields


def price_book_fields(data: dict) -> dict:
    """API payload -> service fields: null dates open the period; other nulls leave the
    field unchanged."""
    return _without_nulls(data, ("valid_from", "valid_until"))


RecordRoutes(
    name="product",
    plural="products",
    label="product",
    output=ProductOut,
    create_input=ProductIn,
    patch_input=ProductPatch,
    filters=ProductFilter,
    list_selector=selectors.product_list,
    get_selector=selectors.product_get,
    create=services.product_create,
    update=services.product_update,
    delete=services.product_delete,
    restore=services.product_restore,
    to_fields=product_fields,
).register(router)

RecordRoutes(
    name="price_book",
    plural="price-books",
    label="price book",
    output=PriceBookOut,
    create_input=PriceBookIn,
    patch_input=PriceBookPatch,
    filters=PriceBookFilter,
    list_selector=selectors.price_book_list,
    get_selector=selectors.price_book_get,
    create=services.price_book_create,
    update=services.price_book_update,
    delete=services.price_book_delete,
    restore=services.price_book_restore,
    to_fields=price_book_fields,
).register(router)

for operation in router.path_operations.values():
    for view in operation.operations:
        if view.operation_id in ("product_create", "product_update"):
            view.description = OPTION_GROUPS_HELP


FILE_RESPONSES = {
    "200": {
        "description": "The file: images inline, documents as attachments.",
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    }
}


@router.post(
    "/products/{product_id}/files",
    response={201: ProductFileOut},
    operation_id="product_file_create",
    summary="Attach an image or a document to a product (administrators; at most 10 MB)",
    description="Multipart form: `file`, and optionally `title` (default: the file's name) "
    "and `kind` (`image` or `document`; default: from the file's type). Images: PNG, JPEG, "
    "WebP, GIF; documents: PDF, DOCX, XLSX, PPTX, TXT, ODT.",
)
def product_file_create(
    request,
    product_id: Id,
    data: Form[ProductFileIn],
    file: File[UploadedFile] = None,
):
    # The product first: another organisation's id answers 404 whatever the form holds.
    product = selectors.product_get(actor=request.auth, pk=product_id)
    record = services.product_file_add(
        by=request.auth, product=product, uploaded=file, title=data.title or "", kind=data.kind
    )
    return Status(201, record)


def _product_file(request, product_id: int, product_file_id: int, *, with_deleted=False):
    product = selectors.product_get(actor=request.auth, pk=product_id, with_deleted=with_deleted)
    return selectors.product_file_get(actor=request.auth, product=product, pk=product_file_id)


def file_response(product_file) -> FileResponse:
    """The stored file with the type it was checked as: images inline (thumbnails),
    documents as downloads; sandboxed whatever a browser makes of it."""
    extension = product_file.file.name.rsplit(".", 1)[-1].lower()
    try:
        content = product_file.file.open("rb")
    except FileNotFoundError as exc:  # the stored file is gone: as if the record were
        raise Http404 from exc
    response = FileResponse(
        content,
        as_attachment=product_file.kind != "image",
        filename=f"{product_file.title}.{extension}",
        content_type=product_file.content_type or "application/octet-stream",
    )
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=3600"
    return response


@router.get(
    "/products/{product_id}/files/{product_file_id}",
    response={200: None},
    operation_id="product_file_download",
    url_name="product_file_download",
    summary="Download a product's file",
    openapi_extra={"responses": FILE_RESPONSES},
)
def product_file_download(request, product_id: Id, product_file_id: Id):
    return file_response(_product_file(request, product_id, product_file_id, with_deleted=True))


@router.delete(
    "/products/{product_id}/files/{product_file_id}",
    response={204: None},
    operation_id="product_file_delete",
    summary="Remove a product's file (administrators)",
)
def product_file_delete(request, product_id: Id, product_file_id: Id):
    product_file = _product_file(request, product_id, product_file_id)
    services.product_file_delete(by=request.auth, product_file=product_file)
    return Status(204, None)
