"""Records the reports keep: a manager's forecast adjustments, and the funnel facts (a
summary of the stage history the historical funnel reads)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from funia.core.tenancy import TenantModel, TenantScoped
from funia.sales.models import ForecastCategory, PeriodKind


class ForecastAdjustment(TenantModel):
    """A manager's call on a rep's forecast for one month or quarter: the amount
    (organisation currency) the manager expects in a category, replacing the computed one
    in the forecast, with the reason. One live adjustment per rep, period and category."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("rep"),
    )
    period = models.CharField(_("period"), max_length=8, choices=PeriodKind)
    start = models.DateField(_("period start"))
    category = models.CharField(_("forecast category"), max_length=16, choices=ForecastCategory)
    amount = models.DecimalField(_("amount"), max_digits=18, decimal_places=2)
    note = models.CharField(_("note"), max_length=300, blank=True)
    adjusted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("adjusted by"),
    )

    class Meta:
        verbose_name = _("forecast adjustment")
        verbose_name_plural = _("forecast adjustments")
        ordering = ["start", "id"]
        indexes = [models.Index(fields=["tenant", "period", "start"])]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "user", "period", "start", "category"],
                condition=models.Q(deleted_at__isnull=True),
                name="forecast_adjustment_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.start:%Y-%m} {self.category}: {self.amount}"


class FunnelFact(TenantScoped):
    """What the historical funnel says about one live deal and one stage (slot) of the
    pipeline the deal is in now: a summary of the deal's `sales.StageChange` rows, kept
    exact by `funia.analytics.facts` (recomputed with every write that changes them).

    One row per (deal, slot) the deal entered in mode `any` (for a won or lost slot: really
    entered). `entered_any` / `entered_strict`: the first entry as each mode counts it (a
    won or lost slot: the first entry into it; `entered_strict` null when never really
    entered). `advanced_*`: 1 when the deal reached a later stage or a won stage after that
    entry, else 0 (null for won/lost slots, and for strict without a real entry).
    `lost_now`: 1 when the deal is in a lost stage now. `stay_days`: the deal's total time in
    the stage when it really stayed there and has left it, else null. Owner and source are
    the deal's, for visibility, filters and grouping without a join."""

    # Derived rows: no database constraints (the rebuild writes millions of rows; Django's
    # deletes cascade to them), and no index of their own on the tenant: every query
    # starts with (tenant, pipeline).
    tenant = models.ForeignKey(
        "core.Organization",
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    pipeline = models.ForeignKey(
        "sales.Pipeline",
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    opportunity = models.ForeignKey(
        "sales.Opportunity",
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    stage = models.ForeignKey(
        "sales.Stage",
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    source = models.CharField(max_length=100, blank=True)
    entered_any = models.DateTimeField()
    entered_strict = models.DateTimeField(null=True)
    advanced_any = models.PositiveSmallIntegerField(null=True)
    advanced_strict = models.PositiveSmallIntegerField(null=True)
    lost_now = models.PositiveSmallIntegerField(default=0)
    stay_days = models.FloatField(null=True)

    class Meta:
        indexes = [
            # A report's period in mode any, stage by stage (PostgreSQL: read from the index
            # alone; a drill-down reads its stage's part only).
            models.Index(
                fields=["tenant", "pipeline", "stage", "entered_any"],
                include=[
                    "opportunity",
                    "owner",
                    "advanced_any",
                    "lost_now",
                    "stay_days",
                    "source",
                ],
                name="funnel_fact_any",
            ),
            # ... and in mode strict (rows never really entered are left out).
            models.Index(
                fields=["tenant", "pipeline", "stage", "entered_strict"],
                include=[
                    "opportunity",
                    "owner",
                    "advanced_strict",
                    "lost_now",
                    "stay_days",
                    "source",
                ],
                condition=models.Q(entered_strict__isnull=False),
                name="funnel_fact_strict",
            ),
        ]
        constraints = [
            # Also the index of a deal's refresh (delete its rows, insert them again).
            models.UniqueConstraint(fields=["opportunity", "stage"], name="funnel_fact_unique")
        ]


class FunnelFactState(TenantScoped):
    """How a pipeline's funnel facts were built: the stage ranks they were computed with.
    The reports use the facts only while the ranks are the pipeline's current ones (a
    reorder, a changed kind, an added stage wait for the rebuild: the raw history answers
    meanwhile); no row = never built."""

    pipeline = models.OneToOneField("sales.Pipeline", on_delete=models.CASCADE, related_name="+")
    signature = models.TextField()
    built_at = models.DateTimeField(default=timezone.now)
