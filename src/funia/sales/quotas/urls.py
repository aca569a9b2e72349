"""Pages of quotas: the command center, its won drill-down, a quota's page."""

from django.urls import path

from funia.sales.quotas import views
from funia.web import converters  # noqa: F401  (the <id:...> converter)

urlpatterns = [
    path("sales/command-center/", views.command_center_view, name="command_center"),
    path("sales/command-center/won/", views.won_deals_view, name="command_center_won"),
    path("sales/quotas/<id:pk>/", views.quota_detail_view, name="quota_detail"),
    path("sales/quotas/<id:pk>/delete/", views.quota_delete_view, name="quota_delete"),
    path("sales/quotas/<id:pk>/restore/", views.quota_restore_view, name="quota_restore"),
]
