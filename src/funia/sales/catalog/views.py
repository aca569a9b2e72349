"""Pages of the catalog: products (list, detail with files, options and prices, form, trash),
their option editor and files, and price books with their prices editor. Every member
reads; administrators write (the services refuse anyone else, the forms are not offered)."""

import re
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from pydantic import ValidationError as SchemaError

from funia.core.selectors import audit_trail
from funia.sales.catalog import selectors, services
from funia.sales.catalog.api import file_response
from funia.sales.catalog.forms import (
    OptionForm,
    OptionGroupForm,
    PriceBookEntryForm,
    PriceBookForm,
    ProductFileForm,
    ProductForm,
)
from funia.sales.catalog.models import ProductFileKind
from funia.sales.catalog.sanitize import description_html
from funia.sales.catalog.schemas import PriceBookFilter, ProductFilter
from funia.web.decorators import admin_required, member_required
from funia.web.forms import add_service_errors
from funia.web.htmx import render_page_or_fragment, wants_fragment
from funia.web.record_pages import PAGE_SIZE, RecordPages

ID = re.compile(r"[0-9]{1,18}")


def _id(value) -> int | None:
    """A record id typed in a form, or None (never an error page)."""
    value = str(value or "")
    return int(value) if ID.fullmatch(value) and int(value) > 0 else None


class CatalogPages(RecordPages):
    """Record pages every member reads; only administrators open the forms."""

    def form_view(self):
        return admin_required(super().form_view())


class ProductPages(CatalogPages):
    """Product pages; the list offers the categories in use to its filter."""

    def list_view(self):
        @member_required
        def view(request):
            params = {k: v for k, v in request.GET.items() if v not in ("", None) and k != "page"}
            try:
                filters = self.filter_class(**params)
            except SchemaError:
                filters = self.filter_class()
                messages.error(request, _("Some filters were not valid and were ignored."))
            queryset = self.list_selector(actor=request.actor, filters=filters)
            context = {
                "page": Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page")),
                "filters": filters,
                "query": urlencode(params),
                "categories": selectors.product_categories(actor=request.actor),
            }
            return render_page_or_fragment(
                request, self.template("list"), self.template("rows"), context
            )

        return view


# -- products ----------------------------------------------------------------------------


def _rules(groups) -> list[dict]:
    """Each rule of the product's options, for the sentence that says it."""
    rules = []
    for group in groups:
        for option in group.options.all():
            for other in option.requires.all():
                rules.append({"kind": "requires", "option": option, "other": other})
            for other in option.excludes.all():
                rules.append({"kind": "excludes", "option": option, "other": other})
    return rules


def _product_context(*, actor, record, upload_form=None) -> dict:
    groups = list(record.option_groups.all())
    files = list(record.files.all())
    return {
        "description": description_html(record.description),
        "groups": groups,
        "rules": _rules(groups),
        "images": [f for f in files if f.kind == ProductFileKind.IMAGE],
        "documents": [f for f in files if f.kind == ProductFileKind.DOCUMENT],
        "prices": list(selectors.product_prices(actor=actor, product=record)),
        "upload_form": upload_form or (ProductFileForm() if actor.is_admin else None),
    }


product_pages = ProductPages(
    name="product",
    app="catalog",
    filter_class=ProductFilter,
    list_selector=selectors.product_list,
    get_selector=selectors.product_get,
    form_class=ProductForm,
    create=services.product_create,
    update=services.product_update,
    delete=services.product_delete,
    restore=services.product_restore,
    detail_context=_product_context,
)


def _product(request, pk: int, *, with_deleted: bool = False):
    try:
        return selectors.product_get(actor=request.actor, pk=pk, with_deleted=with_deleted)
    except ObjectDoesNotExist as exc:
        raise Http404 from exc


def _product_detail(request, product, *, upload_form=None):
    context = {
        "record": product,
        "audit": audit_trail(
            tenant=request.actor.tenant,
            object_type=product._meta.label_lower,
            object_id=product.pk,
        ),
        **_product_context(actor=request.actor, record=product, upload_form=upload_form),
    }
    return render(request, "catalog/product_detail.html", context)


