"""Pages of the plan risk."""

from django.urls import path

from funia.analytics.plan_risk import views

urlpatterns = [
    path("reports/plan-risk/", views.plan_risk_report, name="plan_risk_report"),
    path("reports/plan-risk/deals/", views.plan_risk_deals, name="plan_risk_deals"),
]
