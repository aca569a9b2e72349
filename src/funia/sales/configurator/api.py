"""API of the configurator: configure and price a product (`/products/{id}/configure`) and
configurator links, public addresses where a customer configures a product themselves."""

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from ninja import Query, Router, Status
from ninja.pagination import paginate

from funia.api.concurrency import if_match, with_etag
from funia.api.pagination import Page
from funia.api.schemas import Id
from funia.core.visibility import require_writer
from funia.sales.catalog.configurator import configure
from funia.sales.configurator import selectors, services
from funia.sales.configurator.schemas import (
    ConfigurationOut,
    ConfiguratorLinkFilter,
    ConfiguratorLinkIn,
    ConfiguratorLinkOut,
    ConfigureIn,
)

router = Router(tags=["configurator"])

CONFIGURE_HELP = (
    "Checks every rule of the product's options (an unknown option, more than one choice "
    "in a single-choice group, nothing in a required group, `requires`, `excludes`, no "
    "price in the book) and prices the configuration: the base price in the book plus each "
    "option's adjustment (a fixed amount in the organisation's currency converted into the "
    "book's, or a percentage of the base price), each rounded to the cent. Answers 200 "
    "whether or not the configuration is valid; `violations` says why not. Nothing is "
    "stored."
)


@router.post(
    "/products/{product_id}/configure",
    response=ConfigurationOut,
    operation_id="product_configure",
    summary="Check and price a configuration of a product",
    description=CONFIGURE_HELP,
)
def product_configure(request, product_id: Id, payload: ConfigureIn):
    actor = request.auth
    product = selectors.product_get(actor=actor, pk=product_id)
    if payload.price_book is not None:
        price_book = selectors.price_book_get(actor=actor, pk=payload.price_book)
    else:
        price_book = selectors.organization_price_book(actor.tenant)
        if price_book is None:
            message = services.no_price_book_message(actor.tenant, None)
            raise ValidationError({"price_book": message})
    services.check_sold(product)
    services.check_price_book(price_book, product)
    return configure(product=product, price_book=price_book, option_ids=payload.options)


class LinkPage(Page):
    """A page of links, their submitted configurations priced in a few queries."""

    def paginate_queryset(self, queryset, pagination, request, **params):
        page = super().paginate_queryset(queryset, pagination, request, **params)
        selectors.attach_configurations(page["items"])
        return page


@router.get(
    "/configurator-links",
    response=list[ConfiguratorLinkOut],
    operation_id="configurator_link_list",
    summary="List the configurator links you see (of deals you see, or made by you)",
)
@paginate(LinkPage)
def configurator_link_list(request, filters: Query[ConfiguratorLinkFilter]):
    return selectors.configurator_link_list(actor=request.auth, filters=filters)


@router.post(
    "/configurator-links",
    response={201: ConfiguratorLinkOut},
    operation_id="configurator_link_create",
    summary="Share a product's configurator with a customer (a public address)",
)
def configurator_link_create(request, payload: ConfiguratorLinkIn, response: HttpResponse):
    require_writer(request.auth)
    link = services.configurator_link_create(
        by=request.auth,
        product_id=payload.product,
        price_book_id=payload.price_book,
        opportunity_id=payload.opportunity,
        expires_in_days=payload.expires_in_days,
    )
    link = selectors.configurator_link_get(actor=request.auth, pk=link.pk)
    return Status(201, with_etag(response, link))


@router.get(
    "/configurator-links/{configurator_link_id}",
    response=ConfiguratorLinkOut,
    operation_id="configurator_link_get",
    summary="Read one configurator link, with what the customer submitted",
)
def configurator_link_get(request, configurator_link_id: Id, response: HttpResponse):
    link = selectors.configurator_link_get(
        actor=request.auth, pk=configurator_link_id, with_deleted=True
    )
    return with_etag(response, link)


@router.delete(
    "/configurator-links/{configurator_link_id}",
    response={204: None},
    operation_id="configurator_link_revoke",
    summary="Revoke a configurator link: its public address stops working",
)
def configurator_link_revoke(request, configurator_link_id: Id):
    link = selectors.configurator_link_get(actor=request.auth, pk=configurator_link_id)
    services.configurator_link_revoke(
        by=request.auth, configurator_link=link, if_match=if_match(request)
    )
    return Status(204, None)
