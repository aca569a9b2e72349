"""API schemas of the platform: users, teams, tokens, audit entries."""

from datetime import datetime
from typing import Literal

from ninja import Schema
from pydantic import Field

from funia.api.schemas import Id, InputSchema
from funia.core.models import Role

RoleName = Literal[tuple(Role.values)]  # type: ignore[valid-type]


class UserOut(Schema):
    id: int
    email: str
    first_name: str
    last_name: str
    role: str
    is_active: bool
    teams: list[int]


class UserIn(InputSchema):
    email: str = Field(max_length=254)
    role: RoleName
    first_name: str = Field("", max_length=150)
    last_name: str = Field("", max_length=150)
    password: str | None = Field(None, max_length=128)


class UserPatch(InputSchema):
    role: RoleName | None = None
    is_active: bool | None = None
    first_name: str | None = Field(None, max_length=150)
    last_name: str | None = Field(None, max_length=150)


class TeamOut(Schema):
    id: int
    name: str
    manager: int | None
    members: list[int]
    version: int
    created_at: datetime
    updated_at: datetime
    deleted: bool


class TeamIn(InputSchema):
    name: str = Field(min_length=1, max_length=120)
    manager: Id | None = None
    members: list[Id] = Field(default_factory=list, max_length=1000)


class TeamPatch(InputSchema):
    name: str | None = Field(None, min_length=1, max_length=120)
    manager: Id | None = None
    members: list[Id] | None = Field(None, max_length=1000)


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreated(TokenOut):
    token: str = Field(description="The secret; shown only once.")


class TokenIn(InputSchema):
    name: str = Field("API", min_length=1, max_length=100)


class AuditEntryOut(Schema):
    id: int
    object_type: str
    object_id: int
    action: str
    changes: dict
    user: int | None = Field(None, alias="user_id")
    token: int | None = Field(None, alias="token_id")
    at: datetime


class MeOut(Schema):
    id: int
    email: str
    first_name: str
    last_name: str
    role: str
    organization: str
    organization_name: str
    currency: str
    time_zone: str


class OrganizationOut(Schema):
    slug: str
    name: str
    currency: str
    time_zone: str
    language: str
    default_region: str
    merge_undo_days: int
    reps_see_team_records: bool
    contact_window_days: int


class OrganizationPatch(InputSchema):
    name: str | None = Field(None, min_length=1, max_length=200)
    currency: str | None = Field(None, pattern=r"^[A-Z]{3}$")
    time_zone: str | None = Field(None, max_length=64)
    language: Literal["en", "bg"] | None = None
    default_region: str | None = Field(None, pattern=r"^[A-Z]{2}$")
    merge_undo_days: int | None = Field(None, ge=1, le=3650)
    reps_see_team_records: bool | None = None
    contact_window_days: int | None = Field(None, ge=1, le=365)
