"""API of /orders (create, read, notes and dates, trash), their status flow, and the purchase
history of an account or a contact."""

from urllib.parse import urlencode

from django.http import HttpResponse
from django.urls import reverse
from ninja import Router

from funia.api.concurrency import if_match, with_etag
from funia.api.records import RecordRoutes
from funia.api.schemas import Id
from funia.customers import selectors as customer_selectors
from funia.sales.orders import selectors, services
from funia.sales.orders.schemas import (
    OrderFilter,
    OrderIn,
    OrderOut,
    OrderPatch,
    OrderStatusIn,
    PurchaseHistoryOut,
)
from funia.sales.schemas import money_text, rate_text

router = Router(tags=["orders"])

STATUS_HELP = (
    "The status moves forward along new → confirmed → shipped → delivered → invoiced → paid; "
    "steps may be skipped (a service: confirmed → invoiced). An order is cancelled from new, "
    "confirmed or shipped; nothing follows paid or cancelled. A refused move answers 422 with "
    "the moves allowed. Each move is appended to the order's `history`. Honours If-Match."
)


def order_fields(data: dict) -> dict:
    """API payload -> service fields: PATCH's null text is empty text; a null date is left
    out (an order always has one)."""
    fields = dict(data)
    for name in ("notes", "external_ref"):
        if name in fields and fields[name] is None:
            fields[name] = ""
    if "ordered_on" in fields and fields["ordered_on"] is None:
        fields.pop("ordered_on")
    return fields


def create_fields(data: dict) -> dict:
    fields = dict(data)
    if "lines" in fields:
        fields["lines"] = [
            {k: v for k, v in line.items() if v is not None} for line in fields["lines"]
        ]
    return fields


def update_fields(data: dict) -> dict:
    fields = order_fields(data)
    if "contact" in fields:
        fields["contact_id"] = fields.pop("contact")
    return fields


def _create(*, by, **fields):
    return services.order_create(by=by, **create_fields(fields))


def _update(*, by, order, fields, if_match=None):
    return services.order_update(
        by=by, order=order, fields=update_fields(fields), if_match=if_match
    )


# Before the record routes, so their paths stay the API's documented ones.
@router.post(
    "/orders/{order_id}/status",
    response=OrderOut,
    operation_id="order_set_status",
    summary="Move an order to another status (with an optional note)",
    description=STATUS_HELP,
)
def order_status(request, order_id: Id, payload: OrderStatusIn, response: HttpResponse):
    order = selectors.order_get(actor=request.auth, pk=order_id)
    services.order_set_status(
        by=request.auth,
        order=order,
        status=payload.status,
        note=payload.note,
        if_match=if_match(request),
    )
    return with_etag(response, selectors.order_get(actor=request.auth, pk=order_id))


RecordRoutes(
    name="order",
    plural="orders",
    label="order",
    output=OrderOut,
    create_input=OrderIn,
    patch_input=OrderPatch,
    filters=OrderFilter,
    list_selector=selectors.order_list,
    get_selector=selectors.order_get,
    create=_create,
    update=_update,
    delete=services.order_delete,
    restore=services.order_restore,
).register(router)


def _history_body(request, record, history) -> dict:
    more = None
    if history.more_orders:
        query = urlencode({record._meta.model_name: record.pk})
        more = request.build_absolute_uri(f"{reverse('api:api-root')}orders?{query}")
    return {
        "orders": [
            {
                "id": order.pk,
                "reference": order.reference,
                "external_ref": order.external_ref,
                "ordered_on": order.ordered_on,
                "status": order.status,
                "currency": order.currency,
                "total": money_text(order.total),
            }
            for order in history.orders
        ],
        "more_orders": more,
        "products": [
            {
                "product": product.product_id,
                "sku": product.sku,
                "description": product.description,
                "quantity": rate_text(product.quantity),
                "spent": [
                    {"currency": currency, "amount": money_text(amount)}
                    for currency, amount in product.spent.items()
                ],
                "first_purchase": product.first_purchase,
                "last_purchase": product.last_purchase,
                "orders": product.orders,
            }
            for product in history.products
        ],
        "spent": [
            {"currency": currency, "amount": money_text(amount)}
            for currency, amount in history.spent.items()
        ],
    }


@router.get(
    "/accounts/{account_id}/purchase-history",
    response=PurchaseHistoryOut,
    tags=["orders"],
    operation_id="account_purchase_history",
    summary="The account's orders and the products it bought (as on its card)",
)
def account_purchase_history(request, account_id: Id):
    account = customer_selectors.account_get(actor=request.auth, pk=account_id, with_deleted=True)
    history = selectors.purchase_history(actor=request.auth, record=account)
    return _history_body(request, account, history)


@router.get(
    "/contacts/{contact_id}/purchase-history",
    response=PurchaseHistoryOut,
    tags=["orders"],
    operation_id="contact_purchase_history",
    summary="The contact's orders and the products they bought (as on their card)",
)
def contact_purchase_history(request, contact_id: Id):
    contact = customer_selectors.contact_get(actor=request.auth, pk=contact_id, with_deleted=True)
    history = selectors.purchase_history(actor=request.auth, record=contact)
    return _history_body(request, contact, history)
