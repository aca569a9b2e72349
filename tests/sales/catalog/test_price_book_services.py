"""Writes of price books (validity, the default of each currency, prices) and the book a
deal in a currency uses on a day."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from funia.core.models import AuditEntry
from funia.sales.catalog import selectors, services
from funia.sales.catalog.models import PriceBook, PriceBookEntry
from tests import factories
from tests.conftest import tenant_snapshot

DAY = datetime.date(2026, 3, 15)


def book(admin, name="Standard", **fields):
    return services.price_book_create(by=admin, name=name, **fields)


def prices(price_book) -> dict[str, Decimal]:
    return {
        e.product.sku: e.unit_price
        for e in PriceBookEntry.objects.for_tenant(price_book.tenant).filter(price_book=price_book)
    }


def test_a_price_book_is_created_with_its_prices(admin):
    hour = factories.product(admin, sku="H-1")
    day = factories.product(admin, sku="D-1")
    created = book(
        admin,
        currency="eur",
        valid_from=DAY,
        entries=[{"product": hour.pk, "unit_price": "80"}, {"product": day, "unit_price": 600}],
    )
    assert created.currency == "EUR"
    assert prices(created) == {"H-1": Decimal("80.00"), "D-1": Decimal("600.00")}


def test_the_currency_defaults_to_the_organisations(admin):
    assert book(admin).currency == admin.tenant.currency


@pytest.mark.parametrize("currency", ["EURO", "E1R", ""])
def test_a_currency_that_is_not_an_iso_code_is_refused(admin, currency):
    with pytest.raises(ValidationError) as exc:
        book(admin, currency=currency or " ")
    assert exc.value.message_dict["currency"] == ["Use a three-letter ISO 4217 code, e.g. EUR."]


def test_a_book_cannot_end_before_it_starts(admin):
    with pytest.raises(ValidationError) as exc:
        book(admin, valid_from=DAY, valid_until=DAY - datetime.timedelta(days=1))
    assert exc.value.message_dict["valid_until"] == ["The price book cannot end before it starts."]


def test_a_book_may_last_one_day(admin):
    assert book(admin, valid_from=DAY, valid_until=DAY).valid_until == DAY


def test_a_new_end_is_checked_against_the_stored_start(admin):
    created = book(admin, valid_from=DAY)
    with pytest.raises(ValidationError):
        services.price_book_update(
            by=admin, price_book=created, fields={"valid_until": datetime.date(2026, 1, 1)}
        )


def test_setting_a_default_clears_the_other_default_of_its_currency_only(admin):
    eur_old = book(admin, "Old EUR", currency="EUR", is_default=True)
    usd = book(admin, "USD list", currency="USD", is_default=True)
    eur_new = book(admin, "New EUR", currency="EUR", is_default=True)
    for record in (eur_old, usd, eur_new):
        record.refresh_from_db()
    assert (eur_old.is_default, usd.is_default, eur_new.is_default) == (False, True, True)
    # The change of the old default is versioned and audited like any other.
    assert eur_old.version == 2
    assert (
        AuditEntry.objects.for_tenant(admin.tenant)
        .filter(object_id=eur_old.pk, object_type="sales.pricebook", action="update")
        .exists()
    )


def test_moving_a_default_book_to_another_currency_clears_that_currencys_default(admin):
    usd = book(admin, "USD list", currency="USD", is_default=True)
    eur = book(admin, "EUR list", currency="EUR", is_default=True)
    services.price_book_update(by=admin, price_book=eur, fields={"currency": "USD"})
    usd.refresh_from_db()
    assert usd.is_default is False


def test_a_restored_default_gives_way_to_the_current_default(admin):
    first = book(admin, "First", currency="EUR", is_default=True)
    services.price_book_delete(by=admin, price_book=first)
    second = book(admin, "Second", currency="EUR", is_default=True)
    restored = services.price_book_restore(by=admin, price_book=first)
    second.refresh_from_db()
    assert (restored.is_default, second.is_default) == (False, True)


def test_given_entries_replace_the_books_prices(admin):
    a, b, c = (factories.product(admin, sku=s) for s in ("A", "B", "C"))
    created = book(
        admin,
        entries=[{"product": a.pk, "unit_price": "1"}, {"product": b.pk, "unit_price": "2"}],
    )
    kept_entry = PriceBookEntry.objects.for_tenant(admin.tenant).get(product=b)
    updated = services.price_book_update(
        by=admin,
        price_book=created,
        fields={
            "entries": [{"product": b.pk, "unit_price": "2.50"}, {"product": c.pk, "unit_price": 3}]
        },
    )
    assert prices(updated) == {"B": Decimal("2.50"), "C": Decimal("3.00")}
    assert PriceBookEntry.objects.for_tenant(admin.tenant).get(product=b).pk == kept_entry.pk
    assert updated.version == 2
    change = AuditEntry.objects.for_tenant(admin.tenant).filter(object_id=created.pk).last()
    assert change.changes["prices"] == [
        [["A", "1.00"], ["B", "2.00"]],
        [["B", "2.50"], ["C", "3.00"]],
    ]


def test_the_price_of_a_trashed_product_stays_for_its_restore(admin):
    kept = factories.product(admin, sku="KEPT")
    trashed = factories.product(admin, sku="GONE")
    created = book(
        admin,
        entries=[
            {"product": kept.pk, "unit_price": "1"},
            {"product": trashed.pk, "unit_price": "2"},
        ],
    )
    services.product_delete(by=admin, product=trashed)
    services.price_book_update(
        by=admin, price_book=created, fields={"entries": [{"product": kept.pk, "unit_price": 5}]}
    )
    assert prices(created) == {"KEPT": Decimal("5.00"), "GONE": Decimal("2.00")}
    assert [e.product.sku for e in selectors.live_entries_of(created)] == ["KEPT"]


@pytest.mark.parametrize(
    ("entry", "field", "message"),
    [
        ({"unit_price": "-1"}, "entries.0.unit_price", "A unit price is an amount from 0"),
        ({"unit_price": "1.001"}, "entries.0.unit_price", "At most two decimals."),
        ({"unit_price": None}, "entries.0.unit_price", "A unit price is an amount from 0"),
        ({"product": 2**40}, "entries.0.product", "is not a product of your organisation"),
        ({"product": "1"}, "entries.0.product", "Give the product's id."),
    ],
)
def test_invalid_prices_are_refused_naming_the_entry(admin, entry, field, message):
    product = factories.product(admin)
    with pytest.raises(ValidationError) as exc:
        book(admin, entries=[{"product": product.pk, "unit_price": "10"} | entry])
    assert message in " ".join(exc.value.message_dict[field])
    assert not PriceBook.objects.for_tenant(admin.tenant).exists()


def test_a_product_of_another_organisation_is_refused_like_a_missing_one(admin, outsider):
    theirs = factories.product(outsider, sku="THEIRS")
    with pytest.raises(ValidationError) as exc:
        book(admin, entries=[{"product": theirs.pk, "unit_price": "1"}])
    assert exc.value.message_dict["entries.0.product"] == [
        f"Product {theirs.pk} is not a product of your organisation (or it is in the trash)."
    ]


def test_a_trashed_product_gets_no_new_price(admin):
    product = factories.product(admin)
    services.product_delete(by=admin, product=product)
    with pytest.raises(ValidationError) as exc:
        book(admin, entries=[{"product": product.pk, "unit_price": "1"}])
    assert "entries.0.product" in exc.value.message_dict


def test_one_price_per_product(admin):
    product = factories.product(admin, name="Hour")
    with pytest.raises(ValidationError) as exc:
        book(
            admin,
            entries=[
                {"product": product.pk, "unit_price": "1"},
                {"product": product.pk, "unit_price": "2"},
            ],
        )
    assert exc.value.message_dict["entries.1.product"] == [
        f"{product} has two prices: give one price per product."
    ]


def test_the_entries_editor_sets_and_removes_one_price(admin):
    a, b = factories.product(admin, sku="A"), factories.product(admin, sku="B")
    created = book(admin, entries=[{"product": a.pk, "unit_price": "1"}])
    services.price_book_entry_set(by=admin, price_book=created, product_id=b.pk, unit_price="7")
    services.price_book_entry_set(by=admin, price_book=created, product_id=a.pk, unit_price="2")
    assert prices(created) == {"A": Decimal("2.00"), "B": Decimal("7.00")}
    services.price_book_entry_remove(by=admin, price_book=created, product_id=a.pk)
    assert prices(created) == {"B": Decimal("7.00")}


@pytest.mark.parametrize("role", ["sales_rep", "sales_manager", "analyst"])
def test_only_administrators_write_price_books(admin, role):
    product = factories.product(admin)
    created = book(admin, entries=[{"product": product.pk, "unit_price": "1"}])
    other = factories.member(admin.tenant, role)
    before = tenant_snapshot(admin.tenant)
    for write in (
        lambda: book(other, "Mine"),
        lambda: services.price_book_update(by=other, price_book=created, fields={"name": "x"}),
        lambda: services.price_book_delete(by=other, price_book=created),
        lambda: services.price_book_entry_set(
            by=other, price_book=created, product_id=product.pk, unit_price="0"
        ),
    ):
        with pytest.raises(PermissionDenied):
            write()
    assert tenant_snapshot(admin.tenant) == before


# -- the book of a currency on a day -----------------------------------------------------


def test_the_default_book_of_the_currency_valid_that_day_is_used(admin):
    book(admin, "A list", currency="EUR")
    default = book(admin, "Z default", currency="EUR", is_default=True)
    assert selectors.price_book_for(admin.tenant, "EUR", on=DAY) == default


def test_without_a_valid_default_the_first_valid_book_by_name_is_used(admin):
    book(admin, "Z default", currency="EUR", is_default=True, valid_until=DAY.replace(day=1))
    beta = book(admin, "Beta", currency="EUR")
    book(admin, "Alpha", currency="EUR", is_active=False)
    book(admin, "Aardvark", currency="USD")
    assert selectors.price_book_for(admin.tenant, "eur", on=DAY) == beta


@pytest.mark.parametrize(
    ("valid_from", "valid_until", "found"),
    [
        (DAY, DAY, True),
        (DAY + datetime.timedelta(days=1), None, False),
        (None, DAY - datetime.timedelta(days=1), False),
        (None, None, True),
    ],
)
def test_a_book_is_used_only_within_its_dates(admin, valid_from, valid_until, found):
    created = book(admin, currency="EUR", valid_from=valid_from, valid_until=valid_until)
    expected = created if found else None
    assert selectors.price_book_for(admin.tenant, "EUR", on=DAY) == expected


def test_trashed_books_and_other_organisations_books_are_never_used(admin, outsider):
    trashed = book(admin, currency="EUR", is_default=True)
    services.price_book_delete(by=admin, price_book=trashed)
    book(outsider, currency="EUR", is_default=True)
    assert selectors.price_book_for(admin.tenant, "EUR", on=DAY) is None


def test_the_day_defaults_to_today_in_the_organisations_time_zone(admin):
    from funia.core import periods

    today = periods.today(admin.tenant)
    book(admin, "Ended", currency="EUR", is_default=True, valid_until=today - datetime.timedelta(1))
    current = book(admin, "Current", currency="EUR", valid_from=today)
    assert selectors.price_book_for(admin.tenant, "EUR") == current
