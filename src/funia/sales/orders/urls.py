"""Pages of orders under /orders/."""

from django.urls import path

from funia.sales.orders import views
from funia.web import converters  # noqa: F401  (the <id:...> converter)

pages = views.order_pages

urlpatterns = [
    path("orders/", views.order_list, name="order_list"),
    path("orders/new/", views.order_create, name="order_create"),
    path("orders/<id:pk>/", pages.detail_view(), name="order_detail"),
    path("orders/<id:pk>/edit/", pages.form_view(), name="order_edit"),
    path("orders/<id:pk>/status/", views.order_status, name="order_status"),
    path("orders/<id:pk>/delete/", pages.delete_view(), name="order_delete"),
    path("orders/<id:pk>/restore/", pages.restore_view(), name="order_restore"),
]
