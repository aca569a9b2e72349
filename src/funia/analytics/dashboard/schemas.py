"""API schemas of the dashboard: the deals at risk."""

import datetime

from ninja import Schema
from pydantic import Field

from funia.analytics.dashboard.risk import DAY, FALLBACK_DAYS, MIN_STAYS
from funia.sales.schemas import money_text


class RiskDealOut(Schema):
    id: int
    name: str
    account: int | None = Field(None, alias="account_id")
    account_name: str | None
    owner: int | None = Field(None, alias="owner_id")
    owner_name: str | None
    pipeline: int = Field(alias="pipeline_id")
    stage: int = Field(alias="stage_id")
    stage_name: str
    amount_base: str | None = Field(description="the amount in the organisation's currency")
    stage_entered_at: datetime.datetime
    days_in_stage: float = Field(description="days since the deal entered its current stage")
    usual_days: float = Field(description="the usual time in this stage, in days")
    usual_stays: int = Field(
        description="how many stays (ended in the last 365 days) the usual time is computed "
        f"from; below {MIN_STAYS} it is a fixed {FALLBACK_DAYS} days"
    )
    ratio: float = Field(description="days_in_stage / usual_days")

    @staticmethod
    def resolve_account_name(obj):
        return obj.account.name if obj.account else None

    @staticmethod
    def resolve_owner_name(obj):
        return (obj.owner.get_full_name() or obj.owner.email) if obj.owner else None

    @staticmethod
    def resolve_stage_name(obj):
        return obj.stage.name

    @staticmethod
    def resolve_amount_base(obj):
        return money_text(obj.amount_base)

    @staticmethod
    def resolve_days_in_stage(obj):
        return round(obj.age_seconds / DAY, 2)

    @staticmethod
    def resolve_usual_days(obj):
        return round(obj.usual_seconds / DAY, 2)

    @staticmethod
    def resolve_ratio(obj):
        return round(obj.ratio, 2)
