"""API schemas of the global search."""

from ninja import Schema
from pydantic import Field, field_validator

from funia.api.schemas import RejectNul
from funia.search.registry import registered_types
from funia.search.selectors import DEFAULT_LIMIT, MAX_LIMIT


class SearchParams(RejectNul, Schema):
    q: str = Field(min_length=1, max_length=200, description="name, email, phone or company")
    types: str | None = Field(
        None,
        max_length=200,
        description="comma-separated record types, e.g. `account,contact` (default: all)",
    )
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)

    @field_validator("types")
    @classmethod
    def _known_types(cls, value: str | None) -> str | None:
        if value is None:
            return None
        known = registered_types()
        unknown = [t for t in value.split(",") if t.strip() not in known]
        if unknown:
            raise ValueError(f"Unknown type(s): {', '.join(unknown)}. Known: {', '.join(known)}.")
        return value

    def type_list(self) -> list[str] | None:
        return [t.strip() for t in self.types.split(",")] if self.types else None


class SearchHitOut(Schema):
    type: str
    id: int
    title: str
    subtitle: str
    url: str


class SearchOut(Schema):
    items: list[SearchHitOut]
