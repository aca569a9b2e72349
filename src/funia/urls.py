from django.urls import include, path

from funia.api.main import api
from funia.customers import card
from funia.web import converters  # noqa: F401  (registers the <id:...> converter)

urlpatterns = [
    path("api/v1/", api.urls),
    path("", include("funia.web.urls")),
    path("", include("funia.customers.exports")),
    path("", include("funia.customers.urls")),
    path("", include("funia.imports.urls")),
    path("", include(card.urlpatterns)),
    path("", include("funia.search.urls")),
    path("", include("funia.sales.urls")),
    path("", include("funia.sales.leads.urls")),
    path("", include("funia.activities.urls")),
    path("", include("funia.activities.calendar_urls")),
    path("", include("funia.core.notification_urls")),
    path("", include("funia.analytics.urls")),
    path("", include("funia.sales.territories.urls")),
    path("", include("funia.sales.quotas.urls")),
    path("", include("funia.sales.catalog.urls")),
    path("", include("funia.sales.configurator.urls")),
    path("", include("funia.sales.quotes.urls")),
    path("", include("funia.sales.orders.urls")),
    path("", include("funia.analytics.plan_risk.urls")),
    path("", include("funia.analytics.forecast.urls")),
    path("", include("funia.analytics.dashboard.urls")),
]
