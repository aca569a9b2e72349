"""API schemas of accounts and contacts."""

from datetime import datetime

from ninja import Schema
from pydantic import EmailStr, Field

from funia.api.schemas import Id, InputSchema


class AccountOut(Schema):
    id: int
    name: str
    domain: str
    parent: int | None = Field(None, alias="parent_id")
    industry: str
    country: str
    city: str
    employees: int | None
    email: str
    phone: str
    source: str
    owner: int | None = Field(None, alias="owner_id")
    version: int
    created_at: datetime
    updated_at: datetime
    deleted: bool = Field(False, alias="is_deleted")


class AccountIn(InputSchema):
    name: str = Field(min_length=1, max_length=200)
    domain: str = Field("", max_length=200)
    parent: Id | None = None
    industry: str = Field("", max_length=100)
    country: str = Field("", max_length=2, pattern=r"^([A-Za-z]{2})?$")
    city: str = Field("", max_length=100)
    employees: int | None = Field(None, ge=0, le=2_147_483_647)
    email: EmailStr | None = None
    phone: str = Field("", max_length=40)
    source: str = Field("", max_length=100)
    owner: Id | None = None


class AccountPatch(InputSchema):
    name: str | None = Field(None, min_length=1, max_length=200)
    domain: str | None = Field(None, max_length=200)
    parent: Id | None = None
    industry: str | None = Field(None, max_length=100)
    country: str | None = Field(None, max_length=2, pattern=r"^([A-Za-z]{2})?$")
    city: str | None = Field(None, max_length=100)
    employees: int | None = Field(None, ge=0, le=2_147_483_647)
    email: EmailStr | None = None
    phone: str | None = Field(None, max_length=40)
    source: str | None = Field(None, max_length=100)
    owner: Id | None = None


class ContactOut(Schema):
    id: int
    first_name: str
    last_name: str
    title: str
    account: int | None = Field(None, alias="account_id")
    email: str
    phone: str
    source: str
    owner: int | None = Field(None, alias="owner_id")
    version: int
    created_at: datetime
    updated_at: datetime
    deleted: bool = Field(False, alias="is_deleted")


class ContactIn(InputSchema):
    first_name: str = Field("", max_length=100)
    last_name: str = Field(min_length=1, max_length=100)
    title: str = Field("", max_length=100)
    account: Id | None = None
    email: EmailStr | None = None
    phone: str = Field("", max_length=40)
    source: str = Field("", max_length=100)
    owner: Id | None = None


class ContactPatch(InputSchema):
    first_name: str | None = Field(None, max_length=100)
    last_name: str | None = Field(None, min_length=1, max_length=100)
    title: str | None = Field(None, max_length=100)
    account: Id | None = None
    email: EmailStr | None = None
    phone: str | None = Field(None, max_length=40)
    source: str | None = Field(None, max_length=100)
    owner: Id | None = None
