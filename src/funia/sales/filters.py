"""Filters of the sales lists, shared by the pages and the API."""

import datetime
from typing import Annotated, Literal

from django.db.models import F, Q
from ninja.filter_schema import FilterLookup
from pydantic import Field

from funia.api.schemas import Id, ListFilter


class OpportunityFilter(ListFilter):
    q: str | None = Field(None, max_length=200, description="name, or the account's name")
    pipeline: Annotated[Id | None, FilterLookup("pipeline_id")] = None
    stage: Annotated[Id | None, FilterLookup("stage_id")] = None
    owner: Annotated[Id | None, FilterLookup("owner_id")] = None
    team: Id | None = Field(None, description="deals owned by members of this team")
    account: Annotated[Id | None, FilterLookup("account_id")] = None
    contact: Annotated[Id | None, FilterLookup("contact_id")] = None
    source: Annotated[str | None, FilterLookup("source__iexact")] = Field(None, max_length=100)
    status: Literal["open", "won", "lost", "closed"] | None = None
    forecast_category: Annotated[
        Literal["pipeline", "best_case", "commit", "closed", "omitted"] | None,
        FilterLookup("forecast_category"),
    ] = None
    close_from: Annotated[datetime.date | None, FilterLookup("expected_close_date__gte")] = None
    close_to: Annotated[datetime.date | None, FilterLookup("expected_close_date__lte")] = None
    deleted: bool = False
    sort: Literal[
        "name",
        "-name",
        "amount_base",
        "-amount_base",
        "expected_close_date",
        "-expected_close_date",
        "stage_entered_at",
        "-stage_entered_at",
        "created_at",
        "-created_at",
        "updated_at",
        "-updated_at",
    ] = "-updated_at"

    def filter_q(self, value):
        if not value:
            return Q()
        return Q(name__icontains=value) | Q(account__name__icontains=value)

    def filter_team(self, value):
        if not value:
            return Q()
        # The team must be of the deal's own organisation: a user may belong to several.
        return Q(owner__teams__id=value, owner__teams__tenant_id=F("tenant_id"))

    def filter_status(self, value):
        if not value:
            return Q()
        # Open and closed read `closed_at` (kept by the services with the stage's kind),
        # which the (pipeline, closed_at) index serves without joining the stages.
        if value == "open":
            return Q(closed_at__isnull=True)
        if value == "closed":
            return Q(closed_at__isnull=False)
        return Q(stage__kind=value)

    def filter_deleted(self, value: bool) -> Q:
        return Q(deleted_at__isnull=not value)

    def filter_sort(self, value) -> Q:
        return Q()


class PipelineFilter(ListFilter):
    deleted: bool = False

    def filter_deleted(self, value: bool) -> Q:
        return Q(deleted_at__isnull=not value)


class ExchangeRateFilter(PipelineFilter):
    pass
