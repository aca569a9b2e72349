"""API schemas of pipelines, exchange rates and opportunities.

Money is exchanged as decimal strings: requests may send an amount as a JSON number or a
string (`1200.5`, `"1200.50"`); answers always give it as a string with two decimals
(`"1200.50"`), or `null`. Exchange rates are strings too, without trailing zeros.
"""

import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Literal

from ninja import Schema
from pydantic import AfterValidator, Field, field_validator

from funia.api.schemas import Id, InputSchema

CENT = Decimal("0.01")
StageKindName = Literal["open", "won", "lost"]
ForecastName = Literal["pipeline", "best_case", "commit", "closed", "omitted"]
MONEY_LIMIT = Decimal(10) ** 16


def _check_money(value: Decimal) -> Decimal:
    # The limit first: quantizing a huge number exceeds the decimal context's precision.
    if value >= MONEY_LIMIT:
        raise ValueError("An amount must be below 10^16.")
    if value != value.quantize(CENT, rounding=ROUND_HALF_UP):
        raise ValueError("An amount has at most two decimals.")
    return value.quantize(CENT)


Money = Annotated[Decimal, Field(ge=0, allow_inf_nan=False), AfterValidator(_check_money)]


def money_text(value: Decimal | None) -> str | None:
    """An amount as the API gives it: a string with two decimals, or None."""
    if value is None:
        return None
    return str(Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP))


def rate_text(value: Decimal) -> str:
    """A rate as the API gives it: a plain decimal string without trailing zeros."""
    text = format(Decimal(value).normalize(), "f")
    return text


class LineAmountsOut(Schema):
    """The amounts of a quote or order line, as `funia.sales.pricing` computed them."""

    quantity: str
    unit_price: str
    discount_percent: str
    tax_rate: str
    gross: str = Field(description="quantity × unit price")
    line_discount: str
    total: str = Field(description="gross − line discount")
    quote_discount: str = Field(description="the line's share of the document's discount")
    tax: str

    @staticmethod
    def resolve_quantity(obj):
        return rate_text(obj.quantity)

    @staticmethod
    def resolve_unit_price(obj):
        return money_text(obj.unit_price)

    @staticmethod
    def resolve_discount_percent(obj):
        return money_text(obj.discount_percent)

    @staticmethod
    def resolve_tax_rate(obj):
        return money_text(obj.tax_rate)

    @staticmethod
    def resolve_gross(obj):
        return money_text(obj.gross)

    @staticmethod
    def resolve_line_discount(obj):
        return money_text(obj.line_discount)

    @staticmethod
    def resolve_total(obj):
        return money_text(obj.total)

    @staticmethod
    def resolve_quote_discount(obj):
        return money_text(obj.quote_discount)

    @staticmethod
    def resolve_tax(obj):
        return money_text(obj.tax)


def instant_text(value: datetime.datetime) -> str:
    """A time in UTC as ISO 8601, to the microsecond when it has one (a migrated history
    reads back exactly as given)."""
    text = value.astimezone(datetime.UTC).isoformat()
    if value.microsecond and not value.microsecond % 1000:
        text = text[:23] + text[26:]
    return text.removesuffix("+00:00") + "Z"


def _base_currency(context) -> str:
    return context["request"].auth.tenant.currency


# -- pipelines -------------------------------------------------------------------------------


class StageIn(InputSchema):
    id: Id | None = Field(None, description="an existing stage of this pipeline; leave out to add")
    name: str = Field(min_length=1, max_length=120)
    probability: int | None = Field(
        None, ge=0, le=100, description="win probability in %; default 100 won, 0 lost and open"
    )
    kind: StageKindName = "open"
    required_fields: list[str] = Field(
        default_factory=list,
        max_length=10,
        description="opportunity fields a deal needs to enter the stage: account, contact, "
        "amount, expected_close_date, next_step, source, description, lost_reason",
    )


class StageOut(Schema):
    id: int
    name: str
    position: int
    probability: int
    kind: str
    required_fields: list[str]


class PipelineIn(InputSchema):
    name: str = Field(min_length=1, max_length=120)
    is_default: bool = False
    position: int = Field(0, ge=0, le=2_147_483_647)
    stages: list[StageIn] = Field(min_length=1, max_length=50)


class PipelinePatch(InputSchema):
    name: str | None = Field(None, min_length=1, max_length=120)
    is_default: bool | None = None
    position: int | None = Field(None, ge=0, le=2_147_483_647)
    stages: list[StageIn] | None = Field(
        None, min_length=1, max_length=50, description="the whole ordered list of stages"
    )


class PipelineOut(Schema):
    id: int
    name: str
    is_default: bool
    position: int
    stages: list[StageOut]
    version: int
    created_at: datetime.datetime
    updated_at: datetime.datetime
    deleted: bool = Field(False, alias="is_deleted")
    deleted_at: datetime.datetime | None

    @staticmethod
    def resolve_stages(obj):
        return list(obj.stages.all())


# -- exchange rates --------------------------------------------------------------------------


class ExchangeRateIn(InputSchema):
    currency: str = Field(pattern=r"^[A-Za-z]{3}$", description="ISO 4217 code, e.g. USD")
    rate: Decimal = Field(
        gt=0,
        max_digits=18,
        decimal_places=8,
        description="the value of one unit of the currency in the organisation's currency",
    )


class ExchangeRatePatch(InputSchema):
    rate: Decimal | None = Field(None, gt=0, max_digits=18, decimal_places=8)


