"""Navigation entries of quotas: the command center, for sales managers and administrators."""

from django.utils.translation import gettext_lazy as _

from funia.core.models import Role
from funia.web.navigation import NavEntry, register

register(
    NavEntry(
        _("Command center"),
        "command_center",
        "target",
        order=52,
        roles=frozenset({Role.ADMIN, Role.SALES_MANAGER}),
    )
)
