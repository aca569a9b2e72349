"""Sales: pipelines and their stages, opportunities with their append-only stage history,
exchange rates, leads, web-to-lead forms, lead assignment rules, territories and quotas."""

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from funia.core.tenancy import TenantModel, TenantScoped


class StageKind(models.TextChoices):
    OPEN = "open", pgettext_lazy("deal status", "Open")
    WON = "won", pgettext_lazy("deal status", "Won")
    LOST = "lost", pgettext_lazy("deal status", "Lost")


class ForecastCategory(models.TextChoices):
    PIPELINE = "pipeline", pgettext_lazy("forecast category", "Pipeline")
    BEST_CASE = "best_case", _("Best case")
    COMMIT = "commit", _("Commit")
    CLOSED = "closed", pgettext_lazy("forecast category", "Closed")
    OMITTED = "omitted", _("Omitted")


class Pipeline(TenantModel):
    name = models.CharField(_("name"), max_length=120)
    position = models.PositiveIntegerField(_("position"), default=0)
    is_default = models.BooleanField(_("default pipeline"), default=False)

    class Meta:
        verbose_name = _("pipeline")
        verbose_name_plural = _("pipelines")
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["tenant", "position"])]

    def __str__(self) -> str:
        return self.name


class Stage(TenantModel):
    """A step of a pipeline. Stages are ordered by `position`; won and lost stages close
    a deal. `required_fields` names opportunity fields that must be filled before a deal
    may enter the stage (the stage gate)."""

    pipeline = models.ForeignKey(
        Pipeline, on_delete=models.CASCADE, related_name="stages", verbose_name=_("pipeline")
    )
    name = models.CharField(_("name"), max_length=120)
    position = models.PositiveIntegerField(_("position"), default=0)
    probability = models.PositiveSmallIntegerField(
        _("win probability (%)"), default=0, help_text=_("0 to 100")
    )
    kind = models.CharField(_("kind"), max_length=8, choices=StageKind, default=StageKind.OPEN)
    required_fields = models.JSONField(_("required fields"), default=list, blank=True)

    class Meta:
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["tenant", "pipeline", "position"])]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        if self.probability is not None and self.probability > 100:
            raise ValidationError({"probability": _("A probability is between 0 and 100.")})

    @property
    def is_closed(self) -> bool:
        return self.kind != StageKind.OPEN


class ExchangeRate(TenantModel):
    """How much one unit of `currency` is worth in the organisation's currency."""

    currency = models.CharField(_("currency"), max_length=3)
    rate = models.DecimalField(_("rate"), max_digits=18, decimal_places=8)

    class Meta:
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "currency"],
                condition=models.Q(deleted_at__isnull=True),
                name="exchange_rate_unique_currency",
            )
        ]

    def __str__(self) -> str:
        return f"{self.currency} {self.rate}"


