"""API of /quotes: the records (with their lines), the discount approval, sending,
revisions, the customer's decision recorded by a rep, and the PDF.

Every write honours If-Match (the quote's ETag, from its record `version`): a stale one
answers 412 and changes nothing. A revision is another record with the next `revision`."""

from django.http import HttpResponse
from ninja import Router, Status

from funia.api.concurrency import if_match, with_etag
from funia.api.records import RecordRoutes
from funia.api.schemas import Id
from funia.sales.quotes import pdf, selectors, services
from funia.sales.quotes.schemas import (
    AcceptIn,
    ApprovalNoteIn,
    QuoteFilter,
    QuoteIn,
    QuoteOut,
    QuotePatch,
    RefusalIn,
    RejectIn,
)

router = Router(tags=["quotes"])

REFERENCES = {
    "opportunity": "opportunity_id",
    "contact": "contact_id",
    "price_book": "price_book_id",
}
NOT_NULL = ("title", "notes", "discount_percent", "update_opportunity_amount", "price_book_id")


def _line(data: dict) -> dict:
    return {
        "product": data["product"],
        "configuration": data.get("configuration"),
        "quantity": data.get("quantity", 1),
        "discount_percent": data.get("discount_percent", 0),
    }


def quote_fields(data: dict) -> dict:
    """API payload -> service fields: references -> *_id, lines as the services take them;
    a null title, notes, discount, flag, price book or list of lines changes nothing."""
    fields = {REFERENCES.get(name, name): value for name, value in data.items()}
    for name in (*NOT_NULL, "lines"):
        if name in fields and fields[name] is None:
            fields.pop(name)
    if "lines" in fields:
        fields["lines"] = [_line(line) for line in fields["lines"]]
    return fields


def _get(request, quote_id: int):
    return selectors.quote_get(actor=request.auth, pk=quote_id)


def _answer(request, response, quote):
    return with_etag(response, _get(request, quote.pk))


RecordRoutes(
    name="quote",
    plural="quotes",
    label="quote",
    output=QuoteOut,
    create_input=QuoteIn,
    patch_input=QuotePatch,
    filters=QuoteFilter,
    list_selector=selectors.quote_list,
    get_selector=selectors.quote_get,
    create=services.quote_create_from_data,
    update=services.quote_update,
    delete=services.quote_delete,
    restore=services.quote_restore,
    to_fields=quote_fields,
).register(router)


@router.post(
    "/quotes/{quote_id}/send",
    response=QuoteOut,
    operation_id="quote_send",
    summary="Send a draft: its public link works from now on (honours If-Match)",
)
def quote_send(request, quote_id: Id, response: HttpResponse):
    quote = services.quote_send(
        by=request.auth, quote=_get(request, quote_id), if_match=if_match(request)
    )
    return _answer(request, response, quote)


@router.post(
    "/quotes/{quote_id}/request-approval",
    response=QuoteOut,
    operation_id="quote_request_approval",
    summary="Ask an administrator or the owner's sales manager to approve the discount "
    "(honours If-Match)",
)
def quote_request_approval(request, quote_id: Id, response: HttpResponse):
    quote = services.quote_request_approval(
        by=request.auth, quote=_get(request, quote_id), if_match=if_match(request)
    )
    return _answer(request, response, quote)


@router.post(
    "/quotes/{quote_id}/approve",
    response=QuoteOut,
    operation_id="quote_approve",
    summary="Approve the discount (administrators and the owner's sales managers; "
    "honours If-Match)",
)
def quote_approve(request, quote_id: Id, payload: ApprovalNoteIn, response: HttpResponse):
    quote = services.quote_approve(
        by=request.auth,
        quote=_get(request, quote_id),
        note=payload.note,
        if_match=if_match(request),
    )
    return _answer(request, response, quote)


@router.post(
    "/quotes/{quote_id}/refuse",
    response=QuoteOut,
    operation_id="quote_refuse",
    summary="Refuse the discount, saying why (honours If-Match)",
)
def quote_refuse(request, quote_id: Id, payload: RefusalIn, response: HttpResponse):
    quote = services.quote_refuse(
        by=request.auth,
        quote=_get(request, quote_id),
        note=payload.note,
        if_match=if_match(request),
    )
    return _answer(request, response, quote)


@router.post(
    "/quotes/{quote_id}/revise",
    response={201: QuoteOut},
    operation_id="quote_revise",
    summary="Make a new draft version (same number, next revision, lines copied; honours If-Match)",
)
def quote_revise(request, quote_id: Id, response: HttpResponse):
    revision = services.quote_revise(
        by=request.auth, quote=_get(request, quote_id), if_match=if_match(request)
    )
    return Status(201, _answer(request, response, revision))


@router.post(
    "/quotes/{quote_id}/accept",
    response=QuoteOut,
    operation_id="quote_accept",
    summary="Record the customer's acceptance: the order is created (honours If-Match)",
)
def quote_accept(request, quote_id: Id, payload: AcceptIn, response: HttpResponse):
    quote = services.quote_accept(
        _get(request, quote_id),
        name=payload.name,
        note=payload.note,
        by=request.auth,
        if_match=if_match(request),
    )
    return _answer(request, response, quote)


@router.post(
    "/quotes/{quote_id}/reject",
    response=QuoteOut,
    operation_id="quote_reject",
    summary="Record that the customer declined, and why (honours If-Match)",
)
def quote_reject(request, quote_id: Id, payload: RejectIn, response: HttpResponse):
    quote = services.quote_reject(
        _get(request, quote_id),
        name=payload.name,
        reason=payload.reason,
        by=request.auth,
        if_match=if_match(request),
    )
    return _answer(request, response, quote)


@router.get(
    "/quotes/{quote_id}/pdf",
    response={200: None},
    operation_id="quote_pdf",
    summary="The quote as a PDF (application/pdf)",
    openapi_extra={
        "responses": {
            "200": {
                "description": "The PDF",
                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def quote_pdf(request, quote_id: Id):
    quote = selectors.quote_get(actor=request.auth, pk=quote_id, with_deleted=True)
    return pdf.pdf_response(quote)
