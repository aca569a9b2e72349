"""Navigation entries and dashboard cards of forecast."""

from django.utils.translation import gettext_lazy as _

from funia.web.navigation import NavEntry, register

register(NavEntry(_("Forecast"), "forecast_report", "forecast", order=51))
