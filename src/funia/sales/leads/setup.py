"""Navigation entries, dashboard card, search and import registration of leads."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from funia.sales.leads.imports import register_import_target
from funia.sales.leads.search import register_search
from funia.web import dashboard
from funia.web.navigation import NavEntry, register

register(NavEntry(_("Leads"), "lead_list", "leads", order=35))
register(NavEntry(_("Web forms"), "lead_form_list", "forms", admin_only=True, order=950))
register(
    NavEntry(_("Assignment rules"), "assignment_rule_list", "rules", admin_only=True, order=955)
)
register_search()
register_import_target()


@dashboard.register
def lead_cards(actor):
    from funia.sales.leads.selectors import new_leads_this_week

    return [
        dashboard.Card(
            _("New leads this week"),
            str(new_leads_this_week(actor=actor)),
            reverse("lead_list") + f"?status=new&owner={actor.user.pk}",
            hint=_("Assigned to you"),
        )
    ]
