"""Pages (filled by the module)."""

urlpatterns: list = []
