"""Validate a configuration of a product and price it.

`configure` checks every rule and reports each violation with a message a customer
understands; the price is the base price from the price book plus each chosen option's
adjustment (fixed: an amount in the organisation's currency, converted into the price
book's; percent: of the base price), every adjustment rounded to the cent.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Prefetch
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
from funia.sales.pricing import cents, percent_of


@dataclass
class Violation:
    rule: str  # unknown | single | required | requires | excludes | price
    message: str
    options: list[int] = field(default_factory=list)


@dataclass
class ChosenOption:
    id: int
    name: str
    group: str
    price_adjustment: Decimal  # in the price book's currency


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
    options = Option.objects.for_tenant(product.tenant_id).prefetch_related(
        Prefetch("requires", queryset=Option.objects.for_tenant(product.tenant_id)),
        Prefetch("excludes", queryset=Option.objects.for_tenant(product.tenant_id)),
    )
    return list(
        OptionGroup.objects.for_tenant(product.tenant_id)
        .filter(product=product)
        .prefetch_related(Prefetch("options", queryset=options))
    )


def default_option_ids(groups: list[OptionGroup]) -> list[int]:
    return [option.id for group in groups for option in group.options.all() if option.is_default]


def base_price(product: Product, price_book: PriceBook) -> Decimal | None:
    return (
        PriceBookEntry.objects.for_tenant(product.tenant_id)
        .filter(price_book=price_book, product=product)
        .values_list("unit_price", flat=True)
        .first()
    )


def configure(
    *,
    product: Product,
    price_book: PriceBook,
    option_ids: list[int] | None,
    groups: list[OptionGroup] | None = None,
) -> Configuration:
    """The configuration of `product` with the options `option_ids` (None: the defaults),
    priced in `price_book`, with every violated rule."""
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
    chosen_ids = [pk for pk in dict.fromkeys(option_ids) if pk in by_id]
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
                    _("Choose a %(group)s.") % {"group": group.name},
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
                            "option": _label(by_id, option.id),
                            "needed": _label(by_id, needed.id),
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
                            "option": _label(by_id, option.id),
                            "other": _label(by_id, other.id),
                        },
                        [option.id, other.id],
                    )
                )

    base = base_price(product, price_book)
    options = []
    rate = None
    for pk in chosen_ids:
        group, option = by_id[pk]
        if option.adjustment_type == AdjustmentType.PERCENT:
            adjustment = percent_of(base, option.price_adjustment) if base is not None else None
        else:
            if rate is None:
                rate = _rate_into(price_book)
            adjustment = cents(option.price_adjustment / rate)
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
    else:
        unit_price = base + sum((option.price_adjustment for option in options), Decimal(0))
    return Configuration(product, price_book, options, violations, base, unit_price)


def _label(by_id, pk: int) -> str:
    group, option = by_id[pk]
    return f"{option.name} ({group.name})"


def _rate_into(price_book: PriceBook) -> Decimal:
    """Units of the organisation's currency per unit of the price book's currency."""
    tenant = price_book.tenant
    return rate_of(tenant, price_book.currency)
