from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "funia.analytics"
    label = "analytics"
    verbose_name = _("Analytics")

    def ready(self):
        # Navigation entries and dashboard cards of the reports.
        from funia.analytics import setup  # noqa: F401
        from funia.analytics.dashboard import setup as dashboard_setup  # noqa: F401
        from funia.analytics.forecast import setup as forecast_setup  # noqa: F401
        from funia.analytics.plan_risk import setup as plan_risk_setup  # noqa: F401
