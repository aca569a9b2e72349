"""Writes of products: fields, SKU uniqueness, the description's sanitising, option groups
with their rules (checked, saved, ids kept) and the option editor's single steps."""

import copy
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from funia.core.models import AuditEntry
from funia.sales.catalog import services
from funia.sales.catalog.configurator import configure
from funia.sales.catalog.models import Option, OptionGroup, Product
from tests import factories
from tests.conftest import tenant_snapshot
from tests.sales.catalog.helpers import ROADSTER


def create(admin, **fields):
    data = {"sku": "SKU-1", "name": "Service hour", **fields}
    return services.product_create(by=admin, **data)


def roadster(admin, **changes):
    data = copy.deepcopy(ROADSTER) | changes
    return services.product_create(by=admin, **data)


def groups_of(product) -> list[tuple]:
    """(group, kind, required, [(option, adjustment, type, default, requires, excludes)])"""
    result = []
    for group in OptionGroup.objects.for_tenant(product.tenant).filter(product=product):
        options = [
            (
                o.name,
                o.price_adjustment,
                o.adjustment_type,
                o.is_default,
                sorted(r.name for r in o.requires.all()),
                sorted(r.name for r in o.excludes.all()),
            )
            for o in group.options.all()
        ]
        result.append((group.name, group.kind, group.required, options))
    return result


def ids_by_name(product) -> dict[str, int]:
    return {
        o.name: o.pk
        for o in Option.objects.for_tenant(product.tenant).filter(group__product=product)
    }


def messages_of(exc: pytest.ExceptionInfo) -> str:
    return " ".join(m for ms in exc.value.message_dict.values() for m in ms)


# -- fields ------------------------------------------------------------------------------


def test_a_product_is_created_with_its_fields(admin):
    product = create(
        admin,
        sku=" SVC-9 ",
        name="  Support   hour ",
        category="Services",
        unit="hour",
        tax_rate="9.5",
        is_active=False,
    )
    product.refresh_from_db()
    assert (product.sku, product.name, product.category, product.unit) == (
        "SVC-9",
        "Support hour",
        "Services",
        "hour",
    )
    assert product.tax_rate == Decimal("9.50")
    assert product.is_active is False


def test_the_description_is_stored_sanitised(admin):
    product = create(admin, description='<p onclick="x()">Fast<script>evil()</script></p>')
    product.refresh_from_db()
    assert product.description == "<p>Fast</p>"


@pytest.mark.parametrize("sku", ["SKU-1", "sku-1"])
def test_a_sku_used_by_a_live_product_is_refused_with_a_field_error(admin, sku):
    create(admin, sku="SKU-1", name="First")
    with pytest.raises(ValidationError) as exc:
        create(admin, sku=sku, name="Second")
    assert exc.value.message_dict["sku"] == [
        "The SKU SKU-1 is already used by the product “First”."
    ]
    assert Product.objects.for_tenant(admin.tenant).count() == 1


def test_a_product_may_keep_its_own_sku_when_changed(admin):
    product = create(admin, sku="SKU-1")
    updated = services.product_update(by=admin, product=product, fields={"sku": "SKU-1"})
    assert updated.sku == "SKU-1"


def test_the_sku_of_a_trashed_product_can_be_used_again(admin):
    old = create(admin, sku="SKU-1", name="Old")
    services.product_delete(by=admin, product=old)
    new = create(admin, sku="SKU-1", name="New")
    assert new.sku == "SKU-1"


def test_restoring_a_product_whose_sku_was_taken_meanwhile_is_refused(admin):
    old = create(admin, sku="SKU-1", name="Old")
    services.product_delete(by=admin, product=old)
    create(admin, sku="SKU-1", name="New")
    with pytest.raises(ValidationError) as exc:
        services.product_restore(by=admin, product=old)
    assert "already used by the product “New”" in messages_of(exc)
    old.refresh_from_db()
    assert old.is_deleted


