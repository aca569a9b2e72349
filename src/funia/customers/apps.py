from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "funia.customers"
    label = "customers"
    verbose_name = _("Customers")

    def ready(self):
        from funia.web.navigation import NavEntry, register

        register(NavEntry(_("Accounts"), "account_list", "building", order=10))
        register(NavEntry(_("Contacts"), "contact_list", "person", order=20))
        register(NavEntry(_("Duplicates"), "duplicate_list", "copy", order=30))
        register(
            NavEntry(_("Custom fields"), "custom_field_list", "fields", admin_only=True, order=930)
        )
        from funia.customers import views  # noqa: F401  (registers the dashboard cards)
