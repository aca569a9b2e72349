"""Quote services: changes of a draft, approval of large discounts, sending, revisions, the
customer's decision, expiry and the trash."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.formats import date_format

from funia.core import periods
from funia.core.models import AuditEntry, Notification
from funia.core.records import StaleVersion
from funia.customers.models import Contact
from funia.sales import opportunities
from funia.sales.models import Opportunity, Order, Quote
from funia.sales.quotes import selectors, services
from funia.sales.quotes.models import ApprovalStatus, QuoteStatus
from tests import factories

D = Decimal


def reread(quote):
    return Quote.objects.for_tenant(quote.tenant_id, with_deleted=True).get(pk=quote.pk)


def notices(actor, kind):
    return list(Notification.objects.filter(tenant=actor.tenant, user=actor.user, kind=kind))


def expire(quote, days=1):
    """Move the quote's validity date into the past."""
    day = periods.today(quote.tenant) - datetime.timedelta(days=days)
    Quote.objects.for_tenant(quote.tenant_id).filter(pk=quote.pk).update(valid_until=day)
    return reread(quote)


def discounted(shop, discount=20):
    """A draft with one car line at `discount` % (above the 15 % limit when > 15)."""
    quote = shop.quote()
    shop.car_line(quote, "Red", "Leather", "Premium", discount=discount)
    return reread(quote)


# -- changes of a draft -----------------------------------------------------------------------


def test_a_new_price_book_reprices_every_line_with_its_options(shop, admin):
    dealer = factories.price_book(
        admin, name="Dealer EUR", prices={shop.car.product: "20000.00", shop.service: "1000.00"}
    )
    quote = shop.quote()
    shop.car_line(quote, "Red", "Leather", "Premium")

    quote = services.quote_update(by=shop.rep, quote=quote, fields={"price_book_id": dealer.pk})

    line = quote.lines.get()
    # 20,000.00 + 500.00 + 2,000.00 + 10 % of 20,000.00
    assert line.unit_price == D("24500.00")
    assert quote.price_book_id == dealer.pk
    assert quote.subtotal == D("24500.00")


def test_a_price_book_without_a_products_price_is_refused_naming_the_product(shop, admin):
    partial = factories.price_book(admin, name="Cars only", prices={shop.car.product: "1.00"})
    quote = shop.quote()
    shop.service_line(quote)

    with pytest.raises(ValidationError) as refused:
        services.quote_update(by=shop.rep, quote=quote, fields={"price_book_id": partial.pk})

    assert refused.value.message_dict["price_book"] == ["Cars only has no price for Service plan."]
    assert reread(quote).price_book_id == shop.book.pk
    assert quote.lines.get().unit_price == D("1234.56")


def test_a_price_book_in_another_currency_is_refused(shop, admin):
    pounds = factories.price_book(admin, name="UK", currency="GBP", prices={shop.service: 1})
    quote = shop.quote()

    with pytest.raises(ValidationError) as refused:
        services.quote_update(by=shop.rep, quote=quote, fields={"price_book_id": pounds.pk})

    assert "the deal is in EUR" in refused.value.message_dict["price_book"][0]


def test_a_contact_of_another_organisation_is_refused(shop, other_org_records):
    quote = shop.quote()

    with pytest.raises(ValidationError) as refused:
        services.quote_update(
            by=shop.rep,
            quote=quote,
            fields={"contact_id": other_org_records.ids["contact"]},
        )

    assert refused.value.message_dict == {"contact": ["No such contact in this organisation."]}
    assert reread(quote).contact_id == shop.contact.pk


def test_the_recipient_may_be_given_as_a_contact_record(shop, admin):
    colleague = factories.contact(
        admin, first_name="Ivo", account_id=shop.account.pk, owner_id=shop.rep.user.pk
    )
    quote = shop.quote()

    quote = services.quote_update(by=shop.rep, quote=quote, fields={"contact": colleague})

    assert quote.contact_id == colleague.pk


def test_a_validity_date_in_the_past_is_refused(shop):
    quote = shop.quote()
    yesterday = periods.today(quote.tenant) - datetime.timedelta(days=1)

    with pytest.raises(ValidationError) as refused:
        services.quote_update(by=shop.rep, quote=quote, fields={"valid_until": yesterday})

    assert "valid_until" in refused.value.message_dict


