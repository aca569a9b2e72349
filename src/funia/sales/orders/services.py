"""Writes of orders: from an accepted quote, entered directly or imported; the status flow
with its append-only history; edits of the notes, date, contact and external number; trash
and restore (administrators only).

Totals are always computed by `funia.sales.pricing` from the lines, whatever a client sends.
The lines of an order are not edited after it is created: cancel it and create another.

The status moves forward only, along new → confirmed → shipped → delivered → invoiced →
paid (steps may be skipped, e.g. a service goes from confirmed to invoiced); an order is
cancelled from new, confirmed or shipped; nothing follows paid or cancelled. Each move
appends an `OrderStatusChange` (from, to, when, by whom, a note).
"""

import datetime
from decimal import Decimal

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import models, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from funia.core import periods
from funia.core.actor import Actor
from funia.core.records import record_create, record_restore, record_soft_delete, record_update
from funia.core.visibility import require_admin, require_change, require_writer, visible_records
from funia.customers.models import Account, Contact
from funia.sales import pricing
from funia.sales.catalog.configurator import configure
from funia.sales.catalog.models import PriceBook, Product
from funia.sales.catalog.selectors import deal_price_book, is_usable, price_book_for
from funia.sales.models import Opportunity
from funia.sales.money import normalize_currency
from funia.sales.orders.models import Order, OrderLine, OrderStatus, OrderStatusChange
from funia.sales.quotes.models import QuoteLine, QuoteStatus

# The forward flow; a later status may be chosen directly (steps skipped).
FLOW = [
    OrderStatus.NEW,
    OrderStatus.CONFIRMED,
    OrderStatus.SHIPPED,
    OrderStatus.DELIVERED,
    OrderStatus.INVOICED,
    OrderStatus.PAID,
]
CANCELLABLE = {OrderStatus.NEW, OrderStatus.CONFIRMED, OrderStatus.SHIPPED}
FINAL = {OrderStatus.PAID, OrderStatus.CANCELLED}
MAX_LINES = 200
NOTE_LENGTH = 300
EXTERNAL_REF_LENGTH = 100
DESCRIPTION_LENGTH = 300
UPDATABLE = {"notes", "contact_id", "ordered_on", "external_ref"}


# -- the status flow --------------------------------------------------------------------------


def next_statuses(status: str) -> list[str]:
    """The statuses an order in `status` may move to, in the flow's order."""
    if status in FINAL or status not in FLOW:
        return []
    later = FLOW[FLOW.index(status) + 1 :]
    return [*later, *([OrderStatus.CANCELLED] if status in CANCELLABLE else [])]


def _label(status: str) -> str:
    return str(OrderStatus(status).label)


def _refusal(current: str, wanted: str) -> str:
    """Why an order in `current` cannot move to `wanted`, and what it can do instead."""
    if current == wanted:
        return _("The order is already %(status)s.") % {"status": _label(current).lower()}
    if current == OrderStatus.PAID:
        return _("The order is paid: its status cannot change any more.")
    if current == OrderStatus.CANCELLED:
        return _("The order is cancelled: its status cannot change any more.")
    allowed = ", ".join(_label(s).lower() for s in next_statuses(current))
    if wanted == OrderStatus.CANCELLED:
        return _(
            "A %(status)s order cannot be cancelled (only new, confirmed or shipped ones); "
            "it can move on to: %(allowed)s."
        ) % {"status": _label(current).lower(), "allowed": allowed}
    return _(
        "An order's status only moves forward: a %(status)s order can move on to: %(allowed)s."
    ) % {"status": _label(current).lower(), "allowed": allowed}


def append_status_change(
    order: Order, *, by: Actor | None, from_status: str, to_status: str, note=""
):
    """Add one row to the order's (append-only) status history."""
    return OrderStatusChange.objects.create(
        tenant_id=order.tenant_id,
        order=order,
        from_status=from_status,
        to_status=to_status,
        changed_at=timezone.now(),
        changed_by=by.user if by is not None else None,
        note=(note or "")[:NOTE_LENGTH],
    )


# -- checks of single values ------------------------------------------------------------------


