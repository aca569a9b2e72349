"""The configurator's rules and prices: `configure` with the Roadster of tests/factories.py
(Colour: White / Red +500; Seats: Fabric / Leather +2,000 requiring Premium; Packages:
Premium +10 % of the base price, Sport +1,500 excluding Eco, Eco -300)."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from funia.sales import pipelines
from funia.sales.catalog.configurator import configure, option_effects, option_groups
from funia.sales.models import Option
from tests import factories
from tests.sales.configurator.conftest import BASE


@pytest.fixture
def car(admin):
    return factories.configurable_car(admin)


@pytest.fixture
def book(admin, car):
    return factories.price_book(admin, prices={car.product: BASE}, is_default=True)


def configured(car, book, *names):
    return configure(product=car.product, price_book=book, option_ids=car.ids(*names))


def messages(configuration) -> list[str]:
    return [violation.message for violation in configuration.violations]


def test_no_options_given_means_the_products_defaults(car, book):
    configuration = configure(product=car.product, price_book=book, option_ids=None)

    assert configuration.valid
    assert [option.name for option in configuration.options] == ["White", "Fabric"]
    assert configuration.unit_price == Decimal("30000.00")


def test_leather_without_premium_is_refused_with_a_message_naming_both(car, book):
    configuration = configured(car, book, "White", "Leather")

    assert not configuration.valid
    assert [v.rule for v in configuration.violations] == ["requires"]
    assert messages(configuration) == ["Leather (Seats) requires Premium (Packages)."]


def test_leather_with_premium_is_valid(car, book):
    assert configured(car, book, "White", "Leather", "Premium").valid


def test_sport_and_eco_together_are_reported_once(car, book):
    configuration = configured(car, book, "White", "Fabric", "Sport", "Eco")

    assert [v.rule for v in configuration.violations] == ["excludes"]
    assert messages(configuration) == ["Sport (Packages) cannot be combined with Eco (Packages)."]


def test_an_exclusion_stated_both_ways_is_still_reported_once(car, book):
    car.options["Eco"].excludes.add(car.options["Sport"])

    configuration = configured(car, book, "White", "Fabric", "Eco", "Sport")

    assert len(configuration.violations) == 1


def test_two_choices_in_a_single_choice_group_are_refused(car, book):
    configuration = configured(car, book, "White", "Red", "Fabric")

    assert [v.rule for v in configuration.violations] == ["single"]
    assert messages(configuration) == ["Choose only one Colour: White or Red."]


def test_a_required_group_left_empty_is_refused(car, book):
    configuration = configured(car, book, "White")

    assert [v.rule for v in configuration.violations] == ["required"]
    assert messages(configuration) == ["Choose an option for Seats."]


def test_an_optional_group_may_stay_empty(car, book):
    assert configured(car, book, "Red", "Fabric").valid


def test_an_option_of_another_product_is_refused_as_unknown(admin, car, book):
    other = factories.configurable_car(admin, sku="CAR-2", name="Coupe")
    foreign = other.options["Red"].pk

    configuration = configure(
        product=car.product, price_book=book, option_ids=[*car.ids("White", "Fabric"), foreign]
    )

    assert [v.rule for v in configuration.violations] == ["unknown"]
    assert messages(configuration) == [f"These options are not options of Roadster: {foreign}."]
    assert configuration.option_ids == car.ids("White", "Fabric")


def test_a_product_without_a_price_in_the_book_cannot_be_priced(admin, car):
    empty = factories.price_book(admin, name="Empty")

    configuration = configure(product=car.product, price_book=empty, option_ids=None)

    assert [v.rule for v in configuration.violations] == ["price"]
    assert messages(configuration) == ["Roadster has no price in the price book Empty."]
    assert configuration.unit_price is None


def test_red_leather_premium_on_a_30000_base_costs_35500(car, book):
    configuration = configured(car, book, "Red", "Leather", "Premium")

    assert configuration.valid
    assert [(o.name, o.price_adjustment) for o in configuration.options] == [
        ("Red", Decimal("500.00")),
        ("Leather", Decimal("2000.00")),
        ("Premium", Decimal("3000.00")),
    ]
    assert configuration.base_price == Decimal("30000.00")
    assert configuration.unit_price == Decimal("35500.00")


def test_a_negative_adjustment_lowers_the_price(car, book):
    configuration = configured(car, book, "White", "Fabric", "Eco")

    assert configuration.unit_price == Decimal("29700.00")


def test_a_configuration_that_would_cost_less_than_nothing_is_refused(admin, car):
    cheap = factories.price_book(admin, name="Cheap", prices={car.product: Decimal("100.00")})

    configuration = configured(car, cheap, "White", "Fabric", "Eco")

    assert not configuration.valid
    assert [v.rule for v in configuration.violations] == ["price"]
    assert messages(configuration) == [
        "This configuration would cost less than nothing (-200.00 EUR): check the options' "
        "price adjustments."
    ]


def test_a_configuration_priced_at_a_trillion_or_more_is_refused_as_too_large(admin, car):
    dear = factories.price_book(
        admin, name="Dear", prices={car.product: Decimal("999999999999.00")}
    )

    configuration = configured(car, dear, "Red", "Fabric")

    assert [v.rule for v in configuration.violations] == ["price"]
    assert "too large" in messages(configuration)[0]


def test_a_configuration_just_below_a_trillion_is_valid(admin, car):
    dear = factories.price_book(
        admin, name="Dear", prices={car.product: Decimal("999999999999.99")}
    )

    assert configured(car, dear, "White", "Fabric").valid


def test_a_percent_option_on_a_base_with_cents_rounds_half_up(admin, car):
    cents_book = factories.price_book(
        admin, name="Cents", prices={car.product: Decimal("12345.65")}
    )

    configuration = configured(car, cents_book, "White", "Fabric", "Premium")

    # 10 % of 12,345.65 is 1,234.565: half a cent rounds up.
    assert configuration.options[-1].price_adjustment == Decimal("1234.57")
    assert configuration.unit_price == Decimal("13580.22")


def test_a_fixed_adjustment_is_converted_into_a_gbp_book_at_the_exchange_rate(admin, car):
    pipelines.exchange_rate_create(by=admin, currency="GBP", rate=Decimal("1.17"))
    pounds = factories.price_book(
        admin, name="UK", currency="GBP", prices={car.product: Decimal("25000.00")}
    )

    configuration = configured(car, pounds, "Red", "Leather", "Premium")

    # 500 EUR / 1.17 = 427.35 GBP; 2,000 EUR / 1.17 = 1,709.40 GBP; 10 % of 25,000 GBP.
    assert [o.price_adjustment for o in configuration.options] == [
        Decimal("427.35"),
        Decimal("1709.40"),
        Decimal("2500.00"),
    ]
    assert configuration.unit_price == Decimal("29636.75")
    assert configuration.currency == "GBP"


def test_a_fixed_adjustment_without_an_exchange_rate_is_reported_not_raised(admin, car):
    dollars = factories.price_book(
        admin, name="US", currency="USD", prices={car.product: Decimal("32000.00")}
    )

    configuration = configured(car, dollars, "Red", "Fabric")

    assert [v.rule for v in configuration.violations] == ["price"]
    assert "There is no exchange rate for USD" in messages(configuration)[0]
    assert configuration.unit_price is None


def test_the_options_come_in_the_products_order_whatever_order_they_are_given(car, book):
    configuration = configured(car, book, "Premium", "Leather", "Red")

    assert configuration.description() == (
        "Roadster (Colour: Red, Seats: Leather, Packages: Premium)"
    )
    assert configuration.snapshot()[0] == {
        "id": car.options["Red"].pk,
        "name": "Red",
        "group": "Colour",
        "price_adjustment": "500.00",
    }


def test_the_effect_of_every_option_is_priced_in_the_book(car, book):
    groups = option_groups(car.product)

    effects = option_effects(price_book=book, groups=groups, base=BASE)

    assert effects[car.options["Leather"].pk] == Decimal("2000.00")
    assert effects[car.options["Premium"].pk] == Decimal("3000.00")
    assert effects[car.options["Eco"].pk] == Decimal("-300.00")


def test_configuring_reads_the_rules_in_a_fixed_number_of_queries(admin, car, book):
    extra = factories.configurable_car(admin, sku="CAR-3", name="Bigger")
    group = extra.groups["Packages"]
    for n in range(10):
        Option.objects.create(tenant=admin.tenant, group=group, name=f"Extra {n}", position=10 + n)

    with CaptureQueriesContext(connection) as few:
        configure(product=car.product, price_book=book, option_ids=None)
    with CaptureQueriesContext(connection) as many:
        configure(product=extra.product, price_book=book, option_ids=extra.ids("Red", "Sport"))

    assert len(many) == len(few)
