"""Writes of the configurator: a configured product onto the deal's draft quote, and
configurator links (a public address where a customer configures the product themselves and
submits it to the rep who shared it).

A configuration that breaks a rule never becomes a quote line or a submission: the refusal
carries every violation's message.
"""

import datetime
import secrets
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from funia.core import periods
from funia.core.actor import Actor
from funia.core.audit import AuditAction, audit_record, diff, snapshot
from funia.core.models import Membership
from funia.core.notifications import notify
from funia.core.records import record_soft_delete, record_update
from funia.core.visibility import can_change, require_change, require_writer, visible_records
from funia.sales.catalog.configurator import Configuration, base_price, configure
from funia.sales.catalog.selectors import is_usable
from funia.sales.configurator import selectors
from funia.sales.models import ConfiguratorLink, Opportunity, PriceBook, Product, QuoteLine
from funia.sales.quotes.services import not_valid_today_message, quote_create, quote_line_add

DEFAULT_LINK_DAYS = 30
MAX_LINK_DAYS = 365
NOTIFICATION_KIND = "configurator_submitted"


def new_link_token() -> str:
    return secrets.token_urlsafe(32)


def refuse_invalid(configuration: Configuration) -> None:
    """A configuration that breaks a rule is refused with every violation's message."""
    if not configuration.valid:
        raise ValidationError(
            {"configuration": [violation.message for violation in configuration.violations]}
        )


def check_sold(product: Product, field: str = "product") -> None:
    if not product.is_active:
        raise ValidationError({field: _("%(product)s is no longer sold.") % {"product": product}})


def check_price_book(price_book: PriceBook, product: Product, opportunity=None) -> None:
    """A book a configuration may be priced in: active and valid today (the rules of
    `catalog.selectors.is_usable`), in the deal's currency when it is for a deal."""
    if not price_book.is_active or price_book.is_deleted:
        raise ValidationError({"price_book": _("This price book is not active.")})
    if not is_usable(price_book, periods.today(price_book.tenant)):
        raise ValidationError({"price_book": not_valid_today_message(price_book)})
    if opportunity is not None and price_book.currency != opportunity.currency:
        raise ValidationError(
            {
                "price_book": _(
                    "The price book is in %(book)s but the deal is in %(deal)s: choose a book "
                    "in the deal's currency."
                )
                % {"book": price_book.currency, "deal": opportunity.currency}
            }
        )


# -- onto a quote -------------------------------------------------------------------------


def configuration_add_to_quote(
    *,
    by: Actor,
    opportunity: Opportunity,
    product: Product,
    price_book: PriceBook,
    option_ids: list[int] | None,
    quantity=1,
    discount_percent=0,
) -> QuoteLine:
    """Add the configured product to the deal's current draft quote (a new draft when the
    deal has none), priced in `price_book`, the draft's own book."""
    require_writer(by)
    require_change(by, opportunity)
    check_sold(product)
    check_price_book(price_book, product, opportunity)
    configuration = configure(product=product, price_book=price_book, option_ids=option_ids)
    refuse_invalid(configuration)
    with transaction.atomic():
        quote = selectors.draft_quote(opportunity, by)
        if quote is None:
            quote = quote_create(by=by, opportunity=opportunity, price_book=price_book)
        elif quote.price_book_id != price_book.pk and not is_usable(
            quote.price_book, periods.today(by.tenant)
        ):
            raise ValidationError(
                {
                    "price_book": _(
                        "The deal's draft quote %(quote)s is priced in the price book "
                        "%(book)s, which is not valid today: choose another book on the "
                        "quote first."
                    )
                    % {"quote": quote.reference, "book": quote.price_book.name}
                }
            )
        elif quote.price_book_id != price_book.pk:
            raise ValidationError(
                {
                    "price_book": _(
                        "The deal's draft quote %(quote)s is priced in the price book "
                        "%(book)s: configure the product in that book."
                    )
                    % {"quote": quote.reference, "book": quote.price_book.name}
                }
            )
        return quote_line_add(
            by=by,
            quote=quote,
            product=product,
            option_ids=configuration.option_ids,
            quantity=quantity,
            discount_percent=discount_percent,
        )


# -- configurator links -------------------------------------------------------------------


def _lookup(queryset, pk, field: str, message: str, errors: dict):
    if pk is None:
        return None
    found = queryset.filter(pk=pk).first() if isinstance(pk, int) and pk > 0 else None
    if found is None:
        errors[field] = message
    return found