def checked(check, value, field: str, errors: dict, default=None):
    """`check(value, field)` (one of the checks of `funia.sales.pricing`), its refusal put
    in `errors` instead of raised: an order reports all its field errors at once."""
    try:
        return check(value, field)
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors[name] = " ".join(messages)
        return default


def _clean_text(value, field: str, limit: int, errors: dict) -> str:
    text = " ".join(str(value or "").split())
    if len(text) > limit:
        errors[field] = _("At most %(n)d characters.") % {"n": limit}
    return text


def _check_external_ref(tenant, value, errors: dict, *, exclude: int | None = None) -> str:
    text = _clean_text(value, "external_ref", EXTERNAL_REF_LENGTH, errors)
    if text and "external_ref" not in errors:
        others = Order.objects.for_tenant(tenant, with_deleted=True).filter(external_ref=text)
        if exclude is not None:
            others = others.exclude(pk=exclude)
        other = others.first()
        if other is not None:
            errors["external_ref"] = _(
                "Another order (%(reference)s) has this external number."
            ) % {"reference": other.reference}
    return text


def _check_date(value, errors: dict) -> datetime.date | None:
    if isinstance(value, datetime.datetime) or not isinstance(value, datetime.date):
        errors["ordered_on"] = _("Give the order date.")
        return None
    if not datetime.date(1900, 1, 1) <= value <= datetime.date(9998, 12, 31):
        errors["ordered_on"] = _("Give a date between 1900 and 9998.")
        return None
    return value


def _id_of(model, value) -> int | None:
    """The id of a record given as an instance of `model` or as an id (None otherwise)."""
    if isinstance(value, models.Model):
        return value.pk if isinstance(value, model) else None
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63:
        return value
    return None


def _visible(model, by: Actor, value, field: str, errors: dict):
    """The record (an instance or an id) among those `by` sees, or a field error."""
    if value is None or value == "":
        return None
    pk = _id_of(model, value)
    found = None
    if pk is not None:
        found = visible_records(model, by).filter(pk=pk).first()
    if found is None:
        errors[field] = _("No such %(model)s in this organisation.") % {
            "model": model._meta.verbose_name
        }
    return found


def _price_book(by: Actor, value, errors: dict) -> PriceBook | None:
    """The price book (an instance or an id) of the organisation, or a field error."""
    if value is None or value == "":
        return None
    pk = _id_of(PriceBook, value)
    found = None
    if pk is not None:
        found = PriceBook.objects.for_tenant(by.tenant).filter(pk=pk).first()
    if found is None:
        errors["price_book"] = _("No such price book in this organisation.")
    return found


def _validity(book: PriceBook) -> str:
    """When a price book may be used, e.g. "from 2025-01-01 to 2025-12-31"."""
    if book.valid_from and book.valid_until:
        return _("from %(start)s to %(end)s") % {
            "start": book.valid_from.isoformat(),
            "end": book.valid_until.isoformat(),
        }
    if book.valid_from:
        return _("from %(start)s") % {"start": book.valid_from.isoformat()}
    return _("until %(end)s") % {"end": book.valid_until.isoformat()}


def _check_book_usable(book: PriceBook, on: datetime.date, errors: dict) -> None:
    """A refusal of a price book that cannot price an order dated `on`."""
    if is_usable(book, on):
        return
    if not book.is_active or book.is_deleted or not (book.valid_from or book.valid_until):
        errors["price_book"] = _("The price book %(book)s is not active.") % {"book": book.name}
        return
    errors["price_book"] = _(
        "The price book %(book)s is valid %(validity)s, not on the order date %(date)s."
    ) % {"book": book.name, "validity": _validity(book), "date": on.isoformat()}


def _default_book(
    tenant, currency: str, opportunity: Opportunity | None, on: datetime.date
) -> PriceBook | None:
    """The book an order in `currency` dated `on` is priced from: the deal's (when the deal
    is in that currency), else the organisation's book in that currency valid that day."""
    if opportunity is not None and opportunity.currency == currency:
        return deal_price_book(opportunity, on=on)
    return price_book_for(tenant, currency, on=on)


