"""Navigation entry of the plan risk (for the sellers, their managers and analysts)."""

from django.utils.translation import gettext_lazy as _

from funia.core.models import Role
from funia.web.navigation import NavEntry, register

register(
    NavEntry(
        _("Plan risk"),
        "plan_risk_report",
        "alert",
        order=53,
        roles=frozenset({Role.ADMIN, Role.SALES_MANAGER, Role.SALES_REP, Role.ANALYST}),
    )
)
