"""Writes of quotes: create from a deal, lines (plain or configured), totals and the
discount approval they imply.

Totals are always recomputed here from the lines (`funia.sales.pricing`); prices come from
the quote's price book, whatever a client sends.
"""

import secrets
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from funia.core.actor import Actor
from funia.core.records import record_create
from funia.core.visibility import require_change, require_writer
from funia.sales import pricing
from funia.sales.catalog.configurator import configure
from funia.sales.catalog.models import PriceBook, Product
from funia.sales.models import Opportunity
from funia.sales.quotes.models import ApprovalStatus, Quote, QuoteLine, QuoteStatus


def new_token() -> str:
    return secrets.token_urlsafe(32)


def next_quote_number(tenant) -> int:
    last = Quote.objects.for_tenant(tenant, with_deleted=True).aggregate(n=Max("number"))["n"]
    return (last or 0) + 1


def default_price_book(opportunity: Opportunity) -> PriceBook | None:
    """The deal's own book, else the active default book in the deal's currency."""
    if opportunity.price_book_id:
        return PriceBook.objects.for_tenant(opportunity.tenant_id).get(pk=opportunity.price_book_id)
    return (
        PriceBook.objects.for_tenant(opportunity.tenant_id)
        .filter(currency=opportunity.currency, is_active=True)
        .order_by("-is_default", "name", "id")
        .first()
    )


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
    if not price_book.is_active:
        raise ValidationError({"price_book": _("This price book is not active.")})
    return price_book


def check_discount(value, field: str = "discount_percent") -> Decimal:
    value = Decimal(value if value is not None else 0)
    if not Decimal(0) <= value <= Decimal(100):
        raise ValidationError({field: _("A discount is between 0 and 100 %.")})
    return value


def check_editable(quote: Quote) -> None:
    if quote.status != QuoteStatus.DRAFT or not quote.is_current:
        raise ValidationError(
            _("Only the current draft of a quote can be changed; revise it to make a new version.")
        )


def needs_approval(quote: Quote, lines: list[QuoteLine]) -> bool:
    """A discount (of the quote or of a line) above the organisation's limit needs a
    manager's approval before the quote goes to the customer."""
    limit = quote.tenant.quote_discount_limit
    discounts = [quote.discount_percent, *(line.discount_percent for line in lines)]
    return max(discounts) > limit


def quote_recompute(quote: Quote) -> Quote:
    """Recompute every line's amounts and the quote's totals and approval need; saves both."""
    lines = list(QuoteLine.objects.for_tenant(quote.tenant_id).filter(quote=quote))
    totals = pricing.document_totals(lines, discount_percent=quote.discount_percent)
    for line, amounts in zip(lines, totals.lines, strict=True):
        pricing.apply_amounts(line, amounts)
    if lines:
        QuoteLine.objects.for_tenant(quote.tenant_id).bulk_update(
            lines, ["gross", "line_discount", "total", "quote_discount", "tax"]
        )
    quote.subtotal = totals.subtotal
    quote.discount_total = totals.discount_total
    quote.tax_total = totals.tax_total
    quote.total = totals.total
    if needs_approval(quote, lines):
        if quote.approval_status in (ApprovalStatus.NOT_NEEDED,):
            quote.approval_status = ApprovalStatus.PENDING
    else:
        quote.approval_status = ApprovalStatus.NOT_NEEDED
        quote.approved_by = None
        quote.approved_at = None
    quote.save(
        update_fields=[
            "subtotal",
            "discount_total",
            "tax_total",
            "total",
            "approval_status",
            "approved_by",
            "approved_at",
        ]
    )
    return quote


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
) -> Quote:
    """A new draft quote (version 1) of a deal the actor may change."""
    require_writer(by)
    require_change(by, opportunity)
    price_book = check_price_book(
        opportunity, price_book if price_book is not None else default_price_book(opportunity)
    )
    discount = check_discount(discount_percent)
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
            title=title or opportunity.name,
            price_book=price_book,
            currency=price_book.currency,
            discount_percent=discount,
            valid_until=valid_until,
            notes=notes,
            public_token=new_token(),
        )
        return quote_recompute(quote)


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
    require_change(by, quote)
    check_editable(quote)
    quantity = Decimal(quantity)
    if quantity <= 0:
        raise ValidationError({"quantity": _("The quantity must be more than zero.")})
    discount = check_discount(discount_percent)
    if not product.is_active:
        raise ValidationError({"product": _("This product is no longer sold.")})
    configuration = configure(product=product, price_book=quote.price_book, option_ids=option_ids)
    if not configuration.valid:
        raise ValidationError({"configuration": [v.message for v in configuration.violations]})
    with transaction.atomic():
        position = (
            QuoteLine.objects.for_tenant(quote.tenant_id)
            .filter(quote=quote)
            .aggregate(n=Max("position"))["n"]
        )
        line = QuoteLine.objects.create(
            tenant_id=quote.tenant_id,
            quote=quote,
            position=(position or 0) + 1,
            product=product,
            description=configuration.description(),
            options=configuration.snapshot(),
            quantity=quantity,
            unit_price=configuration.unit_price,
            discount_percent=discount,
            tax_rate=product.tax_rate,
        )
        quote_recompute(quote)
    line.refresh_from_db()
    return line