# -- writing orders ---------------------------------------------------------------------------


def default_owner_id(*, by: Actor, opportunity=None, account=None, contact=None) -> int:
    """Who owns a new order that names no owner: the deal's owner, else the account's, else
    the contact's, else the user who makes it (the customer's owner sees its purchases)."""
    for record in (opportunity, account, contact):
        if record is not None and record.owner_id:
            return record.owner_id
    return by.user.pk


def next_order_number(tenant) -> int:
    last = Order.objects.for_tenant(tenant, with_deleted=True).aggregate(n=Max("number"))["n"]
    return (last or 0) + 1


def _lock_numbers(tenant) -> None:
    """One order number at a time per organisation (the organisation's row is the lock)."""
    type(tenant).objects.select_for_update().filter(pk=tenant.pk).first()


def _line_summary(lines) -> list[str]:
    return [f"{Decimal(line.quantity).normalize():f} × {line.description}" for line in lines]


def _totals_fields(totals: pricing.Totals) -> dict:
    return {
        "subtotal": totals.subtotal,
        "discount_total": totals.discount_total,
        "tax_total": totals.tax_total,
        "total": totals.total,
    }


def write_new_order(
    *, by: Actor, lines: list[OrderLine], status: str = OrderStatus.NEW, note: str = "", **fields
) -> Order:
    """Create an order with its lines (unsaved `OrderLine`s), totals and first history row.

    The callers have checked the fields and the right to write; the number is the next of the
    organisation."""
    totals = pricing.document_totals(lines, discount_percent=fields.get("discount_percent", 0))
    pricing.check_document_size(totals)
    for line, amounts in zip(lines, totals.lines, strict=True):
        pricing.apply_amounts(line, amounts)
    with transaction.atomic():
        _lock_numbers(by.tenant)
        order = record_create(
            model=Order,
            by=by,
            number=next_order_number(by.tenant),
            status=status,
            extra_changes={"lines": [[], _line_summary(lines)]},
            **_totals_fields(totals),
            **fields,
        )
        for position, line in enumerate(lines, start=1):
            line.tenant_id = order.tenant_id
            line.order = order
            line.position = position
        OrderLine.objects.bulk_create(lines)
        append_status_change(order, by=by, from_status="", to_status=status, note=note)
    return order


def write_added_lines(*, by: Actor, order: Order, lines: list[OrderLine]) -> Order:
    """Add lines after the order's last (an import whose order continues further down the
    file); the totals are recomputed and the change audited."""
    with transaction.atomic():
        current = (
            Order.objects.for_tenant(order.tenant_id, with_deleted=True)
            .select_for_update()
            .get(pk=order.pk)
        )
        existing = list(OrderLine.objects.for_tenant(order.tenant_id).filter(order=current))
        totals = pricing.document_totals(
            [*existing, *lines], discount_percent=current.discount_percent
        )
        pricing.check_document_size(totals)
        for line, amounts in zip(lines, totals.lines[len(existing) :], strict=True):
            pricing.apply_amounts(line, amounts)
        last = max((line.position for line in existing), default=0)
        for position, line in enumerate(lines, start=last + 1):
            line.tenant_id = current.tenant_id
            line.order = current
            line.position = position
        OrderLine.objects.bulk_create(lines)
        return record_update(
            obj=current,
            by=by,
            fields=_totals_fields(totals),
            extra_changes={"lines": [_line_summary(existing), _line_summary([*existing, *lines])]},
        )


