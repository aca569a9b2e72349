"""API schemas and filters of territories and of the coverage report."""

import datetime
from typing import Annotated, Literal

from django.db.models import Q
from ninja import Schema
from ninja.filter_schema import FilterLookup
from pydantic import Field, model_validator

from funia.api.schemas import Id, InputSchema, ListFilter, RejectNul
from funia.sales.schemas import money_text
from funia.sales.territories.selectors import ACTIVE_MONTHS, MAX_ACTIVE_MONTHS, MIN_ACTIVE_MONTHS

Text = Annotated[str, Field(max_length=100)]
Rules = list[Text]
Count = Annotated[int, Field(ge=0, le=2_147_483_647)]
# Revenue periods stay within years the databases and time zones handle.
Day = Annotated[datetime.date, Field(ge=datetime.date(1900, 1, 1), le=datetime.date(9998, 12, 31))]
ActiveMonths = Annotated[
    int,
    Field(
        ge=MIN_ACTIVE_MONTHS,
        le=MAX_ACTIVE_MONTHS,
        description="the active window of customers: this many months ending today "
        f"(organisation time zone), {MIN_ACTIVE_MONTHS} to {MAX_ACTIVE_MONTHS}; "
        f"default {ACTIVE_MONTHS}",
    ),
]


class TerritoryFilter(ListFilter):
    is_active: Annotated[bool | None, FilterLookup("is_active")] = None
    deleted: bool = False

    def filter_deleted(self, value: bool) -> Q:
        return Q(deleted_at__isnull=not value)


class TerritoryOut(Schema):
    id: int
    name: str
    position: int
    is_active: bool
    countries: list[str]
    regions: list[str]
    industries: list[str]
    min_employees: int | None
    max_employees: int | None
    manager: int | None = Field(None, alias="manager_id")
    reps: list[int]
    version: int
    created_at: datetime.datetime
    updated_at: datetime.datetime
    deleted: bool = Field(False, alias="is_deleted")

    @staticmethod
    def resolve_reps(obj):
        links = getattr(obj, "rep_links", None)
        if links is None:
            from funia.sales.territories.services import current_rep_ids

            return current_rep_ids(obj)
        return [link.user_id for link in links]


class TerritoryIn(InputSchema):
    name: str = Field(min_length=1, max_length=120)
    position: Count | None = Field(None, description="order of matching; default: last")
    is_active: bool = True
    countries: Rules = Field(default_factory=list, max_length=100, description="ISO codes")
    regions: Rules = Field(default_factory=list, max_length=100)
    industries: Rules = Field(default_factory=list, max_length=100)
    min_employees: Count | None = None
    max_employees: Count | None = None
    manager: Id | None = None
    reps: list[Id] = Field(default_factory=list, max_length=500, description="user ids")


class TerritoryPatch(InputSchema):
    name: str | None = Field(None, min_length=1, max_length=120)
    position: Count | None = None
    is_active: bool | None = None
    countries: Rules | None = Field(None, max_length=100)
    regions: Rules | None = Field(None, max_length=100)
    industries: Rules | None = Field(None, max_length=100)
    min_employees: Count | None = None
    max_employees: Count | None = None
    manager: Id | None = None
    reps: list[Id] | None = Field(None, max_length=500, description="the whole list of reps")


class TerritoryOrderIn(InputSchema):
    territories: list[Id] = Field(
        max_length=1000,
        description="territory ids in the new order; the others follow in their order",
    )


class TerritoryAccountsParams(RejectNul, Schema):
    status: Literal["prospect", "customer"] | None = Field(
        None,
        description="customer: a deal won or an order (not cancelled) in the active window; "
        "prospect: neither",
    )
    active_months: ActiveMonths = ACTIVE_MONTHS


class TerritoryAccountOut(Schema):
    id: int
    name: str
    country: str
    region: str
    industry: str
    employees: int | None
    owner: int | None = Field(None, alias="owner_id")
    status: Literal["prospect", "customer"]

    @staticmethod
    def resolve_status(obj):
        return "customer" if obj.is_customer else "prospect"


class CoverageParams(RejectNul, Schema):
    from_: Day | None = Field(
        None,
        alias="from",
        description="first day of the revenue period; default: 1 January of this year",
    )
    to: Day | None = Field(
        None, description="day after the revenue period (exclusive); default: a year after from"
    )
    active_months: ActiveMonths = ACTIVE_MONTHS

    model_config = {"populate_by_name": True}

    @model_validator(mode="after")
    def _ordered(self):
        if self.from_ is not None and self.to is not None and self.from_ >= self.to:
            raise ValueError("`from` must be before `to`.")
        return self


class CoverageRowOut(Schema):
    territory: int | None = Field(description="null: the accounts of no territory")
    name: str
    reps: int
    rep_ids: list[int]
    accounts: int
    prospects: int
    customers: int
    open_pipeline: str = Field(description="organisation currency, two decimals")
    weighted_pipeline: str
    open_deals: int
    revenue: str
    won_deals: int

    # Amounts as the API gives every amount: a string with two decimals.
    @staticmethod
    def resolve_open_pipeline(obj):
        return money_text(obj["open_pipeline"])

    @staticmethod
    def resolve_weighted_pipeline(obj):
        return money_text(obj["weighted_pipeline"])

    @staticmethod
    def resolve_revenue(obj):
        return money_text(obj["revenue"])


class CoverageOut(Schema):
    currency: str
    from_: datetime.date = Field(alias="from")
    to: datetime.date
    active_months: int
    active_since: datetime.date = Field(description="first day of the active window")
    active_until: datetime.date = Field(description="last day of the active window: today")
    territories: list[CoverageRowOut]
    total: CoverageRowOut

    model_config = {"populate_by_name": True}
