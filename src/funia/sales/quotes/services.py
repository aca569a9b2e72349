"""Writes of quotes: create from a deal, lines (plain or configured), totals and the
discount approval they imply, sending, revisions, the customer's decision and the trash.

Totals are always recomputed here from the lines (`funia.sales.pricing`); prices come from
the quote's price book, whatever a client sends.

A quote's `revision` is which version of the quote it is (Q-00012 v2); its `version` is the
record's own, as for every record: each write goes through `funia.core.records`, audited, and
raises it (the ETag), so a stale If-Match changes nothing.
"""

import datetime
import secrets
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from funia.core import periods
from funia.core.actor import Actor
from funia.core.models import Membership, Role, Team, TeamMember, User
from funia.core.notifications import notify
from funia.core.records import (
    StaleVersion,
    etag_matches,
    record_create,
    record_restore,
    record_soft_delete,
    record_update,
)
from funia.core.visibility import (
    READ_ONLY,
    can_change,
    require_change,
    require_writer,
    visible_records,
)
from funia.customers.models import Contact
from funia.sales import pricing
from funia.sales.catalog.configurator import configure
from funia.sales.catalog.models import PriceBook, Product
from funia.sales.catalog.selectors import deal_price_book, is_usable
from funia.sales.models import Opportunity
from funia.sales.quotes.models import ApprovalStatus, Quote, QuoteLine, QuoteStatus

VALIDITY_DAYS = 30
MAX_LINES = 200
EDITABLE = {
    "title",
    "contact_id",
    "discount_percent",
    "valid_until",
    "notes",
    "update_opportunity_amount",
    "price_book_id",
    "lines",
}


def new_token() -> str:
    return secrets.token_urlsafe(32)


def next_quote_number(tenant) -> int:
    last = Quote.objects.for_tenant(tenant, with_deleted=True).aggregate(n=Max("number"))["n"]
    return (last or 0) + 1


def not_valid_today_message(book: PriceBook) -> str:
    """Why a book that is active but out of its validity dates cannot price today."""
    return _(
        "The price book %(book)s is valid %(validity)s, not today: choose a book valid today."
    ) % {"book": book.name, "validity": validity_text(book)}


def validity_text(book: PriceBook) -> str:
    """When a book may be used, in words: "from 1 March 2025 to 31 March 2025"."""
    if book.valid_from and book.valid_until:
        return _("from %(start)s to %(end)s") % {
            "start": date_format(book.valid_from),
            "end": date_format(book.valid_until),
        }
    if book.valid_from:
        return _("from %(start)s") % {"start": date_format(book.valid_from)}
    return _("until %(end)s") % {"end": date_format(book.valid_until)}


def check_price_book(opportunity: Opportunity, price_book: PriceBook | None) -> PriceBook:
    if price_book is None:
        raise ValidationError(
            {
                "price_book": _(
                    "There is no price book in %(currency)s; an administrator adds one under "
                    "price books."
                )
                % {"currency": opportunity.currency}
            }
        )
    if price_book.currency != opportunity.currency:
        raise ValidationError(
            {
                "price_book": _(
                    "The price book is in %(book)s but the deal is in %(deal)s: a quote is in "
                    "the deal's currency."
                )
                % {"book": price_book.currency, "deal": opportunity.currency}
            }
        )
    if not price_book.is_active or price_book.is_deleted:
        raise ValidationError({"price_book": _("This price book is not active.")})
    if not is_usable(price_book, periods.today(opportunity.tenant)):
        raise ValidationError({"price_book": not_valid_today_message(price_book)})
    return price_book


def _check_size(lines, discount_percent) -> None:
    """Refuse, before anything is written, amounts too large to store (`lines`: quote lines
    or anything with a quantity, unit price, discount and tax rate)."""
    pricing.check_document_size(pricing.document_totals(lines, discount_percent=discount_percent))


def check_editable(quote: Quote) -> None:
    if quote.status != QuoteStatus.DRAFT or not quote.is_current or quote.is_deleted:
        raise ValidationError(
            _("Only the current draft of a quote can be changed; revise it to make a new version.")
        )


# -- status as people see it ----------------------------------------------------------------


def is_expired(quote: Quote, today: datetime.date | None = None) -> bool:
    """A sent quote past its validity date (or one already stored as expired)."""
    if quote.status == QuoteStatus.EXPIRED:
        return True
    if quote.status != QuoteStatus.SENT or quote.valid_until is None:
        return False
    return quote.valid_until < (today or periods.today(quote.tenant))


def effective_status(quote: Quote, today: datetime.date | None = None) -> str:
    """The status shown everywhere: a sent quote past its validity shows as expired."""
    shown = getattr(quote, "shown_status", None)
    if shown is not None:
        return shown
    return QuoteStatus.EXPIRED if is_expired(quote, today) else quote.status


def net_total(quote: Quote) -> Decimal:
    """What the customer pays before tax: the amount the deal is worth."""
    return quote.subtotal - quote.discount_total


def limit_text(tenant) -> str:
    limit = Decimal(tenant.quote_discount_limit)
    return format(limit.normalize(), "f") if limit == limit.to_integral() else str(limit)


# -- approval -------------------------------------------------------------------------------


def needs_approval(quote: Quote, lines: list[QuoteLine]) -> bool:
    """A discount (of the quote or of a line) above the organisation's limit needs a
    manager's approval before the quote goes to the customer."""
    limit = quote.tenant.quote_discount_limit
    discounts = [quote.discount_percent, *(line.discount_percent for line in lines)]
    return max(discounts) > limit