def write_replaced_lines(
    *, by: Actor, order: Order, lines: list[OrderLine], status: str, note: str = "", **fields
) -> Order:
    """Replace the order's lines, header fields and status (an import that updates it); a
    change of status is appended to the history."""
    with transaction.atomic():
        current = (
            Order.objects.for_tenant(order.tenant_id, with_deleted=True)
            .select_for_update()
            .get(pk=order.pk)
        )
        old = list(OrderLine.objects.for_tenant(order.tenant_id).filter(order=current))
        totals = pricing.document_totals(
            lines, discount_percent=fields.get("discount_percent", current.discount_percent)
        )
        pricing.check_document_size(totals)
        for position, (line, amounts) in enumerate(zip(lines, totals.lines, strict=True), start=1):
            pricing.apply_amounts(line, amounts)
            line.tenant_id = current.tenant_id
            line.order = current
            line.position = position
        OrderLine.objects.for_tenant(order.tenant_id).filter(order=current).delete()
        OrderLine.objects.bulk_create(lines)
        before = current.status
        changes = {"lines": [_line_summary(old), _line_summary(lines)]}
        updated = record_update(
            obj=current,
            by=by,
            fields={**fields, **_totals_fields(totals), "status": status},
            extra_changes=changes if changes["lines"][0] != changes["lines"][1] else {},
        )
        if before != status:
            append_status_change(updated, by=by, from_status=before, to_status=status, note=note)
    return updated


def order_from_quote(*, by: Actor, quote) -> Order:
    """The order of an accepted quote: one per quote (a second call returns the same order).

    Account of the deal, the quote's contact, deal, owner, currency and discount; the lines
    copied with their amounts; totals recomputed (they equal the quote's to the cent)."""
    require_writer(by)
    if quote.tenant_id != by.tenant.pk:
        raise ObjectDoesNotExist("No such quote in this organisation.")
    with transaction.atomic():
        _lock_numbers(by.tenant)
        existing = (
            Order.objects.for_tenant(by.tenant, with_deleted=True).filter(quote=quote).first()
        )
        if existing is not None:
            return existing
        if quote.status != QuoteStatus.ACCEPTED:
            raise ValidationError({"quote": _("Only an accepted quote becomes an order.")})
        quote_lines = list(
            QuoteLine.objects.for_tenant(by.tenant)
            .filter(quote=quote)
            .select_related("product")
            .order_by("position", "id")
        )
        if not quote_lines:
            raise ValidationError({"quote": _("The quote has no lines to order.")})
        lines = [
            OrderLine(
                product=line.product,
                sku=line.product.sku,
                description=line.description,
                options=line.options,
                quantity=line.quantity,
                unit_price=line.unit_price,
                discount_percent=line.discount_percent,
                tax_rate=line.tax_rate,
                gross=line.gross,
                line_discount=line.line_discount,
                total=line.total,
                quote_discount=line.quote_discount,
                tax=line.tax,
            )
            for line in quote_lines
        ]
        opportunity = quote.opportunity
        return write_new_order(
            by=by,
            lines=lines,
            note=_("From quote %(reference)s") % {"reference": quote.reference},
            account_id=opportunity.account_id,
            contact_id=quote.contact_id,
            opportunity=opportunity,
            quote=quote,
            owner_id=quote.owner_id,
            currency=quote.currency,
            discount_percent=quote.discount_percent,
            ordered_on=periods.today(by.tenant),
        )


def _direct_line(
    index: int, data, *, by: Actor, book: PriceBook | None, errors: dict, need_book: list
):
    """One line of a direct order (an unsaved OrderLine), or None when it has errors."""
    prefix = f"lines.{index}"
    if not isinstance(data, dict):
        errors[prefix] = _("Give the line as product, quantity, discount_percent.")
        return None
    unknown = set(data) - {"product", "quantity", "discount_percent", "unit_price", "description"}
    for name in sorted(unknown):
        errors[f"{prefix}.{name}"] = _("Unknown field.")
    mine: dict = {}
    product = None
    pk = _id_of(Product, data.get("product"))
    if pk is not None:
        product = Product.objects.for_tenant(by.tenant).filter(pk=pk).first()
    if product is None:
        mine[f"{prefix}.product"] = _("No such product in this organisation.")
    elif not product.is_active:
        mine[f"{prefix}.product"] = _("This product is no longer sold.")
    quantity = checked(pricing.check_quantity, data.get("quantity"), f"{prefix}.quantity", mine)
    discount = checked(
        pricing.check_percent, data.get("discount_percent"), f"{prefix}.discount_percent", mine
    )
    unit_price = checked(pricing.check_price, data.get("unit_price"), f"{prefix}.unit_price", mine)
    description = _clean_text(
        data.get("description"), f"{prefix}.description", DESCRIPTION_LENGTH, mine
    )
    if mine:
        errors.update(mine)
        return None
    options: list = []
    if unit_price is None:
        if book is None:
            need_book.append(index)
            return None
        configuration = configure(product=product, price_book=book, option_ids=None)
        if not configuration.valid:
            if any(v.rule == "price" for v in configuration.violations):
                errors[f"{prefix}.product"] = _(
                    "%(product)s has no price in the price book %(book)s: give the unit price."
                ) % {"product": product.name, "book": book.name}
            else:
                errors[f"{prefix}.product"] = " ".join(v.message for v in configuration.violations)
            return None
        unit_price = configuration.unit_price
        options = configuration.snapshot()
        description = description or configuration.description()
    return OrderLine(
        product=product,
        sku=product.sku,
        description=(description or product.name)[:DESCRIPTION_LENGTH],
        options=options,
        quantity=quantity,
        unit_price=unit_price,
        discount_percent=discount,
        tax_rate=product.tax_rate,
    )