@require_POST
@admin_required
def product_files(request, pk: int):
    """Attach a file from the product page; errors show on the page's upload form."""
    product = _product(request, pk)
    form = ProductFileForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.product_file_add(
                by=request.actor,
                product=product,
                uploaded=form.cleaned_data["file"],
                title=form.cleaned_data["title"],
                kind=form.cleaned_data["kind"] or None,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("File added."))
            return redirect("product_detail", pk=product.pk)
    return _product_detail(request, _product(request, pk), upload_form=form)


@require_http_methods(["GET", "POST"])
@member_required
def product_file(request, pk: int, product_file_id: int):
    """GET: the file, for every member who reads the product (images inline); POST: its
    removal (administrators)."""
    removing = request.method == "POST"
    if removing and not request.actor.is_admin:
        raise PermissionDenied
    product = _product(request, pk, with_deleted=not removing)
    try:
        record = selectors.product_file_get(
            actor=request.actor, product=product, pk=product_file_id
        )
    except ObjectDoesNotExist as exc:
        raise Http404 from exc
    if not removing:
        return file_response(record)
    services.product_file_delete(by=request.actor, product_file=record)
    messages.success(request, _("File removed."))
    return redirect("product_detail", pk=product.pk)


# -- the option editor -------------------------------------------------------------------


def _all_options(groups) -> list:
    return [option for group in groups for option in group.options.all()]


def _editor_context(product, *, errors=None) -> dict:
    groups = list(product.option_groups.all())
    options = _all_options(groups)
    editors = []
    for group in groups:
        rows = []
        for option in group.options.all():
            others = [o for o in options if o.pk != option.pk]
            form = OptionForm(
                prefix=f"option-{option.pk}",
                other_options=others,
                initial={
                    "name": option.name,
                    "price_adjustment": option.price_adjustment,
                    "adjustment_type": option.adjustment_type,
                    "default": option.is_default,
                    "requires": [o.pk for o in option.requires.all()],
                    "excludes": [o.pk for o in option.excludes.all()],
                },
            )
            rows.append({"option": option, "form": form})
        editors.append(
            {
                "group": group,
                "form": OptionGroupForm(
                    prefix=f"group-{group.pk}",
                    initial={"name": group.name, "kind": group.kind, "required": group.required},
                ),
                "options": rows,
                "add_form": OptionForm(
                    prefix=f"new-option-{group.pk}",
                    other_options=options,
                    initial={"price_adjustment": 0},
                ),
            }
        )
    return {
        "product": product,
        "editors": editors,
        "group_form": OptionGroupForm(prefix="new-group", initial={"kind": "single"}),
        "rules": _rules(groups),
        "errors": errors or [],
    }


def _edit_action(request, product):
    """Run the posted change through the services (ValidationError when refused)."""
    action = request.POST.get("action", "")
    group_id = _id(request.POST.get("group"))
    option_id = _id(request.POST.get("option"))
    groups = list(product.option_groups.all())
    options = _all_options(groups)
    if action == "group_add":
        form = OptionGroupForm(request.POST, prefix="new-group")
        _check(form)
        return services.option_group_add(by=request.actor, product=product, **form.cleaned_data)
    if action == "group_update" and group_id:
        form = OptionGroupForm(request.POST, prefix=f"group-{group_id}")
        _check(form)
        return services.option_group_update(
            by=request.actor, product=product, group_id=group_id, fields=form.cleaned_data
        )
    if action == "group_delete" and group_id:
        return services.option_group_delete(by=request.actor, product=product, group_id=group_id)
    if action == "option_add" and group_id:
        form = OptionForm(request.POST, prefix=f"new-option-{group_id}", other_options=options)
        _check(form)
        return services.option_add(
            by=request.actor, product=product, group_id=group_id, fields=form.service_fields()
        )
    if action == "option_update" and option_id:
        others = [o for o in options if o.pk != option_id]
        form = OptionForm(request.POST, prefix=f"option-{option_id}", other_options=others)
        _check(form)
        return services.option_update(
            by=request.actor, product=product, option_id=option_id, fields=form.service_fields()
        )
    if action == "option_delete" and option_id:
        return services.option_delete(by=request.actor, product=product, option_id=option_id)
    raise ValidationError(_("This change is not known; reload the page and try again."))


