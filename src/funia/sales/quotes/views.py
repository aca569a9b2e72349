"""Pages of quotes: the list, a quote (its draft fields, lines and totals edited in place
with HTMX, approval, sending, versions, the customer's decision, the PDF), a new quote
from a deal, and the quotes block of a deal's page."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from pydantic import ValidationError as SchemaError

from funia.core.selectors import audit_trail
from funia.core.visibility import can_change, visible_records
from funia.customers.models import Contact
from funia.sales.catalog.selectors import deal_price_book
from funia.sales.models import Opportunity
from funia.sales.quotes import pdf, selectors, services
from funia.sales.quotes.forms import (
    ApprovalForm,
    DecisionForm,
    LineAddForm,
    LineForm,
    QuoteCreateForm,
    QuoteForm,
)
from funia.sales.quotes.models import ApprovalStatus, QuoteStatus
from funia.sales.quotes.schemas import QuoteFilter
from funia.web.decorators import member_required
from funia.web.forms import add_service_errors
from funia.web.htmx import render_page_or_fragment, wants_fragment

PAGE_SIZE = 50


def _quote(request, pk: int, *, with_deleted: bool = False):
    try:
        return selectors.quote_get(actor=request.actor, pk=pk, with_deleted=with_deleted)
    except ObjectDoesNotExist as exc:
        raise Http404 from exc


def _errors(exc: ValidationError) -> list[str]:
    return list(dict.fromkeys(exc.messages))


def configure_url(product_id: int, quote) -> str:
    """The configurator for a product, for the quote's deal and book."""
    base = reverse("product_configure", args=[product_id])
    query = urlencode({"opportunity": quote.opportunity_id, "price_book": quote.price_book_id})
    return f"{base}?{query}"


# -- the list -------------------------------------------------------------------------------


@member_required
def quote_list(request):
    params = {k: v for k, v in request.GET.items() if v not in ("", None) and k != "page"}
    all_versions = params.pop("all_versions", "") in ("1", "true", "on")
    if not all_versions:
        params.setdefault("current", "true")
    try:
        filters = QuoteFilter(**params)
    except SchemaError:
        filters = QuoteFilter(current=None if all_versions else True)
        messages.error(request, _("Some filters were not valid and were ignored."))
    quotes = selectors.quote_list(actor=request.actor, filters=filters, lines=False)
    page = Paginator(quotes, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "filters": filters,
        "all_versions": all_versions,
        "statuses": QuoteStatus.choices,
        "query": urlencode({k: v for k, v in request.GET.items() if k != "page"}),
    }
    return render_page_or_fragment(
        request, "quotes/quote_list.html", "quotes/quote_rows.html", context
    )


# -- one quote ------------------------------------------------------------------------------


def _products(quote) -> tuple[list, dict]:
    """(select choices of the products the quote may add, their configurator URLs)."""
    choices, configurable = [], {}
    for entry in selectors.priced_products(quote):
        product = entry.product
        price = number_format(entry.unit_price, 2, force_grouping=True)
        label = f"{product.name} ({product.sku}) · {price} {quote.currency}"
        if entry.configurable:
            label = _("%(product)s · configure") % {"product": label}
            configurable[product.pk] = configure_url(product.pk, quote)
        choices.append((product.pk, label))
    return choices, configurable


def _contacts(actor, quote) -> list:
    """The recipients offered: the contacts of the deal's account the actor sees, the deal's
    own contact and the quote's current one."""
    deal = quote.opportunity
    ids = {quote.contact_id, deal.contact_id} - {None}
    offered = Contact.objects.for_tenant(quote.tenant_id).filter(pk__in=ids)
    if deal.account_id:
        offered = offered | visible_records(Contact, actor).filter(account_id=deal.account_id)
    return list(offered.distinct().order_by("last_name", "first_name", "id")[:200])


