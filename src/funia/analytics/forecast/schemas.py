"""Parameters and API schemas of the sales forecast and of the managers' adjustments.

`ForecastParams` is the one definition of the report's parameters: the API reads it from
the query, the page from its filter form, the dashboard builds it with its defaults
(`ForecastParams()`). Money is given like everywhere in the API: decimal strings with two
decimals in the organisation's currency (`currency`).
"""

import datetime
from typing import Annotated, Literal

from ninja import Schema
from ninja.filter_schema import FilterLookup
from pydantic import BeforeValidator, Field

from funia.api.schemas import Id, InputSchema, ListFilter, RejectNul
from funia.sales.schemas import Money, money_text

# Years a report may name: wide enough for any business, narrow enough that shifting a month
# by the report's reach never leaves the calendar.
_YEAR = r"(19|2\d)\d{2}"
MONTH_PATTERN = rf"^{_YEAR}-(0[1-9]|1[0-2])$"
BUCKET_PATTERN = rf"^(overdue|none|past|{_YEAR}-(0[1-9]|1[0-2])|{_YEAR}-Q[1-4])$"

GroupBy = Literal["owner", "team"]
AdjustedCategory = Literal["commit", "best_case", "pipeline"]
DrillCategory = Literal[
    "commit", "best_case", "pipeline", "open", "won", "commit_forecast", "best_case_forecast"
]
AdjustmentPeriod = Literal["month", "quarter"]

MoneyText = Annotated[str, BeforeValidator(money_text)]
MaybeMoney = Annotated[str | None, BeforeValidator(money_text)]


class ForecastParams(RejectNul, Schema):
    from_: str | None = Field(
        None,
        alias="from",
        pattern=MONTH_PATTERN,
        description="first close month, YYYY-MM; default: the current month (organisation "
        "time zone)",
    )
    months: int = Field(3, ge=1, le=24, description="how many close months (1-24, default 3)")
    group_by: GroupBy | None = Field(None, description="one table per owner or per team")
    pipeline: Id | None = Field(None, description="one pipeline; default: all pipelines")
    owner: Id | None = Field(None, description="deals owned by this user")
    team: Id | None = Field(None, description="deals owned by members of this team")
    months_back: int = Field(
        6, ge=0, le=24, description="plan vs fact: how many past months before `from` (0-24)"
    )
    trend_months: int = Field(
        12, ge=2, le=36, description="trend: how many past months of won amounts (2-36)"
    )

    model_config = {"populate_by_name": True}


class ForecastDrilldownParams(ForecastParams):
    month: str | None = Field(
        None,
        pattern=BUCKET_PATTERN,
        description="YYYY-MM (a close month of the report, or a past month of plan vs "
        "fact), YYYY-Qn (a quarter of the quarter table), `overdue`, `none` (no close "
        "date), `past` (the `months_back` months of plan vs fact); leave out for the "
        "report's whole window (its total column)",
    )
    category: DrillCategory | None = Field(
        None,
        description="commit, best_case, pipeline, open (the three together: the weighted "
        "pipeline), won, commit_forecast (won and commit), best_case_forecast (won, commit "
        "and best case); leave out for all of them",
    )
    group: str | None = Field(
        None,
        max_length=30,
        pattern=r"^(__none__|[1-9][0-9]{0,18})$",
        description="a group's key from the report (same group_by): a user or team id, or "
        "__none__ for no owner / no team",
    )


# -- the report --------------------------------------------------------------------------


class AdjustmentBriefOut(Schema):
    id: int
    user: int
    user_name: str
    period: str
    start: datetime.date
    category: str
    amount: MoneyText
    note: str
    adjusted_by: int | None
    adjusted_by_name: str | None
    updated_at: datetime.datetime


class CategoryOut(Schema):
    count: int = Field(description="open deals of the category")
    amount: MoneyText = Field(
        description="the value the forecast uses: the computed amount, or the manager's "
        "adjustment where one applies"
    )
    computed: MoneyText = Field(description="the sum of the deals' amounts")
    adjusted: bool = Field(description="an adjustment replaces (part of) the computed amount")
    adjustments: list[AdjustmentBriefOut] = Field(
        description="the adjustments behind `amount` (applied or, with a pipeline filter, "
        "only shown)"
    )


class WonOut(Schema):
    count: int
    amount: MoneyText


class CategoriesOut(Schema):
    commit: CategoryOut
    best_case: CategoryOut
    pipeline: CategoryOut


class ForecastRowOut(Schema):
    key: str = Field(description="YYYY-MM, YYYY-Qn, `overdue` or `none`; `total` for the total")
    kind: str = Field(description="month, quarter, overdue, none or total")
    start: datetime.date | None
    categories: CategoriesOut
    open_count: int = Field(description="open deals of the three categories")
    weighted: MoneyText = Field(description="Σ amount × the stage's win probability")
    won: WonOut = Field(description="won deals whose win falls in the period (the fact)")
    commit_forecast: MoneyText = Field(description="won + commit")
    best_case_forecast: MoneyText = Field(description="won + commit + best case")
    plan: MaybeMoney = Field(description="the quota; null when none is set")
    trend: MaybeMoney = Field(description="the linear trend of past won amounts (months)")
    win_rate_forecast: MaybeMoney = Field(
        description="won + historical win rate × the open amount (computed)"
    )


class ForecastTableOut(Schema):
    rows: list[ForecastRowOut]
    total: ForecastRowOut | None


