"""Pages of the pipeline reports."""

urlpatterns: list = []