def _check(form) -> None:
    if not form.is_valid():
        problems = []
        for name, errors in form.errors.items():
            label = form.fields[name].label if name in form.fields else ""
            problems += [f"{label}: {e}" if label else str(e) for e in errors]
        raise ValidationError(problems)


@admin_required
def product_options(request, pk: int):
    """The option editor: groups and options with their prices, defaults and rules; each
    change is one form (HTMX swaps the editor, plain forms reload the page)."""
    product = _product(request, pk)
    errors = []
    if request.method == "POST":
        try:
            _edit_action(request, product)
        except ValidationError as exc:
            errors = exc.messages
        else:
            if not wants_fragment(request):
                messages.success(request, _("Options saved."))
                return redirect("product_options", pk=product.pk)
        product = _product(request, pk)
    context = _editor_context(product, errors=errors)
    context["saved"] = request.method == "POST" and not errors
    return render_page_or_fragment(
        request, "catalog/product_options.html", "catalog/_option_editor.html", context
    )


# -- price books -------------------------------------------------------------------------


price_book_pages = CatalogPages(
    name="price_book",
    app="catalog",
    filter_class=PriceBookFilter,
    list_selector=selectors.price_book_list,
    get_selector=selectors.price_book_get,
    form_class=PriceBookForm,
    create=services.price_book_create,
    update=services.price_book_update,
    delete=services.price_book_delete,
    restore=services.price_book_restore,
    detail_context=lambda *, actor, record: {"entries": selectors.live_entries_of(record)},
)


def _price_book(request, pk: int):
    try:
        return selectors.price_book_get(actor=request.actor, pk=pk)
    except ObjectDoesNotExist as exc:
        raise Http404 from exc


def _entries_context(request, book, *, errors=None, add_form=None) -> dict:
    entries = selectors.live_entries_of(book)
    priced = {e.product_id for e in entries}
    products = [p for p in selectors.product_choices(actor=request.actor) if p.pk not in priced]
    return {
        "record": book,
        "entries": entries,
        "add_form": add_form or PriceBookEntryForm(products=products, prefix="new"),
        "errors": errors or [],
    }


@admin_required
def price_book_entries(request, pk: int):
    """The prices editor: add a product with its price, change a price, remove one."""
    book = _price_book(request, pk)
    errors, add_form = [], None
    if request.method == "POST":
        action = request.POST.get("action", "")
        product_id = _id(request.POST.get("product"))
        try:
            if action == "add":
                products = selectors.product_choices(actor=request.actor)
                add_form = PriceBookEntryForm(request.POST, products=products, prefix="new")
                _check(add_form)
                services.price_book_entry_set(
                    by=request.actor,
                    price_book=book,
                    product_id=add_form.cleaned_data["product"],
                    unit_price=add_form.cleaned_data["unit_price"],
                )
                add_form = None
            elif action == "set" and product_id:
                services.price_book_entry_set(
                    by=request.actor,
                    price_book=book,
                    product_id=product_id,
                    unit_price=request.POST.get("unit_price", "").strip().replace(",", "."),
                )
            elif action == "remove" and product_id:
                services.price_book_entry_remove(
                    by=request.actor, price_book=book, product_id=product_id
                )
            else:
                raise ValidationError(_("This change is not known; reload the page and try again."))
        except ValidationError as exc:
            errors = exc.messages
        else:
            if not wants_fragment(request):
                messages.success(request, _("Prices saved."))
                return redirect("price_book_entries", pk=book.pk)
        book = _price_book(request, pk)
    context = _entries_context(request, book, errors=errors, add_form=add_form)
    context["saved"] = request.method == "POST" and not errors
    return render_page_or_fragment(
        request, "catalog/price_book_entries.html", "catalog/_entries_editor.html", context
    )