class ExchangeRateOut(Schema):
    id: int
    currency: str
    rate: str
    base_currency: str
    version: int
    created_at: datetime.datetime
    updated_at: datetime.datetime
    deleted: bool = Field(False, alias="is_deleted")
    deleted_at: datetime.datetime | None

    @staticmethod
    def resolve_rate(obj):
        return rate_text(obj.rate)

    @staticmethod
    def resolve_base_currency(obj, context):
        return _base_currency(context)


# -- opportunities ---------------------------------------------------------------------------

StageName = Annotated[str, Field(min_length=1, max_length=120)]


class StageHistoryItemIn(InputSchema):
    stage: Id | StageName = Field(description="a stage id, or a stage name of the deal's pipeline")
    at: datetime.datetime = Field(
        description="ISO 8601; without an offset it is read in the organisation's time zone"
    )

    @field_validator("at")
    @classmethod
    def _plausible(cls, value: datetime.datetime) -> datetime.datetime:
        if value.year < 1900:
            raise ValueError("A time after 1900 is expected.")
        return value


class OpportunityFieldsIn(InputSchema):
    """Fields shared by create, PATCH and the gate fields of a move."""

    account: Id | None = None
    contact: Id | None = None
    amount: Money | None = Field(
        None, description='a decimal number or string, at most two decimals, e.g. "1200.50"'
    )
    expected_close_date: datetime.date | None = None
    next_step: str | None = Field(None, max_length=300)
    source: str | None = Field(None, max_length=100)
    description: str | None = Field(None, max_length=20_000)
    lost_reason: str | None = Field(None, max_length=300)


class OpportunityIn(OpportunityFieldsIn):
    name: str = Field(min_length=1, max_length=200)
    owner: Id | None = Field(None, description="user id; default: you")
    pipeline: Id | None = Field(None, description="default: the default pipeline")
    stage: Id | None = Field(None, description="default: the pipeline's first open stage")
    currency: str | None = Field(None, pattern=r"^[A-Za-z]{3}$", description="default: yours")
    price_book: Id | None = Field(
        None,
        description="the book the deal's quotes take their prices from (in the deal's currency); "
        "default: the default book in that currency",
    )
    campaign: str | None = Field(None, max_length=200)
    forecast_category: ForecastName | None = None
    stage_history: list[StageHistoryItemIn] | None = Field(
        None,
        min_length=1,
        max_length=200,
        description="administrators, for migrations: the deal's past, oldest first; the last "
        "entry is its current stage",
    )


class OpportunityPatch(OpportunityFieldsIn):
    name: str | None = Field(None, min_length=1, max_length=200)
    owner: Id | None = None
    pipeline: Id | None = Field(None, description="with `stage`: a move to another pipeline")
    stage: Id | None = Field(None, description="a move through the stage's gate")
    currency: str | None = Field(None, pattern=r"^[A-Za-z]{3}$")
    price_book: Id | None = None
    campaign: str | None = Field(None, max_length=200)
    forecast_category: ForecastName | None = None


class MoveIn(OpportunityFieldsIn):
    stage: Id = Field(description="a stage of the deal's pipeline")


class OpportunityOut(Schema):
    id: int
    name: str
    account: int | None = Field(None, alias="account_id")
    contact: int | None = Field(None, alias="contact_id")
    owner: int | None = Field(None, alias="owner_id")
    pipeline: int = Field(alias="pipeline_id")
    stage: int = Field(alias="stage_id")
    stage_name: str
    stage_kind: str
    probability: int
    amount: str | None
    currency: str
    amount_base: str | None = Field(description="the amount in the organisation's currency")
    base_currency: str
    weighted_amount: str | None = Field(description="amount_base × probability")
    expected_close_date: datetime.date | None
    source: str
    campaign: str
    forecast_category: str
    lost_reason: str
    next_step: str
    description: str
    lead: int | None = Field(None, alias="lead_id")
    price_book: int | None = Field(None, alias="price_book_id")
    closed_at: datetime.datetime | None
    stage_entered_at: datetime.datetime
    version: int
    created_at: datetime.datetime
    updated_at: datetime.datetime
    deleted: bool = Field(False, alias="is_deleted")
    deleted_at: datetime.datetime | None

    @staticmethod
    def resolve_stage_name(obj):
        return obj.stage.name

    @staticmethod
    def resolve_stage_kind(obj):
        return obj.stage.kind

    @staticmethod
    def resolve_probability(obj):
        return obj.stage.probability

    @staticmethod
    def resolve_amount(obj):
        return money_text(obj.amount)

    @staticmethod
    def resolve_amount_base(obj):
        return money_text(obj.amount_base)

    @staticmethod
    def resolve_base_currency(obj, context):
        return _base_currency(context)

    @staticmethod
    def resolve_weighted_amount(obj):
        if obj.amount_base is None:
            return None
        return money_text(obj.amount_base * obj.stage.probability / 100)


class StageChangeOut(Schema):
    stage: int
    stage_name: str
    from_stage: int | None
    from_stage_name: str | None
    at: str = Field(
        json_schema_extra={"format": "date-time"},
        description="when the deal entered the stage: ISO 8601 in UTC, to the microsecond",
    )
    by: int | None = Field(description="user id; null for a user since removed")
    amount: str | None
    currency: str
    probability: int
    imported: bool = Field(description="given with the deal by a migration")
    days_in_stage: float | None = Field(
        description="days until the next entry (until now for the current open stage; null "
        "for a closed deal's last entry)"
    )


class BulkReassignIn(InputSchema):
    ids: list[Id] = Field(min_length=1, max_length=1000)
    owner: Id


class BulkMoveIn(InputSchema):
    ids: list[Id] = Field(min_length=1, max_length=1000)
    stage: Id


class BulkRefusal(Schema):
    id: int
    reason: str


class BulkResultOut(Schema):
    done: list[int]
    refused: list[BulkRefusal]
