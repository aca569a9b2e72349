"""Validate a configuration of a product and price it.

`configure` checks every rule and reports each violation with a message a customer
understands; the price is the base price from the price book plus each chosen option's
adjustment (fixed: an amount in the organisation's currency, converted into the price
book's; percent: of the base price), every adjustment rounded to the cent. A price below
zero or of 10^12 and more cannot be sold: it is a `price` violation.

The chosen options are given in the product's order (group by group, option by option),
whatever the order of `option_ids`, so a description reads the same however it was chosen.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from funia.sales.catalog.models import (
    AdjustmentType,
    Option,
    OptionGroup,
    OptionGroupKind,
    PriceBook,
    PriceBookEntry,
    Product,
)
from funia.sales.money import rate_of
from funia.sales.pricing import PRICE_LIMIT, cents, percent_of

# "Look the base price up": `configure(base=...)` given by a caller that already has it.
LOOKUP = object()


@dataclass
class Violation:
    rule: str  # unknown | single | required | requires | excludes | price (none, or out of range)
    message: str
    options: list[int] = field(default_factory=list)


@dataclass
class ChosenOption:
    id: int
    name: str
    group: str
    price_adjustment: Decimal | None  # in the price book's currency; None: cannot be priced


@dataclass
class Configuration:
    product: Product
    price_book: PriceBook
    options: list[ChosenOption]
    violations: list[Violation]
    base_price: Decimal | None
    unit_price: Decimal | None

    @property
    def valid(self) -> bool:
        return not self.violations

    @property
    def option_ids(self) -> list[int]:
        return [option.id for option in self.options]

    @property
    def currency(self) -> str:
        return self.price_book.currency

    def description(self) -> str:
        """The quote line's text: the product and its chosen options."""
        if not self.options:
            return self.product.name
        chosen = ", ".join(f"{option.group}: {option.name}" for option in self.options)
        return f"{self.product.name} ({chosen})"

    def snapshot(self) -> list[dict]:
        """The options as stored on a quote or order line."""
        return [
            {
                "id": option.id,
                "name": option.name,
                "group": option.group,
                "price_adjustment": str(option.price_adjustment),
            }
            for option in self.options
        ]


def option_groups(product: Product) -> list[OptionGroup]:
    """The product's groups with their options and rules, in order (three queries)."""
    return option_groups_of(product.tenant_id, [product.pk]).get(product.pk, [])


def option_groups_of(tenant, product_ids) -> dict[int, list[OptionGroup]]:
    """The groups (with options and rules, in order) of several products, by product id:
    three queries however many products."""
    options = Option.objects.for_tenant(tenant).prefetch_related(
        Prefetch("requires", queryset=Option.objects.for_tenant(tenant)),
        Prefetch("excludes", queryset=Option.objects.for_tenant(tenant)),
    )
    groups = (
        OptionGroup.objects.for_tenant(tenant)
        .filter(product_id__in=list(product_ids))
        .prefetch_related(Prefetch("options", queryset=options))
    )
    by_product: dict[int, list[OptionGroup]] = {}
    for group in groups:
        by_product.setdefault(group.product_id, []).append(group)
    return by_product


def default_option_ids(groups: list[OptionGroup]) -> list[int]:
    return [option.id for group in groups for option in group.options.all() if option.is_default]


def base_price(product: Product, price_book: PriceBook) -> Decimal | None:
    return (
        PriceBookEntry.objects.for_tenant(product.tenant_id)
        .filter(price_book=price_book, product=product)
        .values_list("unit_price", flat=True)
        .first()
    )


def _rate_into(price_book: PriceBook) -> Decimal:
    """Units of the organisation's currency per unit of the price book's currency."""
    return rate_of(price_book.tenant, price_book.currency)


def _adjustment(option: Option, base: Decimal | None, rate: Callable[[], Decimal]):
    """The option's effect on the price in the book's currency (None: it cannot be priced
    without a base price)."""
    if option.adjustment_type == AdjustmentType.PERCENT:
        return percent_of(base, option.price_adjustment) if base is not None else None
    return cents(option.price_adjustment / rate())


class _Rate:
    """The price book's exchange rate, read once and only when a fixed amount needs it."""

    def __init__(self, price_book: PriceBook):
        self.price_book = price_book
        self.value: Decimal | None = None

    def __call__(self) -> Decimal:
        if self.value is None:
            self.value = _rate_into(self.price_book)
        return self.value


def _missing_rate_message(error: ValidationError) -> str:
    return " ".join(error.messages)


def option_effects(
    *, price_book: PriceBook, groups: list[OptionGroup], base: Decimal | None
) -> dict[int, Decimal | None]:
    """Every option's effect on the price in the book's currency, as the configurator shows
    it next to the option (None: it cannot be priced)."""
    rate = _Rate(price_book)
    effects: dict[int, Decimal | None] = {}
    for group in groups:
        for option in group.options.all():
            try:
                effects[option.id] = _adjustment(option, base, rate)
            except ValidationError:
                effects[option.id] = None
    return effects