def configurator_link_create(
    *,
    by: Actor,
    product_id: int,
    price_book_id: int | None = None,
    opportunity_id: int | None = None,
    expires_in_days: int = DEFAULT_LINK_DAYS,
) -> ConfiguratorLink:
    """A public address where a customer configures `product` (for a deal when given),
    priced in the book given, else the deal's book, else the organisation's default one.

    It stops working after `expires_in_days` days (1 to 365) or when it is revoked."""
    require_writer(by)
    errors: dict = {}
    product = _lookup(
        Product.objects.for_tenant(by.tenant),
        product_id,
        "product",
        _("There is no such product in your organisation."),
        errors,
    )
    if product_id is None:
        errors["product"] = _("Choose the product to configure.")
    deal = _lookup(
        visible_records(Opportunity, by),
        opportunity_id,
        "opportunity",
        _("There is no such deal among the deals you see."),
        errors,
    )
    book = _lookup(
        PriceBook.objects.for_tenant(by.tenant),
        price_book_id,
        "price_book",
        _("There is no such price book in your organisation."),
        errors,
    )
    if (
        isinstance(expires_in_days, bool)
        or not isinstance(expires_in_days, int)
        or not 1 <= expires_in_days <= MAX_LINK_DAYS
    ):
        errors["expires_in_days"] = _("A link is valid for 1 to %(n)d days.") % {"n": MAX_LINK_DAYS}
    if errors:
        raise ValidationError(errors)
    if deal is not None:
        require_change(by, deal)
    check_sold(product)
    if book is None:
        book = (
            selectors.deal_price_book(deal, by)
            if deal is not None
            else selectors.organization_price_book(by.tenant)
        )
    if book is None:
        raise ValidationError({"price_book": no_price_book_message(by.tenant, deal)})
    check_price_book(book, product, deal)
    if base_price(product, book) is None:
        raise ValidationError(
            {
                "price_book": _("%(product)s has no price in the price book %(book)s.")
                % {"product": product.name, "book": book.name}
            }
        )
    with transaction.atomic():
        link = ConfiguratorLink(
            tenant=by.tenant,
            token=new_link_token(),
            product=product,
            price_book=book,
            opportunity=deal,
            created_by=by.user,
            expires_at=timezone.now() + datetime.timedelta(days=expires_in_days),
        )
        link.full_clean()
        link.save()
        # The token is the address's credential: the audit trail never holds it.
        changes = diff({}, snapshot(link))
        changes.pop("token", None)
        audit_record(by=by, obj=link, action=AuditAction.CREATE, changes=changes)
    return link


def no_price_book_message(tenant, deal: Opportunity | None) -> str:
    currency = deal.currency if deal is not None else tenant.currency
    return _(
        "There is no default active price book in %(currency)s: choose a price book, or ask "
        "an administrator to make one the default."
    ) % {"currency": currency}


def configurator_link_revoke(
    *, by: Actor, configurator_link: ConfiguratorLink, if_match: str | None = None
) -> ConfiguratorLink:
    """Stop the public address working (the link moves to the trash; what the customer
    submitted stays readable). The link's creator, an administrator, or whoever may change
    its deal."""
    require_writer(by)
    link = configurator_link
    allowed = (
        by.is_admin
        or link.created_by_id == by.user.pk
        or (link.opportunity_id is not None and can_change(by, link.opportunity))
    )
    if not allowed:
        raise PermissionDenied(_("Only the link's creator or the deal's owner may revoke it."))
    return record_soft_delete(obj=link, by=by, if_match=if_match)


def link_prices_valid(link: ConfiguratorLink) -> bool:
    """Can the link still price? Its book must be usable today: a customer never gets the
    prices of an expired (or not yet valid) book."""
    return is_usable(link.price_book, periods.today(link.tenant))


def stale_prices_message(link: ConfiguratorLink) -> str:
    if link.created_by is not None and link.created_by.get_full_name():
        return _("The prices of this offer are no longer valid: ask %(name)s for a new link.") % {
            "name": link.created_by.get_full_name()
        }
    return _("The prices of this offer are no longer valid: ask us for a new link.")


def public_actor(link: ConfiguratorLink) -> Actor:
    """Who a customer's submission is recorded as: nobody of the organisation."""
    return Actor(tenant=link.tenant, user=None, role="")


def clean_customer(name, email) -> tuple[str, str]:
    errors = {}
    name = " ".join(str(name or "").split())
    email = str(email or "").strip()
    if not name:
        errors["customer_name"] = _("Give your name.")
    elif len(name) > 200:
        errors["customer_name"] = _("At most %(n)d characters.") % {"n": 200}
    if not email:
        errors["customer_email"] = _("Give your email address.")
    else:
        try:
            validate_email(email)
        except ValidationError:
            errors["customer_email"] = _("Enter a valid email address.")
    if errors:
        raise ValidationError(errors)
    return name, email


def configurator_link_submit(
    *, link: ConfiguratorLink, option_ids: list[int], customer_name: str, customer_email: str
) -> ConfiguratorLink:
    """Store the customer's configuration (valid only), name and email on the link, and
    tell the rep who shared it. A new submission replaces the previous one."""
    if link.is_deleted or selectors.is_expired(link):
        raise ValidationError(_("This link no longer works."))
    if not link_prices_valid(link):
        raise ValidationError(stale_prices_message(link))
    name, email = clean_customer(customer_name, customer_email)
    check_sold(link.product, "configuration")
    configuration = selectors.link_configuration(link, option_ids)
    refuse_invalid(configuration)
    with transaction.atomic():
        submitted = record_update(
            obj=link,
            by=public_actor(link),
            fields={
                "options": configuration.option_ids,
                "customer_name": name,
                "customer_email": email,
                "submitted_at": timezone.now(),
            },
        )
        _notify_creator(link, configuration, name)
    return submitted


def _notify_creator(link: ConfiguratorLink, configuration: Configuration, name: str) -> None:
    if link.created_by_id is None:
        return
    member = Membership.objects.for_tenant(link.tenant).filter(
        user_id=link.created_by_id, is_active=True, user__is_active=True
    )
    if not member.exists():
        return
    price = configuration.unit_price
    notify(
        tenant=link.tenant,
        user=link.created_by,
        kind=NOTIFICATION_KIND,
        title=_("%(name)s sent a configuration of %(product)s")
        % {"name": name, "product": link.product.name},
        body=_("%(description)s: %(price)s %(currency)s")
        % {
            "description": configuration.description(),
            "price": Decimal(price) if price is not None else "—",
            "currency": configuration.currency,
        },
        url=reverse("configurator_link_detail", args=[link.pk]),
    )
