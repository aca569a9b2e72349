"""API schemas of quotas. A period is given as `period` (month, quarter or year) and
`start`, its first day (2026-10-01 for 2026-Q4); answers add its `label` ("2026-Q4").
Money is a decimal string with two decimals in the organisation's currency."""

import datetime
from typing import Literal

from ninja import Schema
from pydantic import Field

from funia.api.schemas import Id, InputSchema
from funia.core import periods
from funia.sales.schemas import Money, money_text

PeriodName = Literal["month", "quarter", "year"]
START_HELP = "the first day of the period, e.g. 2026-10-01 for the quarter 2026-Q4"


class QuotaIn(InputSchema):
    user: Id | None = Field(None, description="the rep responsible (a user id); or `team`")
    team: Id | None = Field(None, description="the team responsible (a team id); or `user`")
    period: PeriodName
    start: datetime.date = Field(description=START_HELP)
    amount: Money = Field(description='the target in the organisation\'s currency, e.g. "50000"')
    note: str = Field("", max_length=300)


class QuotaPatch(InputSchema):
    amount: Money | None = Field(None, description="the new target (null: unchanged)")
    note: str | None = Field(None, max_length=300)


class QuotaOut(Schema):
    id: int
    user: int | None = Field(None, alias="user_id")
    team: int | None = Field(None, alias="team_id")
    period: str
    start: datetime.date
    label: str = Field(description='the period as "2026-11", "2026-Q4" or "2026"')
    amount: str
    currency: str = Field(description="the organisation's currency")
    note: str
    won: str = Field(
        description="the fact: won amount of the rep (or the team's current members) in the "
        "period: live deals now won whose win falls in the period"
    )
    progress: float | None = Field(description="won / amount (null when the amount is 0)")
    version: int
    created_at: datetime.datetime
    updated_at: datetime.datetime
    deleted: bool = Field(False, alias="is_deleted")
    deleted_at: datetime.datetime | None

    @staticmethod
    def resolve_label(obj):
        return periods.period_label(obj.period, obj.start)

    @staticmethod
    def resolve_amount(obj):
        return money_text(obj.amount)

    @staticmethod
    def resolve_currency(obj, context):
        return context["request"].auth.tenant.currency

    @staticmethod
    def _facts(obj, context):
        if not hasattr(obj, "won"):
            from funia.sales.quotas.selectors import attach_facts

            attach_facts(context["request"].auth.tenant, [obj])
        return obj

    @staticmethod
    def resolve_won(obj, context):
        return money_text(QuotaOut._facts(obj, context).won)

    @staticmethod
    def resolve_progress(obj, context):
        return QuotaOut._facts(obj, context).progress


class QuotaSetIn(InputSchema):
    user: Id | None = None
    team: Id | None = None
    period: PeriodName
    start: datetime.date = Field(description=START_HELP)
    amount: Money | None = Field(description="the target; null removes the quota (to the trash)")
    note: str | None = Field(None, max_length=300, description="null: unchanged")


class QuotaBulkIn(InputSchema):
    items: list[QuotaSetIn] = Field(min_length=1, max_length=500)


class FieldError(Schema):
    field: str
    message: str


class QuotaBulkRow(Schema):
    index: int = Field(description="the row's position in `items`, from 0")
    status: Literal["created", "updated", "unchanged", "deleted", "absent", "error"]
    id: int | None = Field(description="the quota's id (null for absent and error)")
    errors: list[FieldError]


class QuotaBulkOut(Schema):
    items: list[QuotaBulkRow]
    created: int
    updated: int
    unchanged: int
    deleted: int
    failed: int