def approval_key(quote: Quote, lines: list[QuoteLine]) -> tuple:
    """What an approval covers: every discount above the limit, and which lines it
    applies to. A change of it sends an approved (or refused) quote back to pending."""
    limit = quote.tenant.quote_discount_limit
    quote_discount = Decimal(quote.discount_percent)
    covered = sorted(
        (line.pk, Decimal(line.discount_percent))
        for line in lines
        if line.discount_percent > limit or quote_discount > limit
    )
    return (quote_discount if quote_discount > limit else None, tuple(covered))


def _lines_of(quote: Quote) -> list[QuoteLine]:
    return list(QuoteLine.objects.for_tenant(quote.tenant_id).filter(quote=quote))


APPROVAL_RESET = {
    "approval_status": ApprovalStatus.PENDING,
    "approved_by": None,
    "approved_at": None,
    "approval_note": "",
}


def _recomputed(quote: Quote, *, previous_approval_key: tuple | None = None) -> dict:
    """Recompute and save every line's amounts; answer the quote's new totals and approval
    fields (not saved: the caller writes them)."""
    lines = _lines_of(quote)
    totals = pricing.document_totals(lines, discount_percent=quote.discount_percent)
    pricing.check_document_size(totals)
    for line, amounts in zip(lines, totals.lines, strict=True):
        pricing.apply_amounts(line, amounts)
    if lines:
        QuoteLine.objects.for_tenant(quote.tenant_id).bulk_update(
            lines, ["gross", "line_discount", "total", "quote_discount", "tax"]
        )
    fields = {
        "subtotal": totals.subtotal,
        "discount_total": totals.discount_total,
        "tax_total": totals.tax_total,
        "total": totals.total,
    }
    if needs_approval(quote, lines):
        changed = (
            previous_approval_key is not None
            and approval_key(quote, lines) != previous_approval_key
        )
        if quote.approval_status == ApprovalStatus.NOT_NEEDED or (
            changed and quote.approval_status in (ApprovalStatus.APPROVED, ApprovalStatus.REFUSED)
        ):
            fields |= APPROVAL_RESET
    else:
        fields |= APPROVAL_RESET | {"approval_status": ApprovalStatus.NOT_NEEDED}
    return fields


def quote_recompute(quote: Quote, *, previous_approval_key: tuple | None = None) -> Quote:
    """Recompute every line's amounts and the quote's totals and approval need; saves both.

    With `previous_approval_key` (the `approval_key` before a change), an approved or
    refused quote whose discounts changed and are still above the limit needs approval
    again."""
    fields = _recomputed(quote, previous_approval_key=previous_approval_key)
    for name, value in fields.items():
        setattr(quote, name, value)
    quote.save(update_fields=list(fields))
    return quote


def approvers(quote: Quote) -> list[User]:
    """Who may approve the quote's discount: the organisation's active administrators and
    the sales managers of the teams the quote's owner belongs to (never the owner)."""
    tenant = quote.tenant_id
    teams = TeamMember.objects.for_tenant(tenant).filter(
        user_id=quote.owner_id, team__deleted_at__isnull=True
    )
    managers = Team.objects.for_tenant(tenant).filter(
        pk__in=teams.values("team_id"), manager__isnull=False
    )
    members = Membership.objects.for_tenant(tenant).filter(is_active=True, user__is_active=True)
    admins = members.filter(role=Role.ADMIN).values_list("user_id", flat=True)
    sales_managers = members.filter(
        role=Role.SALES_MANAGER, user_id__in=managers.values("manager_id")
    ).values_list("user_id", flat=True)
    ids = (set(admins) | set(sales_managers)) - {quote.owner_id}
    return list(User.objects.filter(pk__in=ids).order_by("email"))


def is_approver(actor: Actor, quote: Quote) -> bool:
    if actor.tenant.pk != quote.tenant_id or actor.user.pk == quote.owner_id:
        return False
    return any(user.pk == actor.user.pk for user in approvers(quote))


def _require_approver(actor: Actor, quote: Quote) -> None:
    require_writer(actor)
    if actor.user.pk == quote.owner_id:
        raise PermissionDenied(
            _(
                "You cannot approve or refuse your own quote: a sales manager or an "
                "administrator does."
            )
        )
    if not is_approver(actor, quote):
        raise PermissionDenied(
            _(
                "Only an administrator or the sales manager of the quote owner's team may "
                "approve or refuse its discount."
            )
        )


# -- writes ---------------------------------------------------------------------------------


def _locked(quote: Quote) -> Quote:
    return (
        Quote.objects.for_tenant(quote.tenant_id, with_deleted=True)
        .select_for_update()
        .get(pk=quote.pk)
    )


def _check_if_match(current: Quote, if_match: str | None) -> None:
    """Refuse a stale If-Match before anything is written."""
    if not etag_matches(if_match, current):
        raise StaleVersion(current.etag)


def _update(
    current: Quote,
    *,
    by: Actor,
    fields: dict,
    if_match: str | None = None,
    extra_changes: dict | None = None,
) -> Quote:
    """Write `fields` of a locked quote through `record_update` (validated, audited with
    `extra_changes`, the record version raised when anything changed) and bring `current`
    up to date."""
    saved = record_update(
        obj=current, by=by, fields=fields, if_match=if_match, extra_changes=extra_changes
    )
    _refresh(current, saved)
    return current


def _line_text(line: QuoteLine) -> str:
    quantity = format(Decimal(line.quantity).normalize(), "f")
    text = f"{line.description} × {quantity} @ {line.unit_price}"
    if line.discount_percent:
        text += f" −{line.discount_percent} %"
    return text


