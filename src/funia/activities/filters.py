"""Filters of the activity, purpose and conflict lists (the pages and the API share them)."""

from datetime import date, datetime, time, timedelta
from typing import Annotated, Literal

from django.db.models import Q
from django.utils import timezone
from ninja.filter_schema import FilterLookup
from pydantic import Field

from funia.api.schemas import Id, ListFilter

Kind = Literal["call", "meeting", "email", "task", "note", "visit"]


def day_start(day: date) -> datetime:
    """Midnight of `day` in the current time zone (the organisation's, on a request)."""
    return timezone.make_aware(datetime.combine(day, time.min))


class ActivityFilter(ListFilter):
    q: Annotated[str | None, FilterLookup("subject__icontains")] = Field(
        None, max_length=200, description="words of the subject"
    )
    kind: Annotated[Kind | None, FilterLookup("kind")] = None
    owner: Annotated[Id | None, FilterLookup("owner_id")] = None
    team: Annotated[Id | None, FilterLookup("team_id")] = None
    purpose: Annotated[Id | None, FilterLookup("purpose_id")] = None
    contact: Annotated[Id | None, FilterLookup("contact_id")] = None
    account: Annotated[Id | None, FilterLookup("account_id")] = None
    lead: Annotated[Id | None, FilterLookup("lead_id")] = None
    opportunity: Annotated[Id | None, FilterLookup("opportunity_id")] = None
    state: Literal["open", "done"] | None = Field(None, description="open (not done) or done")
    due_from: date | None = Field(None, description="due on or after this day")
    due_to: date | None = Field(None, description="due on or before this day")
    deleted: bool = False
    sort: Literal[
        "due_at", "-due_at", "done_at", "-done_at", "created_at", "-created_at", "subject"
    ] = "-created_at"

    def filter_state(self, value) -> Q:
        if value is None:
            return Q()
        return Q(done_at__isnull=value == "open")

    def filter_due_from(self, value) -> Q:
        return Q(due_at__gte=day_start(value)) if value else Q()

    def filter_due_to(self, value) -> Q:
        return Q(due_at__lt=day_start(value + timedelta(days=1))) if value else Q()

    def filter_deleted(self, value: bool) -> Q:
        return Q(deleted_at__isnull=not value)

    def filter_sort(self, value) -> Q:
        return Q()


class ActivityPurposeFilter(ListFilter):
    active: Annotated[bool | None, FilterLookup("is_active")] = None
    deleted: bool = False

    def filter_deleted(self, value: bool) -> Q:
        return Q(deleted_at__isnull=not value)


class ActivityConflictFilter(ListFilter):
    """The contact registry's findings: detected in a period, by department and purpose."""

    detected_from: date | None = None
    detected_to: date | None = None
    team: Id | None = Field(None, description="the department of either activity")
    purpose: Annotated[Id | None, FilterLookup("activity__purpose_id")] = None

    def filter_detected_from(self, value) -> Q:
        return Q(detected_at__gte=day_start(value)) if value else Q()

    def filter_detected_to(self, value) -> Q:
        return Q(detected_at__lt=day_start(value + timedelta(days=1))) if value else Q()

    def filter_team(self, value) -> Q:
        return Q(activity__team_id=value) | Q(earlier__team_id=value) if value else Q()