def order_create(
    *,
    by: Actor,
    account=None,
    contact=None,
    opportunity=None,
    price_book=None,
    currency: str | None = None,
    ordered_on: datetime.date | None = None,
    discount_percent=0,
    notes: str = "",
    external_ref: str = "",
    lines=None,
) -> Order:
    """A direct order (not from a quote). `account`, `contact`, `opportunity` and
    `price_book` are records or ids; `lines` are dicts of product, quantity,
    discount_percent and optionally unit_price and description.

    A line's unit price comes from the price book (the given one, which must be active and
    valid on the order date; else the deal's, else the organisation's book in the order's
    currency valid on the order date), at the product's default configuration, unless the
    line gives one. The order is for an account or a contact (or both); with a
    deal and no account, the deal's account. Its owner is the deal's owner, else the
    account's, else the contact's, else you."""
    require_writer(by)
    errors: dict = {}
    deal = _visible(Opportunity, by, opportunity, "opportunity", errors)
    account = _visible(Account, by, account, "account", errors)
    contact = _visible(Contact, by, contact, "contact", errors)
    book = _price_book(by, price_book, errors)
    if deal is not None and account is None and deal.account_id:
        account = deal.account
        if not visible_records(Account, by).filter(pk=account.pk).exists():
            account = None
    if deal is not None and account is not None and deal.account_id not in (None, account.pk):
        errors["opportunity"] = _("The deal is another account's.")
    if account is None and contact is None and not {"account", "contact"} & set(errors):
        errors["account"] = _("Choose the account or the contact the order is for.")
    if currency:
        try:
            currency = normalize_currency(currency)
        except ValidationError as exc:
            errors.update(exc.message_dict)
            currency = None
    currency = currency or (deal.currency if deal else None) or (book.currency if book else None)
    currency = currency or by.tenant.currency
    if book is not None and "price_book" not in errors and book.currency != currency:
        errors["price_book"] = _("The price book is in %(book)s but the order is in %(order)s.") % {
            "book": book.currency,
            "order": currency,
        }
    if ordered_on is None:
        ordered_on = periods.today(by.tenant)
    ordered_on = _check_date(ordered_on, errors)
    if book is not None and ordered_on is not None and "price_book" not in errors:
        _check_book_usable(book, ordered_on, errors)
    discount = checked(
        pricing.check_percent, discount_percent, "discount_percent", errors, Decimal(0)
    )
    notes = str(notes or "")
    if len(notes) > 20_000:
        errors["notes"] = _("At most %(n)d characters.") % {"n": 20_000}
    external_ref = _check_external_ref(by.tenant, external_ref, errors)
    if not isinstance(lines, list | tuple) or not lines:
        errors["lines"] = _("Add at least one line.")
        lines = []
    elif len(lines) > MAX_LINES:
        errors["lines"] = _("At most %(n)d lines.") % {"n": MAX_LINES}
        lines = []
    if errors:
        # References first: prices are read only for an order that can be made.
        raise ValidationError(errors)
    if book is None:
        book = _default_book(by.tenant, currency, deal, ordered_on)
    need_book: list[int] = []
    order_lines = [
        _direct_line(i, data, by=by, book=book, errors=errors, need_book=need_book)
        for i, data in enumerate(lines)
    ]
    if need_book:
        errors["price_book"] = _(
            "There is no active price book in %(currency)s valid on %(date)s: give each "
            "line's unit price, or ask an administrator to add a price book."
        ) % {"currency": currency, "date": ordered_on.isoformat()}
    if errors:
        raise ValidationError(errors)
    return write_new_order(
        by=by,
        lines=order_lines,
        account=account,
        contact=contact,
        opportunity=deal,
        owner_id=default_owner_id(by=by, opportunity=deal, account=account, contact=contact),
        currency=currency,
        discount_percent=discount,
        ordered_on=ordered_on,
        notes=notes,
        external_ref=external_ref,
    )


