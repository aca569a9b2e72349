"""Orders from accepted quotes and direct ones, the status flow and its history, edits, trash."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from funia.core.models import AuditEntry, Role
from funia.sales.models import Order, OrderLine, OrderStatusChange, PriceBook, QuoteLine
from funia.sales.orders import services
from funia.sales.quotes.services import quote_create, quote_line_add
from tests import factories
from tests.conftest import tenant_snapshot
from tests.sales.orders.conftest import accept, direct_order

TOTALS = ("subtotal", "discount_total", "tax_total", "total")


def history_of(order) -> list[tuple[str, str, str]]:
    return list(
        OrderStatusChange.objects.for_tenant(order.tenant_id)
        .filter(order=order)
        .order_by("changed_at", "id")
        .values_list("from_status", "to_status", "note")
    )


def lines_of(order) -> list[OrderLine]:
    return list(OrderLine.objects.for_tenant(order.tenant_id).filter(order=order))


# -- from an accepted quote -------------------------------------------------------------------


def test_an_order_from_a_quote_has_the_quotes_totals_to_the_cent(order, accepted_quote):
    assert order.total > 0 and order.discount_total > 0 and order.tax_total > 0
    assert [getattr(order, name) for name in TOTALS] == [
        getattr(accepted_quote, name) for name in TOTALS
    ]


def test_an_order_from_a_quote_copies_each_line_with_its_amounts_and_options(order, accepted_quote):
    fields = (
        "description",
        "options",
        "quantity",
        "unit_price",
        "discount_percent",
        "tax_rate",
        "gross",
        "line_discount",
        "total",
        "quote_discount",
        "tax",
    )
    quoted = QuoteLine.objects.for_tenant(order.tenant_id).filter(quote=accepted_quote)
    expected = [tuple(getattr(line, f) for f in fields) for line in quoted]
    assert [tuple(getattr(line, f) for f in fields) for line in lines_of(order)] == expected
    assert [line.sku for line in lines_of(order)] == ["CAR-1", "SRV-1"]
    assert [o["name"] for o in lines_of(order)[0].options] == ["Red", "Leather", "Premium", "Sport"]


def test_an_order_from_a_quote_is_for_the_deals_account_and_the_quotes_contact(
    order, accepted_quote, deal, admin
):
    assert (order.account_id, order.contact_id) == (deal.account_id, accepted_quote.contact_id)
    assert (order.opportunity_id, order.quote_id) == (deal.pk, accepted_quote.pk)
    assert (order.owner_id, order.currency) == (accepted_quote.owner_id, accepted_quote.currency)
    assert order.discount_percent == Decimal("5.00")
    assert (order.status, order.reference) == ("new", "O-00001")


def test_a_quote_becomes_one_order_however_often_it_is_accepted(admin, accepted_quote, order):
    again = services.order_from_quote(by=admin, quote=accepted_quote)
    assert again.pk == order.pk
    assert Order.objects.for_tenant(admin.tenant).count() == 1
    assert len(lines_of(order)) == 2


def test_the_first_history_row_names_the_quote(order):
    assert history_of(order) == [("", "new", "From quote Q-00001")]


def test_a_quote_not_accepted_does_not_become_an_order(admin, shop, deal):
    quote = quote_create(by=admin, opportunity=deal, price_book=shop.book)
    quote_line_add(by=admin, quote=quote, product=shop.hour)
    with pytest.raises(ValidationError) as refused:
        services.order_from_quote(by=admin, quote=quote)
    assert "accepted" in refused.value.message_dict["quote"][0]
    assert not Order.objects.for_tenant(admin.tenant).exists()


def test_order_numbers_follow_each_other_in_each_organisation(admin, shop, customer, outsider):
    first = direct_order(admin, shop, account=customer)
    second = direct_order(admin, shop, account=customer)
    services.order_delete(by=admin, order=second)
    third = direct_order(admin, shop, account=customer)
    rival_shop_hour = factories.product(outsider, sku="X", name="X")
    factories.price_book(outsider, prices={rival_shop_hour: 1})
    rival = services.order_create(
        by=outsider,
        account=factories.account(outsider),
        lines=[{"product": rival_shop_hour}],
    )
    assert [first.reference, second.reference, third.reference] == [
        "O-00001",
        "O-00002",
        "O-00003",
    ]
    assert rival.reference == "O-00001"


# -- the status flow --------------------------------------------------------------------------


def test_an_order_moves_forward_with_a_history_row_for_each_move(admin, order):
    for status in ("confirmed", "shipped", "delivered", "invoiced", "paid"):
        order = services.order_set_status(by=admin, order=order, status=status, note=status)
    assert order.status == "paid"
    assert [(f, t) for f, t, _n in history_of(order)] == [
        ("", "new"),
        ("new", "confirmed"),
        ("confirmed", "shipped"),
        ("shipped", "delivered"),
        ("delivered", "invoiced"),
        ("invoiced", "paid"),
    ]


def test_a_move_records_who_made_it_when_and_the_note(admin, order):
    services.order_set_status(by=admin, order=order, status="confirmed", note="By phone")
    change = OrderStatusChange.objects.for_tenant(admin.tenant).filter(order=order).last()
    assert (change.changed_by_id, change.note) == (admin.user.pk, "By phone")
    assert change.changed_at.tzinfo is not None


def test_a_service_order_may_skip_from_confirmed_to_invoiced(admin, order):
    order = services.order_set_status(by=admin, order=order, status="confirmed")
    order = services.order_set_status(by=admin, order=order, status="invoiced")
    assert order.status == "invoiced"


def test_an_order_does_not_move_backwards_and_is_told_where_it_can_go(admin, order):
    order = services.order_set_status(by=admin, order=order, status="shipped")
    with pytest.raises(ValidationError) as refused:
        services.order_set_status(by=admin, order=order, status="confirmed")
    message = refused.value.message_dict["status"][0]
    assert "forward" in message
    assert "delivered, invoiced, paid, cancelled" in message


@pytest.mark.parametrize("steps", [[], ["confirmed"], ["shipped"]])
def test_a_new_confirmed_or_shipped_order_can_be_cancelled(admin, order, steps):
    for status in steps:
        order = services.order_set_status(by=admin, order=order, status=status)
    order = services.order_set_status(by=admin, order=order, status="cancelled", note="Too late")
    assert order.status == "cancelled"
    assert history_of(order)[-1][1:] == ("cancelled", "Too late")


@pytest.mark.parametrize("status", ["delivered", "invoiced"])
def test_a_delivered_or_invoiced_order_cannot_be_cancelled(admin, order, status):
    order = services.order_set_status(by=admin, order=order, status=status)
    with pytest.raises(ValidationError) as refused:
        services.order_set_status(by=admin, order=order, status="cancelled")
    assert "cannot be cancelled" in refused.value.message_dict["status"][0]


@pytest.mark.parametrize("final", ["paid", "cancelled"])
def test_nothing_follows_a_paid_or_cancelled_order(admin, order, final):
    order = services.order_set_status(by=admin, order=order, status=final)
    for status in ("new", "confirmed", "paid", "cancelled"):
        with pytest.raises(ValidationError):
            services.order_set_status(by=admin, order=order, status=status)
    assert services.next_statuses(final) == []


def test_a_refused_move_changes_nothing(admin, order):
    order = services.order_set_status(by=admin, order=order, status="delivered")
    before = tenant_snapshot(admin.tenant)
    with pytest.raises(ValidationError):
        services.order_set_status(by=admin, order=order, status="shipped")
    assert tenant_snapshot(admin.tenant) == before


def test_an_unknown_status_is_refused_naming_the_choices(admin, order):
    with pytest.raises(ValidationError) as refused:
        services.order_set_status(by=admin, order=order, status="lost")
    assert "confirmed" in refused.value.message_dict["status"][0]


def test_a_move_of_status_is_in_the_audit_trail(admin, order):
    services.order_set_status(by=admin, order=order, status="confirmed")
    entry = AuditEntry.objects.for_tenant(admin.tenant).filter(
        object_type="sales.order", object_id=order.pk, action="update"
    )
    assert entry.get().changes == {"status": ["new", "confirmed"]}


def test_a_rep_moves_their_own_orders_but_not_others(admin, rep, shop, customer):
    theirs = direct_order(admin, shop, account=customer)
    mine = direct_order(rep, shop, account=factories.account(rep, name="Rep's customer"))
    services.order_set_status(by=rep, order=mine, status="confirmed")
    with pytest.raises(PermissionDenied):
        services.order_set_status(by=rep, order=theirs, status="confirmed")


def test_an_analyst_may_not_move_an_order(analyst, order):
    with pytest.raises(PermissionDenied):
        services.order_set_status(by=analyst, order=order, status="confirmed")


def test_an_order_in_the_trash_does_not_move(admin, order):
    order = services.order_delete(by=admin, order=order)
    with pytest.raises(ValidationError):
        services.order_set_status(by=admin, order=order, status="confirmed")


# -- direct orders ----------------------------------------------------------------------------


def test_a_direct_order_is_priced_from_the_default_price_book(admin, shop, customer):
    order = direct_order(admin, shop, account=customer, quantity=Decimal("2.5"))
    (line,) = lines_of(order)
    assert (line.unit_price, line.gross, line.tax) == (
        Decimal("85.50"),
        Decimal("213.75"),
        Decimal("42.75"),
    )
    assert (order.subtotal, order.tax_total, order.total) == (
        Decimal("213.75"),
        Decimal("42.75"),
        Decimal("256.50"),
    )
    assert (line.sku, line.description, line.tax_rate) == ("SRV-1", "Service hour", Decimal(20))
    assert order.owner_id == admin.user.pk
    assert history_of(order) == [("", "new", "")]


def test_a_direct_order_uses_the_price_book_it_names(admin, shop, customer):
    special = factories.price_book(admin, name="Partners", prices={shop.hour: "70.00"})
    order = direct_order(admin, shop, account=customer, price_book=special)
    assert lines_of(order)[0].unit_price == Decimal("70.00")


def test_a_line_with_its_own_unit_price_keeps_it(admin, shop, customer):
    order = services.order_create(
        by=admin,
        account=customer,
        lines=[
            {
                "product": shop.hour,
                "quantity": 2,
                "unit_price": Decimal("60"),
                "description": "Weekend work",
            }
        ],
    )
    (line,) = lines_of(order)
    assert (line.unit_price, line.description, order.subtotal) == (
        Decimal("60.00"),
        "Weekend work",
        Decimal("120.00"),
    )


def test_the_order_discount_and_line_discounts_are_computed_by_pricing(admin, shop, customer):
    order = services.order_create(
        by=admin,
        account=customer,
        discount_percent=Decimal("10"),
        lines=[{"product": shop.hour, "quantity": 3, "discount_percent": Decimal("5")}],
    )
    # 3 x 85.50 = 256.50; 5 % = 12.83 (half up); 243.67; 10 % = 24.37; tax 20 % of 219.30
    (line,) = lines_of(order)
    assert (line.gross, line.line_discount, line.total, line.quote_discount, line.tax) == (
        Decimal("256.50"),
        Decimal("12.83"),
        Decimal("243.67"),
        Decimal("24.37"),
        Decimal("43.86"),
    )
    assert (order.discount_total, order.total) == (Decimal("37.20"), Decimal("263.16"))


def test_a_configurable_product_is_ordered_in_its_default_configuration(admin, shop, customer):
    order = services.order_create(by=admin, account=customer, lines=[{"product": shop.car.product}])
    (line,) = lines_of(order)
    assert line.unit_price == Decimal("30000.00")
    assert line.description == "Roadster (Colour: White, Seats: Fabric)"
    assert [o["name"] for o in line.options] == ["White", "Fabric"]


def test_a_deal_gives_the_order_its_account_and_owner(admin, rep, shop, customer):
    factories.pipeline(admin)
    deal = factories.opportunity(admin, account_id=customer.pk, owner_id=rep.user.pk)
    order = direct_order(admin, shop, opportunity=deal)
    assert (order.account_id, order.owner_id, order.opportunity_id) == (
        customer.pk,
        rep.user.pk,
        deal.pk,
    )


def test_a_direct_order_for_an_account_belongs_to_the_accounts_owner(admin, rep, shop):
    theirs = factories.account(admin, name="Rep's customer", owner_id=rep.user.pk)
    order = direct_order(admin, shop, account=theirs)
    assert order.owner_id == rep.user.pk


def test_a_direct_order_for_a_contact_alone_belongs_to_the_contacts_owner(admin, rep, shop):
    person = factories.contact(admin, last_name="Georgieva", owner_id=rep.user.pk)
    order = direct_order(admin, shop, contact=person)
    assert order.owner_id == rep.user.pk


def test_a_direct_order_for_a_customer_without_owner_belongs_to_its_maker(admin, shop):
    nobodys = factories.account(admin, name="Unassigned Ltd", owner_id=None)
    colleague = factories.member(admin.tenant, Role.ADMIN)
    order = direct_order(colleague, shop, account=nobodys)
    assert order.owner_id == colleague.user.pk


def test_a_price_book_not_valid_on_the_order_date_is_refused_naming_its_validity(
    admin, shop, customer
):
    season = factories.price_book(
        admin,
        name="Summer 2025",
        prices={shop.hour: "70.00"},
        valid_from=datetime.date(2025, 6, 1),
        valid_until=datetime.date(2025, 8, 31),
    )
    with pytest.raises(ValidationError) as refused:
        direct_order(
            admin, shop, account=customer, price_book=season, ordered_on=datetime.date(2025, 9, 1)
        )
    assert refused.value.message_dict == {
        "price_book": [
            "The price book Summer 2025 is valid from 2025-06-01 to 2025-08-31, "
            "not on the order date 2025-09-01."
        ]
    }
    assert not Order.objects.for_tenant(admin.tenant).exists()


def test_a_price_book_is_used_on_an_order_dated_within_its_validity(admin, shop, customer):
    season = factories.price_book(
        admin,
        name="Summer 2025",
        prices={shop.hour: "70.00"},
        valid_from=datetime.date(2025, 6, 1),
        valid_until=datetime.date(2025, 8, 31),
    )
    order = direct_order(
        admin, shop, account=customer, price_book=season, ordered_on=datetime.date(2025, 8, 31)
    )
    assert lines_of(order)[0].unit_price == Decimal("70.00")


def test_an_inactive_price_book_is_refused(admin, shop, customer):
    retired = factories.price_book(
        admin, name="Old list", prices={shop.hour: "60.00"}, is_active=False
    )
    with pytest.raises(ValidationError) as refused:
        direct_order(admin, shop, account=customer, price_book=retired)
    assert refused.value.message_dict == {"price_book": ["The price book Old list is not active."]}


def test_without_a_book_the_order_is_priced_from_the_one_valid_on_its_date(admin, shop, customer):
    PriceBook.objects.for_tenant(admin.tenant).filter(pk=shop.book.pk).update(
        valid_until=datetime.date(2025, 12, 31)
    )
    factories.price_book(
        admin,
        name="Prices 2026",
        prices={shop.hour: "90.00"},
        valid_from=datetime.date(2026, 1, 1),
    )
    old = direct_order(admin, shop, account=customer, ordered_on=datetime.date(2025, 12, 31))
    new = direct_order(admin, shop, account=customer, ordered_on=datetime.date(2026, 1, 2))
    assert lines_of(old)[0].unit_price == Decimal("85.50")
    assert lines_of(new)[0].unit_price == Decimal("90.00")


def test_a_deals_price_book_expired_on_the_order_date_gives_way_to_the_default_one(
    admin, shop, customer
):
    expired = factories.price_book(
        admin,
        name="Fleet deal prices",
        prices={shop.hour: "60.00"},
        valid_until=datetime.date(2025, 3, 31),
    )
    factories.pipeline(admin)
    deal = factories.opportunity(admin, account_id=customer.pk, price_book_id=expired.pk)
    during = direct_order(admin, shop, opportunity=deal, ordered_on=datetime.date(2025, 3, 31))
    after = direct_order(admin, shop, opportunity=deal, ordered_on=datetime.date(2025, 4, 1))
    assert lines_of(during)[0].unit_price == Decimal("60.00")
    assert lines_of(after)[0].unit_price == Decimal("85.50")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"lines": []}, "lines"),
        ({"account": None}, "account"),
        ({"discount_percent": Decimal("101")}, "discount_percent"),
        ({"currency": "euro"}, "currency"),
        ({"lines": [{"product": 2**40}]}, "lines.0.product"),
        ({"lines": [{"product": "hour", "quantity": 0}]}, "lines.0.quantity"),
        ({"lines": [{"product": "hour", "quantity": Decimal("0.0001")}]}, "lines.0.quantity"),
        ({"lines": [{"product": "hour", "discount_percent": -1}]}, "lines.0.discount_percent"),
        ({"lines": [{"product": "hour", "unit_price": Decimal("1.005")}]}, "lines.0.unit_price"),
        ({"lines": [{"product": "hour", "total": 1}]}, "lines.0.total"),
    ],
)
def test_an_invalid_direct_order_is_refused_naming_the_field(admin, shop, customer, fields, field):
    data = {"account": customer, "lines": [{"product": shop.hour}]} | fields
    data["lines"] = [
        line | ({"product": shop.hour} if line.get("product") == "hour" else {})
        for line in data["lines"]
    ]
    with pytest.raises(ValidationError) as refused:
        services.order_create(by=admin, **data)
    assert field in refused.value.message_dict
    assert not Order.objects.for_tenant(admin.tenant).exists()


def test_another_organisations_account_is_refused_like_a_missing_one(
    admin, shop, other_org_records
):
    theirs = other_org_records.ids["account"]
    for pk in (theirs, 2**40):
        with pytest.raises(ValidationError) as refused:
            direct_order(admin, shop, account=pk)
        assert refused.value.message_dict == {"account": ["No such account in this organisation."]}


def test_another_organisations_product_is_refused(admin, shop, customer, other_org_records):
    with pytest.raises(ValidationError) as refused:
        services.order_create(
            by=admin, account=customer, lines=[{"product": other_org_records.ids["product"]}]
        )
    assert "lines.0.product" in refused.value.message_dict


def test_a_product_without_a_price_in_the_book_asks_for_its_unit_price(admin, shop, customer):
    unpriced = factories.product(admin, sku="NEW-1", name="Brand new")
    with pytest.raises(ValidationError) as refused:
        services.order_create(by=admin, account=customer, lines=[{"product": unpriced}])
    assert "give the unit price" in refused.value.message_dict["lines.0.product"][0]


def test_without_a_price_book_in_the_currency_each_line_needs_its_price(admin, shop, customer):
    with pytest.raises(ValidationError) as refused:
        direct_order(admin, shop, account=customer, currency="USD")
    assert "no active price book in USD" in refused.value.message_dict["price_book"][0]
    order = services.order_create(
        by=admin,
        account=customer,
        currency="usd",
        lines=[{"product": shop.hour, "unit_price": Decimal("99")}],
    )
    assert (order.currency, order.total) == ("USD", Decimal("118.80"))


def test_a_rep_cannot_order_for_an_account_they_do_not_see(admin, rep, shop, customer):
    with pytest.raises(ValidationError) as refused:
        direct_order(rep, shop, account=customer)
    assert "account" in refused.value.message_dict


def test_an_analyst_may_not_create_an_order(analyst, shop, customer):
    with pytest.raises(PermissionDenied):
        direct_order(analyst, shop, account=customer)


def test_an_order_too_large_for_its_columns_is_refused(admin, shop, customer):
    with pytest.raises(ValidationError) as refused:
        services.order_create(
            by=admin,
            account=customer,
            lines=[
                {
                    "product": shop.hour,
                    "quantity": Decimal("999999999"),
                    "unit_price": Decimal("999999999999.99"),
                }
            ],
        )
    assert "too large" in refused.value.message_dict["lines"][0]


def test_a_quantity_of_a_billion_is_refused_saying_the_limit(admin, shop, customer):
    with pytest.raises(ValidationError) as refused:
        services.order_create(
            by=admin, account=customer, lines=[{"product": shop.hour, "quantity": 10**9}]
        )
    assert refused.value.message_dict == {
        "lines.0.quantity": [
            "Give a quantity above zero and below a billion, with at most three decimals."
        ]
    }


# -- edits and the trash ----------------------------------------------------------------------


def test_the_notes_date_contact_and_external_number_of_an_order_change(admin, order, buyer):
    other = factories.contact(admin, first_name="Petar", last_name="Georgiev")
    changed = services.order_update(
        by=admin,
        order=order,
        fields={
            "notes": "Deliver to the back door",
            "ordered_on": datetime.date(2025, 3, 1),
            "contact_id": other.pk,
            "external_ref": "ERP-1001",
        },
    )
    assert (changed.notes, changed.ordered_on, changed.contact_id, changed.external_ref) == (
        "Deliver to the back door",
        datetime.date(2025, 3, 1),
        other.pk,
        "ERP-1001",
    )
    assert changed.total == order.total and changed.version == order.version + 1


def test_the_lines_and_totals_of_an_order_are_not_edited(admin, order):
    with pytest.raises(ValidationError) as refused:
        services.order_update(by=admin, order=order, fields={"total": Decimal(1)})
    assert refused.value.message_dict == {"total": ["Unknown field."]}


def test_an_external_number_belongs_to_one_order(admin, shop, customer):
    first = direct_order(admin, shop, account=customer, external_ref="ERP-7")
    second = direct_order(admin, shop, account=customer)
    with pytest.raises(ValidationError) as refused:
        services.order_update(by=admin, order=second, fields={"external_ref": "ERP-7"})
    assert first.reference in refused.value.message_dict["external_ref"][0]


def test_only_administrators_move_orders_to_the_trash_and_back(admin, manager, order):
    with pytest.raises(PermissionDenied):
        services.order_delete(by=manager, order=order)
    trashed = services.order_delete(by=admin, order=order)
    assert trashed.is_deleted
    with pytest.raises(PermissionDenied):
        services.order_restore(by=manager, order=trashed)
    assert not services.order_restore(by=admin, order=trashed).is_deleted


def test_a_quote_whose_order_is_in_the_trash_gets_no_second_order(admin, order, accepted_quote):
    services.order_delete(by=admin, order=order)
    again = services.order_from_quote(by=admin, quote=accepted_quote)
    assert again.pk == order.pk
    assert Order.objects.for_tenant(admin.tenant, with_deleted=True).count() == 1


def test_a_second_quote_of_the_same_deal_becomes_a_second_order(admin, shop, deal, order):
    second = quote_create(by=admin, opportunity=deal, price_book=shop.book)
    quote_line_add(by=admin, quote=second, product=shop.hour)
    another = services.order_from_quote(by=admin, quote=accept(second))
    assert another.reference == "O-00002" and another.total == second.total