def test_a_sent_quote_cannot_be_changed(shop):
    quote = shop.sent_quote()

    with pytest.raises(ValidationError) as refused:
        services.quote_update(by=shop.rep, quote=quote, fields={"title": "Cheaper"})

    assert "revise it" in refused.value.messages[0]


def test_a_configuration_that_breaks_a_rule_adds_no_line(shop):
    quote = shop.quote()

    with pytest.raises(ValidationError) as refused:
        shop.car_line(quote, "Red", "Leather")

    assert refused.value.message_dict["configuration"] == [
        "Leather (Seats) requires Premium (Packages)."
    ]
    assert not quote.lines.exists()


def test_a_rep_cannot_change_another_reps_quote(shop):
    quote = shop.quote()

    with pytest.raises(PermissionDenied):
        services.quote_update(by=shop.other_rep, quote=quote, fields={"title": "Mine"})


def test_an_edit_raises_the_record_version_keeps_the_revision_and_is_audited(shop):
    quote = shop.quote()

    services.quote_update(by=shop.rep, quote=quote, fields={"title": "Roadsters for Balkan"})

    quote = reread(quote)
    assert (quote.version, quote.revision, quote.reference, quote.title) == (
        2,
        1,
        "Q-00001",
        "Roadsters for Balkan",
    )
    entry = (
        AuditEntry.objects.for_tenant(quote.tenant)
        .filter(object_type="sales.quote", object_id=quote.pk)
        .last()
    )
    assert entry.changes["title"] == ["Fleet renewal", "Roadsters for Balkan"]
    assert entry.user_id == shop.rep.user.pk


def test_adding_a_line_is_audited_on_the_quote(shop):
    quote = shop.quote()

    shop.service_line(quote, quantity=2)

    entry = (
        AuditEntry.objects.for_tenant(quote.tenant)
        .filter(object_type="sales.quote", object_id=quote.pk)
        .last()
    )
    assert entry.changes["lines"] == ["", "Service plan × 2 @ 1234.56"]


def test_an_edit_that_changes_nothing_keeps_the_record_version(shop):
    quote = shop.quote(discount_percent=5)
    line = shop.service_line(quote, quantity=2)
    version = reread(quote).version

    services.quote_update(
        by=shop.rep, quote=reread(quote), fields={"discount_percent": 5, "title": "Fleet renewal"}
    )
    services.quote_line_update(by=shop.rep, line=line, quantity=2, discount_percent=0)

    assert reread(quote).version == version


def test_a_stale_if_match_changes_nothing(shop):
    quote = shop.quote()
    stale = quote.etag
    services.quote_update(by=shop.rep, quote=quote, fields={"title": "First"})

    with pytest.raises(StaleVersion):
        services.quote_update(
            by=shop.rep, quote=reread(quote), fields={"title": "Second"}, if_match=stale
        )

    assert (reread(quote).title, reread(quote).version) == ("First", 2)


# -- approval of a discount above the limit ---------------------------------------------------


def test_a_discount_above_the_limit_waits_for_approval(shop):
    quote = discounted(shop, 20)

    assert quote.approval_status == ApprovalStatus.PENDING


def test_a_discount_at_the_limit_needs_no_approval(shop):
    quote = discounted(shop, 15)

    assert quote.approval_status == ApprovalStatus.NOT_NEEDED


def test_a_quote_waiting_for_approval_cannot_be_sent(shop):
    quote = discounted(shop)

    with pytest.raises(ValidationError) as refused:
        services.quote_send(by=shop.rep, quote=quote)

    assert refused.value.messages == [
        "A discount above 15 % needs a sales manager's approval first."
    ]
    assert reread(quote).status == QuoteStatus.DRAFT


def test_asking_for_approval_notifies_the_administrators_and_the_reps_team_manager(shop, org):
    outside_manager = factories.member(org, "sales_manager")
    quote = discounted(shop)

    services.quote_request_approval(by=shop.rep, quote=quote)

    notified = set(
        Notification.objects.filter(tenant=org, kind="quote_approval").values_list(
            "user_id", flat=True
        )
    )
    assert notified == {shop.admin.user.pk, shop.manager.user.pk}
    assert outside_manager.user.pk not in notified
    (notice,) = notices(shop.manager, "quote_approval")
    assert notice.url == f"/quotes/{quote.pk}/"
    assert "Q-00001" in notice.title


