from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportsConfig(AppConfig):
    name = "funia.imports"
    label = "imports"
    verbose_name = _("Imports")

    def ready(self):
        from funia.imports.customers import targets
        from funia.web.navigation import NavEntry, register

        register(NavEntry(_("Import"), "import_list", "upload", order=30))
        targets.register_targets()
