"""Pages of territories: administration under settings, the coverage report under reports."""

from django.urls import path

from funia.sales.territories import views
from funia.web import converters  # noqa: F401  (the <id:...> converter)

urlpatterns = [
    *views.territory_pages.urlpatterns("settings/territories"),
    path("settings/territories/<id:pk>/move/", views.territory_move, name="territory_move"),
    path("reports/territories/", views.coverage_view, name="territory_coverage"),
    path(
        "reports/territories/accounts/",
        views.coverage_accounts,
        name="territory_coverage_accounts",
    ),
    path("reports/territories/deals/", views.coverage_deals, name="territory_coverage_deals"),
]
