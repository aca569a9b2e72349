"""Base schemas every endpoint shares."""

from typing import Annotated

from ninja import Schema
from pydantic import ConfigDict, Field

# A record id: positive and within the database's 64-bit integer range.
Id = Annotated[int, Field(ge=1, le=2**63 - 1)]


class InputSchema(Schema):
    """Request bodies reject unknown fields instead of ignoring them."""

    model_config = ConfigDict(extra="forbid")


class Problem(Schema):
    type: str
    title: str
    status: int
    detail: str
    errors: list[dict] | None = None
