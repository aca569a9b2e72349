"""Reads of the catalog: products with their option groups and files, price books with
their prices, and the price book a deal or quote in a currency uses on a day. Every member
of the organisation reads the catalog (reps open product knowledge during a call)."""

import datetime

from django.db.models import Prefetch, Q, QuerySet

from funia.core import periods
from funia.core.actor import Actor
from funia.sales.catalog.models import (
    Option,
    OptionGroup,
    PriceBook,
    PriceBookEntry,
    Product,
    ProductFile,
)


def _options(tenant) -> QuerySet[Option]:
    targets = Option.objects.for_tenant(tenant).select_related("group")
    return Option.objects.for_tenant(tenant).prefetch_related(
        Prefetch("requires", queryset=targets), Prefetch("excludes", queryset=targets)
    )


def _groups(tenant) -> QuerySet[OptionGroup]:
    return OptionGroup.objects.for_tenant(tenant).prefetch_related(
        Prefetch("options", queryset=_options(tenant))
    )


def option_groups_of(tenant, product_id: int) -> list[OptionGroup]:
    """A product's groups in order, with their options and rules (five queries)."""
    return list(_groups(tenant).filter(product_id=product_id))


def _with_details(qs: QuerySet, tenant) -> QuerySet[Product]:
    return qs.prefetch_related(
        Prefetch("option_groups", queryset=_groups(tenant)),
        Prefetch("files", queryset=ProductFile.objects.for_tenant(tenant)),
    )


def product_list(*, actor: Actor, filters=None) -> QuerySet[Product]:
    """The organisation's products by name, with groups, options, rules and files."""
    qs = Product.objects.for_tenant(actor.tenant, with_deleted=True)
    qs = filters.filter(qs) if filters is not None else qs.filter(deleted_at__isnull=True)
    return _with_details(qs, actor.tenant).order_by("name", "id")


def product_get(*, actor: Actor, pk: int, with_deleted: bool = False) -> Product:
    qs = Product.objects.for_tenant(actor.tenant, with_deleted=with_deleted)
    return _with_details(qs, actor.tenant).get(pk=pk)


def product_categories(*, actor: Actor) -> list[str]:
    """The categories of the live products, for the list's filter."""
    return list(
        Product.objects.for_tenant(actor.tenant)
        .exclude(category="")
        .order_by("category")
        .values_list("category", flat=True)
        .distinct()
    )


def product_file_get(*, actor: Actor, product: Product, pk: int) -> ProductFile:
    """A file of the product (DoesNotExist, hence 404, for any other id)."""
    return (
        ProductFile.objects.for_tenant(actor.tenant)
        .select_related("product")
        .get(product_id=product.pk, pk=pk)
    )


def product_prices(*, actor: Actor, product: Product) -> QuerySet[PriceBookEntry]:
    """The product's prices in the active, live price books, by book name."""
    return (
        PriceBookEntry.objects.for_tenant(actor.tenant)
        .filter(
            product_id=product.pk,
            price_book__is_active=True,
            price_book__deleted_at__isnull=True,
        )
        .select_related("price_book")
        .order_by("price_book__name", "price_book_id")
    )


def product_choices(*, actor: Actor) -> QuerySet[Product]:
    """The live products, for a price book's entries editor."""
    return Product.objects.for_tenant(actor.tenant).order_by("name", "id")


def _live_entries(tenant) -> QuerySet[PriceBookEntry]:
    return (
        PriceBookEntry.objects.for_tenant(tenant)
        .filter(product__deleted_at__isnull=True)
        .select_related("product")
        .order_by("product__name", "product_id")
    )


def _with_entries(qs: QuerySet, tenant) -> QuerySet[PriceBook]:
    return qs.prefetch_related(
        Prefetch("entries", queryset=_live_entries(tenant), to_attr="live_entries")
    )


def price_book_list(*, actor: Actor, filters=None) -> QuerySet[PriceBook]:
    """The organisation's price books by name, with the prices of their live products."""
    qs = PriceBook.objects.for_tenant(actor.tenant, with_deleted=True)
    qs = filters.filter(qs) if filters is not None else qs.filter(deleted_at__isnull=True)
    return _with_entries(qs, actor.tenant).order_by("name", "id")


def price_book_get(*, actor: Actor, pk: int, with_deleted: bool = False) -> PriceBook:
    qs = PriceBook.objects.for_tenant(actor.tenant, with_deleted=with_deleted)
    return _with_entries(qs, actor.tenant).get(pk=pk)


def live_entries_of(price_book: PriceBook) -> list[PriceBookEntry]:
    """The prices of the book's live products (prefetched by the selectors above)."""
    entries = getattr(price_book, "live_entries", None)
    if entries is None:
        entries = list(_live_entries(price_book.tenant_id).filter(price_book_id=price_book.pk))
    return entries


def price_book_for(tenant, currency: str, on: datetime.date | None = None) -> PriceBook | None:
    """The price book a deal or quote in `currency` uses on the day `on` (default: today in
    the organisation's time zone): the active default book of that currency valid that day,
    else the first active book of that currency valid that day, by name; None if none."""
    on = on or periods.today(tenant)
    return (
        PriceBook.objects.for_tenant(tenant)
        .filter(currency=(currency or "").upper(), is_active=True)
        .filter(Q(valid_from__isnull=True) | Q(valid_from__lte=on))
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=on))
        .order_by("-is_default", "name", "id")
        .first()
    )


def is_usable(book: PriceBook, on: datetime.date) -> bool:
    """Can a new quote, order or configuration take its prices from `book` on `on`?"""
    return (
        book.is_active
        and book.deleted_at is None
        and (book.valid_from is None or book.valid_from <= on)
        and (book.valid_until is None or book.valid_until >= on)
    )


def deal_price_book(opportunity, on: datetime.date | None = None) -> PriceBook | None:
    """The book a deal's new quotes and orders use: the deal's own book when it is usable
    today and in the deal's currency, else `price_book_for` the deal's currency."""
    on = on or periods.today(opportunity.tenant)
    if opportunity.price_book_id:
        own = (
            PriceBook.objects.for_tenant(opportunity.tenant_id)
            .filter(pk=opportunity.price_book_id, currency=opportunity.currency)
            .first()
        )
        if own is not None and is_usable(own, on):
            return own
    return price_book_for(opportunity.tenant, opportunity.currency, on)
