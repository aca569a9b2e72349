"""List responses: {"items": [...], "count": N, "next": <url or null>} with limit and offset."""

from typing import Any

from django.conf import settings
from ninja import Field, Schema
from ninja.pagination import PaginationBase


class Page(PaginationBase):
    class Input(Schema):
        limit: int = Field(settings.API_PAGE_SIZE, ge=1, le=settings.API_MAX_PAGE_SIZE)
        offset: int = Field(0, ge=0, le=2**62)  # beyond any table; the database needs a bound

    class Output(Schema):
        items: list[Any]
        count: int
        next: str | None

    items_attribute = "items"

    def paginate_queryset(self, queryset, pagination: Input, request, **params):
        count = self._items_count(queryset)
        start, end = pagination.offset, pagination.offset + pagination.limit
        next_url = None
        if end < count:
            query = request.GET.copy()
            query["offset"] = str(end)
            query["limit"] = str(pagination.limit)
            next_url = request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
        return {"items": list(queryset[start:end]), "count": count, "next": next_url}