def quote_form(quote, actor, data=None) -> QuoteForm:
    return QuoteForm(
        data,
        initial=QuoteForm.initial_of(quote),
        contacts=_contacts(actor, quote),
        price_books=selectors.price_book_choices(
            tenant=quote.tenant, currency=quote.currency, keep=quote.price_book_id
        ),
    )


def _work_context(request, quote, **extra) -> dict:
    """What the workspace (lines, totals, approval, actions) needs."""
    actor = request.actor
    status = services.effective_status(quote)
    changeable = not quote.is_deleted and can_change(actor, quote)
    editable = changeable and quote.status == QuoteStatus.DRAFT and quote.is_current
    lines = list(quote.lines.all())
    approver = editable and services.is_approver(actor, quote)
    context = {
        "quote": quote,
        "status": status,
        "lines": lines,
        "net_total": services.net_total(quote),
        "limit": services.limit_text(quote.tenant),
        "editable": editable,
        "can_request": editable and quote.approval_status == ApprovalStatus.PENDING,
        "can_approve": approver
        and quote.approval_status in (ApprovalStatus.PENDING, ApprovalStatus.REFUSED),
        "can_refuse": approver and quote.approval_status == ApprovalStatus.PENDING,
        "can_send": editable
        and bool(lines)
        and quote.approval_status in (ApprovalStatus.NOT_NEEDED, ApprovalStatus.APPROVED),
        "can_revise": changeable and quote.is_current and quote.status != QuoteStatus.ACCEPTED,
        "can_record": changeable and quote.is_current and status == QuoteStatus.SENT,
        "line_errors": extra.pop("line_errors", []),
    }
    if editable:
        choices, configurable = _products(quote)
        context["add_form"] = extra.pop("add_form", None) or LineAddForm(products=choices)
        context["configurable"] = configurable
    return context | extra


def _public_url(request, quote) -> str:
    if quote.sent_at is None:
        return ""
    return request.build_absolute_uri(
        reverse("public_quote", kwargs={"quote_token": quote.public_token})
    )


def _order_of(quote):
    try:
        return quote.order
    except ObjectDoesNotExist:
        return None


def _render_detail(request, quote, *, form=None, status=200):
    actor = request.actor
    context = _work_context(request, quote)
    if context["editable"]:
        context["form"] = form or quote_form(quote, actor)
    context |= {
        "record": quote,
        "versions": selectors.quote_versions(actor=actor, quote=quote),
        "public_url": _public_url(request, quote),
        "order": _order_of(quote),
        "order_url": _order_url(_order_of(quote)),
        "deal": quote.opportunity,
        "audit": audit_trail(
            tenant=actor.tenant, object_type=quote._meta.label_lower, object_id=quote.pk
        ),
    }
    return render(request, "quotes/quote_detail.html", context, status=status)


def _order_url(order) -> str:
    return reverse("order_detail", args=[order.pk]) if order is not None else ""


@member_required
def quote_detail(request, pk: int):
    return _render_detail(request, _quote(request, pk, with_deleted=True))


@require_POST
@member_required
def quote_edit(request, pk: int):
    """Save the draft's fields (title, recipient, price book, discount, validity, notes)."""
    quote = _quote(request, pk)
    try:
        services.check_editable(quote)
    except ValidationError as exc:
        for message in _errors(exc):
            messages.error(request, message)
        return redirect("quote_detail", pk=quote.pk)
    form = quote_form(quote, request.actor, request.POST)
    if form.is_valid():
        try:
            services.quote_update(by=request.actor, quote=quote, fields=form.service_fields())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("quote_detail", pk=quote.pk)
    return _render_detail(request, _quote(request, pk), form=form)


def _work_response(request, quote, **extra):
    """The workspace fragment for HTMX, else back to the quote's page."""
    if wants_fragment(request):
        quote = _quote(request, quote.pk)
        return render(request, "quotes/_work.html", _work_context(request, quote, **extra))
    for message in extra.get("line_errors", []):
        messages.error(request, message)
    form = extra.get("add_form")
    if form is not None:
        for name, errors in form.errors.items():
            if name != "__all__":
                label = form.fields[name].label
                messages.error(request, f"{label}: {' '.join(errors)}")
    return redirect("quote_detail", pk=quote.pk)


