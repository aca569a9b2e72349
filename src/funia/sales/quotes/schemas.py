"""API schemas and the list filter of quotes.

Amounts are strings with two decimals (`"35500.00"`), as everywhere in the API; so are
percentages (`"3.00"`). Quantities are decimal strings without trailing zeros (`"2"`).
`revision` is which version of the quote a record is (Q-00012 v2); `version` is the record's
own version (its ETag, sent back as If-Match), as for every record.
"""

import datetime
from decimal import Decimal
from typing import Annotated, Literal

from django.db.models import Q
from ninja import Schema
from ninja.filter_schema import FilterLookup
from pydantic import Field

from funia.api.schemas import Id, InputSchema, ListFilter
from funia.sales.schemas import LineAmountsOut, money_text

StatusName = Literal["draft", "sent", "accepted", "rejected", "expired"]
Percent = Annotated[Decimal, Field(ge=0, le=100, decimal_places=2, allow_inf_nan=False)]
Quantity = Annotated[
    Decimal, Field(gt=0, lt=10**9, decimal_places=3, max_digits=12, allow_inf_nan=False)
]
Day = Annotated[datetime.date, Field(ge=datetime.date(1900, 1, 1), le=datetime.date(9998, 12, 31))]


class QuoteFilter(ListFilter):
    opportunity: Annotated[Id | None, FilterLookup("opportunity_id")] = None
    account: Annotated[Id | None, FilterLookup("opportunity__account_id")] = None
    status: StatusName | None = Field(
        None, description="as shown: a sent quote past its validity date is expired"
    )
    current: bool | None = Field(
        None, description="true: only the latest revision of each quote; false: replaced ones"
    )
    mine: bool = Field(False, description="only quotes you own")
    deleted: bool = False

    def filter_status(self, value) -> Q:
        return Q(shown_status=value) if value else Q()

    def filter_current(self, value) -> Q:
        if value is None:
            return Q()
        return Q(superseded_by__isnull=value)

    def filter_mine(self, value) -> Q:
        # Needs the actor: applied by the selector.
        return Q()

    def filter_deleted(self, value: bool) -> Q:
        return Q(deleted_at__isnull=not value)


class QuoteLineIn(InputSchema):
    product: Id
    configuration: list[Id] | None = Field(
        None, max_length=200, description="option ids; null or absent: the product's defaults"
    )
    quantity: Quantity = Decimal(1)
    discount_percent: Percent = Decimal(0)


class QuoteIn(InputSchema):
    opportunity: Id
    price_book: Id | None = Field(
        None, description="default: the deal's book, else the default book in its currency"
    )
    discount_percent: Percent = Decimal(0)
    title: str | None = Field(None, max_length=200, description="default: the deal's name")
    contact: Id | None = Field(None, description="default: the deal's contact")
    valid_until: Day | None = Field(None, description="default on sending: 30 days later")
    notes: str | None = Field(None, max_length=10_000)
    update_opportunity_amount: bool = True
    lines: list[QuoteLineIn] = Field(default_factory=list, max_length=200)


class QuotePatch(InputSchema):
    title: str | None = Field(None, max_length=200)
    contact: Id | None = None
    price_book: Id | None = Field(None, description="every line is repriced in the new book")
    discount_percent: Percent | None = None
    valid_until: Day | None = None
    notes: str | None = Field(None, max_length=10_000)
    update_opportunity_amount: bool | None = None
    lines: list[QuoteLineIn] | None = Field(
        None, max_length=200, description="the whole list: replaces the draft's lines"
    )


class ApprovalNoteIn(InputSchema):
    note: str = Field("", max_length=300)


class RefusalIn(InputSchema):
    note: str = Field(min_length=1, max_length=300, description="why the discount is refused")


class AcceptIn(InputSchema):
    name: str = Field(min_length=1, max_length=200, description="who accepted, as they signed")
    note: str = Field("", max_length=5000)


class RejectIn(InputSchema):
    name: str = Field("", max_length=200)
    reason: str = Field(min_length=1, max_length=5000)


class QuoteOptionOut(Schema):
    id: int | None = None
    name: str = ""
    group: str = ""
    price_adjustment: str | None = None


class QuoteLineOut(LineAmountsOut):
    id: int
    product: int = Field(alias="product_id")
    sku: str
    description: str
    options: list[QuoteOptionOut]
    configuration: list[int] = Field(description="the chosen option ids")

    @staticmethod
    def resolve_sku(obj):
        return obj.product.sku

    @staticmethod
    def resolve_options(obj):
        return [option for option in obj.options or [] if isinstance(option, dict)]

    @staticmethod
    def resolve_configuration(obj):
        return [o["id"] for o in obj.options or [] if isinstance(o, dict) and "id" in o]


class QuoteOut(Schema):
    id: int
    reference: str
    number: int
    revision: int = Field(description="which version of the quote this is: 2 for Q-00012 v2")
    is_current: bool
    superseded_by: int | None = Field(None, alias="superseded_by_id")
    opportunity: int = Field(alias="opportunity_id")
    account: int | None
    contact: int | None = Field(None, alias="contact_id")
    owner: int | None = Field(None, alias="owner_id")
    title: str
    status: StatusName = Field(description="expired: sent and past its validity date")
    price_book: int = Field(alias="price_book_id")
    currency: str
    discount_percent: str
    valid_until: datetime.date | None
    notes: str
    update_opportunity_amount: bool
    approval_status: Literal["not_needed", "pending", "approved", "refused"]
    approved_by: int | None = Field(None, alias="approved_by_id")
    approved_at: datetime.datetime | None
    approval_note: str
    subtotal: str
    discount_total: str
    tax_total: str
    total: str
    net_total: str = Field(description="subtotal - discounts, before tax: the deal's amount")
    sent_at: datetime.datetime | None
    decided_at: datetime.datetime | None
    decided_by_name: str
    decision_note: str
    public_url: str | None = Field(description="the customer's link, once sent")
    order: int | None = Field(description="the order made when the quote was accepted")
    lines: list[QuoteLineOut]
    version: int
    created_at: datetime.datetime
    updated_at: datetime.datetime
    deleted: bool = Field(False, alias="is_deleted")
    deleted_at: datetime.datetime | None

    @staticmethod
    def resolve_account(obj):
        return obj.opportunity.account_id

    @staticmethod
    def resolve_status(obj):
        from funia.sales.quotes.services import effective_status

        return effective_status(obj)

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
    def resolve_net_total(obj):
        from funia.sales.quotes.services import net_total

        return money_text(net_total(obj))

    @staticmethod
    def resolve_public_url(obj, context):
        if obj.sent_at is None:
            return None
        from django.urls import reverse

        url = reverse("public_quote", kwargs={"quote_token": obj.public_token})
        return context["request"].build_absolute_uri(url)

    @staticmethod
    def resolve_order(obj):
        from django.core.exceptions import ObjectDoesNotExist

        try:
            return obj.order.pk
        except ObjectDoesNotExist:
            return None

    @staticmethod
    def resolve_lines(obj):
        return list(obj.lines.all())
