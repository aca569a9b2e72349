"""API schemas of the configurator: a configuration (valid or not, with every violation and
the price) and configurator links."""

import datetime
from typing import Annotated

from django.db.models import Q
from django.urls import reverse
from ninja import Schema
from ninja.filter_schema import FilterLookup
from pydantic import Field

from funia.api.schemas import Id, InputSchema, ListFilter
from funia.sales.schemas import money_text

OptionIds = Annotated[list[Id], Field(max_length=500)]


class ConfigureIn(InputSchema):
    options: OptionIds | None = Field(
        None, description="the chosen option ids; null or absent: the product's defaults"
    )
    price_book: Id | None = Field(
        None,
        description="default: the organisation's default active price book in its currency",
    )


class ViolationOut(Schema):
    rule: str = Field(description="unknown, single, required, requires, excludes or price")
    message: str


class ChosenOptionOut(Schema):
    id: int
    name: str
    group: str
    price_adjustment: str | None = Field(
        description="the option's effect on the unit price, in the price book's currency"
    )

    @staticmethod
    def resolve_price_adjustment(obj):
        return money_text(obj.price_adjustment)


class ConfigurationOut(Schema):
    product: int
    price_book: int
    valid: bool
    violations: list[ViolationOut]
    unit_price: str | None = Field(description="null while the configuration cannot be priced")
    base_price: str | None
    currency: str
    options: list[ChosenOptionOut]
    description: str = Field(description="the quote line's text")

    @staticmethod
    def resolve_product(obj):
        return obj.product.pk

    @staticmethod
    def resolve_price_book(obj):
        return obj.price_book.pk

    @staticmethod
    def resolve_unit_price(obj):
        return money_text(obj.unit_price)

    @staticmethod
    def resolve_base_price(obj):
        return money_text(obj.base_price)

    @staticmethod
    def resolve_description(obj):
        return obj.description()


class ConfiguratorLinkIn(InputSchema):
    product: Id
    price_book: Id | None = Field(
        None,
        description="default: the deal's book, else the organisation's default active book",
    )
    opportunity: Id | None = None
    expires_in_days: int = Field(30, ge=1, le=365)


class ConfiguratorLinkFilter(ListFilter):
    opportunity: Annotated[Id | None, FilterLookup("opportunity_id")] = None
    product: Annotated[Id | None, FilterLookup("product_id")] = None
    submitted: bool | None = Field(None, description="true: the customer has submitted")
    revoked: bool = Field(False, description="true: the revoked links instead of the live ones")

    def filter_submitted(self, value: bool | None) -> Q:
        return Q() if value is None else Q(submitted_at__isnull=not value)

    def filter_revoked(self, value: bool) -> Q:
        return Q(deleted_at__isnull=not value)


class ConfiguratorLinkOut(Schema):
    id: int
    url: str = Field(description="the public address to give the customer (no sign-in)")
    expires_at: datetime.datetime | None
    product: int = Field(alias="product_id")
    price_book: int = Field(alias="price_book_id")
    opportunity: int | None = Field(None, alias="opportunity_id")
    created_by: int | None = Field(None, alias="created_by_id")
    created_at: datetime.datetime
    revoked: bool = Field(False, alias="is_deleted")
    submitted_at: datetime.datetime | None
    options: list[int] = Field(description="the option ids the customer submitted")
    customer_name: str
    customer_email: str
    configuration: ConfigurationOut | None = Field(
        None, description="the submitted options priced now; null until the customer submits"
    )

    @staticmethod
    def resolve_url(obj, context):
        path = reverse("public_configurator", kwargs={"link_token": obj.token})
        return context["request"].build_absolute_uri(path)

    @staticmethod
    def resolve_options(obj):
        from funia.sales.configurator.selectors import submitted_option_ids

        return submitted_option_ids(obj)

    @staticmethod
    def resolve_configuration(obj):
        return getattr(obj, "configuration", None)
