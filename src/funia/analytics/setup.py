"""Navigation entries and dashboard cards of the pipeline reports."""

from django.utils.translation import gettext_lazy as _

from funia.web.navigation import NavEntry, register

register(NavEntry(_("Funnel"), "funnel_report", "chart", order=50))
