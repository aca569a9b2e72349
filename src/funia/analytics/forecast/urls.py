"""Pages of the forecast: the report, its drill-down, the inline adjustment and the
adjustment records."""

from django.urls import path

from funia.analytics.forecast import views
from funia.web import converters  # noqa: F401  (the <id:...> converter)

urlpatterns = [
    path("reports/forecast/", views.forecast_page, name="forecast_report"),
    path("reports/forecast/deals/", views.forecast_drilldown, name="forecast_drilldown"),
    path("reports/forecast/adjust/", views.forecast_adjust, name="forecast_adjust"),
    *views.adjustment_pages.urlpatterns("reports/forecast/adjustments"),
]
