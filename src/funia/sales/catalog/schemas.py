"""API schemas and filters of products (with option groups and files) and price books.

Amounts and percentages are exchanged as decimal strings with two decimals (requests may
send numbers). Option rules read back as objects naming the option on both sides:
`"requires": [{"id": 12, "name": "Premium", "group": "Packages"}]`; on write, a rule names
an option of the same product by its name ("Premium"), its id (12) or such an object
({"id": 12} or {"name": "Premium", "group": "Packages"}). A product's `option_groups` as
read can be sent back as they are (the list's order is the groups' and options' order).
"""

import datetime
from decimal import Decimal
from typing import Annotated, Literal

from django.db.models import Q
from django.urls import reverse
from ninja import Schema
from ninja.filter_schema import FilterLookup
from pydantic import AfterValidator, Field

from funia.api.schemas import Id, InputSchema, ListFilter, RejectNul
from funia.sales.catalog.selectors import live_entries_of
from funia.sales.schemas import Money, money_text

Day = Annotated[datetime.date, Field(ge=datetime.date(1900, 1, 1), le=datetime.date(9998, 12, 31))]


def _two_decimals(value: Decimal) -> Decimal:
    if value != value.quantize(Decimal("0.01")):
        raise ValueError("At most two decimals.")
    return value


Percent = Annotated[
    Decimal, Field(ge=0, le=100, allow_inf_nan=False), AfterValidator(_two_decimals)
]
Adjustment = Annotated[
    Decimal,
    Field(gt=-(10**12), lt=10**12, allow_inf_nan=False),
    AfterValidator(_two_decimals),
]
Name = Annotated[str, Field(min_length=1, max_length=120)]


# -- products ----------------------------------------------------------------------------


class ProductFilter(ListFilter):
    q: str | None = Field(None, max_length=200, description="part of the SKU or the name")
    category: Annotated[str | None, FilterLookup("category__iexact")] = Field(None, max_length=100)
    is_active: Annotated[bool | None, FilterLookup("is_active")] = None
    deleted: bool = False

    def filter_q(self, value):
        if not value:
            return Q()
        return Q(sku__icontains=value) | Q(name__icontains=value)

    def filter_deleted(self, value: bool) -> Q:
        return Q(deleted_at__isnull=not value)


class OptionRefIn(RejectNul, Schema):
    id: Id | None = Field(None, description="an option's id")
    name: str | None = Field(None, min_length=1, max_length=120, description="an option's name")
    group: str | None = Field(
        None,
        min_length=1,
        max_length=120,
        description="its group's name, when several groups have an option of that name",
    )

    model_config = {"extra": "forbid"}


OptionRef = Annotated[
    Id | Annotated[str, Field(min_length=1, max_length=120)] | OptionRefIn,
    Field(description="an option of the same product: its name, its id or {id} / {name, group}"),
]


class OptionIn(InputSchema):
    id: Id | None = Field(
        None, description="keep this option (and its id) even when renamed; default: by name"
    )
    name: Name
    price_adjustment: Adjustment = Field(
        Decimal(0),
        description="fixed: an amount in the organisation's currency; percent: of the base price",
    )
    adjustment_type: Literal["fixed", "percent"] = "fixed"
    default: bool = False
    requires: list[OptionRef] = Field(default_factory=list, max_length=500)
    excludes: list[OptionRef] = Field(default_factory=list, max_length=500)


class OptionGroupIn(InputSchema):
    id: Id | None = Field(
        None, description="keep this group (and its id) even when renamed; default: by name"
    )
    name: Name
    kind: Literal["single", "multiple"] = "single"
    required: bool = False
    options: list[OptionIn] = Field(default_factory=list, max_length=100)


OptionGroups = Annotated[
    list[OptionGroupIn],
    Field(
        max_length=50,
        description="the product's whole list of option groups, in order; groups and options "
        "of unchanged names keep their ids",
    ),
]


class ProductIn(InputSchema):
    sku: str = Field(min_length=1, max_length=64, description="unique among the live products")
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(
        "",
        max_length=50_000,
        description="HTML; kept: p, br, strong, em, ul, ol, li, h3, h4, table rows and cells, "
        "and links to http(s) or mailto addresses",
    )
    category: str = Field("", max_length=100)
    unit: str = Field("pcs", min_length=1, max_length=20)
    tax_rate: Percent = Field(Decimal(0), description="percent, 0 to 100")
    is_active: bool = True
    option_groups: OptionGroups = Field(default_factory=list)


class ProductPatch(InputSchema):
    sku: str | None = Field(None, min_length=1, max_length=64)
    name: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=50_000)
    category: str | None = Field(None, max_length=100)
    unit: str | None = Field(None, min_length=1, max_length=20)
    tax_rate: Percent | None = None
    is_active: bool | None = None
    option_groups: OptionGroups | None = None


