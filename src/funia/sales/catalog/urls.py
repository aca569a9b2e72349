"""Pages of products (everyone reads) and of price books (under settings)."""

from django.urls import path

from funia.sales.catalog import views
from funia.web import converters  # noqa: F401  (the <id:...> converter)

urlpatterns = [
    *views.product_pages.urlpatterns("products"),
    path("products/<id:pk>/options/", views.product_options, name="product_options"),
    path("products/<id:pk>/files/", views.product_files, name="product_files"),
    path(
        "products/<id:pk>/files/<id:product_file_id>/",
        views.product_file,
        name="product_file",
    ),
    *views.price_book_pages.urlpatterns("settings/price-books"),
    path(
        "settings/price-books/<id:pk>/entries/",
        views.price_book_entries,
        name="price_book_entries",
    ),
]
