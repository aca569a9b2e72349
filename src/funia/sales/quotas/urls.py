"""Pages of quotas."""

urlpatterns = []
