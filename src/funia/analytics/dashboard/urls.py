"""Pages of dashboard."""

urlpatterns = []