class ForecastGroupOut(Schema):
    key: int | None = Field(description="user or team id; null: no owner / no team")
    label: str
    rows: list[ForecastRowOut]
    total: ForecastRowOut | None
    quarters: list[ForecastRowOut]


class PlanFactRowOut(Schema):
    key: str
    start: datetime.date | None
    plan: MaybeMoney
    won: WonOut
    attainment: float | None = Field(description="won ÷ plan in % (one decimal); null without plan")


class PlanFactGroupOut(Schema):
    key: int | None
    label: str
    rows: list[PlanFactRowOut]
    total: PlanFactRowOut


class PlanFactOut(Schema):
    months_back: int
    rows: list[PlanFactRowOut]
    total: PlanFactRowOut
    groups: list[PlanFactGroupOut] | None


class TrendPointOut(Schema):
    key: str
    won: MoneyText


class TrendOut(Schema):
    method: str
    months: int
    history: list[TrendPointOut] = Field(description="won amount of each past month")
    slope: MaybeMoney = Field(description="change per month of the fitted line")
    intercept: MaybeMoney = Field(description="the fitted value of the first past month")
    win_rate: float | None = Field(
        description="won ÷ (won + lost) amount of the deals closed in those months (0-1)"
    )


class ForecastOut(Schema):
    currency: str
    from_month: str = Field(description="the first close month, YYYY-MM")
    months: int
    group_by: str | None
    pipeline: int | None
    owner: int | None
    team: int | None
    adjustments_applied: bool = Field(
        description="false with a pipeline filter: adjustments cover all pipelines, so "
        "they are shown but not applied"
    )
    forecast: ForecastTableOut = Field(
        description="overdue, each close month, no close date; then the total"
    )
    quarters: list[ForecastRowOut] = Field(description="the quarters the months touch")
    groups: list[ForecastGroupOut] | None = Field(None, description="only with group_by")
    plan_vs_fact: PlanFactOut
    trend: TrendOut


# -- the drill-down ------------------------------------------------------------------------


class ForecastDealOut(Schema):
    id: int
    name: str
    owner: int | None = Field(None, alias="owner_id")
    owner_name: str | None
    account: int | None = Field(None, alias="account_id")
    account_name: str | None
    pipeline: int = Field(alias="pipeline_id")
    stage: int = Field(alias="stage_id")
    stage_name: str
    stage_kind: str
    probability: int
    amount_base: str | None = Field(description="the amount in the organisation's currency")
    weighted_amount: str | None = Field(description="amount_base × probability")
    forecast_category: str
    expected_close_date: datetime.date | None
    closed_at: datetime.datetime | None

    @staticmethod
    def resolve_owner_name(obj):
        return (obj.owner.get_full_name() or obj.owner.email) if obj.owner else None

    @staticmethod
    def resolve_account_name(obj):
        return obj.account.name if obj.account else None

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
    def resolve_amount_base(obj):
        return money_text(obj.amount_base)

    @staticmethod
    def resolve_weighted_amount(obj):
        if obj.amount_base is None:
            return None
        return money_text(obj.amount_base * obj.stage.probability / 100)


# -- adjustments ---------------------------------------------------------------------------


class ForecastAdjustmentOut(Schema):
    id: int
    user: int = Field(alias="user_id")
    user_name: str
    period: str
    start: datetime.date
    label: str = Field(description="YYYY-MM or YYYY-Qn")
    category: str
    amount: MoneyText
    note: str
    adjusted_by: int | None = Field(None, alias="adjusted_by_id")
    adjusted_by_name: str | None
    version: int
    created_at: datetime.datetime
    updated_at: datetime.datetime
    deleted: bool = Field(False, alias="is_deleted")
    deleted_at: datetime.datetime | None

    @staticmethod
    def resolve_user_name(obj):
        return obj.user.get_full_name() or obj.user.email

    @staticmethod
    def resolve_adjusted_by_name(obj):
        by = obj.adjusted_by
        return (by.get_full_name() or by.email) if by else None

    @staticmethod
    def resolve_label(obj):
        from funia.core.periods import period_label

        return period_label(obj.period, obj.start)


class ForecastAdjustmentIn(InputSchema):
    user: Id = Field(description="the rep whose forecast is adjusted")
    period: AdjustmentPeriod = Field(description="month or quarter")
    start: datetime.date = Field(description="the first day of the month or quarter")
    category: AdjustedCategory
    amount: Money = Field(description="the amount the manager expects (>= 0)")
    note: str = Field("", max_length=300, description="why")


class ForecastAdjustmentPatch(InputSchema):
    user: Id | None = None
    period: AdjustmentPeriod | None = None
    start: datetime.date | None = None
    category: AdjustedCategory | None = None
    amount: Money | None = None
    note: str | None = Field(None, max_length=300)


class ForecastAdjustmentFilter(ListFilter):
    user: Annotated[Id | None, FilterLookup("user_id")] = None
    period: Annotated[AdjustmentPeriod | None, FilterLookup("period")] = None
    category: Annotated[AdjustedCategory | None, FilterLookup("category")] = None
    start_from: Annotated[datetime.date | None, FilterLookup("start__gte")] = Field(
        None, description="periods starting on or after this day"
    )
    start_to: Annotated[datetime.date | None, FilterLookup("start__lte")] = Field(
        None, description="periods starting on or before this day"
    )
    deleted: bool = False

    def filter_deleted(self, value: bool):
        from django.db.models import Q

        return Q(deleted_at__isnull=not value)
