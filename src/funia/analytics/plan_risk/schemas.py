"""API schemas of the plan risk. Money is a decimal string with two decimals in the
organisation's currency (`currency`), like every amount of the API."""

import datetime
from typing import Literal

from ninja import Schema
from pydantic import Field

from funia.api.schemas import Id, RejectNul
from funia.sales.schemas import money_text

MONEY_FIELDS = ("open_amount", "counted_amount", "expected")


class PlanRiskParams(RejectNul, Schema):
    period: str | None = Field(
        None,
        max_length=10,
        description='"2026-11" (month), "2026-Q4" (quarter) or "2026" (year); default: the '
        "current quarter",
    )
    user: Id | None = Field(None, description="a rep (user id); default: you")
    team: Id | None = Field(None, description="a team instead of a rep")
    pipeline: Id | None = Field(None, description="one pipeline's deals; default: every pipeline")


class PlanRiskDealsParams(PlanRiskParams):
    stage: Id | None = Field(None, description="only the deals of this open stage")
    deals: Literal["expected", "open"] = Field(
        "expected",
        description="expected (default): the deals counted in `expected`; open: every open "
        "deal in scope (behind `open_count`, `open_amount` and, with `won`, `forecast`), "
        "`expected` null for those that do not count in the period",
    )


class PlanRiskStageOut(Schema):
    stage: int
    name: str
    pipeline: int
    pipeline_name: str
    probability: int = Field(description="the stage's static win probability in %")
    open_count: int = Field(description="open deals in scope now in the stage")
    open_amount: str
    counted_count: int = Field(description="of those, the deals expected to close in the period")
    counted_amount: str
    win_rate: float = Field(description="the rate applied, from 0 to 1")
    win_rate_source: str = Field(description="history, or probability (fewer than 10 deals)")
    history_deals: int = Field(
        description="deals that entered the stage in the last 365 days and are closed now"
    )
    median_days_to_win: float | None = Field(
        description="median days from the last entry into the stage to the win; null without "
        "won deals that passed through it"
    )
    expected: str = Field(description="sum of the counted deals' amount x win rate")

    @staticmethod
    def resolve_open_amount(obj):
        return money_text(obj["open_amount"])

    @staticmethod
    def resolve_counted_amount(obj):
        return money_text(obj["counted_amount"])

    @staticmethod
    def resolve_expected(obj):
        return money_text(obj["expected"])


class PlanRiskOut(Schema):
    period: str = Field(description='the period\'s label, e.g. "2026-Q4"')
    kind: str = Field(description="month, quarter or year")
    from_: datetime.date = Field(alias="from", description="the period's first day")
    to: datetime.date = Field(description="the day after the period (exclusive)")
    subject: str = Field(description="user or team")
    user: int | None
    team: int | None
    name: str = Field(description="the rep's or the team's name")
    manager: str = Field(description="the team's manager (empty for a rep)")
    currency: str
    quota: str | None = Field(description="the plan; null when no quota is set")
    won: str
    expected: str
    forecast: str = Field(description="won + expected")
    gap: str | None = Field(description="quota - forecast; null without a quota")
    at_risk: bool = Field(description="gap > 0")
    remaining: str | None = Field(description="quota - won, at least 0; null without a quota")
    coverage: float | None = Field(description="open_amount / remaining; null when remaining is 0")
    open_count: int
    open_amount: str = Field(description="every open deal in scope")
    counted_count: int
    counted_amount: str = Field(description="the deals expected to close in the period")
    lookback_days: int
    min_history: int
    stages: list[PlanRiskStageOut]

    @staticmethod
    def resolve_quota(obj):
        return money_text(obj["quota"])

    @staticmethod
    def resolve_won(obj):
        return money_text(obj["won"])

    @staticmethod
    def resolve_expected(obj):
        return money_text(obj["expected"])

    @staticmethod
    def resolve_forecast(obj):
        return money_text(obj["forecast"])

    @staticmethod
    def resolve_gap(obj):
        return money_text(obj["gap"])

    @staticmethod
    def resolve_remaining(obj):
        return money_text(obj["remaining"])

    @staticmethod
    def resolve_open_amount(obj):
        return money_text(obj["open_amount"])

    @staticmethod
    def resolve_counted_amount(obj):
        return money_text(obj["counted_amount"])


class PlanRiskDealOut(Schema):
    id: int
    name: str
    owner: int | None = Field(None, alias="owner_id")
    owner_name: str | None
    account: int | None = Field(None, alias="account_id")
    account_name: str | None
    pipeline: int = Field(alias="pipeline_id")
    stage: int = Field(alias="stage_id")
    stage_name: str
    amount_base: str | None = Field(description="the amount in the organisation's currency")
    stage_entered_at: datetime.datetime
    expected_close_date: datetime.date | None = Field(description="the rep's date, if any")
    expected_close: datetime.datetime | None = Field(
        description="when the report expects the close; null when unknown (deals=open only)"
    )
    win_rate: float
    win_rate_source: str
    expected: str | None = Field(
        description="amount_base x win_rate, rounded to cents; null when the deal does not "
        "count in the period (deals=open only)"
    )

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
    def resolve_amount_base(obj):
        return money_text(obj.amount_base)

    @staticmethod
    def resolve_win_rate(obj):
        return round(float(obj.win_rate), 4)

    @staticmethod
    def resolve_expected(obj):
        return money_text(obj.expected)
