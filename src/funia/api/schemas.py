"""Base schemas every endpoint shares."""

from typing import Annotated

from ninja import FilterSchema, Schema
from pydantic import ConfigDict, Field, field_validator

# A record id: positive and within the database's 64-bit integer range.
Id = Annotated[int, Field(ge=1, le=2**63 - 1)]


def _contains_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list | tuple):
        return any(_contains_nul(v) for v in value)
    if isinstance(value, dict):
        return any(_contains_nul(k) or _contains_nul(v) for k, v in value.items())
    return False


class RejectNul:
    """Text with NUL characters is refused (422): databases cannot store it faithfully."""

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul(cls, value):
        if _contains_nul(value):
            raise ValueError("NUL characters are not allowed.")
        return value


class InputSchema(RejectNul, Schema):
    """Request bodies reject unknown fields instead of ignoring them."""

    model_config = ConfigDict(extra="forbid")


class ListFilter(RejectNul, FilterSchema):
    """Base of every list filter (query parameters)."""


class Problem(Schema):
    type: str
    title: str
    status: int
    detail: str
    errors: list[dict] | None = None
