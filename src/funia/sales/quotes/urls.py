"""Pages of quotes (under quotes/), the customer's public quote (q/<token>/) and the
organisation's logo."""

from django.urls import path

from funia.sales.quotes import organisation, public_views, views
from funia.web import converters  # noqa: F401  (the <id:...> converter)

urlpatterns = [
    path("quotes/", views.quote_list, name="quote_list"),
    path("quotes/new/", views.quote_create, name="quote_create"),
    path("quotes/<id:pk>/", views.quote_detail, name="quote_detail"),
    path("quotes/<id:pk>/edit/", views.quote_edit, name="quote_edit"),
    path("quotes/<id:pk>/lines/", views.quote_lines, name="quote_lines"),
    path("quotes/<id:pk>/send/", views.quote_send, name="quote_send"),
    path("quotes/<id:pk>/approval/", views.quote_approval, name="quote_approval"),
    path("quotes/<id:pk>/revise/", views.quote_revise, name="quote_revise"),
    path("quotes/<id:pk>/decision/", views.quote_decision, name="quote_decision"),
    path("quotes/<id:pk>/delete/", views.quote_delete, name="quote_delete"),
    path("quotes/<id:pk>/restore/", views.quote_restore, name="quote_restore"),
    path("quotes/<id:pk>/pdf/", views.quote_pdf, name="quote_pdf"),
    path("q/<str:quote_token>/", public_views.public_quote, name="public_quote"),
    path("q/<str:quote_token>/pdf/", public_views.public_quote_pdf, name="public_quote_pdf"),
    path("settings/organization/logo/", organisation.organization_logo, name="organization_logo"),
]
