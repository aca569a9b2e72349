"""Reads of quotes: lists and one quote with what pages and the API show (no N+1), the
versions of a quote, a deal's quotes, the products a quote may add, and the public lookup
by token.

`shown_status` is annotated on every quote read here: a sent quote past its validity date
shows as expired, wherever it is shown.
"""

from django.db.models import (
    Case,
    CharField,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)

from funia.core import periods
from funia.core.actor import Actor
from funia.core.visibility import visible_records
from funia.sales.catalog.models import OptionGroup, PriceBook, PriceBookEntry
from funia.sales.catalog.selectors import is_usable
from funia.sales.models import Opportunity
from funia.sales.quotes.models import Quote, QuoteLine, QuoteStatus

TOKEN_MAX_LENGTH = 64


def with_shown_status(qs: QuerySet, tenant) -> QuerySet:
    today = periods.today(tenant)
    return qs.annotate(
        shown_status=Case(
            When(
                status=QuoteStatus.SENT,
                valid_until__lt=today,
                then=Value(QuoteStatus.EXPIRED.value),
            ),
            default=F("status"),
            output_field=CharField(),
        )
    )


def _lines(tenant) -> Prefetch:
    return Prefetch(
        "lines",
        queryset=QuoteLine.objects.for_tenant(tenant).select_related("product"),
    )


def _details(qs: QuerySet, tenant, *, lines: bool) -> QuerySet:
    qs = with_shown_status(qs, tenant).select_related(
        "opportunity__account",
        "contact",
        "owner",
        "approved_by",
        "price_book",
        "order",
        "tenant",
    )
    return qs.prefetch_related(_lines(tenant)) if lines else qs


def quote_list(*, actor: Actor, filters=None, lines: bool = True) -> QuerySet[Quote]:
    """Quotes the actor sees (their owner's visibility), newest number and revision first;
    `filters` is a QuoteFilter (its `mine` keeps the actor's own)."""
    qs = visible_records(Quote, actor, with_deleted=True)
    qs = with_shown_status(qs, actor.tenant)
    if filters is None:
        qs = qs.filter(deleted_at__isnull=True)
    else:
        qs = filters.filter(qs)
        if getattr(filters, "mine", False):
            qs = qs.filter(owner_id=actor.user.pk)
    return _details(qs, actor.tenant, lines=lines).order_by("-number", "-revision", "-id")


def quote_get(*, actor: Actor, pk: int, with_deleted: bool = False) -> Quote:
    qs = visible_records(Quote, actor, with_deleted=with_deleted)
    return _details(qs, actor.tenant, lines=True).get(pk=pk)


def quote_line_get(*, quote: Quote, pk) -> QuoteLine:
    """A line of this quote (DoesNotExist for any other id)."""
    return (
        QuoteLine.objects.for_tenant(quote.tenant_id)
        .select_related("quote", "product")
        .get(quote=quote, pk=pk)
    )


def quote_versions(*, actor: Actor, quote: Quote) -> list[Quote]:
    """Every version of the quote's number the actor sees, oldest first."""
    qs = visible_records(Quote, actor).filter(number=quote.number)
    return list(with_shown_status(qs, actor.tenant).order_by("revision", "id"))


def deal_quotes(*, actor: Actor, opportunity: Opportunity) -> list[Quote]:
    """The deal's quotes the actor sees, newest number and revision first."""
    qs = visible_records(Quote, actor).filter(opportunity=opportunity)
    return list(with_shown_status(qs, actor.tenant).order_by("-number", "-revision", "-id"))


def priced_products(quote: Quote) -> list[PriceBookEntry]:
    """The active products with a price in the quote's book, each with `configurable`
    (the product has option groups: it is added through the configurator)."""
    groups = OptionGroup.objects.for_tenant(quote.tenant_id).filter(product=OuterRef("product"))
    return list(
        PriceBookEntry.objects.for_tenant(quote.tenant_id)
        .filter(
            price_book_id=quote.price_book_id,
            product__is_active=True,
            product__deleted_at__isnull=True,
        )
        .select_related("product")
        .annotate(configurable=Exists(groups))
        .order_by("product__name", "product__sku", "id")
    )


def configurable_products(*, actor: Actor, price_book: PriceBook | None):
    """Active products with option groups and a price in `price_book` (any book when None)."""
    from funia.sales.catalog.models import Product

    groups = OptionGroup.objects.for_tenant(actor.tenant).filter(product=OuterRef("pk"))
    qs = Product.objects.for_tenant(actor.tenant).filter(Exists(groups), is_active=True)
    if price_book is not None:
        prices = PriceBookEntry.objects.for_tenant(actor.tenant).filter(
            product=OuterRef("pk"), price_book=price_book
        )
        qs = qs.filter(Exists(prices))
    return list(qs.order_by("name", "id")[:20])


def price_book_choices(*, tenant, currency: str, keep: int | None = None) -> list[PriceBook]:
    """The books a quote in `currency` may be priced in today (the default first), and the
    book `keep` (a draft's own) even when it is no longer usable: keeping it is no change."""
    today = periods.today(tenant)
    books = (
        PriceBook.objects.for_tenant(tenant)
        .filter(Q(currency=currency, is_active=True) | Q(pk=keep or 0))
        .order_by("-is_default", "name", "id")
    )
    return [book for book in books if book.pk == keep or is_usable(book, today)]


def public_quote(token: str) -> Quote | None:
    """The live quote with this token, in whichever organisation holds it, once it has been
    sent (a draft's link does not exist yet).

    Public by design: the token is the quote's address, so this is the lookup that starts
    without a tenant (the token is unique across organisations and unguessable)."""
    if not token or len(token) > TOKEN_MAX_LENGTH:
        return None
    quote = (
        Quote.objects.across_tenants()
        .filter(public_token=token, deleted_at__isnull=True)
        .exclude(status=QuoteStatus.DRAFT)
        .select_related("tenant")
        .first()
    )
    if quote is None:
        return None
    qs = Quote.objects.for_tenant(quote.tenant_id).filter(pk=quote.pk)
    return _details(qs, quote.tenant, lines=True).first()
