"""Records the reports keep: a manager's forecast adjustments."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from funia.core.tenancy import TenantModel
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
