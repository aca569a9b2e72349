"""API schemas of activities, purposes and the contact registry's conflicts."""

from datetime import datetime
from typing import Literal

from ninja import Schema
from pydantic import Field

from funia.api.schemas import Id, InputSchema

Kind = Literal["call", "meeting", "email", "task", "note", "visit"]


class NamedRef(Schema):
    id: int
    name: str


class ConflictOut(Schema):
    """An activity the registry found: the same customer and purpose, another user, within
    the organisation's window."""

    activity: int
    subject: str
    kind: str
    user: NamedRef | None
    team: NamedRef | None
    at: datetime
    done: bool
    purpose: int | None
    purpose_name: str


class ActivityOut(Schema):
    id: int
    kind: str
    subject: str
    description: str
    owner: int | None = Field(None, alias="owner_id")
    team: int | None = Field(None, alias="team_id")
    due_at: datetime | None
    duration_minutes: int | None
    done_at: datetime | None
    done: bool = Field(False, alias="is_done")
    outcome: str
    location: str
    purpose: int | None = Field(None, alias="purpose_id")
    lead: int | None = Field(None, alias="lead_id")
    contact: int | None = Field(None, alias="contact_id")
    account: int | None = Field(None, alias="account_id")
    opportunity: int | None = Field(None, alias="opportunity_id")
    follow_up_of: int | None = Field(None, alias="follow_up_of_id")
    remind_at: datetime | None
    reminded_at: datetime | None
    conflicts: list[ConflictOut]
    version: int
    created_at: datetime
    updated_at: datetime
    deleted: bool = Field(False, alias="is_deleted")

    @staticmethod
    def resolve_conflicts(obj):
        from funia.activities.registry import conflict_data
        from funia.activities.selectors import stored_conflicts

        return [conflict_data(a) for a in stored_conflicts(obj)]


class ActivityIn(InputSchema):
    kind: Kind
    subject: str = Field("", max_length=200)
    description: str = Field("", max_length=10000)
    owner: Id | None = None
    due_at: datetime | None = None
    duration_minutes: int | None = Field(None, ge=0, le=10080)
    done_at: datetime | None = None
    outcome: str = Field("", max_length=300)
    location: str = Field("", max_length=200)
    purpose: Id | None = None
    lead: Id | None = None
    contact: Id | None = None
    account: Id | None = None
    opportunity: Id | None = None
    follow_up_of: Id | None = None
    remind_at: datetime | None = None


class ActivityPatch(InputSchema):
    kind: Kind | None = None
    subject: str | None = Field(None, max_length=200)
    description: str | None = Field(None, max_length=10000)
    owner: Id | None = None
    due_at: datetime | None = None
    duration_minutes: int | None = Field(None, ge=0, le=10080)
    done_at: datetime | None = None
    outcome: str | None = Field(None, max_length=300)
    location: str | None = Field(None, max_length=200)
    purpose: Id | None = None
    lead: Id | None = None
    contact: Id | None = None
    account: Id | None = None
    opportunity: Id | None = None
    follow_up_of: Id | None = None
    remind_at: datetime | None = None


class FollowUpIn(InputSchema):
    kind: Kind | None = None
    subject: str = Field("", max_length=200)
    description: str = Field("", max_length=10000)
    due_at: datetime | None = None
    purpose: Id | None = None
    owner: Id | None = None


class ActivityCompleteIn(InputSchema):
    outcome: str | None = Field(None, max_length=300)
    done_at: datetime | None = None
    duration_minutes: int | None = Field(None, ge=0, le=10080)
    follow_up: FollowUpIn | None = None


class ActivityCompleted(Schema):
    activity: ActivityOut
    follow_up: ActivityOut | None


class ConflictCheckIn(InputSchema):
    """An outreach as it would be saved: the registry answers without saving it."""

    kind: Kind = "call"
    purpose: Id | None = None
    owner: Id | None = None
    contact: Id | None = None
    account: Id | None = None
    lead: Id | None = None
    at: datetime | None = Field(None, description="when it happens; default now")
    activity: Id | None = Field(None, description="the activity being edited, if any")


class ConflictCheckOut(Schema):
    conflicts: list[ConflictOut]
    messages: list[str]


class ConflictSideOut(Schema):
    id: int
    subject: str
    kind: str
    user: NamedRef | None
    team: NamedRef | None
    at: datetime
    purpose: int | None
    contact: int | None
    account: int | None
    lead: int | None


class ActivityConflictOut(Schema):
    id: int
    detected_at: datetime
    activity: ConflictSideOut
    earlier: ConflictSideOut
    message: str


class ActivityPurposeOut(Schema):
    id: int
    name: str
    position: int
    is_active: bool
    version: int
    created_at: datetime
    updated_at: datetime
    deleted: bool = Field(False, alias="is_deleted")


class ActivityPurposeIn(InputSchema):
    name: str = Field(min_length=1, max_length=100)
    position: int | None = Field(None, ge=0, le=32767)
    is_active: bool = True


class ActivityPurposePatch(InputSchema):
    name: str | None = Field(None, min_length=1, max_length=100)
    position: int | None = Field(None, ge=0, le=32767)
    is_active: bool | None = None
