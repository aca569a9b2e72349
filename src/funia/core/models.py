"""Organisations (tenants), users, memberships with roles, teams, API tokens, audit trail."""

import hashlib
import secrets
from zoneinfo import available_timezones

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from funia.core.tenancy import (
    TenantManager,
    TenantModel,
    TenantQuerySet,
    TenantScoped,
    tenant_led_by_indexes,
)

TIME_ZONE_CHOICES = sorted((tz, tz) for tz in available_timezones())


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    SALES_MANAGER = "sales_manager", _("Sales manager")
    SALES_REP = "sales_rep", _("Sales representative")
    MARKETER = "marketer", _("Marketer")
    SERVICE_AGENT = "service_agent", _("Service agent")
    ANALYST = "analyst", _("Analyst")


class Organization(models.Model):
    """A tenant: every business record belongs to exactly one."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    currency = models.CharField(_("currency"), max_length=3, default=settings.DEFAULT_CURRENCY)
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Europe/Sofia", choices=TIME_ZONE_CHOICES
    )
    language = models.CharField(
        _("language"), max_length=8, default="en", choices=settings.LANGUAGES
    )
    default_region = models.CharField(
        _("default phone region"),
        max_length=2,
        default="BG",
        help_text=_("Country code used for phone numbers typed without +, e.g. BG."),
    )
    merge_undo_days = models.PositiveSmallIntegerField(_("days a merge can be undone"), default=30)
    reps_see_team_records = models.BooleanField(
        _("sales reps see their team's records"), default=False
    )
    contact_window_days = models.PositiveSmallIntegerField(
        _("contact registry window (days)"),
        default=14,
        help_text=_(
            "Outreach to the same customer for the same purpose by another user within this "
            "many days is flagged as a conflict."
        ),
    )
    quote_discount_limit = models.DecimalField(
        _("quote discount limit (%)"),
        max_digits=5,
        decimal_places=2,
        default=15,
        help_text=_("A quote with a larger discount needs a sales manager's approval."),
    )
    document_details = models.TextField(
        _("details on documents"),
        blank=True,
        help_text=_("Legal name, address, VAT number and bank details printed on quotes."),
    )
    logo = models.ImageField(_("logo"), upload_to="logos/", blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email, password=None, **extra):
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def get_by_natural_key(self, username):
        # Emails are stored lower-cased; sign-in accepts any capitalisation.
        return self.get(email__iexact=(username or "").strip())

    def create_superuser(self, email, password=None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractUser):
    """A person who signs in with an email address; belongs to organisations by membership."""

    username = None
    email = models.EmailField(_("email address"), unique=True)
    language = models.CharField(
        _("language"),
        max_length=8,
        blank=True,
        choices=settings.LANGUAGES,
        help_text=_("Empty: follow the browser's language."),
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.get_full_name() or self.email


class Membership(TenantScoped):
    """A user's place in one organisation: the role decides what they may see and do."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user"], name="membership_unique_user")
        ]
        indexes = [models.Index(fields=["tenant", "role"])]

    def __str__(self) -> str:
        return f"{self.user} @ {self.tenant} ({self.role})"


class Team(TenantModel):
    """A group of users with a manager (a sales team, a service desk, a call-centre shift)."""

    name = models.CharField(_("name"), max_length=120)
    manager = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="managed_teams",
        verbose_name=_("manager"),
    )
    members = models.ManyToManyField(
        User, through="TeamMember", related_name="teams", blank=True, verbose_name=_("members")
    )

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        indexes = [models.Index(fields=["tenant", "name"])]

    def __str__(self) -> str:
        return self.name


class TeamMember(TenantScoped):
    team = models.ForeignKey(Team, on_delete=models.CASCADE)
    user = models.ForeignKey(User, on_delete=models.CASCADE)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "user"], name="team_member_unique")]


def _hash_token(secret: str) -> str:
    # Tokens carry 256 bits of randomness, so a fast hash is enough (no dictionary to attack).
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiToken(TenantScoped):
    """A bearer token for one user in one organisation; only its hash is stored."""

    PREFIX = "funia_"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100, default="API")
    key_prefix = models.CharField(max_length=16, db_index=True, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"

    @classmethod
    def new_secret(cls) -> str:
        return cls.PREFIX + secrets.token_urlsafe(32)

    @staticmethod
    def hash(secret: str) -> str:
        return _hash_token(secret)

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class AuditAction(models.TextChoices):
    CREATE = "create", _("created")
    UPDATE = "update", _("updated")
    DELETE = "delete", _("deleted")
    RESTORE = "restore", _("restored")


class AppendOnlyQuerySet(TenantQuerySet):
    """Audit history is never rewritten or erased through a queryset either."""

    def update(self, **kwargs):
        raise ValidationError("Audit entries are append-only.")

    def delete(self):
        raise ValidationError("Audit entries are append-only.")


class AuditEntry(TenantScoped):
    """One change of one record, append-only: who (user or token), when, which fields."""

    tenant = tenant_led_by_indexes()
    object_type = models.CharField(max_length=100)
    object_id = models.BigIntegerField()
    object_repr = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=20, choices=AuditAction.choices)
    # {field: [old, new]} in JSON-friendly form.
    changes = models.JSONField(default=dict, blank=True)
    user = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Indexed only where set (see Meta): most entries are made in the web interface.
    token = models.ForeignKey(
        ApiToken, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )
    at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = TenantManager.from_queryset(AppendOnlyQuerySet)()

    class Meta:
        indexes = [
            models.Index(fields=["tenant", "object_type", "object_id", "at"]),
            models.Index(
                fields=["token"], condition=models.Q(token__isnull=False), name="audit_by_token"
            ),
        ]
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.object_type}#{self.object_id} {self.action}"

    def labelled_changes(self) -> list[tuple[str, object, object]]:
        """(field label in the user's language, old, new) for display."""
        from django.apps import apps

        try:
            model = apps.get_model(self.object_type)
        except LookupError:
            model = None
        rows = []
        for name, (old, new) in self.changes.items():
            label = name
            if model is not None:
                try:
                    field = model._meta.get_field(name)
                    # A reverse relation (e.g. a pipeline's "stages") has no verbose name.
                    label = getattr(field, "verbose_name", None) or (
                        field.related_model._meta.verbose_name_plural
                    )
                except FieldDoesNotExist:  # a field removed since: keep its name
                    label = name
            rows.append((str(label), old, new))
        return rows

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError("Audit entries are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("Audit entries are append-only.")


class SavedView(TenantScoped):
    """A named filter and sort of a list page, for its owner or shared with the organisation."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    list_key = models.CharField(max_length=50)  # the list's URL name, e.g. "contact_list"
    name = models.CharField(_("name"), max_length=80)
    query = models.CharField(max_length=1000, blank=True)  # the list's query string
    shared = models.BooleanField(_("shared with everyone"), default=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["tenant", "list_key"])]

    def __str__(self) -> str:
        return self.name


class Notification(TenantScoped):
    """An in-app message to one user (a reminder, an approval request, an assignment)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=40)  # "reminder", "assignment", ...
    title = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["tenant", "user", "read_at", "created_at"])]

    def __str__(self) -> str:
        return self.title