def test_the_same_sku_is_fine_in_another_organisation(admin, outsider):
    create(admin, sku="SKU-1")
    assert create(outsider, sku="SKU-1").tenant == outsider.tenant


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"sku": ""}, "sku"),
        ({"sku": "x" * 65}, "sku"),
        ({"name": " "}, "name"),
        ({"unit": ""}, "unit"),
        ({"tax_rate": "101"}, "tax_rate"),
        ({"tax_rate": "-1"}, "tax_rate"),
        ({"tax_rate": "20.555"}, "tax_rate"),
        ({"tax_rate": "lots"}, "tax_rate"),
        ({"is_active": "yes"}, "is_active"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_invalid_fields_are_refused_naming_the_field(admin, fields, field):
    with pytest.raises(ValidationError) as exc:
        create(admin, **fields)
    assert field in exc.value.message_dict
    assert not Product.objects.for_tenant(admin.tenant).exists()


@pytest.mark.parametrize("role", ["sales_rep", "sales_manager", "analyst", "marketer"])
def test_only_administrators_write_products(admin, role):
    product = create(admin)
    other = factories.member(admin.tenant, role)
    before = tenant_snapshot(admin.tenant)
    for write in (
        lambda: create(other, sku="MINE"),
        lambda: services.product_update(by=other, product=product, fields={"name": "Mine"}),
        lambda: services.product_delete(by=other, product=product),
        lambda: services.option_group_add(by=other, product=product, name="Colour"),
    ):
        with pytest.raises(PermissionDenied):
            write()
    assert tenant_snapshot(admin.tenant) == before


# -- option groups -----------------------------------------------------------------------


def test_option_groups_are_saved_in_order_with_their_rules(admin):
    car = roadster(admin)
    assert groups_of(car) == [
        (
            "Colour",
            "single",
            True,
            [
                ("White", Decimal("0.00"), "fixed", True, [], []),
                ("Red", Decimal("500.00"), "fixed", False, [], []),
            ],
        ),
        (
            "Seats",
            "single",
            True,
            [
                ("Fabric", Decimal("0.00"), "fixed", True, [], []),
                ("Leather", Decimal("2000.00"), "fixed", False, ["Premium"], []),
            ],
        ),
        (
            "Packages",
            "multiple",
            False,
            [
                ("Premium", Decimal("10.00"), "percent", False, [], []),
                ("Sport", Decimal("1500.00"), "fixed", False, [], ["Eco"]),
                ("Eco", Decimal("-300.00"), "fixed", False, [], []),
            ],
        ),
    ]


def test_the_configurator_applies_the_saved_rules(admin):
    car = roadster(admin)
    book = factories.price_book(admin, prices={car: "30000"})
    ids = ids_by_name(car)
    result = configure(
        product=car, price_book=book, option_ids=[ids["White"], ids["Leather"], ids["Sport"]]
    )
    assert [v.message for v in result.violations] == [
        "Leather (Seats) requires Premium (Packages)."
    ]
    assert result.unit_price == Decimal("33500.00")


def test_an_option_name_in_a_rule_must_be_an_option_of_the_product(admin):
    data = copy.deepcopy(ROADSTER)
    data["option_groups"][1]["options"][1]["requires"] = ["Premum"]
    with pytest.raises(ValidationError) as exc:
        services.product_create(by=admin, **data)
    assert exc.value.message_dict["option_groups"] == [
        "Leather (Seats): “Premum” is not an option of this product."
    ]
    assert not Product.objects.for_tenant(admin.tenant).exists()


def test_an_option_of_another_product_cannot_be_named_by_id(admin):
    other = roadster(admin, sku="CAR-2")
    foreign = ids_by_name(other)["Premium"]
    data = copy.deepcopy(ROADSTER) | {"sku": "CAR-3"}
    data["option_groups"][1]["options"][1]["requires"] = [foreign]
    with pytest.raises(ValidationError) as exc:
        services.product_create(by=admin, **data)
    assert f"option {foreign} is not an option of this product" in messages_of(exc)


@pytest.mark.parametrize("rule", ["requires", "excludes"])
def test_an_option_cannot_require_or_exclude_itself(admin, rule):
    data = copy.deepcopy(ROADSTER)
    data["option_groups"][2]["options"][1][rule] = ["Sport"]
    with pytest.raises(ValidationError) as exc:
        services.product_create(by=admin, **data)
    verb = "require" if rule == "requires" else "exclude"
    assert exc.value.message_dict["option_groups"] == [f"Sport (Packages) cannot {verb} itself."]


def test_an_option_cannot_both_require_and_exclude_another(admin):
    data = copy.deepcopy(ROADSTER)
    data["option_groups"][1]["options"][1]["excludes"] = ["Premium"]
    with pytest.raises(ValidationError) as exc:
        services.product_create(by=admin, **data)
    assert "Leather (Seats) cannot both require and exclude Premium (Packages)." in messages_of(exc)


def test_an_option_cannot_require_another_choice_of_its_single_choice_group(admin):
    data = copy.deepcopy(ROADSTER)
    data["option_groups"][0]["options"][1]["requires"] = ["White"]
    with pytest.raises(ValidationError) as exc:
        services.product_create(by=admin, **data)
    assert "only one option of the single choice “Colour” can be chosen" in messages_of(exc)


def test_a_single_choice_group_has_at_most_one_default(admin):
    data = copy.deepcopy(ROADSTER)
    data["option_groups"][0]["options"][1]["default"] = True
    with pytest.raises(ValidationError) as exc:
        services.product_create(by=admin, **data)
    assert exc.value.message_dict["option_groups"] == [
        "“Colour” is a single choice: only one of its options can be the default."
    ]


def test_a_multiple_choice_group_may_have_several_defaults(admin):
    data = copy.deepcopy(ROADSTER)
    for option in data["option_groups"][2]["options"][:2]:
        option["default"] = True
    car = services.product_create(by=admin, **data)
    packages = groups_of(car)[2][3]
    assert [o[3] for o in packages] == [True, True, False]


def test_group_names_differ_within_a_product(admin):
    data = copy.deepcopy(ROADSTER)
    data["option_groups"][1]["name"] = "colour"
    with pytest.raises(ValidationError) as exc:
        services.product_create(by=admin, **data)
    assert "There are two groups named “colour”" in messages_of(exc)


def test_option_names_differ_within_a_group(admin):
    data = copy.deepcopy(ROADSTER)
    data["option_groups"][0]["options"][1]["name"] = "WHITE"
    with pytest.raises(ValidationError) as exc:
        services.product_create(by=admin, **data)
    assert "“Colour” has two options named “WHITE”" in messages_of(exc)


def test_an_option_name_used_in_two_groups_is_named_with_its_group_in_rules(admin):
    data = copy.deepcopy(ROADSTER)
    data["option_groups"][0]["options"].append({"name": "Eco"})
    data["option_groups"][2]["options"][1]["excludes"] = ["Eco"]
    with pytest.raises(ValidationError) as exc:
        services.product_create(by=admin, **data)
    assert "“Eco” is an option of several groups (Colour, Packages)" in messages_of(exc)

    data["option_groups"][2]["options"][1]["excludes"] = [{"name": "Eco", "group": "Packages"}]
    car = services.product_create(by=admin, **data)
    sport = Option.objects.for_tenant(admin.tenant).get(group__product=car, name="Sport")
    assert [(o.name, o.group.name) for o in sport.excludes.all()] == [("Eco", "Packages")]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"price_adjustment": "1.005"}, "At most two decimals."),
        ({"price_adjustment": "lots"}, "below a trillion"),
        ({"adjustment_type": "percent", "price_adjustment": "1001"}, "between -100 and 1000"),
        ({"adjustment_type": "share"}, "fixed or percent"),
        ({"name": ""}, "needs a name"),
    ],
)
def test_invalid_options_are_refused_with_a_message_naming_them(admin, change, message):
    data = copy.deepcopy(ROADSTER)
    data["option_groups"][0]["options"][1].update(change)
    with pytest.raises(ValidationError) as exc:
        services.product_create(by=admin, **data)
    assert message in messages_of(exc)


