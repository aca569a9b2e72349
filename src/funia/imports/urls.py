from django.urls import path

from funia.imports import views

urlpatterns = [
    path("imports/", views.import_list, name="import_list"),
    path("imports/new/", views.import_create, name="import_create"),
    path("imports/<id:import_id>/", views.import_detail, name="import_detail"),
    path("imports/<id:import_id>/mapping/", views.import_mapping, name="import_mapping"),
    path("imports/<id:import_id>/preview/", views.import_preview, name="import_preview"),
    path("imports/<id:import_id>/errors.csv", views.import_errors_csv, name="import_errors_csv"),
    path("imports/<id:import_id>/resume/", views.import_resume, name="import_resume"),
    path("imports/<id:import_id>/rerun/", views.import_rerun, name="import_rerun"),
]
