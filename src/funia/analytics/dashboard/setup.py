"""Navigation entry of the sales dashboard and the home page's "Deals at risk" card."""

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from funia.web import dashboard
from funia.web.navigation import NavEntry, register

register(NavEntry(_lazy("Dashboard"), "sales_dashboard", "chart", order=49))


@dashboard.register
def deals_at_risk_card(actor):
    """How many deals the actor may see are at risk (every pipeline; the usual times come
    from the cache, at most ten minutes old)."""
    from funia.analytics.dashboard.risk import RiskParams, cached_stage_norms, deals_at_risk

    norms = cached_stage_norms(actor.tenant)
    count = deals_at_risk(actor=actor, params=RiskParams(), norms=norms).count()
    return [
        dashboard.Card(
            _("Deals at risk"),
            str(count),
            reverse("deals_at_risk"),
            hint=_("open deals stuck longer than usual in their stage"),
        )
    ]