def test_every_problem_of_the_groups_is_reported_at_once(admin):
    data = copy.deepcopy(ROADSTER)
    data["option_groups"][0]["options"][1]["default"] = True
    data["option_groups"][1]["options"][1]["requires"] = ["Nope"]
    with pytest.raises(ValidationError) as exc:
        services.product_create(by=admin, **data)
    # The shape is checked first; the rules once the shape is right.
    assert len(exc.value.message_dict["option_groups"]) == 1
    data["option_groups"][0]["options"][1]["default"] = False
    data["option_groups"][2]["options"][0]["requires"] = ["Gone"]
    with pytest.raises(ValidationError) as exc:
        services.product_create(by=admin, **data)
    assert len(exc.value.message_dict["option_groups"]) == 2


# -- updates keep ids --------------------------------------------------------------------


def test_an_update_keeps_the_ids_of_groups_and_options_whose_names_are_unchanged(admin):
    car = roadster(admin)
    before = ids_by_name(car)
    group_before = {g.name: g.pk for g in OptionGroup.objects.for_tenant(admin.tenant)}
    data = copy.deepcopy(ROADSTER["option_groups"])
    data[0]["options"][1]["price_adjustment"] = "650"  # Red changes price
    data[2]["options"].pop()  # Eco goes (and Sport's rule with it)
    data[2]["options"][1]["excludes"] = []
    data[2]["options"].append({"name": "Winter", "price_adjustment": "800"})
    data.reverse()

    services.product_update(by=admin, product=car, fields={"option_groups": data})

    after = ids_by_name(car)
    assert {name: after[name] for name in before if name != "Eco"} == {
        name: pk for name, pk in before.items() if name != "Eco"
    }
    assert "Eco" not in after
    assert after["Winter"] not in before.values()
    assert {g.name: g.pk for g in OptionGroup.objects.for_tenant(admin.tenant)} == group_before
    assert [g[0] for g in groups_of(car)] == ["Packages", "Seats", "Colour"]
    assert Option.objects.for_tenant(admin.tenant).get(pk=after["Red"]).price_adjustment == 650


