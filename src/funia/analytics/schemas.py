"""API schemas of the pipeline reports. Money is given like everywhere in the API: decimal
strings with two decimals in the organisation's currency (`currency`)."""

import datetime

from ninja import Schema
from pydantic import Field

from funia.sales.schemas import money_text


class SnapshotStageOut(Schema):
    stage: int
    name: str
    probability: int = Field(description="the stage's win probability in %")
    count: int = Field(description="live deals now in the stage")
    amount: str = Field(description="sum of their amounts in the organisation's currency")
    weighted_amount: str = Field(description="amount × the stage's probability")
    avg_age_days: float | None = Field(
        description="mean days since the deals entered the stage; null without deals"
    )

    @staticmethod
    def resolve_amount(obj):
        return money_text(obj["amount"])

    @staticmethod
    def resolve_weighted_amount(obj):
        return money_text(obj["weighted_amount"])


class SnapshotOut(Schema):
    pipeline: int
    currency: str = Field(description="the organisation's currency of every amount")
    stages: list[SnapshotStageOut] = Field(description="the open stages, in order")
    total_count: int
    total_amount: str
    total_weighted_amount: str
    avg_sales_cycle_days: float | None = Field(
        description="mean days from creation to win of the deals won in the look-back window"
    )
    median_sales_cycle_days: float | None
    won_in_window: int = Field(description="how many won deals the sales cycle is over")
    cycle_days: int = Field(description="the look-back window, in days")

    @staticmethod
    def resolve_total_amount(obj):
        return money_text(obj["total_amount"])

    @staticmethod
    def resolve_total_weighted_amount(obj):
        return money_text(obj["total_weighted_amount"])


class HistoryStageOut(Schema):
    stage: int
    name: str
    kind: str = Field(description="open, won or lost")
    entered: int
    advanced: int | None = Field(description="null for won and lost stages")
    lost: int | None
    open: int | None
    conversion: float | None = Field(
        description="advanced / entered (0 to 1, four decimals); null when entered is 0 "
        "and for won and lost stages"
    )
    median_days_in_stage: float | None


class HistoryGroupOut(Schema):
    key: int | str | None = Field(
        description="owner id, team id, source or YYYY-MM; null for no owner / team / source"
    )
    label: str
    stages: list[HistoryStageOut]


class HistoryOut(Schema):
    pipeline: int
    from_: datetime.datetime = Field(alias="from", description="start of the period")
    to: datetime.datetime = Field(description="end of the period (exclusive)")
    mode: str
    group_by: str | None
    stages: list[HistoryStageOut]
    # Absent without group_by (the route leaves out unset fields): never null.
    groups: list[HistoryGroupOut] = Field(
        default_factory=list, description="one funnel per group; only with group_by"
    )

    model_config = {"populate_by_name": True}


class DrilldownDealOut(Schema):
    id: int
    name: str
    owner: int | None = Field(None, alias="owner_id")
    owner_name: str | None
    account: int | None = Field(None, alias="account_id")
    account_name: str | None
    stage: int = Field(alias="stage_id")
    stage_name: str
    amount_base: str | None = Field(description="the amount in the organisation's currency")
    source: str
    stage_entered_at: datetime.datetime
    closed_at: datetime.datetime | None
    created_at: datetime.datetime

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
