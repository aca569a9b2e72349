"""Pages of the sales dashboard."""

from django.urls import path

from funia.analytics.dashboard import views

urlpatterns = [
    path("reports/", views.reports_view, name="reports"),
    path("reports/dashboard/", views.dashboard_view, name="sales_dashboard"),
    path("reports/deals-at-risk/", views.deals_at_risk_view, name="deals_at_risk"),
]
