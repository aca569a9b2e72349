"""Where a configured product goes and which book prices it: the deal's draft quote that the
rep may change (else a new draft), and only price books valid today, for the rep and for
the customer's link."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from funia.core import periods
from funia.core.records import record_update
from funia.sales.configurator import selectors, services
from funia.sales.models import ConfiguratorLink, Quote, QuoteLine
from funia.sales.quotes.services import quote_create
from tests import factories
from tests.sales.configurator.conftest import make_link


def add(shop, by=None, book=None):
    return services.configuration_add_to_quote(
        by=by or shop.rep,
        opportunity=shop.deal,
        product=shop.product,
        price_book=book or shop.book,
        option_ids=shop.car.ids("White", "Fabric"),
    )


def someone_elses_draft(shop, org):
    """A draft of the rep's deal that another rep owns (made before the deal changed hands)."""
    other = factories.member(org, "sales_rep")
    draft = quote_create(by=shop.rep, opportunity=shop.deal)
    Quote.objects.for_tenant(org).filter(pk=draft.pk).update(owner_id=other.user.pk)
    return draft


def dated(shop, *, starts: int, ends: int | None, **fields):
    today = periods.today(shop.deal.tenant)
    return factories.price_book(
        shop.admin,
        prices={shop.product: "20000.00"},
        valid_from=today + datetime.timedelta(days=starts),
        valid_until=today + datetime.timedelta(days=ends) if ends is not None else None,
        **fields,
    )


def test_a_draft_the_rep_may_not_change_is_left_alone_and_a_new_draft_gets_the_line(shop, org):
    stranded = someone_elses_draft(shop, org)

    line = add(shop)

    assert line.quote_id != stranded.pk
    assert line.quote.owner_id == shop.rep.user.pk
    assert not QuoteLine.objects.for_tenant(org).filter(quote=stranded).exists()


def test_the_deals_draft_is_the_one_the_actor_may_change(shop, org):
    someone_elses_draft(shop, org)
    own = quote_create(by=shop.rep, opportunity=shop.deal)

    assert selectors.draft_quote(shop.deal, shop.rep) == own


def test_an_analyst_has_no_draft_to_add_to(shop, analyst):
    quote_create(by=shop.rep, opportunity=shop.deal)

    assert selectors.draft_quote(shop.deal, analyst) is None


def test_an_expired_price_book_prices_no_configuration(shop):
    expired = dated(shop, starts=-30, ends=-1, name="Winter EUR")

    with pytest.raises(ValidationError) as refused:
        add(shop, book=expired)

    assert "The price book Winter EUR is valid from" in refused.value.message_dict["price_book"][0]
    assert not Quote.objects.for_tenant(shop.deal.tenant).exists()


def test_a_link_is_never_made_in_a_price_book_not_valid_yet(shop):
    later = dated(shop, starts=3, ends=None, name="Summer EUR")

    with pytest.raises(ValidationError) as refused:
        make_link(shop, price_book_id=later.pk)

    assert "not today" in refused.value.message_dict["price_book"][0]
    assert not ConfiguratorLink.objects.for_tenant(shop.deal.tenant).exists()


def test_a_link_for_a_deal_whose_own_book_expired_prices_from_the_default_book(shop):
    expired = dated(shop, starts=-30, ends=-1, name="Winter EUR")
    type(shop.deal).objects.for_tenant(shop.deal.tenant).filter(pk=shop.deal.pk).update(
        price_book=expired
    )

    link = make_link(shop, opportunity_id=shop.deal.pk)

    assert link.price_book_id == shop.book.pk


def test_without_a_deal_an_expired_default_book_makes_no_link(shop):
    yesterday = periods.today(shop.deal.tenant) - datetime.timedelta(days=1)
    record_update(obj=shop.book, by=shop.admin, fields={"valid_until": yesterday})

    with pytest.raises(ValidationError) as refused:
        make_link(shop)

    assert "There is no default active price book in EUR" in refused.value.messages[0]


def test_a_customer_cannot_submit_once_the_links_book_expired(shop):
    link = make_link(shop, opportunity_id=shop.deal.pk)
    yesterday = periods.today(shop.deal.tenant) - datetime.timedelta(days=1)
    record_update(obj=shop.book, by=shop.admin, fields={"valid_until": yesterday})
    link = ConfiguratorLink.objects.for_tenant(shop.deal.tenant).get(pk=link.pk)

    with pytest.raises(ValidationError) as refused:
        services.configurator_link_submit(
            link=link,
            option_ids=shop.car.ids("White", "Fabric"),
            customer_name="Elena Petrova",
            customer_email="elena@example.com",
        )

    assert "no longer valid" in refused.value.messages[0]
    assert (
        ConfiguratorLink.objects.for_tenant(shop.deal.tenant).get(pk=link.pk).submitted_at is None
    )


def test_a_draft_priced_in_a_book_that_expired_since_asks_for_another_book_first(shop):
    winter = dated(shop, starts=-30, ends=None, name="Winter EUR")
    draft = quote_create(by=shop.rep, opportunity=shop.deal, price_book=winter)
    yesterday = periods.today(shop.deal.tenant) - datetime.timedelta(days=1)
    record_update(obj=winter, by=shop.admin, fields={"valid_until": yesterday})

    with pytest.raises(ValidationError) as refused:
        add(shop)

    assert refused.value.message_dict["price_book"] == [
        f"The deal's draft quote {draft.reference} is priced in the price book Winter EUR, "
        "which is not valid today: choose another book on the quote first."
    ]
    assert not draft.lines.exists()
