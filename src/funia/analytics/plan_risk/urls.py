"""Pages of plan_risk."""

urlpatterns = []
