"""Filters of the lead, web form and assignment rule lists (pages and API alike)."""

from typing import Annotated, Literal

from django.db.models import Q
from ninja.filter_schema import FilterLookup
from pydantic import Field

from funia.api.schemas import Id, ListFilter
from funia.customers.normalize import fold, phone_digits


def _contained(value: str) -> Q:
    """Name (any script), company, email or phone through the folded search text."""
    q = Q()
    for term in fold(value).split():
        q &= Q(search_text__contains=term)
    digits = phone_digits(value)
    if len(digits) >= 5 and len(digits) == len(value.replace(" ", "").lstrip("+")):
        q = Q(search_text__contains=digits[-9:])
    return q


class LeadFilter(ListFilter):
    q: str | None = Field(None, max_length=200, description="name, company, email or phone")
    status: Annotated[
        Literal["new", "working", "qualified", "disqualified", "converted"] | None,
        FilterLookup("status"),
    ] = None
    owner: Annotated[Id | None, FilterLookup("owner_id")] = None
    source: Annotated[str | None, FilterLookup("source__iexact")] = Field(None, max_length=100)
    campaign: Annotated[str | None, FilterLookup("campaign__iexact")] = Field(None, max_length=200)
    rating: Annotated[Literal["hot", "warm", "cold"] | None, FilterLookup("rating")] = None
    deleted: bool = False
    sort: Literal[
        "last_name",
        "-last_name",
        "company",
        "-company",
        "created_at",
        "-created_at",
        "updated_at",
        "-updated_at",
    ] = "-created_at"

    def filter_q(self, value):
        if not value:
            return Q()
        if self.deleted:  # the search index holds live records only
            return _contained(value)
        from funia.search.filters import text_filter

        return text_filter("lead", value)

    def filter_deleted(self, value: bool) -> Q:
        return Q(deleted_at__isnull=not value)

    def filter_sort(self, value) -> Q:
        return Q()


class LeadFormFilter(ListFilter):
    is_active: Annotated[bool | None, FilterLookup("is_active")] = None
    deleted: bool = False

    def filter_deleted(self, value: bool) -> Q:
        return Q(deleted_at__isnull=not value)


class AssignmentRuleFilter(LeadFormFilter):
    pass