def test_the_team_manager_approves_and_the_quote_can_be_sent(shop):
    quote = discounted(shop)
    services.quote_request_approval(by=shop.rep, quote=quote)

    services.quote_approve(by=shop.manager, quote=quote, note="Fleet customer")
    sent = services.quote_send(by=shop.rep, quote=reread(quote))

    assert sent.status == QuoteStatus.SENT
    assert (sent.approval_status, sent.approved_by_id) == (
        ApprovalStatus.APPROVED,
        shop.manager.user.pk,
    )


def test_the_owner_is_told_when_the_discount_is_approved(shop):
    quote = discounted(shop)

    services.quote_approve(by=shop.manager, quote=quote)

    assert len(notices(shop.rep, "quote_approved")) == 1


def test_nobody_approves_their_own_quote_even_an_administrator(shop, admin):
    deal = factories.opportunity(admin, name="Admin's own deal")
    quote = services.quote_create(by=admin, opportunity=deal, discount_percent=30)
    services.quote_line_add(by=admin, quote=quote, product=shop.service)

    with pytest.raises(PermissionDenied) as refused:
        services.quote_approve(by=admin, quote=reread(quote))

    assert "your own quote" in str(refused.value)
    assert reread(quote).approval_status == ApprovalStatus.PENDING


def test_a_rep_cannot_approve_a_discount(shop):
    quote = discounted(shop)

    with pytest.raises(PermissionDenied):
        services.quote_approve(by=shop.other_rep, quote=quote)


def test_a_manager_of_another_team_cannot_approve(shop, org):
    stranger = factories.member(org, "sales_manager")
    factories.team(shop.admin, "Plovdiv", manager=stranger, members=[shop.other_rep])
    quote = discounted(shop)

    with pytest.raises(PermissionDenied):
        services.quote_approve(by=stranger, quote=quote)


def test_a_refusal_needs_a_reason(shop):
    quote = discounted(shop)

    with pytest.raises(ValidationError) as refused:
        services.quote_refuse(by=shop.manager, quote=quote, note=" ")

    assert "note" in refused.value.message_dict


def test_a_refused_discount_cannot_be_sent_and_the_owner_is_told_why(shop):
    quote = discounted(shop)

    services.quote_refuse(by=shop.manager, quote=quote, note="Too generous")

    with pytest.raises(ValidationError):
        services.quote_send(by=shop.rep, quote=reread(quote))
    (notice,) = notices(shop.rep, "quote_refused")
    assert notice.body == "Too generous"


def test_a_changed_discount_still_above_the_limit_needs_approval_again(shop):
    quote = discounted(shop, 20)
    services.quote_approve(by=shop.manager, quote=quote)
    line = quote.lines.get()

    services.quote_line_update(by=shop.rep, line=line, discount_percent=25)

    quote = reread(quote)
    assert (quote.approval_status, quote.approved_by_id) == (ApprovalStatus.PENDING, None)


def test_a_refused_quote_whose_discounts_change_waits_for_approval_again(shop):
    quote = discounted(shop, 30)
    services.quote_refuse(by=shop.manager, quote=quote, note="Too much")

    services.quote_line_update(by=shop.rep, line=quote.lines.get(), discount_percent=20)

    assert reread(quote).approval_status == ApprovalStatus.PENDING


def test_lowering_every_discount_to_the_limit_needs_no_approval(shop):
    quote = discounted(shop, 30)

    services.quote_line_update(by=shop.rep, line=quote.lines.get(), discount_percent=15)

    assert reread(quote).approval_status == ApprovalStatus.NOT_NEEDED


def test_a_change_of_quantity_keeps_an_approved_discount(shop):
    quote = discounted(shop, 20)
    services.quote_approve(by=shop.manager, quote=quote)

    services.quote_line_update(by=shop.rep, line=quote.lines.get(), quantity=3)

    assert reread(quote).approval_status == ApprovalStatus.APPROVED


def test_a_quote_needing_no_approval_cannot_ask_for_it(shop):
    quote = discounted(shop, 5)

    with pytest.raises(ValidationError) as refused:
        services.quote_request_approval(by=shop.rep, quote=quote)

    assert refused.value.messages == ["This quote needs no approval: no discount is above 15 %."]


