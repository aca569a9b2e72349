"""Pages of territories."""

urlpatterns = []
