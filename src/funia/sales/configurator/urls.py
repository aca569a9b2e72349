"""Pages of the configurator: the rep's configurator of a product, the rep's configurator
links, and the public configurator a link's address opens (no sign-in)."""

from django.urls import path

from funia.sales.configurator import public_views, views
from funia.web import converters  # noqa: F401  (the <id:...> converter)

urlpatterns = [
    path("products/<id:pk>/configure/", views.product_configure, name="product_configure"),
    path("configurator-links/", views.configurator_link_list, name="configurator_link_list"),
    path(
        "configurator-links/<id:pk>/",
        views.configurator_link_detail,
        name="configurator_link_detail",
    ),
    path(
        "configurator-links/<id:pk>/quote/",
        views.configurator_link_quote,
        name="configurator_link_quote",
    ),
    path(
        "configurator-links/<id:pk>/revoke/",
        views.configurator_link_revoke,
        name="configurator_link_revoke",
    ),
    # Public by design (no sign-in): the link's random token is the address's credential.
    path(
        "configure/<str:link_token>/",
        public_views.public_configurator,
        name="public_configurator",
    ),
    path(
        "configure/<str:link_token>/thanks/",
        public_views.public_configurator_thanks,
        name="public_configurator_thanks",
    ),
]