# -- sending ----------------------------------------------------------------------------------


def test_sending_makes_the_quote_valid_for_30_days_from_today(shop):
    quote = shop.quote()
    shop.service_line(quote)

    sent = services.quote_send(by=shop.rep, quote=quote)

    assert sent.status == QuoteStatus.SENT
    assert sent.sent_at is not None
    assert sent.valid_until == periods.today(sent.tenant) + datetime.timedelta(days=30)


def test_sending_keeps_a_validity_date_the_rep_chose(shop):
    day = periods.today(shop.deal.tenant) + datetime.timedelta(days=7)
    quote = shop.quote(valid_until=day)
    shop.service_line(quote)

    assert services.quote_send(by=shop.rep, quote=quote).valid_until == day


def test_a_quote_without_lines_cannot_be_sent(shop):
    quote = shop.quote()

    with pytest.raises(ValidationError) as refused:
        services.quote_send(by=shop.rep, quote=quote)

    assert refused.value.messages == ["Add at least one line before sending the quote."]


# -- revisions --------------------------------------------------------------------------------


def test_revising_makes_a_new_draft_version_and_keeps_the_old_one(shop):
    old = shop.sent_quote(discount_percent=5)

    new = services.quote_revise(by=shop.rep, quote=old)

    old = reread(old)
    assert (new.number, new.revision, new.reference) == (old.number, 2, "Q-00001 v2")
    assert new.status == QuoteStatus.DRAFT
    assert old.status == QuoteStatus.SENT
    assert old.superseded_by_id == new.pk
    assert new.public_token != old.public_token
    assert [(line.description, line.unit_price, line.quantity) for line in new.lines.all()] == [
        (line.description, line.unit_price, line.quantity) for line in old.lines.all()
    ]
    assert (new.subtotal, new.total) == (old.subtotal, old.total)


def test_a_revision_keeps_the_prices_even_when_the_book_changed_since(shop):
    old = shop.sent_quote()
    shop.book.entries.filter(product=shop.car.product).update(unit_price=D("99999.00"))

    new = services.quote_revise(by=shop.rep, quote=old)

    assert new.lines.get().unit_price == D("35500.00")


def test_only_the_latest_version_can_be_revised(shop):
    old = shop.sent_quote()
    services.quote_revise(by=shop.rep, quote=old)

    with pytest.raises(ValidationError):
        services.quote_revise(by=shop.rep, quote=reread(old))


def test_an_accepted_quote_cannot_be_revised(shop):
    quote = services.quote_accept(shop.sent_quote(), name="Elena Petrova")

    with pytest.raises(ValidationError) as refused:
        services.quote_revise(by=shop.rep, quote=quote)

    assert refused.value.messages == ["An accepted quote cannot be revised."]


# -- the customer's decision ------------------------------------------------------------------


def test_the_customer_accepting_creates_the_order_with_the_quotes_totals(shop):
    quote = shop.sent_quote(discount_percent=5)

    accepted = services.quote_accept(quote, name="  Elena   Petrova ", note="Deliver in May")

    order = Order.objects.for_tenant(quote.tenant).get(quote=accepted)
    assert accepted.status == QuoteStatus.ACCEPTED
    assert accepted.decided_at is not None
    assert (accepted.decided_by_name, accepted.decision_note) == ("Elena Petrova", "Deliver in May")
    assert (order.subtotal, order.discount_total, order.tax_total, order.total) == (
        accepted.subtotal,
        accepted.discount_total,
        accepted.tax_total,
        accepted.total,
    )


def test_the_customer_accepting_sets_the_deals_amount_to_the_net_total(shop):
    quote = shop.sent_quote(discount_percent=5)

    services.quote_accept(quote, name="Elena Petrova")

    deal = Opportunity.objects.for_tenant(quote.tenant).get(pk=shop.deal.pk)
    # 71,000.00 - 5 % = 67,450.00, tax excluded
    assert deal.amount == D("67450.00")


def test_the_deal_amount_stays_when_the_quote_does_not_follow_it(shop):
    quote = shop.sent_quote(update_opportunity_amount=False)

    services.quote_accept(quote, name="Elena Petrova")

    assert Opportunity.objects.for_tenant(quote.tenant).get(pk=shop.deal.pk).amount == D(1000)


