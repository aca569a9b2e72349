"""Navigation entry of the sales dashboard and the home page's "Deals at risk" card."""

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from funia.web import dashboard
from funia.web.navigation import NavEntry, register

register(NavEntry(_lazy("Dashboard"), "sales_dashboard", "chart", order=49))


@dashboard.register
def deals_at_risk_card(actor):
    """How many deals the actor may see are at risk (every pipeline; two queries)."""
    from funia.analytics.dashboard.risk import RiskParams, deals_at_risk

    count = deals_at_risk(actor=actor, params=RiskParams()).count()
    return [
        dashboard.Card(
            _("Deals at risk"),
            str(count),
            reverse("deals_at_risk"),
            hint=_("open deals stuck longer than usual in their stage"),
        )
    ]