class Opportunity(TenantModel):
    name = models.CharField(_("name"), max_length=200)
    account = models.ForeignKey(
        "customers.Account",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="opportunities",
        verbose_name=_("account"),
    )
    contact = models.ForeignKey(
        "customers.Contact",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="opportunities",
        verbose_name=_("primary contact"),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("owner"),
    )
    pipeline = models.ForeignKey(
        Pipeline, on_delete=models.PROTECT, related_name="opportunities", verbose_name=_("pipeline")
    )
    stage = models.ForeignKey(
        Stage, on_delete=models.PROTECT, related_name="opportunities", verbose_name=_("stage")
    )
    amount = models.DecimalField(
        _("amount"), max_digits=18, decimal_places=2, null=True, blank=True
    )
    currency = models.CharField(_("currency"), max_length=3, default=settings.DEFAULT_CURRENCY)
    # The amount in the organisation's currency at the current exchange rate (kept by the
    # services), so reports add amounts of deals in different currencies.
    amount_base = models.DecimalField(
        _("amount in the organisation's currency"),
        max_digits=18,
        decimal_places=2,
        null=True,
        blank=True,
        editable=False,
    )
    expected_close_date = models.DateField(_("expected close date"), null=True, blank=True)
    source = models.CharField(
        _("source"), max_length=100, blank=True, help_text=_("Acquisition channel.")
    )
    campaign = models.CharField(_("campaign"), max_length=200, blank=True)
    forecast_category = models.CharField(
        _("forecast category"),
        max_length=12,
        choices=ForecastCategory,
        default=ForecastCategory.PIPELINE,
    )
    lost_reason = models.CharField(_("lost reason"), max_length=300, blank=True)
    next_step = models.CharField(_("next step"), max_length=300, blank=True)
    description = models.TextField(_("description"), blank=True)
    # When the deal entered its current stage and when it was won or lost (kept by the
    # services from the stage history; the kanban and reports read them without joins).
    stage_entered_at = models.DateTimeField(default=timezone.now, editable=False)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, editable=False)
    # Where the deal's quotes take their prices (a book in the deal's currency).
    price_book = models.ForeignKey(
        "sales.PriceBook",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("price book"),
    )
    lead = models.ForeignKey(
        "sales.Lead",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("lead"),
    )

    audit_exclude = (*TenantModel.audit_exclude, "amount_base", "stage_entered_at")

    class Meta:
        verbose_name = _("opportunity")
        verbose_name_plural = _("opportunities")
        indexes = [
            # The board's columns: a stage's open deals or those closed lately, with the
            # amount so that the columns' totals are read from the index alone.
            models.Index(
                fields=["tenant", "pipeline", "stage", "closed_at", "amount_base"],
                condition=models.Q(deleted_at__isnull=True),
                name="opportunity_live_stage",
            ),
            # The funnel snapshot (open stages: count, amounts, ages; won: the sales cycle),
            # read from the index alone on PostgreSQL.
            models.Index(
                fields=["tenant", "pipeline", "stage", "closed_at"],
                include=["amount_base", "stage_entered_at", "created_at"],
                condition=models.Q(deleted_at__isnull=True),
                name="opportunity_live_funnel",
            ),
            models.Index(
                fields=["tenant", "owner"],
                condition=models.Q(deleted_at__isnull=True),
                name="opportunity_live_owner",
            ),
            # A pipeline's open (or closed) deals: the list's status filter.
            models.Index(
                fields=["tenant", "pipeline", "closed_at"],
                condition=models.Q(deleted_at__isnull=True),
                name="opportunity_live_closed",
            ),
            # The list's default order within a pipeline.
            models.Index(
                fields=["tenant", "pipeline", "updated_at"],
                condition=models.Q(deleted_at__isnull=True),
                name="opportunity_live_updated",
            ),
            models.Index(fields=["tenant", "expected_close_date"]),
            models.Index(fields=["tenant", "account"]),
            models.Index(fields=["tenant", "contact"]),
        ]

    def __str__(self) -> str:
        return self.name

    # References the services check within the organisation themselves (a stricter check
    # than the foreign keys' own, which would cost a query each on every save, every move).
    checked_references = (
        "tenant",
        "owner",
        "account",
        "contact",
        "pipeline",
        "stage",
        "lead",
        "price_book",
    )

    def clean_fields(self, exclude=None):
        super().clean_fields(exclude={*(exclude or ()), *self.checked_references})