def test_a_customers_acceptance_is_recorded_as_the_quotes_owner(shop):
    quote = shop.sent_quote()

    services.quote_accept(quote, name="Elena Petrova")

    entry = (
        AuditEntry.objects.for_tenant(quote.tenant)
        .filter(object_type="sales.quote", object_id=quote.pk)
        .last()
    )
    assert entry.changes["status"] == ["sent", "accepted"]
    assert entry.changes["decided_by_name"] == ["", "Elena Petrova"]
    assert entry.user_id == shop.rep.user.pk


def test_the_owner_is_told_of_the_acceptance_with_the_order(shop):
    quote = shop.sent_quote()

    services.quote_accept(quote, name="Elena Petrova")

    (notice,) = notices(shop.rep, "quote_accepted")
    assert notice.title == "Elena Petrova accepted Q-00001; order O-00001 was created"


def test_accepting_needs_the_customers_typed_name(shop):
    quote = shop.sent_quote()

    with pytest.raises(ValidationError) as refused:
        services.quote_accept(quote, name="   ")

    assert refused.value.message_dict == {"name": ["Type your full name to accept."]}
    assert reread(quote).status == QuoteStatus.SENT


def test_the_customer_rejecting_keeps_the_reason_and_tells_the_owner(shop):
    quote = shop.sent_quote()

    rejected = services.quote_reject(quote, name="Elena", reason="Too expensive")

    assert (rejected.status, rejected.decision_note) == (QuoteStatus.REJECTED, "Too expensive")
    assert not Order.objects.for_tenant(quote.tenant).exists()
    (notice,) = notices(shop.rep, "quote_rejected")
    assert notice.body == "Too expensive"


def test_rejecting_needs_a_reason(shop):
    quote = shop.sent_quote()

    with pytest.raises(ValidationError) as refused:
        services.quote_reject(quote, name="Elena", reason="")

    assert "reason" in refused.value.message_dict


def test_a_rep_records_the_customers_acceptance(shop):
    quote = shop.sent_quote()

    accepted = services.quote_accept(quote, name="Elena Petrova", by=shop.rep)

    assert accepted.status == QuoteStatus.ACCEPTED
    assert Order.objects.for_tenant(quote.tenant).filter(quote=quote).exists()


def test_a_rep_cannot_record_an_answer_for_another_reps_quote(shop):
    quote = shop.sent_quote()

    with pytest.raises(PermissionDenied):
        services.quote_accept(quote, name="Elena Petrova", by=shop.other_rep)


def test_an_expired_quote_is_refused_and_stored_as_expired(shop):
    quote = expire(shop.sent_quote())

    with pytest.raises(ValidationError) as refused:
        services.quote_accept(quote, name="Elena Petrova")

    assert refused.value.messages == [f"This quote expired on {date_format(quote.valid_until)}."]
    assert reread(quote).status == QuoteStatus.EXPIRED
    assert not Order.objects.for_tenant(quote.tenant).exists()


def test_a_quote_valid_until_today_can_still_be_accepted(shop):
    quote = expire(shop.sent_quote(), days=0)

    assert services.quote_accept(quote, name="Elena").status == QuoteStatus.ACCEPTED


def test_a_replaced_quote_cannot_be_accepted(shop):
    old = shop.sent_quote()
    services.quote_revise(by=shop.rep, quote=old)

    with pytest.raises(ValidationError) as refused:
        services.quote_accept(reread(old), name="Elena Petrova")

    assert "replaced by a newer version" in refused.value.messages[0]
    assert reread(old).status == QuoteStatus.SENT


def test_a_draft_cannot_be_accepted(shop):
    quote = shop.quote()
    shop.service_line(quote)

    with pytest.raises(ValidationError):
        services.quote_accept(quote, name="Elena Petrova")


def test_a_decided_quote_cannot_be_decided_again(shop):
    quote = services.quote_reject(shop.sent_quote(), name="", reason="No budget")

    with pytest.raises(ValidationError) as refused:
        services.quote_accept(quote, name="Elena Petrova")

    assert refused.value.messages == ["This quote was declined already."]


# -- expiry as shown --------------------------------------------------------------------------


