"""Pages of the pipeline reports."""

from django.urls import path

from funia.analytics import views

urlpatterns = [
    path("reports/funnel/", views.funnel_report, name="funnel_report"),
    path("reports/funnel/deals/", views.funnel_drilldown, name="funnel_drilldown"),
]
