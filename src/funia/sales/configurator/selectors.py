"""Reads of the configurator: the product and price book to configure in, the deal's draft
quote, the open deals a configuration may go to, and configurator links (the actor's, and
the public one a customer's address names)."""

from django.db.models import Q, QuerySet
from django.utils import timezone

from funia.core import periods
from funia.core.actor import Actor
from funia.core.visibility import READ_ONLY, SEES_ALL, visible_records
from funia.sales.catalog import selectors as catalog
from funia.sales.catalog.configurator import (
    Configuration,
    configure,
    option_groups_of,
)
from funia.sales.models import (
    ConfiguratorLink,
    Opportunity,
    PriceBook,
    PriceBookEntry,
    Product,
    Quote,
    QuoteStatus,
    StageKind,
)

TOKEN_MAX_LENGTH = 64


def product_get(*, actor: Actor, pk: int) -> Product:
    """A live product of the organisation (DoesNotExist otherwise: 404); every member may
    configure what the organisation sells."""
    return Product.objects.for_tenant(actor.tenant).get(pk=pk)


def price_book_get(*, actor: Actor, pk: int) -> PriceBook:
    return PriceBook.objects.for_tenant(actor.tenant).get(pk=pk)


def organization_price_book(tenant) -> PriceBook | None:
    """The organisation's default price book in its own currency, when it is usable today
    (`catalog.selectors.price_book_for`); None without one."""
    book = catalog.price_book_for(tenant, tenant.currency)
    return book if book is not None and book.is_default else None


def deal_price_book(opportunity: Opportunity, actor: Actor) -> PriceBook | None:
    """The book a configuration for the deal is priced in: the book of the actor's draft
    quote of the deal while it is usable today, else the one a new quote of the deal gets
    (`catalog.selectors.deal_price_book`)."""
    quote = draft_quote(opportunity, actor)
    if quote is not None and catalog.is_usable(quote.price_book, periods.today(opportunity.tenant)):
        return quote.price_book
    return catalog.deal_price_book(opportunity)


def draft_quote(opportunity: Opportunity, actor: Actor) -> Quote | None:
    """The deal's current draft quote that the actor may change: the latest draft no version
    replaced among the quotes the actor sees (None for a read-only role)."""
    if actor.role in READ_ONLY:
        return None
    return (
        visible_records(Quote, actor)
        .filter(opportunity=opportunity, status=QuoteStatus.DRAFT, superseded_by__isnull=True)
        .select_related("price_book")
        .order_by("-created_at", "-id")
        .first()
    )


def open_deals(*, actor: Actor) -> QuerySet[Opportunity]:
    """The deals the actor sees that are still open: where a configuration may go."""
    return (
        visible_records(Opportunity, actor)
        .filter(stage__kind=StageKind.OPEN)
        .select_related("account")
        .order_by("name", "id")
    )


def deal_get(*, actor: Actor, pk: int) -> Opportunity:
    """A live deal the actor sees (DoesNotExist otherwise: 404)."""
    return visible_records(Opportunity, actor).select_related("account", "owner").get(pk=pk)


# -- configurator links -------------------------------------------------------------------


def _visible_links(actor: Actor, qs: QuerySet) -> QuerySet:
    """Links of deals the actor sees, or made by the actor; every link for the roles that
    see every record."""
    if actor.role in SEES_ALL:
        return qs
    deals = visible_records(Opportunity, actor).values("pk")
    return qs.filter(Q(created_by=actor.user) | Q(opportunity_id__in=deals))


def _with_related(qs: QuerySet) -> QuerySet:
    return qs.select_related("product", "price_book", "opportunity", "created_by", "tenant")


def configurator_link_list(*, actor: Actor, filters=None) -> QuerySet[ConfiguratorLink]:
    """The links the actor sees, newest first; revoked ones only when the filter asks."""
    qs = ConfiguratorLink.objects.for_tenant(actor.tenant, with_deleted=True)
    qs = filters.filter(qs) if filters is not None else qs.filter(deleted_at__isnull=True)
    return _with_related(_visible_links(actor, qs)).order_by("-created_at", "-id")


def configurator_link_get(*, actor: Actor, pk: int, with_deleted: bool = False) -> ConfiguratorLink:
    qs = ConfiguratorLink.objects.for_tenant(actor.tenant, with_deleted=with_deleted)
    link = _with_related(_visible_links(actor, qs)).get(pk=pk)
    attach_configurations([link])
    return link


def is_expired(link: ConfiguratorLink, now=None) -> bool:
    return link.expires_at is not None and link.expires_at <= (now or timezone.now())


def public_link(token: str) -> ConfiguratorLink | None:
    """The live, unexpired link a customer's address names, in whichever organisation holds
    it, with a live product and price book.

    Public by design: the token is the address's credential (random, unique across
    organisations), so this lookup starts without a tenant, like a web-to-lead form's."""
    if not token or len(token) > TOKEN_MAX_LENGTH:
        return None
    link = (
        ConfiguratorLink.objects.across_tenants()
        .filter(token=token, deleted_at__isnull=True)
        .select_related("tenant", "product", "price_book", "created_by")
        .first()
    )
    if (
        link is None
        or is_expired(link)
        or link.product.is_deleted
        or link.price_book.is_deleted
        or link.product.tenant_id != link.tenant_id
    ):
        return None
    return link


def attach_configurations(links: list[ConfiguratorLink]) -> list[ConfiguratorLink]:
    """Set `configuration` on each link: its submitted options priced (None until the
    customer submits). A few queries for the whole list, not per link."""
    submitted = [link for link in links if link.submitted_at is not None]
    for link in links:
        link.configuration = None
    if not submitted:
        return links
    tenant = submitted[0].tenant_id
    groups = option_groups_of(tenant, {link.product_id for link in submitted})
    prices = {
        (price_book_id, product_id): unit_price
        for price_book_id, product_id, unit_price in PriceBookEntry.objects.for_tenant(tenant)
        .filter(
            price_book_id__in={link.price_book_id for link in submitted},
            product_id__in={link.product_id for link in submitted},
        )
        .values_list("price_book_id", "product_id", "unit_price")
    }
    for link in submitted:
        link.configuration = link_configuration(
            link,
            groups=groups.get(link.product_id, []),
            base=prices.get((link.price_book_id, link.product_id)),
        )
    return links


def link_configuration(link: ConfiguratorLink, option_ids=None, **known) -> Configuration:
    """The link's product configured with `option_ids` (None: the options the customer
    submitted), priced in the link's book now."""
    # The book belongs to the link's organisation: its exchange rates need no query for it.
    link.price_book.tenant = link.tenant
    return configure(
        product=link.product,
        price_book=link.price_book,
        option_ids=submitted_option_ids(link) if option_ids is None else option_ids,
        **known,
    )


def submitted_option_ids(link: ConfiguratorLink) -> list[int]:
    return [pk for pk in link.options or [] if isinstance(pk, int) and not isinstance(pk, bool)]