def test_a_renamed_option_named_by_its_id_keeps_its_id(admin):
    car = roadster(admin)
    ids = ids_by_name(car)
    data = copy.deepcopy(ROADSTER["option_groups"])
    data[0]["options"][1] = {"id": ids["Red"], "name": "Racing red", "price_adjustment": "500"}
    services.product_update(by=admin, product=car, fields={"option_groups": data})
    assert ids_by_name(car)["Racing red"] == ids["Red"]


def test_two_options_can_swap_their_names(admin):
    car = roadster(admin)
    ids = ids_by_name(car)
    data = copy.deepcopy(ROADSTER["option_groups"])
    data[0]["options"] = [
        {"id": ids["White"], "name": "Red", "price_adjustment": "500"},
        {"id": ids["Red"], "name": "White", "default": True},
    ]
    services.product_update(by=admin, product=car, fields={"option_groups": data})
    after = ids_by_name(car)
    assert (after["Red"], after["White"]) == (ids["White"], ids["Red"])


def test_an_option_id_of_another_product_cannot_be_kept(admin):
    car = roadster(admin)
    other = roadster(admin, sku="CAR-2")
    foreign = ids_by_name(other)["Red"]
    data = copy.deepcopy(ROADSTER["option_groups"])
    data[0]["options"][1]["id"] = foreign
    with pytest.raises(ValidationError) as exc:
        services.product_update(by=admin, product=car, fields={"option_groups": data})
    assert f"Option {foreign} is not an option of this product." in messages_of(exc)


def test_a_refused_option_change_changes_nothing(admin):
    car = roadster(admin)
    before = tenant_snapshot(admin.tenant)
    data = copy.deepcopy(ROADSTER["option_groups"])
    data[0]["options"].pop()
    data[1]["options"][1]["requires"] = ["Red"]
    with pytest.raises(ValidationError):
        services.product_update(
            by=admin, product=car, fields={"option_groups": data, "name": "Changed"}
        )
    assert tenant_snapshot(admin.tenant) == before


