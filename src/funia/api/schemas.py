"""Base schemas every endpoint shares."""

from ninja import Schema
from pydantic import ConfigDict


class InputSchema(Schema):
    """Request bodies reject unknown fields instead of ignoring them."""

    model_config = ConfigDict(extra="forbid")


class Problem(Schema):
    type: str
    title: str
    status: int
    detail: str
    errors: list[dict] | None = None
