"""Pages of orders: the list (filters, totals per currency), an order with its lines, status
buttons and history, a new order with its lines, the edit of notes and date, trash."""

import re
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from pydantic import ValidationError as SchemaError

from funia.core.records import StaleVersion
from funia.core.visibility import READ_ONLY, can_change
from funia.sales.orders import selectors, services
from funia.sales.orders.forms import MAX_FORM_LINES, LineFormSet, OrderCreateForm, OrderEditForm
from funia.sales.orders.models import OrderStatus
from funia.sales.orders.schemas import OrderFilter
from funia.web.decorators import member_required
from funia.web.forms import add_service_errors
from funia.web.htmx import render_page_or_fragment, wants_fragment
from funia.web.record_pages import RecordPages

PAGE_SIZE = 50
LINE_ERROR = re.compile(r"^lines\.(\d+)\.(\w+)$")


def _line_view(line, currency: str):
    """A line with what the page shows beside it: the quantity without trailing zeros and
    the options that change the price, with their amounts."""
    line.quantity_shown = number_format(line.quantity.normalize(), force_grouping=True)
    line.priced_options = [
        f"{option.get('name', '')} "
        f"{number_format(Decimal(option['price_adjustment']), 2, force_grouping=True)} {currency}"
        for option in line.options or []
        if option.get("price_adjustment") not in (None, "", "0", "0.00")
    ]
    return line


def _detail_context(*, actor, record):
    may_change = not record.is_deleted and can_change(actor, record)
    return {
        "lines": [_line_view(line, record.currency) for line in record.lines.all()],
        "history": list(record.status_changes.all()),
        "net_total": record.subtotal - record.discount_total,
        "may_change": may_change,
        "next_statuses": [
            (status, OrderStatus(status).label) for status in services.next_statuses(record.status)
        ]
        if may_change
        else [],
    }


order_pages = RecordPages(
    name="order",
    app="orders",
    filter_class=OrderFilter,
    list_selector=selectors.order_list,
    get_selector=selectors.order_get,
    form_class=OrderEditForm,
    create=services.order_create,
    update=services.order_update,
    delete=services.order_delete,
    restore=services.order_restore,
    detail_context=_detail_context,
)


def _without_page(query) -> str:
    query = query.copy()
    query.pop("page", None)
    return query.urlencode()


@member_required
def order_list(request):
    """Orders the user sees, newest first, with the total per currency of those listed."""
    params = {k: v for k, v in request.GET.items() if v not in ("", None) and k != "page"}
    try:
        filters = OrderFilter(**params)
    except SchemaError:
        filters = OrderFilter()
        messages.error(request, _("Some filters were not valid and were ignored."))
    orders = selectors.order_list(actor=request.actor, filters=filters, details=False)
    page = Paginator(orders, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "filters": filters,
        "query": request.GET.urlencode(),
        "base_query": _without_page(request.GET),
        "totals": selectors.list_totals(orders),
        "statuses": OrderStatus.choices,
        "accounts": selectors.ordering_accounts(actor=request.actor),
        "may_write": request.actor.role not in READ_ONLY,
    }
    return render_page_or_fragment(
        request, "orders/order_list.html", "orders/order_rows.html", context
    )


def _put_line_errors(form, formset, exc: ValidationError) -> None:
    """The service's errors on the fields they name: `lines.1.quantity` on the second filled
    row of the formset (empty rows are not sent); the others on the order's form."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    rows = [row for row in formset.forms if row.line() is not None]
    rest = {}
    for name, errors in exc.message_dict.items():
        match = LINE_ERROR.match(name)
        if match and int(match[1]) < len(rows):
            row = rows[int(match[1])]
            row.add_error(match[2] if match[2] in row.fields else None, errors)
        else:
            rest[name] = errors
    if rest:
        add_service_errors(form, ValidationError(rest))


def _with_added_line(data):
    data = data.copy()
    total = data.get("lines-TOTAL_FORMS", "0")
    count = int(total) if total.isdecimal() else 0
    data["lines-TOTAL_FORMS"] = str(min(count + 1, MAX_FORM_LINES))
    return data


@member_required
def order_create(request):
    """A new order: the customer, the price book and the lines (empty rows are ignored).
    "Add a line" (HTMX, or a plain submit) returns the lines with one more row."""
    if request.actor.role in READ_ONLY:
        raise PermissionDenied
    adding = request.method == "POST" and "add_line" in request.POST
    data = _with_added_line(request.POST) if adding else (request.POST or None)
    initial = {k: v for k, v in request.GET.items() if k in ("account", "contact", "opportunity")}
    form = OrderCreateForm(data, actor=request.actor, initial=initial)
    formset = LineFormSet(data, prefix="lines", form_kwargs={"actor": request.actor})
    if adding:
        context = {"form": form, "formset": formset, "adding": True}
        if wants_fragment(request):
            return render(request, "orders/_line_rows.html", context)
        return render(request, "orders/order_create.html", context)
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        lines = formset.lines()
        try:
            order = services.order_create(by=request.actor, **form.service_fields(), lines=lines)
        except ValidationError as exc:
            _put_line_errors(form, formset, exc)
        else:
            messages.success(
                request, _("Order %(reference)s created.") % {"reference": order.reference}
            )
            return redirect("order_detail", pk=order.pk)
    return render(request, "orders/order_create.html", {"form": form, "formset": formset})


@require_POST
@member_required
def order_status(request, pk: int):
    """Move the order to the status of the button pressed, with the note typed."""
    try:
        order = selectors.order_get(actor=request.actor, pk=pk)
    except ObjectDoesNotExist as exc:
        raise Http404 from exc
    status = request.POST.get("status", "")[:20]
    try:
        services.order_set_status(
            by=request.actor,
            order=order,
            status=status,
            note=request.POST.get("note", "")[:1000],
            if_match=request.POST.get("etag") or None,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except StaleVersion:
        messages.error(
            request,
            _("Someone else changed this order meanwhile; check its status and try again."),
        )
    else:
        messages.success(
            request,
            _("Order %(reference)s is now %(status)s.")
            % {"reference": order.reference, "status": OrderStatus(status).label.lower()},
        )
    return redirect("order_detail", pk=order.pk)