def _hx_redirect(request, url: str):
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


@require_POST
@member_required
def quote_lines(request, pk: int):
    """Add a line (a configurable product goes through the configurator), change a line's
    quantity or discount, or remove it; answers the workspace fragment."""
    quote = _quote(request, pk)
    operation = request.POST.get("op", "")
    if operation == "add":
        choices, configurable = _products(quote) if not quote.is_deleted else ([], {})
        form = LineAddForm(request.POST, products=choices)
        if not form.is_valid():
            return _work_response(request, quote, add_form=form)
        product_id = form.cleaned_data["product"]
        if product_id in configurable:
            url = configurable[product_id]
            if url:
                return _hx_redirect(request, url)
        entry = next(
            (e for e in selectors.priced_products(quote) if e.product_id == product_id), None
        )
        try:
            services.quote_line_add(
                by=request.actor,
                quote=quote,
                product=entry.product,
                quantity=form.cleaned_data["quantity"],
                discount_percent=form.cleaned_data["discount_percent"] or 0,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
            return _work_response(
                request, quote, add_form=form, line_errors=list(form.non_field_errors())
            )
        return _work_response(request, quote)
    if operation not in ("update", "remove"):
        return _work_response(request, quote, line_errors=[_("Unknown change.")])
    form = LineForm(request.POST)
    if not form.is_valid():
        errors = [e for messages_ in form.errors.values() for e in messages_]
        return _work_response(request, quote, line_errors=errors)
    try:
        line = selectors.quote_line_get(quote=quote, pk=form.cleaned_data["line"])
    except ObjectDoesNotExist as exc:
        raise Http404 from exc
    try:
        if operation == "remove":
            services.quote_line_remove(by=request.actor, line=line)
        else:
            services.quote_line_update(
                by=request.actor,
                line=line,
                quantity=form.cleaned_data["quantity"],
                discount_percent=form.cleaned_data["discount_percent"],
            )
    except ValidationError as exc:
        return _work_response(request, quote, line_errors=_errors(exc))
    return _work_response(request, quote)


def _act(request, quote, action, success: str):
    """Run a quote action; a refusal is shown as a message on the quote's page."""
    try:
        result = action()
    except ValidationError as exc:
        for message in _errors(exc):
            messages.error(request, message)
        return redirect("quote_detail", pk=quote.pk)
    messages.success(request, success)
    return redirect("quote_detail", pk=getattr(result, "pk", quote.pk))


@require_POST
@member_required
def quote_send(request, pk: int):
    quote = _quote(request, pk)
    return _act(
        request,
        quote,
        lambda: services.quote_send(by=request.actor, quote=quote),
        _("Sent: share the customer's link below, or download the PDF."),
    )


@require_POST
@member_required
def quote_approval(request, pk: int):
    """Ask for approval, approve or refuse the discount."""
    quote = _quote(request, pk)
    form = ApprovalForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Unknown change."))
        return redirect("quote_detail", pk=quote.pk)
    action, note = form.cleaned_data["action"], form.cleaned_data["note"]
    if action == "request":
        return _act(
            request,
            quote,
            lambda: services.quote_request_approval(by=request.actor, quote=quote),
            _("Approval requested: the approvers were notified."),
        )
    if action == "approve":
        return _act(
            request,
            quote,
            lambda: services.quote_approve(by=request.actor, quote=quote, note=note),
            _("Discount approved."),
        )
    return _act(
        request,
        quote,
        lambda: services.quote_refuse(by=request.actor, quote=quote, note=note),
        _("Discount refused."),
    )


@require_POST
@member_required
def quote_revise(request, pk: int):
    quote = _quote(request, pk)
    return _act(
        request,
        quote,
        lambda: services.quote_revise(by=request.actor, quote=quote),
        _("A new version was made; the previous one stays as it was."),
    )


@require_POST
@member_required
def quote_decision(request, pk: int):
    """Record the customer's answer given by phone or email: accepted or declined."""
    quote = _quote(request, pk)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Unknown change."))
        return redirect("quote_detail", pk=quote.pk)
    data = form.cleaned_data
    if data["decision"] == "accept":
        return _act(
            request,
            quote,
            lambda: services.quote_accept(
                quote, name=data["name"], note=data["note"], by=request.actor
            ),
            _("Acceptance recorded: the order was created."),
        )
    return _act(
        request,
        quote,
        lambda: services.quote_reject(
            quote, name=data["name"], reason=data["reason"], by=request.actor
        ),
        _("Rejection recorded."),
    )


@require_POST
@member_required
def quote_delete(request, pk: int):
    quote = _quote(request, pk)
    try:
        services.quote_delete(by=request.actor, quote=quote)
    except ValidationError as exc:
        for message in _errors(exc):
            messages.error(request, message)
        return redirect("quote_detail", pk=quote.pk)
    messages.success(request, _("Moved to the trash. You can restore it from there."))
    return redirect("quote_list")


@require_POST
@member_required
def quote_restore(request, pk: int):
    quote = _quote(request, pk, with_deleted=True)
    return _act(
        request,
        quote,
        lambda: services.quote_restore(by=request.actor, quote=quote),
        _("Restored."),
    )


@member_required
def quote_pdf(request, pk: int):
    return pdf.pdf_response(_quote(request, pk, with_deleted=True))


# -- a new quote from a deal ----------------------------------------------------------------


def _deal(request):
    raw = request.GET.get("opportunity", "")
    if not raw.isascii() or not raw.isdecimal() or not 0 < int(raw) < 2**63:
        return None
    return visible_records(Opportunity, request.actor).filter(pk=int(raw)).first()


@member_required
def quote_create(request):
    """`quotes/new/?opportunity=<id>`: POST makes a new draft of the deal (in the chosen
    price book, else the deal's default one) and opens it; GET offers the choice."""
    deal = _deal(request)
    if deal is None:
        messages.error(request, _("Open a deal and make its quote from there."))
        return redirect("opportunity_list")
    books = selectors.price_book_choices(tenant=request.actor.tenant, currency=deal.currency)
    default = deal_price_book(deal)
    form = QuoteCreateForm(
        request.POST if request.method == "POST" else None,
        price_books=books,
        initial={"price_book": default.pk if default else None},
    )
    if request.method == "POST" and form.is_valid():
        chosen = form.cleaned_data["price_book"]
        book = next((b for b in books if b.pk == chosen), None) if chosen else default
        try:
            quote = services.quote_create(by=request.actor, opportunity=deal, price_book=book)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Draft quote %(quote)s created.") % {"quote": quote})
            return redirect("quote_detail", pk=quote.pk)
    context = {"form": form, "deal": deal, "has_books": bool(books)}
    return render(request, "quotes/quote_create.html", context)


# -- the deal's page ------------------------------------------------------------------------


def deal_quotes_context(*, actor, opportunity) -> dict:
    """The quotes block of a deal's page (quotes/_deal_quotes.html)."""
    quotes = selectors.deal_quotes(actor=actor, opportunity=opportunity)
    book = deal_price_book(opportunity)
    configure = []
    for product in selectors.configurable_products(actor=actor, price_book=book):
        url = reverse("product_configure", args=[product.pk])
        query = {"opportunity": opportunity.pk} | ({"price_book": book.pk} if book else {})
        configure.append({"product": product, "url": f"{url}?{urlencode(query)}"})
    return {
        "deal_quotes": [(quote, services.effective_status(quote)) for quote in quotes],
        "deal_configure": configure,
        "deal_can_quote": not opportunity.is_deleted and can_change(actor, opportunity),
    }
