from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "funia.activities"
    label = "activities"
    verbose_name = _("Activities")

    def ready(self):
        # Navigation, dashboard cards and the customer card's timeline and sections.
        from funia.activities import setup  # noqa: F401