class StageChange(TenantScoped):
    """One entry of a deal into a stage: append-only, the source of every pipeline report.

    The first entry of a deal has no `from_stage`. Backward moves and reopenings are
    entries like any other; `amount` and `probability` are those at that moment."""

    opportunity = models.ForeignKey(
        Opportunity, on_delete=models.CASCADE, related_name="stage_changes"
    )
    from_stage = models.ForeignKey(
        Stage, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    to_stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    amount = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    amount_base = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    probability = models.PositiveSmallIntegerField(default=0)
    # True for history given by a migration (created with the deal, times from the client).
    imported = models.BooleanField(default=False)

    class Meta:
        indexes = [
            models.Index(fields=["tenant", "opportunity", "at"]),
            models.Index(fields=["tenant", "to_stage", "at"]),
        ]

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError("Stage history is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("Stage history is append-only.")


class LeadStatus(models.TextChoices):
    NEW = "new", pgettext_lazy("lead status", "New")
    WORKING = "working", _("Working")
    QUALIFIED = "qualified", _("Qualified")
    DISQUALIFIED = "disqualified", _("Disqualified")
    CONVERTED = "converted", _("Converted")


class LeadRating(models.TextChoices):
    HOT = "hot", _("Hot")
    WARM = "warm", _("Warm")
    COLD = "cold", _("Cold")


class Lead(TenantModel):
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    company = models.CharField(_("company"), max_length=200, blank=True)
    title = models.CharField(_("title"), max_length=100, blank=True)
    email = models.CharField(_("email"), max_length=254, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    website = models.CharField(_("website"), max_length=200, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)
    region = models.CharField(_("region"), max_length=100, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    employees = models.PositiveIntegerField(_("employees"), null=True, blank=True)
    message = models.TextField(_("message"), blank=True)
    status = models.CharField(
        _("status"), max_length=14, choices=LeadStatus, default=LeadStatus.NEW
    )
    disqualify_reason = models.CharField(_("disqualification reason"), max_length=300, blank=True)
    source = models.CharField(
        _("source"), max_length=100, blank=True, help_text=_("Acquisition channel.")
    )
    campaign = models.CharField(_("campaign"), max_length=200, blank=True)
    rating = models.CharField(_("rating"), max_length=8, choices=LeadRating, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("owner"),
    )
    consent_email = models.BooleanField(_("email consent"), null=True, blank=True)
    consent_phone = models.BooleanField(_("phone consent"), null=True, blank=True)
    consent_marketing = models.BooleanField(_("marketing consent"), null=True, blank=True)
    form = models.ForeignKey(
        "sales.LeadForm",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="leads",
        editable=False,
        verbose_name=_("web form"),
    )
    converted_at = models.DateTimeField(_("converted at"), null=True, blank=True, editable=False)
    converted_account = models.ForeignKey(
        "customers.Account",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="converted_leads",
        editable=False,
    )
    converted_contact = models.ForeignKey(
        "customers.Contact",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="converted_leads",
        editable=False,
    )
    converted_opportunity = models.ForeignKey(
        Opportunity,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="converted_leads",
        editable=False,
    )
    # Latin-letter name, email and phone digits for the global search (kept by services).
    search_text = models.TextField(blank=True, editable=False)

    audit_exclude = (*TenantModel.audit_exclude, "search_text")

    class Meta:
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        indexes = [
            models.Index(
                fields=["tenant", "owner"],
                condition=models.Q(deleted_at__isnull=True),
                name="lead_live_owner",
            ),
            models.Index(fields=["tenant", "status"]),
            models.Index(fields=["tenant", "email"]),
        ]

    def __str__(self) -> str:
        name = f"{self.first_name} {self.last_name}".strip()
        return name or self.company or self.email or str(_("Lead"))

    @property
    def is_converted(self) -> bool:
        return self.converted_at is not None


def new_form_key() -> str:
    return secrets.token_urlsafe(16)


class LeadForm(TenantModel):
    """A public web-to-lead form: submissions at /api/v1/web-to-lead/<key> become leads."""

    name = models.CharField(_("name"), max_length=120)
    # Unique across organisations: the public endpoint finds the tenant by the key.
    key = models.CharField(max_length=40, unique=True, default=new_form_key, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    fields = models.JSONField(_("fields"), default=list, blank=True)
    required = models.JSONField(_("required fields"), default=list, blank=True)
    allowed_origins = models.JSONField(
        _("allowed sites"),
        default=list,
        blank=True,
        help_text=_("Origins allowed to post from a browser, e.g. https://www.example.com"),
    )
    source = models.CharField(_("source"), max_length=100, blank=True, default="web form")
    campaign = models.CharField(_("campaign"), max_length=200, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("owner of new leads"),
        help_text=_("Leave empty to apply the assignment rules."),
    )
    consent_text = models.CharField(_("consent text"), max_length=500, blank=True)
    thank_you = models.CharField(_("thank-you message"), max_length=500, blank=True)
    redirect_url = models.URLField(_("redirect after submission"), blank=True)

    class Meta:
        verbose_name = _("web-to-lead form")
        verbose_name_plural = _("web-to-lead forms")

    def __str__(self) -> str:
        return self.name

    def validate_unique(self, exclude=None):
        # The key is random and unique in the database; checking it would query across
        # organisations, which the tenant manager refuses.
        super().validate_unique(exclude={*(exclude or ()), "key"})


class AssignmentRule(TenantModel):
    """Who gets a new lead: the first active rule (by position) whose criteria match.

    Criteria left empty match anything. The lead goes to `user`, or round-robin to the
    members of `team` (`cursor` remembers whose turn it is)."""

    name = models.CharField(_("name"), max_length=120)
    position = models.PositiveIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    countries = models.JSONField(_("countries"), default=list, blank=True)
    regions = models.JSONField(_("regions"), default=list, blank=True)
    industries = models.JSONField(_("industries"), default=list, blank=True)
    sources = models.JSONField(_("sources"), default=list, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assign to user"),
    )
    team = models.ForeignKey(
        "core.Team",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("round-robin in team"),
    )
    # Round-robin among the reps of the lead's territory (see `Territory`).
    by_territory = models.BooleanField(_("assign within the lead's territory"), default=False)
    cursor = models.PositiveIntegerField(default=0, editable=False)

    audit_exclude = (*TenantModel.audit_exclude, "cursor")

    class Meta:
        verbose_name = _("assignment rule")
        verbose_name_plural = _("assignment rules")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class Territory(TenantModel):
    """A sales territory: the accounts (and leads) its rules match, and the reps who work it.

    An account belongs to the first active territory (by position) whose rules it matches;
    a rule left empty matches anything. Nothing is stored on the account: the territory is
    derived from the account's country, region, industry and size, so it is always current.
    New leads can be assigned round-robin to the territory's reps (`cursor`)."""

    name = models.CharField(_("name"), max_length=120)
    position = models.PositiveIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    countries = models.JSONField(_("countries"), default=list, blank=True)
    regions = models.JSONField(_("regions"), default=list, blank=True)
    industries = models.JSONField(_("industries"), default=list, blank=True)
    min_employees = models.PositiveIntegerField(_("minimum employees"), null=True, blank=True)
    max_employees = models.PositiveIntegerField(_("maximum employees"), null=True, blank=True)
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("manager"),
    )
    reps = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="TerritoryRep",
        related_name="territories",
        blank=True,
        verbose_name=_("reps"),
    )
    cursor = models.PositiveIntegerField(default=0, editable=False)

    audit_exclude = (*TenantModel.audit_exclude, "cursor")

    class Meta:
        verbose_name = _("territory")
        verbose_name_plural = _("territories")
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["tenant", "position"])]

    def __str__(self) -> str:
        return self.name


class TerritoryRep(TenantScoped):
    territory = models.ForeignKey(Territory, on_delete=models.CASCADE)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["territory", "user"], name="territory_rep_unique")
        ]