def test_a_sent_quote_past_its_validity_shows_as_expired(shop):
    quote = expire(shop.sent_quote())

    shown = selectors.quote_get(actor=shop.rep, pk=quote.pk)

    assert shown.status == QuoteStatus.SENT
    assert shown.shown_status == QuoteStatus.EXPIRED
    assert services.effective_status(reread(quote)) == QuoteStatus.EXPIRED


# -- the trash --------------------------------------------------------------------------------


def test_a_draft_goes_to_the_trash_and_comes_back(shop):
    quote = shop.quote()

    services.quote_delete(by=shop.rep, quote=quote)
    assert reread(quote).is_deleted
    restored = services.quote_restore(by=shop.rep, quote=reread(quote))

    assert not restored.is_deleted
    assert (restored.revision, restored.reference) == (1, "Q-00001")


def test_a_sent_quote_cannot_be_deleted(shop):
    quote = shop.sent_quote()

    with pytest.raises(ValidationError):
        services.quote_delete(by=shop.rep, quote=quote)

    assert not reread(quote).is_deleted


def test_deleting_a_revision_makes_the_previous_version_current_again(shop):
    old = shop.sent_quote()
    new = services.quote_revise(by=shop.rep, quote=old)

    services.quote_delete(by=shop.rep, quote=new)

    assert reread(old).is_current
    assert services.quote_accept(reread(old), name="Elena").status == QuoteStatus.ACCEPTED


def test_a_restored_revision_replaces_the_previous_version_again(shop):
    old = shop.sent_quote()
    new = services.quote_revise(by=shop.rep, quote=old)
    services.quote_delete(by=shop.rep, quote=new)

    services.quote_restore(by=shop.rep, quote=reread(new))

    assert reread(old).superseded_by_id == new.pk


# -- who a quote may be addressed to ----------------------------------------------------------


def hidden_contact(shop, admin):
    """A contact of the deal's account that the rep does not see (the administrator's)."""
    return factories.contact(
        admin, first_name="Hidden", account_id=shop.account.pk, owner_id=admin.user.pk
    )


def test_a_contact_the_rep_does_not_see_is_refused_like_a_missing_one(shop, admin):
    quote = shop.quote()
    hidden = hidden_contact(shop, admin)

    with pytest.raises(ValidationError) as refused:
        services.quote_update(by=shop.rep, quote=quote, fields={"contact_id": hidden.pk})
    with pytest.raises(ValidationError) as missing:
        services.quote_update(by=shop.rep, quote=quote, fields={"contact_id": 2**40})

    assert refused.value.message_dict == missing.value.message_dict
    assert refused.value.message_dict == {"contact": ["No such contact in this organisation."]}
    assert reread(quote).contact_id == shop.contact.pk


def test_a_new_quote_for_a_contact_the_rep_does_not_see_is_refused(shop, admin):
    hidden = hidden_contact(shop, admin)

    with pytest.raises(ValidationError) as refused:
        services.quote_create_from_data(
            by=shop.rep, opportunity_id=shop.deal.pk, contact_id=hidden.pk
        )

    assert refused.value.message_dict == {"contact": ["No such contact in this organisation."]}
    assert not Quote.objects.for_tenant(shop.deal.tenant).exists()


def test_the_deals_own_contact_is_a_recipient_even_when_the_rep_does_not_see_it(shop, admin):
    Contact.objects.for_tenant(shop.deal.tenant).filter(pk=shop.contact.pk).update(
        owner_id=admin.user.pk
    )

    quote = services.quote_create_from_data(
        by=shop.rep, opportunity_id=shop.deal.pk, contact_id=shop.contact.pk
    )

    assert quote.contact_id == shop.contact.pk


# -- an approved discount in a revision -------------------------------------------------------


def approved_and_sent(shop, discount=20):
    quote = discounted(shop, discount)
    services.quote_approve(by=shop.manager, quote=quote, note="Fleet customer")
    return services.quote_send(by=shop.rep, quote=reread(quote))


def test_a_revision_with_the_same_discounts_keeps_the_approval(shop):
    old = approved_and_sent(shop)

    new = reread(services.quote_revise(by=shop.rep, quote=old))

    assert (new.approval_status, new.approved_by_id, new.approval_note) == (
        ApprovalStatus.APPROVED,
        shop.manager.user.pk,
        "Fleet customer",
    )
    assert new.approved_at == reread(old).approved_at
    assert services.quote_send(by=shop.rep, quote=new).status == QuoteStatus.SENT


