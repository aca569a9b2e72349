from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesConfig(AppConfig):
    name = "funia.sales"
    label = "sales"
    verbose_name = _("Sales")

    def ready(self):
        # Navigation, dashboard cards, card sections, search and import targets.
        from funia.sales import setup  # noqa: F401
        from funia.sales.catalog import setup as catalog_setup  # noqa: F401
        from funia.sales.configurator import setup as configurator_setup  # noqa: F401
        from funia.sales.leads import setup as leads_setup  # noqa: F401
        from funia.sales.orders import setup as orders_setup  # noqa: F401
        from funia.sales.quotas import setup as quotas_setup  # noqa: F401
        from funia.sales.quotes import setup as quotes_setup  # noqa: F401
        from funia.sales.territories import setup as territories_setup  # noqa: F401
