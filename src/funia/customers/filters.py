"""One filter definition per list, built by both the HTML list form and the API."""

from typing import Annotated, ClassVar, Literal

from django.db.models import Q
from ninja.filter_schema import FilterLookup
from pydantic import Field

from funia.api.schemas import Id, ListFilter
from funia.customers.normalize import fold, phone_digits


def _text_search(value: str) -> Q:
    """Name (any script), email or phone in any format: all through the folded search text."""
    terms = fold(value).split()
    q = Q()
    for term in terms:
        q &= Q(search_text__contains=term)
    digits = phone_digits(value)
    if len(digits) >= 5 and len(digits) == len(value.replace(" ", "").lstrip("+")):
        q = Q(search_text__contains=digits[-9:])
    return q


def _custom(value: str) -> Q:
    """`key=value` on a custom field."""
    key, _sep, wanted = value.partition("=")
    if not key.isidentifier():
        return Q(pk__in=[])
    return Q(**{f"custom__{key}": wanted}) | Q(**{f"custom__{key}": _typed(wanted)})


def _typed(text: str):
    lowered = text.lower()
    if lowered in {"true", "false"}:
        return lowered == "true"
    try:
        return int(text)
    except ValueError:
        return text


class RecordFilter(ListFilter):
    q: str | None = Field(None, max_length=200, description="name, email or phone")
    owner: Annotated[Id | None, FilterLookup("owner_id")] = None
    source: Annotated[str | None, FilterLookup("source__iexact")] = Field(None, max_length=100)
    tag: Annotated[str | None, FilterLookup("tag_links__tag__name__iexact")] = Field(
        None, max_length=50
    )
    custom: str | None = Field(None, max_length=200, description="key=value of a custom field")
    deleted: bool = False

    search_type: ClassVar[str] = ""  # the search index's record type ("contact"), for `q`

    def filter_q(self, value):
        if not value:
            return Q()
        if self.deleted:  # the search index holds live records only
            return _text_search(value)
        from funia.search.filters import text_filter

        return text_filter(self.search_type, value)

    def filter_custom(self, value):
        return _custom(value) if value else Q()

    def filter_deleted(self, value: bool) -> Q:
        return Q(deleted_at__isnull=not value)

    def filter_sort(self, value) -> Q:
        return Q()


class AccountFilter(RecordFilter):
    search_type: ClassVar[str] = "account"
    industry: Annotated[str | None, FilterLookup("industry__iexact")] = Field(None, max_length=100)
    segment: Annotated[str | None, FilterLookup("segment__iexact")] = Field(None, max_length=100)
    country: Annotated[str | None, FilterLookup("country__iexact")] = Field(None, max_length=2)
    parent: Annotated[Id | None, FilterLookup("parent_id")] = None
    sort: Literal["name", "-name", "created_at", "-created_at", "updated_at", "-updated_at"] = (
        "name"
    )


class ContactFilter(RecordFilter):
    search_type: ClassVar[str] = "contact"
    account: Annotated[Id | None, FilterLookup("account_id")] = None
    consent_marketing: Annotated[bool | None, FilterLookup("consent_marketing")] = None
    sort: Literal[
        "last_name", "-last_name", "created_at", "-created_at", "updated_at", "-updated_at"
    ] = "last_name"


class CustomFieldFilter(ListFilter):
    entity: Literal["account", "contact"] | None = None
    deleted: bool = False

    def filter_deleted(self, value: bool) -> Q:
        return Q(deleted_at__isnull=not value)
