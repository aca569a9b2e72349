"""The filter of the quota list, shared by the API and the pages."""

from typing import Annotated, Literal

from django.db.models import Q
from ninja.filter_schema import FilterLookup
from pydantic import Field

from funia.api.schemas import Id, ListFilter


class QuotaFilter(ListFilter):
    user: Annotated[Id | None, FilterLookup("user_id")] = Field(None, description="a rep's quotas")
    team: Annotated[Id | None, FilterLookup("team_id")] = Field(None, description="a team's quotas")
    period: Annotated[Literal["month", "quarter", "year"] | None, FilterLookup("period")] = None
    year: Annotated[int | None, FilterLookup("start__year")] = Field(
        None, ge=1900, le=2999, description="quotas of periods starting in this year"
    )
    deleted: bool = Field(False, description="true: the trash")

    def filter_deleted(self, value: bool) -> Q:
        return Q(deleted_at__isnull=not value)