def order_set_status(
    *, by: Actor, order: Order, status: str, note: str = "", if_match: str | None = None
) -> Order:
    """Move the order along its flow (see the module); refused moves say what is allowed."""
    require_writer(by)
    require_change(by, order)
    if status not in OrderStatus.values:
        raise ValidationError(
            {
                "status": _("Choose one of: %(statuses)s.")
                % {"statuses": ", ".join(OrderStatus.values)}
            }
        )
    note = " ".join(str(note or "").split())
    if len(note) > NOTE_LENGTH:
        raise ValidationError({"note": _("At most %(n)d characters.") % {"n": NOTE_LENGTH}})
    with transaction.atomic():
        current = (
            Order.objects.for_tenant(order.tenant_id, with_deleted=True)
            .select_for_update()
            .get(pk=order.pk)
        )
        if current.is_deleted:
            raise ValidationError(_("The order is in the trash; restore it first."))
        before = current.status
        if status not in next_statuses(before):
            raise ValidationError({"status": _refusal(before, status)})
        updated = record_update(obj=current, by=by, fields={"status": status}, if_match=if_match)
        append_status_change(updated, by=by, from_status=before, to_status=status, note=note)
    return updated


def order_update(*, by: Actor, order: Order, fields: dict, if_match: str | None = None) -> Order:
    """Change the notes, the date, the contact (`contact_id`) or the external number; the
    lines and amounts stay as they are."""
    require_writer(by)
    require_change(by, order)
    if order.is_deleted:
        raise ValidationError(_("The order is in the trash; restore it first."))
    data = {("contact_id" if name == "contact" else name): value for name, value in fields.items()}
    unknown = set(data) - UPDATABLE
    if unknown:
        raise ValidationError({name: _("Unknown field.") for name in sorted(unknown)})
    errors: dict = {}
    if "contact_id" in data:
        contact = _visible(Contact, by, data["contact_id"], "contact", errors)
        data["contact_id"] = contact.pk if contact is not None else None
        if contact is None and order.account_id is None and "contact" not in errors:
            errors["contact"] = _("An order without an account needs its contact.")
    if "ordered_on" in data:
        data["ordered_on"] = _check_date(data["ordered_on"], errors)
    if "notes" in data:
        data["notes"] = str(data["notes"] or "")
        if len(data["notes"]) > 20_000:
            errors["notes"] = _("At most %(n)d characters.") % {"n": 20_000}
    if "external_ref" in data:
        data["external_ref"] = _check_external_ref(
            by.tenant, data["external_ref"], errors, exclude=order.pk
        )
    if errors:
        raise ValidationError(errors)
    return record_update(obj=order, by=by, fields=data, if_match=if_match)


def order_delete(*, by: Actor, order: Order, if_match: str | None = None) -> Order:
    """Move to the trash (administrators): it leaves lists and the purchase history."""
    require_admin(by)
    return record_soft_delete(obj=order, by=by, if_match=if_match)


def order_restore(*, by: Actor, order: Order, if_match: str | None = None) -> Order:
    require_admin(by)
    return record_restore(obj=order, by=by, if_match=if_match)
