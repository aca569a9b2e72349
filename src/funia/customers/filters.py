"""One filter definition per list, built by both the HTML list form and the API."""

from typing import Annotated, Literal

from django.db.models import Q
from ninja.filter_schema import FilterLookup

from funia.api.schemas import Id, ListFilter


class AccountFilter(ListFilter):
    q: Annotated[str | None, FilterLookup(["name__icontains", "domain__icontains"])] = None
    owner: Annotated[Id | None, FilterLookup("owner_id")] = None
    industry: Annotated[str | None, FilterLookup("industry__iexact")] = None
    country: Annotated[str | None, FilterLookup("country__iexact")] = None
    deleted: bool = False
    sort: Literal["name", "-name", "created_at", "-created_at", "updated_at", "-updated_at"] = (
        "name"
    )

    def filter_deleted(self, value: bool) -> Q:
        return Q(deleted_at__isnull=not value)

    def filter_sort(self, value) -> Q:
        return Q()


class ContactFilter(ListFilter):
    q: Annotated[
        str | None,
        FilterLookup(["first_name__icontains", "last_name__icontains", "email__icontains"]),
    ] = None
    owner: Annotated[Id | None, FilterLookup("owner_id")] = None
    account: Annotated[Id | None, FilterLookup("account_id")] = None
    deleted: bool = False
    sort: Literal[
        "last_name", "-last_name", "created_at", "-created_at", "updated_at", "-updated_at"
    ] = "last_name"

    def filter_deleted(self, value: bool) -> Q:
        return Q(deleted_at__isnull=not value)

    def filter_sort(self, value) -> Q:
        return Q()
