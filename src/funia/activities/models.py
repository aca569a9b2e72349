"""Activities (calls, meetings, emails, tasks, notes, visits), outreach purposes, the
contact registry's conflicts, and each user's private calendar feed."""

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from funia.core.tenancy import TenantModel, TenantScoped


class ActivityKind(models.TextChoices):
    CALL = "call", _("Call")
    MEETING = "meeting", _("Meeting")
    EMAIL = "email", _("Email")
    TASK = "task", _("Task")
    NOTE = "note", _("Note")
    VISIT = "visit", _("Visit")


# Kinds that reach out to a customer: they carry a purpose and the contact registry checks them.
OUTREACH_KINDS = frozenset(
    {ActivityKind.CALL, ActivityKind.MEETING, ActivityKind.EMAIL, ActivityKind.VISIT}
)
# Kinds that go to the calendar feed.
CALENDAR_KINDS = frozenset(
    {ActivityKind.CALL, ActivityKind.MEETING, ActivityKind.TASK, ActivityKind.VISIT}
)


class ActivityPurpose(TenantModel):
    """Why a customer is contacted (offer, follow-up, collection, survey, support...)."""

    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("activity purpose")
        verbose_name_plural = _("activity purposes")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class Activity(TenantModel):
    kind = models.CharField(_("kind"), max_length=8, choices=ActivityKind)
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assigned to"),
    )
    # When it is planned (a task's due date, a meeting's start); done_at when it happened.
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    duration_minutes = models.PositiveIntegerField(_("duration (minutes)"), null=True, blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=300, blank=True)
    location = models.CharField(_("location"), max_length=200, blank=True)
    purpose = models.ForeignKey(
        ActivityPurpose,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="activities",
        verbose_name=_("purpose"),
    )
    # The owner's department when the activity was made (their team), kept for the registry.
    team = models.ForeignKey(
        "core.Team",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("department"),
    )
    lead = models.ForeignKey(
        "sales.Lead",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="activities",
        verbose_name=_("lead"),
    )
    contact = models.ForeignKey(
        "customers.Contact",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="activities",
        verbose_name=_("contact"),
    )
    account = models.ForeignKey(
        "customers.Account",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="activities",
        verbose_name=_("account"),
    )
    opportunity = models.ForeignKey(
        "sales.Opportunity",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="activities",
        verbose_name=_("opportunity"),
    )
    follow_up_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="follow_ups",
        verbose_name=_("follow-up of"),
    )
    remind_at = models.DateTimeField(_("remind at"), null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True, editable=False)

    audit_exclude = (*TenantModel.audit_exclude, "reminded_at")

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        indexes = [
            models.Index(fields=["tenant", "owner", "due_at"]),
            models.Index(fields=["tenant", "contact", "due_at"]),
            models.Index(fields=["tenant", "account", "due_at"]),
            models.Index(fields=["tenant", "opportunity"]),
            models.Index(fields=["tenant", "lead"]),
            models.Index(fields=["tenant", "purpose", "due_at"]),
            models.Index(
                fields=["remind_at"],
                condition=models.Q(reminded_at__isnull=True, deleted_at__isnull=True),
                name="activity_reminder_due",
            ),
        ]

    def __str__(self) -> str:
        return self.subject

    @property
    def is_done(self) -> bool:
        return self.done_at is not None

    @property
    def when(self):
        """The moment the activity counts for: when it happened, else when it is planned."""
        return self.done_at or self.due_at or self.created_at


class ActivityConflict(TenantScoped):
    """The contact registry found `earlier`: the same customer, the same purpose, another
    user, within the organisation's window. Kept so managers can review them."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="conflicts")
    earlier = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="+")
    detected_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["activity", "earlier"], name="activity_conflict_unique")
        ]
        indexes = [models.Index(fields=["tenant", "detected_at"])]


def new_feed_token() -> str:
    return secrets.token_urlsafe(24)


class CalendarFeed(TenantScoped):
    """A user's private iCalendar address. The token is the only credential of the feed:
    revoking replaces it, so an old subscription stops working."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feeds"
    )
    token = models.CharField(max_length=64, unique=True, default=new_feed_token)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user"], name="calendar_feed_one_per_user")
        ]
