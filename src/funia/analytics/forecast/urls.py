"""Pages of forecast."""

urlpatterns = []
