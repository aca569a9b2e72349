"""Pages of leads, web forms, assignment rules and the public hosted form."""

from django.urls import path

from funia.sales.leads import views

urlpatterns = [
    *views.leads.urlpatterns("leads"),
    path("leads/<id:pk>/status/", views.lead_status, name="lead_status"),
    path("leads/<id:pk>/convert/", views.lead_convert, name="lead_convert"),
    *[
        # The detail page of a web form shows its public addresses (absolute URLs).
        path("settings/web-forms/<id:pk>/", views.lead_form_detail, name="lead_form_detail")
        if pattern.name == "lead_form_detail"
        else pattern
        for pattern in views.lead_forms.urlpatterns("settings/web-forms")
    ],
    *views.assignment_rules.urlpatterns("settings/assignment-rules"),
    # Public by design (no login): the hosted web-to-lead form, found by its random key.
    path("f/<slug:form_key>/", views.public_lead_form, name="public_lead_form"),
    path(
        "f/<slug:form_key>/thanks/",
        views.public_lead_form_thanks,
        name="public_lead_form_thanks",
    ),
]