def test_a_revision_whose_discount_rises_needs_approval_again(shop):
    new = services.quote_revise(by=shop.rep, quote=approved_and_sent(shop))

    services.quote_line_update(by=shop.rep, line=new.lines.get(), discount_percent=25)

    assert (reread(new).approval_status, reread(new).approved_by_id) == (
        ApprovalStatus.PENDING,
        None,
    )


# -- price books valid today ------------------------------------------------------------------


def dated_book(shop, admin, *, starts: int, ends: int | None):
    today = periods.today(shop.deal.tenant)
    return factories.price_book(
        admin,
        name="Spring EUR",
        prices={shop.car.product: "25000.00", shop.service: "1000.00"},
        valid_from=today + datetime.timedelta(days=starts),
        valid_until=today + datetime.timedelta(days=ends) if ends is not None else None,
    )


def test_an_expired_price_book_is_refused_naming_its_validity_dates(shop, admin):
    expired = dated_book(shop, admin, starts=-30, ends=-1)
    quote = shop.quote()

    with pytest.raises(ValidationError) as refused:
        services.quote_update(by=shop.rep, quote=quote, fields={"price_book_id": expired.pk})

    start, end = date_format(expired.valid_from), date_format(expired.valid_until)
    assert refused.value.message_dict == {
        "price_book": [
            f"The price book Spring EUR is valid from {start} to {end}, not today: choose a "
            "book valid today."
        ]
    }
    assert reread(quote).price_book_id == shop.book.pk


def test_a_price_book_not_valid_yet_makes_no_quote(shop, admin):
    later = dated_book(shop, admin, starts=5, ends=None)

    with pytest.raises(ValidationError) as refused:
        shop.quote(price_book=later)

    assert "valid from" in refused.value.message_dict["price_book"][0]
    assert not Quote.objects.for_tenant(shop.deal.tenant).exists()


def test_a_deal_whose_own_book_expired_quotes_from_the_default_book(shop, admin):
    expired = dated_book(shop, admin, starts=-30, ends=-1)
    Opportunity.objects.for_tenant(shop.deal.tenant).filter(pk=shop.deal.pk).update(
        price_book=expired
    )
    deal = Opportunity.objects.for_tenant(shop.deal.tenant).get(pk=shop.deal.pk)

    quote = services.quote_create(by=shop.rep, opportunity=deal)

    assert quote.price_book_id == shop.book.pk


# -- quotes follow their deal's owner ---------------------------------------------------------


def test_reassigning_a_deal_moves_its_draft_and_sent_quotes_to_the_new_owner(shop, admin):
    sent = shop.sent_quote()
    draft = shop.quote(title="Second offer")

    opportunities.opportunity_update(
        by=admin, opportunity=shop.deal, fields={"owner_id": shop.other_rep.user.pk}
    )

    assert reread(sent).owner_id == shop.other_rep.user.pk
    assert reread(draft).owner_id == shop.other_rep.user.pk
    # The new owner works on the draft; an edit made on the old owner's copy is stale.
    shop.service_line(reread(draft), by=shop.other_rep)
    with pytest.raises(StaleVersion):
        services.quote_update(
            by=shop.other_rep, quote=draft, fields={"title": "Late"}, if_match=draft.etag
        )


def test_reassigning_a_deal_leaves_its_decided_and_expired_quotes_with_their_owner(shop, admin):
    accepted = shop.sent_quote()
    services.quote_accept(accepted, name="Elena Petrova", by=shop.rep)
    expired = expire(shop.sent_quote())

    opportunities.opportunity_update(
        by=admin, opportunity=shop.deal, fields={"owner_id": shop.other_rep.user.pk}
    )

    assert reread(accepted).owner_id == shop.rep.user.pk
    assert reread(expired).owner_id == shop.rep.user.pk


def test_reassigning_deals_in_bulk_moves_their_open_quotes(shop, admin):
    draft = shop.quote()

    result = opportunities.opportunity_bulk_reassign(
        by=admin, ids=[shop.deal.pk], owner_id=shop.other_rep.user.pk
    )

    assert result.done == [shop.deal.pk]
    assert reread(draft).owner_id == shop.other_rep.user.pk
