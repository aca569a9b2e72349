from django.apps import AppConfig
from django.db.models.signals import post_migrate, pre_migrate
from django.utils.translation import gettext_lazy as _


class SearchConfig(AppConfig):
    name = "funia.search"
    label = "search"
    verbose_name = _("Search")

    def ready(self):
        from funia.search import customers  # noqa: F401  (registers accounts and contacts)
        from funia.search.index import ensure_search_indexes, suspend_search_triggers

        # Like content types and permissions: reconciled after every `migrate`.
        pre_migrate.connect(suspend_search_triggers, sender=self)
        post_migrate.connect(ensure_search_indexes, sender=self)