class OptionRefOut(Schema):
    id: int
    name: str
    group: str

    @staticmethod
    def resolve_group(obj):
        return obj.group.name


class OptionOut(Schema):
    id: int
    name: str
    price_adjustment: str
    adjustment_type: str
    default: bool = Field(alias="is_default")
    requires: list[OptionRefOut]
    excludes: list[OptionRefOut]

    @staticmethod
    def resolve_price_adjustment(obj):
        return money_text(obj.price_adjustment)

    @staticmethod
    def resolve_requires(obj):
        return list(obj.requires.all())

    @staticmethod
    def resolve_excludes(obj):
        return list(obj.excludes.all())


class OptionGroupOut(Schema):
    id: int
    name: str
    kind: str
    required: bool
    options: list[OptionOut]

    @staticmethod
    def resolve_options(obj):
        return list(obj.options.all())


class ProductFileOut(Schema):
    id: int
    kind: str
    title: str
    url: str = Field(description="the download address (the same authentication)")
    size: int = Field(description="bytes")
    content_type: str
    uploaded_at: datetime.datetime

    @staticmethod
    def resolve_url(obj):
        return reverse(
            "api:product_file_download",
            kwargs={"product_id": obj.product_id, "product_file_id": obj.pk},
        )


class ProductOut(Schema):
    id: int
    sku: str
    name: str
    description: str
    category: str
    unit: str
    tax_rate: str = Field(description="percent, two decimals")
    is_active: bool
    option_groups: list[OptionGroupOut]
    files: list[ProductFileOut]
    version: int
    created_at: datetime.datetime
    updated_at: datetime.datetime
    deleted: bool = Field(False, alias="is_deleted")

    @staticmethod
    def resolve_tax_rate(obj):
        return money_text(obj.tax_rate)

    @staticmethod
    def resolve_option_groups(obj):
        return list(obj.option_groups.all())

    @staticmethod
    def resolve_files(obj):
        return list(obj.files.all())


class ProductFileIn(RejectNul, Schema):
    title: str | None = Field(None, max_length=200, description="default: the file's name")
    kind: Literal["image", "document"] | None = Field(
        None, description="default: from the file's type"
    )


# -- price books -------------------------------------------------------------------------


class PriceBookFilter(ListFilter):
    currency: Annotated[str | None, FilterLookup("currency__iexact")] = Field(
        None, pattern=r"^[A-Za-z]{3}$", description="ISO 4217 code"
    )
    is_active: Annotated[bool | None, FilterLookup("is_active")] = None
    deleted: bool = False

    def filter_deleted(self, value: bool) -> Q:
        return Q(deleted_at__isnull=not value)


class PriceBookEntryIn(InputSchema):
    product: Id = Field(description="a live product of your organisation")
    unit_price: Money


class PriceBookIn(InputSchema):
    name: str = Field(min_length=1, max_length=120)
    currency: str | None = Field(
        None, pattern=r"^[A-Za-z]{3}$", description="ISO 4217; default: the organisation's"
    )
    valid_from: Day | None = None
    valid_until: Day | None = Field(None, description="inclusive; not before valid_from")
    is_active: bool = True
    is_default: bool = Field(
        False, description="the book new deals in its currency use; clears the others'"
    )
    entries: list[PriceBookEntryIn] = Field(
        default_factory=list, max_length=5000, description="one price per product"
    )


class PriceBookPatch(InputSchema):
    name: str | None = Field(None, min_length=1, max_length=120)
    currency: str | None = Field(None, pattern=r"^[A-Za-z]{3}$")
    valid_from: Day | None = None
    valid_until: Day | None = None
    is_active: bool | None = None
    is_default: bool | None = None
    entries: list[PriceBookEntryIn] | None = Field(
        None,
        max_length=5000,
        description="the whole list of prices; replaces those of the book's live products",
    )


class PriceBookEntryOut(Schema):
    product: int = Field(alias="product_id")
    sku: str
    name: str
    unit_price: str

    @staticmethod
    def resolve_sku(obj):
        return obj.product.sku

    @staticmethod
    def resolve_name(obj):
        return obj.product.name

    @staticmethod
    def resolve_unit_price(obj):
        return money_text(obj.unit_price)


class PriceBookOut(Schema):
    id: int
    name: str
    currency: str
    valid_from: datetime.date | None
    valid_until: datetime.date | None
    is_active: bool
    is_default: bool
    entries: list[PriceBookEntryOut] = Field(description="prices of the live products")
    version: int
    created_at: datetime.datetime
    updated_at: datetime.datetime
    deleted: bool = Field(False, alias="is_deleted")

    @staticmethod
    def resolve_entries(obj):
        return live_entries_of(obj)
