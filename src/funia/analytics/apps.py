from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "funia.analytics"
    label = "analytics"
    verbose_name = _("Analytics")

    def ready(self):
        # Navigation entries and dashboard cards of the reports.
        from funia.analytics import setup  # noqa: F401