def configure(
    *,
    product: Product,
    price_book: PriceBook,
    option_ids: list[int] | None,
    groups: list[OptionGroup] | None = None,
    base=LOOKUP,
) -> Configuration:
    """The configuration of `product` with the options `option_ids` (None: the defaults),
    priced in `price_book`, with every violated rule.

    `groups` (from `option_groups`) and `base` (the product's price in the book, or None)
    spare the queries when the caller has them already."""
    groups = option_groups(product) if groups is None else groups
    by_id = {option.id: (group, option) for group in groups for option in group.options.all()}
    if option_ids is None:
        option_ids = default_option_ids(groups)
    violations: list[Violation] = []

    unknown = [pk for pk in dict.fromkeys(option_ids) if pk not in by_id]
    if unknown:
        violations.append(
            Violation(
                "unknown",
                _("These options are not options of %(product)s: %(ids)s.")
                % {"product": product.name, "ids": ", ".join(str(pk) for pk in unknown)},
                unknown,
            )
        )
    given = {pk for pk in option_ids if pk in by_id}
    # In the product's order: group by group, option by option.
    chosen_ids = [pk for pk in by_id if pk in given]
    chosen = set(chosen_ids)

    for group in groups:
        picked = [option for option in group.options.all() if option.id in chosen]
        if group.kind == OptionGroupKind.SINGLE and len(picked) > 1:
            violations.append(
                Violation(
                    "single",
                    _("Choose only one %(group)s: %(options)s.")
                    % {"group": group.name, "options": _(" or ").join(o.name for o in picked)},
                    [o.id for o in picked],
                )
            )
        if group.required and not picked:
            violations.append(
                Violation(
                    "required",
                    _("Choose an option for %(group)s.") % {"group": group.name},
                )
            )

    reported_exclusions = set()
    for pk in chosen_ids:
        group, option = by_id[pk]
        for needed in option.requires.all():
            if needed.id not in chosen:
                violations.append(
                    Violation(
                        "requires",
                        _("%(option)s requires %(needed)s.")
                        % {
                            "option": _label(by_id, option),
                            "needed": _label(by_id, needed),
                        },
                        [option.id, needed.id],
                    )
                )
        for other in option.excludes.all():
            pair = frozenset((option.id, other.id))
            if other.id in chosen and pair not in reported_exclusions:
                reported_exclusions.add(pair)
                violations.append(
                    Violation(
                        "excludes",
                        _("%(option)s cannot be combined with %(other)s.")
                        % {
                            "option": _label(by_id, option),
                            "other": _label(by_id, other),
                        },
                        [option.id, other.id],
                    )
                )

    base = base_price(product, price_book) if base is LOOKUP else base
    rate = _Rate(price_book)
    options = []
    priced = True
    for pk in chosen_ids:
        group, option = by_id[pk]
        try:
            adjustment = _adjustment(option, base, rate)
        except ValidationError as error:
            # A fixed amount in the organisation's currency and no rate into the book's.
            if priced:
                violations.append(Violation("price", _missing_rate_message(error), [pk]))
            priced = False
            adjustment = None
        options.append(ChosenOption(option.id, option.name, group.name, adjustment))

    if base is None:
        violations.append(
            Violation(
                "price",
                _("%(product)s has no price in the price book %(book)s.")
                % {"product": product.name, "book": price_book.name},
            )
        )
        unit_price = None
    elif not priced:
        unit_price = None
    else:
        unit_price = base + sum((option.price_adjustment for option in options), Decimal(0))
        violations.extend(_price_violations(unit_price, price_book))
    return Configuration(product, price_book, options, violations, base, unit_price)


def _amount(amount: Decimal) -> str:
    return number_format(amount, 2, force_grouping=True)


def _price_violations(unit_price: Decimal, price_book: PriceBook) -> list[Violation]:
    """A configured price must be one a quote line can carry: from 0 to below 10^12."""
    if unit_price < 0:
        return [
            Violation(
                "price",
                _(
                    "This configuration would cost less than nothing (%(price)s %(currency)s): "
                    "check the options' price adjustments."
                )
                % {"price": _amount(unit_price), "currency": price_book.currency},
            )
        ]
    if unit_price >= PRICE_LIMIT:
        return [
            Violation(
                "price",
                _(
                    "This configuration's price is too large (%(price)s %(currency)s): a unit "
                    "price stays below 1,000,000,000,000."
                )
                % {"price": _amount(unit_price), "currency": price_book.currency},
            )
        ]
    return []


def _label(by_id, option: Option) -> str:
    """The option with its group, e.g. Leather (Seats); an option of another product
    (which the catalog does not allow) by its name alone."""
    if option.id not in by_id:
        return option.name
    group, option = by_id[option.id]
    return f"{option.name} ({group.name})"