def test_an_option_change_is_audited_in_words_and_raises_the_version(admin):
    car = roadster(admin)
    data = copy.deepcopy(ROADSTER["option_groups"])
    data[2]["options"].pop()
    data[2]["options"][1]["excludes"] = []
    updated = services.product_update(by=admin, product=car, fields={"option_groups": data})
    assert updated.version == 2
    entry = AuditEntry.objects.for_tenant(admin.tenant).filter(object_id=car.pk).last()
    old, new = entry.changes["option_groups"]
    assert old[2] == (
        "Packages (multiple choice): Premium +10.00 %; Sport +1500.00 excludes Eco; Eco -300.00"
    )
    assert new[2] == "Packages (multiple choice): Premium +10.00 %; Sport +1500.00"


def test_an_update_that_repeats_the_groups_records_no_change(admin):
    car = roadster(admin)
    updated = services.product_update(
        by=admin, product=car, fields={"option_groups": copy.deepcopy(ROADSTER["option_groups"])}
    )
    assert updated.version == 1


def test_an_empty_list_removes_every_group(admin):
    car = roadster(admin)
    services.product_update(by=admin, product=car, fields={"option_groups": []})
    assert not OptionGroup.objects.for_tenant(admin.tenant).exists()
    assert not Option.objects.for_tenant(admin.tenant).exists()


def test_the_factory_car_can_be_edited_through_its_current_spec(admin):
    car = factories.configurable_car(admin)
    spec = services.option_spec(car.product)
    services.product_options_set(by=admin, product=car.product, option_groups=spec)
    assert ids_by_name(car.product) == {name: o.pk for name, o in car.options.items()}


# -- the option editor's steps -----------------------------------------------------------


def test_a_group_is_added_after_the_others(admin):
    car = factories.configurable_car(admin)
    services.option_group_add(by=admin, product=car.product, name="Wheels", kind="multiple")
    assert [g[0] for g in groups_of(car.product)] == ["Colour", "Seats", "Packages", "Wheels"]


def test_a_group_is_renamed_and_keeps_its_id(admin):
    car = factories.configurable_car(admin)
    seats = car.groups["Seats"]
    services.option_group_update(
        by=admin,
        product=car.product,
        group_id=seats.pk,
        fields={"name": "Interior", "kind": "single", "required": False},
    )
    seats.refresh_from_db()
    assert (seats.name, seats.required) == ("Interior", False)


def test_removing_a_group_removes_the_rules_that_name_its_options(admin):
    car = factories.configurable_car(admin)
    services.option_group_delete(by=admin, product=car.product, group_id=car.groups["Packages"].pk)
    leather = Option.objects.for_tenant(admin.tenant).get(pk=car.options["Leather"].pk)
    assert list(leather.requires.all()) == []
    assert [g[0] for g in groups_of(car.product)] == ["Colour", "Seats"]


def test_an_option_is_added_with_a_rule_naming_another_by_id(admin):
    car = factories.configurable_car(admin)
    services.option_add(
        by=admin,
        product=car.product,
        group_id=car.groups["Colour"].pk,
        fields={
            "name": "Gold",
            "price_adjustment": Decimal("900"),
            "adjustment_type": "fixed",
            "default": False,
            "requires": [{"id": car.options["Sport"].pk}],
            "excludes": [],
        },
    )
    gold = Option.objects.for_tenant(admin.tenant).get(name="Gold")
    assert [o.name for o in gold.requires.all()] == ["Sport"]


def test_an_option_gets_a_requires_rule(admin):
    car = factories.configurable_car(admin)
    services.option_update(
        by=admin,
        product=car.product,
        option_id=car.options["Red"].pk,
        fields={"requires": [{"id": car.options["Sport"].pk}]},
    )
    assert [o.name for o in car.options["Red"].requires.all()] == ["Sport"]


def test_removing_an_option_removes_the_rules_that_name_it(admin):
    car = factories.configurable_car(admin)
    services.option_delete(by=admin, product=car.product, option_id=car.options["Premium"].pk)
    assert list(car.options["Leather"].requires.all()) == []
    assert not Option.objects.for_tenant(admin.tenant).filter(name="Premium").exists()


def test_a_step_on_an_option_that_is_gone_is_refused_clearly(admin):
    car = factories.configurable_car(admin)
    with pytest.raises(ValidationError) as exc:
        services.option_update(by=admin, product=car.product, option_id=2**40, fields={})
    assert "no longer an option of the product" in " ".join(exc.value.messages)
