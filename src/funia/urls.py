from django.urls import include, path

from funia.api.main import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("", include("funia.web.urls")),
    path("", include("funia.customers.urls")),
]
