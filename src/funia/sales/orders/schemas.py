"""API schemas and the list filter of orders, and the purchase history's shape.

Amounts are strings with two decimals (`"1200.50"`) like every amount of the API; percentages
too; quantities are decimal strings without trailing zeros (`"2"`, `"1.5"`).
"""

import datetime
import re
from decimal import Decimal
from typing import Annotated, Literal

from django.db.models import Q
from ninja import Schema
from ninja.filter_schema import FilterLookup
from pydantic import Field

from funia.api.schemas import Id, InputSchema, ListFilter
from funia.sales.schemas import LineAmountsOut, Money, money_text

StatusName = Literal["new", "confirmed", "shipped", "delivered", "invoiced", "paid", "cancelled"]
Day = Annotated[datetime.date, Field(ge=datetime.date(1900, 1, 1), le=datetime.date(9998, 12, 31))]
Percent = Annotated[Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2)]
Quantity = Annotated[Decimal, Field(gt=0, lt=10**9, max_digits=12, decimal_places=3)]
MAX_NUMBER = 2_147_483_647
REFERENCE = re.compile(r"^(?:O-?)?0*(\d{1,10})$", re.IGNORECASE)


class OrderFilter(ListFilter):
    q: str | None = Field(
        None, max_length=200, description="the reference (O-00012), external number or account"
    )
    account: Annotated[Id | None, FilterLookup("account_id")] = None
    contact: Annotated[Id | None, FilterLookup("contact_id")] = None
    opportunity: Annotated[Id | None, FilterLookup("opportunity_id")] = None
    status: Annotated[StatusName | None, FilterLookup("status")] = None
    ordered_from: Annotated[Day | None, FilterLookup("ordered_on__gte")] = Field(
        None, description="orders of this day and later"
    )
    ordered_to: Annotated[Day | None, FilterLookup("ordered_on__lte")] = Field(
        None, description="orders of this day and earlier"
    )
    mine: bool = Field(False, description="only the orders you own")
    deleted: bool = False

    def filter_q(self, value):
        text = (value or "").strip()
        if not text:
            return Q()
        q = Q(external_ref__icontains=text) | Q(account__name__icontains=text)
        match = REFERENCE.match(text)
        if match and int(match[1]) <= MAX_NUMBER:
            q |= Q(number=int(match[1]))
        return q

    def filter_mine(self, value):
        # Needs the user: the selector applies it.
        return Q()

    def filter_deleted(self, value: bool) -> Q:
        return Q(deleted_at__isnull=not value)


# -- input ------------------------------------------------------------------------------------


class OrderLineIn(InputSchema):
    product: Id
    quantity: Quantity = Field(Decimal(1), description="default 1; up to three decimals")
    discount_percent: Percent = Field(Decimal(0), description="the line's discount in %")
    unit_price: Money | None = Field(
        None,
        description="default: the price in the price book (at the product's default options)",
    )
    description: str | None = Field(
        None, max_length=300, description="default: the product and its options"
    )


class OrderIn(InputSchema):
    """A direct order. Totals are computed from the lines, never taken from the request; a
    line's unit price comes from the price book (`price_book`, else the deal's, else the
    active default book in the order's currency) unless the line gives one."""

    account: Id | None = None
    contact: Id | None = Field(None, description="an account or a contact is required")
    opportunity: Id | None = Field(None, description="the deal; its account when none is given")
    price_book: Id | None = Field(
        None, description="default: the deal's, else the active default book in the currency"
    )
    currency: str | None = Field(
        None, pattern=r"^[A-Za-z]{3}$", description="default: the deal's, else the book's"
    )
    ordered_on: Day | None = Field(None, description="default: today")
    discount_percent: Percent = Field(Decimal(0), description="the order's discount in %")
    notes: str = Field("", max_length=20_000)
    external_ref: str = Field("", max_length=100, description="the number in another system")
    lines: list[OrderLineIn] = Field(min_length=1, max_length=200)


class OrderPatch(InputSchema):
    notes: str | None = Field(None, max_length=20_000)
    contact: Id | None = None
    ordered_on: Day | None = None
    external_ref: str | None = Field(None, max_length=100)


class OrderStatusIn(InputSchema):
    status: StatusName = Field(
        description="forward along new, confirmed, shipped, delivered, invoiced, paid (steps "
        "may be skipped); cancelled from new, confirmed or shipped"
    )
    note: str = Field("", max_length=300)


# -- output -----------------------------------------------------------------------------------


class OrderLineOut(LineAmountsOut):
    id: int
    product: int | None = Field(None, alias="product_id")
    sku: str
    description: str
    options: list[dict]


class StatusChangeOut(Schema):
    from_status: StatusName | None = Field(description="null for the first entry")
    to_status: StatusName
    changed_at: datetime.datetime
    changed_by: int | None = Field(None, alias="changed_by_id")
    note: str

    @staticmethod
    def resolve_from_status(obj):
        return obj.from_status or None


class OrderOut(Schema):
    id: int
    reference: str = Field(description="O-00012")
    number: int
    external_ref: str
    status: StatusName
    ordered_on: datetime.date
    account: int | None = Field(None, alias="account_id")
    contact: int | None = Field(None, alias="contact_id")
    opportunity: int | None = Field(None, alias="opportunity_id")
    quote: int | None = Field(None, alias="quote_id")
    owner: int | None = Field(None, alias="owner_id")
    currency: str
    discount_percent: str
    subtotal: str
    discount_total: str
    tax_total: str
    total: str
    notes: str
    lines: list[OrderLineOut]
    history: list[StatusChangeOut] = Field(description="the status changes, oldest first")
    version: int
    created_at: datetime.datetime
    updated_at: datetime.datetime
    deleted: bool = Field(False, alias="is_deleted")

    @staticmethod
    def resolve_discount_percent(obj):
        return money_text(obj.discount_percent)

    @staticmethod
    def resolve_subtotal(obj):
        return money_text(obj.subtotal)

    @staticmethod
    def resolve_discount_total(obj):
        return money_text(obj.discount_total)

    @staticmethod
    def resolve_tax_total(obj):
        return money_text(obj.tax_total)

    @staticmethod
    def resolve_total(obj):
        return money_text(obj.total)

    @staticmethod
    def resolve_lines(obj):
        return list(obj.lines.all())

    @staticmethod
    def resolve_history(obj):
        return list(obj.status_changes.all())


class AmountOut(Schema):
    currency: str
    amount: str


class HistoryOrderOut(Schema):
    id: int
    reference: str
    external_ref: str
    ordered_on: datetime.date
    status: StatusName
    currency: str
    total: str


class ProductBoughtOut(Schema):
    product: int | None = Field(description="null for a line whose product the catalog lacks")
    sku: str
    description: str
    quantity: str
    spent: list[AmountOut] = Field(description="net of discounts, before tax, per currency")
    first_purchase: datetime.date
    last_purchase: datetime.date
    orders: int


class PurchaseHistoryOut(Schema):
    orders: list[HistoryOrderOut] = Field(description="newest first")
    more_orders: str | None = Field(
        None, description="all the orders (the orders list, filtered), when more than shown"
    )
    products: list[ProductBoughtOut] = Field(
        description="per product, most recently bought first; cancelled orders left out"
    )
    spent: list[AmountOut] = Field(description="all the products together, per currency")
