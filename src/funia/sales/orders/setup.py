"""Navigation entry, customer-card sections and timeline, and the import target of orders.

The card of an account or a contact shows its purchase history: the orders ("orders") and,
below them, the products bought over time ("products_bought"); its timeline gets "Order
O-00001 placed" and each later change of an order's status.
"""

from urllib.parse import urlencode

from django.urls import NoReverseMatch, reverse
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext

from funia.core import periods
from funia.customers import card
from funia.sales.orders.imports import register_import_target
from funia.web.navigation import NavEntry, register

register(NavEntry(_lazy("Orders"), "order_list", "orders", order=60))
register_import_target()

ORDER_PRODUCTS = card.ORDER_ORDERS + 1


def money(amount, currency: str) -> str:
    return f"{number_format(amount, 2, force_grouping=True)} {currency}"


def quantity_text(value) -> str:
    return number_format(value.normalize(), force_grouping=True)


def _product_url(product_id) -> str:
    if product_id is None:
        return ""
    try:
        return reverse("product_detail", args=[product_id])
    except NoReverseMatch:
        return ""


def customer_orders(actor, record):
    """The customer's orders, newest first: reference, date, status and total."""
    from funia.sales.orders.selectors import customer_orders as orders_of

    orders, more = orders_of(actor=actor, record=record, limit=card.SECTION_LIMIT)
    items = [
        card.CardItem(
            id=order.pk,
            title=order.reference,
            detail=" · ".join(
                part
                for part in (
                    money(order.total, order.currency),
                    _("no. %(ref)s") % {"ref": order.external_ref} if order.external_ref else "",
                )
                if part
            ),
            url=reverse("order_detail", args=[order.pk]),
            at=periods.midnight(actor.tenant, order.ordered_on),
            status=order.get_status_display(),
        )
        for order in orders
    ]
    link = f"{reverse('order_list')}?{urlencode({record._meta.model_name: record.pk})}"
    return card.SectionContent(items=items, more=link if more else "")


def customer_products(actor, record):
    """Per product the customer bought: how many, for how much, first and last purchase."""
    from funia.sales.orders.selectors import products_bought

    items = []
    for bought in products_bought(actor=actor, record=record)[: card.SECTION_LIMIT]:
        spent = ", ".join(money(amount, currency) for currency, amount in bought.spent.items())
        parts = [
            ngettext(
                "%(quantity)s bought in %(orders)d order for %(spent)s",
                "%(quantity)s bought in %(orders)d orders for %(spent)s",
                bought.orders,
            )
            % {"quantity": quantity_text(bought.quantity), "orders": bought.orders, "spent": spent}
        ]
        # The item's date is the last purchase; the first is said when it differs.
        if bought.first_purchase != bought.last_purchase:
            first = date_format(bought.first_purchase, "SHORT_DATE_FORMAT")
            parts.append(_("first bought %(date)s") % {"date": first})
        detail = " · ".join(parts)
        title = f"{bought.description} ({bought.sku})" if bought.sku else bought.description
        items.append(
            card.CardItem(
                id=bought.product_id,
                title=title,
                detail=detail,
                url=_product_url(bought.product_id),
                at=periods.midnight(actor.tenant, bought.last_purchase),
            )
        )
    return items


def order_timeline(actor, record, *, before=None, limit=card.TIMELINE_PAGE):
    """The placing of each of the customer's orders and every later change of status."""
    from funia.sales.orders.selectors import status_changes_of

    entries = []
    for change in status_changes_of(actor=actor, record=record, before=before, limit=limit):
        order = change.order
        reference = order.reference
        if not change.from_status:
            title = _("Order %(reference)s placed") % {"reference": reference}
            detail = " · ".join(
                part
                for part in (
                    money(order.total, order.currency),
                    change.get_to_status_display(),
                    change.note,
                )
                if part
            )
        else:
            title = _("Order %(reference)s: %(before)s → %(after)s") % {
                "reference": reference,
                "before": change.get_from_status_display(),
                "after": change.get_to_status_display(),
            }
            detail = change.note
        entries.append(
            card.TimelineEntry(
                at=change.changed_at,
                kind="order",
                title=title,
                detail=detail,
                user=str(change.changed_by) if change.changed_by else _("the system"),
                link=reverse("order_detail", args=[order.pk]),
            )
        )
    return entries


card.register_section(
    "orders",
    _lazy("Purchase history"),
    customer_orders,
    card.ORDER_ORDERS,
    record_types=[card.ACCOUNT, card.CONTACT],
)
card.register_section(
    "products_bought",
    _lazy("Products bought"),
    customer_products,
    ORDER_PRODUCTS,
    record_types=[card.ACCOUNT, card.CONTACT],
)
card.register_timeline_source(order_timeline)


def _new_order_url(record) -> str:
    if record._meta.model_name == "contact":
        query = {
            "contact": record.pk,
            **({"account": record.account_id} if record.account_id else {}),
        }
    else:
        query = {"account": record.pk}
    return f"{reverse('order_create')}?{urlencode(query)}"


card.register_action("new_order", _lazy("New order"), _new_order_url, order=40)