class PeriodKind(models.TextChoices):
    MONTH = "month", _("Month")
    QUARTER = "quarter", _("Quarter")
    YEAR = "year", _("Year")


class Quota(TenantModel):
    """A sales target: the won amount (organisation currency) one rep or one team is
    responsible for in one calendar month, quarter or year (`start` is its first day)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("rep"),
    )
    team = models.ForeignKey(
        "core.Team",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("team"),
    )
    period = models.CharField(_("period"), max_length=8, choices=PeriodKind)
    start = models.DateField(_("period start"))
    amount = models.DecimalField(_("amount"), max_digits=18, decimal_places=2)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("quota")
        verbose_name_plural = _("quotas")
        ordering = ["start", "id"]
        indexes = [models.Index(fields=["tenant", "period", "start"])]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(user__isnull=False, team__isnull=True)
                    | models.Q(user__isnull=True, team__isnull=False)
                ),
                name="quota_user_xor_team",
            ),
            models.UniqueConstraint(
                fields=["tenant", "user", "period", "start"],
                condition=models.Q(deleted_at__isnull=True, user__isnull=False),
                name="quota_user_period_unique",
            ),
            models.UniqueConstraint(
                fields=["tenant", "team", "period", "start"],
                condition=models.Q(deleted_at__isnull=True, team__isnull=False),
                name="quota_team_period_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_period_display()} {self.start:%Y-%m}: {self.amount}"


# Products, quotes and orders live in their own modules of this app.
from funia.sales.catalog.models import (  # noqa: E402, F401
    AdjustmentType,
    ConfiguratorLink,
    Option,
    OptionGroup,
    OptionGroupKind,
    PriceBook,
    PriceBookEntry,
    Product,
    ProductFile,
    ProductFileKind,
)
from funia.sales.orders.models import Order, OrderLine, OrderStatus, OrderStatusChange  # noqa: E402, F401
from funia.sales.quotes.models import ApprovalStatus, Quote, QuoteLine, QuoteStatus  # noqa: E402, F401
