"""API schemas of accounts, contacts and custom fields."""

from datetime import datetime
from typing import Any, Literal

from ninja import Schema
from pydantic import Field

from funia.api.schemas import Id, InputSchema

Text = str


class PointIn(InputSchema):
    value: str = Field(min_length=1, max_length=254)
    label: str = Field("", max_length=40)


class PointOut(Schema):
    value: str
    label: str


class AddressIn(InputSchema):
    label: str = Field("", max_length=40)
    street: str = Field("", max_length=200)
    city: str = Field("", max_length=100)
    postal_code: str = Field("", max_length=20)
    region: str = Field("", max_length=100)
    country: str = Field("", max_length=2, pattern=r"^([A-Za-z]{2})?$")


class AddressOut(Schema):
    label: str
    street: str
    city: str
    postal_code: str
    region: str
    country: str


class ConsentIn(InputSchema):
    granted: bool | None
    source: str = Field("", max_length=100)


class ConsentChoicesIn(InputSchema):
    email: ConsentIn | None = None
    phone: ConsentIn | None = None
    marketing: ConsentIn | None = None


class ConsentOut(Schema):
    granted: bool | None
    at: datetime | None
    source: str


class AccountLinkIn(InputSchema):
    account: Id
    role: str = Field("", max_length=100)


class AccountLinkOut(Schema):
    account: int
    role: str


Tags = list[Text]
CustomValues = dict[str, Any]


class RecordOut(Schema):
    id: int
    emails: list[PointOut]
    phones: list[PointOut]
    addresses: list[AddressOut]
    tags: list[str]
    custom: CustomValues
    source: str
    owner: int | None = Field(None, alias="owner_id")
    version: int
    created_at: datetime
    updated_at: datetime
    deleted: bool = Field(False, alias="is_deleted")
    merged_into: int | None = Field(None, alias="merged_into_id")

    @staticmethod
    def resolve_emails(obj):
        return obj.email_points

    @staticmethod
    def resolve_phones(obj):
        return obj.phone_points

    @staticmethod
    def resolve_addresses(obj):
        return list(obj.addresses.all())

    @staticmethod
    def resolve_tags(obj):
        return obj.tag_names


class AccountOut(RecordOut):
    name: str
    domain: str
    parent: int | None = Field(None, alias="parent_id")
    industry: str
    segment: str
    employees: int | None
    size: str
    country: str
    region: str
    city: str


class ContactOut(RecordOut):
    first_name: str
    last_name: str
    title: str
    account: int | None = Field(None, alias="account_id")
    accounts: list[AccountLinkOut]
    consent: dict[str, ConsentOut]

    @staticmethod
    def resolve_accounts(obj):
        return [{"account": link.account_id, "role": link.role} for link in obj.account_links.all()]

    @staticmethod
    def resolve_consent(obj):
        latest = {}
        for event in obj.consent_events.all():
            latest[event.channel] = event
        return {
            channel: {
                "granted": getattr(obj, f"consent_{channel}"),
                "at": latest[channel].at if channel in latest else None,
                "source": latest[channel].source if channel in latest else "",
            }
            for channel in ("email", "phone", "marketing")
        }


class RecordIn(InputSchema):
    emails: list[PointIn | str] = Field(default_factory=list, max_length=20)
    phones: list[PointIn | str] = Field(default_factory=list, max_length=20)
    addresses: list[AddressIn] = Field(default_factory=list, max_length=20)
    tags: Tags = Field(default_factory=list, max_length=50)
    custom: CustomValues = Field(default_factory=dict)
    source: str = Field("", max_length=100)
    owner: Id | None = None


class AccountIn(RecordIn):
    name: str = Field(min_length=1, max_length=200)
    domain: str = Field("", max_length=200)
    parent: Id | None = None
    industry: str = Field("", max_length=100)
    segment: str = Field("", max_length=100)
    employees: int | None = Field(None, ge=0, le=2_147_483_647)
    country: str = Field("", max_length=2, pattern=r"^([A-Za-z]{2})?$")
    region: str = Field("", max_length=100)
    city: str = Field("", max_length=100)


class ContactIn(RecordIn):
    first_name: str = Field("", max_length=100)
    last_name: str = Field(min_length=1, max_length=100)
    title: str = Field("", max_length=100)
    account: Id | None = None
    accounts: list[AccountLinkIn] = Field(default_factory=list, max_length=50)
    consent: ConsentChoicesIn | None = None


class RecordPatch(InputSchema):
    emails: list[PointIn | str] | None = Field(None, max_length=20)
    phones: list[PointIn | str] | None = Field(None, max_length=20)
    addresses: list[AddressIn] | None = Field(None, max_length=20)
    tags: Tags | None = Field(None, max_length=50)
    custom: CustomValues | None = None
    source: str | None = Field(None, max_length=100)
    owner: Id | None = None


class AccountPatch(RecordPatch):
    name: str | None = Field(None, min_length=1, max_length=200)
    domain: str | None = Field(None, max_length=200)
    parent: Id | None = None
    industry: str | None = Field(None, max_length=100)
    segment: str | None = Field(None, max_length=100)
    employees: int | None = Field(None, ge=0, le=2_147_483_647)
    country: str | None = Field(None, max_length=2, pattern=r"^([A-Za-z]{2})?$")
    region: str | None = Field(None, max_length=100)
    city: str | None = Field(None, max_length=100)


class ContactPatch(RecordPatch):
    first_name: str | None = Field(None, max_length=100)
    last_name: str | None = Field(None, min_length=1, max_length=100)
    title: str | None = Field(None, max_length=100)
    account: Id | None = None
    accounts: list[AccountLinkIn] | None = Field(None, max_length=50)
    consent: ConsentChoicesIn | None = None


class DuplicateOut(Schema):
    id: int
    name: str
    score: int
    reasons: list[str]


class CustomFieldOut(Schema):
    id: int
    entity: str
    key: str
    label: str
    kind: str
    choices: list[str]
    required: bool
    position: int
    version: int
    created_at: datetime
    updated_at: datetime
    deleted: bool = Field(False, alias="is_deleted")


class CustomFieldIn(InputSchema):
    entity: Literal["account", "contact"]
    key: str = Field(min_length=1, max_length=50, pattern=r"^[a-z][a-z0-9_]*$")
    label: str = Field(min_length=1, max_length=100)
    kind: Literal["text", "number", "date", "choice", "boolean"]
    choices: list[str] = Field(default_factory=list, max_length=100)
    required: bool = False
    position: int = Field(0, ge=0, le=32767)


class CustomFieldPatch(InputSchema):
    label: str | None = Field(None, min_length=1, max_length=100)
    choices: list[str] | None = Field(None, max_length=100)
    required: bool | None = None
    position: int | None = Field(None, ge=0, le=32767)