def _lines_summary(quote: Quote) -> str:
    """The lines in words, for the audit trail."""
    return "; ".join(_line_text(line) for line in _lines_of(quote))


def _notify(tenant, user, *, kind: str, title, url: str, body: str = "") -> None:
    if user is None:
        return
    notify(tenant=tenant, user=user, kind=kind, title=str(title), body=body, url=url)


def _quote_url(quote: Quote) -> str:
    return reverse("quote_detail", args=[quote.pk])


def _is_id(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63


def recipient(by: Actor, opportunity: Opportunity | None, contact_id) -> Contact | None:
    """The contact a quote of the deal may be addressed to: one the actor sees, or the
    deal's own contact (whoever owns it). None for any other id, as for a missing one."""
    if not _is_id(contact_id):
        return None
    if opportunity is not None and contact_id == opportunity.contact_id:
        return Contact.objects.for_tenant(by.tenant).filter(pk=contact_id).first()
    return visible_records(Contact, by).filter(pk=contact_id).first()


def _no_contact() -> str:
    return _("No such contact in this organisation.")


def _prepare_line(tenant, price_book: PriceBook, data: dict, prefix: str) -> dict:
    """One line given as {"product", "configuration", "quantity", "discount_percent"}:
    priced from the book and the configuration; every problem as a `<prefix>.<field>` error."""
    errors: dict = {}
    product = data.get("product")
    tenant_id = tenant if isinstance(tenant, int) else tenant.pk
    if isinstance(product, Product) and product.tenant_id != tenant_id:
        product = None
    elif not isinstance(product, Product):
        product = (
            Product.objects.for_tenant(tenant).filter(pk=product).first()
            if isinstance(product, int) and not isinstance(product, bool) and 0 < product < 2**63
            else None
        )
    if product is None:
        errors[f"{prefix}.product"] = _("No such product in this organisation.")
    elif not product.is_active:
        errors[f"{prefix}.product"] = _("%(product)s is no longer sold.") % {
            "product": product.name
        }
    quantity = discount = None
    try:
        quantity = pricing.check_quantity(data.get("quantity", 1), f"{prefix}.quantity")
    except ValidationError as exc:
        errors |= exc.message_dict
    try:
        discount = pricing.check_percent(
            data.get("discount_percent", 0), f"{prefix}.discount_percent"
        )
    except ValidationError as exc:
        errors |= exc.message_dict
    configuration = None
    if product is not None and product.is_active:
        option_ids = data.get("configuration")
        configuration = configure(
            product=product,
            price_book=price_book,
            option_ids=list(option_ids) if option_ids is not None else None,
        )
        if not configuration.valid:
            errors[f"{prefix}.configuration"] = [v.message for v in configuration.violations]
    if errors:
        raise ValidationError(errors)
    return {
        "product": product,
        "description": configuration.description()[:300],
        "options": configuration.snapshot(),
        "quantity": quantity,
        "unit_price": configuration.unit_price,
        "discount_percent": discount,
        "tax_rate": product.tax_rate,
    }


def prepare_lines(tenant, price_book: PriceBook, lines) -> list[dict]:
    """Every line checked before anything is written: one ValidationError naming each bad
    line's index (`lines.<n>.<field>`) with every message."""
    if lines is None:
        return []
    if not isinstance(lines, list | tuple):
        raise ValidationError({"lines": _("Give a list of lines.")})
    if len(lines) > MAX_LINES:
        raise ValidationError({"lines": _("At most %(n)d lines.") % {"n": MAX_LINES}})
    prepared, errors = [], {}
    for index, data in enumerate(lines):
        try:
            if not isinstance(data, dict):
                raise ValidationError({f"lines.{index}": _("Give a line as an object.")})
            prepared.append(_prepare_line(tenant, price_book, data, f"lines.{index}"))
        except ValidationError as exc:
            errors |= exc.message_dict
    if errors:
        raise ValidationError(errors)
    return prepared


def _write_lines(quote: Quote, prepared: list[dict], *, start: int = 1) -> list[QuoteLine]:
    return QuoteLine.objects.bulk_create(
        [
            QuoteLine(tenant_id=quote.tenant_id, quote=quote, position=start + n, **fields)
            for n, fields in enumerate(prepared)
        ]
    )


def quote_create(
    *,
    by: Actor,
    opportunity: Opportunity,
    price_book: PriceBook | None = None,
    discount_percent=0,
    title: str = "",
    contact=None,
    valid_until=None,
    notes: str = "",
    update_opportunity_amount: bool = True,
    lines: list[dict] | None = None,
) -> Quote:
    """A new draft quote (revision 1) of a deal the actor may change, with `lines` (each
    {"product", "configuration", "quantity", "discount_percent"}, all checked first)."""
    require_writer(by)
    require_change(by, opportunity)
    price_book = check_price_book(
        opportunity, price_book if price_book is not None else deal_price_book(opportunity)
    )
    discount = pricing.check_percent(discount_percent)
    if contact is not None and (
        contact.tenant_id != by.tenant.pk or recipient(by, opportunity, contact.pk) is None
    ):
        raise ValidationError({"contact": _no_contact()})
    if valid_until is not None and valid_until < periods.today(by.tenant):
        raise ValidationError({"valid_until": _("Choose today or a later day.")})
    prepared = prepare_lines(by.tenant, price_book, lines)
    _check_size([QuoteLine(**fields) for fields in prepared], discount)
    with transaction.atomic():
        # One number at a time per organisation.
        type(by.tenant).objects.select_for_update().filter(pk=by.tenant.pk).first()
        quote = record_create(
            model=Quote,
            by=by,
            opportunity=opportunity,
            contact=contact if contact is not None else opportunity.contact,
            owner_id=opportunity.owner_id or by.user.pk,
            number=next_quote_number(by.tenant),
            title=(title or opportunity.name)[:200],
            price_book=price_book,
            currency=price_book.currency,
            discount_percent=discount,
            valid_until=valid_until,
            notes=notes or "",
            update_opportunity_amount=bool(update_opportunity_amount),
            public_token=new_token(),
        )
        _write_lines(quote, prepared)
        return quote_recompute(quote)


def quote_create_from_data(
    *,
    by: Actor,
    opportunity_id: int,
    price_book_id: int | None = None,
    contact_id: int | None = None,
    **fields,
) -> Quote:
    """`quote_create` with references given as ids (the API): a deal the actor sees, a
    price book of the organisation and a contact the actor sees (or the deal's own)."""
    errors = {}
    opportunity = visible_records(Opportunity, by).filter(pk=opportunity_id).first()
    if opportunity is None:
        errors["opportunity"] = _("No such deal in this organisation.")
    price_book = None
    if price_book_id is not None:
        price_book = PriceBook.objects.for_tenant(by.tenant).filter(pk=price_book_id).first()
        if price_book is None:
            errors["price_book"] = _("No such price book in this organisation.")
    contact = None
    if contact_id is not None:
        contact = recipient(by, opportunity, contact_id)
        if contact is None:
            errors["contact"] = _no_contact()
    if errors:
        raise ValidationError(errors)
    return quote_create(
        by=by, opportunity=opportunity, price_book=price_book, contact=contact, **fields
    )


def quote_line_add(
    *,
    by: Actor,
    quote: Quote,
    product: Product,
    option_ids: list[int] | None = None,
    quantity=1,
    discount_percent=0,
) -> QuoteLine:
    """Add a product (configured with `option_ids` when it has options) to a draft quote.

    The unit price comes from the quote's price book and the configuration; a configuration
    that breaks a rule is refused with every violation's message."""
    require_writer(by)
    require_change(by, quote)
    check_editable(quote)
    quantity = pricing.check_quantity(quantity)
    discount = pricing.check_percent(discount_percent)
    if product.tenant_id != quote.tenant_id:
        raise ValidationError({"product": _("No such product in this organisation.")})
    if not product.is_active:
        raise ValidationError({"product": _("This product is no longer sold.")})
    configuration = configure(product=product, price_book=quote.price_book, option_ids=option_ids)
    if not configuration.valid:
        raise ValidationError({"configuration": [v.message for v in configuration.violations]})
    with transaction.atomic():
        current = _locked(quote)
        check_editable(current)
        existing = _lines_of(current)
        new_line = QuoteLine(
            quantity=quantity,
            unit_price=configuration.unit_price,
            discount_percent=discount,
            tax_rate=product.tax_rate,
        )
        _check_size([*existing, new_line], current.discount_percent)
        lines_before = _lines_summary(current)
        key = approval_key(current, existing)
        position = (
            QuoteLine.objects.for_tenant(quote.tenant_id)
            .filter(quote=current)
            .aggregate(n=Max("position"))["n"]
        )
        line = QuoteLine.objects.create(
            tenant_id=quote.tenant_id,
            quote=current,
            position=(position or 0) + 1,
            product=product,
            description=configuration.description()[:300],
            options=configuration.snapshot(),
            quantity=quantity,
            unit_price=configuration.unit_price,
            discount_percent=discount,
            tax_rate=product.tax_rate,
        )
        _update(
            current,
            by=by,
            fields=_recomputed(current, previous_approval_key=key),
            extra_changes={"lines": [lines_before, _lines_summary(current)]},
        )
    line.refresh_from_db()
    _refresh(quote, current)
    return line


def _refresh(stale: Quote, current: Quote) -> None:
    """Bring the caller's instance up to date with what was saved."""
    for field in Quote._meta.concrete_fields:
        setattr(stale, field.attname, getattr(current, field.attname))


def _lock_line(line: QuoteLine) -> tuple[Quote, QuoteLine]:
    quote = _locked(line.quote)
    check_editable(quote)
    current = QuoteLine.objects.for_tenant(quote.tenant_id).filter(quote=quote, pk=line.pk).first()
    if current is None:
        raise QuoteLine.DoesNotExist
    return quote, current


def quote_line_update(
    *, by: Actor, line: QuoteLine, quantity=None, discount_percent=None
) -> QuoteLine:
    """Change a draft's line quantity and/or discount; totals and approval follow."""
    require_writer(by)
    require_change(by, line.quote)
    check_editable(line.quote)
    errors = {}
    values = {}
    if quantity is not None:
        try:
            values["quantity"] = pricing.check_quantity(quantity)
        except ValidationError as exc:
            errors |= exc.message_dict
    if discount_percent is not None:
        try:
            values["discount_percent"] = pricing.check_percent(discount_percent)
        except ValidationError as exc:
            errors |= exc.message_dict
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        quote, current = _lock_line(line)
        lines_before = _lines_summary(quote)
        existing = _lines_of(quote)
        key = approval_key(quote, existing)
        for name, value in values.items():
            setattr(current, name, value)
        _check_size(
            [current if other.pk == current.pk else other for other in existing],
            quote.discount_percent,
        )
        if values:
            current.save(update_fields=list(values))
        lines_after = _lines_summary(quote)
        _update(
            quote,
            by=by,
            fields=_recomputed(quote, previous_approval_key=key),
            extra_changes={"lines": [lines_before, lines_after]}
            if lines_before != lines_after
            else None,
        )
    current.refresh_from_db()
    _refresh(line.quote, quote)
    return current


def quote_line_remove(*, by: Actor, line: QuoteLine) -> Quote:
    """Remove a line of a draft; totals and approval follow."""
    require_writer(by)
    require_change(by, line.quote)
    check_editable(line.quote)
    with transaction.atomic():
        quote, current = _lock_line(line)
        lines_before = _lines_summary(quote)
        key = approval_key(quote, _lines_of(quote))
        current.delete()
        _update(
            quote,
            by=by,
            fields=_recomputed(quote, previous_approval_key=key),
            extra_changes={"lines": [lines_before, _lines_summary(quote)]},
        )
    _refresh(line.quote, quote)
    return quote


def _reprice(quote: Quote, book: PriceBook) -> list[QuoteLine]:
    """Every line priced in `book` with its stored options; refused (nothing changed) with
    the products the book has no price for, and any other rule now broken."""
    lines = list(
        QuoteLine.objects.for_tenant(quote.tenant_id).filter(quote=quote).select_related("product")
    )
    unpriced, problems = [], []
    for line in lines:
        option_ids = [option["id"] for option in line.options or [] if "id" in option]
        configuration = configure(product=line.product, price_book=book, option_ids=option_ids)
        if configuration.base_price is None:
            unpriced.append(line.product.name)
            continue
        if not configuration.valid:
            problems.extend(v.message for v in configuration.violations)
            continue
        line.unit_price = configuration.unit_price
        line.options = configuration.snapshot()
        line.description = configuration.description()[:300]
    if unpriced:
        raise ValidationError(
            {
                "price_book": _("%(book)s has no price for %(products)s.")
                % {"book": book.name, "products": ", ".join(dict.fromkeys(unpriced))}
            }
        )
    if problems:
        raise ValidationError({"price_book": list(dict.fromkeys(problems))})
    return lines


ALIASES = {"contact": "contact_id", "price_book": "price_book_id"}


def _clean_fields(by: Actor, quote: Quote, fields: dict) -> dict:
    # `contact` and `price_book` may be given as records or ids too.
    fields = {
        ALIASES.get(name, name): getattr(value, "pk", value) if name in ALIASES else value
        for name, value in fields.items()
    }
    unknown = set(fields) - EDITABLE
    if unknown:
        raise ValidationError(
            {name: _("This field cannot be changed.") for name in sorted(unknown)}
        )
    data, errors = {}, {}
    if "title" in fields:
        data["title"] = " ".join(str(fields["title"] or "").split())
        if len(data["title"]) > 200:
            errors["title"] = _("At most %(n)d characters.") % {"n": 200}
    if "notes" in fields:
        data["notes"] = str(fields["notes"] or "")
        if len(data["notes"]) > 10_000:
            errors["notes"] = _("At most %(n)d characters.") % {"n": 10_000}
    if "update_opportunity_amount" in fields:
        data["update_opportunity_amount"] = bool(fields["update_opportunity_amount"])
    if "discount_percent" in fields:
        try:
            data["discount_percent"] = pricing.check_percent(fields["discount_percent"])
        except ValidationError as exc:
            errors |= exc.message_dict
    if "valid_until" in fields:
        day = fields["valid_until"]
        if day is not None and not isinstance(day, datetime.date):
            errors["valid_until"] = _("Give a date.")
        elif day is not None and day < periods.today(by.tenant):
            errors["valid_until"] = _("Choose today or a later day.")
        else:
            data["valid_until"] = day
    if "contact_id" in fields:
        contact_id = fields["contact_id"]
        # Keeping the current recipient is always allowed; a new one is one the actor sees.
        if (
            contact_id is not None
            and contact_id != quote.contact_id
            and recipient(by, quote.opportunity, contact_id) is None
        ):
            errors["contact"] = _no_contact()
        else:
            data["contact_id"] = contact_id
    if "price_book_id" in fields and fields["price_book_id"] != quote.price_book_id:
        book_id = fields["price_book_id"]
        book = (
            PriceBook.objects.for_tenant(by.tenant).filter(pk=book_id).first()
            if _is_id(book_id)
            else None
        )
        if book is None:
            errors["price_book"] = _("No such price book in this organisation.")
        else:
            try:
                data["price_book"] = check_price_book(quote.opportunity, book)
            except ValidationError as exc:
                errors |= exc.message_dict
    if errors:
        raise ValidationError(errors)
    return data


def quote_update(*, by: Actor, quote: Quote, fields: dict, if_match: str | None = None) -> Quote:
    """Change a current draft: title, contact_id (or contact), discount_percent,
    valid_until, notes, update_opportunity_amount, price_book_id (or price_book: every line
    is repriced in the new book) and `lines` (the whole list, replacing the draft's lines).
    Totals and the approval need follow."""
    require_writer(by)
    require_change(by, quote)
    check_editable(quote)
    data = _clean_fields(by, quote, fields)
    book = data.pop("price_book", None)
    new_lines = None
    if "lines" in fields and fields["lines"] is not None:
        new_lines = prepare_lines(by.tenant, book or quote.price_book, fields["lines"])
    with transaction.atomic():
        current = _locked(quote)
        _check_if_match(current, if_match)
        check_editable(current)
        lines_before = _lines_summary(current)
        existing = _lines_of(current)
        key = approval_key(current, existing)
        repriced = None
        if new_lines is not None:
            priced = [QuoteLine(**fields) for fields in new_lines]
        elif book is not None:
            priced = repriced = _reprice(current, book)
        else:
            priced = existing
        _check_size(priced, data.get("discount_percent", current.discount_percent))
        if book is not None:
            data |= {"price_book": book, "currency": book.currency}
        if repriced is not None:
            QuoteLine.objects.for_tenant(current.tenant_id).bulk_update(
                repriced, ["unit_price", "options", "description"]
            )
        if new_lines is not None:
            QuoteLine.objects.for_tenant(current.tenant_id).filter(quote=current).delete()
            _write_lines(current, new_lines)
        for name, value in data.items():
            setattr(current, name, value)
        data |= _recomputed(current, previous_approval_key=key)
        lines_after = _lines_summary(current)
        _update(
            current,
            by=by,
            fields=data,
            if_match=if_match,
            extra_changes={"lines": [lines_before, lines_after]}
            if lines_before != lines_after
            else None,
        )
    _refresh(quote, current)
    return current


# -- approval -------------------------------------------------------------------------------


def quote_request_approval(*, by: Actor, quote: Quote, if_match: str | None = None) -> Quote:
    """Ask the approvers (administrators and the owner's team managers) to approve a
    discount above the organisation's limit; each gets a notification."""
    require_writer(by)
    require_change(by, quote)
    with transaction.atomic():
        current = _locked(quote)
        _check_if_match(current, if_match)
        check_editable(current)
        if current.approval_status == ApprovalStatus.NOT_NEEDED:
            raise ValidationError(
                _("This quote needs no approval: no discount is above %(limit)s %%.")
                % {"limit": limit_text(current.tenant)}
            )
        if current.approval_status == ApprovalStatus.APPROVED:
            raise ValidationError(_("The discount is approved already."))
        if current.approval_status == ApprovalStatus.REFUSED:
            raise ValidationError(
                _("The discount was refused: change the discounts before asking again.")
            )
        people = approvers(current)
        if not people:
            raise ValidationError(
                _("Nobody but the quote's owner may approve it: an administrator is needed.")
            )
        _update(
            current,
            by=by,
            fields={},
            if_match=if_match,
            extra_changes={"approval_requested": [None, str(by.user)]},
        )
        with translation.override(current.tenant.language):
            title = _("%(user)s asks you to approve a discount on %(quote)s") % {
                "user": by.user,
                "quote": current.reference,
            }
            for person in people:
                _notify(
                    current.tenant,
                    person,
                    kind="quote_approval",
                    title=title,
                    url=_quote_url(current),
                )
    _refresh(quote, current)
    return current


def _decide_approval(
    by: Actor, quote: Quote, *, approve: bool, note: str, if_match: str | None
) -> Quote:
    _require_approver(by, quote)
    note = " ".join(str(note or "").split())[:300]
    if not approve and not note:
        raise ValidationError({"note": _("Say why the discount is refused.")})
    with transaction.atomic():
        current = _locked(quote)
        _check_if_match(current, if_match)
        check_editable(current)
        if current.approval_status == ApprovalStatus.NOT_NEEDED:
            raise ValidationError(
                _("This quote needs no approval: no discount is above %(limit)s %%.")
                % {"limit": limit_text(current.tenant)}
            )
        wanted = ApprovalStatus.APPROVED if approve else ApprovalStatus.REFUSED
        if current.approval_status == wanted:
            raise ValidationError(
                _("The discount is approved already.")
                if approve
                else _("The discount is refused already.")
            )
        _update(
            current,
            by=by,
            fields={
                "approval_status": wanted,
                "approved_by": by.user if approve else None,
                "approved_at": timezone.now() if approve else None,
                "approval_note": note,
            },
            if_match=if_match,
        )
        with translation.override(current.tenant.language):
            title = (
                _("%(user)s approved the discount on %(quote)s")
                if approve
                else _("%(user)s refused the discount on %(quote)s")
            ) % {"user": by.user, "quote": current.reference}
            owner = User.objects.filter(pk=current.owner_id).first()
            _notify(
                current.tenant,
                owner,
                kind="quote_approved" if approve else "quote_refused",
                title=title,
                body=note,
                url=_quote_url(current),
            )
    _refresh(quote, current)
    return current


def quote_approve(*, by: Actor, quote: Quote, note: str = "", if_match: str | None = None) -> Quote:
    """Approve the discount (administrators and the owner's team managers, never the owner)."""
    return _decide_approval(by, quote, approve=True, note=note, if_match=if_match)


def quote_refuse(*, by: Actor, quote: Quote, note: str, if_match: str | None = None) -> Quote:
    """Refuse the discount, saying why; the owner is told."""
    return _decide_approval(by, quote, approve=False, note=note, if_match=if_match)


# -- sending, revising ------------------------------------------------------------------------


def quote_send(*, by: Actor, quote: Quote, if_match: str | None = None) -> Quote:
    """Draft -> sent: the customer's link (/q/<token>/) works from now on. Needs a line and,
    for a discount above the limit, an approval; valid for 30 days unless a date is set."""
    require_writer(by)
    require_change(by, quote)
    with transaction.atomic():
        current = _locked(quote)
        _check_if_match(current, if_match)
        check_editable(current)
        if not _lines_of(current):
            raise ValidationError(_("Add at least one line before sending the quote."))
        if current.approval_status in (ApprovalStatus.PENDING, ApprovalStatus.REFUSED):
            raise ValidationError(
                _("A discount above %(limit)s %% needs a sales manager's approval first.")
                % {"limit": limit_text(current.tenant)}
            )
        today = periods.today(current.tenant)
        fields = {"status": QuoteStatus.SENT, "sent_at": timezone.now()}
        if current.valid_until is None:
            fields["valid_until"] = today + datetime.timedelta(days=VALIDITY_DAYS)
        elif current.valid_until < today:
            raise ValidationError(
                {"valid_until": _("The quote's validity date is in the past: choose a new one.")}
            )
        _update(current, by=by, fields=fields, if_match=if_match)
    _refresh(quote, current)
    return current


def _next_revision(quote: Quote) -> int:
    last = (
        Quote.objects.for_tenant(quote.tenant_id, with_deleted=True)
        .filter(number=quote.number)
        .aggregate(n=Max("revision"))["n"]
    )
    return (last or 0) + 1


def quote_revise(*, by: Actor, quote: Quote, if_match: str | None = None) -> Quote:
    """A new draft version of a current quote that is not accepted: the same number, the next
    revision, the lines copied with their prices. The old version stays as it was, replaced.
    `if_match` is the ETag of the quote being revised.

    An approved discount stays approved in the revision (same discounts, same lines); a later
    change of those discounts above the limit needs approval again."""
    require_writer(by)
    require_change(by, quote)
    with transaction.atomic():
        type(by.tenant).objects.select_for_update().filter(pk=by.tenant.pk).first()
        current = _locked(quote)
        _check_if_match(current, if_match)
        if current.is_deleted:
            raise ValidationError(_("A quote in the trash cannot be revised."))
        if not current.is_current:
            raise ValidationError(_("Only the latest version of a quote can be revised."))
        if current.status == QuoteStatus.ACCEPTED:
            raise ValidationError(_("An accepted quote cannot be revised."))
        today = periods.today(current.tenant)
        approval = {}
        if current.approval_status == ApprovalStatus.APPROVED:
            approval = {
                "approval_status": ApprovalStatus.APPROVED,
                "approved_by_id": current.approved_by_id,
                "approved_at": current.approved_at,
                "approval_note": current.approval_note,
            }
        revision = record_create(
            model=Quote,
            by=by,
            opportunity_id=current.opportunity_id,
            contact_id=current.contact_id,
            owner_id=current.owner_id,
            number=current.number,
            revision=_next_revision(current),
            title=current.title,
            price_book_id=current.price_book_id,
            currency=current.currency,
            discount_percent=current.discount_percent,
            valid_until=current.valid_until
            if current.valid_until and current.valid_until >= today
            else None,
            notes=current.notes,
            update_opportunity_amount=current.update_opportunity_amount,
            public_token=new_token(),
            **approval,
        )
        QuoteLine.objects.bulk_create(
            [
                QuoteLine(
                    tenant_id=line.tenant_id,
                    quote=revision,
                    position=line.position,
                    product_id=line.product_id,
                    description=line.description,
                    options=line.options,
                    quantity=line.quantity,
                    unit_price=line.unit_price,
                    discount_percent=line.discount_percent,
                    tax_rate=line.tax_rate,
                )
                for line in _lines_of(current)
            ]
        )
        quote_recompute(revision)
        _update(current, by=by, fields={"superseded_by": revision}, if_match=if_match)
    _refresh(quote, current)
    return revision


# -- the customer's decision ------------------------------------------------------------------


def _owner_actor(quote: Quote) -> Actor:
    """Who a customer's decision is recorded as: the quote's owner while they are an active
    member who may write, else the organisation's first active administrator."""
    memberships = (
        Membership.objects.for_tenant(quote.tenant_id)
        .filter(is_active=True, user__is_active=True)
        .select_related("tenant", "user")
    )
    membership = None
    if quote.owner_id:
        membership = memberships.filter(user_id=quote.owner_id).exclude(role__in=READ_ONLY).first()
    if membership is None:
        membership = memberships.filter(role=Role.ADMIN).order_by("created_at", "id").first()
    if membership is None:
        raise PermissionDenied(_("Nobody in the organisation can receive this decision."))
    return Actor.from_membership(membership)


def _decision_actor(quote: Quote, by: Actor | None) -> Actor:
    if by is None:
        return _owner_actor(quote)
    require_writer(by)
    require_change(by, quote)
    return by


def _check_decidable(by: Actor, quote: Quote) -> None:
    """Only a current, sent, unexpired quote can be accepted or rejected; an expired one is
    stored as expired (kept even though the decision is refused)."""
    if quote.is_deleted:
        raise ValidationError(_("This quote is in the trash."))
    if not quote.is_current:
        raise ValidationError(
            _("This quote was replaced by a newer version; it can no longer be accepted.")
        )
    if quote.status == QuoteStatus.SENT and is_expired(quote):
        _update(quote, by=by, fields={"status": QuoteStatus.EXPIRED})
    if quote.status == QuoteStatus.EXPIRED:
        raise ValidationError(
            _("This quote expired on %(date)s.") % {"date": date_format(quote.valid_until)}
        )
    if quote.status == QuoteStatus.ACCEPTED:
        raise ValidationError(_("This quote was accepted already."))
    if quote.status == QuoteStatus.REJECTED:
        raise ValidationError(_("This quote was declined already."))
    if quote.status != QuoteStatus.SENT:
        raise ValidationError(_("This quote has not been sent yet."))


def _decide(quote: Quote, by: Actor | None, decide, *, if_match: str | None) -> Quote:
    actor = _decision_actor(quote, by)
    refused = None
    with transaction.atomic():
        current = _locked(quote)
        _check_if_match(current, if_match)
        try:
            _check_decidable(actor, current)
        except ValidationError as exc:
            # Refused, but an expiry found on the way is kept.
            refused = exc
        else:
            decide(actor, current)
    _refresh(quote, current)
    if refused is not None:
        raise refused
    return current


def _clean_name(name) -> str:
    return " ".join(str(name or "").split())[:200]


def quote_accept(
    quote: Quote,
    *,
    name: str,
    note: str = "",
    by: Actor | None = None,
    if_match: str | None = None,
) -> Quote:
    """The customer accepts (through the public link when `by` is None; else a rep records
    it): the order is created, the deal's amount follows when the quote says so, the owner
    is told."""
    name = _clean_name(name)
    if not name:
        message = (
            _("Type your full name to accept.") if by is None else _("Give the customer's name.")
        )
        raise ValidationError({"name": message})

    def accept(actor: Actor, current: Quote) -> None:
        from funia.sales.opportunities import opportunity_update
        from funia.sales.orders.services import order_from_quote

        _update(
            current,
            by=actor,
            fields={
                "status": QuoteStatus.ACCEPTED,
                "decided_at": timezone.now(),
                "decided_by_name": name,
                "decision_note": str(note or "")[:5000],
            },
        )
        order = order_from_quote(by=actor, quote=current)
        deal = Opportunity.objects.for_tenant(current.tenant_id, with_deleted=True).get(
            pk=current.opportunity_id
        )
        amount_kept = False
        if current.update_opportunity_amount:
            if can_change(actor, deal):
                fields = {"amount": net_total(current)}
                if deal.currency != current.currency:
                    fields["currency"] = current.currency
                opportunity_update(by=actor, opportunity=deal, fields=fields)
            else:
                amount_kept = True
        with translation.override(current.tenant.language):
            title = _("%(name)s accepted %(quote)s; order %(order)s was created") % {
                "name": name,
                "quote": current.reference,
                "order": order.reference,
            }
            body = current.decision_note
            if amount_kept:
                body = (body + "\n" if body else "") + _(
                    "The deal's amount was not changed: its owner changes it."
                )
            owner = User.objects.filter(pk=current.owner_id).first()
            _notify(
                current.tenant,
                owner,
                kind="quote_accepted",
                title=title,
                body=body,
                url=_quote_url(current),
            )

    return _decide(quote, by, accept, if_match=if_match)


def quote_reject(
    quote: Quote,
    *,
    name: str,
    reason: str,
    by: Actor | None = None,
    if_match: str | None = None,
) -> Quote:
    """The customer declines, saying why (through the public link when `by` is None; else a
    rep records it); the owner is told."""
    name = _clean_name(name)
    reason = str(reason or "").strip()[:5000]
    if not reason:
        raise ValidationError({"reason": _("Tell us why, so that we can improve the offer.")})

    def reject(actor: Actor, current: Quote) -> None:
        _update(
            current,
            by=actor,
            fields={
                "status": QuoteStatus.REJECTED,
                "decided_at": timezone.now(),
                "decided_by_name": name,
                "decision_note": reason,
            },
        )
        with translation.override(current.tenant.language):
            title = _("%(quote)s was declined") % {"quote": current.reference}
            if name:
                title = _("%(name)s declined %(quote)s") % {
                    "name": name,
                    "quote": current.reference,
                }
            owner = User.objects.filter(pk=current.owner_id).first()
            _notify(
                current.tenant,
                owner,
                kind="quote_rejected",
                title=title,
                body=reason,
                url=_quote_url(current),
            )

    return _decide(quote, by, reject, if_match=if_match)


# -- trash ------------------------------------------------------------------------------------


def _previous_revision(quote: Quote) -> Quote | None:
    return (
        Quote.objects.for_tenant(quote.tenant_id)
        .filter(number=quote.number, revision__lt=quote.revision)
        .order_by("-revision")
        .first()
    )


def quote_delete(*, by: Actor, quote: Quote, if_match: str | None = None) -> Quote:
    """Move a current draft to the trash; the version it revised becomes current again."""
    require_writer(by)
    require_change(by, quote)
    with transaction.atomic():
        current = _locked(quote)
        _check_if_match(current, if_match)
        if current.is_deleted:
            return current
        if current.status != QuoteStatus.DRAFT or not current.is_current:
            raise ValidationError(
                _("Only the current draft of a quote can be deleted; a sent quote stays on record.")
            )
        revised = (
            Quote.objects.for_tenant(current.tenant_id, with_deleted=True)
            .filter(superseded_by=current)
            .first()
        )
        if revised is not None:
            _update(revised, by=by, fields={"superseded_by": None})
        _refresh(current, record_soft_delete(obj=current, by=by, if_match=if_match))
    _refresh(quote, current)
    return current


def quote_restore(*, by: Actor, quote: Quote, if_match: str | None = None) -> Quote:
    """Bring a deleted draft back; it replaces the version it revised again, unless a newer
    version exists by now."""
    require_writer(by)
    require_change(by, quote)
    with transaction.atomic():
        current = _locked(quote)
        _check_if_match(current, if_match)
        if not current.is_deleted:
            return current
        newer = (
            Quote.objects.for_tenant(current.tenant_id)
            .filter(number=current.number, revision__gt=current.revision)
            .exists()
        )
        previous = _previous_revision(current)
        if newer or (previous is not None and previous.superseded_by_id not in (None, current.pk)):
            raise ValidationError(
                _("A newer version of %(quote)s exists; this draft cannot come back.")
                % {"quote": f"Q-{current.number:05d}"}
            )
        _refresh(current, record_restore(obj=current, by=by, if_match=if_match))
        if previous is not None:
            _update(previous, by=by, fields={"superseded_by": current})
    _refresh(quote, current)
    return current
